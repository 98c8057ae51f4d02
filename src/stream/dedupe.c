/* Open addressing with linear probing over 24-byte slots. A symbol (at
 * most 12 characters of A-Z 0-9 . -, as the codec guarantees) packs
 * exactly into 64 bits in base 39, so a slot holds the key itself, not a
 * hash of it: no string compares, no false positives, and three slots to
 * a cache line. Eviction rebuilds the table in one pass, cheaper than
 * tombstones when large parts expire at once. */
#include "stream/dedupe.h"

#include <stdlib.h>
#include <string.h>

typedef struct slot {
    uint64_t sym; /* packed symbol; 0 = empty slot */
    int64_t seq;
    int64_t keep_until_us;
} slot;

struct tl_dedupe {
    slot *slots;
    size_t cap; /* power of two */
    size_t count;
    int64_t min_keep; /* smallest keep_until_us in the table: evict is free below it */
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

static size_t slot_index(uint64_t sym, int64_t seq, size_t cap) {
    uint64_t h = sym * 0x9e3779b97f4a7c15ULL ^ (uint64_t)seq * 0xc2b2ae3d27d4eb4fULL;
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
    if (d) {
        free(d->slots);
        free(d);
    }
}

static void place(slot *slots, size_t cap, const slot *s) {
    size_t i = slot_index(s->sym, s->seq, cap);
    while (slots[i].sym)
        i = (i + 1) & (cap - 1);
    slots[i] = *s;
}

/* Rehash every entry kept by the horizon into a table of new_cap slots. */
static int rebuild(tl_dedupe *d, size_t new_cap, int64_t horizon_us) {
    slot *fresh = calloc(new_cap, sizeof *fresh);
    if (!fresh)
        return -1;
    size_t count = 0;
    int64_t min_keep = INT64_MAX;
    for (size_t i = 0; i < d->cap; i++) {
        if (d->slots[i].sym && d->slots[i].keep_until_us >= horizon_us) {
            place(fresh, new_cap, &d->slots[i]);
            count++;
            if (d->slots[i].keep_until_us < min_keep)
                min_keep = d->slots[i].keep_until_us;
        }
    }
    d->min_keep = min_keep;
    free(d->slots);
    d->slots = fresh;
    d->cap = new_cap;
    d->count = count;
    return 0;
}

int tl_dedupe_seen(tl_dedupe *d, const char *symbol, int64_t seq, int64_t keep_until_us) {
    uint64_t sym = pack_symbol(symbol);
    size_t i = slot_index(sym, seq, d->cap);
    for (; d->slots[i].sym; i = (i + 1) & (d->cap - 1)) {
        slot *s = &d->slots[i];
        if (s->sym == sym && s->seq == seq) {
            if (keep_until_us > s->keep_until_us)
                s->keep_until_us = keep_until_us;
            return 1;
        }
    }
    if ((d->count + 1) * 4 > d->cap * 3) { /* keep the load under 3/4 */
        if (rebuild(d, d->cap * 2, INT64_MIN) != 0)
            return -1;
        return tl_dedupe_seen(d, symbol, seq, keep_until_us);
    }
    d->slots[i] = (slot){sym, seq, keep_until_us};
    d->count++;
    if (keep_until_us < d->min_keep)
        d->min_keep = keep_until_us;
    return 0;
}

void tl_dedupe_evict(tl_dedupe *d, int64_t horizon_us) {
    if (horizon_us <= d->min_keep)
        return; /* nothing has expired: no pass over the table */
    size_t cap = d->cap;
    while (cap > MIN_CAP && d->count * 8 < cap) /* shrink when mostly empty */
        cap /= 2;
    rebuild(d, cap, horizon_us); /* on failure the old table stays: still correct */
}

size_t tl_dedupe_count(const tl_dedupe *d) {
    return d->count;
}
