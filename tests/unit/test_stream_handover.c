/* Dedupe across a partition handover: two streams of one consumer group on
 * one lake. A stream's (symbol, seq) state is rebuilt from the lake at its
 * start; what other members commit later must reach it when a partition is
 * handed over to it, or a resend of a tick the previous owner committed
 * lands twice (integration test 0601 once found NVDA seq 2932 at offsets
 * 4113 and 4123 of partition 7). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "duck/duck.h"
#include "lake/lake.h"
#include "query/views.h"
#include "store/store.h"
#include "stream/stream.h"
#include "tables/tables.h"
#include "tl_test.h"
#include "tl_test_query.h"
#include "util/clock.h"
#include "util/log.h"

#define PART 7

typedef struct fixture {
    char dir[64];
    tl_store *store;
    tl_stream_opts opts;
    long long now_ms;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (!f || tl_test_store(f->dir, sizeof f->dir, "stream-handover", &f->store) != 0)
        return -1;
    tl_log_set_level(TL_LOG_ERROR);
    f->opts = (tl_stream_opts){.topic = "ticks",
                               .group = "g",
                               .ts_unit = TL_TS_UNIT_MS,
                               .max_message_bytes = 4096,
                               .flush_rows = 1000000,
                               .flush_interval_ms = 3600000,
                               .allowed_lateness_us = 10 * 1000000LL,
                               .max_future_skew_us = 60 * 1000000LL,
                               .max_buffered_rows = 1000000};
    f->now_ms = tl_now_us() / 1000;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    int rc = tl_test_store_free(f->dir, f->store);
    free(f);
    return rc;
}

static int64_t scalar(fixture *f, const char *sql) {
    return tl_test_scalar(f->store, sql);
}

static tl_stream *open_stream(fixture *f) {
    tl_err err = {0};
    tl_stream *s = tl_stream_new(f->store, &f->opts, &err);
    if (!s)
        fail_msg("tl_stream_new: %s", err.msg);
    return s;
}

/* A tick of symbol with seq at event time now - ago_ms, at offset of partition. */
static int tick(fixture *f, tl_stream *s, int32_t partition, int64_t offset, const char *symbol,
                int64_t seq, long long ago_ms, tl_err *err) {
    char msg[256];
    int n = snprintf(msg, sizeof msg,
                     "{\"symbol\":\"%s\",\"ts\":%lld,\"price\":1.5,\"seq\":%lld}", symbol,
                     f->now_ms - ago_ms, (long long)seq);
    return tl_stream_ingest(s, partition, offset, msg, (size_t)n, err);
}

static void must_tick(fixture *f, tl_stream *s, int32_t partition, int64_t offset,
                      const char *symbol, int64_t seq, long long ago_ms) {
    tl_err err = {0};
    if (tick(f, s, partition, offset, symbol, seq, ago_ms, &err) != 0)
        fail_msg("ingest %s seq %lld at %d/%lld: %s", symbol, (long long)seq, (int)partition,
                 (long long)offset, err.msg);
}

static void must_flush(tl_stream *s) {
    tl_err err = {0};
    if (tl_stream_flush(s, &err) != 0)
        fail_msg("flush: %s", err.msg);
}

/* A owns partition 7 first: NVDA seq 2930..2939 at offsets 4110..4119,
 * committed, then A dies (no more flushes). */
static void a_commits_partition(fixture *f, tl_stream *a, long long ago_ms) {
    assert_int_equal(tl_stream_assign_partition(a, PART), -1);
    for (int i = 0; i < 10; i++)
        must_tick(f, a, PART, 4110 + i, "NVDA", 2930 + i, ago_ms);
    must_flush(a);
}

/* 0601's case: B starts before A commits, then takes partition 7 over; the
 * resend of seq 2932 at offset 4123 is a duplicate, counted and not
 * written. */
static void test_resend_after_handover(void **state) {
    fixture *f = *state;
    tl_stream *b = open_stream(f); /* B's start: the lake is still empty */
    assert_int_equal(tl_stream_assign_partition(b, 3), -1);
    must_tick(f, b, 3, 0, "AAPL", 1, 0); /* B is busy with a partition of its own */
    must_flush(b);
    tl_stream *a = open_stream(f);
    a_commits_partition(f, a, 0);
    tl_stream_destroy(a); /* SIGKILL: nothing more of A reaches the lake */

    assert_int_equal(tl_stream_assign_partition(b, PART), 4120);
    must_tick(f, b, PART, 4120, "NVDA", 2940, 0);
    must_tick(f, b, PART, 4123, "NVDA", 2932, 0); /* the simulator's resend */
    const tl_stream_counters *c = tl_stream_counters_get(b);
    assert_int_equal(c->duplicates, 1);
    assert_int_equal(c->accepted, 2); /* AAPL, NVDA 2940 */
    must_flush(b);
    tl_stream_destroy(b);
    assert_int_equal(scalar(f, "SELECT count(*) FROM ticks WHERE symbol = 'NVDA'"), 11);
    assert_int_equal(scalar(f, "SELECT count(*) FROM ticks WHERE symbol = 'NVDA' AND seq = 2932"),
                     1);
}

/* A late tick is remembered from the watermark of its arrival: its resend
 * after the handover is caught too, though its own event time is far
 * behind the horizon. */
static void test_late_resend_after_handover(void **state) {
    fixture *f = *state;
    tl_stream *b = open_stream(f);
    tl_stream *a = open_stream(f);
    assert_int_equal(tl_stream_assign_partition(a, PART), -1);
    must_tick(f, a, PART, 1, "NVDA", 1, 0);
    must_tick(f, a, PART, 2, "NVDA", 2, 0);
    must_tick(f, a, PART, 3, "NVDA", 50, 600000); /* ten minutes behind: late */
    must_flush(a);
    assert_int_equal(tl_stream_counters_get(a)->late, 1);
    tl_stream_destroy(a);

    assert_int_equal(tl_stream_assign_partition(b, PART), 4);
    must_tick(f, b, PART, 4, "NVDA", 3, 0);
    must_tick(f, b, PART, 5, "NVDA", 50, 600000);
    assert_int_equal(tl_stream_counters_get(b)->duplicates, 1);
    must_flush(b);
    tl_stream_destroy(b);
    assert_int_equal(scalar(f, "SELECT count(*) FROM ticks WHERE seq = 50"), 1);
}

/* Handovers back and forth: each stream folds in what the other committed
 * since its last look, its own commits are not mistaken for news, and a
 * partition handed over while the receiver still has rows of another
 * partition buffered keeps them. */
static void test_handover_back_and_forth(void **state) {
    fixture *f = *state;
    tl_stream *a = open_stream(f), *b = open_stream(f);
    int64_t seq = 0, off7 = 0, off_own[2] = {0, 0}; /* partitions 8 (a's), 9 (b's) */
    assert_int_equal(tl_stream_assign_partition(a, PART), -1);
    assert_int_equal(tl_stream_assign_partition(a, 8), -1);
    assert_int_equal(tl_stream_assign_partition(b, 9), -1);
    for (int round = 0; round < 4; round++) {
        tl_stream *owner = round % 2 ? b : a, *other = round % 2 ? a : b;
        int mine = other == a ? 0 : 1;
        for (int i = 0; i < 5; i++)
            must_tick(f, owner, PART, off7++, "NVDA", ++seq, 0);
        /* buffered in the receiver across the handover */
        must_tick(f, other, 8 + mine, off_own[mine]++, mine ? "MSFT" : "AMD", round + 1, 0);
        must_flush(owner);
        tl_stream_forget_partition(owner, PART); /* revoked: flushed above */
        assert_int_equal(tl_stream_assign_partition(other, PART), off7);
        for (int64_t k = 1; k <= seq; k += 3) /* resends of both owners' ticks */
            must_tick(f, other, PART, off7++, "NVDA", k, 0);
        must_flush(other);
    }
    assert_int_equal(
        tl_stream_counters_get(a)->accepted + tl_stream_counters_get(b)->accepted, 20 + 4);
    tl_stream_destroy(a);
    tl_stream_destroy(b);
    assert_int_equal(scalar(f, "SELECT count(*) FROM ticks WHERE symbol = 'NVDA'"), 20);
    assert_int_equal(scalar(f, "SELECT count(DISTINCT seq) FROM ticks WHERE symbol = 'NVDA'"), 20);
    assert_int_equal(scalar(f, "SELECT count(*) FROM ticks WHERE symbol IN ('AMD', 'MSFT')"), 4);
}

/* A partition handed over while a batch of ours is being written: the
 * batch is committed first (its writer uses the DuckDB handle the fold
 * needs), and the previous owner's ticks still reach the dedupe state. */
static void test_handover_with_batch_in_flight(void **state) {
    fixture *f = *state;
    tl_stream *a = open_stream(f);
    f->opts.flush_rows = 1; /* every maybe_flush writes a batch in the background */
    tl_stream *b = open_stream(f);
    tl_err err = {0};
    assert_int_equal(tl_stream_assign_partition(b, 3), -1);
    must_tick(f, b, 3, 0, "AAPL", 1, 0);
    assert_true(tl_stream_maybe_flush(b, &err) >= 0);
    a_commits_partition(f, a, 0);
    tl_stream_destroy(a);

    assert_int_equal(tl_stream_assign_partition(b, PART), 4120);
    assert_int_equal(tl_stream_counters_get(b)->commits, 1); /* the batch in flight */
    assert_int_equal(tl_stream_resume_offset(b, 3), 1);
    must_tick(f, b, PART, 4123, "NVDA", 2932, 0);
    assert_int_equal(tl_stream_counters_get(b)->duplicates, 1);
    must_flush(b);
    tl_stream_destroy(b);
    assert_int_equal(scalar(f, "SELECT count(*) FROM ticks"), 11);
}

/* A file the handover must read but cannot: the stream stops rather than
 * let a duplicate through silently. */
static void test_unreadable_file_fails_loudly(void **state) {
    fixture *f = *state;
    tl_stream *b = open_stream(f);
    tl_stream *a = open_stream(f);
    a_commits_partition(f, a, 0);
    tl_stream_destroy(a);
    tl_lake_snapshot *snap = NULL;
    tl_err err = {0};
    assert_int_equal(tl_lake_snapshot_load(f->store, TL_TICKS_TABLE, NULL, &snap, &err), 0);
    assert_int_equal(tl_lake_snapshot_num_files(snap), 1);
    char key[1024];
    snprintf(key, sizeof key, "%s/%s", TL_TICKS_TABLE, tl_lake_snapshot_file(snap, 0)->path);
    tl_lake_snapshot_free(snap);
    assert_int_equal(tl_store_del(f->store, key, &err), 0);

    tl_stream_assign_partition(b, PART);
    assert_int_not_equal(tick(f, b, PART, 4120, "NVDA", 2932, 0, &err), 0);
    assert_non_null(strstr(err.msg, "dedupe"));
    tl_stream_destroy(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_resend_after_handover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_resend_after_handover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handover_back_and_forth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handover_with_batch_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_file_fails_loudly, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
