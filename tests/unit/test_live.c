/* The live state: day statistics, 1-minute bars and their ring, late
 * ticks, coalesced updates, health renderings, and following a real lake
 * written by the stream engine (only new files are read). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compact/compact.h"
#include "lake/lake.h"
#include "live/live.h"
#include "live/live_follow.h"
#include "store/store.h"
#include "stream/stream.h"
#include "util/clock.h"

#define MIN_US 60000000LL
#define P(x) ((int64_t)((x)*1000000.0 + 0.5)) /* dollars -> micro-units */

/* 2026-11-24 20:00:00 UTC: a minute and day boundary */
static const int64_t T0 = 1795550400LL * 1000000;

static void test_fmt_price(void **state) {
    char b[40];
    tl_live_fmt_price(189250000, b, sizeof b);
    assert_string_equal(b, "189.25");
    tl_live_fmt_price(100, b, sizeof b);
    assert_string_equal(b, "0.0001");
    tl_live_fmt_price(12000000, b, sizeof b);
    assert_string_equal(b, "12");
    tl_live_fmt_price(-1500000, b, sizeof b);
    assert_string_equal(b, "-1.5");
}

static bool has(const tl_buf *b, const char *needle) {
    return b->data && strstr(b->data, needle);
}

/* Issue 14: a change that rounds to nothing is 0, never -0 ("-0.00"). */
static void test_change_never_negative_zero(void **state) {
    (void)state;
    double v = tl_live_change_pct(P(100), P(99.999));
    assert_false(signbit(v));
    assert_true(v == 0.0);
    assert_true(tl_live_change_pct(P(100), P(99)) == -1.0);
    assert_true(tl_live_change_pct(P(100), P(100.125)) == 0.13);
    tl_live *l = tl_live_new(NULL);
    tl_live_add(l, "AAA", T0, P(100), 1);
    tl_live_add(l, "AAA", T0 + 1, P(99.999), 1);
    tl_buf b = TL_BUF_INIT;
    tl_live_symbols_json(l, &b);
    assert_true(has(&b, "\"chg\":0.00,"));
    tl_buf_free(&b);
    tl_live_destroy(l);
}

/* Issue 14: history loaded at start is state, not ingest: the tick count
 * and the ingest rate count only new ticks. */
static void test_load_is_not_ingest(void **state) {
    (void)state;
    tl_live *l = tl_live_new(NULL);
    int64_t now = tl_now_us();
    for (int i = 0; i < 1000; i++)
        tl_live_load(l, "AAA", now - 60000000 + i, P(10), 1);
    tl_live_add(l, "AAA", now, P(11), 1);
    tl_live_stats s;
    tl_live_stats_get(l, "AAA", now - 120000000, now + 1, &s);
    assert_int_equal(s.count, 1001); /* the state has it all */
    tl_buf b = TL_BUF_INIT;
    tl_live_health_json(l, &b);
    assert_true(has(&b, "\"ticks\":1,")); /* only the new one counted */
    tl_buf_free(&b);
    tl_live_destroy(l);
}

static void test_bars_and_stats(void **state) {
    tl_live *l = tl_live_new(NULL);
    tl_live_set_since(l, T0);
    /* minute 0: 10, 12, 9, 11; minute 1: 20; minute 7: 15 */
    tl_live_add(l, "AAPL", T0 + 1, P(10), 100);
    tl_live_add(l, "AAPL", T0 + 2, P(12), 200);
    tl_live_add(l, "AAPL", T0 + 3, P(9), 300);
    tl_live_add(l, "AAPL", T0 + 4, P(11), 400);
    tl_live_add(l, "AAPL", T0 + MIN_US + 5, P(20), 10);
    tl_live_add(l, "AAPL", T0 + 7 * MIN_US, P(15), 1);

    tl_live_bar bars[16];
    size_t n = tl_live_bars(l, "AAPL", T0, T0 + 10 * MIN_US, 60, bars, 16);
    assert_int_equal(n, 3);
    assert_true(bars[0].t_us == T0);
    assert_true(bars[0].o == P(10) && bars[0].h == P(12) && bars[0].l == P(9) &&
                bars[0].c == P(11));
    assert_int_equal(bars[0].volume, 1000);
    assert_true(bars[2].t_us == T0 + 7 * MIN_US && bars[2].c == P(15));

    /* 5-minute bars: minutes 0 and 1 merge, minute 7 is the second bar */
    n = tl_live_bars(l, "AAPL", T0, T0 + 10 * MIN_US, 300, bars, 16);
    assert_int_equal(n, 2);
    assert_true(bars[0].o == P(10) && bars[0].h == P(20) && bars[0].l == P(9) &&
                bars[0].c == P(20));
    assert_int_equal(bars[0].volume, 1010);
    assert_true(bars[1].t_us == T0 + 5 * MIN_US);

    /* the range cuts by bar: only minute 1 */
    n = tl_live_bars(l, "AAPL", T0 + MIN_US, T0 + 2 * MIN_US, 60, bars, 16);
    assert_int_equal(n, 1);
    assert_true(bars[0].o == P(20));

    tl_live_stats st;
    tl_live_stats_get(l, "AAPL", T0, T0 + 10 * MIN_US, &st);
    assert_int_equal(st.count, 6);
    assert_true(st.min == P(9) && st.max == P(20));
    assert_int_equal(st.volume, 1011);
    assert_true(st.sum_p == P(10) + P(12) + P(9) + P(11) + P(20) + P(15));
    /* stats count bars overlapping the range: from inside minute 0 */
    tl_live_stats_get(l, "AAPL", T0 + 30000000, T0 + 2 * MIN_US, &st);
    assert_int_equal(st.count, 5);
    tl_live_stats_get(l, "NOPE", T0, T0 + MIN_US, &st);
    assert_int_equal(st.count, 0);
    assert_int_equal(tl_live_bars(l, "NOPE", T0, T0 + MIN_US, 60, bars, 16), 0);
    tl_live_destroy(l);
}


static void test_late_ticks_and_new_day(void **state) {
    tl_live *l = tl_live_new(NULL);
    tl_live_add(l, "X", T0 + 2 * MIN_US, P(50), 1);
    tl_live_add(l, "X", T0 + 10, P(40), 1); /* late: older minute, earlier than last */
    tl_buf b = TL_BUF_INIT;
    tl_live_symbols_json(l, &b);
    assert_true(has(&b, "\"last\":50,")); /* late ticks do not move the last price */
    assert_true(has(&b, "\"min\":40,"));
    tl_live_bar bars[4];
    /* minute 0 had no bar in the ring before the late tick: not invented */
    assert_int_equal(tl_live_bars(l, "X", T0, T0 + 3 * MIN_US, 60, bars, 4), 1);
    tl_live_add(l, "X", T0 + 2 * MIN_US + 1, P(60), 1);
    tl_live_add(l, "X", T0 + 2 * MIN_US, P(45), 1); /* same minute, late: in the bar */
    assert_int_equal(tl_live_bars(l, "X", T0, T0 + 3 * MIN_US, 60, bars, 4), 1);
    assert_true(bars[0].l == P(45) && bars[0].c == P(60) && bars[0].n == 3);

    /* the next UTC day starts the day's numbers over; change is against its open */
    int64_t next_day = T0 + 4 * 3600 * 1000000LL + 10 * MIN_US; /* 2026-11-25 00:10 */
    tl_live_add(l, "X", next_day, P(100), 5);
    tl_live_add(l, "X", next_day + 1, P(110), 5);
    tl_buf_reset(&b);
    tl_live_symbols_json(l, &b);
    assert_true(has(&b, "\"last\":110,\"chg\":10.00,\"min\":100,\"max\":110,\"avg\":105,"));
    assert_true(has(&b, "\"vol\":10,\"n\":2,"));
    tl_buf_free(&b);
    tl_live_destroy(l);
}

static void test_ring_and_coverage(void **state) {
    tl_live_opts o = {.bar_minutes = 4};
    tl_live *l = tl_live_new(&o);
    tl_live_set_since(l, T0);
    for (int m = 0; m < 6; m++)
        tl_live_add(l, "R", T0 + m * MIN_US, P(10 + m), 1);
    tl_live_bar bars[8];
    size_t n = tl_live_bars(l, "R", T0, T0 + 10 * MIN_US, 60, bars, 8);
    assert_int_equal(n, 4); /* the two oldest minutes fell out */
    assert_true(bars[0].t_us == T0 + 2 * MIN_US && bars[3].t_us == T0 + 5 * MIN_US);
    /* covered from the minute after the oldest kept one (that one may have
     * lost nothing, but the ring cannot tell) */
    assert_true(tl_live_covered_from(l, "R") == T0 + 3 * MIN_US);
    assert_true(tl_live_covered_from(l, "other") == T0);
    tl_live_destroy(l);
}

static void test_update_coalesces(void **state) {
    tl_live *l = tl_live_new(NULL);
    tl_live_add(l, "AAA", T0, P(1), 1);
    tl_live_add(l, "BBB", T0, P(2), 1);
    uint64_t gen = 0;
    tl_buf b = TL_BUF_INIT;
    tl_live_update_json(l, &gen, &b);
    assert_true(has(&b, "\"s\":\"AAA\"") && has(&b, "\"s\":\"BBB\""));
    assert_true(has(&b, "\"spark\":[1]"));
    tl_buf_reset(&b);
    tl_live_update_json(l, &gen, &b);
    assert_string_equal(b.data, "[]");
    /* many trades of one symbol: one entry with the newest values */
    for (int i = 0; i < 100; i++)
        tl_live_add(l, "BBB", T0 + 1 + i, P(2) + i, 1);
    tl_buf_reset(&b);
    tl_live_update_json(l, &gen, &b);
    assert_false(has(&b, "AAA"));
    assert_non_null(strstr(b.data, "\"s\":\"BBB\""));
    assert_null(strstr(strstr(b.data, "\"s\":\"BBB\"") + 1, "\"s\":\"BBB\""));
    assert_true(has(&b, "\"last\":2.000099,"));
    assert_false(has(&b, "spark")); /* same 5 s sample slot: no new sparkline point */
    assert_true(gen == tl_live_gen(l));
    tl_buf_free(&b);
    tl_live_destroy(l);
}

static void test_symbol_cap(void **state) {
    tl_live_opts o = {.max_symbols = 3};
    tl_live *l = tl_live_new(&o);
    const char *syms[] = {"A", "B", "C", "D", "E"};
    for (int i = 0; i < 5; i++)
        tl_live_add(l, syms[i], T0, P(1), 1);
    assert_int_equal(tl_live_symbol_count(l), 3);
    tl_buf b = TL_BUF_INIT;
    tl_live_health_json(l, &b);
    assert_true(has(&b, "\"symbols\":3,\"ticks\":5,"));
    tl_buf_free(&b);
    tl_live_destroy(l);
}

static void test_health_and_metrics(void **state) {
    tl_live *l = tl_live_new(NULL);
    tl_buf b = TL_BUF_INIT;
    tl_live_health_json(l, &b);
    assert_true(has(&b, "\"lag\":null,\"stream\":null"));
    assert_true(has(&b, "\"compaction\":null,\"models\":null"));
    tl_stream_counters c = {.received = 7,
                            .accepted = 5,
                            .rejected = 2,
                            .late = 1,
                            .duplicates = 3,
                            .watermark_us = INT64_MIN};
    c.rejected_by_reason[1] = 2; /* not_json */
    tl_live_set_counters(l, &c);
    tl_live_set_lag(l, 42);
    const char *parts[] = {"2026-11-24T20"};
    size_t files[] = {3};
    tl_live_set_lake(l, 9, 1795550400000LL, 3, parts, files, 1);
    tl_live_set_job(l, "compaction", 1795550400000LL, "ok: 3 files -> 1");
    tl_buf_reset(&b);
    tl_live_health_json(l, &b);
    assert_true(has(&b, "\"lag\":42,"));
    assert_true(
        has(&b, "\"received\":7,\"accepted\":5,\"rejected\":2,\"late\":1,\"duplicates\":3"));
    assert_true(has(&b, "\"lake\":{\"version\":9,\"last_commit_ms\":1795550400000,\"files\":3,"
                        "\"partitions\":[{\"hour\":\"2026-11-24T20\",\"files\":3}]}"));
    assert_true(
        has(&b, "\"compaction\":{\"last_ms\":1795550400000,\"status\":\"ok: 3 files -> 1\"}"));
    tl_buf_reset(&b);
    tl_live_metrics_text(l, &b);
    assert_true(has(&b, "\ntl_stream_accepted_total 5\n"));
    assert_true(has(&b, "tl_stream_rejected_total{reason=\"not_json\"} 2\n"));
    assert_true(has(&b, "# TYPE tl_consumer_lag_messages gauge\ntl_consumer_lag_messages 42\n"));
    assert_true(has(&b, "\ntl_lake_version 9\n"));
    tl_buf_free(&b);
    tl_live_destroy(l);
}

/* ---- following a real lake ---------------------------------------------------- */

/* A local lake in a fresh folder and a stream writing it (millisecond
 * times, flushed only when the test says), for the follower tests. */
typedef struct {
    char dir[64];
    tl_store *store;
    tl_stream *st;
} lake_fixture;

static void lake_open(lake_fixture *lk, int64_t allowed_lateness_us) {
    tl_err err;
    snprintf(lk->dir, sizeof lk->dir, "/tmp/tl_live_XXXXXX");
    assert_non_null(mkdtemp(lk->dir));
    lk->store = tl_store_open(lk->dir, &err);
    assert_non_null(lk->store);
    tl_stream_opts so = {.source_id = "unit",
                         .ts_unit = TL_TS_UNIT_MS,
                         .max_message_bytes = 4096,
                         .flush_rows = 1000000,
                         .flush_interval_ms = 3600000,
                         .allowed_lateness_us = allowed_lateness_us,
                         .max_future_skew_us = 60 * 1000000LL,
                         .max_buffered_rows = 1000000};
    lk->st = tl_stream_new(lk->store, &so, &err);
    assert_non_null(lk->st);
}

static void lake_close(lake_fixture *lk) {
    tl_stream_destroy(lk->st);
    tl_store_destroy(lk->store);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", lk->dir);
    assert_int_equal(system(cmd), 0);
}

static void ingest_ticks(tl_stream *st, int64_t *line, const char *sym, int n, int64_t ts_ms,
                         int price_cents) {
    for (int i = 0; i < n; i++) {
        char msg[256];
        int len = snprintf(msg, sizeof msg,
                           "{\"symbol\":\"%s\",\"ts\":%lld,\"price\":%d.%02d,\"size\":10,"
                           "\"seq\":%lld}",
                           sym, (long long)(ts_ms + i), (price_cents + i) / 100,
                           (price_cents + i) % 100, (long long)*line);
        tl_err err;
        assert_int_equal(tl_stream_ingest(st, -1, (*line)++, msg, (size_t)len, &err), 0);
    }
}

static void test_follow_lake(void **state) {
    lake_fixture lk;
    lake_open(&lk, 10 * 1000000LL);
    tl_err err;
    tl_store *store = lk.store;
    tl_stream *st = lk.st;
    tl_live *l = tl_live_new(NULL);
    tl_live_follow *f = tl_live_follow_new(l, store, true, NULL, &err);
    assert_non_null(f);
    assert_int_equal(tl_live_follow_poll(f, &err), 0); /* no table content yet: fine */
    assert_int_equal(tl_live_symbol_count(l), 0);

    int64_t now_ms = tl_now_us() / 1000 - 5000, line = 1;
    ingest_ticks(st, &line, "AAA", 30, now_ms, 1000);
    ingest_ticks(st, &line, "BBB", 20, now_ms, 5000);
    assert_int_equal(tl_stream_flush(st, &err), 0);
    assert_int_equal(tl_live_follow_poll(f, &err), 0);
    assert_int_equal(tl_live_symbol_count(l), 2);
    tl_live_stats s;
    tl_live_stats_get(l, "AAA", now_ms * 1000 - MIN_US, now_ms * 1000 + MIN_US, &s);
    assert_int_equal(s.count, 30);
    assert_true(s.min == P(10) && s.max == P(10.29));

    /* a second commit: only its file is read, nothing counted twice */
    ingest_ticks(st, &line, "AAA", 5, now_ms + 100, 2000);
    assert_int_equal(tl_stream_flush(st, &err), 0);
    assert_int_equal(tl_live_follow_poll(f, &err), 0);
    assert_int_equal(tl_live_follow_poll(f, &err), 0); /* nothing new */
    tl_live_stats_get(l, "AAA", now_ms * 1000 - MIN_US, now_ms * 1000 + MIN_US, &s);
    assert_int_equal(s.count, 35);
    assert_true(s.max == P(20.04));
    tl_buf b = TL_BUF_INIT;
    tl_live_health_json(l, &b);
    assert_true(has(&b, "\"lake\":{\"version\":2,")); /* create + two commits */
    tl_buf_reset(&b);
    tl_live_days_json(l, &b);
    assert_true(has(&b, "{\"days\":[\"20")); /* today's date */
    tl_buf_free(&b);

    tl_live_follow_destroy(f);
    tl_live_destroy(l);
    lake_close(&lk);
}

/* The data-quality figures a follower rebuilds from the lake are the ones
 * live ingest counts: the rows are read in arrival order. A late tick (an old
 * event time, the next seq, as the simulator sends it) read by event time
 * looked like a jump of 129 seqs that the window never took back: a
 * standalone dashboard showed 88,133 seqs missing where `up` showed 99. */
static void test_follow_quality_arrival_order(void **state) {
    (void)state;
    lake_fixture lk;
    lake_open(&lk, 3600 * 1000000LL);
    tl_err err;
    tl_store *store = lk.store;
    tl_stream *st = lk.st;
    int64_t base_ms = tl_now_us() / 1000 - 300000;
    for (int seq = 1; seq <= 200; seq++) {
        /* seq 150 arrives in its place but carries the time of seq 20.5 */
        int64_t ts = seq == 150 ? base_ms + 20500 : base_ms + seq * 1000LL;
        char msg[160];
        int len = snprintf(msg, sizeof msg,
                           "{\"symbol\":\"LLL\",\"ts\":%lld,\"price\":10.%02d,\"size\":1,"
                           "\"seq\":%d}",
                           (long long)ts, seq % 100, seq);
        assert_int_equal(tl_stream_ingest(st, -1, seq, msg, (size_t)len, &err), 0);
    }
    assert_int_equal(tl_stream_flush(st, &err), 0);

    tl_live *l = tl_live_new(NULL);
    tl_live_follow *f = tl_live_follow_new(l, store, true, NULL, &err);
    assert_non_null(f);
    assert_int_equal(tl_live_follow_poll(f, &err), 0);
    tl_quality_symbol q;
    assert_true(tl_quality_get(tl_live_quality(l), "LLL", &q));
    assert_int_equal(q.ticks, 200);
    assert_int_equal(q.max_seq, 200);
    assert_int_equal(q.seq_gaps, 0);
    assert_int_equal(q.seq_missing, 0);

    tl_live_follow_destroy(f);
    tl_live_destroy(l);
    lake_close(&lk);
}

/* The follower refreshes its snapshot every second for as long as the
 * dashboard runs; the log keeps a compaction's removals a week, and the
 * snapshot kept each one: in `up`, every file the stream flushed, ~500 a
 * minute at 10k ticks/s, RSS rising every job round. It keeps the newest
 * compaction's only (what the health panel shows), round after round. */
static void test_follow_keeps_newest_compaction_only(void **state) {
    (void)state;
    lake_fixture lk;
    lake_open(&lk, 10 * 1000000LL);
    tl_err err;
    tl_live *l = tl_live_new(NULL);
    tl_live_follow *f = tl_live_follow_new(l, lk.store, false, NULL, &err);
    assert_non_null(f);
    int64_t now_ms = tl_now_us() / 1000 - 2000, line = 1;
    tl_compact_opts co = {
        .min_files = 2, .target_file_size = 128LL << 20, .lateness_ms = 3600 * 1000};
    size_t removed = 0;
    for (int round = 0; round < 6; round++) {
        for (int k = 0; k < 3; k++) { /* three flushes: three small files */
            ingest_ticks(lk.st, &line, "AAA", 5, now_ms, 1000);
            assert_int_equal(tl_stream_flush(lk.st, &err), 0);
            assert_int_equal(tl_live_follow_poll(f, &err), 0);
        }
        tl_compact_stats cs;
        assert_int_equal(tl_compact_run(lk.store, &co, &cs, &err), 0);
        assert_true(cs.files_before >= 3);
        removed += cs.files_before;
        assert_int_equal(tl_live_follow_poll(f, &err), 0);
        assert_int_equal(tl_live_follow_tombstones(f), cs.files_before);
        tl_buf b = TL_BUF_INIT;
        char want[64];
        snprintf(want, sizeof want, "ok: %zu files rewritten", cs.files_before);
        tl_live_health_json(l, &b);
        assert_true(has(&b, want));
        tl_buf_free(&b);
    }
    /* the log still has every removal (a fresh snapshot reads them all) */
    tl_lake_snapshot *all = NULL;
    assert_int_equal(tl_lake_snapshot_load(lk.store, "ticks", NULL, &all, &err), 0);
    assert_int_equal(tl_lake_snapshot_num_tombstones(all), removed);
    assert_true(removed >= 18);
    tl_lake_snapshot_free(all);
    tl_live_follow_destroy(f);
    tl_live_destroy(l);
    lake_close(&lk);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fmt_price),
        cmocka_unit_test(test_change_never_negative_zero),
        cmocka_unit_test(test_load_is_not_ingest),
        cmocka_unit_test(test_bars_and_stats),
        cmocka_unit_test(test_late_ticks_and_new_day),
        cmocka_unit_test(test_ring_and_coverage),
        cmocka_unit_test(test_update_coalesces),
        cmocka_unit_test(test_symbol_cap),
        cmocka_unit_test(test_health_and_metrics),
        cmocka_unit_test(test_follow_lake),
        cmocka_unit_test(test_follow_quality_arrival_order),
        cmocka_unit_test(test_follow_keeps_newest_compaction_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
