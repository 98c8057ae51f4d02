/* The tables' one definition: the Delta schema it yields is the one lakes
 * already hold (byte for byte), and a file the writer makes has exactly the
 * columns and types the definition gives DuckDB, and so the views. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "duck/duck.h"
#include "tables/tables.h"
#include "util/buf.h"

#define FIELD(name, type, nullable)                                                                \
    "{\"name\":\"" name "\",\"type\":\"" type "\",\"nullable\":" nullable ",\"metadata\":{}}"

/* What every lake written so far has in its metaData: the definition must
 * keep yielding it, or tl_table_create would see a different table. */
// clang-format off
static const char *const ticks_schema_v1 = "{\"type\":\"struct\",\"fields\":["
    FIELD("symbol", "string", "false") "," FIELD("ts", "timestamp", "false") ","
    FIELD("price", "decimal(18,6)", "false") "," FIELD("size", "long", "true") ","
    FIELD("bid", "decimal(18,6)", "true") "," FIELD("ask", "decimal(18,6)", "true") ","
    FIELD("exchange", "string", "true") "," FIELD("seq", "long", "true") ","
    FIELD("late", "boolean", "false") "," FIELD("src_partition", "integer", "false") ","
    FIELD("src_offset", "long", "false") "," FIELD("ingest_ts", "timestamp", "false") ","
    FIELD("year", "integer", "false") "," FIELD("month", "integer", "false") ","
    FIELD("day", "integer", "false") "," FIELD("hour", "integer", "false") "]}";
static const char *const deadletter_schema_v1 = "{\"type\":\"struct\",\"fields\":["
    FIELD("reason", "string", "false") "," FIELD("message", "string", "false") ","
    FIELD("raw", "string", "false") "," FIELD("raw_base64", "string", "false") ","
    FIELD("source", "string", "false") "," FIELD("src_partition", "integer", "false") ","
    FIELD("src_offset", "long", "false") "," FIELD("received_ts", "timestamp", "false") ","
    FIELD("date", "string", "false") "]}";
// clang-format on

static void test_schema_json_unchanged(void **state) {
    (void)state;
    tl_buf b = TL_BUF_INIT;
    assert_int_equal(tl_table_schema_json(&tl_ticks_table, &b), 0);
    assert_string_equal(b.data, ticks_schema_v1);
    tl_buf_reset(&b);
    assert_int_equal(tl_table_schema_json(&tl_deadletter_table, &b), 0);
    assert_string_equal(b.data, deadletter_schema_v1);
    tl_buf_free(&b);
}

static int first_value(void *ud, int ncols, const char *const *v) {
    if (ncols > 0 && v[0])
        snprintf(ud, 256, "%s", v[0]);
    return 0;
}

static void scalar(tl_duck *d, const char *sql, char out[256]) {
    tl_err err;
    out[0] = '\0';
    if (tl_duck_query_each(d, sql, first_value, out, &err) != 0)
        fail_msg("%s: %s", sql, err.msg);
}

/* A file from the writer: DESCRIBE of it equals DESCRIBE of the
 * definition's typed empty SELECT, column for column (names, types, order). */
static void test_written_file_matches_definition(void **state) {
    (void)state;
    tl_err err;
    tl_duck *d = tl_duck_open(NULL, 0, NULL, &err);
    assert_non_null(d);
    tl_tick_row row = {.tick = {.symbol = "AAPL", .ts_us = 1795550400000000LL, .price = 189250000,
                                .size = 100, .has = TL_TICK_HAS_SIZE},
                       .src_partition = 0, .src_offset = 7, .ingest_ts_us = 1795550400000001LL};
    char path[] = "/tmp/tl-tables-XXXXXX.parquet";
    int fd = mkstemps(path, 8);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(tl_duck_write_ticks(d, &row, 1, path, NULL, &err), 0);

    tl_buf empty = TL_BUF_INIT, cols = TL_BUF_INIT, sql = TL_BUF_INIT;
    /* the data columns only: partitions are folders, not in the file */
    tl_table t = tl_ticks_table;
    t.nparts = 0;
    assert_int_equal(tl_table_empty_select(&t, &empty), 0);
    tl_buf_printf(&sql,
                  "WITH f AS (SELECT row_number() OVER () AS i, column_name, column_type FROM "
                  "(DESCRIBE SELECT * FROM read_parquet('%s'))), "
                  "e AS (SELECT row_number() OVER () AS i, column_name, column_type FROM "
                  "(DESCRIBE %s)) "
                  "SELECT (SELECT count(*) FROM f) || '/' || (SELECT count(*) FROM e) || '/' || "
                  "(SELECT count(*) FROM f JOIN e USING (i, column_name, column_type))",
                  path, empty.data);
    char got[256], want[64];
    scalar(d, sql.data, got);
    snprintf(want, sizeof want, "%zu/%zu/%zu", t.ncols, t.ncols, t.ncols);
    assert_string_equal(got, want);
    /* and the column list is the file's own order */
    assert_int_equal(tl_table_column_list(&t, false, &cols), 0);
    tl_buf_reset(&sql);
    tl_buf_printf(&sql,
                  "SELECT string_agg(column_name, ', ') FROM (DESCRIBE SELECT * FROM "
                  "read_parquet('%s'))",
                  path);
    scalar(d, sql.data, got);
    assert_string_equal(got, cols.data);
    unlink(path);
    tl_buf_free(&empty);
    tl_buf_free(&cols);
    tl_buf_free(&sql);
    tl_duck_close(d);
}

/* Delta's type names and DuckDB's agree: a Delta reader sees what DuckDB wrote. */
static void test_delta_and_duck_types_agree(void **state) {
    (void)state;
    static const struct {
        tl_col_type t;
        const char *delta, *duck;
    } want[] = {
        {TL_COL_STRING, "string", "VARCHAR"},      {TL_COL_TIMESTAMP, "timestamp", "TIMESTAMPTZ"},
        {TL_COL_DECIMAL, "decimal(18,6)", "DECIMAL(18,6)"}, {TL_COL_LONG, "long", "BIGINT"},
        {TL_COL_INT, "integer", "INTEGER"},        {TL_COL_BOOL, "boolean", "BOOLEAN"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_string_equal(tl_col_delta_type(want[i].t), want[i].delta);
        assert_string_equal(tl_col_duck_type(want[i].t), want[i].duck);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_json_unchanged),
        cmocka_unit_test(test_written_file_matches_definition),
        cmocka_unit_test(test_delta_and_duck_types_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
