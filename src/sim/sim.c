/* The tick generator. Prices follow geometric Brownian motion in simulated
 * time (tick i at i/rate s), so they depend only on the seed; quotes sit on
 * the exchange tick grid (0.01 at or above $1, 0.0001 below) in integer
 * micro-units; floating point is used only for the random walk. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_int.h"
#include "util/clock.h"

#define MAX_SYMBOLS 400000
#define DUP_RING 64
#define MSG_CAP 512
/* A trading year in µs (252 days of 6.5 h): the time unit of volatility. */
#define TRADING_YEAR_US (252.0 * 6.5 * 3600.0 * 1e6)
#define ZIPF_S 0.9

typedef struct sym {
    char name[8];
    size_t name_len;
    double logp;  /* log of the mid price in dollars */
    double sigma; /* annualised volatility */
    int spread_ticks;
    int64_t seq;
    int64_t last_sim_us; /* simulated time of its last tick */
    int64_t last_ts_us;  /* event time of its last in-order tick */
} sym;

typedef struct recent {
    uint32_t sym;
    uint16_t len;
    char data[MSG_CAP];
} recent;

struct tl_sim {
    tl_sim_opts o;
    int64_t rate;
    tl_rng rng;
    sym *syms;
    size_t n;
    double *cdf;   /* popularity, cumulative */
    int64_t ticks; /* fresh ticks so far: the simulated clock */
    size_t burst_sym;
    int64_t burst_left;
    recent *ring; /* recent valid messages, for dup */
    size_t ring_n, ring_pos;
    char buf[MSG_CAP];
    tl_sim_counts counts;
};

static const struct {
    const char *mic;
    int weight;
} exchanges[] = {
    {"XNAS", 30}, {"XNYS", 20}, {"ARCX", 10}, {"BATS", 10}, {"EDGX", 8}, {"IEXG", 5},
    {"MEMX", 5},  {"BATY", 4},  {"EDGA", 3},  {"XBOS", 3},  {"XPHL", 2},
};
#define NEXCHANGES (sizeof exchanges / sizeof exchanges[0])

static void init_symbol(tl_sim *s, size_t i) {
    sym *y = &s->syms[i];
    double price;
    tl_sim_ticker(i, y->name, &price);
    y->name_len = strlen(y->name);
    y->seq = s->o.seq_base;
    if (price <= 0) /* generated names: log-uniform from $0.50 to $800 */
        price = exp(log(0.5) + tl_rng_unit(&s->rng) * (log(800.0) - log(0.5)));
    y->logp = log(price);
    /* Cheap stocks move more: 15-45 %, plus up to 35 % more below $20. */
    y->sigma = 0.15 + 0.30 * tl_rng_unit(&s->rng) + (price < 20 ? 0.35 * tl_rng_unit(&s->rng) : 0);
    /* Liquid names quote one tick wide; expensive or obscure ones wider. */
    y->spread_ticks = 1 + (i >= 50) + (int)tl_rng_range(&s->rng, 0, 1) + (price > 500 ? 3 : 0);
}

static int build_popularity(tl_sim *s) {
    s->cdf = malloc(s->n * sizeof *s->cdf);
    if (!s->cdf)
        return -1;
    double total = 0;
    for (size_t i = 0; i < s->n; i++) {
        total += 1.0 / pow((double)(i + 1), ZIPF_S);
        s->cdf[i] = total;
    }
    for (size_t i = 0; i < s->n; i++)
        s->cdf[i] /= total;
    return 0;
}

tl_sim *tl_sim_new(const tl_sim_opts *opts, tl_err *err) {
    if (opts->symbols < 1 || opts->symbols > MAX_SYMBOLS) {
        tl_err_set(err, TL_ERR_INVALID, "--symbols %lld: must be between 1 and %d",
                   (long long)opts->symbols, MAX_SYMBOLS);
        return NULL;
    }
    tl_sim *s = calloc(1, sizeof *s);
    if (!s)
        goto nomem;
    s->o = *opts;
    s->rate = opts->rate > 0 ? opts->rate : 1000;
    s->n = (size_t)opts->symbols;
    tl_rng_seed(&s->rng, opts->seed);
    s->syms = calloc(s->n, sizeof *s->syms);
    s->ring = malloc(DUP_RING * sizeof *s->ring);
    if (!s->syms || !s->ring || build_popularity(s) < 0)
        goto nomem;
    for (size_t i = 0; i < s->n; i++)
        init_symbol(s, i);
    return s;
nomem:
    tl_err_set(err, TL_ERR_NOMEM, "out of memory creating the simulator");
    tl_sim_destroy(s);
    return NULL;
}

void tl_sim_destroy(tl_sim *s) {
    if (!s)
        return;
    free(s->syms);
    free(s->cdf);
    free(s->ring);
    free(s);
}

static size_t pick_symbol(tl_sim *s) {
    if (s->burst_left == 0 && tl_rng_chance(&s->rng, 0.0002)) {
        /* News: one name trades heavily for a while. */
        s->burst_sym = (size_t)tl_rng_range(&s->rng, 0, (int64_t)s->n - 1);
        s->burst_left = tl_rng_range(&s->rng, 100, 1000);
    }
    if (s->burst_left > 0) {
        s->burst_left--;
        if (tl_rng_chance(&s->rng, 0.5))
            return s->burst_sym;
    }
    double u = tl_rng_unit(&s->rng);
    size_t lo = 0, hi = s->n - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const char *pick_exchange(tl_rng *r) {
    int total = 0;
    for (size_t i = 0; i < NEXCHANGES; i++)
        total += exchanges[i].weight;
    int64_t x = tl_rng_range(r, 0, total - 1);
    for (size_t i = 0; i < NEXCHANGES; i++) {
        if (x < exchanges[i].weight)
            return exchanges[i].mic;
        x -= exchanges[i].weight;
    }
    return exchanges[0].mic;
}

/* Round lots of 100 mostly, sometimes large; odd lots 15 % of the time. */
static int64_t pick_size(tl_rng *r) {
    if (tl_rng_chance(r, 0.15))
        return tl_rng_range(r, 1, 99);
    int64_t lots = 1 + (int64_t)(-log(1.0 - tl_rng_unit(r)) * 2.0);
    return (lots > 100 ? 100 : lots) * 100;
}

/* Advance the symbol's random walk to simulated time now_us and quote it. */
static void step_price(tl_sim *s, sym *y, int64_t now_us, tl_tick *t) {
    double dt = (double)(now_us - y->last_sim_us) / TRADING_YEAR_US;
    double sigma = y->sigma * (s->burst_left > 0 && y == &s->syms[s->burst_sym] ? 3.0 : 1.0);
    if (y->seq > s->o.seq_base && dt > 0) /* not the symbol's first tick */
        y->logp += -0.5 * sigma * sigma * dt + sigma * sqrt(dt) * tl_rng_normal(&s->rng);
    if (y->logp < log(0.01)) /* a floor: penny stocks do not vanish */
        y->logp = log(0.01);
    y->last_sim_us = now_us;

    int64_t mid = llround(exp(y->logp) * 1e6);
    int64_t tick = mid >= TL_MICROS ? 10000 : 100;
    mid = (mid + tick / 2) / tick * tick;
    int64_t bid = mid - (y->spread_ticks / 2) * tick;
    if (bid < tick)
        bid = tick;
    int64_t ask = bid + y->spread_ticks * tick;
    double u = tl_rng_unit(&s->rng);
    t->bid = bid;
    t->ask = ask;
    t->price = u < 0.45  ? bid
               : u < 0.9 ? ask
                         : bid + tl_rng_range(&s->rng, 0, y->spread_ticks) * tick;
}

static tl_sim_kind pick_kind(tl_sim *s) {
    const tl_sim_faults *f = &s->o.faults;
    double u = tl_rng_unit(&s->rng);
    if ((u -= f->bad) < 0)
        return TL_SIM_BAD;
    if ((u -= f->late) < 0)
        return TL_SIM_LATE;
    if ((u -= f->dup) < 0)
        return s->ring_n > 0 ? TL_SIM_DUP : TL_SIM_VALID;
    if ((u -= f->ooo) < 0)
        return TL_SIM_OOO;
    return TL_SIM_VALID;
}

static void send_dup(tl_sim *s, tl_sim_msg *out) {
    const recent *r = &s->ring[tl_rng_range(&s->rng, 0, (int64_t)s->ring_n - 1)];
    memcpy(s->buf, r->data, r->len);
    out->key = s->syms[r->sym].name;
    out->key_len = s->syms[r->sym].name_len;
    out->len = r->len;
}

static void remember(tl_sim *s, size_t symi, size_t len) {
    recent *r = &s->ring[s->ring_pos];
    r->sym = (uint32_t)symi;
    r->len = (uint16_t)len;
    memcpy(r->data, s->buf, len);
    s->ring_pos = (s->ring_pos + 1) % DUP_RING;
    if (s->ring_n < DUP_RING)
        s->ring_n++;
}

void tl_sim_next(tl_sim *s, tl_sim_msg *out) {
    tl_sim_kind kind = pick_kind(s);
    out->payload = s->buf;
    out->kind = kind;
    if (kind == TL_SIM_DUP) {
        send_dup(s, out);
        s->counts.dup++;
        s->counts.sent++;
        s->counts.valid++;
        return;
    }
    int64_t sim_us = s->ticks * 1000000 / s->rate;
    s->ticks++;
    size_t symi = pick_symbol(s);
    sym *y = &s->syms[symi];
    tl_tick t = {0};
    memcpy(t.symbol, y->name, y->name_len + 1);
    const char *ex = pick_exchange(&s->rng);
    memcpy(t.exchange, ex, strlen(ex) + 1); /* 4 letters */
    step_price(s, y, sim_us, &t);
    t.size = pick_size(&s->rng);
    t.seq = ++y->seq;
    t.has = TL_TICK_HAS_SIZE | TL_TICK_HAS_BID | TL_TICK_HAS_ASK | TL_TICK_HAS_EXCHANGE |
            TL_TICK_HAS_SEQ;
    int64_t now = s->o.start_us ? s->o.start_us + sim_us : tl_now_us();
    t.ts_us = now;
    out->key = y->name;
    out->key_len = y->name_len;
    switch (kind) {
    case TL_SIM_LATE: t.ts_us = now - tl_rng_range(&s->rng, 120, 600) * 1000000; break;
    case TL_SIM_OOO:
        t.ts_us = (y->last_ts_us ? y->last_ts_us : now) - tl_rng_range(&s->rng, 1000, 5000) * 1000;
        break;
    default: break;
    }
    if (kind == TL_SIM_BAD) {
        out->len = tl_sim_bad_payload(&s->rng, &t, s->buf, sizeof s->buf);
        s->counts.bad++;
    } else {
        out->len = tl_tick_format(&t, s->buf, sizeof s->buf);
        s->counts.valid++;
        if (kind == TL_SIM_VALID) {
            y->last_ts_us = t.ts_us;
            remember(s, symi, out->len);
        } else if (kind == TL_SIM_LATE) {
            s->counts.late++;
        } else {
            s->counts.ooo++;
        }
    }
    s->counts.sent++;
}

void tl_sim_counts_get(const tl_sim *s, tl_sim_counts *out) {
    *out = s->counts;
}
size_t tl_sim_symbol_count(const tl_sim *s) {
    return s->n;
}
const char *tl_sim_symbol(const tl_sim *s, size_t i) {
    return i < s->n ? s->syms[i].name : NULL;
}
