/* sim: determinism, realistic and valid ticks through the real codec,
 * faults of each kind, popularity skew, the symbol universe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/cmd.h"
#include "cmd/cmd_opts.h"
#include "conf/conf.h"
#include "sim/sim.h"
#include "sim/sim_pump.h"
#include "tick/tick.h"
#include "util/clock.h"

#define START_US 1764000000000000LL /* 2025-11-24T16:00:00Z */

static tl_sim *new_sim(int64_t symbols, uint64_t seed, int64_t rate, const char *faults) {
    tl_sim_opts o = {.symbols = symbols, .seed = seed, .rate = rate, .start_us = START_US};
    tl_err err;
    assert_int_equal(tl_sim_faults_parse(faults, &o.faults, &err), 0);
    tl_sim *s = tl_sim_new(&o, &err);
    assert_non_null(s);
    return s;
}

static void test_faults_parse(void **state) {
    (void)state;
    tl_sim_faults f;
    tl_err err;
    assert_int_equal(tl_sim_faults_parse("bad=0.01,late=0.02,dup=0.03,ooo=0.04", &f, &err), 0);
    assert_true(f.bad == 0.01 && f.late == 0.02 && f.dup == 0.03 && f.ooo == 0.04);
    assert_int_equal(tl_sim_faults_parse("dup=0.5", &f, &err), 0);
    assert_true(f.bad == 0 && f.dup == 0.5);
    assert_int_equal(tl_sim_faults_parse(NULL, &f, &err), 0);
    assert_int_equal(tl_sim_faults_parse("", &f, &err), 0);
    const char *bad[] = {"bad",      "bad=",     "bad=x",           "worse=0.1",      "bad=1.5",
                         "bad=-0.1", "bad=0.1,", "bad=0.6,dup=0.6", "bad=0.1;dup=0.1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(tl_sim_faults_parse(bad[i], &f, &err), TL_ERR_INVALID);
        assert_non_null(strstr(err.msg, bad[i]));
    }
}

static void test_symbol_universe(void **state) {
    (void)state;
    assert_true(tl_sim_builtin_count() >= 100);
    size_t n = 30000;
    char(*names)[8] = calloc(n, 8);
    assert_non_null(names);
    double price;
    for (size_t i = 0; i < n; i++) {
        tl_sim_ticker(i, names[i], &price);
        assert_true(i < tl_sim_builtin_count() ? price > 0 : price == 0);
        size_t len = strlen(names[i]);
        assert_true(len >= 1 && len <= TL_SYMBOL_MAX);
        for (size_t c = 0; c < len; c++)
            assert_true((names[i][c] >= 'A' && names[i][c] <= 'Z') || names[i][c] == '.');
    }
    /* Unique: sort and compare neighbours. */
    qsort(names, n, 8, (int (*)(const void *, const void *))strcmp);
    for (size_t i = 1; i < n; i++)
        assert_string_not_equal(names[i - 1], names[i]);
    free(names);
}

static void test_deterministic(void **state) {
    (void)state;
    tl_sim *a = new_sim(50, 7, 10000, "bad=0.05,late=0.05,dup=0.05,ooo=0.05");
    tl_sim *b = new_sim(50, 7, 10000, "bad=0.05,late=0.05,dup=0.05,ooo=0.05");
    tl_sim *c = new_sim(50, 8, 10000, "bad=0.05,late=0.05,dup=0.05,ooo=0.05");
    int differs = 0;
    for (int i = 0; i < 20000; i++) {
        tl_sim_msg ma, mb, mc;
        tl_sim_next(a, &ma);
        tl_sim_next(b, &mb);
        tl_sim_next(c, &mc);
        assert_int_equal(ma.len, mb.len);
        assert_memory_equal(ma.payload, mb.payload, ma.len);
        assert_int_equal(ma.kind, mb.kind);
        differs |= ma.len != mc.len || memcmp(ma.payload, mc.payload, ma.len) != 0;
    }
    assert_true(differs);
    tl_sim_destroy(a);
    tl_sim_destroy(b);
    tl_sim_destroy(c);
}

typedef struct per_sym {
    char name[16];
    int64_t seq, ts_us, n;
} per_sym;

static per_sym *find_sym(per_sym *t, size_t *n, const char *name) {
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(t[i].name, name))
            return &t[i];
    memset(&t[*n], 0, sizeof t[*n]);
    snprintf(t[*n].name, sizeof t[*n].name, "%s", name);
    return &t[(*n)++];
}

/* Without faults every message is a valid, realistic tick that the codec
 * accepts, keyed by its symbol, on the simulated clock, with seq 1, 2, ... */
static void test_valid_ticks(void **state) {
    (void)state;
    const int64_t rate = 5000;
    tl_sim *s = new_sim(60, 42, rate, NULL);
    tl_tick_parser *p = tl_tick_parser_new(TL_TS_UNIT_MS, 65536);
    per_sym syms[64];
    size_t nsyms = 0;
    int exchanges_seen = 0, odd_lots = 0, below_dollar = 0;
    const int N = 50000;
    for (int i = 0; i < N; i++) {
        tl_sim_msg m;
        tl_tick t;
        tl_tick_error e;
        tl_sim_next(s, &m);
        assert_int_equal(m.kind, TL_SIM_VALID);
        assert_int_equal(tl_tick_parse(p, m.payload, m.len, &t, &e), 0);
        assert_int_equal(m.key_len, strlen(t.symbol));
        assert_memory_equal(m.key, t.symbol, m.key_len);
        assert_int_equal(t.ts_us, START_US + (int64_t)i * 1000000 / rate);
        assert_true(t.has & TL_TICK_HAS_BID && t.has & TL_TICK_HAS_ASK && t.has & TL_TICK_HAS_SEQ);
        assert_true(t.bid < t.ask && t.bid <= t.price && t.price <= t.ask && t.bid > 0);
        int64_t tick = t.bid >= TL_MICROS ? 10000 : 100;
        assert_int_equal(t.bid % tick, 0);
        assert_int_equal(t.ask % tick, 0);
        assert_int_equal(t.price % tick, 0);
        below_dollar += t.price < TL_MICROS;
        assert_true(t.size > 0 && (t.size < 100 || t.size % 100 == 0));
        odd_lots += t.size < 100;
        exchanges_seen += strlen(t.exchange) == 4;
        per_sym *ps = find_sym(syms, &nsyms, t.symbol);
        assert_true(nsyms <= 60);
        assert_int_equal(t.seq, ps->seq + 1);
        ps->seq = t.seq;
        ps->n++;
    }
    assert_int_equal(exchanges_seen, N);
    assert_true(odd_lots > N / 20 && odd_lots < N / 4);
    /* Popularity is skewed: the most active name trades far more than the least. */
    int64_t most = 0, least = N;
    for (size_t i = 0; i < nsyms; i++) {
        most = syms[i].n > most ? syms[i].n : most;
        least = syms[i].n < least ? syms[i].n : least;
    }
    assert_true(most > 10 * least);
    (void)below_dollar;
    tl_tick_parser_destroy(p);
    tl_sim_destroy(s);
}

/* Faults: each kind is what it claims, and counts add up. */
static void test_faults(void **state) {
    (void)state;
    const int64_t rate = 1000;
    tl_sim *s = new_sim(20, 3, rate, "bad=0.05,late=0.04,dup=0.03,ooo=0.02");
    tl_tick_parser *p = tl_tick_parser_new(TL_TS_UNIT_MS, 65536);
    per_sym syms[32];
    size_t nsyms = 0;
    char(*seen)[512] = calloc(200000, 512); /* every valid message, for dup checks */
    size_t *seen_len = calloc(200000, sizeof *seen_len);
    size_t nseen = 0;
    uint64_t kinds[5] = {0}, reasons[TL_TICK_REASON_COUNT] = {0};
    int64_t fresh = 0;
    const int N = 100000;
    for (int i = 0; i < N; i++) {
        tl_sim_msg m;
        tl_tick t;
        tl_tick_error e;
        tl_sim_next(s, &m);
        kinds[m.kind]++;
        int rc = tl_tick_parse(p, m.payload, m.len, &t, &e);
        if (m.kind == TL_SIM_BAD) {
            assert_int_equal(rc, -1);
            reasons[e.reason]++;
            fresh++;
            continue;
        }
        assert_int_equal(rc, 0);
        if (m.kind == TL_SIM_DUP) {
            int found = 0;
            for (size_t j = nseen; j-- > 0 && !found;)
                found = seen_len[j] == m.len && !memcmp(seen[j], m.payload, m.len);
            assert_true(found);
            continue;
        }
        int64_t clock = START_US + fresh * 1000000 / rate;
        fresh++;
        per_sym *ps = find_sym(syms, &nsyms, t.symbol);
        assert_true(t.seq > ps->seq); /* bad messages take seqs too */
        ps->seq = t.seq;
        if (m.kind == TL_SIM_LATE) {
            assert_true(t.ts_us <= clock - 120 * 1000000LL && t.ts_us >= clock - 600 * 1000000LL);
        } else if (m.kind == TL_SIM_OOO) {
            int64_t prev = ps->ts_us ? ps->ts_us : clock;
            assert_true(t.ts_us <= prev - 1000000 && t.ts_us >= prev - 5000000);
        } else {
            assert_int_equal(t.ts_us, clock);
            ps->ts_us = t.ts_us;
            memcpy(seen[nseen], m.payload, m.len);
            seen_len[nseen++] = m.len;
        }
    }
    tl_sim_counts c;
    tl_sim_counts_get(s, &c);
    assert_int_equal(c.sent, N);
    assert_int_equal(c.bad, kinds[TL_SIM_BAD]);
    assert_int_equal(c.late, kinds[TL_SIM_LATE]);
    assert_int_equal(c.dup, kinds[TL_SIM_DUP]);
    assert_int_equal(c.ooo, kinds[TL_SIM_OOO]);
    assert_int_equal(c.valid, N - c.bad);
    /* Within ~5 standard deviations of the requested rates. */
    assert_true(c.bad > 4500 && c.bad < 5500);
    assert_true(c.late > 3500 && c.late < 4500);
    assert_true(c.dup > 2600 && c.dup < 3400);
    assert_true(c.ooo > 1650 && c.ooo < 2350);
    /* A mix of rejection reasons, not one. */
    int distinct = 0;
    for (size_t r = 1; r < TL_TICK_REASON_COUNT; r++)
        distinct += reasons[r] > 0;
    assert_true(distinct >= 6);
    free(seen);
    free(seen_len);
    tl_tick_parser_destroy(p);
    tl_sim_destroy(s);
}

static void test_bad_options(void **state) {
    (void)state;
    tl_err err;
    tl_sim_opts o = {.symbols = 0, .seed = 1};
    assert_null(tl_sim_new(&o, &err));
    assert_non_null(strstr(err.msg, "--symbols"));
    o.symbols = 400001;
    assert_null(tl_sim_new(&o, &err));
}

/* Wall-clock mode: ts follows the clock, everything else follows the seed. */
/* seq_base: every symbol's seq starts right after it and then counts up. */
static void test_seq_base(void **state) {
    (void)state;
    tl_err err;
    tl_sim_opts o = {.symbols = 3, .seed = 5, .rate = 1000, .start_us = 1, .seq_base = 1000000};
    tl_sim *sim = tl_sim_new(&o, &err);
    assert_non_null(sim);
    tl_tick_parser *p = tl_tick_parser_new(TL_TS_UNIT_MS, 65536);
    int64_t last[3] = {1000000, 1000000, 1000000};
    for (int i = 0; i < 300; i++) {
        tl_sim_msg m;
        tl_tick t;
        tl_tick_error e;
        tl_sim_next(sim, &m);
        assert_int_equal(tl_tick_parse(p, m.payload, m.len, &t, &e), 0);
        size_t k = 0;
        while (strcmp(tl_sim_symbol(sim, k), t.symbol) != 0)
            k++;
        assert_int_equal(t.seq, last[k] + 1);
        last[k] = t.seq;
    }
    tl_tick_parser_destroy(p);
    tl_sim_destroy(sim);
}

static void test_wall_clock(void **state) {
    (void)state;
    tl_sim_opts o = {.symbols = 5, .seed = 9, .rate = 100};
    tl_err err;
    tl_sim *s = tl_sim_new(&o, &err);
    tl_tick_parser *p = tl_tick_parser_new(TL_TS_UNIT_MS, 65536);
    int64_t before = tl_now_us();
    tl_sim_msg m;
    tl_tick t;
    tl_tick_error e;
    tl_sim_next(s, &m);
    assert_int_equal(tl_tick_parse(p, m.payload, m.len, &t, &e), 0);
    int64_t after = tl_now_us();
    assert_true(t.ts_us >= before && t.ts_us <= after);
    tl_tick_parser_destroy(p);
    tl_sim_destroy(s);
}

/* ---- the pacer and the send loop (sim_pump), on a clock of the test's own:
 * idle() advances it by what the pump asked to wait, so time is exact. */

typedef struct fake_run {
    int64_t now_us;
    uint64_t emitted;
    int idles;
} fake_run;

static int64_t fake_now(void *ud) {
    return ((fake_run *)ud)->now_us;
}
static void fake_idle(void *ud, int64_t us) {
    fake_run *f = ud;
    f->idles++;
    f->now_us += us;
}
static int fake_emit(void *ud, const tl_sim_msg *m, tl_err *err) {
    (void)m, (void)err;
    ((fake_run *)ud)->emitted++;
    return 0;
}

static void pump_fake(tl_sim_pump_opts *o, fake_run *f, int64_t count) {
    o->count = count;
    o->emit = fake_emit;
    o->idle = fake_idle;
    o->now_us = fake_now;
    o->ud = f;
    tl_sim *s = new_sim(10, 7, 1000, NULL);
    uint64_t sent = 0;
    tl_err err;
    assert_int_equal(tl_sim_pump(s, o, &sent, &err), 0);
    assert_int_equal(sent, (uint64_t)count);
    assert_int_equal(f->emitted, (uint64_t)count);
    tl_sim_destroy(s);
}

static void test_pacer_paced(void **state) {
    (void)state;
    /* 1000/s: 3000 messages take 3 s of the clock (the first goes at once) */
    tl_sim_pump_opts o = {.rate = 1000};
    fake_run f = {.now_us = 1000000};
    pump_fake(&o, &f, 3000);
    assert_true(f.idles > 0);
    assert_in_range(f.now_us - 1000000, 2990000, 3000000);
    /* a stall does not turn into a burst: at most 100 ms worth at once */
    tl_sim_pacer p;
    tl_sim_pacer_init(&p, 1000, 0);
    assert_int_equal(tl_sim_pacer_take(&p, 4096, 60 * 1000000), 100);
    assert_int_equal(tl_sim_pacer_take(&p, 4096, 60 * 1000000), 0);
    assert_int_equal(tl_sim_pacer_wait_us(&p), 1000);
}

static void test_pacer_unpaced(void **state) {
    (void)state;
    tl_sim_pacer p;
    tl_sim_pacer_init(&p, 0, 0);
    assert_int_equal(tl_sim_pacer_take(&p, 4096, 0), 4096);
    assert_int_equal(tl_sim_pacer_wait_us(&p), 0);
    /* --rate 0 through the command glue, for both commands that simulate:
     * every message goes without waiting, the clock never moves (`up` used
     * to turn 0 into 10,000/s, which would take a second here) */
    const tl_command *cmds[] = {&tl_cmd_simulate, &tl_cmd_up};
    for (size_t i = 0; i < 2; i++) {
        const char *argv[] = {cmds[i]->name, "--rate", "0"};
        tl_config cfg;
        int first = 0;
        assert_int_equal(tl_conf_load(&cfg, cmds[i]->groups, 3, (char **)argv, &first, NULL), 0);
        assert_int_equal(cfg.rate, 0);
        tl_sim_pump_opts o;
        tl_cmd_sim_pump_opts(&o, &cfg);
        fake_run f = {.now_us = 5};
        pump_fake(&o, &f, 20000);
        assert_int_equal(f.idles, 0);
        assert_int_equal(f.now_us, 5);
        tl_conf_free(&cfg);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_faults_parse),  cmocka_unit_test(test_symbol_universe),
        cmocka_unit_test(test_deterministic), cmocka_unit_test(test_valid_ticks),
        cmocka_unit_test(test_faults),        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_wall_clock),    cmocka_unit_test(test_seq_base),
        cmocka_unit_test(test_pacer_paced),   cmocka_unit_test(test_pacer_unpaced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
