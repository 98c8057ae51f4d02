/* The stream engine against a real lake in a temp folder: validation, late
 * flags, dedupe, future skew, positions, and recovery after a restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "compact/compact.h"
#include "duck/duck.h"
#include "lake/lake.h"
#include "query/views.h"
#include "store/store.h"
#include "tl_test.h"
#include "tl_test_query.h"
#include "stream/dedupe.h"
#include "stream/stream.h"
#include "stream/stream_int.h" /* nspare: the kept row arrays */
#include "util/clock.h"

typedef struct fixture {
    char dir[64];
    tl_store *store;
    tl_stream_opts opts;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (tl_test_store(f->dir, sizeof f->dir, "stream-test", &f->store) != 0)
        return -1;
    f->opts = (tl_stream_opts){.source_id = "unit",
                               .ts_unit = TL_TS_UNIT_MS,
                               .max_message_bytes = 4096,
                               .flush_rows = 1000000,
                               .flush_interval_ms = 3600000,
                               .allowed_lateness_us = 10 * 1000000LL,
                               .max_future_skew_us = 60 * 1000000LL,
                               .max_buffered_rows = 1000000};
    *state = f;
    return f->store ? 0 : -1;
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

static void ingest(tl_stream *s, int64_t line, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    tl_err err;
    assert_int_equal(tl_stream_ingest(s, -1, line, msg, strlen(msg), &err), 0);
}

static void test_validate_late_dupe_future(void **state) {
    fixture *f = *state;
    tl_err err;
    tl_stream *s = tl_stream_new(f->store, &f->opts, &err);
    assert_non_null(s);
    long long now = tl_now_us() / 1000;
    ingest(s, 1, "{\"symbol\":\"AAPL\",\"ts\":%lld,\"price\":1.5,\"seq\":1}", now - 5000);
    ingest(s, 2, "{\"symbol\":\"AAPL\",\"ts\":%lld,\"price\":1.6,\"seq\":2}", now);
    ingest(s, 3, "{\"symbol\":\"AAPL\",\"ts\":%lld,\"price\":1.6,\"seq\":2}", now); /* dup */
    ingest(s, 4, "{\"symbol\":\"AAPL\",\"ts\":%lld,\"price\":1.7,\"seq\":3}",
           now - 60000); /* late */
    ingest(s, 5, "{\"symbol\":\"AAPL\",\"ts\":%lld,\"price\":1.7,\"seq\":3}",
           now - 60000); /* dup of late */
    ingest(s, 6, "{\"symbol\":\"AAPL\",\"ts\":%lld,\"price\":1.8,\"seq\":4}",
           now + 3600000); /* future */
    ingest(s, 7, "not json");
    ingest(s, 8, "{\"symbol\":\"MSFT\",\"ts\":%lld,\"price\":2}", now); /* no seq: kept */
    const tl_stream_counters *c = tl_stream_counters_get(s);
    assert_int_equal(c->received, 8);
    assert_int_equal(c->accepted, 4);
    assert_int_equal(c->duplicates, 2);
    assert_int_equal(c->late, 1);
    assert_int_equal(c->rejected, 2);
    assert_int_equal(tl_stream_flush(s, &err), 0);
    assert_int_equal(tl_stream_resume_offset(s, -1), 9);
    tl_stream_destroy(s);

    assert_int_equal(scalar(f, "SELECT count(*) FROM ticks"), 4);
    assert_int_equal(scalar(f, "SELECT count(*) FROM ticks WHERE late"), 1);
    assert_int_equal(scalar(f, "SELECT count(*) FROM deadletter"), 2);
    assert_int_equal(scalar(f, "SELECT src_offset FROM deadletter WHERE reason = 'future_ts'"), 6);
    assert_int_equal(scalar(f, "SELECT sum(price * 10)::BIGINT FROM ticks"), 15 + 16 + 17 + 20);
}

static void nap_2ms(void) {
    struct timespec t = {0, 2000000};
    while (nanosleep(&t, &t) != 0) {
    }
}

static void keep_ingest_ts(void *ud, const tl_tick_row *r) {
    int64_t *ts = ud;
    ts[r->src_offset] = r->ingest_ts_us;
}

/* A batch's ticks share the one clock reading taken at its start; after the
 * batch (maybe_flush) each tick reads the clock again. */
static void test_batch_clock(void **state) {
    fixture *f = *state;
    tl_err err;
    int64_t ts[8] = {0};
    tl_stream *s = tl_stream_new(f->store, &f->opts, &err);
    assert_non_null(s);
    tl_stream_on_row(s, keep_ingest_ts, ts);
    long long now = tl_now_us() / 1000;
    int64_t before = tl_now_us();
    tl_stream_batch_begin(s);
    int64_t after = tl_now_us();
    for (int i = 1; i <= 3; i++) {
        nap_2ms();
        ingest(s, i, "{\"symbol\":\"AAPL\",\"ts\":%lld,\"price\":1.5}", now);
    }
    assert_true(ts[1] >= before);
    assert_true(ts[1] <= after); /* read at the batch's start, not at the tick */
    assert_int_equal(ts[2], ts[1]);
    assert_int_equal(ts[3], ts[1]);
    assert_true(tl_stream_maybe_flush(s, &err) >= 0);
    nap_2ms();
    ingest(s, 4, "{\"symbol\":\"AAPL\",\"ts\":%lld,\"price\":1.5}", now);
    nap_2ms();
    ingest(s, 5, "{\"symbol\":\"AAPL\",\"ts\":%lld,\"price\":1.5}", now);
    assert_true(ts[4] >= ts[1] + 2000);
    assert_true(ts[5] >= ts[4] + 2000);
    tl_stream_destroy(s);
}

static void test_restart_skips_and_remembers(void **state) {
    fixture *f = *state;
    tl_err err;
    long long now = tl_now_us() / 1000;
    tl_stream *s = tl_stream_new(f->store, &f->opts, &err);
    for (int i = 1; i <= 100; i++)
        ingest(s, i, "{\"symbol\":\"IBM\",\"ts\":%lld,\"price\":%d,\"seq\":%d}", now, i, i);
    assert_int_equal(tl_stream_flush(s, &err), 0);
    tl_stream_destroy(s);

    /* a second run over the same input plus more: the first 100 lines are
     * skipped by position, and a resend of seq 50 on a new line is caught
     * by the dedupe state rebuilt from the lake */
    s = tl_stream_new(f->store, &f->opts, &err);
    assert_non_null(s);
    assert_int_equal(tl_stream_resume_offset(s, -1), 101);
    for (int i = 1; i <= 100; i++)
        ingest(s, i, "{\"symbol\":\"IBM\",\"ts\":%lld,\"price\":%d,\"seq\":%d}", now, i, i);
    ingest(s, 101, "{\"symbol\":\"IBM\",\"ts\":%lld,\"price\":50,\"seq\":50}", now);
    ingest(s, 102, "{\"symbol\":\"IBM\",\"ts\":%lld,\"price\":101,\"seq\":101}", now);
    const tl_stream_counters *c = tl_stream_counters_get(s);
    assert_int_equal(c->skipped, 100);
    assert_int_equal(c->duplicates, 1);
    assert_int_equal(c->accepted, 1);
    assert_int_equal(tl_stream_flush(s, &err), 0);
    tl_stream_destroy(s);
    assert_int_equal(scalar(f, "SELECT count(*) FROM ticks"), 101);
    assert_int_equal(scalar(f, "SELECT count(DISTINCT seq) FROM ticks"), 101);
}

/* The stream's due checkpoints are written by its checkpointer thread, not
 * inside its commits; destroying the stream lets the last due one land,
 * and a restart reads the table through it (positions and rows intact). */
static void test_checkpoints_off_the_commit(void **state) {
    fixture *f = *state;
    tl_err err;
    const tl_lake_opts every3 = {.checkpoint_interval = 3,
                                 .log_retention_ms = TL_LAKE_LOG_RETENTION_MS};
    f->opts.lake = &every3;
    long long now = tl_now_us() / 1000;
    tl_stream *s = tl_stream_new(f->store, &f->opts, &err);
    assert_non_null(s);
    for (int i = 1; i <= 70; i++) {
        ingest(s, i, "{\"symbol\":\"IBM\",\"ts\":%lld,\"price\":%d,\"seq\":%d}", now, i, i);
        if (i % 10 == 0)
            assert_int_equal(tl_stream_flush(s, &err), 0);
    }
    int64_t last = tl_stream_counters_get(s)->last_commit_version;
    assert_true(last >= 7);
    tl_stream_destroy(s);
    tl_buf b = TL_BUF_INIT;
    assert_int_equal(tl_store_get(f->store, "ticks/_delta_log/_last_checkpoint", &b, &err), 0);
    int64_t v = strtoll(strstr(b.data, "\"version\":") + 10, NULL, 10);
    tl_buf_free(&b);
    assert_true(v >= last - 2 && v <= last); /* the newest due one, or the table as it ran */

    s = tl_stream_new(f->store, &f->opts, &err);
    assert_non_null(s);
    assert_int_equal(tl_stream_resume_offset(s, -1), 71);
    tl_stream_destroy(s);
    f->opts.lake = NULL;
    assert_int_equal(scalar(f, "SELECT count(*) FROM ticks"), 70);
}

/* The stream refreshes its snapshot of the ticks table before every
 * commit (the fence) for as long as it runs; the log keeps a compaction's
 * removals a week, and the snapshot kept each one (in `up`, every file the
 * stream had flushed: ~500 a minute at 10k ticks/s). It keeps none, round
 * after round of flushes and compactions, and its commits still go on. */
static void test_snapshot_keeps_no_tombstones(void **state) {
    fixture *f = *state;
    tl_err err;
    long long now = tl_now_us() / 1000 - 2000;
    tl_stream *s = tl_stream_new(f->store, &f->opts, &err);
    assert_non_null(s);
    tl_compact_opts co = {
        .min_files = 2, .target_file_size = 128LL << 20, .lateness_ms = 3600 * 1000};
    int line = 1;
    size_t removed = 0;
    for (int round = 0; round < 6; round++) {
        for (int k = 0; k < 3; k++, line++) {
            ingest(s, line, "{\"symbol\":\"IBM\",\"ts\":%lld,\"price\":%d,\"seq\":%d}", now, line,
                   line);
            assert_int_equal(tl_stream_flush(s, &err), 0);
        }
        tl_compact_stats cs;
        assert_int_equal(tl_compact_run(f->store, &co, &cs, &err), 0);
        removed += cs.files_before;
        assert_int_equal(tl_stream_lake_tombstones(s), 0);
    }
    /* one more commit: its fence reads the last compaction too */
    ingest(s, line, "{\"symbol\":\"IBM\",\"ts\":%lld,\"price\":1,\"seq\":%d}", now, line);
    assert_int_equal(tl_stream_flush(s, &err), 0);
    assert_int_equal(tl_stream_lake_tombstones(s), 0);
    assert_true(removed >= 18);
    tl_lake_snapshot *all = NULL;
    assert_int_equal(tl_lake_snapshot_load(f->store, "ticks", NULL, &all, &err), 0);
    assert_int_equal(tl_lake_snapshot_num_tombstones(all), removed); /* the log has them */
    tl_lake_snapshot_free(all);
    tl_stream_destroy(s);
    assert_int_equal(scalar(f, "SELECT count(*) FROM ticks"), line);
}

static void test_flush_triggers(void **state) {
    fixture *f = *state;
    tl_err err;
    f->opts.flush_rows = 10;
    tl_stream *s = tl_stream_new(f->store, &f->opts, &err);
    long long now = tl_now_us() / 1000;
    for (int i = 1; i <= 9; i++)
        ingest(s, i, "{\"symbol\":\"X\",\"ts\":%lld,\"price\":1,\"seq\":%d}", now, i);
    assert_int_equal(tl_stream_maybe_flush(s, &err), 0);
    ingest(s, 10, "{\"symbol\":\"X\",\"ts\":%lld,\"price\":1,\"seq\":10}", now);
    assert_int_equal(tl_stream_maybe_flush(s, &err), 1);
    assert_int_equal(tl_stream_counters_get(s)->buffered_rows, 0);
    /* ingest goes on while the batch is written; the next flush commits both */
    ingest(s, 11, "{\"symbol\":\"X\",\"ts\":%lld,\"price\":1,\"seq\":11}", now);
    assert_int_equal(tl_stream_flush(s, &err), 0);
    assert_int_equal(tl_stream_resume_offset(s, -1), 12);
    tl_stream_destroy(s);

    /* time: an idle stream with rejected input still commits its position */
    f->opts.flush_interval_ms = 1;
    f->opts.flush_rows = 1000;
    s = tl_stream_new(f->store, &f->opts, &err);
    ingest(s, 12, "oops");
    struct timespec ts = {0, 5 * 1000000};
    nanosleep(&ts, NULL);
    assert_int_equal(tl_stream_maybe_flush(s, &err), 1); /* sealed, being written */
    assert_int_equal(tl_stream_flush(s, &err), 0);       /* waits and commits */
    assert_int_equal(tl_stream_resume_offset(s, -1), 13);
    tl_stream_destroy(s);
    assert_int_equal(scalar(f, "SELECT count(*) FROM deadletter"), 1);
    assert_int_equal(scalar(f, "SELECT count(*) FROM ticks"), 11);
}

/* Ticks in many hours (a catch-up with late ticks) open a buffer each:
 * one tick costs a small array, not a big one (a handful of buffers stay
 * far below 64 KiB), and the memory cap flushes everything once the
 * buffers reach it, long before the row caps or the interval would. */
static int ticks_until_flush(fixture *f, int64_t cap, int most) {
    tl_err err;
    f->opts.max_buffered_bytes = cap;
    tl_stream *s = tl_stream_new(f->store, &f->opts, &err);
    assert_non_null(s);
    long long now = tl_now_us() / 1000, hour = 3600000;
    int64_t line = tl_stream_resume_offset(s, -1); /* lines count from 1 */
    if (line < 1)
        line = 1;
    int flushed_at = 0;
    for (int i = 1; i <= most && !flushed_at; i++) {
        /* each tick an hour further back: a buffer of its own */
        ingest(s, line++,
               "{\"symbol\":\"X\",\"ts\":%lld,\"price\":1,\"seq\":%d}", now - i * hour,
               (int)(cap % 1000) * 1000 + i);
        int rc = tl_stream_maybe_flush(s, &err);
        assert_true(rc >= 0);
        if (rc == 1) {
            flushed_at = i;
            assert_int_equal(tl_stream_counters_get(s)->buffered_rows, 0);
        }
    }
    assert_int_equal(tl_stream_flush(s, &err), 0);
    tl_stream_destroy(s);
    return flushed_at;
}

static void test_flush_on_buffered_bytes(void **state) {
    fixture *f = *state;
    int at = ticks_until_flush(f, 64 * 1024, 48);
    assert_true(at > 5);
    assert_true(at < 48);
    assert_int_equal(ticks_until_flush(f, 0, 48), 0); /* 0: no memory cap */
    assert_int_equal(scalar(f, "SELECT count(*) FROM ticks"), at + 48);
    assert_int_equal(scalar(f, "SELECT count(DISTINCT date_trunc('hour', ts)) FROM ticks"), 48);
}

/* A stream with one writer, flushing a bucket at flush_rows rows or the
 * buffers at cap bytes. */
static tl_stream *one_writer_stream(fixture *f, int flush_rows, int64_t cap) {
    tl_err err;
    f->opts.flush_rows = flush_rows;
    f->opts.max_buffered_bytes = cap;
    f->opts.write_threads = 1;
    tl_stream *s = tl_stream_new(f->store, &f->opts, &err);
    assert_non_null(s);
    return s;
}

/* n ticks of one symbol in the current hour, flushing when due; with
 * kept_cap > 0 each flush is waited for and must leave one kept array of
 * kept_cap rows. The number of flushes. */
static int feed_one_hour(tl_stream *s, int n, size_t kept_cap) {
    tl_err err;
    long long now = tl_now_us() / 1000;
    int flushes = 0;
    for (int i = 1; i <= n; i++) {
        ingest(s, i, "{\"symbol\":\"X\",\"ts\":%lld,\"price\":1,\"seq\":%d}", now, i);
        int rc = tl_stream_maybe_flush(s, &err);
        assert_true(rc >= 0);
        flushes += rc == 1;
        if (rc == 1 && kept_cap) {
            assert_int_equal(tl_stream_flush(s, &err), 0); /* written, committed, freed */
            assert_int_equal(s->nspare, 1);
            assert_int_equal(s->spare[0].cap, kept_cap);
        }
    }
    assert_int_equal(tl_stream_flush(s, &err), 0);
    return flushes;
}

/* A backfill's buckets fill to stream.flush_rows, and the next batch
 * reuses the array a flush freed. The kept arrays' budget is a quarter of
 * the memory cap but one full bucket when that is at most half the cap:
 * below it (a 48 MiB cap with 100,000-row flushes) every batch faulted in a
 * fresh array, and a 1M-tick backfill ran 9% slower. */
static void test_keeps_a_full_bucket_array(void **state) {
    fixture *f = *state;
    /* an array of 1,024 rows once full: above a quarter of the cap, below half */
    tl_stream *s = one_writer_stream(f, 1000, 300000);
    assert_true(1024 * sizeof(tl_tick_row) > 300000 / 4);
    assert_true(1024 * sizeof(tl_tick_row) <= 300000 / 2);
    assert_int_equal(feed_one_hour(s, 2000, 1024), 2);
    tl_stream_destroy(s);
    assert_int_equal(scalar(f, "SELECT count(*) FROM ticks"), 2000);
}

/* An array as big as the memory cap is never kept: a bucket given it counts
 * all of it, and the cap sealed a batch after every row or few (a 48 MiB
 * cap with 400,000-row flushes: 117 files where 3 or 4 were due). Here the
 * 1,024-row array passes the 100,000-byte cap at its 513th row: a flush
 * every 513 rows, never one per tick. */
static void test_no_kept_array_fills_the_cap(void **state) {
    fixture *f = *state;
    tl_stream *s = one_writer_stream(f, 1000, 100000);
    assert_int_equal(feed_one_hour(s, 2000, 0), 3); /* at rows 513, 1026, 1539 */
    assert_int_equal(s->nspare, 0);
    tl_stream_destroy(s);
    assert_int_equal(scalar(f, "SELECT count(*) FROM ticks"), 2000);
}

/* The watermark follows the slowest partition: a partition behind the
 * others (catching up after a restart) is not flagged late wholesale. */
static void test_watermark_per_partition(void **state) {
    fixture *f = *state;
    tl_err err;
    f->opts.source_id = NULL;
    f->opts.topic = "t";
    f->opts.group = "g";
    tl_stream *s = tl_stream_new(f->store, &f->opts, &err);
    assert_non_null(s);
    long long now = tl_now_us() / 1000;
    static const struct {
        int partition;
        long long ago_ms;
        int late_after;
    } steps[] = {
        {0, 100000, 0},                /* first ticks: judged by the watermark, none yet */
        {1, 95000, 0},                 /* within the horizon of partition 0 */
        {0, 0, 0},                     /* partition 0 runs ahead; partition 1 holds the frontier */
        {1, 90000, 0},  {0, 97000, 0}, /* behind its own partition, not behind the slowest one */
        {1, 200000, 1},                /* behind everything: late */
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        char msg[256];
        int n =
            snprintf(msg, sizeof msg, "{\"symbol\":\"S%d\",\"ts\":%lld,\"price\":1,\"seq\":%zu}",
                     steps[i].partition, now - steps[i].ago_ms, i);
        assert_int_equal(tl_stream_ingest(s, steps[i].partition, (int64_t)i, msg, (size_t)n, &err),
                         0);
        assert_int_equal(tl_stream_counters_get(s)->late, steps[i].late_after);
    }
    assert_int_equal(tl_stream_counters_get(s)->watermark_us, (now - 90000 - 10000) * 1000);
    tl_stream_destroy(s);
}

static void test_dedupe_horizon(void **state) {
    (void)state;
    tl_dedupe *d = tl_dedupe_new();
    for (int i = 0; i < 5000; i++)
        assert_int_equal(tl_dedupe_seen(d, "AAPL", i, i), 0);
    assert_int_equal(tl_dedupe_count(d), 1); /* a rising seq is one range */
    assert_int_equal(tl_dedupe_seen(d, "AAPL", 42, 42), 1);
    assert_int_equal(tl_dedupe_seen(d, "MSFT", 42, 42), 0);
    tl_dedupe_evict(d, 4000, 0); /* forget ranges untouched since 4000 */
    assert_int_equal(tl_dedupe_symbols(d), 1); /* MSFT went, AAPL is still extended */
    /* beyond the horizon, yet inside the run still growing: still caught */
    assert_int_equal(tl_dedupe_seen(d, "AAPL", 42, 4999), 1);
    assert_int_equal(tl_dedupe_seen(d, "MSFT", 42, 4999), 0); /* forgotten, so new again */

    /* a gap (a seq that never came) splits the run; a range left behind it
     * is forgotten once untouched for the horizon, the newest one is not */
    assert_int_equal(tl_dedupe_seen(d, "AAPL", 5001, 6000), 0);
    assert_int_equal(tl_dedupe_count(d), 3);
    tl_dedupe_evict(d, 5500, 0);
    assert_int_equal(tl_dedupe_seen(d, "AAPL", 100, 6000), 0); /* old run forgotten */
    assert_int_equal(tl_dedupe_seen(d, "AAPL", 5001, 6000), 1);
    /* the missing seq arrives late: the two runs around it become one */
    assert_int_equal(tl_dedupe_seen(d, "AAPL", 5000, 6000), 0);
    assert_int_equal(tl_dedupe_seen(d, "AAPL", 4999, 6000), 0);
    /* with slack, nothing is forgotten until something is older than it */
    tl_dedupe_evict(d, 7000, 2000); /* ranges kept since 6000 > 7000 - 2000 */
    assert_int_equal(tl_dedupe_seen(d, "AAPL", 5001, 6000), 1);
    tl_dedupe_evict(d, 8500, 2000); /* 6000 < 6500: a pass, everything < 8500 goes */
    assert_int_equal(tl_dedupe_count(d), 0);
    tl_dedupe_destroy(d);
}

/* Against a plain bitmap: any order, any symbol mix, recovery ranges. */
static void test_dedupe_exact(void **state) {
    (void)state;
    enum { SYMS = 5, SEQS = 3000 };
    static const char *const syms[SYMS] = {"A", "B", "BRK.B", "Z9", "MSFT"};
    static unsigned char seen[SYMS][SEQS];
    memset(seen, 0, sizeof seen);
    tl_dedupe *d = tl_dedupe_new();
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 60000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int sym = (int)(x % SYMS), seq = (int)((x >> 8) % SEQS);
        if (i % 1000 == 999) { /* now and then a range, as recovery adds */
            int hi = seq + (int)((x >> 24) % 50);
            if (hi >= SEQS)
                hi = SEQS - 1;
            assert_int_equal(tl_dedupe_add_range(d, syms[sym], seq, hi, 0), 0);
            for (int k = seq; k <= hi; k++)
                seen[sym][k] = 1;
            continue;
        }
        int want = seen[sym][seq];
        seen[sym][seq] = 1;
        if (tl_dedupe_seen(d, syms[sym], seq, 0) != want)
            fail_msg("step %d: %s %d: want %d", i, syms[sym], seq, want);
    }
    /* every seq ends in a range: the count is the number of runs */
    size_t runs = 0;
    for (int k = 0; k < SYMS; k++)
        for (int q = 0; q < SEQS; q++)
            runs += seen[k][q] && (q == 0 || !seen[k][q - 1]);
    assert_int_equal(tl_dedupe_count(d), runs);
    tl_dedupe_destroy(d);
}

static void test_dedupe_symbols_exact(void **state) {
    (void)state;
    tl_dedupe *d;
    /* symbols are keys, exactly: near-identical ones never collide */
    static const char *const syms[] = {"A",     "AA",    "A.",           "A-",
                                       "B",     "AB",    "BA",           "0",
                                       "Z9.-",  "Z9-.",  "ZZZZZZZZZZZZ", "------------",
                                       "BRK.B", "BRK-B", "999999999999", "ZZZZZZZZZZZY"};
    d = tl_dedupe_new();
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++)
            for (int seq = 0; seq < 3; seq++)
                assert_int_equal(tl_dedupe_seen(d, syms[i], seq, 0), round);
    tl_dedupe_destroy(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_validate_late_dupe_future, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_clock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_skips_and_remembers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoints_off_the_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_keeps_no_tombstones, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_triggers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_on_buffered_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keeps_a_full_bucket_array, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_kept_array_fills_the_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watermark_per_partition, setup, teardown),
        cmocka_unit_test(test_dedupe_horizon),
        cmocka_unit_test(test_dedupe_exact),
        cmocka_unit_test(test_dedupe_symbols_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
