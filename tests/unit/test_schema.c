/* Schema evolution's merge rule: a lake's columns against the ones a
 * configuration wants. Adding nullable columns is allowed; dropping,
 * retyping or renaming one is refused with a message naming the column and
 * both types. And a schema read back from its own schemaString is itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "tables/tables.h"
#include "util/buf.h"

/* base ticks + the given extra columns ("name", type pairs). */
static tl_schema *with(const char *n1, tl_col_type t1, const char *n2, tl_col_type t2) {
    tl_schema *s = tl_schema_new(&tl_ticks_table);
    tl_err err = {0};
    assert_non_null(s);
    if (n1)
        assert_int_equal(tl_schema_add(s, n1, t1, &err), 0);
    if (n2)
        assert_int_equal(tl_schema_add(s, n2, t2, &err), 0);
    return s;
}

static void test_same_schema_adds_nothing(void **state) {
    (void)state;
    tl_schema *lake = with("venue", TL_COL_STRING, NULL, 0), *want = with("venue", TL_COL_STRING, NULL, 0);
    tl_schema *out = NULL;
    size_t added = 9;
    tl_err err = {0};
    assert_int_equal(tl_schema_merge(&lake->table, &want->table, &out, &added, &err), 0);
    assert_int_equal(added, 0);
    assert_int_equal(out->table.ncols, tl_ticks_table.ncols + 1);
    tl_schema_free(lake);
    tl_schema_free(want);
    tl_schema_free(out);
}

static void test_add_nullable_allowed(void **state) {
    (void)state;
    tl_schema *lake = tl_schema_new(&tl_ticks_table);
    tl_schema *want = with("venue", TL_COL_STRING, "conditions", TL_COL_LIST), *out = NULL;
    size_t added = 0;
    tl_err err = {0};
    assert_int_equal(tl_schema_merge(&lake->table, &want->table, &out, &added, &err), 0);
    assert_int_equal(added, 2);
    size_t n = tl_ticks_table.ncols;
    assert_int_equal(out->table.ncols, n + 2);
    assert_string_equal(out->table.cols[n].name, "venue");
    assert_true(out->table.cols[n].nullable);
    assert_int_equal(out->table.cols[n + 1].type, TL_COL_LIST);
    assert_int_equal(out->table.nparts, 4);
    tl_schema_free(lake);
    tl_schema_free(want);
    tl_schema_free(out);
}

/* A lake column kept when the wanted list puts it elsewhere: the lake's
 * order stands, the new ones come after it. */
static void test_added_after_lake_columns(void **state) {
    (void)state;
    tl_schema *lake = with("b", TL_COL_LONG, NULL, 0), *want = with("a", TL_COL_BOOL, "b", TL_COL_LONG);
    tl_schema *out = NULL;
    size_t added = 0;
    tl_err err = {0};
    assert_int_equal(tl_schema_merge(&lake->table, &want->table, &out, &added, &err), 0);
    assert_int_equal(added, 1);
    assert_string_equal(out->table.cols[tl_ticks_table.ncols].name, "b");
    assert_string_equal(out->table.cols[tl_ticks_table.ncols + 1].name, "a");
    tl_schema_free(lake);
    tl_schema_free(want);
    tl_schema_free(out);
}

static void expect_refused(tl_schema *lake, tl_schema *want, const char *const *words) {
    tl_schema *out = NULL;
    size_t added = 7;
    tl_err err = {0};
    assert_int_equal(tl_schema_merge(&lake->table, &want->table, &out, &added, &err),
                     TL_ERR_INVALID);
    assert_null(out);
    assert_int_equal(added, 0);
    for (; *words; words++)
        if (!strstr(err.msg, *words))
            fail_msg("'%s' not in: %s", *words, err.msg);
    tl_schema_free(lake);
    tl_schema_free(want);
}

static void test_drop_refused(void **state) {
    (void)state;
    expect_refused(with("venue", TL_COL_STRING, "trade_id", TL_COL_LONG),
                   with("trade_id", TL_COL_LONG, NULL, 0),
                   (const char *[]){"'venue'", "(string)", "removing", "older", NULL});
}

static void test_retype_refused(void **state) {
    (void)state;
    expect_refused(with("trade_id", TL_COL_LONG, NULL, 0),
                   with("trade_id", TL_COL_STRING, NULL, 0),
                   (const char *[]){"'trade_id'", "int64 in the lake", "string in the", "retyping",
                                    NULL});
    expect_refused(with("cond", TL_COL_LIST, NULL, 0), with("cond", TL_COL_STRING, NULL, 0),
                   (const char *[]){"'cond'", "list<string>", "string", NULL});
}

static void test_rename_refused(void **state) {
    (void)state;
    expect_refused(with("venue", TL_COL_STRING, NULL, 0), with("market", TL_COL_STRING, NULL, 0),
                   (const char *[]){"'venue'", "'market'", "(string)", "renaming", NULL});
}

/* A built-in column counts as much as an added one. */
static void test_builtin_retype_refused(void **state) {
    (void)state;
    tl_schema *lake = tl_schema_new(&tl_ticks_table), *want = tl_schema_new(&tl_ticks_table);
    want->cols[3].type = TL_COL_STRING; /* size */
    expect_refused(lake, want, (const char *[]){"'size'", "int64", "string", NULL});
}

static void test_bad_names_refused(void **state) {
    (void)state;
    tl_schema *s = tl_schema_new(&tl_ticks_table);
    tl_err err = {0};
    assert_int_equal(tl_schema_add(s, "price", TL_COL_STRING, &err), TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "'price'"));
    assert_int_equal(tl_schema_add(s, "hour", TL_COL_STRING, &err), TL_ERR_INVALID);
    assert_int_equal(tl_schema_add(s, "a b", TL_COL_STRING, &err), TL_ERR_INVALID);
    assert_int_equal(tl_schema_add(s, "1x", TL_COL_STRING, &err), TL_ERR_INVALID);
    assert_int_equal(tl_schema_add(s, "x';", TL_COL_STRING, &err), TL_ERR_INVALID);
    assert_int_equal(s->table.ncols, tl_ticks_table.ncols);
    tl_schema_free(s);
}

static void test_type_names(void **state) {
    (void)state;
    static const char *const names[] = {"string", "int64",     "decimal(18,6)",
                                        "timestamp", "bool", "list<string>"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        tl_col_type t;
        assert_int_equal(tl_col_type_parse(names[i], &t), 0);
        assert_string_equal(tl_col_type_name(t), names[i]);
    }
    tl_col_type t;
    assert_int_equal(tl_col_type_parse("int32", &t), -1);
    assert_int_equal(tl_col_type_parse("float", &t), -1);
}

/* Every type through the schemaString and back; the built-in table reads
 * back as itself. */
static void test_delta_round_trip(void **state) {
    (void)state;
    tl_schema *s = with("venue", TL_COL_STRING, "conditions", TL_COL_LIST), *back = NULL;
    tl_err err = {0};
    assert_int_equal(tl_schema_add(s, "trade_id", TL_COL_LONG, &err), 0);
    assert_int_equal(tl_schema_add(s, "px", TL_COL_DECIMAL, &err), 0);
    assert_int_equal(tl_schema_add(s, "exch_ts", TL_COL_TIMESTAMP, &err), 0);
    assert_int_equal(tl_schema_add(s, "odd_lot", TL_COL_BOOL, &err), 0);
    tl_buf a = TL_BUF_INIT, b = TL_BUF_INIT;
    assert_int_equal(tl_table_schema_json(&s->table, &a), 0);
    assert_non_null(strstr(a.data, "{\"name\":\"conditions\",\"type\":{\"type\":\"array\","
                                    "\"elementType\":\"string\",\"containsNull\":true},"
                                    "\"nullable\":true,\"metadata\":{}}"));
    assert_int_equal(tl_schema_from_delta(&tl_ticks_table, a.data, &back, &err), 0);
    assert_int_equal(tl_table_schema_json(&back->table, &b), 0);
    assert_string_equal(a.data, b.data);
    tl_schema_free(back);
    tl_buf_reset(&a);
    tl_buf_reset(&b);
    assert_int_equal(tl_table_schema_json(&tl_ticks_table, &a), 0);
    assert_int_equal(tl_schema_from_delta(&tl_ticks_table, a.data, &back, &err), 0);
    assert_int_equal(tl_table_schema_json(&back->table, &b), 0);
    assert_string_equal(a.data, b.data);
    tl_schema_free(back);
    tl_schema_free(s);
    tl_buf_free(&a);
    tl_buf_free(&b);
}

static void test_delta_refusals(void **state) {
    (void)state;
    tl_schema *out = NULL;
    tl_err err = {0};
    assert_int_equal(tl_schema_from_delta(&tl_ticks_table, "[1]", &out, &err), TL_ERR_CORRUPT);
    assert_int_equal(tl_schema_from_delta(&tl_ticks_table, "{\"fields\":[]}", &out, &err),
                     TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "partition"));
    assert_int_equal(
        tl_schema_from_delta(&tl_ticks_table,
                             "{\"fields\":[{\"name\":\"f\",\"type\":\"float\",\"nullable\":true},"
                             "{\"name\":\"year\",\"type\":\"integer\"},{\"name\":\"month\","
                             "\"type\":\"integer\"},{\"name\":\"day\",\"type\":\"integer\"},"
                             "{\"name\":\"hour\",\"type\":\"integer\"}]}",
                             &out, &err),
        TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "'f'"));
    assert_null(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_schema_adds_nothing),
        cmocka_unit_test(test_add_nullable_allowed),
        cmocka_unit_test(test_added_after_lake_columns),
        cmocka_unit_test(test_drop_refused),
        cmocka_unit_test(test_retype_refused),
        cmocka_unit_test(test_rename_refused),
        cmocka_unit_test(test_builtin_retype_refused),
        cmocka_unit_test(test_bad_names_refused),
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_delta_round_trip),
        cmocka_unit_test(test_delta_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
