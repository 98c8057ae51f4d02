/* Value encodings: the RLE/bit-packed hybrid (definition levels and
 * dictionary indices) and the dictionaries themselves. PLAIN needs no
 * code of its own: little-endian values as they are in memory. */
#include "parquet/pq_int.h"

#include <stdlib.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the Parquet writer copies int64 values as they are in memory: little-endian only"
#endif

int tl_pq_bit_width(uint32_t max) {
    int bw = 1;
    while (bw < 32 && (max >> bw) != 0)
        bw++;
    return bw;
}

void tl_pq_put_uleb128(tl_buf *out, uint64_t v) {
    uint8_t b[10];
    int n = 0;
    while (v >= 0x80) {
        b[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b[n++] = (uint8_t)v;
    tl_buf_append(out, b, (size_t)n);
}

/* How many values from i on equal v[i], counting no further than limit. */
static size_t run_at(const uint32_t *v, size_t i, size_t n, size_t limit) {
    size_t r = 1;
    while (i + r < n && r < limit && v[i + r] == v[i])
        r++;
    return r;
}

/* 8 values of bw bits, LSB first: exactly bw bytes. */
static void pack8(uint8_t *dst, const uint32_t *v, int bw) {
    uint64_t acc = 0;
    int bits = 0;
    for (int i = 0; i < 8; i++) {
        acc |= (uint64_t)v[i] << bits;
        bits += bw;
        while (bits >= 8) {
            *dst++ = (uint8_t)acc;
            acc >>= 8;
            bits -= 8;
        }
    }
}

/* Groups of 8 from i, until a run of 8 equal values starts at a group's
 * start (that one is cheaper as an RLE run) or 63 groups (a one-byte
 * header, as parquet-mr writes them). Returns the index after them. */
static size_t put_packed(tl_buf *out, const uint32_t *v, size_t i, size_t n, int bw) {
    size_t start = i, groups = 0;
    while (i < n && groups < 63) {
        if (groups > 0 && run_at(v, i, n, 8) >= 8)
            break;
        i += 8;
        groups++;
    }
    tl_pq_put_uleb128(out, groups << 1 | 1);
    if (tl_buf_reserve(out, groups * (size_t)bw) != 0)
        return n;
    for (size_t g = 0; g < groups; g++) {
        size_t at = start + g * 8;
        uint32_t tmp[8] = {0}; /* the last group is padded with zeros */
        const uint32_t *src = v + at;
        if (at + 8 > n) {
            memcpy(tmp, v + at, (n - at) * sizeof *v);
            src = tmp;
        }
        pack8((uint8_t *)out->data + out->len, src, bw);
        out->len += (size_t)bw;
    }
    return i < n ? i : n;
}

void tl_pq_rle_encode(tl_buf *out, const uint32_t *v, size_t n, int bw) {
    size_t i = 0, vbytes = ((size_t)bw + 7) / 8;
    while (i < n && !out->failed) {
        size_t run = run_at(v, i, n, SIZE_MAX);
        if (run >= 8) {
            tl_pq_put_uleb128(out, (uint64_t)run << 1);
            uint32_t val = v[i]; /* little-endian, ceil(bw / 8) bytes */
            tl_buf_append(out, &val, vbytes);
            i += run;
        } else {
            i = put_packed(out, v, i, n, bw);
        }
    }
}

/* ---- dictionaries ---------------------------------------------------------- */

static size_t table_cap(size_t max_entries) {
    size_t cap = 64;
    while (cap < 2 * max_entries)
        cap <<= 1;
    return cap;
}

static uint64_t mix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

int tl_pq_dict64_reset(tl_pq_dict64 *d, size_t max_entries) {
    size_t cap = table_cap(max_entries);
    if (cap > d->cap) {
        int64_t *k = realloc(d->keys, cap * sizeof *k);
        if (k)
            d->keys = k;
        uint32_t *s = realloc(d->slots, cap * sizeof *s);
        if (s)
            d->slots = s;
        if (!k || !s)
            return -1;
        d->cap = cap;
    }
    if (max_entries > d->vcap) {
        int64_t *v = realloc(d->vals, max_entries * sizeof *v);
        if (!v)
            return -1;
        d->vals = v;
        d->vcap = max_entries;
    }
    /* only the part of the table this column uses: a small column (a few
     * rows) does not clear a table grown for a large one */
    d->tcap = cap;
    memset(d->slots, 0, cap * sizeof *d->slots);
    d->n = 0;
    return 0;
}

int64_t tl_pq_dict64_add(tl_pq_dict64 *d, int64_t v, size_t max_entries) {
    size_t mask = d->tcap - 1, at = mix64((uint64_t)v) & mask;
    for (;;) {
        uint32_t s = d->slots[at];
        if (s == 0)
            break;
        if (d->keys[at] == v)
            return s - 1;
        at = (at + 1) & mask;
    }
    if (d->n >= max_entries)
        return -1;
    d->keys[at] = v;
    d->vals[d->n] = v;
    d->slots[at] = (uint32_t)++d->n;
    return (int64_t)d->n - 1;
}

void tl_pq_dict64_free(tl_pq_dict64 *d) {
    free(d->keys);
    free(d->slots);
    free(d->vals);
    memset(d, 0, sizeof *d);
}

static uint64_t hash_bytes(const char *s, size_t len) {
    uint64_t h = 0xcbf29ce484222325ULL ^ len;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return mix64(h);
}

int tl_pq_dictstr_reset(tl_pq_dictstr *d, size_t max_entries) {
    size_t cap = table_cap(max_entries);
    if (cap > d->cap) {
        uint32_t *s = realloc(d->slots, cap * sizeof *s);
        if (!s)
            return -1;
        d->slots = s;
        d->cap = cap;
    }
    if (max_entries > d->vcap) {
        uint32_t *o = realloc(d->off, max_entries * sizeof *o);
        if (o)
            d->off = o;
        uint32_t *l = realloc(d->len, max_entries * sizeof *l);
        if (l)
            d->len = l;
        uint64_t *h = realloc(d->hash, max_entries * sizeof *h);
        if (h)
            d->hash = h;
        if (!o || !l || !h)
            return -1;
        d->vcap = max_entries;
    }
    d->tcap = cap;
    memset(d->slots, 0, cap * sizeof *d->slots);
    tl_buf_reset(&d->data);
    d->n = 0;
    return 0;
}

int64_t tl_pq_dictstr_add(tl_pq_dictstr *d, const char *s, size_t len) {
    uint64_t h = hash_bytes(s, len);
    size_t mask = d->tcap - 1, at = h & mask;
    for (;;) {
        uint32_t slot = d->slots[at];
        if (slot == 0)
            break;
        uint32_t e = slot - 1;
        if (d->hash[e] == h && d->len[e] == len && memcmp(d->data.data + d->off[e], s, len) == 0)
            return e;
        at = (at + 1) & mask;
    }
    if (d->n >= d->vcap)
        return -1;
    d->off[d->n] = (uint32_t)d->data.len;
    d->len[d->n] = (uint32_t)len;
    d->hash[d->n] = h;
    if (tl_buf_append(&d->data, s, len) != 0)
        return -1;
    d->slots[at] = (uint32_t)++d->n;
    return (int64_t)d->n - 1;
}

void tl_pq_dictstr_free(tl_pq_dictstr *d) {
    free(d->slots);
    free(d->off);
    free(d->len);
    free(d->hash);
    tl_buf_free(&d->data);
    memset(d, 0, sizeof *d);
}
