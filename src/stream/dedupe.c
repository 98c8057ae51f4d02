/* Open addressing with linear probing. Eviction rebuilds the table in one
 * pass, which is cheaper than tombstones when large parts expire at once. */
#include "stream/dedupe.h"

#include <stdlib.h>
#include <string.h>

#include "tick/tick.h"

typedef struct slot {
    uint64_t hash; /* 0 = empty */
    int64_t seq;
    int64_t keep_until_us;
    char symbol[TL_SYMBOL_MAX + 1];
} slot;

struct tl_dedupe {
    slot *slots;
    size_t cap; /* power of two */
    size_t count;
};

static uint64_t hash_key(const char *symbol, int64_t seq) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a over the symbol, then mix in seq */
    for (const unsigned char *p = (const unsigned char *)symbol; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    h ^= (uint64_t)seq + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h ? h : 1;
}

tl_dedupe *tl_dedupe_new(void) {
    tl_dedupe *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->cap = 1024;
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
    size_t i = s->hash & (cap - 1);
    while (slots[i].hash)
        i = (i + 1) & (cap - 1);
    slots[i] = *s;
}

/* Rehash every live entry into a table of new_cap slots. */
static int rebuild(tl_dedupe *d, size_t new_cap, int64_t horizon_us) {
    slot *fresh = calloc(new_cap, sizeof *fresh);
    if (!fresh)
        return -1;
    size_t count = 0;
    for (size_t i = 0; i < d->cap; i++) {
        if (d->slots[i].hash && d->slots[i].keep_until_us >= horizon_us) {
            place(fresh, new_cap, &d->slots[i]);
            count++;
        }
    }
    free(d->slots);
    d->slots = fresh;
    d->cap = new_cap;
    d->count = count;
    return 0;
}

int tl_dedupe_seen(tl_dedupe *d, const char *symbol, int64_t seq, int64_t keep_until_us) {
    uint64_t h = hash_key(symbol, seq);
    size_t i = h & (d->cap - 1);
    for (; d->slots[i].hash; i = (i + 1) & (d->cap - 1)) {
        slot *s = &d->slots[i];
        if (s->hash == h && s->seq == seq && strcmp(s->symbol, symbol) == 0) {
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
    slot *s = &d->slots[i];
    s->hash = h;
    s->seq = seq;
    s->keep_until_us = keep_until_us;
    strncpy(s->symbol, symbol, TL_SYMBOL_MAX);
    s->symbol[TL_SYMBOL_MAX] = '\0';
    d->count++;
    return 0;
}

void tl_dedupe_evict(tl_dedupe *d, int64_t horizon_us) {
    size_t cap = d->cap;
    /* shrink when mostly empty, but never below the starting size */
    while (cap > 1024 && d->count * 8 < cap)
        cap /= 2;
    rebuild(d, cap, horizon_us); /* on failure the old table stays: still correct */
}

size_t tl_dedupe_count(const tl_dedupe *d) {
    return d->count;
}
