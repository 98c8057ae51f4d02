/* live: the state, ingest, bars and statistics. */
#include "live/live_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"

#define MINUTE_US 60000000LL
#define DAY_US 86400000000LL

static void sym_free(void *p) {
    tl_live_sym *s = p;
    if (!s)
        return;
    free(s->bars);
    free(s->spark);
    free(s);
}

tl_live *tl_live_new(const tl_live_opts *opts) {
    tl_live *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    if (opts)
        l->o = *opts;
    if (!l->o.max_symbols)
        l->o.max_symbols = 100000;
    if (!l->o.bar_minutes)
        l->o.bar_minutes = 240;
    if (!l->o.spark_points)
        l->o.spark_points = 60;
    if (l->o.spark_step_s <= 0)
        l->o.spark_step_s = 5;
    l->lag = -1;
    l->lake_version = -1;
    l->started_ms = tl_now_us() / 1000;
    l->since_us = tl_now_us();
    pthread_mutex_init(&l->mu, NULL);
    if (!(l->index = tl_strmap_new(sym_free)) || !(l->quality = tl_quality_new(&l->o.quality))) {
        tl_live_destroy(l);
        return NULL;
    }
    return l;
}

void tl_live_destroy(tl_live *l) {
    if (!l)
        return;
    tl_strmap_destroy(l->index);
    tl_quality_destroy(l->quality);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static tl_live_sym *sym_get(tl_live *l, const char *name) {
    tl_live_sym *s = tl_strmap_get(l->index, name);
    if (s || tl_strmap_count(l->index) >= l->o.max_symbols)
        return s;
    s = calloc(1, sizeof *s);
    if (s)
        s->spark = calloc(l->o.spark_points, sizeof *s->spark);
    if (!s || !s->spark || tl_strmap_put(l->index, name, s) != 0) {
        sym_free(s);
        return NULL;
    }
    snprintf(s->name, sizeof s->name, "%s", name);
    s->day_us = INT64_MIN;
    s->last_ts_us = INT64_MIN;
    s->spark_slot = INT64_MIN;
    return s;
}

/* Make room for one more bar: grow the ring (doubling, up to the limit) or
 * drop the oldest. Returns the slot for the new newest bar, or NULL. */
static tl_live_bar *bar_push(tl_live *l, tl_live_sym *s) {
    if (s->bars_n == s->bars_cap && s->bars_cap < l->o.bar_minutes) {
        size_t cap = s->bars_cap ? s->bars_cap * 2 : 8;
        if (cap > l->o.bar_minutes)
            cap = l->o.bar_minutes;
        tl_live_bar *nb = malloc(cap * sizeof *nb);
        if (!nb)
            return NULL;
        for (size_t i = 0; i < s->bars_n; i++) /* linearise: oldest at 0 */
            nb[i] = *tl_live_sym_bar(s, i);
        free(s->bars);
        s->bars = nb;
        s->bars_head = 0;
        s->bars_cap = cap;
    }
    if (s->bars_n == s->bars_cap) {
        s->bars_head = (s->bars_head + 1) % s->bars_cap;
        s->bars_n--;
    }
    tl_live_bar *b = tl_live_sym_bar(s, s->bars_n++);
    memset(b, 0, sizeof *b);
    return b;
}

static void bar_add(tl_live_bar *b, int64_t price, int64_t size, bool newest) {
    if (b->n == 0) {
        b->o = b->h = b->l = b->c = price;
    } else {
        if (price > b->h)
            b->h = price;
        if (price < b->l)
            b->l = price;
        if (newest)
            b->c = price;
    }
    b->n++;
    b->volume += size;
    b->sum_p += price;
    b->sum_pv += (double)price * (double)size;
}

/* The tick's minute bar: the newest, a new one, or an older one still in
 * the ring (a late tick); NULL when it fell out of the ring. */
static void bars_add(tl_live *l, tl_live_sym *s, int64_t ts_us, int64_t price, int64_t size,
                     bool newest) {
    int64_t minute = floor_div(ts_us, MINUTE_US) * MINUTE_US;
    if (s->bars_n == 0 || minute > tl_live_sym_bar(s, s->bars_n - 1)->t_us) {
        tl_live_bar *b = bar_push(l, s);
        if (!b)
            return;
        b->t_us = minute;
        bar_add(b, price, size, true);
        return;
    }
    for (size_t i = s->bars_n; i-- > 0;) {
        tl_live_bar *b = tl_live_sym_bar(s, i);
        if (b->t_us == minute) {
            bar_add(b, price, size, newest && i == s->bars_n - 1);
            return;
        }
        if (b->t_us < minute)
            return; /* a minute without a bar in the ring: too rare to insert */
    }
}

static void spark_add(tl_live *l, tl_live_sym *s, int64_t ts_us, int64_t price) {
    int64_t slot = floor_div(ts_us, l->o.spark_step_s * 1000000);
    if (slot < s->spark_slot)
        return;
    size_t cap = l->o.spark_points;
    if (slot == s->spark_slot) {
        s->spark[(s->spark_head + s->spark_n - 1) % cap] = price;
        return;
    }
    if (s->spark_n == cap) {
        s->spark_head = (s->spark_head + 1) % cap;
        s->spark_n--;
    }
    s->spark[(s->spark_head + s->spark_n++) % cap] = price;
    s->spark_slot = slot;
    s->spark_gen = l->gen;
}

static void day_add(tl_live_sym *s, int64_t ts_us, int64_t price, int64_t size) {
    int64_t day = floor_div(ts_us, DAY_US) * DAY_US;
    if (day < s->day_us)
        return; /* a late tick of yesterday: the lake has it, today's numbers don't */
    if (day > s->day_us) {
        s->day_us = day;
        s->open = s->min = s->max = price;
        s->n = s->volume = s->sum_p = 0;
        s->sum_pv = 0;
    }
    if (price < s->min)
        s->min = price;
    if (price > s->max)
        s->max = price;
    s->n++;
    s->volume += size;
    s->sum_p += price;
    s->sum_pv += (double)price * (double)size;
}

static void rate_count(tl_live *l) {
    int64_t sec = tl_mono_ms() / 1000;
    size_t i = (size_t)(sec % TL_LIVE_RATE_SLOTS);
    if (l->rate_sec[i] != sec) {
        l->rate_sec[i] = sec;
        l->rate_cnt[i] = 0;
    }
    l->rate_cnt[i]++;
}

/* Ticks per second over the last complete seconds. */
double tl_live_rate_locked(tl_live *l) {
    int64_t now = tl_mono_ms() / 1000;
    uint64_t sum = 0;
    int secs = TL_LIVE_RATE_SLOTS - 2;
    for (int k = 1; k <= secs; k++) {
        size_t i = (size_t)((now - k) % TL_LIVE_RATE_SLOTS);
        if (l->rate_sec[i] == now - k)
            sum += l->rate_cnt[i];
    }
    return (double)sum / secs;
}

static void add(tl_live *l, const char *symbol, int64_t ts_us, int64_t price, int64_t size,
                bool ingest) {
    pthread_mutex_lock(&l->mu);
    tl_live_sym *s = sym_get(l, symbol);
    if (ingest) {
        l->ticks++;
        rate_count(l);
    }
    if (!s) {
        l->dropped_symbols++;
        goto out;
    }
    bool newest = ts_us >= s->last_ts_us;
    l->gen++;
    s->gen = l->gen;
    if (newest) {
        s->last = price;
        s->last_ts_us = ts_us;
        spark_add(l, s, ts_us, price);
    }
    day_add(s, ts_us, price, size);
    bars_add(l, s, ts_us, price, size, newest);
out:
    pthread_mutex_unlock(&l->mu);
}

void tl_live_add(tl_live *l, const char *symbol, int64_t ts_us, int64_t price, int64_t size) {
    add(l, symbol, ts_us, price, size, true);
}

void tl_live_load(tl_live *l, const char *symbol, int64_t ts_us, int64_t price, int64_t size) {
    add(l, symbol, ts_us, price, size, false);
}

void tl_live_on_row(void *ud, const tl_tick_row *row) {
    const tl_tick *t = &row->tick;
    /* quality first: the generation tl_live_add moves then covers it too, so
     * the SSE hub's health signature never misses a quality change */
    tl_quality_observe(((tl_live *)ud)->quality, t->symbol, t->ts_us,
                       (t->has & TL_TICK_HAS_SEQ) ? t->seq : TL_QUALITY_NO_SEQ, t->price,
                       (t->has & TL_TICK_HAS_BID) ? t->bid : TL_QUALITY_NO_QUOTE,
                       (t->has & TL_TICK_HAS_ASK) ? t->ask : TL_QUALITY_NO_QUOTE);
    tl_live_add(ud, t->symbol, t->ts_us, t->price, (t->has & TL_TICK_HAS_SIZE) ? t->size : 0);
}

tl_quality *tl_live_quality(tl_live *l) {
    return l->quality;
}

void tl_live_set_since(tl_live *l, int64_t since_us) {
    pthread_mutex_lock(&l->mu);
    l->since_us = since_us;
    pthread_mutex_unlock(&l->mu);
}

int64_t tl_live_since(tl_live *l) {
    pthread_mutex_lock(&l->mu);
    int64_t v = l->since_us;
    pthread_mutex_unlock(&l->mu);
    return v;
}

size_t tl_live_symbol_count(tl_live *l) {
    pthread_mutex_lock(&l->mu);
    size_t n = tl_strmap_count(l->index);
    pthread_mutex_unlock(&l->mu);
    return n;
}

uint64_t tl_live_gen(tl_live *l) {
    pthread_mutex_lock(&l->mu);
    uint64_t g = l->gen;
    pthread_mutex_unlock(&l->mu);
    return g;
}

int64_t tl_live_covered_from(tl_live *l, const char *symbol) {
    pthread_mutex_lock(&l->mu);
    int64_t from = l->since_us;
    tl_live_sym *s = tl_strmap_get(l->index, symbol);
    if (s && s->bars_n == l->o.bar_minutes) { /* full: the oldest minutes are gone */
        int64_t oldest = tl_live_sym_bar(s, 0)->t_us + MINUTE_US;
        if (oldest > from)
            from = oldest;
    }
    pthread_mutex_unlock(&l->mu);
    return from;
}

static void bar_merge(tl_live_bar *into, const tl_live_bar *b) {
    if (into->n == 0) {
        *into = *b;
        return;
    }
    if (b->h > into->h)
        into->h = b->h;
    if (b->l < into->l)
        into->l = b->l;
    into->c = b->c;
    into->n += b->n;
    into->volume += b->volume;
    into->sum_p += b->sum_p;
    into->sum_pv += b->sum_pv;
}

size_t tl_live_bars(tl_live *l, const char *symbol, int64_t from_us, int64_t to_us,
                    int64_t interval_s, tl_live_bar *out, size_t cap) {
    int64_t step = (interval_s < 60 ? 60 : interval_s) * 1000000;
    size_t n = 0;
    pthread_mutex_lock(&l->mu);
    tl_live_sym *s = tl_strmap_get(l->index, symbol);
    for (size_t i = 0; s && i < s->bars_n; i++) {
        const tl_live_bar *b = tl_live_sym_bar(s, i);
        if (b->t_us < from_us || b->t_us >= to_us)
            continue;
        int64_t t = floor_div(b->t_us, step) * step;
        if (n > 0 && out[n - 1].t_us == t) {
            bar_merge(&out[n - 1], b);
        } else if (n < cap) {
            out[n] = *b;
            out[n].t_us = t;
            n++;
        } else {
            break;
        }
    }
    pthread_mutex_unlock(&l->mu);
    return n;
}

void tl_live_stats_get(tl_live *l, const char *symbol, int64_t from_us, int64_t to_us,
                       tl_live_stats *out) {
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&l->mu);
    tl_live_sym *s = tl_strmap_get(l->index, symbol);
    for (size_t i = 0; s && i < s->bars_n; i++) {
        const tl_live_bar *b = tl_live_sym_bar(s, i);
        if (b->t_us + MINUTE_US <= from_us || b->t_us >= to_us || b->n == 0)
            continue;
        if (out->count == 0 || b->l < out->min)
            out->min = b->l;
        if (out->count == 0 || b->h > out->max)
            out->max = b->h;
        out->count += b->n;
        out->volume += b->volume;
        out->sum_p += b->sum_p;
        out->sum_pv += b->sum_pv;
    }
    pthread_mutex_unlock(&l->mu);
}

void tl_live_fmt_price(int64_t micros, char *buf, size_t cap) {
    tl_decimal_format(micros, buf, cap); /* the one micro-units formatter */
}
