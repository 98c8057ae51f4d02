/* Unit tests for the Jinja subset: every construct renders as dbt would,
 * and every unsupported or malformed construct is an error that names the
 * file and the line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/template.h"

static int lake_source(void *ud, const char *src, const char *table, tl_buf *out) {
    (void)ud;
    if (strcmp(src, "lake") != 0)
        return -1;
    tl_buf_printf(out, "memory.main.\"%s\"", table);
    return 0;
}

/* Render text with is_incremental as given; returns a new string or fails. */
static char *render(const char *text, int incremental, tl_strmap *vars) {
    tl_tpl *t = NULL;
    tl_err err = {0};
    if (tl_tpl_parse("models/m.sql", text, &t, &err) != 0)
        fail_msg("parse: %s", err.msg);
    tl_tpl_ctx ctx = {incremental, "m", vars, lake_source, NULL};
    tl_buf out = TL_BUF_INIT;
    if (tl_tpl_render(t, &ctx, &out, &err) != 0)
        fail_msg("render: %s", err.msg);
    tl_tpl_free(t);
    tl_buf_puts(&out, "");
    return out.data;
}

static void expect_render(const char *text, int incremental, const char *want) {
    char *got = render(text, incremental, NULL);
    assert_string_equal(got, want);
    free(got);
}

/* Parsing must fail with a message holding each of the needles. */
static void expect_parse_error(const char *text, const char *n1, const char *n2) {
    tl_tpl *t = NULL;
    tl_err err = {0};
    int rc = tl_tpl_parse("models/bad.sql", text, &t, &err);
    if (rc == 0)
        fail_msg("parsed, but should fail: %s", text);
    assert_null(t);
    assert_int_equal(rc, TL_ERR_INVALID);
    if (!strstr(err.msg, n1) || (n2 && !strstr(err.msg, n2)))
        fail_msg("message '%s' lacks '%s' / '%s'", err.msg, n1, n2 ? n2 : "");
}

static void test_plain_text_unchanged(void **state) {
    (void)state;
    expect_render("select 1 as a -- { not a tag }\n", 0, "select 1 as a -- { not a tag }\n");
    expect_render("", 0, "");
}

static void test_ref_source_this(void **state) {
    (void)state;
    expect_render("select * from {{ ref('stg') }} join {{ref(\"b\")}}", 0,
                  "select * from \"stg\" join \"b\"");
    expect_render("from {{ source('lake', 'ticks') }}", 0, "from memory.main.\"ticks\"");
    expect_render("insert into {{ this }}", 0, "insert into \"m\"");
}

static void test_refs_and_sources_listed(void **state) {
    (void)state;
    tl_tpl *t = NULL;
    tl_err err = {0};
    assert_int_equal(tl_tpl_parse("f.sql",
                                  "a\n{{ ref('x') }}\n{% if is_incremental() %}{{ ref('y') }}"
                                  "{% endif %}{{ source('lake','ticks') }}",
                                  &t, &err),
                     0);
    assert_int_equal(tl_tpl_num_refs(t), 2);
    assert_string_equal(tl_tpl_ref_at(t, 0)->name, "x");
    assert_int_equal(tl_tpl_ref_at(t, 0)->line, 2);
    assert_string_equal(tl_tpl_ref_at(t, 1)->name, "y");
    assert_int_equal(tl_tpl_ref_at(t, 1)->line, 3);
    assert_int_equal(tl_tpl_num_sources(t), 1);
    assert_string_equal(tl_tpl_source_at(t, 0)->table, "ticks");
    tl_tpl_free(t);
}

static void test_config(void **state) {
    (void)state;
    tl_tpl *t = NULL;
    tl_err err = {0};
    const char *text = "{{ config(materialized='incremental', unique_key=['symbol', 'bar'],\n"
                       "  tags=['a', \"b\"], incremental_strategy='delete+insert') }}select 1";
    assert_int_equal(tl_tpl_parse("f.sql", text, &t, &err), 0);
    const tl_tpl_config *c = tl_tpl_config_of(t);
    assert_string_equal(c->materialized, "incremental");
    assert_string_equal(c->incremental_strategy, "delete+insert");
    assert_int_equal(c->n_unique_key, 2);
    assert_string_equal(c->unique_key[1], "bar");
    assert_int_equal(c->n_tags, 2);
    assert_string_equal(c->tags[1], "b");
    tl_tpl_free(t);
    /* config renders as nothing; a single string is a one-element list */
    expect_render("{{ config(materialized='table', unique_key='id') }}select 1", 0, "select 1");
    assert_int_equal(tl_tpl_parse("f.sql", "{{ config(unique_key='id') }}", &t, &err), 0);
    assert_int_equal(tl_tpl_config_of(t)->n_unique_key, 1);
    assert_string_equal(tl_tpl_config_of(t)->unique_key[0], "id");
    tl_tpl_free(t);
}

static void test_var(void **state) {
    (void)state;
    tl_strmap *vars = tl_strmap_new(free);
    tl_strmap_put(vars, "days", strdup("7"));
    char *got = render("{{ var('days') }} {{ var('days', 3) }} {{ var('n', 60) }} "
                       "'{{ var(\"s\", 'x y') }}'",
                       0, vars);
    assert_string_equal(got, "7 7 60 'x y'");
    free(got);
    tl_strmap_destroy(vars);
}

static void test_var_undefined_is_error(void **state) {
    (void)state;
    tl_tpl *t = NULL;
    tl_err err = {0};
    assert_int_equal(tl_tpl_parse("models/v.sql", "a\nb {{ var('missing') }}", &t, &err), 0);
    tl_tpl_ctx ctx = {0, "m", NULL, lake_source, NULL};
    tl_buf out = TL_BUF_INIT;
    assert_int_equal(tl_tpl_render(t, &ctx, &out, &err), TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "models/v.sql:2"));
    assert_non_null(strstr(err.msg, "missing"));
    tl_buf_free(&out);
    tl_tpl_free(t);
}

static void test_unknown_source_is_error(void **state) {
    (void)state;
    tl_tpl *t = NULL;
    tl_err err = {0};
    assert_int_equal(tl_tpl_parse("models/s.sql", "\n\n{{ source('other', 't') }}", &t, &err), 0);
    tl_tpl_ctx ctx = {0, "m", NULL, lake_source, NULL};
    tl_buf out = TL_BUF_INIT;
    assert_int_equal(tl_tpl_render(t, &ctx, &out, &err), TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "models/s.sql:3"));
    tl_buf_free(&out);
    tl_tpl_free(t);
}

static void test_is_incremental(void **state) {
    (void)state;
    const char *text = "a{% if is_incremental() %}I{% else %}F{% endif %}b";
    expect_render(text, 1, "aIb");
    expect_render(text, 0, "aFb");
    expect_render("{% if not is_incremental() %}N{% endif %}.", 0, "N.");
    expect_render("{% if not is_incremental() %}N{% endif %}.", 1, ".");
    /* nested blocks */
    const char *nested = "{% if is_incremental() %}1{% if not is_incremental() %}2{% else %}3"
                         "{% endif %}4{% else %}5{% endif %}";
    expect_render(nested, 1, "134");
    expect_render(nested, 0, "5");
}

static void test_comments_and_whitespace_control(void **state) {
    (void)state;
    expect_render("a {# a comment {{ ref('x') }} #}b", 0, "a b");
    expect_render("a  \n  {{- ref('x') -}}  \n b", 0, "a\"x\"b");
    expect_render("x\n{%- if is_incremental() -%}\n  y\n{%- endif %}\nz", 1, "xy\nz");
}

static void test_errors_name_file_and_line(void **state) {
    (void)state;
    expect_parse_error("select\n{{ ref('a') ", "models/bad.sql:2", "}}");
    expect_parse_error("\n\n{{ adapter.dispatch('x') }}", "models/bad.sql:3", "unsupported");
    expect_parse_error("{{ dbt_utils_star(ref('x')) }}", "models/bad.sql:1", "unsupported");
    expect_parse_error("a\n{% for x in y %}{% endfor %}", "models/bad.sql:2", "for");
    expect_parse_error("{% set x = 1 %}", ":1", "set");
    expect_parse_error("{% macro m() %}{% endmacro %}", ":1", "macro");
    expect_parse_error("{{ ref('a', 'b') }}", ":1", "ref()");
    expect_parse_error("{{ ref(x) }}", ":1", "ref");
    expect_parse_error("{{ source('lake') }}", ":1", "source()");
    expect_parse_error("{{ var() }}", ":1", "var()");
    expect_parse_error("{{ config(materialized='ephemeral') }}", ":1", "materialized");
    expect_parse_error("{{ config(schema='x') }}", ":1", "schema");
    expect_parse_error("{{ config('table') }}", ":1", "keyword");
    expect_parse_error("{{ is_incremental() }}", ":1", "is_incremental");
    expect_parse_error("\n{% if x > 1 %}a{% endif %}", ":2", "is_incremental");
    expect_parse_error("a\n\n{% if is_incremental() %}x", ":3", "endif");
    expect_parse_error("{% endif %}", ":1", "without");
    expect_parse_error("{% else %}", ":1", "without");
    expect_parse_error("{% if is_incremental() %}{% else %}{% else %}{% endif %}", ":1", "else");
    expect_parse_error("{{ this.schema }}", ":1", "unsupported");
    expect_parse_error("{{ 'text' }}", ":1", "unsupported");
    expect_parse_error("{{ ref('a' }}", ":1", "unsupported");
    expect_parse_error("{{ ref('a) }}", ":1", "unterminated");
    expect_parse_error("{# never closed", ":1", "#}");
    expect_parse_error("{{ x | upper }}", ":1", "unsupported");
}

static void test_quote_ident(void **state) {
    (void)state;
    tl_buf b = TL_BUF_INIT;
    tl_tpl_quote_ident(&b, "we\"ird");
    assert_string_equal(b.data, "\"we\"\"ird\"");
    tl_buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_text_unchanged),
        cmocka_unit_test(test_ref_source_this),
        cmocka_unit_test(test_refs_and_sources_listed),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_var),
        cmocka_unit_test(test_var_undefined_is_error),
        cmocka_unit_test(test_unknown_source_is_error),
        cmocka_unit_test(test_is_incremental),
        cmocka_unit_test(test_comments_and_whitespace_control),
        cmocka_unit_test(test_errors_name_file_and_line),
        cmocka_unit_test(test_quote_ident),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
