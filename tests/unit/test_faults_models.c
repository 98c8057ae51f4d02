/* A models run under allocation failures: for N = 1, 2, ... the Nth
 * allocation of our code fails during `models run` (project parsing,
 * templating, the lake views, the staged warehouse copy, results). After
 * each: a clean error (TL_ERR_NOMEM) or a run that reports the failure in
 * a model; the warehouse as a new reader opens it is the previous build or
 * the whole new one (the run table has either none or all of this run's
 * rows), no staged copy is left beside it; then the run succeeds. The store
 * wrapper is not used here: a run opens its lake by URI, and the store's
 * read path is swept by the other programs. */
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "duck/duck.h"
#include "models/models.h"
#include "models/project.h"
#include "tl_fault.h"
#include "tl_test.h"
#include "util/log.h"

#define NMODELS 3

typedef struct fixture {
    char root[128], proj[192], lake[192], wh[192];
    FILE *out;
} fixture;

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    tl_log_set_level(TL_LOG_ERROR);
    if (!fx || tl_fault_tmpdir(fx->root, sizeof fx->root, "faults-models") != 0)
        return -1;
    snprintf(fx->proj, sizeof fx->proj, "%s/proj", fx->root);
    snprintf(fx->lake, sizeof fx->lake, "%s/lake", fx->root);
    snprintf(fx->wh, sizeof fx->wh, "%s/wh.duckdb", fx->root);
    mkdir(fx->proj, 0777);
    mkdir(fx->lake, 0777);
    if (!(fx->out = fopen("/dev/null", "w")))
        return -1;
    /* a table over the lake, a table and an incremental model over it */
    if (tl_test_write_file(fx->proj, "dbt_project.yml", "name: faults\nvars:\n  k: 3\n") ||
        tl_test_write_file(fx->proj, "models/src.yml",
                           "sources:\n  - name: lake\n    tables:\n      - name: ticks\n") ||
        tl_test_write_file(fx->proj, "models/lake_rows.sql",
                           "{{ config(materialized='table') }}select symbol, price from "
                           "{{ source('lake', 'ticks') }}") ||
        tl_test_write_file(fx->proj, "models/nums.sql",
                           "{{ config(materialized='table') }}\n"
                           "select i as id, i % {{ var('k') }} as k from range(1, 20) t(i)") ||
        tl_test_write_file(fx->proj, "models/by_k.sql",
                           "{{ config(materialized='incremental', unique_key='k') }}\n"
                           "select k, count(*) as n from {{ ref('nums') }}\n"
                           "{% if is_incremental() %}where id > 0{% endif %}\ngroup by k"))
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    fixture *fx = *state;
    fclose(fx->out);
    int rc = tl_test_rm_tree(fx->root);
    free(fx);
    return rc;
}

static int run(fixture *fx, tl_models_summary *sum, tl_err *err) {
    tl_models_opts o = {.project = fx->proj,
                        .lake = fx->lake,
                        .warehouse = fx->wh,
                        .out = fx->out};
    return tl_models_run(&o, sum, err);
}

static int count_cb(void *ud, int ncols, const char *const *v) {
    *(long *)ud = ncols > 0 && v[0] ? strtol(v[0], NULL, 10) : -1;
    return 0;
}

/* Rows in the warehouse's run table, as a new reader sees it. */
static long run_rows(fixture *fx) {
    tl_err err = {0};
    tl_duck *d = tl_duck_open(fx->wh, 1, NULL, &err);
    if (!d)
        fail_msg("the warehouse does not open: %s", err.msg);
    long n = -1;
    if (tl_duck_query_each(d, "SELECT count(*) FROM ticklake_model_runs", count_cb, &n, &err))
        fail_msg("%s", err.msg);
    tl_duck_close(d);
    return n;
}

/* Files beside the warehouse other than it and its lock: staged copies. */
static void no_staged_copy(fixture *fx, long n) {
    DIR *dir = opendir(fx->root);
    assert_non_null(dir);
    struct dirent *e;
    while ((e = readdir(dir)))
        if (strncmp(e->d_name, "wh.duckdb", 9) == 0 && strcmp(e->d_name, "wh.duckdb") != 0 &&
            strcmp(e->d_name, "wh.duckdb.lock") != 0 && strcmp(e->d_name, "wh.duckdb.wal") != 0)
            fail_msg("N=%ld: %s left beside the warehouse", n, e->d_name);
    closedir(dir);
}

static void test_models_run_malloc(void **state) {
    fixture *fx = *state;
    tl_models_summary sum;
    tl_err err = {0};
    if (run(fx, &sum, &err) != 0) /* the previous build every run starts from */
        fail_msg("%s", err.msg);
    long total = 0, step = 1, n, runs = 0;
    for (n = 0;; n = n ? tl_fault_next(n, step, total) : tl_fault_first(), runs++) {
        if (n > total + TL_FAULT_SLACK)
            fail_msg("runs reach the fault past N=%ld; a fault-free run counted %ld", n, total);
        long before = run_rows(fx);
        err = (tl_err){0};
        sum = (tl_models_summary){0};
        tl_fault_malloc_arm(n ? n : LONG_MAX);
        int rc = run(fx, &sum, &err);
        bool fired = tl_fault_malloc_disarm();
        if (n == 0) {
            total = tl_fault_malloc_count();
            step = tl_fault_step(total);
            assert_int_equal(rc, 0);
        }
        tl_fault_check_error(n, rc, &err, TL_ERR_NOMEM, fired);
        if (rc == 0 && sum.failed && !fired)
            fail_msg("N=%ld: a model failed without a fault", n);
        long after = run_rows(fx);
        if (after != before && after != before + NMODELS)
            fail_msg("N=%ld: the warehouse has %ld run rows, want %ld or %ld", n, after, before,
                     before + NMODELS);
        if (rc != 0 && after != before)
            fail_msg("N=%ld: a failed run published its warehouse", n);
        no_staged_copy(fx, n);
        err = (tl_err){0};
        if (run(fx, &sum, &err) != 0 || sum.failed || sum.ok != NMODELS)
            fail_msg("N=%ld: the run fails after the fault is gone: %s", n, err.msg);
        if (n > 0 && !fired)
            break;
    }
    print_message("models run sweep: %ld counted, step %ld, %ld runs\n", total, step, runs);
}

/* Loading the project alone (no DuckDB: cheap), at every N whatever
 * TL_FAULT_BUDGET says: the budgeted run sweep above spreads its Ns and
 * stepped over the one where building the dbt_project.yml path fails, which
 * freed an uninitialised tl_yml and crashed. */
static void test_project_load_malloc(void **state) {
    fixture *fx = *state;
    tl_project *p = NULL;
    tl_err err = {0};
    tl_fault_malloc_arm(LONG_MAX);
    assert_int_equal(tl_project_load(fx->proj, &p, &err), 0);
    long total = tl_fault_malloc_count();
    tl_fault_malloc_disarm();
    tl_project_free(p);
    long n;
    for (n = 1;; n++) {
        if (n > total + TL_FAULT_SLACK)
            fail_msg("N=%ld: still failing past the %ld allocations counted", n, total);
        p = NULL;
        err = (tl_err){0};
        tl_fault_malloc_arm(n);
        int rc = tl_project_load(fx->proj, &p, &err);
        bool fired = tl_fault_malloc_disarm();
        tl_project_free(p);
        if (!fired) {
            assert_int_equal(rc, 0);
            break;
        }
        if (rc != TL_ERR_NOMEM)
            fail_msg("N=%ld: returned %d (%s): %s, want nomem", n, rc,
                     tl_err_code_name((tl_err_code)rc), err.msg);
    }
    print_message("project load sweep: %ld counted, %ld runs\n", total, n);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_project_load_malloc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_models_run_malloc, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
