/* Unit tests for project loading (dbt_project.yml, schema files, config
 * precedence) and the DAG: ref resolution, cycles, run order, selection. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "models/dag.h"
#include "models/project.h"
#include "tl_test.h"

static char root[64];

/* Write root/rel (creating folders). */
static void put(const char *rel, const char *text) {
    assert_int_equal(tl_test_write_file(root, rel, text), 0);
}

static int setup(void **state) {
    (void)state;
    snprintf(root, sizeof root, "/tmp/tl_test_models_dag_XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    tl_test_rm_tree(root);
    return 0;
}

static tl_project *load_ok(void) {
    tl_project *p = NULL;
    tl_err err = {0};
    if (tl_project_load(root, &p, &err) != 0)
        fail_msg("load: %s", err.msg);
    return p;
}

static void expect_load_error(const char *n1, const char *n2) {
    tl_project *p = NULL;
    tl_err err = {0};
    if (tl_project_load(root, &p, &err) == 0) {
        tl_project_free(p);
        fail_msg("project loaded but should not");
    }
    if (!strstr(err.msg, n1) || (n2 && !strstr(err.msg, n2)))
        fail_msg("message '%s' lacks '%s' / '%s'", err.msg, n1, n2 ? n2 : "");
}

static const tl_model *model(const tl_project *p, const char *name) {
    long i = tl_project_find_model(p, name);
    if (i < 0)
        fail_msg("no model %s", name);
    return &p->models[i];
}

/* A diamond plus a side branch:
 *   src -> a -> b -> d,  a -> c -> d,  e (alone, tagged) */
static void diamond(void) {
    put("dbt_project.yml", "name: proj\nmodels:\n  proj:\n    +materialized: table\n"
                           "    side:\n      +tags: [side]\n      +materialized: view\n");
    put("models/a.sql", "select 1 as x");
    put("models/b.sql", "select * from {{ ref('a') }}");
    put("models/c.sql", "select * from {{ ref('a') }}");
    put("models/d.sql", "select * from {{ ref('b') }} join {{ ref('c') }} using (x)");
    put("models/side/e.sql", "select 2 as y");
}

static char *order_names(tl_project *p, const unsigned char *sel) {
    size_t *order = NULL;
    tl_err err = {0};
    static char out[256];
    if (tl_dag_build(p, &order, &err) != 0)
        fail_msg("dag: %s", err.msg);
    out[0] = '\0';
    for (size_t i = 0; i < p->n_models; i++)
        if (!sel || sel[order[i]]) {
            strcat(out, p->models[order[i]].name);
            strcat(out, " ");
        }
    free(order);
    return out;
}

static char *selected(tl_project *p, const char *select, const char *exclude) {
    unsigned char sel[16] = {0};
    tl_err err = {0};
    size_t *order = NULL;
    if (tl_dag_build(p, &order, &err) != 0)
        fail_msg("dag: %s", err.msg);
    free(order);
    if (tl_dag_select(p, select, exclude, sel, &err) != 0)
        fail_msg("select: %s", err.msg);
    return order_names(p, sel);
}

static void test_topological_order(void **state) {
    (void)state;
    diamond();
    tl_project *p = load_ok();
    assert_int_equal(p->n_models, 5);
    /* every model after the ones it refs; ties in file order */
    assert_string_equal(order_names(p, NULL), "a b c d e ");
    tl_project_free(p);
    /* a file order that is not a valid run order gets reordered */
    put("models/0first.sql", "select * from {{ ref('d') }}");
    p = load_ok();
    assert_string_equal(order_names(p, NULL), "a b c d 0first e ");
    tl_project_free(p);
}

static void test_selection(void **state) {
    (void)state;
    diamond();
    tl_project *p = load_ok();
    assert_string_equal(selected(p, NULL, NULL), "a b c d e ");
    assert_string_equal(selected(p, "  ", NULL), "a b c d e ");
    assert_string_equal(selected(p, "b", NULL), "b ");
    assert_string_equal(selected(p, "+b", NULL), "a b ");
    assert_string_equal(selected(p, "b+", NULL), "b d ");
    assert_string_equal(selected(p, "+d", NULL), "a b c d ");
    assert_string_equal(selected(p, "a+", NULL), "a b c d ");
    assert_string_equal(selected(p, "+c+", NULL), "a c d ");
    assert_string_equal(selected(p, "tag:side", NULL), "e ");
    assert_string_equal(selected(p, "tag:none", NULL), "");
    assert_string_equal(selected(p, "path:models/side", NULL), "e ");
    assert_string_equal(selected(p, "path:models/b.sql", NULL), "b ");
    assert_string_equal(selected(p, "path:models", NULL), "a b c d e ");
    assert_string_equal(selected(p, "b c  tag:side", NULL), "b c e ");
    assert_string_equal(selected(p, "a+", "c"), "a b d ");
    assert_string_equal(selected(p, NULL, "+b tag:side"), "c d ");
    unsigned char sel[8];
    tl_err err = {0};
    assert_int_equal(tl_dag_select(p, "a nope", NULL, sel, &err), TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "nope"));
    assert_non_null(strstr(err.msg, "--select"));
    assert_int_equal(tl_dag_select(p, NULL, "zz+", sel, &err), TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "--exclude"));
    assert_true(tl_dag_depends_on(p, tl_project_find_model(p, "d"), 0));
    assert_false(tl_dag_depends_on(p, 0, tl_project_find_model(p, "d")));
    tl_project_free(p);
}

static void test_cycle_is_named(void **state) {
    (void)state;
    put("dbt_project.yml", "name: proj\n");
    put("models/a.sql", "select * from {{ ref('c') }}");
    put("models/b.sql", "select * from {{ ref('a') }}");
    put("models/c.sql", "select * from {{ ref('b') }}");
    put("models/z.sql", "select 1");
    tl_project *p = load_ok();
    size_t *order = NULL;
    tl_err err = {0};
    assert_int_equal(tl_dag_build(p, &order, &err), TL_ERR_INVALID);
    assert_null(order);
    assert_non_null(strstr(err.msg, "cycle"));
    assert_non_null(strstr(err.msg, "a -> c -> b -> a"));
    tl_project_free(p);
    /* a model that refs itself */
    put("models/c.sql", "select * from {{ ref('c') }}");
    p = load_ok();
    assert_int_equal(tl_dag_build(p, &order, &err), TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "c -> c"));
    tl_project_free(p);
}

static void test_unknown_ref(void **state) {
    (void)state;
    put("dbt_project.yml", "name: proj\n");
    put("models/a.sql", "select 1\nfrom {{ ref('ghost') }}");
    tl_project *p = load_ok();
    size_t *order = NULL;
    tl_err err = {0};
    assert_int_equal(tl_dag_build(p, &order, &err), TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "models/a.sql:2"));
    assert_non_null(strstr(err.msg, "ghost"));
    tl_project_free(p);
}

static void test_config_precedence(void **state) {
    (void)state;
    put("dbt_project.yml", "name: proj\nvars:\n  n: 5\nmodels:\n  proj:\n"
                           "    +materialized: table\n    +tags: [all]\n"
                           "    marts:\n      +materialized: view\n      +tags: marts\n"
                           "      deep:\n        materialized: incremental\n");
    put("models/top.sql", "select 1");
    put("models/marts/m.sql", "select 1");
    put("models/marts/y.sql", "select 1");
    put("models/marts/s.sql", "{{ config(materialized='table', tags=['own']) }}select 1");
    put("models/marts/deep/i.sql", "{{ config(unique_key='id') }}select 1 as id");
    put("models/marts/deep/j.sql", "{{ config(incremental_strategy='append') }}select 1");
    put("models/marts/schema.yml", "version: 2\nmodels:\n  - name: y\n    config:\n"
                                   "      materialized: table\n      tags: [yml]\n");
    tl_project *p = load_ok();
    assert_int_equal(model(p, "top")->mat, TL_MAT_TABLE);
    assert_int_equal(model(p, "m")->mat, TL_MAT_VIEW);
    assert_int_equal(model(p, "y")->mat, TL_MAT_TABLE); /* yml beats folder */
    assert_int_equal(model(p, "s")->mat, TL_MAT_TABLE); /* config() beats all */
    const tl_model *s = model(p, "s");
    assert_int_equal(s->n_tags, 3); /* tags add up: all, marts, own */
    assert_string_equal(s->tags[0], "all");
    assert_string_equal(s->tags[1], "marts");
    assert_string_equal(s->tags[2], "own");
    assert_int_equal(model(p, "y")->n_tags, 3);
    const tl_model *i = model(p, "i");
    assert_int_equal(i->mat, TL_MAT_INCREMENTAL);
    assert_int_equal(i->n_unique_key, 1);
    assert_int_equal(i->delete_insert, 1); /* unique_key -> delete+insert */
    assert_int_equal(model(p, "j")->delete_insert, 0);
    assert_string_equal(tl_strmap_get(p->vars, "n"), "5");
    tl_project_free(p);
}

static void test_schema_tests_parsed(void **state) {
    (void)state;
    put("dbt_project.yml", "name: proj\n");
    put("models/a.sql", "select 1 as id, 'x' as kind");
    put("models/b.sql", "select 1 as a_id");
    put("models/s.yml",
        "version: 2\nsources:\n  - name: lake\n    tables:\n      - name: ticks\n"
        "      - name: dl\n        identifier: deadletter\n"
        "models:\n  - name: a\n    columns:\n      - name: id\n        tests: [unique, not_null]\n"
        "      - name: kind\n        data_tests:\n          - accepted_values:\n"
        "              values: ['x', 'y']\n"
        "  - name: b\n    columns:\n      - name: a_id\n        tests:\n"
        "          - relationships:\n              arguments:\n                to: ref('a')\n"
        "                field: id\n    tests:\n      - unique:\n"
        "          column_name: \"a_id || 'k'\"\n");
    put("tests/no_negative.sql", "select * from {{ ref('a') }} where id < 0");
    tl_project *p = load_ok();
    assert_int_equal(p->n_sources, 2);
    assert_string_equal(p->sources[1].identifier, "deadletter");
    assert_int_equal(p->n_tests, 6);
    const char *names[] = {"unique_a_id",
                           "not_null_a_id",
                           "accepted_values_a_kind__x__y",
                           "relationships_b_a_id__id__ref_a_",
                           "unique_b_a_id_k_",
                           "no_negative"};
    tl_test_kind kinds[] = {TL_TEST_UNIQUE,        TL_TEST_NOT_NULL, TL_TEST_ACCEPTED_VALUES,
                            TL_TEST_RELATIONSHIPS, TL_TEST_UNIQUE,   TL_TEST_SINGULAR};
    for (int i = 0; i < 6; i++) {
        assert_string_equal(p->tests[i].name, names[i]);
        assert_int_equal(p->tests[i].kind, kinds[i]);
    }
    assert_int_equal(p->tests[2].n_values, 2);
    assert_string_equal(p->tests[3].to, "a");
    assert_string_equal(p->tests[3].field, "id");
    assert_string_equal(p->tests[4].column, "a_id || 'k'");
    tl_project_free(p);
}

/* Generic tests are named as dbt names them (synthesize_generic_test_names in
 * dbt-core), so that ticklake and dbt report the same tests: every run of
 * other characters becomes one '_' (a trailing one too), and values are
 * Python's str() of the YAML (plain true/no/On -> True/False, ~ -> None;
 * quoted scalars as written). Expected names computed with dbt-core 1.11. */
static void test_schema_test_names_as_dbt(void **state) {
    (void)state;
    put("dbt_project.yml", "name: proj\n");
    put("models/m.sql", "select true as flag, 1 as a, 2 as b, 3 as _x__y");
    put("models/s.yml", "version: 2\nmodels:\n  - name: m\n    columns:\n"
                        "      - name: flag\n        data_tests:\n"
                        "          - accepted_values:\n              arguments:\n"
                        "                values: [true, 'false', no, ~, 'x y', On]\n"
                        "      - name: _x__y\n        data_tests: [not_null]\n"
                        "    data_tests:\n      - unique:\n"
                        "          column_name: \"a || '@' || cast(b as varchar)\"\n");
    tl_project *p = load_ok();
    assert_int_equal(p->n_tests, 3);
    assert_string_equal(p->tests[0].name,
                        "accepted_values_m_flag__True__false__False__None__x_y__True");
    assert_string_equal(p->tests[1].name, "not_null_m__x__y");
    assert_string_equal(p->tests[2].name, "unique_m_a_cast_b_as_varchar_");
    /* the SQL still compares with the values as written */
    assert_string_equal(p->tests[0].values[0], "true");
    assert_string_equal(p->tests[0].values[4], "x y");
    tl_project_free(p);
}

static void test_project_errors(void **state) {
    (void)state;
    expect_load_error("dbt_project.yml", "cannot open");
    put("dbt_project.yml", "version: 2\n");
    expect_load_error("dbt_project.yml", "name");
    put("dbt_project.yml", "name: proj\nmodels:\n  other:\n    +materialized: table\n");
    expect_load_error("dbt_project.yml:3", "other");
    put("dbt_project.yml", "name: proj\nmodels:\n  proj:\n    +materialized: ephemeral\n");
    put("models/a.sql", "select 1");
    expect_load_error("ephemeral", NULL);
    put("dbt_project.yml", "name: proj\nmodels: [\n");
    expect_load_error("dbt_project.yml", "YAML");
    put("dbt_project.yml", "name: proj\n");
    put("models/x/a.sql", "select 2");
    expect_load_error("two models named a", NULL);
    unlink("models/x/a.sql");
    char p2[512];
    snprintf(p2, sizeof p2, "%s/models/x/a.sql", root);
    unlink(p2);
    put("models/s.yml", "models:\n  - name: ghost\n");
    expect_load_error("ghost", "no ghost.sql");
    put("models/s.yml", "models:\n  - name: a\n    columns:\n      - name: id\n"
                        "        tests: [positive]\n");
    expect_load_error("models/s.yml:5", "unknown test 'positive'");
    put("models/s.yml", "models:\n  - name: a\n    columns:\n      - name: id\n"
                        "        tests:\n          - accepted_values: {}\n");
    expect_load_error("models/s.yml:6", "values");
    put("models/s.yml", "models:\n  - name: a\n    columns:\n      - name: id\n"
                        "        tests:\n          - relationships: {to: a, field: id}\n");
    expect_load_error("models/s.yml:6", "ref('model')");
    put("models/s.yml", "models:\n  - name: a\n    tests: [unique]\n");
    expect_load_error("models/s.yml:3", "column_name");
    put("models/s.yml", "models:\n  - name: a\n    config:\n      schema: other\n");
    expect_load_error("models/s.yml:4", "schema");
    put("models/s.yml", "version: 2\n");
    put("models/a.sql", "select 1\n{% for x in y %}");
    expect_load_error("models/a.sql:2", "unsupported");
    put("models/a.sql", "{{ config(materialized='incremental', incremental_strategy="
                        "'delete+insert') }}select 1");
    expect_load_error("unique_key", NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_topological_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_selection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cycle_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_ref, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_precedence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_tests_parsed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_test_names_as_dbt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_project_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
