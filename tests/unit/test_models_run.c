/* Unit tests for models run/test on a real DuckDB warehouse file:
 * materializations (incremental runs equal a full refresh), failures that
 * skip downstream models, each test kind passing and failing with its
 * failing-row count, results files, and readers that keep answering while
 * runs replace the warehouse. The lake is an empty folder here (the
 * integration tests feed a simulated day through the real stream). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "duck/duck.h"
#include "models/models.h"
#include "models/runner.h"
#include "tl_test.h"

static char root[64], proj[128], lake[128], wh[128], wh2[128];
static FILE *out;

static void put(const char *rel, const char *text) {
    assert_int_equal(tl_test_write_file(proj, rel, text), 0);
}

static int setup(void **state) {
    (void)state;
    snprintf(root, sizeof root, "/tmp/tl_test_models_run_XXXXXX");
    if (!mkdtemp(root))
        return -1;
    snprintf(proj, sizeof proj, "%s/proj", root);
    snprintf(lake, sizeof lake, "%s/lake", root);
    snprintf(wh, sizeof wh, "%s/wh.duckdb", root);
    snprintf(wh2, sizeof wh2, "%s/full.duckdb", root);
    mkdir(proj, 0777);
    mkdir(lake, 0777);
    out = fopen("/dev/null", "w");
    return out ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    fclose(out);
    tl_test_rm_tree(root);
    return 0;
}

static tl_models_opts opts(const char *warehouse, const char *select, int full_refresh) {
    tl_models_opts o = {proj, lake, warehouse, select, NULL, full_refresh != 0, out,
                        NULL, NULL, NULL};
    return o;
}

static tl_models_summary run_ok(const char *warehouse, const char *select, int full_refresh) {
    tl_models_opts o = opts(warehouse, select, full_refresh);
    tl_models_summary sum;
    tl_err err = {0};
    if (tl_models_run(&o, &sum, &err) != 0)
        fail_msg("run: %s", err.msg);
    return sum;
}

static int text_cb(void *ud, int ncols, const char *const *values) {
    char *dst = ud;
    for (int i = 0; i < ncols; i++) {
        if (i)
            strcat(dst, "|");
        strcat(dst, values[i] ? values[i] : "NULL");
    }
    strcat(dst, ";");
    return 0;
}

/* Rows of a query on a warehouse file (opened read-only) as "a|b;c|d;". */
static char *wq(const char *file, const char *sql) {
    static char buf[8192];
    tl_err err = {0};
    tl_duck *d = tl_duck_open(file, 1, NULL, &err);
    if (!d)
        fail_msg("open %s: %s", file, err.msg);
    buf[0] = '\0';
    if (tl_duck_query_each(d, sql, text_cb, buf, &err) != 0)
        fail_msg("%s: %s", sql, err.msg);
    tl_duck_close(d);
    return buf;
}

static char *slurp(const char *path) {
    static char buf[1 << 16];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* A project whose input changes with the var 'batch': rows 1..batch*3,
 * and a value per key that depends on the batch (so delete+insert must
 * replace rows, not add them). */
static void incremental_project(int batch) {
    char yml[256];
    snprintf(yml, sizeof yml, "name: inc\nvars:\n  batch: %d\n", batch);
    put("dbt_project.yml", yml);
    put("models/src_rows.sql", "{{ config(materialized='table') }}\n"
                               "select i as id, i % 4 as k, i * {{ var('batch') }} as v\n"
                               "from range(1, {{ var('batch') }} * 3 + 1) t(i)");
    put("models/src_view.sql", "select * from {{ ref('src_rows') }} where id % 2 = 1");
    put("models/appended.sql",
        "{{ config(materialized='incremental') }}\n"
        "select id, v from {{ ref('src_rows') }}\n"
        "{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}");
    put("models/by_key.sql", "{{ config(materialized='incremental', unique_key='k') }}\n"
                             "select k, max(v) as v, count(*) as n from {{ ref('src_rows') }}\n"
                             "{% if is_incremental() %}where id > 3{% endif %}\n"
                             "group by k");
}

static void expect_same(const char *table) {
    char a[8192], sql[256];
    snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY ALL", table);
    snprintf(a, sizeof a, "%s", wq(wh, sql));
    assert_string_equal(a, wq(wh2, sql));
    assert_true(strlen(a) > 0);
}

static void test_materializations(void **state) {
    (void)state;
    incremental_project(1);
    tl_models_summary s = run_ok(wh, NULL, 0);
    assert_int_equal(s.ok, 4);
    assert_int_equal(s.failed, 0);
    assert_string_equal(wq(wh, "SELECT count(*) FROM src_rows"), "3;");
    assert_string_equal(wq(wh, "SELECT view_name FROM duckdb_views() WHERE NOT internal"),
                        "src_view;");
    assert_string_equal(wq(wh, "SELECT * FROM src_view ORDER BY id"), "1|1|1;3|3|3;");
    assert_string_equal(wq(wh, "SELECT * FROM appended ORDER BY id"), "1|1;2|2;3|3;");
    /* second batch: incremental runs add (append) and replace (delete+insert) */
    incremental_project(2);
    run_ok(wh, NULL, 0);
    assert_string_equal(wq(wh, "SELECT count(*), max(id) FROM appended"), "6|6;");
    assert_string_equal(wq(wh, "SELECT count(*), count(DISTINCT k) FROM by_key"), "4|4;");
    incremental_project(3);
    run_ok(wh, NULL, 0);
    /* the same tables as one full build of the final input */
    run_ok(wh2, NULL, 1);
    expect_same("src_rows");
    expect_same("src_view");
    /* append only adds ids past the max: the old rows keep their old v */
    assert_string_equal(wq(wh, "SELECT count(*), max(id) FROM appended"), "9|9;");
    char sql[] = "SELECT id, v FROM appended WHERE id <= 3 ORDER BY id";
    assert_string_equal(wq(wh, sql), "1|1;2|2;3|3;");
    assert_string_equal(wq(wh2, sql), "1|3;2|6;3|9;");
    /* delete+insert: every key rebuilt from rows past id 3 equals the full build */
    assert_string_equal(wq(wh, "SELECT k, v FROM by_key ORDER BY k"),
                        wq(wh2, "SELECT k, max(v) FROM (SELECT id % 4 AS k, id * 3 AS v FROM "
                                "range(4, 10) t(id)) GROUP BY k ORDER BY k"));
    /* --full-refresh rebuilds an incremental model from scratch */
    run_ok(wh, "appended", 1);
    expect_same("appended");
    /* results: rows affected per node, incremental flag */
    char path[256];
    snprintf(path, sizeof path, "%s/target/run_results.json", proj);
    char *json = slurp(path);
    assert_non_null(strstr(json, "\"command\": \"run\""));
    assert_non_null(strstr(json, "\"name\": \"appended\""));
    assert_non_null(strstr(json, "\"rows_affected\": 9"));
    assert_non_null(strstr(json, "\"status\": \"success\""));
    /* history: one row per model per run; incremental flags as built */
    assert_string_equal(wq(wh, "SELECT count(*) FROM ticklake_model_runs"), "13;");
    assert_string_equal(wq(wh, "SELECT string_agg(incremental::VARCHAR, ',' ORDER BY started_at) "
                               "FROM ticklake_model_runs WHERE model = 'appended'"),
                        "false,true,true,false;");
}

static void test_relation_kind_switch(void **state) {
    (void)state;
    put("dbt_project.yml", "name: sw\n");
    put("models/m.sql", "{{ config(materialized='view') }}select 1 as a");
    run_ok(wh, NULL, 0);
    assert_string_equal(wq(wh, "SELECT count(*) FROM duckdb_views() WHERE view_name = 'm'"), "1;");
    put("models/m.sql", "{{ config(materialized='table') }}select 2 as a");
    run_ok(wh, NULL, 0);
    assert_string_equal(wq(wh, "SELECT count(*) FROM duckdb_views() WHERE view_name = 'm'"), "0;");
    assert_string_equal(wq(wh, "SELECT a FROM m"), "2;");
    put("models/m.sql", "{{ config(materialized='view') }}select 3 as a");
    run_ok(wh, NULL, 0);
    assert_string_equal(wq(wh, "SELECT a FROM m"), "3;");
}

static void test_failure_skips_downstream(void **state) {
    (void)state;
    put("dbt_project.yml", "name: fail\nmodels:\n  fail:\n    +materialized: table\n");
    put("models/base.sql", "select 1 as id");
    put("models/broken.sql", "select id from {{ ref('base') }}");
    put("models/child.sql", "select * from {{ ref('broken') }}");
    put("models/grandchild.sql", "select * from {{ ref('child') }}");
    put("models/other.sql", "select * from {{ ref('base') }}");
    run_ok(wh, NULL, 0);
    assert_string_equal(wq(wh, "SELECT count(*) FROM grandchild"), "1;");
    /* break it: the previous table stays, downstream models are skipped */
    put("models/broken.sql", "select no_such_column from {{ ref('base') }}");
    tl_models_summary s = run_ok(wh, NULL, 0);
    assert_int_equal(s.ok, 2);
    assert_int_equal(s.failed, 1);
    assert_int_equal(s.skipped, 2);
    /* the summary names the failed model and why (the scheduler's record
     * says it); skipped ones are not failures */
    assert_true(!strncmp(s.failures, "broken: ", 8));
    assert_non_null(strstr(s.failures, "no_such_column"));
    assert_null(strstr(s.failures, "child"));
    assert_string_equal(wq(wh, "SELECT id FROM broken"), "1;");
    assert_string_equal(
        wq(wh, "SELECT model, status FROM ticklake_model_runs WHERE invocation_id = (SELECT "
               "invocation_id FROM ticklake_model_runs ORDER BY started_at DESC LIMIT 1) "
               "ORDER BY started_at"),
        "base|success;broken|error;child|skipped;grandchild|skipped;other|success;");
    assert_non_null(strstr(wq(wh, "SELECT message FROM ticklake_model_runs WHERE status = "
                                  "'error'"),
                           "no_such_column"));
    char path[256];
    snprintf(path, sizeof path, "%s/target/run_results.json", proj);
    char *json = slurp(path);
    assert_non_null(strstr(json, "\"status\": \"skipped\""));
    assert_non_null(strstr(json, "upstream model broken failed"));
    assert_non_null(strstr(json, "upstream model child was skipped"));
}

static void test_compile_errors_stop_before_running(void **state) {
    (void)state;
    put("dbt_project.yml", "name: ce\n");
    put("models/a.sql", "{{ config(materialized='table') }}select 1 as x");
    put("models/b.sql", "select {{ var('undefined_var') }}");
    tl_models_opts o = opts(wh, NULL, 0);
    tl_models_summary sum;
    tl_err err = {0};
    assert_int_equal(tl_models_run(&o, &sum, &err), TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "models/b.sql:1"));
    assert_int_equal(access(wh, F_OK), -1); /* nothing was published */
    /* a view straight over the lake would outlive the snapshot it reads */
    put("models/b.sql", "select * from {{ source('lake', 'ticks') }}");
    put("models/src.yml", "sources:\n  - name: lake\n    tables:\n      - name: ticks\n");
    assert_int_equal(tl_models_run(&o, &sum, &err), TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "view over source"));
    /* as a table it runs, on the (empty) lake */
    put("models/b.sql", "{{ config(materialized='table') }}select symbol, price from "
                        "{{ source('lake', 'ticks') }}");
    run_ok(wh, NULL, 0);
    assert_string_equal(wq(wh, "SELECT count(*) FROM b"), "0;");
    /* the warehouse holds no view of lake files */
    assert_string_equal(wq(wh, "SELECT count(*) FROM duckdb_views() WHERE NOT internal"), "0;");
    put("models/c.sql", "select * from {{ source('lake', 'nope') }}");
    assert_int_equal(tl_models_run(&o, &sum, &err), TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "models/c.sql:1"));
}

/* The models' DuckDB runs with the limits in opts->duck (the settings
 * duckdb.memory_limit and duckdb.threads), read back by a model through the
 * handle the module opened; without them, DuckDB's own defaults. */
static void test_duck_limits(void **state) {
    (void)state;
    put("dbt_project.yml", "name: limits\n");
    put("models/limits.sql", "{{ config(materialized='table') }}\n"
                             "select current_setting('memory_limit') as m, "
                             "current_setting('threads') as t");
    tl_duck_opts duck = {.memory_limit = 300LL << 20, .threads = 1};
    tl_models_opts o = opts(wh, NULL, 0);
    o.duck = &duck;
    tl_models_summary sum;
    tl_err err = {0};
    assert_int_equal(tl_models_run(&o, &sum, &err), 0);
    assert_int_equal(sum.ok, 1);
    assert_string_equal(wq(wh, "SELECT m, t FROM limits"), "300.0 MiB|1;");
    run_ok(wh, NULL, 0); /* o.duck NULL */
    assert_string_not_equal(wq(wh, "SELECT m FROM limits"), "300.0 MiB;");
}

/* Models with known defects and one test of each kind that fails on them
 * (and one that passes). */
static void tests_project(void) {
    put("dbt_project.yml", "name: tk\nmodels:\n  tk:\n    +materialized: table\n");
    put("models/parents.sql", "select * from (values (1, 'a'), (2, 'b'), (3, 'c')) t(id, kind)");
    put("models/kids.sql", "select * from (values (10, 1, 'a'), (11, 1, 'b'), (12, 2, NULL),\n"
                           "  (13, 7, 'z'), (13, 8, 'y'), (14, NULL, 'x'), (14, 9, 'a'),\n"
                           "  (14, 1, 'a')) t(id, parent_id, kind)");
    put("models/schema.yml", "version: 2\nmodels:\n"
                             "  - name: parents\n    columns:\n      - name: id\n"
                             "        tests: [unique, not_null]\n"
                             "      - name: kind\n        tests:\n          - accepted_values:\n"
                             "              values: [a, b, c]\n"
                             "  - name: kids\n    columns:\n      - name: id\n"
                             "        tests: [unique, not_null]\n"
                             "      - name: parent_id\n        tests:\n          - not_null\n"
                             "          - relationships:\n              to: ref('parents')\n"
                             "              field: id\n"
                             "      - name: kind\n        tests:\n          - not_null\n"
                             "          - accepted_values:\n              values: ['a', 'b']\n");
    put("tests/kids_have_small_ids.sql", "select * from {{ ref('kids') }} where id > 13");
    put("tests/parents_ok.sql", "select * from {{ ref('parents') }} where id > 100");
}

static void test_tests_pass_and_fail(void **state) {
    (void)state;
    tests_project();
    tl_models_opts o = opts(wh, NULL, 0);
    tl_models_summary sum;
    tl_err err = {0};
    /* before any run: a clear error */
    assert_int_equal(tl_models_test(&o, &sum, &err), TL_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "models run"));
    run_ok(wh, NULL, 0);
    char *text = NULL;
    size_t len = 0;
    o.out = open_memstream(&text, &len);
    int rc = tl_models_test(&o, &sum, &err);
    fclose(o.out);
    if (rc != 0)
        fail_msg("test: %s", err.msg);
    const char *pass[] = {"unique_parents_id", "not_null_parents_id",
                          "accepted_values_parents_kind__a__b__c", "parents_ok"};
    const char *fail[] = {
        "unique_kids_id: 2 failing rows",         /* 13 and 14 repeat */
        "not_null_kids_id",                       /* listed below as passing */
        "not_null_kids_parent_id: 1 failing row", /* (14, NULL) */
        "relationships_kids_parent_id__id__ref_parents_: 3 failing rows", /* 7, 8, 9 */
        "not_null_kids_kind: 1 failing row",
        "accepted_values_kids_kind__a__b: 3 failing rows", /* z, y, x */
        "kids_have_small_ids: 3 failing rows",
    };
    for (size_t i = 0; i < 4; i++) {
        char want[200];
        snprintf(want, sizeof want, "PASS   %s\n", pass[i]);
        if (!strstr(text, want))
            fail_msg("no '%s' in:\n%s", want, text);
    }
    assert_non_null(strstr(text, "PASS   not_null_kids_id\n"));
    for (size_t i = 0; i < sizeof fail / sizeof *fail; i++) {
        if (i == 1)
            continue;
        char want[200];
        snprintf(want, sizeof want, "FAIL   %s\n", fail[i]);
        if (!strstr(text, want))
            fail_msg("no '%s' in:\n%s", want, text);
    }
    assert_int_equal(sum.ok, 5);
    assert_int_equal(sum.failed, 6);
    /* the summary names the failed tests, in order, as many as fit */
    if (!strstr(sum.failures, "unique_kids_id: 2 failing rows; not_null_kids_parent_id: 1 failing "
                              "row; relationships_kids_parent_id__id__ref_parents_: 3 failing rows"))
        fail_msg("failures: %s", sum.failures);
    assert_null(strstr(sum.failures, "not_null_kids_id:"));
    assert_true(strlen(sum.failures) < sizeof sum.failures);
    free(text);
    char path[256];
    snprintf(path, sizeof path, "%s/target/run_results.json", proj);
    char *json = slurp(path);
    assert_non_null(strstr(json, "\"command\": \"test\""));
    assert_non_null(strstr(json, "\"failures\": 3"));
    assert_non_null(strstr(json, "\"status\": \"fail\""));
    /* selection narrows the tests to the selected models */
    o = opts(wh, "parents", 0);
    assert_int_equal(tl_models_test(&o, &sum, &err), 0);
    assert_int_equal(sum.ok, 4);
    assert_int_equal(sum.failed, 0);
    assert_string_equal(sum.failures, "");
    /* a test that cannot run is an error, counted as failed */
    put("tests/broken.sql", "select * from {{ ref('parents') }} where no_col = 1");
    o = opts(wh, "parents", 0);
    assert_int_equal(tl_models_test(&o, &sum, &err), 0);
    assert_int_equal(sum.failed, 1);
    assert_true(!strncmp(sum.failures, "broken: ", 8));
    assert_non_null(strstr(sum.failures, "no_col"));
}

/* A reader in a loop (another process, like the dashboard or a query)
 * must answer every time while runs replace the warehouse; a reader that
 * holds the file open must not block a run either. */
static void test_readers_not_blocked(void **state) {
    (void)state;
    put("dbt_project.yml", "name: rd\n");
    put("models/t.sql", "{{ config(materialized='table') }}select * from range(1000) r(i)");
    run_ok(wh, NULL, 0);
    tl_err err = {0};
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    char stop[256];
    snprintf(stop, sizeof stop, "%s/stop", root);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        long good = 0, bad = 0;
        close(pipefd[0]);
        while (access(stop, F_OK) != 0 || good < 3) {
            tl_duck *d = tl_duck_open(wh, 1, NULL, NULL);
            char buf[64] = "";
            if (d && tl_duck_query_each(d, "SELECT count(*) FROM t", text_cb, buf, NULL) == 0 &&
                !strcmp(buf, "1000;"))
                good++;
            else
                bad++;
            tl_duck_close(d);
            if (good == 1)
                if (write(pipefd[1], "r", 1) != 1) /* first read done */
                    _exit(1);
        }
        char msg[64];
        int n = snprintf(msg, sizeof msg, "%ld %ld", good, bad);
        _exit(write(pipefd[1], msg, (size_t)n) == n ? 0 : 1);
    }
    close(pipefd[1]);
    /* opened after the fork: the child starts with no DuckDB state */
    tl_duck *held = tl_duck_open(wh, 1, NULL, &err); /* a long-lived read-only reader */
    assert_non_null(held);
    char c;
    assert_int_equal(read(pipefd[0], &c, 1), 1);
    for (int i = 0; i < 4; i++)
        run_ok(wh, NULL, 0);
    char buf[64] = "";
    assert_int_equal(tl_duck_query_each(held, "SELECT count(*) FROM t", text_cb, buf, &err), 0);
    assert_string_equal(buf, "1000;");
    close(open(stop, O_CREAT | O_WRONLY, 0644));
    char msg[64] = "";
    ssize_t n = read(pipefd[0], msg, sizeof msg - 1);
    assert_true(n > 0);
    msg[n] = '\0';
    int status;
    waitpid(pid, &status, 0);
    long good = 0, bad = -1;
    assert_int_equal(sscanf(msg, "%ld %ld", &good, &bad), 2);
    assert_true(good >= 3);
    assert_int_equal(bad, 0);
    tl_duck_close(held);
    /* no staged copies or WAL files left behind */
    char path[256];
    snprintf(path, sizeof path, "%s.wal", wh);
    assert_int_equal(access(path, F_OK), -1);
    assert_string_equal(wq(wh, "SELECT count(DISTINCT invocation_id) FROM ticklake_model_runs"),
                        "5;");
}

/* run_results.json's times come from the one RFC 3339 formatter. */
static void test_results_iso_time(void **state) {
    (void)state;
    char buf[40], small[10];
    tl_results_iso_time(1795551303123456LL, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-24T20:15:03.123456Z");
    tl_results_iso_time(-1, buf, sizeof buf); /* before the epoch: floored */
    assert_string_equal(buf, "1969-12-31T23:59:59.999999Z");
    tl_results_iso_time(0, small, sizeof small);
    assert_string_equal(small, ""); /* no stamp rather than a cut one */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_results_iso_time),
        cmocka_unit_test_setup_teardown(test_materializations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relation_kind_switch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_skips_downstream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compile_errors_stop_before_running, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duck_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tests_pass_and_fail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readers_not_blocked, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
