/* Compaction under injected faults: a closed hour with three small files
 * is compacted while the Nth allocation, the Nth store operation, or the
 * Nth write (reported as failed after it was done) fails. After each: a
 * clean error, the table as a fresh reader sees it either unchanged (three
 * files) or compacted (one file), always with every row and no log entry
 * naming a missing file; then the same compaction succeeds. The lake is
 * copied afresh for every run (tmpfs), so every run does the same work.
 *
 * The lake sweeps do the same for a whole-lake compaction (tl_compact_lake,
 * what `ticklake compact` and the scheduled job run): the lake also holds a
 * closed day of dead letters in three small files, and each table must be
 * unchanged or compacted on its own, the dead letters never before the
 * ticks (the order the tables are compacted in). */
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
#include <unistd.h>

#include <cmocka.h>

#include "compact/compact.h"
#include "duck/duck.h"
#include "lake/lake.h"
#include "tables/tables.h"
#include "tl_fault.h"
#include "tl_test.h"
#include "tl_test_lake.h"
#include "util/clock.h"
#include "util/log.h"

#define HOUR_US (3600LL * 1000000)
/* 2026-11-24T10:00:00Z */
#define H10 (1795514400LL * 1000000)
/* a clock at which hour 10 is closed (13:00) */
#define CLOSED (H10 / 1000 + 3 * 3600 * 1000)
#define NFILES 3
#define NROWS 40 /* per file */
/* 2026-11-24T00:00:00Z, the day of H10, and a clock at which it is closed */
#define D24 (H10 - 10 * HOUR_US)
#define DAY_CLOSED (D24 / 1000 + 2 * 86400 * 1000)

typedef struct fixture {
    char root[128]; /* template/ and run/ */
    char tmpl[192], run[192];
    tl_store *real, *fault;
    tl_duck *d;
    int64_t seq;
    int64_t dl_offset;
} fixture;

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    tl_err err = {0};
    tl_log_set_level(TL_LOG_ERROR);
    if (!fx || tl_fault_tmpdir(fx->root, sizeof fx->root, "faults-compact") != 0)
        return -1;
    snprintf(fx->tmpl, sizeof fx->tmpl, "%s/template", fx->root);
    snprintf(fx->run, sizeof fx->run, "%s/run", fx->root);
    if (!(fx->real = tl_store_open(fx->tmpl, &err)) ||
        !(fx->d = tl_duck_open(NULL, 0, NULL, &err)) ||
        tl_table_create(fx->real, &tl_ticks_table, NULL, &err) != 0 ||
        tl_table_create(fx->real, &tl_deadletter_table, NULL, &err) != 0)
        return -1;
    *state = fx;
    for (int i = 0; i < NFILES; i++)
        if (tl_test_commit_ticks(fx->real, fx->d, fx->root, H10, NROWS, &fx->seq, &err) < 0)
            return -1;
    for (int i = 0; i < NFILES; i++)
        if (tl_test_commit_dead(fx->real, fx->d, fx->root, D24, NROWS, &fx->dl_offset, &err) < 0)
            return -1;
    tl_store_destroy(fx->real);
    fx->real = NULL;
    return 0;
}

static int teardown(void **state) {
    fixture *fx = *state;
    tl_duck_close(fx->d);
    int rc = tl_test_rm_tree(fx->root);
    free(fx);
    return rc;
}

/* run/ as a fresh copy of template/, and the stores on it. */
static void lake_fresh(fixture *fx) {
    char cmd[512];
    assert_true(snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -a '%s' '%s'", fx->run, fx->tmpl,
                         fx->run) < (int)sizeof cmd);
    assert_int_equal(system(cmd), 0);
    tl_err err = {0};
    assert_non_null(fx->real = tl_store_open(fx->run, &err));
    assert_non_null(fx->fault = tl_fault_store_new(fx->real, false));
}

static void lake_close(fixture *fx) {
    tl_store_destroy(fx->fault);
    tl_store_destroy(fx->real);
    fx->fault = fx->real = NULL;
}

static int compact(tl_store *s, tl_err *err) {
    tl_compact_opts o = {.min_files = 2,
                         .target_file_size = 128LL << 20,
                         .lateness_ms = 10000,
                         .now_ms = CLOSED,
                         .max_attempts = 2};
    tl_compact_stats st;
    return tl_compact_run(s, &o, &st, err);
}

/* Unchanged, or one version more with one file holding every row. */
static bool check_outcome(long n, const tl_fault_picture *before, const tl_fault_picture *after) {
    if (tl_fault_picture_same(before, after))
        return false;
    if (after->version != before->version + 1 || after->nfiles != 1 || after->rows != before->rows)
        fail_msg("N=%ld: neither unchanged nor compacted: version %" PRId64 " -> %" PRId64
                 ", files %zu -> %zu, rows %" PRId64 " -> %" PRId64,
                 n, before->version, after->version, before->nfiles, after->nfiles, before->rows,
                 after->rows);
    return true;
}

static void sweep(fixture *fx, tl_fault_mode m, int want) {
    long total = 0, step = 1, n, runs = 0;
    for (n = 0;; n = n ? tl_fault_next(n, step, total) : tl_fault_first(), runs++) {
        if (n > total + TL_FAULT_SLACK)
            fail_msg("runs reach the fault past N=%ld; a fault-free run counted %ld", n, total);
        lake_fresh(fx);
        tl_fault_picture before, after;
        tl_fault_picture_take(fx->real, TL_TICKS_TABLE, &before);
        assert_int_equal(before.nfiles, NFILES);
        assert_int_equal(before.rows, NFILES * NROWS);
        tl_err err = {0};
        tl_fault_arm(fx->fault, m, n ? n : LONG_MAX); /* n 0: count, never fail */
        int rc = compact(fx->fault, &err);
        bool fired = tl_fault_disarm(fx->fault, m);
        if (n == 0) {
            total = tl_fault_count(fx->fault, m);
            step = tl_fault_step(total);
            assert_int_equal(rc, 0);
        }
        tl_fault_check_error(n, rc, &err, want, fired);
        tl_fault_picture_take(fx->real, TL_TICKS_TABLE, &after);
        bool done = check_outcome(n, &before, &after);
        if (rc == 0 && !done)
            fail_msg("N=%ld: reported success without compacting", n);
        if (!done) {
            err = (tl_err){0};
            if (compact(fx->fault, &err) != 0)
                fail_msg("N=%ld: compaction fails after the fault is gone: %s", n, err.msg);
            tl_fault_picture_free(&after);
            tl_fault_picture_take(fx->real, TL_TICKS_TABLE, &after);
            assert_true(check_outcome(n, &before, &after));
        }
        tl_fault_picture_free(&before);
        tl_fault_picture_free(&after);
        lake_close(fx);
        if (n > 0 && !fired)
            break;
    }
    print_message("compaction sweep (mode %d): %ld counted, step %ld, %ld runs\n", (int)m, total,
                  step, runs);
}

/* ---- the whole lake: ticks, then dead letters ------------------------------ */

static int compact_lake(tl_store *s, tl_err *err) {
    tl_compact_opts o = {.min_files = 2,
                         .target_file_size = 128LL << 20,
                         .lateness_ms = 10000,
                         .now_ms = DAY_CLOSED,
                         .max_attempts = 2};
    tl_compact_stats st[TL_COMPACT_NTABLES];
    return tl_compact_lake(s, &o, st, err);
}

typedef struct lake_picture {
    tl_fault_picture t[TL_COMPACT_NTABLES]; /* in tl_compact_tables' order */
} lake_picture;

static void lake_take(fixture *fx, lake_picture *p) {
    for (size_t i = 0; i < TL_COMPACT_NTABLES; i++)
        tl_fault_picture_take(fx->real, tl_compact_tables[i], &p->t[i]);
}

static void lake_free(lake_picture *p) {
    for (size_t i = 0; i < TL_COMPACT_NTABLES; i++)
        tl_fault_picture_free(&p->t[i]);
}

/* How many tables (a prefix of tl_compact_tables) are compacted; each
 * table unchanged or compacted, never a later one before an earlier. */
static size_t lake_outcome(long n, const lake_picture *before, const lake_picture *after) {
    size_t done = 0;
    for (size_t i = 0; i < TL_COMPACT_NTABLES; i++) {
        bool d = check_outcome(n, &before->t[i], &after->t[i]);
        if (d && done != i)
            fail_msg("N=%ld: %s compacted before %s", n, tl_compact_tables[i],
                     tl_compact_tables[done]);
        done += d;
    }
    return done;
}

static void lake_sweep(fixture *fx, tl_fault_mode m, int want) {
    long total = 0, step = 1, n, runs = 0;
    for (n = 0;; n = n ? tl_fault_next(n, step, total) : tl_fault_first(), runs++) {
        if (n > total + TL_FAULT_SLACK)
            fail_msg("runs reach the fault past N=%ld; a fault-free run counted %ld", n, total);
        lake_fresh(fx);
        lake_picture before, after;
        lake_take(fx, &before);
        for (size_t i = 0; i < TL_COMPACT_NTABLES; i++) {
            assert_int_equal(before.t[i].nfiles, NFILES);
            assert_int_equal(before.t[i].rows, NFILES * NROWS);
        }
        tl_err err = {0};
        tl_fault_arm(fx->fault, m, n ? n : LONG_MAX); /* n 0: count, never fail */
        int rc = compact_lake(fx->fault, &err);
        bool fired = tl_fault_disarm(fx->fault, m);
        if (n == 0) {
            total = tl_fault_count(fx->fault, m);
            step = tl_fault_step(total);
            assert_int_equal(rc, 0);
        }
        tl_fault_check_error(n, rc, &err, want, fired);
        lake_take(fx, &after);
        size_t done = lake_outcome(n, &before, &after);
        if (rc == 0 && done != TL_COMPACT_NTABLES)
            fail_msg("N=%ld: reported success with %zu of %d tables compacted", n, done,
                     TL_COMPACT_NTABLES);
        if (done != TL_COMPACT_NTABLES) {
            err = (tl_err){0};
            if (compact_lake(fx->fault, &err) != 0)
                fail_msg("N=%ld: compaction fails after the fault is gone: %s", n, err.msg);
            lake_free(&after);
            lake_take(fx, &after);
            assert_int_equal(lake_outcome(n, &before, &after), TL_COMPACT_NTABLES);
        }
        lake_free(&before);
        lake_free(&after);
        lake_close(fx);
        if (n > 0 && !fired)
            break;
    }
    print_message("lake compaction sweep (mode %d): %ld counted, step %ld, %ld runs\n", (int)m,
                  total, step, runs);
}

static void test_compact_lake_malloc(void **state) {
    lake_sweep(*state, TL_FAULT_MALLOC, TL_ERR_NOMEM);
}

static void test_compact_lake_store(void **state) {
    lake_sweep(*state, TL_FAULT_STORE, TL_ERR_IO);
}

static void test_compact_lake_store_after(void **state) {
    lake_sweep(*state, TL_FAULT_STORE_AFTER, TL_ERR_IO);
}

static void test_compact_malloc(void **state) {
    sweep(*state, TL_FAULT_MALLOC, TL_ERR_NOMEM);
}

static void test_compact_store(void **state) {
    sweep(*state, TL_FAULT_STORE, TL_ERR_IO);
}

static void test_compact_store_after(void **state) {
    sweep(*state, TL_FAULT_STORE_AFTER, TL_ERR_IO);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_compact_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compact_store_after, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compact_malloc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compact_lake_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compact_lake_store_after, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compact_lake_malloc, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
