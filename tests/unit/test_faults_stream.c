/* The stream's flush path under injected faults, the exactly-once commit
 * fence and tl_stream_fail.
 *
 * Sweeps: a stream on a local lake buffers ten messages (two of them
 * dead letters); for N = 1, 2, ... the Nth allocation, the Nth store
 * operation, or the Nth write reported as failed after it was done, fails
 * during tl_stream_flush. After each: a clean error that the stream keeps
 * returning (it has failed; unless it failed before taking the buffers,
 * and then the next flush commits them all), each table as a fresh reader sees it either
 * unchanged or with the whole commit, no log entry naming a missing file;
 * then a new stream over the same lake, fed the same ten messages, commits
 * what is missing: exactly eight ticks and two dead letters, whatever the
 * fault was. Leaks on the error paths: `make asan` / `make valgrind`. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "source/source.h"
#include "stream/stream.h"
#include "stream/stream_run.h"
#include "tables/tables.h"
#include "tl_fault.h"
#include "tl_test.h"
#include "util/clock.h"
#include "util/log.h"

#define NMSG 10 /* offsets 1..10; every fifth is not a tick */
#define NTICKS 8
#define NDEAD 2
#define APP "file/faults"

typedef struct fixture {
    char root[128];
    char dir[192]; /* this run's lake */
    int run;
    tl_store *real, *fault;
    tl_stream_opts opts;
    long long now_ms;
} fixture;

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    tl_log_set_level(TL_LOG_ERROR); /* failed flushes log errors; warnings are noise */
    if (!fx || tl_fault_tmpdir(fx->root, sizeof fx->root, "faults-stream") != 0)
        return -1;
    fx->opts = (tl_stream_opts){.source_id = "faults",
                                .ts_unit = TL_TS_UNIT_MS,
                                .max_message_bytes = 4096,
                                .flush_rows = 1000000,
                                .flush_interval_ms = 3600000,
                                .allowed_lateness_us = 10 * 1000000LL,
                                .max_future_skew_us = 60 * 1000000LL,
                                .max_buffered_rows = 1000000};
    fx->now_ms = tl_now_us() / 1000;
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    fixture *fx = *state;
    int rc = tl_test_rm_tree(fx->root);
    free(fx);
    return rc;
}

/* A fresh lake for the next run. */
static void lake_open(fixture *fx) {
    snprintf(fx->dir, sizeof fx->dir, "%s/run-%d", fx->root, ++fx->run);
    tl_err err = {0};
    assert_non_null(fx->real = tl_store_open(fx->dir, &err));
    assert_non_null(fx->fault = tl_fault_store_new(fx->real, false));
}

static void lake_close(fixture *fx) {
    tl_store_destroy(fx->fault);
    tl_store_destroy(fx->real);
    assert_int_equal(tl_test_rm_tree(fx->dir), 0);
}

/* The ten messages; dead: with the two that are not ticks. */
static void feed(fixture *fx, tl_stream *s, bool dead) {
    for (int i = 1; i <= NMSG; i++) {
        char msg[256];
        if (i % 5 == 0 && dead)
            snprintf(msg, sizeof msg, "not a tick %d", i);
        else
            snprintf(msg, sizeof msg, "{\"symbol\":\"S%d\",\"ts\":%lld,\"price\":%d.25,\"seq\":%d}",
                     i % 3, fx->now_ms - 1000 + i, 100 + i, i);
        tl_err err = {0};
        if (tl_stream_ingest(s, -1, i, msg, strlen(msg), &err) != 0)
            fail_msg("ingest %d: %s", i, err.msg);
    }
}

/* A table after the faulted flush: unchanged, or one version more with
 * all of the batch's rows and its txn. */
static void check_table(long n, const char *table, const tl_fault_picture *before,
                        const tl_fault_picture *after, int64_t rows) {
    if (tl_fault_picture_same(before, after))
        return;
    char txn[64];
    snprintf(txn, sizeof txn, APP "=%d\n", NMSG);
    if (after->version != before->version + 1 || after->rows != before->rows + rows ||
        strcmp(after->txns.data ? after->txns.data : "", txn) != 0)
        fail_msg("N=%ld: %s is neither unchanged nor the whole commit: version %" PRId64
                 " -> %" PRId64 ", rows %" PRId64 " -> %" PRId64 ", txns '%s'",
                 n, table, before->version, after->version, before->rows, after->rows,
                 after->txns.data ? after->txns.data : "");
}

/* After the run: a new stream fed the same messages makes the lake hold
 * each of them exactly once. */
static void recover_and_check(fixture *fx, long n) {
    tl_err err = {0};
    tl_stream *s = tl_stream_new(fx->fault, &fx->opts, &err);
    if (!s)
        fail_msg("N=%ld: no stream after the fault is gone: %s", n, err.msg);
    feed(fx, s, true);
    if (tl_stream_flush(s, &err) != 0)
        fail_msg("N=%ld: the flush fails after the fault is gone: %s", n, err.msg);
    tl_stream_destroy(s);
    tl_fault_picture t, d;
    tl_fault_picture_take(fx->real, TL_TICKS_TABLE, &t);
    tl_fault_picture_take(fx->real, TL_DEADLETTER_TABLE, &d);
    if (t.rows != NTICKS || d.rows != NDEAD)
        fail_msg("N=%ld: after recovery %" PRId64 " ticks and %" PRId64
                 " dead letters, want %d and %d",
                 n, t.rows, d.rows, NTICKS, NDEAD);
    tl_fault_picture_free(&t);
    tl_fault_picture_free(&d);
}

static void sweep_flush(fixture *fx, tl_fault_mode m, int want) {
    tl_err err = {0};
    long total = 0, step = 1, n, runs = 0;
    for (n = 0;; n = n ? tl_fault_next(n, step, total) : tl_fault_first(), runs++) {
        if (n > total + TL_FAULT_SLACK)
            fail_msg("runs reach the fault past N=%ld; a fault-free run counted %ld", n, total);
        lake_open(fx);
        tl_stream *s = tl_stream_new(fx->fault, &fx->opts, &err);
        assert_non_null(s);
        feed(fx, s, true);
        tl_fault_picture tb, db, ta, da;
        tl_fault_picture_take(fx->real, TL_TICKS_TABLE, &tb);
        tl_fault_picture_take(fx->real, TL_DEADLETTER_TABLE, &db);
        err = (tl_err){0};
        tl_fault_arm(fx->fault, m, n ? n : LONG_MAX); /* n 0: count, never fail */
        int rc = tl_stream_flush(s, &err);
        bool fired = tl_fault_disarm(fx->fault, m);
        if (n == 0) {
            total = tl_fault_count(fx->fault, m);
            step = tl_fault_step(total);
            assert_int_equal(rc, 0);
        }
        tl_fault_check_error(n, rc, &err, want, fired);
        if (rc != 0) {
            /* Either the stream has failed for good (the same error from
             * every later call) or the failure came before it took the
             * buffers (sealing a batch) and a retry commits them all. */
            tl_err again = {0};
            int rc2 = tl_stream_flush(s, &again);
            if (rc2 != 0 && (rc2 != rc || strcmp(again.msg, err.msg) != 0))
                fail_msg("N=%ld: a failed flush gave %d (%s), the next one %d (%s)", n, rc, err.msg,
                         rc2, again.msg);
            if (rc2 == 0)
                rc = 0; /* all committed now: checked below */
        }
        tl_stream_destroy(s);
        tl_fault_picture_take(fx->real, TL_TICKS_TABLE, &ta);
        tl_fault_picture_take(fx->real, TL_DEADLETTER_TABLE, &da);
        check_table(n, TL_TICKS_TABLE, &tb, &ta, NTICKS);
        check_table(n, TL_DEADLETTER_TABLE, &db, &da, NDEAD);
        if (rc == 0 && (ta.rows != NTICKS || da.rows != NDEAD))
            fail_msg("N=%ld: reported success without committing", n);
        recover_and_check(fx, n);
        tl_fault_picture_free(&tb);
        tl_fault_picture_free(&db);
        tl_fault_picture_free(&ta);
        tl_fault_picture_free(&da);
        lake_close(fx);
        if (n > 0 && !fired)
            break;
    }
    print_message("flush sweep (mode %d): %ld counted, step %ld, %ld runs\n", (int)m, total, step,
                  runs);
}

static void test_flush_malloc(void **state) {
    sweep_flush(*state, TL_FAULT_MALLOC, TL_ERR_NOMEM);
}

static void test_flush_store(void **state) {
    sweep_flush(*state, TL_FAULT_STORE, TL_ERR_IO);
}

static void test_flush_store_after(void **state) {
    sweep_flush(*state, TL_FAULT_STORE_AFTER, TL_ERR_IO);
}

/* Opening a stream (creating both tables, recovering positions) under
 * allocation failures: NULL with a clean error, each table absent or
 * whole, and the stream opens once the fault is gone. */
static void test_new_malloc(void **state) {
    fixture *fx = *state;
    long total = 0, step = 1, n, runs = 0;
    for (n = 0;; n = n ? tl_fault_next(n, step, total) : tl_fault_first(), runs++) {
        if (n > total + TL_FAULT_SLACK)
            fail_msg("runs reach the fault past N=%ld; a fault-free run counted %ld", n, total);
        lake_open(fx);
        tl_err err = {0};
        tl_fault_malloc_arm(n ? n : LONG_MAX);
        tl_stream *s = tl_stream_new(fx->fault, &fx->opts, &err);
        bool fired = tl_fault_malloc_disarm();
        if (n == 0) {
            total = tl_fault_malloc_count();
            step = tl_fault_step(total);
            assert_non_null(s);
        }
        if (!s)
            tl_fault_check_error(n, err.code ? err.code : -1000, &err, TL_ERR_NOMEM, fired);
        tl_stream_destroy(s);
        for (int t = 0; t < 2; t++) { /* each table: absent or whole */
            tl_fault_picture p;
            tl_fault_picture_take(fx->real, t ? TL_TICKS_TABLE : TL_DEADLETTER_TABLE, &p);
            assert_true(p.version <= 0 && p.nfiles == 0);
            tl_fault_picture_free(&p);
        }
        recover_and_check(fx, n);
        lake_close(fx);
        if (n > 0 && !fired)
            break;
    }
    print_message("stream open sweep: %ld counted, step %ld, %ld runs\n", total, step, runs);
}

/* The drive loop with parse workers (tl_stream_run, parse_threads 2) over a
 * file of the same ten messages, under allocation failures: the pool's
 * setup, a batch's slot, the ingest and the flush fail cleanly (an error
 * with a message, no thread left, nothing leaked: ASan), and a stream fed
 * the messages afterwards leaves each once in the lake. */
static void test_run_parallel_malloc(void **state) {
    fixture *fx = *state;
    char path[256];
    snprintf(path, sizeof path, "%s/in.jsonl", fx->root);
    FILE *in = fopen(path, "w");
    assert_non_null(in);
    for (int i = 1; i <= NMSG; i++) /* what feed() ingests, one line each */
        if (i % 5 == 0)
            fprintf(in, "not a tick %d\n", i);
        else
            fprintf(in, "{\"symbol\":\"S%d\",\"ts\":%lld,\"price\":%d.25,\"seq\":%d}\n", i % 3,
                    fx->now_ms - 1000 + i, 100 + i, i);
    assert_int_equal(fclose(in), 0);
    tl_stream_opts o = fx->opts;
    o.parse_threads = 2;
    long total = 0, step = 1, n, runs = 0;
    for (n = 0;; n = n ? tl_fault_next(n, step, total) : tl_fault_first(), runs++) {
        if (n > total + TL_FAULT_SLACK)
            fail_msg("runs reach the fault past N=%ld; a fault-free run counted %ld", n, total);
        lake_open(fx);
        tl_err err = {0};
        tl_stream *s = tl_stream_new(fx->fault, &o, &err);
        assert_non_null(s);
        tl_source *src = tl_source_file_new(path, 4096, &err);
        assert_non_null(src);
        tl_fault_malloc_arm(n ? n : LONG_MAX);
        int rc = tl_stream_run(s, src, NULL, &err);
        bool fired = tl_fault_malloc_disarm();
        if (n == 0) {
            total = tl_fault_malloc_count();
            step = tl_fault_step(total);
            assert_int_equal(rc, 0);
        }
        if (rc != 0 && (!fired || !err.msg[0]))
            fail_msg("N=%ld: run failed (%d) without the fault or a message: %s", n, rc, err.msg);
        tl_source_destroy(src);
        tl_stream_destroy(s);
        recover_and_check(fx, n);
        lake_close(fx);
        if (n > 0 && !fired)
            break;
    }
    print_message("parallel run sweep: %ld counted, step %ld, %ld runs\n", total, step, runs);
}

/* ---- the exactly-once fence -------------------------------------------------- */

/* The data files under table/ that are not _delta_log. */
static size_t data_files(fixture *fx, const char *table) {
    tl_store_entry *e = NULL;
    size_t n = 0, files = 0;
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s/", table);
    tl_err err = {0};
    assert_int_equal(tl_store_list(fx->real, prefix, &e, &n, &err), 0);
    for (size_t i = 0; i < n; i++)
        files += strstr(e[i].key, "/_delta_log/") == NULL;
    tl_store_entries_free(e, n);
    return files;
}

/* Two streams with the same source (one app id): B commits first; A, which
 * read its position before, is fenced before it commits — its flush fails
 * with TL_ERR_CONFLICT, its files are removed, B's rows are all there. */
static void test_fence_stale_writer(void **state) {
    fixture *fx = *state;
    lake_open(fx);
    tl_err err = {0};
    tl_stream *a = tl_stream_new(fx->real, &fx->opts, &err);
    tl_stream *b = tl_stream_new(fx->real, &fx->opts, &err);
    assert_non_null(a);
    assert_non_null(b);
    feed(fx, a, false); /* A reads the lake's position (nothing yet) */
    feed(fx, b, false);
    assert_int_equal(tl_stream_flush(b, &err), 0);
    err = (tl_err){0};
    assert_int_equal(tl_stream_flush(a, &err), TL_ERR_CONFLICT);
    assert_non_null(strstr(err.msg, APP));
    /* A has failed: it takes nothing more */
    assert_int_equal(tl_stream_ingest(a, -1, 11, "{}", 2, &err), TL_ERR_CONFLICT);
    tl_stream_destroy(a);
    tl_stream_destroy(b);
    tl_fault_picture p;
    tl_fault_picture_take(fx->real, TL_TICKS_TABLE, &p);
    assert_int_equal(p.rows, NMSG);
    assert_string_equal(p.txns.data, APP "=10\n");
    assert_int_equal(data_files(fx, TL_TICKS_TABLE), p.nfiles); /* A's file is gone */
    tl_fault_picture_free(&p);
    lake_close(fx);
}

typedef struct race {
    fixture *fx;
    tl_stream *winner;
    bool done;
} race;

/* Runs on the loser's first log write: the winner commits in between. */
static void winner_commits_first(void *ud, tl_fault_op op, const char *key) {
    race *r = ud;
    if (r->done || op != TL_FAULT_PUT_IF_ABSENT || !strstr(key, "/_delta_log/"))
        return;
    r->done = true;
    tl_err err = {0};
    if (tl_stream_flush(r->winner, &err) != 0)
        fail_msg("the winner's flush: %s", err.msg);
}

/* The same race, lost later: A passes the fence, then B commits before
 * A's log write; A's commit finds B's txn for its app id, fails with
 * TL_ERR_CONFLICT and removes its files; B's survive. */
static void test_fence_race_at_commit(void **state) {
    fixture *fx = *state;
    lake_open(fx);
    tl_err err = {0};
    tl_stream *a = tl_stream_new(fx->fault, &fx->opts, &err);
    tl_stream *b = tl_stream_new(fx->real, &fx->opts, &err);
    assert_non_null(a);
    assert_non_null(b);
    feed(fx, a, false);
    feed(fx, b, false);
    race r = {fx, b, false};
    tl_fault_store_hook(fx->fault, winner_commits_first, &r);
    err = (tl_err){0};
    assert_int_equal(tl_stream_flush(a, &err), TL_ERR_CONFLICT);
    tl_fault_store_hook(fx->fault, NULL, NULL);
    assert_true(r.done);
    assert_non_null(strstr(err.msg, APP));
    tl_stream_destroy(a);
    tl_stream_destroy(b);
    tl_fault_picture p;
    tl_fault_picture_take(fx->real, TL_TICKS_TABLE, &p);
    assert_int_equal(p.rows, NMSG);
    assert_int_equal(p.nfiles, 1);
    assert_string_equal(p.txns.data, APP "=10\n");
    assert_int_equal(data_files(fx, TL_TICKS_TABLE), 1); /* B's only */
    tl_fault_picture_free(&p);
    lake_close(fx);
}

/* ---- tl_stream_fail ------------------------------------------------------------- */

/* A failed stream returns the first failure's code and message from
 * every later call, commits nothing, and a new stream resumes from the
 * lake. */
static void test_stream_fail(void **state) {
    fixture *fx = *state;
    lake_open(fx);
    tl_err err = {0};
    tl_stream *s = tl_stream_new(fx->real, &fx->opts, &err);
    assert_non_null(s);
    feed(fx, s, true);
    tl_err why = {0}, later = {0};
    tl_err_set(&why, TL_ERR_KAFKA, "flush on revoke failed");
    tl_stream_fail(s, &why);
    tl_err_set(&later, TL_ERR_IO, "a second failure");
    tl_stream_fail(s, &later); /* the first one stays */
    err = (tl_err){0};
    assert_int_equal(tl_stream_ingest(s, -1, 11, "{}", 2, &err), TL_ERR_KAFKA);
    assert_string_equal(err.msg, "flush on revoke failed");
    err = (tl_err){0};
    assert_int_equal(tl_stream_maybe_flush(s, &err), TL_ERR_KAFKA);
    err = (tl_err){0};
    assert_int_equal(tl_stream_flush(s, &err), TL_ERR_KAFKA);
    assert_string_equal(err.msg, "flush on revoke failed");
    tl_stream_destroy(s);
    tl_fault_picture p;
    tl_fault_picture_take(fx->real, TL_TICKS_TABLE, &p);
    assert_int_equal(p.version, 0); /* created, nothing committed */
    assert_int_equal(data_files(fx, TL_TICKS_TABLE), 0);
    tl_fault_picture_free(&p);
    recover_and_check(fx, 0);
    lake_close(fx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fence_stale_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fence_race_at_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_fail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_store_after, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_malloc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_malloc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_parallel_malloc, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
