/* Symbols live in an open-addressing table with linear probing. A symbol (at
 * most 12 characters of A-Z 0-9 . -, as the codec guarantees) packs exactly
 * into 64 bits in base 39, so a slot holds the key itself, not a hash of it:
 * no string compares, no false positives. Each slot owns a sorted array of
 * disjoint, non-adjacent seq ranges; the common case (the next seq of a
 * symbol) extends the last range in place. Eviction rebuilds the table in one
 * pass, dropping symbols left without ranges. */
#include "stream/dedupe.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct range {
    int64_t lo, hi; /* inclusive */
    int64_t keep;   /* newest event time that touched the range */
} range;

typedef struct sym_slot {
    uint64_t sym; /* packed symbol; 0 = empty slot */
    uint32_t n, cap;
    range *r;
} sym_slot;

struct tl_dedupe {
    sym_slot *slots;
    size_t cap; /* power of two */
    size_t nsyms, nranges;
    int64_t min_keep; /* no range's keep is below it: evict is free up to it */
};

#define MIN_CAP 1024

/* Base-39 digits: 1-26 A-Z, 27-36 0-9, 37 '.', 38 '-'; 39^12 < 2^64. A
 * symbol outside the alphabet (never from the codec) still gets a code,
 * just not a unique one. */
static uint64_t pack_symbol(const char *symbol) {
    uint64_t code = 0;
    for (const unsigned char *p = (const unsigned char *)symbol; *p; p++) {
        unsigned c = *p;
        unsigned digit = c >= 'A' && c <= 'Z'   ? c - 'A' + 1
                         : c >= '0' && c <= '9' ? c - '0' + 27
                         : c == '.'             ? 37
                                                : 38;
        code = code * 39 + digit;
    }
    return code ? code : 1;
}

static size_t slot_index(uint64_t sym, size_t cap) {
    uint64_t h = sym * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;
    return (size_t)h & (cap - 1);
}

tl_dedupe *tl_dedupe_new(void) {
    tl_dedupe *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->cap = MIN_CAP;
    d->min_keep = INT64_MAX;
    d->slots = calloc(d->cap, sizeof *d->slots);
    if (!d->slots) {
        free(d);
        return NULL;
    }
    return d;
}

void tl_dedupe_destroy(tl_dedupe *d) {
    if (!d)
        return;
    for (size_t i = 0; i < d->cap; i++)
        free(d->slots[i].r);
    free(d->slots);
    free(d);
}

static void place(sym_slot *slots, size_t cap, const sym_slot *s) {
    size_t i = slot_index(s->sym, cap);
    while (slots[i].sym)
        i = (i + 1) & (cap - 1);
    slots[i] = *s;
}

/* Move every symbol with ranges into a table of new_cap slots. */
static int rehash(tl_dedupe *d, size_t new_cap) {
    sym_slot *fresh = calloc(new_cap, sizeof *fresh);
    if (!fresh)
        return -1;
    d->nsyms = 0;
    for (size_t i = 0; i < d->cap; i++) {
        if (d->slots[i].sym && d->slots[i].n) {
            place(fresh, new_cap, &d->slots[i]);
            d->nsyms++;
        } else {
            free(d->slots[i].r);
        }
    }
    free(d->slots);
    d->slots = fresh;
    d->cap = new_cap;
    return 0;
}

/* The symbol's slot, created (without ranges) if absent; NULL when out of memory. */
static sym_slot *slot_for(tl_dedupe *d, uint64_t sym) {
    size_t i = slot_index(sym, d->cap);
    for (; d->slots[i].sym; i = (i + 1) & (d->cap - 1))
        if (d->slots[i].sym == sym)
            return &d->slots[i];
    if ((d->nsyms + 1) * 4 > d->cap * 3) { /* keep the load under 3/4 */
        if (rehash(d, d->cap * 2) != 0)
            return NULL;
        return slot_for(d, sym);
    }
    d->slots[i] = (sym_slot){.sym = sym};
    d->nsyms++;
    return &d->slots[i];
}

static void touch(range *r, int64_t keep) {
    if (keep > r->keep)
        r->keep = keep;
}

/* Insert [lo, hi] as a new range at index at (the caller checked it touches
 * no other). */
static int insert_range(tl_dedupe *d, sym_slot *s, uint32_t at, int64_t lo, int64_t hi,
                        int64_t keep) {
    if (s->n == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 2;
        range *r = realloc(s->r, cap * sizeof *r);
        if (!r)
            return -1;
        s->r = r;
        s->cap = cap;
    }
    memmove(&s->r[at + 1], &s->r[at], (s->n - at) * sizeof *s->r);
    s->r[at] = (range){lo, hi, keep};
    s->n++;
    d->nranges++;
    if (keep < d->min_keep)
        d->min_keep = keep;
    return 0;
}

static void remove_range(tl_dedupe *d, sym_slot *s, uint32_t at) {
    memmove(&s->r[at], &s->r[at + 1], (s->n - at - 1) * sizeof *s->r);
    s->n--;
    d->nranges--;
}

/* Index of the first range with hi >= seq (s->n if none). */
static uint32_t lower_bound(const sym_slot *s, int64_t seq) {
    uint32_t a = 0, b = s->n;
    while (a < b) {
        uint32_t m = a + (b - a) / 2;
        if (s->r[m].hi < seq)
            a = m + 1;
        else
            b = m;
    }
    return a;
}

static bool adjacent(int64_t hi, int64_t lo) { /* hi + 1 == lo, without overflow */
    return hi < lo && lo - hi == 1;
}

int tl_dedupe_seen(tl_dedupe *d, const char *symbol, int64_t seq, int64_t keep_us) {
    sym_slot *s = slot_for(d, pack_symbol(symbol));
    if (!s)
        return -1;
    if (s->n && adjacent(s->r[s->n - 1].hi, seq)) { /* the next seq: the common case */
        s->r[s->n - 1].hi = seq;
        touch(&s->r[s->n - 1], keep_us);
        return 0;
    }
    uint32_t i = lower_bound(s, seq);
    if (i < s->n && s->r[i].lo <= seq) {
        touch(&s->r[i], keep_us);
        return 1;
    }
    bool left = i > 0 && adjacent(s->r[i - 1].hi, seq);
    bool right = i < s->n && adjacent(seq, s->r[i].lo);
    if (left && right) { /* closes a gap: two ranges become one */
        s->r[i - 1].hi = s->r[i].hi;
        touch(&s->r[i - 1], s->r[i].keep);
        touch(&s->r[i - 1], keep_us);
        remove_range(d, s, i);
    } else if (left) {
        s->r[i - 1].hi = seq;
        touch(&s->r[i - 1], keep_us);
    } else if (right) {
        s->r[i].lo = seq;
        touch(&s->r[i], keep_us);
    } else if (insert_range(d, s, i, seq, seq, keep_us) != 0) {
        return -1;
    }
    return 0;
}

int tl_dedupe_add_range(tl_dedupe *d, const char *symbol, int64_t lo, int64_t hi, int64_t keep_us) {
    if (lo > hi)
        return 0;
    sym_slot *s = slot_for(d, pack_symbol(symbol));
    if (!s)
        return -1;
    /* Ranges from recovery may overlap or touch what is there: absorb every
     * range that meets [lo-1, hi+1] into one. */
    uint32_t i = lower_bound(s, lo == INT64_MIN ? lo : lo - 1);
    int64_t keep = keep_us;
    while (i < s->n && (s->r[i].lo <= hi || adjacent(hi, s->r[i].lo))) {
        if (s->r[i].lo < lo)
            lo = s->r[i].lo;
        if (s->r[i].hi > hi)
            hi = s->r[i].hi;
        if (s->r[i].keep > keep)
            keep = s->r[i].keep;
        remove_range(d, s, i);
    }
    return insert_range(d, s, i, lo, hi, keep);
}

void tl_dedupe_evict(tl_dedupe *d, int64_t horizon_us, int64_t slack_us) {
    if (horizon_us <= d->min_keep || horizon_us - slack_us <= d->min_keep)
        return; /* nothing expired long enough ago to be worth a pass */
    int64_t min_keep = INT64_MAX;
    size_t dropped = 0;
    for (size_t i = 0; i < d->cap; i++) {
        sym_slot *s = &d->slots[i];
        if (!s->sym)
            continue;
        uint32_t k = 0;
        for (uint32_t j = 0; j < s->n; j++) {
            if (s->r[j].keep < horizon_us)
                continue;
            if (s->r[j].keep < min_keep)
                min_keep = s->r[j].keep;
            s->r[k++] = s->r[j];
        }
        d->nranges -= s->n - k;
        s->n = k;
        dropped += k == 0;
    }
    d->min_keep = min_keep;
    if (dropped == 0)
        return;
    size_t cap = d->cap, live = d->nsyms - dropped;
    while (cap > MIN_CAP && live * 8 < cap) /* shrink when mostly empty */
        cap /= 2;
    rehash(d, cap); /* out of memory: the emptied slots stay, still correct */
}

size_t tl_dedupe_count(const tl_dedupe *d) {
    return d->nranges;
}

size_t tl_dedupe_symbols(const tl_dedupe *d) {
    return d->nsyms;
}

size_t tl_dedupe_bytes(const tl_dedupe *d) {
    size_t bytes = sizeof *d + d->cap * sizeof *d->slots;
    for (size_t i = 0; i < d->cap; i++)
        bytes += d->slots[i].cap * sizeof(range);
    return bytes;
}
