/* Per-symbol quality state and its update on each accepted tick. */
#include "quality/quality.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quality/quality_int.h"

#define EWMA_ALPHA 0.05 /* weight of the newest return: about the last 40 count */

tl_quality *tl_quality_new(const tl_quality_opts *opts) {
    tl_quality *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    if (opts)
        q->o = *opts;
    if (q->o.jump_sigmas <= 0)
        q->o.jump_sigmas = 6;
    if (q->o.warmup <= 0)
        q->o.warmup = 30;
    if (q->o.stale_after_s <= 0)
        q->o.stale_after_s = 60;
    if (!q->o.max_symbols)
        q->o.max_symbols = 100000;
    q->newest_ts_us = INT64_MIN;
    pthread_mutex_init(&q->mu, NULL);
    if (!(q->index = tl_strmap_new(free))) {
        tl_quality_destroy(q);
        return NULL;
    }
    return q;
}

void tl_quality_destroy(tl_quality *q) {
    if (!q)
        return;
    tl_strmap_destroy(q->index);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

static tl_quality_sym *sym_get(tl_quality *q, const char *name) {
    tl_quality_sym *s = tl_strmap_get(q->index, name);
    if (s || tl_strmap_count(q->index) >= q->o.max_symbols)
        return s;
    if (!(s = calloc(1, sizeof *s)))
        return NULL;
    if (tl_strmap_put(q->index, name, s) != 0) {
        free(s);
        return NULL;
    }
    snprintf(s->f.symbol, sizeof s->f.symbol, "%s", name);
    s->f.last_ts_us = INT64_MIN;
    s->f.max_seq = TL_QUALITY_NO_SEQ;
    return s;
}

/* seen_below bit i: seq max_seq - 1 - i arrived. A jump forward counts the
 * numbers it skipped as missing; one of them arriving later (reordered,
 * late) takes it back. Older than the 64 below the newest: not judged. */
static void seq_add(tl_quality_sym *s, int64_t seq) {
    tl_quality_symbol *f = &s->f;
    if (f->max_seq == TL_QUALITY_NO_SEQ) {
        f->max_seq = seq;
        return;
    }
    if (seq > f->max_seq) {
        uint64_t d = (uint64_t)(seq - f->max_seq);
        if (d - 1 > TL_QUALITY_RENUMBER) { /* a producer restarted on a new base */
            s->seen_below = 0;
            f->max_seq = seq;
            return;
        }
        if (d > 1) {
            f->seq_gaps++;
            f->seq_missing += (int64_t)(d - 1);
        }
        s->seen_below = d >= 64 ? 0 : s->seen_below << d;
        if (d - 1 < 64)
            s->seen_below |= 1ULL << (d - 1); /* the previous newest */
        f->max_seq = seq;
    } else if (seq < f->max_seq) {
        uint64_t i = (uint64_t)(f->max_seq - 1 - seq);
        if (i < 64 && !(s->seen_below & (1ULL << i))) {
            s->seen_below |= 1ULL << i;
            if (f->seq_missing > 0)
                f->seq_missing--;
        }
    }
}

/* Relative returns, their exponentially weighted mean and variance; a
 * return too far out is a jump and does not widen the band it broke. */
static void price_add(tl_quality *q, tl_quality_sym *s, int64_t price) {
    if (s->prev_price > 0 && price > 0) {
        double r = (double)(price - s->prev_price) / (double)s->prev_price;
        double dev = r - s->mean;
        if (s->nret >= q->o.warmup && s->var > 0 &&
            fabs(dev) > (double)q->o.jump_sigmas * sqrt(s->var)) {
            s->f.jumps++;
        } else {
            s->mean += EWMA_ALPHA * dev;
            s->var = (1 - EWMA_ALPHA) * (s->var + EWMA_ALPHA * dev * dev);
            s->nret++;
        }
    }
    s->prev_price = price;
}

void tl_quality_observe(tl_quality *q, const char *symbol, int64_t ts_us, int64_t seq,
                        int64_t price, int64_t bid, int64_t ask) {
    pthread_mutex_lock(&q->mu);
    tl_quality_sym *s = sym_get(q, symbol);
    if (!s)
        goto out;
    s->f.ticks++;
    if (ts_us > s->f.last_ts_us)
        s->f.last_ts_us = ts_us;
    if (ts_us > q->newest_ts_us)
        q->newest_ts_us = ts_us;
    if (seq != TL_QUALITY_NO_SEQ)
        seq_add(s, seq);
    price_add(q, s, price);
    if (bid != TL_QUALITY_NO_QUOTE && ask != TL_QUALITY_NO_QUOTE && bid > ask)
        s->f.crossed++;
out:
    pthread_mutex_unlock(&q->mu);
}

void tl_quality_set_rejected_crossed(tl_quality *q, uint64_t n) {
    pthread_mutex_lock(&q->mu);
    q->crossed_rejected = n;
    pthread_mutex_unlock(&q->mu);
}

bool tl_quality_get(tl_quality *q, const char *symbol, tl_quality_symbol *out) {
    pthread_mutex_lock(&q->mu);
    tl_quality_sym *s = tl_strmap_get(q->index, symbol);
    if (s)
        *out = s->f;
    pthread_mutex_unlock(&q->mu);
    return s != NULL;
}
