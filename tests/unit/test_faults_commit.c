/* Fault sweeps over the lake's commit path (snapshot load, commit, the
 * checkpoint and log cleanup it triggers) and over a checkpoint on its own:
 * for N = 1, 2, ... fail the Nth allocation, the Nth store operation, or
 * report the Nth write as failed after doing it, until the operation runs
 * without reaching the fault. After each: a clean error, the table as a
 * fresh reader sees it either unchanged or with the whole commit, no log
 * entry naming a missing file, and the same commit succeeds once the
 * fault is gone. Leaks on the error paths: `make asan` / `make valgrind`. */
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

#include "lake/lake.h"
#include "tables/tables.h"
#include "tl_fault.h"
#include "tl_test.h"
#include "util/log.h"

#define TABLE TL_TICKS_TABLE

typedef struct fixture {
    char root[128];
    tl_store *real;  /* the fs store */
    tl_store *fault; /* the wrapper the operation uses */
    int64_t next;    /* unique table number */
    char table[32];  /* the table of this run */
    tl_lake_opts lake; /* the commits' checkpoint policy */
} fixture;

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    tl_err err = {0};
    tl_log_set_level(TL_LOG_ERROR); /* every injected failure warns */
    if (!fx || tl_fault_tmpdir(fx->root, sizeof fx->root, "faults-commit") != 0 ||
        !(fx->real = tl_store_open(fx->root, &err)) ||
        !(fx->fault = tl_fault_store_new(fx->real, false)))
        return -1;
    fx->lake = (tl_lake_opts){.checkpoint_interval = TL_LAKE_CHECKPOINT_INTERVAL,
                              .log_retention_ms = 0}; /* log cleanup deletes all it may */
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    fixture *fx = *state;
    tl_store_destroy(fx->fault);
    int rc = tl_test_store_free(fx->root, fx->real);
    free(fx);
    return rc;
}

static const char *const PARTS[] = {"year", "month", "day", "hour"};
#define SCHEMA                                                                                     \
    "{\"type\":\"struct\",\"fields\":[{\"name\":\"x\",\"type\":\"long\",\"nullable\":true,"        \
    "\"metadata\":{}},{\"name\":\"year\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"  \
    "{\"name\":\"month\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"                  \
    "{\"name\":\"day\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"                    \
    "{\"name\":\"hour\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}"

/* A fresh table for each run (so every run costs the same) with one
 * commit behind it, and a data file for the next commit, written straight
 * to the real store. */
static void new_table(fixture *fx, const char *path) {
    snprintf(fx->table, sizeof fx->table, "t%05" PRId64, ++fx->next);
    tl_err err = {0};
    assert_int_equal(tl_lake_create(fx->real, fx->table, SCHEMA, PARTS, 4, NULL, &err), 0);
    char key[256];
    snprintf(key, sizeof key, "%s/%s", fx->table, path);
    assert_int_equal(tl_store_put(fx->real, key, "PAR1", 4, &err), 0);
}

#define PATH "year=2026/month=11/day=24/hour=10/part 1.parquet" /* encoded in the log */

/* What a writer does: load the table, add the file, record the txn,
 * commit (the checkpoint and cleanup run inside). */
static int commit_file(tl_store *s, const char *table, const tl_lake_opts *lake, int64_t txn,
                       tl_err *err) {
    tl_lake_snapshot *snap = NULL;
    tl_lake_tx *tx = NULL;
    int rc = tl_lake_snapshot_load(s, table, NULL, &snap, err);
    if (rc)
        goto out;
    if (!(tx = tl_lake_tx_new("WRITE", lake, err))) {
        rc = err->code;
        goto out;
    }
    tl_lake_kv pv[4] = {{"year", "2026"}, {"month", "11"}, {"day", "24"}, {"hour", "10"}};
    tl_lake_file f = {.path = PATH,
                      .partition_values = pv,
                      .n_partition_values = 4,
                      .size = 4,
                      .modification_time = 1795514400000,
                      .data_change = true,
                      .stats = "{\"numRecords\":1}"};
    if ((rc = tl_lake_tx_add(tx, &f, err)) || (rc = tl_lake_tx_set_txn(tx, "faults", txn, err)) ||
        (rc = tl_lake_tx_param(tx, "outputMode", "Append", err)))
        goto out;
    rc = tl_lake_commit(s, table, tx, tl_lake_snapshot_version(snap), NULL, err);
out:
    tl_lake_tx_destroy(tx);
    tl_lake_snapshot_free(snap);
    return rc;
}

/* The table after a faulted commit: as before (version 0, empty), or with
 * the whole commit (the file and the txn) at version 1. true: committed. */
static bool check_commit_outcome(long n, const tl_fault_picture *before,
                                 const tl_fault_picture *after) {
    if (tl_fault_picture_same(before, after))
        return false;
    if (after->version != 1 || after->nfiles != 1 || strcmp(after->files.data, PATH "\n") != 0 ||
        strcmp(after->txns.data, "faults=7\n") != 0)
        fail_msg("N=%ld: neither unchanged nor the whole commit: version %" PRId64 ", %zu files, "
                 "txns '%s'",
                 n, after->version, after->nfiles, after->txns.data ? after->txns.data : "");
    return true;
}

/* The sweep. want: the error code a fired fault must surface as;
 * interval: the checkpoint interval (1: the commit writes a checkpoint and
 * cleans the log up, and a fresh reader depends on the checkpoint being
 * whole). */
static void sweep_commit(fixture *fx, tl_fault_mode m, int want, int64_t interval) {
    fx->lake.checkpoint_interval = interval;
    tl_err err = {0};
    new_table(fx, PATH);
    tl_fault_arm(fx->fault, m, LONG_MAX); /* count, never fail */
    assert_int_equal(commit_file(fx->fault, fx->table, &fx->lake, 7, &err), 0);
    long total = tl_fault_count(fx->fault, m), step = tl_fault_step(total), n, runs = 0;
    tl_fault_disarm(fx->fault, m);
    for (n = tl_fault_first();; n = tl_fault_next(n, step, total), runs++) {
        if (n > total + TL_FAULT_SLACK)
            fail_msg("runs reach the fault past N=%ld; a fault-free run counted %ld", n, total);
        new_table(fx, PATH);
        tl_fault_picture before, after;
        tl_fault_picture_take(fx->real, fx->table, &before);
        err = (tl_err){0};
        tl_fault_arm(fx->fault, m, n);
        int rc = commit_file(fx->fault, fx->table, &fx->lake, 7, &err);
        bool fired = tl_fault_disarm(fx->fault, m);
        tl_fault_check_error(n, rc, &err, want, fired);
        tl_fault_picture_take(fx->real, fx->table, &after);
        bool committed = check_commit_outcome(n, &before, &after);
        if (rc == 0 && !committed)
            fail_msg("N=%ld: reported success but nothing was committed", n);
        if (!committed) { /* the same commit, without the fault */
            err = (tl_err){0};
            if (commit_file(fx->fault, fx->table, &fx->lake, 7, &err) != 0)
                fail_msg("N=%ld: the commit fails after the fault is gone: %s", n, err.msg);
            tl_fault_picture_free(&after);
            tl_fault_picture_take(fx->real, fx->table, &after);
            assert_true(check_commit_outcome(n, &before, &after));
        }
        tl_fault_picture_free(&before);
        tl_fault_picture_free(&after);
        if (!fired)
            break; /* ran past the last allocation / operation: done */
    }
    print_message("commit sweep (mode %d, checkpoint interval %d): %ld counted, step %ld, "
                  "%ld runs\n",
                  (int)m, (int)interval, total, step, runs + 1);
}

static void test_commit_malloc(void **state) {
    sweep_commit(*state, TL_FAULT_MALLOC, TL_ERR_NOMEM, 10);
}

static void test_commit_checkpoint_malloc(void **state) {
    sweep_commit(*state, TL_FAULT_MALLOC, TL_ERR_NOMEM, 1);
}

static void test_commit_store(void **state) {
    sweep_commit(*state, TL_FAULT_STORE, TL_ERR_IO, 1);
}

static void test_commit_store_after(void **state) {
    sweep_commit(*state, TL_FAULT_STORE_AFTER, TL_ERR_IO, 1);
}

/* A checkpoint on its own: its errors are not swallowed by a commit here.
 * After each failure the table still loads to the same picture, and the
 * checkpoint succeeds once the fault is gone. */
static void sweep_checkpoint(fixture *fx, tl_fault_mode m, int want) {
    tl_err err = {0};
    fx->lake.checkpoint_interval = 0; /* only the checkpoints written here */
    new_table(fx, PATH);
    assert_int_equal(commit_file(fx->real, fx->table, &fx->lake, 7, &err), 0);
    tl_lake_snapshot *snap = NULL;
    assert_int_equal(tl_lake_snapshot_load(fx->real, fx->table, NULL, &snap, &err), 0);
    tl_fault_arm(fx->fault, m, LONG_MAX);
    assert_int_equal(tl_lake_checkpoint_write(fx->fault, snap, 0, NULL, &err), 0);
    long total = tl_fault_count(fx->fault, m), step = tl_fault_step(total), n, runs = 0;
    tl_fault_disarm(fx->fault, m);
    for (n = tl_fault_first();; n = tl_fault_next(n, step, total), runs++) {
        if (n > total + TL_FAULT_SLACK)
            fail_msg("runs reach the fault past N=%ld; a fault-free run counted %ld", n, total);
        tl_fault_picture before, after;
        tl_fault_picture_take(fx->real, fx->table, &before);
        err = (tl_err){0};
        tl_fault_arm(fx->fault, m, n);
        int rc = tl_lake_checkpoint_write(fx->fault, snap, 0, NULL, &err);
        bool fired = tl_fault_disarm(fx->fault, m);
        tl_fault_check_error(n, rc, &err, want, fired);
        tl_fault_picture_take(fx->real, fx->table, &after);
        if (!tl_fault_picture_same(&before, &after))
            fail_msg("N=%ld: a failed checkpoint changed what a reader sees", n);
        err = (tl_err){0};
        if (rc != 0 && tl_lake_checkpoint_write(fx->fault, snap, 0, NULL, &err) != 0)
            fail_msg("N=%ld: the checkpoint fails after the fault is gone: %s", n, err.msg);
        tl_fault_picture_free(&before);
        tl_fault_picture_free(&after);
        if (!fired)
            break;
    }
    tl_lake_snapshot_free(snap);
    print_message("checkpoint sweep (mode %d): %ld counted, step %ld, %ld runs\n", (int)m, total,
                  step, runs + 1);
}

static void test_checkpoint_malloc(void **state) {
    sweep_checkpoint(*state, TL_FAULT_MALLOC, TL_ERR_NOMEM);
}

static void test_checkpoint_store(void **state) {
    sweep_checkpoint(*state, TL_FAULT_STORE, TL_ERR_IO);
}

/* A checkpoint on the checkpointer's thread (as the stream has them): a
 * fault there (an allocation, a store operation failing, or one that
 * landed but reported failure — a crash right after it) is counted and
 * warned, never surfaced to the writer, and leaves the table as a fresh
 * reader saw it; once the fault is gone the next offer writes the
 * checkpoint, and with the log behind it cleaned up (retention 0) a fresh
 * reader still sees the same table, from the checkpoint alone. */
static int background_checkpoint(fixture *fx, tl_lake_checkpointer_stats *st) {
    tl_err err = {0};
    tl_lake_opts every = {.checkpoint_interval = 1, .log_retention_ms = 0};
    tl_lake_checkpointer *c = tl_lake_checkpointer_new(fx->fault, &every, &err);
    if (!c)
        return err.code ? err.code : TL_ERR_NOMEM;
    int rc = tl_lake_checkpointer_offer(c, fx->table, 1);
    tl_lake_checkpointer_drain(c);
    *st = tl_lake_checkpointer_stats_get(c);
    tl_lake_checkpointer_destroy(c);
    return rc == 1 ? 0 : (rc < 0 ? rc : TL_ERR_INVALID);
}

static void sweep_background(fixture *fx, tl_fault_mode m) {
    tl_err err = {0};
    tl_lake_checkpointer_stats st;
    fx->lake.checkpoint_interval = 0; /* the commit writes none itself */
    new_table(fx, PATH);
    assert_int_equal(commit_file(fx->real, fx->table, &fx->lake, 7, &err), 0);
    tl_fault_arm(fx->fault, m, LONG_MAX);
    assert_int_equal(background_checkpoint(fx, &st), 0);
    assert_int_equal(st.written, 1);
    long total = tl_fault_count(fx->fault, m), step = tl_fault_step(total), n, runs = 0;
    tl_fault_disarm(fx->fault, m);
    for (n = tl_fault_first();; n = tl_fault_next(n, step, total), runs++) {
        if (n > total + TL_FAULT_SLACK)
            fail_msg("runs reach the fault past N=%ld; a fault-free run counted %ld", n, total);
        new_table(fx, PATH);
        assert_int_equal(commit_file(fx->real, fx->table, &fx->lake, 7, &err), 0);
        tl_fault_picture before, after;
        tl_fault_picture_take(fx->real, fx->table, &before);
        tl_fault_arm(fx->fault, m, n);
        st = (tl_lake_checkpointer_stats){0};
        int rc = background_checkpoint(fx, &st);
        bool fired = tl_fault_disarm(fx->fault, m);
        if (rc != 0 && !(fired && m == TL_FAULT_MALLOC && rc == TL_ERR_NOMEM))
            fail_msg("N=%ld: the checkpointer failed with %d", n, rc);
        if (rc == 0 && st.written + st.failed != 1)
            fail_msg("N=%ld: %" PRIu64 " written, %" PRIu64 " failed", n, st.written, st.failed);
        tl_fault_picture_take(fx->real, fx->table, &after);
        if (!tl_fault_picture_same(&before, &after))
            fail_msg("N=%ld: a failed background checkpoint changed what a reader sees", n);
        tl_fault_picture_free(&after);
        if (background_checkpoint(fx, &st) != 0 || st.written != 1)
            fail_msg("N=%ld: the checkpoint fails after the fault is gone", n);
        tl_fault_picture_take(fx->real, fx->table, &after);
        if (!tl_fault_picture_same(&before, &after))
            fail_msg("N=%ld: the table read from the checkpoint differs", n);
        tl_fault_picture_free(&before);
        tl_fault_picture_free(&after);
        if (!fired)
            break;
    }
    print_message("background checkpoint sweep (mode %d): %ld counted, step %ld, %ld runs\n",
                  (int)m, total, step, runs + 1);
}

static void test_background_malloc(void **state) {
    sweep_background(*state, TL_FAULT_MALLOC);
}

static void test_background_store(void **state) {
    sweep_background(*state, TL_FAULT_STORE);
}

static void test_background_store_after(void **state) {
    sweep_background(*state, TL_FAULT_STORE_AFTER);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commit_malloc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_checkpoint_malloc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_store_after, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_malloc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_background_malloc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_background_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_background_store_after, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
