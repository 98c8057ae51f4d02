/* Several flush batches in flight (stream.write_threads): whatever order
 * their writes finish in, they are committed in epoch order; a failure of
 * any of them stops the stream without committing the ones after it, and
 * the files of those are removed; the batches in flight share the memory
 * cap. Then fault sweeps (allocations, store operations, writes reported
 * failed after they happened) with three batches in flight: the lake holds
 * a prefix of the batches, never a later one without an earlier one, and a
 * new stream fed the same messages commits the rest exactly once.
 *
 * Batches are made deterministic with tl_stream_maybe_flush after every
 * second message (flush_rows 2: batch k holds offsets 2k-1 and 2k), and
 * their order of completion with a store hook that holds batch 1's Parquet
 * upload until the test lets it go. The test reads the stream's queue of
 * batches in flight (stream_int.h) to know when the later ones are done. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "stream/stream.h"
#include "stream/stream_int.h"
#include "tables/tables.h"
#include "tl_fault.h"
#include "tl_test.h"
#include "util/clock.h"
#include "util/log.h"

#define NBATCH 3
#define NMSG (2 * NBATCH) /* offsets 1..6 */
#define APP "file/writers"
#define WAIT_MS 20000 /* bound of every wait: a hang fails instead */

typedef struct fixture {
    char root[128];
    char dir[192];
    int run;
    tl_store *real, *fault;
    tl_stream_opts opts;
    long long now_ms;
    /* the gate: batch 1's Parquet upload waits until open */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool gate_on, open;
    /* what the committed callback saw, in order */
    int64_t committed[16];
    int ncommitted;
} fixture;

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    tl_log_set_level(TL_LOG_ERROR);
    if (!fx || tl_fault_tmpdir(fx->root, sizeof fx->root, "faults-writers") != 0)
        return -1;
    fx->opts = (tl_stream_opts){.source_id = "writers",
                                .ts_unit = TL_TS_UNIT_MS,
                                .max_message_bytes = 4096,
                                .flush_rows = 2,
                                .flush_interval_ms = 3600000,
                                .allowed_lateness_us = 10 * 1000000LL,
                                .max_future_skew_us = 60 * 1000000LL,
                                .max_buffered_rows = 1000000,
                                .write_threads = NBATCH};
    fx->now_ms = tl_now_us() / 1000;
    pthread_mutex_init(&fx->mu, NULL);
    pthread_cond_init(&fx->cv, NULL);
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    fixture *fx = *state;
    int rc = tl_test_rm_tree(fx->root);
    pthread_mutex_destroy(&fx->mu);
    pthread_cond_destroy(&fx->cv);
    free(fx);
    return rc;
}

static void lake_open(fixture *fx) {
    snprintf(fx->dir, sizeof fx->dir, "%s/run-%d", fx->root, ++fx->run);
    tl_err err = {0};
    assert_non_null(fx->real = tl_store_open(fx->dir, &err));
    assert_non_null(fx->fault = tl_fault_store_new(fx->real, false));
    fx->gate_on = fx->open = false;
    fx->ncommitted = 0;
}

static void lake_close(fixture *fx) {
    tl_store_destroy(fx->fault);
    tl_store_destroy(fx->real);
    assert_int_equal(tl_test_rm_tree(fx->dir), 0);
}

/* The store hook (on writer threads): batch 1's ticks file waits for the
 * gate, at most WAIT_MS. */
static void hold_first(void *ud, tl_fault_op op, const char *key) {
    fixture *fx = ud;
    if (op != TL_FAULT_PUT_FILE || strncmp(key, TL_TICKS_TABLE "/", strlen(TL_TICKS_TABLE) + 1) ||
        !strstr(key, "-writers-1-2-"))
        return;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += WAIT_MS / 1000;
    pthread_mutex_lock(&fx->mu);
    while (fx->gate_on && !fx->open)
        if (pthread_cond_timedwait(&fx->cv, &fx->mu, &until) != 0)
            break;
    pthread_mutex_unlock(&fx->mu);
}

static void gate_close(fixture *fx) {
    pthread_mutex_lock(&fx->mu);
    fx->gate_on = true;
    fx->open = false;
    pthread_mutex_unlock(&fx->mu);
    tl_fault_store_hook(fx->fault, hold_first, fx);
}

static void gate_open(fixture *fx) {
    pthread_mutex_lock(&fx->mu);
    fx->open = true;
    pthread_cond_broadcast(&fx->cv);
    pthread_mutex_unlock(&fx->mu);
}

static void on_committed(void *ud, int32_t partition, int64_t offset) {
    fixture *fx = ud;
    assert_int_equal(partition, -1);
    if (fx->ncommitted < 16)
        fx->committed[fx->ncommitted++] = offset;
}

static void tick(fixture *fx, int i, char *msg, size_t cap) {
    snprintf(msg, cap, "{\"symbol\":\"S%d\",\"ts\":%lld,\"price\":%d.25,\"seq\":%d}", i % 3,
             fx->now_ms - 1000 + i, 100 + i, i);
}

/* Offsets from..to, a due flush after every second: one batch each. */
static int feed(fixture *fx, tl_stream *s, int from, int to, tl_err *err) {
    for (int i = from; i <= to; i++) {
        char msg[256];
        tick(fx, i, msg, sizeof msg);
        int rc = tl_stream_ingest(s, -1, i, msg, strlen(msg), err);
        if (rc == 0 && i % 2 == 0)
            rc = tl_stream_maybe_flush(s, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static bool batch_done(const tl_stream *s, size_t i) {
    return s->ninflight > i && atomic_load(&s->inflight[i]->done);
}

/* Wait until the batches in flight after the first one (held at the gate)
 * have written their files. */
static void wait_later_done(const tl_stream *s) {
    int64_t until = tl_mono_ms() + WAIT_MS;
    while (!(batch_done(s, 1) && batch_done(s, 2)) && tl_mono_ms() < until) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    assert_int_equal(s->ninflight, NBATCH);
    assert_true(batch_done(s, 1) && batch_done(s, 2));
    assert_false(batch_done(s, 0)); /* still at the gate */
}

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

/* Version v of the ticks log holds batch v: its file (offsets 2v-1..2v)
 * and the txn up to 2v. */
static void check_version(fixture *fx, int v) {
    char key[128], file[64], txn[64];
    snprintf(key, sizeof key, TL_TICKS_TABLE "/_delta_log/%020d.json", v);
    tl_buf b = TL_BUF_INIT;
    tl_err err = {0};
    if (tl_store_get(fx->real, key, &b, &err) != 0)
        fail_msg("%s: %s", key, err.msg);
    snprintf(file, sizeof file, "-writers-%d-%d-", 2 * v - 1, 2 * v);
    snprintf(txn, sizeof txn, "\"appId\":\"" APP "\",\"version\":%d,", 2 * v);
    if (!strstr(b.data, file) || !strstr(b.data, txn))
        fail_msg("version %d is not batch %d (want %s and %s): %s", v, v, file, txn, b.data);
    tl_buf_free(&b);
}

/* A new stream over the lake, fed every message, leaves each once. */
static void recover_and_check(fixture *fx, long n) {
    tl_err err = {0};
    tl_stream *s = tl_stream_new(fx->real, &fx->opts, &err);
    if (!s)
        fail_msg("N=%ld: no stream after the fault is gone: %s", n, err.msg);
    if (feed(fx, s, 1, NMSG, &err) != 0 || tl_stream_flush(s, &err) != 0)
        fail_msg("N=%ld: the stream fails after the fault is gone: %s", n, err.msg);
    tl_stream_destroy(s);
    tl_fault_picture t;
    tl_fault_picture_take(fx->real, TL_TICKS_TABLE, &t);
    if (t.rows != NMSG)
        fail_msg("N=%ld: after recovery %" PRId64 " ticks, want %d", n, t.rows, NMSG);
    tl_fault_picture_free(&t);
}

/* Batch 1 finishes last; all three are committed in epoch order, none
 * before batch 1 is written. */
static void test_later_batch_waits(void **state) {
    fixture *fx = *state;
    lake_open(fx);
    tl_err err = {0};
    tl_stream *s = tl_stream_new(fx->fault, &fx->opts, &err);
    assert_non_null(s);
    tl_stream_on_committed(s, on_committed, fx);
    gate_close(fx);
    assert_int_equal(feed(fx, s, 1, NMSG, &err), 0);
    wait_later_done(s);
    /* batches 2 and 3 are written; a poll must not commit them */
    assert_int_equal(tl_stream_maybe_flush(s, &err), 0);
    assert_int_equal(fx->ncommitted, 0);
    tl_fault_picture p;
    tl_fault_picture_take(fx->real, TL_TICKS_TABLE, &p);
    assert_int_equal(p.version, 0);
    tl_fault_picture_free(&p);
    gate_open(fx);
    assert_int_equal(tl_stream_flush(s, &err), 0);
    tl_fault_store_hook(fx->fault, NULL, NULL);
    assert_int_equal(fx->ncommitted, NBATCH);
    for (int v = 1; v <= NBATCH; v++) {
        assert_int_equal(fx->committed[v - 1], 2 * v);
        check_version(fx, v);
    }
    tl_stream_destroy(s);
    tl_fault_picture_take(fx->real, TL_TICKS_TABLE, &p);
    assert_int_equal(p.version, NBATCH);
    assert_int_equal(p.rows, NMSG);
    tl_fault_picture_free(&p);
    lake_close(fx);
}

/* Batch 1's upload fails after batches 2 and 3 are written: nothing is
 * committed, the stream keeps the error, and every file is removed. */
static void test_failed_write_stops_later(void **state) {
    fixture *fx = *state;
    lake_open(fx);
    tl_err err = {0};
    tl_stream *s = tl_stream_new(fx->fault, &fx->opts, &err);
    assert_non_null(s);
    tl_stream_on_committed(s, on_committed, fx);
    gate_close(fx);
    /* the third upload counted is batch 1's: 2 and 3 pass the gate first */
    tl_fault_store_arm(fx->fault, NBATCH, TL_FAULT_PUT_FILE, TL_ERR_IO, false);
    assert_int_equal(feed(fx, s, 1, NMSG, &err), 0);
    wait_later_done(s);
    assert_int_equal(tl_stream_maybe_flush(s, &err), 0); /* 2 and 3 wait for 1 */
    gate_open(fx);
    err = (tl_err){0};
    assert_int_equal(tl_stream_flush(s, &err), TL_ERR_IO);
    assert_true(tl_fault_store_disarm(fx->fault));
    assert_non_null(strstr(err.msg, "-writers-1-2-"));
    tl_fault_store_hook(fx->fault, NULL, NULL);
    tl_err again = {0};
    assert_int_equal(tl_stream_flush(s, &again), TL_ERR_IO);
    assert_string_equal(again.msg, err.msg);
    assert_int_equal(fx->ncommitted, 0);
    assert_int_equal(s->ninflight, 0);
    tl_stream_destroy(s);
    tl_fault_picture p;
    tl_fault_picture_take(fx->real, TL_TICKS_TABLE, &p);
    assert_int_equal(p.version, 0);
    tl_fault_picture_free(&p);
    assert_int_equal(data_files(fx, TL_TICKS_TABLE), 0); /* 2's and 3's files are gone */
    recover_and_check(fx, 0);
    lake_close(fx);
}

/* Batch 1's commit fails (an I/O error: it may have landed, so its file
 * stays) after batches 2 and 3 are written: neither is committed, and
 * their files are removed. */
static void test_failed_commit_stops_later(void **state) {
    fixture *fx = *state;
    lake_open(fx);
    tl_err err = {0};
    tl_stream *s = tl_stream_new(fx->fault, &fx->opts, &err);
    assert_non_null(s);
    tl_stream_on_committed(s, on_committed, fx);
    gate_close(fx);
    assert_int_equal(feed(fx, s, 1, NMSG, &err), 0);
    wait_later_done(s);
    assert_int_equal(tl_stream_maybe_flush(s, &err), 0); /* 2 and 3 wait for 1 */
    tl_fault_store_arm(fx->fault, 1, TL_FAULT_PUT_IF_ABSENT, TL_ERR_IO, false);
    gate_open(fx);
    err = (tl_err){0};
    assert_int_equal(tl_stream_flush(s, &err), TL_ERR_IO);
    assert_true(tl_fault_store_disarm(fx->fault));
    tl_fault_store_hook(fx->fault, NULL, NULL);
    assert_int_equal(fx->ncommitted, 0);
    tl_stream_destroy(s);
    tl_fault_picture p;
    tl_fault_picture_take(fx->real, TL_TICKS_TABLE, &p);
    assert_int_equal(p.version, 0);
    tl_fault_picture_free(&p);
    assert_int_equal(data_files(fx, TL_TICKS_TABLE), 1); /* batch 1's only */
    recover_and_check(fx, 0);
    lake_close(fx);
}

static void *open_later(void *arg) {
    struct timespec t = {0, 50 * 1000000};
    nanosleep(&t, NULL);
    gate_open(arg);
    return NULL;
}

/* The memory cap holds with writers free: a batch that does not fit
 * beside the one in flight waits for it (committed first), so only one
 * is ever in flight here. */
static void test_memory_cap_waits(void **state) {
    fixture *fx = *state;
    lake_open(fx);
    fx->opts.max_buffered_bytes = 1; /* any buffer fills it */
    tl_err err = {0};
    tl_stream *s = tl_stream_new(fx->fault, &fx->opts, &err);
    assert_non_null(s);
    tl_stream_on_committed(s, on_committed, fx);
    gate_close(fx);
    assert_int_equal(feed(fx, s, 1, 2, &err), 0);
    assert_int_equal(s->ninflight, 1);
    pthread_t t; /* lets batch 1 go while the stream waits for it */
    assert_int_equal(pthread_create(&t, NULL, open_later, fx), 0);
    assert_int_equal(feed(fx, s, 3, 4, &err), 0);
    pthread_join(t, NULL);
    assert_int_equal(fx->ncommitted, 1); /* batch 1 before batch 2 was sealed */
    assert_int_equal(s->ninflight, 1);
    assert_int_equal(tl_stream_flush(s, &err), 0);
    tl_fault_store_hook(fx->fault, NULL, NULL);
    assert_int_equal(fx->ncommitted, 2);
    tl_stream_destroy(s);
    lake_close(fx);
}

/* ---- sweeps ------------------------------------------------------------------ */

/* The lake after a faulted run: batches 1..v for some v, whole. */
static void check_prefix(long n, fixture *fx, int rc) {
    tl_fault_picture p;
    tl_fault_picture_take(fx->real, TL_TICKS_TABLE, &p);
    int v = (int)p.version;
    char txn[64] = "";
    if (v > 0)
        snprintf(txn, sizeof txn, APP "=%d\n", 2 * v);
    if (v < 0 || v > NBATCH || p.rows != 2 * v || p.nfiles != (size_t)v ||
        strcmp(p.txns.data ? p.txns.data : "", txn) != 0)
        fail_msg("N=%ld: the lake is not a prefix of the batches: version %d, %" PRId64
                 " rows, %zu files, txns '%s'",
                 n, v, p.rows, p.nfiles, p.txns.data ? p.txns.data : "");
    for (int i = 1; i <= v; i++)
        check_version(fx, i);
    if (rc == 0 && v != NBATCH)
        fail_msg("N=%ld: reported success with %d of %d batches", n, v, NBATCH);
    tl_fault_picture_free(&p);
}

static void sweep(fixture *fx, tl_fault_mode m, int want) {
    long total = 0, step = 1, n, runs = 0;
    for (n = 0;; n = n ? tl_fault_next(n, step, total) : tl_fault_first(), runs++) {
        if (n > total + TL_FAULT_SLACK)
            fail_msg("runs reach the fault past N=%ld; a fault-free run counted %ld", n, total);
        lake_open(fx);
        tl_err err = {0};
        tl_stream *s = tl_stream_new(fx->fault, &fx->opts, &err);
        assert_non_null(s);
        tl_fault_arm(fx->fault, m, n ? n : LONG_MAX);
        int rc = feed(fx, s, 1, NMSG, &err);
        if (rc == 0)
            rc = tl_stream_flush(s, &err);
        bool fired = tl_fault_disarm(fx->fault, m);
        if (n == 0) {
            total = tl_fault_count(fx->fault, m);
            step = tl_fault_step(total);
            assert_int_equal(rc, 0);
        }
        tl_fault_check_error(n, rc, &err, want, fired);
        tl_stream_destroy(s);
        check_prefix(n, fx, rc);
        recover_and_check(fx, n);
        lake_close(fx);
        if (n > 0 && !fired)
            break;
    }
    print_message("sweep (mode %d): %ld counted, step %ld, %ld runs\n", (int)m, total, step, runs);
}

static void test_sweep_store(void **state) {
    sweep(*state, TL_FAULT_STORE, TL_ERR_IO);
}

static void test_sweep_store_after(void **state) {
    sweep(*state, TL_FAULT_STORE_AFTER, TL_ERR_IO);
}

static void test_sweep_malloc(void **state) {
    sweep(*state, TL_FAULT_MALLOC, TL_ERR_NOMEM);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_later_batch_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_write_stops_later, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_commit_stops_later, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_cap_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_store_after, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_malloc, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
