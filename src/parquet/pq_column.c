/* One column chunk: a row group's values of one column, gathered from the
 * tick rows, as an optional dictionary page and data pages of at most
 * page_rows rows, each zstd-compressed, with the chunk's statistics.
 *
 * Every column is OPTIONAL in the schema (as DuckDB declares them), so
 * each data page carries definition levels (bit width 1, RLE/bit-packed
 * hybrid behind a 4-byte length) and then the non-null values: PLAIN, or
 * dictionary indices (one byte of bit width, then the hybrid). Layout and
 * encodings are DuckDB's own for Parquet format 1 (V1 data pages, a PLAIN
 * dictionary page, PLAIN_DICTIONARY data pages), which every reader the
 * project tests reads. */
#include "parquet/pq_int.h"

#include <string.h>
#include <zstd.h>

#include "parquet/parquet.h"
#include "util/err.h"
#include "util/utf8.h"

/* ---- gathering ---------------------------------------------------------- */

/* One string of a row into column c's dictionary; its index, or -1 with
 * err set. A new entry's bytes are checked once: a string must be
 * NUL-terminated in its array and UTF-8. */
static int64_t add_str(tl_pq_writer *w, int c, const char *s, size_t cap, const tl_tick *t,
                       size_t row, const char *path, tl_err *err) {
    tl_pq_dictstr *d = &w->dstr[c];
    size_t len = strnlen(s, cap), before = d->n;
    if (len == cap) {
        tl_err_set(err, TL_ERR_INVALID, "parquet: writing %s: row %zu: %s not NUL-terminated",
                   path, row, tl_pq_cols[c].name);
        return -1;
    }
    int64_t e = tl_pq_dictstr_add(d, s, len);
    if (e < 0) {
        tl_err_set(err, TL_ERR_NOMEM, "parquet: out of memory writing %s", path);
        return -1;
    }
    /* The parser dead-letters these per record (bad_utf8:<field>); this
     * is the last line of defence for rows from elsewhere. */
    if (d->n != before && !tl_utf8_valid(s, len)) {
        tl_err_set(err, TL_ERR_INVALID,
                   "parquet: writing %s: row %zu (symbol \"%.*s\"): %s is not UTF-8", path, row,
                   (int)strnlen(t->symbol, sizeof t->symbol), t->symbol, tl_pq_cols[c].name);
        return -1;
    }
    return e;
}

/* An optional int64 field of row i: its value, or a NULL. */
#define OPT(c, field, bit)                                                                         \
    do {                                                                                           \
        uint32_t b = (has & (bit)) != 0;                                                           \
        w->defs[c][i] = b;                                                                         \
        w->vals[c][k[c]] = t->field;                                                               \
        k[c] += b;                                                                                 \
    } while (0)

int tl_pq_group_gather(tl_pq_writer *w, const tl_tick_row *rows, size_t n, size_t row0,
                       const char *path, tl_err *err) {
    enum { SYM = 0, TS, PRICE, SIZE, BID, ASK, EXCH, SEQ, LATE, PART, OFF, INGEST };
    size_t k[TL_PQ_NCOLS] = {0};
    if (tl_pq_dictstr_reset(&w->dstr[SYM], n) != 0 || tl_pq_dictstr_reset(&w->dstr[EXCH], n) != 0)
        return tl_err_set(err, TL_ERR_NOMEM, "parquet: out of memory writing %s", path);
    for (size_t i = 0; i < n; i++) {
        const tl_tick_row *r = &rows[i];
        const tl_tick *t = &r->tick;
        unsigned has = t->has;
        w->vals[TS][i] = t->ts_us;
        w->vals[PRICE][i] = t->price;
        OPT(SIZE, size, TL_TICK_HAS_SIZE);
        OPT(BID, bid, TL_TICK_HAS_BID);
        OPT(ASK, ask, TL_TICK_HAS_ASK);
        OPT(SEQ, seq, TL_TICK_HAS_SEQ);
        w->vals[LATE][i] = r->late;
        w->vals[PART][i] = r->src_partition;
        w->vals[OFF][i] = r->src_offset;
        w->vals[INGEST][i] = r->ingest_ts_us;
        int64_t e = add_str(w, SYM, t->symbol, sizeof t->symbol, t, row0 + i, path, err);
        if (e < 0)
            return err && err->code ? err->code : TL_ERR_NOMEM;
        w->sidx[SYM][i] = (uint32_t)e;
        w->defs[EXCH][i] = (has & TL_TICK_HAS_EXCHANGE) != 0;
        if (has & TL_TICK_HAS_EXCHANGE) {
            e = add_str(w, EXCH, t->exchange, sizeof t->exchange, t, row0 + i, path, err);
            if (e < 0)
                return err && err->code ? err->code : TL_ERR_NOMEM;
            w->sidx[EXCH][k[EXCH]++] = (uint32_t)e;
        }
    }
    for (int c = 0; c < TL_PQ_NCOLS; c++)
        w->nvals[c] = tl_pq_cols[c].optional ? k[c] : n;
    return 0;
}

/* ---- statistics ------------------------------------------------------------ */

static void stat_int(tl_pq_chunk *ch, int64_t mn, int64_t mx, size_t width) {
    ch->has_minmax = true;
    memcpy(ch->min, &mn, width); /* little-endian: the low bytes */
    memcpy(ch->max, &mx, width);
    ch->min_len = ch->max_len = (uint8_t)width;
}

static void stats_int(tl_pq_chunk *ch, int c, const int64_t *v, size_t k) {
    if (k == 0)
        return;
    int64_t mn = v[0], mx = v[0];
    for (size_t i = 1; i < k; i++) {
        mn = v[i] < mn ? v[i] : mn;
        mx = v[i] > mx ? v[i] : mx;
    }
    size_t width = tl_pq_cols[c].kind == TL_PQ_I64 ? 8 : tl_pq_cols[c].kind == TL_PQ_I32 ? 4 : 1;
    stat_int(ch, mn, mx, width);
}

/* Byte order, then the shorter first: strcmp's order for strings without NUL. */
static int cmp_bytes(const char *a, size_t al, const char *b, size_t bl) {
    int r = memcmp(a, b, al < bl ? al : bl);
    return r ? r : (al > bl) - (al < bl);
}

/* Over the dictionary: each distinct string once. */
static void stats_str(tl_pq_chunk *ch, const tl_pq_dictstr *d) {
    if (d->n == 0)
        return;
    size_t lo = 0, hi = 0;
    const char *base = d->data.data;
    for (size_t e = 1; e < d->n; e++) {
        if (cmp_bytes(base + d->off[e], d->len[e], base + d->off[lo], d->len[lo]) < 0)
            lo = e;
        if (cmp_bytes(base + d->off[e], d->len[e], base + d->off[hi], d->len[hi]) > 0)
            hi = e;
    }
    ch->has_minmax = true;
    ch->min_len = (uint8_t)d->len[lo];
    ch->max_len = (uint8_t)d->len[hi];
    memcpy(ch->min, base + d->off[lo], d->len[lo]);
    memcpy(ch->max, base + d->off[hi], d->len[hi]);
}

/* ---- pages ----------------------------------------------------------------- */

static void page_header(tl_buf *out, int type, size_t unc, size_t comp, size_t nvals, int enc) {
    tl_pq_thrift t;
    tl_pq_thrift_init(&t, out);
    tl_pq_thrift_i32(&t, 1, type);
    tl_pq_thrift_i32(&t, 2, (int32_t)unc);
    tl_pq_thrift_i32(&t, 3, (int32_t)comp);
    if (type == TL_PQ_PAGE_DICTIONARY) {
        tl_pq_thrift_struct_begin(&t, 7);
        tl_pq_thrift_i32(&t, 1, (int32_t)nvals);
        tl_pq_thrift_i32(&t, 2, TL_PQ_ENC_PLAIN);
    } else {
        tl_pq_thrift_struct_begin(&t, 5);
        tl_pq_thrift_i32(&t, 1, (int32_t)nvals);
        tl_pq_thrift_i32(&t, 2, enc);
        tl_pq_thrift_i32(&t, 3, TL_PQ_ENC_RLE); /* definition levels */
        tl_pq_thrift_i32(&t, 4, TL_PQ_ENC_RLE); /* repetition levels (none), as DuckDB says */
    }
    tl_pq_thrift_struct_end(&t);
    tl_pq_thrift_struct_end(&t);
}

/* w->page, compressed, behind its header, onto the file. */
static int emit_page(tl_pq_writer *w, tl_pq_chunk *ch, int type, size_t nvals, int enc,
                     const char *path, tl_err *err) {
    if (tl_buf_failed(&w->page))
        return tl_err_set(err, TL_ERR_NOMEM, "parquet: out of memory writing %s", path);
    size_t bound = ZSTD_compressBound(w->page.len);
    tl_buf_reset(&w->zpage);
    if (tl_buf_reserve(&w->zpage, bound) != 0)
        return tl_err_set(err, TL_ERR_NOMEM, "parquet: out of memory writing %s", path);
    size_t z = ZSTD_compressCCtx(w->zc, w->zpage.data, bound, w->page.data, w->page.len, 1);
    if (ZSTD_isError(z))
        return tl_err_set(err, TL_ERR_INVALID, "parquet: writing %s: zstd: %s", path,
                          ZSTD_getErrorName(z));
    size_t at = w->file.len;
    page_header(&w->file, type, w->page.len, z, nvals, enc);
    size_t hlen = w->file.len - at;
    tl_buf_append(&w->file, w->zpage.data, z);
    if (tl_buf_failed(&w->file))
        return tl_err_set(err, TL_ERR_NOMEM, "parquet: out of memory writing %s", path);
    ch->unc += (int64_t)(hlen + w->page.len);
    ch->comp += (int64_t)(hlen + z);
    return 0;
}

static int dict_page(tl_pq_writer *w, tl_pq_chunk *ch, int c, const char *path, tl_err *err) {
    tl_buf_reset(&w->page);
    size_t nd;
    if (tl_pq_cols[c].kind == TL_PQ_STR) {
        const tl_pq_dictstr *d = &w->dstr[c];
        nd = d->n;
        for (size_t e = 0; e < nd; e++) {
            uint32_t len = d->len[e];
            tl_buf_append(&w->page, &len, 4);
            tl_buf_append(&w->page, d->data.data + d->off[e], len);
        }
    } else if (tl_pq_cols[c].kind == TL_PQ_I32) {
        nd = w->d64.n;
        for (size_t e = 0; e < nd; e++) {
            int32_t x = (int32_t)w->d64.vals[e];
            tl_buf_append(&w->page, &x, 4);
        }
    } else {
        nd = w->d64.n;
        tl_buf_append(&w->page, w->d64.vals, nd * sizeof *w->d64.vals);
    }
    ch->dict_off = (int64_t)w->file.len;
    ch->distinct = (int64_t)nd;
    return emit_page(w, ch, TL_PQ_PAGE_DICTIONARY, nd, 0, path, err);
}

/* The definition levels of rows [r0, r0 + pn), with their 4-byte length;
 * the count of non-null values among them. */
static size_t put_levels(tl_pq_writer *w, int c, size_t r0, size_t pn, bool any_null) {
    size_t at = w->page.len, nn = pn;
    uint32_t len = 0;
    tl_buf_append(&w->page, &len, 4);
    if (any_null) {
        nn = 0;
        for (size_t i = r0; i < r0 + pn; i++)
            nn += w->defs[c][i];
        tl_pq_rle_encode(&w->page, w->defs[c] + r0, pn, 1);
    } else { /* one RLE run of pn 1s */
        uint8_t hdr[11];
        size_t h = 0;
        uint64_t v = (uint64_t)pn << 1;
        while (v >= 0x80) {
            hdr[h++] = (uint8_t)(v | 0x80);
            v >>= 7;
        }
        hdr[h++] = (uint8_t)v;
        hdr[h++] = 1;
        tl_buf_append(&w->page, hdr, h);
    }
    if (!w->page.failed) {
        len = (uint32_t)(w->page.len - at - 4);
        memcpy(w->page.data + at, &len, 4);
    }
    return nn;
}

/* The non-null values v0..v0+nn of the page, PLAIN. */
static void put_plain(tl_pq_writer *w, int c, size_t v0, size_t nn) {
    if (nn == 0 || tl_pq_cols[c].kind == TL_PQ_STR) /* a string column of NULLs only */
        return;
    const int64_t *v = w->vals[c] + v0;
    switch (tl_pq_cols[c].kind) {
    case TL_PQ_I64: tl_buf_append(&w->page, v, nn * 8); break;
    case TL_PQ_I32:
        if (tl_buf_reserve(&w->page, nn * 4) != 0)
            return;
        for (size_t i = 0; i < nn; i++) {
            int32_t x = (int32_t)v[i];
            memcpy(w->page.data + w->page.len + i * 4, &x, 4);
        }
        w->page.len += nn * 4;
        break;
    case TL_PQ_BOOL: /* bit-packed, LSB first */
        if (tl_buf_reserve(&w->page, (nn + 7) / 8) != 0)
            return;
        memset(w->page.data + w->page.len, 0, (nn + 7) / 8);
        for (size_t i = 0; i < nn; i++)
            if (v[i])
                w->page.data[w->page.len + i / 8] |= (char)(1u << (i % 8));
        w->page.len += (nn + 7) / 8;
        break;
    case TL_PQ_STR: break; /* always a dictionary */
    }
}

static int data_pages(tl_pq_writer *w, tl_pq_chunk *ch, int c, size_t n, bool any_null,
                      const char *path, tl_err *err) {
    size_t v0 = 0;
    int bw = ch->dict ? tl_pq_bit_width(ch->distinct > 0 ? (uint32_t)(ch->distinct - 1) : 0) : 0;
    ch->data_off = (int64_t)w->file.len;
    for (size_t r0 = 0; r0 < n || (n == 0 && r0 == 0); r0 += w->page_rows) {
        size_t pn = n - r0 < w->page_rows ? n - r0 : w->page_rows;
        tl_buf_reset(&w->page);
        size_t nn = put_levels(w, c, r0, pn, any_null);
        if (ch->dict) {
            uint8_t b = (uint8_t)bw;
            tl_buf_append(&w->page, &b, 1);
            const uint32_t *idx = tl_pq_cols[c].kind == TL_PQ_STR ? w->sidx[c] : w->idx;
            tl_pq_rle_encode(&w->page, idx + v0, nn, bw);
        } else {
            put_plain(w, c, v0, nn);
        }
        int rc = emit_page(w, ch, TL_PQ_PAGE_DATA, pn,
                           ch->dict ? TL_PQ_ENC_PLAIN_DICTIONARY : TL_PQ_ENC_PLAIN, path, err);
        if (rc)
            return rc;
        v0 += nn;
        if (n == 0)
            break;
    }
    return 0;
}

/* A dictionary for an int64 column, unless it would hold more than an
 * eighth of the values: beyond that PLAIN compresses better. Measured on
 * 1M simulated ticks, 500 symbols (bench/parquet_size.sh's input): the
 * stream's files were 13.28 MB with the limit at 1/2, 12.72 at 1/4, 12.68
 * at 1/8 (seq, 10-40% distinct, goes PLAIN), 13.58 at 1/16 (prices, ~8%
 * distinct, go PLAIN too). DuckDB's writer: 13.24 MB. */
static bool try_dict64(tl_pq_writer *w, int c, size_t k) {
    size_t max = k / 8 > 0 ? k / 8 : 1;
    if (tl_pq_dict64_reset(&w->d64, max) != 0)
        return false; /* out of memory: PLAIN needs no more */
    for (size_t i = 0; i < k; i++) {
        int64_t e = tl_pq_dict64_add(&w->d64, w->vals[c][i], max);
        if (e < 0)
            return false;
        w->idx[i] = (uint32_t)e;
    }
    return true;
}

int tl_pq_column_write(tl_pq_writer *w, int c, size_t n, tl_pq_chunk *ch, const char *path,
                       tl_err *err) {
    const tl_pq_coldef *cd = &tl_pq_cols[c];
    size_t k = w->nvals[c];
    int rc;
    *ch = (tl_pq_chunk){.col = c, .num_values = (int64_t)n, .dict_off = -1, .distinct = -1};
    if (cd->kind == TL_PQ_STR) {
        stats_str(ch, &w->dstr[c]);
        ch->dict = k > 0;
    } else {
        stats_int(ch, c, w->vals[c], k);
        ch->dict = cd->dict && k > 0 && try_dict64(w, c, k);
    }
    ch->nulls = (int64_t)(n - k);
    if (ch->dict && (rc = dict_page(w, ch, c, path, err)) != 0)
        return rc;
    return data_pages(w, ch, c, n, k < n, path, err);
}
