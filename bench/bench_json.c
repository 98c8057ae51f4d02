/* JSON parser micro-benchmark for tick messages.
 *
 * Parses the same few hundred distinct ~120-byte tick messages (generated
 * here, deterministically) N times each way and prints msgs/s and ns/msg:
 *   tl_tick_parse      the parser as the stream runs it: the tick-specialised
 *                      fast path (tick/tick_fast.c), yajl for what it declines
 *   tl_tick_parse/yajl the same parser with the fast path off: yajl callbacks +
 *                      exact decimals + validation for every message
 *   tick_fast alone    tl_tick_fast_parse on its own (no parser state reset)
 *   yajl bare          yajl callback parse with no-op callbacks, a fresh
 *                      handle per message from malloc: the floor for yajl
 *   json-c + fields    json_tokener_parse_ex with a reused tokener, then the
 *                      same fields fetched and converted exactly (price from
 *                      the number's original text, ts by tl_rfc3339_parse)
 * json-c is only built in when compiled with -DTL_BENCH_JSONC (see
 * bench/json_parsers.sh); `make bench` builds the yajl rows.
 *
 * Usage: bench_json [N]   (N messages per run, default 3000000)
 * TL_BENCH_EXTRA=1 sets the parser up with extra columns (schema.extra_columns). */
#include "tick/tick.h"
#include "tick/tick_fast.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yajl/yajl_parse.h>
#ifdef TL_BENCH_JSONC
#include <json-c/json.h>
#endif

#define DISTINCT 400
#define RUNS 3 /* best of */

typedef struct msgs {
    char *text[DISTINCT];
    size_t len[DISTINCT];
    size_t total_bytes;
} msgs;

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t next_rand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Realistic ticks: a few symbols, prices with 2-4 decimals, bid < ask. */
static void make_msgs(msgs *m) {
    static const char *const syms[] = {"AAPL", "MSFT", "NVDA", "BRK.B", "TSLA", "SPY", "AMZN"};
    static const char *const exch[] = {"XNAS", "XNYS", "ARCX", "BATS"};
    int64_t ts = 1795551303123456LL;
    m->total_bytes = 0;
    for (int i = 0; i < DISTINCT; i++) {
        char buf[256], tsbuf[40], px[32], bid[32], ask[32];
        int64_t price = 100000000 + (int64_t)(next_rand() % 400000000) / 100 * 100;
        ts += (int64_t)(next_rand() % 5000);
        tl_rfc3339_format(ts, tsbuf, sizeof tsbuf);
        tl_decimal_format(price, px, sizeof px);
        tl_decimal_format(price - 10000, bid, sizeof bid);
        tl_decimal_format(price + 10000, ask, sizeof ask);
        const char *sym = syms[next_rand() % 7], *ex = exch[next_rand() % 4];
        int size = (int)(next_rand() % 5000) + 1, n;
        if (i % 2) /* a trade */
            n = snprintf(buf, sizeof buf,
                         "{\"symbol\":\"%s\",\"ts\":\"%s\",\"price\":%s,\"size\":%d,"
                         "\"exchange\":\"%s\",\"seq\":%d}",
                         sym, tsbuf, px, size, ex, i);
        else /* a trade with the quote at that moment */
            n = snprintf(buf, sizeof buf,
                         "{\"symbol\":\"%s\",\"ts\":\"%s\",\"price\":%s,\"size\":%d,"
                         "\"bid\":%s,\"ask\":%s,\"exchange\":\"%s\",\"seq\":%d}",
                         sym, tsbuf, px, size, bid, ask, ex, i);
        m->text[i] = strdup(buf);
        m->len[i] = (size_t)n;
        m->total_bytes += (size_t)n;
    }
}

static double now_sec(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

typedef long (*bench_fn)(void *ctx, const msgs *m, long n);

static void report(const char *name, bench_fn fn, void *ctx, const msgs *m, long n) {
    double best = 1e30;
    long ok = 0;
    fn(ctx, m, n / 10); /* warm caches and the branch predictor */
    for (int r = 0; r < RUNS; r++) {
        double t0 = now_sec();
        ok = fn(ctx, m, n);
        double dt = now_sec() - t0;
        if (dt < best)
            best = dt;
    }
    double avg_len = (double)m->total_bytes / DISTINCT;
    printf("%-18s %12.0f msgs/s %8.1f ns/msg %8.1f MB/s   (%ld/%ld accepted)\n", name,
           (double)n / best, best * 1e9 / (double)n, (double)n * avg_len / best / 1e6, ok, n);
}

/* ---- ours ---- */
static long run_tick(void *ctx, const msgs *m, long n) {
    tl_tick_parser *p = ctx;
    tl_tick t;
    tl_tick_error e;
    long ok = 0;
    for (long i = 0; i < n; i++) {
        int k = (int)(i % DISTINCT);
        ok += tl_tick_parse(p, m->text[k], m->len[k], &t, &e) == 0;
    }
    return ok;
}

static long run_fast(void *ctx, const msgs *m, long n) {
    tl_tick t;
    long ok = 0;
    for (long i = 0; i < n; i++) {
        int k = (int)(i % DISTINCT);
        ok += tl_tick_fast_parse(m->text[k], m->len[k], TL_TS_UNIT_MS, &t);
    }
    return ok;
}

/* ---- bare yajl ---- */
static int y_null(void *c) {
    return 1;
}
static int y_bool(void *c, int b) {
    return 1;
}
static int y_num(void *c, const char *s, size_t l) {
    return 1;
}
static int y_str(void *c, const unsigned char *s, size_t l) {
    return 1;
}
static int y_start(void *c) {
    return 1;
}
static int y_key(void *c, const unsigned char *s, size_t l) {
    return 1;
}

static long run_yajl_bare(void *ctx, const msgs *m, long n) {
    static const yajl_callbacks cb = {y_null,  y_bool, NULL,    NULL,    y_num,  y_str,
                                      y_start, y_key,  y_start, y_start, y_start};
    long ok = 0;
    for (long i = 0; i < n; i++) {
        int k = (int)(i % DISTINCT);
        yajl_handle h = yajl_alloc(&cb, NULL, NULL);
        ok += yajl_parse(h, (const unsigned char *)m->text[k], m->len[k]) == yajl_status_ok &&
              yajl_complete_parse(h) == yajl_status_ok;
        yajl_free(h);
    }
    return ok;
}

#ifdef TL_BENCH_JSONC
/* ---- json-c ---- */
static int jc_money(json_object *o, const char *key, int64_t *v) {
    json_object *f;
    if (!json_object_object_get_ex(o, key, &f))
        return -1;
    /* json-c keeps a number's original text: convert that, not the double */
    const char *s = json_object_get_string(f);
    return s ? tl_decimal_parse(s, strlen(s), v) : -1;
}

static int jc_fields(json_object *o, tl_tick *t) {
    json_object *f;
    if (!json_object_is_type(o, json_type_object))
        return -1;
    if (!json_object_object_get_ex(o, "symbol", &f) || !json_object_is_type(f, json_type_string))
        return -1;
    snprintf(t->symbol, sizeof t->symbol, "%s", json_object_get_string(f));
    if (!json_object_object_get_ex(o, "ts", &f) ||
        tl_rfc3339_parse(json_object_get_string(f), (size_t)json_object_get_string_len(f),
                         &t->ts_us) != 0)
        return -1;
    if (jc_money(o, "price", &t->price))
        return -1;
    if (json_object_object_get_ex(o, "bid", &f) &&
        (jc_money(o, "bid", &t->bid) || jc_money(o, "ask", &t->ask)))
        return -1;
    if (json_object_object_get_ex(o, "size", &f))
        t->size = json_object_get_int64(f);
    if (json_object_object_get_ex(o, "seq", &f))
        t->seq = json_object_get_int64(f);
    if (json_object_object_get_ex(o, "exchange", &f))
        snprintf(t->exchange, sizeof t->exchange, "%s", json_object_get_string(f));
    return 0;
}

static long run_jsonc(void *ctx, const msgs *m, long n) {
    json_tokener *tok = ctx;
    long ok = 0;
    for (long i = 0; i < n; i++) {
        int k = (int)(i % DISTINCT);
        tl_tick t;
        json_tokener_reset(tok);
        json_object *o = json_tokener_parse_ex(tok, m->text[k], (int)m->len[k]);
        if (o && json_tokener_get_error(tok) == json_tokener_success)
            ok += jc_fields(o, &t) == 0;
        json_object_put(o);
    }
    return ok;
}
#endif

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 3000000;
    msgs m;
    if (n <= 0) {
        fprintf(stderr, "usage: bench_json [N]\n");
        return 2;
    }
    make_msgs(&m);
    printf("%d distinct messages, avg %.1f bytes, e.g.\n  %s\n%ld parses per run, best of %d\n\n",
           DISTINCT, (double)m.total_bytes / DISTINCT, m.text[0], n, RUNS);

    tl_tick_parser *p = tl_tick_parser_new(TL_TS_UNIT_MS, 65536);
    /* TL_BENCH_EXTRA=1: as the stream sets it up (two extra columns, unknown
     * fields kept), which ticks without such fields must not feel */
    static const char *const xnames[] = {"venue", "trade_id"};
    static const tl_ext_type xtypes[] = {TL_EXT_STRING, TL_EXT_INT64};
    const char *extra = getenv("TL_BENCH_EXTRA");
    if (p && extra && *extra == '1')
        tl_tick_parser_set_extra(p, xnames, xtypes, 2, TL_UNKNOWN_KEEP);
    report("tl_tick_parse", run_tick, p, &m, n);
    if (p)
        tl_tick_parser_set_fast(p, false);
    report("tl_tick_parse/yajl", run_tick, p, &m, n);
    tl_tick_parser_destroy(p);
    report("tick_fast alone", run_fast, NULL, &m, n);
    report("yajl bare", run_yajl_bare, NULL, &m, n);
#ifdef TL_BENCH_JSONC
    json_tokener *tok = json_tokener_new();
    report("json-c + fields", run_jsonc, tok, &m, n);
    json_tokener_free(tok);
#endif
    for (int i = 0; i < DISTINCT; i++)
        free(m.text[i]);
    return 0;
}
