/* Unit tests for the duck module: SQL, text rendering, the three printers and
 * the Parquet tick writer (read back by DuckDB and by an independent reader,
 * hyparquet under node, when tests/tools/node_modules is installed). */
#define _GNU_SOURCE /* open_memstream */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "duck/duck.h"
#include "tl_test_parquet.h"

static char tmpdir[] = "/tmp/tl_test_duck_XXXXXX";

/* ---- helpers ---------------------------------------------------------------- */

static void tmp_path(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/%s", tmpdir, name);
}

static void assert_query(tl_duck *d, const char *sql, const char *want) {
    char *got = tl_test_duck_lines(d, sql);
    assert_string_equal(got, want);
    free(got);
}

static char *print_result(tl_duck *d, const char *sql, tl_duck_format fmt) {
    char *text = NULL;
    size_t len = 0;
    tl_err err = {0};
    FILE *f = open_memstream(&text, &len);
    int rc = tl_duck_query_print(d, sql, fmt, f, &err);
    fclose(f);
    if (rc != 0)
        fail_msg("print %s: %s", sql, err.msg);
    return text;
}

static void opt_int(char *out, size_t cap, int present, int64_t v) {
    if (present)
        snprintf(out, cap, "%" PRId64, v);
    else
        snprintf(out, cap, "\\N");
}

static void opt_dec(char *out, size_t cap, int present, int64_t v) {
    if (present)
        tl_test_micros_text(v, out, cap);
    else
        snprintf(out, cap, "\\N");
}

static tl_tick_row make_row(const char *sym, int64_t ts, int64_t price, unsigned has) {
    tl_tick_row r;
    memset(&r, 0, sizeof r);
    snprintf(r.tick.symbol, sizeof r.tick.symbol, "%s", sym);
    r.tick.ts_us = ts;
    r.tick.price = price;
    r.tick.has = has;
    r.src_partition = -1;
    return r;
}

/* Five rows covering every field present/absent and the edge values. */
static size_t sample_rows(tl_tick_row *rows) {
    const unsigned all = TL_TICK_HAS_SIZE | TL_TICK_HAS_BID | TL_TICK_HAS_ASK |
                         TL_TICK_HAS_EXCHANGE | TL_TICK_HAS_SEQ;
    rows[0] = make_row("AAPL", 1795551303123456LL, 189250000, all);
    rows[0].tick.size = 100;
    rows[0].tick.bid = 189240000;
    rows[0].tick.ask = 189260000;
    strcpy(rows[0].tick.exchange, "XNAS");
    rows[0].tick.seq = 42;
    rows[0].src_partition = 3;
    rows[0].src_offset = 1234567890123LL;
    rows[0].ingest_ts_us = 1795551303200001LL;
    rows[1] = make_row("MSFT", 1795551303123457LL, 1, 0); /* 0.000001, nothing optional */
    rows[1].late = true;
    rows[1].src_offset = 1;
    rows[1].ingest_ts_us = 1795551304000000LL;
    rows[2] = make_row("BRK.B", -1, 123456789123456LL, TL_TICK_HAS_SIZE | TL_TICK_HAS_SEQ);
    rows[2].tick.size = 0;
    rows[2].tick.seq = INT64_MAX;
    rows[2].src_partition = 2147483647;
    rows[2].src_offset = 2;
    rows[2].ingest_ts_us = 0;
    rows[3] = make_row("X", 0, 999999999999999999LL, TL_TICK_HAS_BID | TL_TICK_HAS_EXCHANGE);
    rows[3].tick.bid = 1;
    strcpy(rows[3].tick.exchange, "EXCHANGE-SIXTEEN");
    rows[3].src_offset = 3;
    rows[4] = make_row("LONGSYMBOL12", 4102444800000000LL, 50, TL_TICK_HAS_ASK);
    rows[4].tick.ask = 60;
    rows[4].src_offset = 4;
    return 5;
}

/* A row as the query in read_back_sql prints it, from the input alone. */
static void expected_line(const tl_tick_row *r, char *out, size_t cap) {
    const tl_tick *t = &r->tick;
    char price[32], size[32], bid[32], ask[32], seq[32];
    tl_test_micros_text(t->price, price, sizeof price);
    opt_int(size, sizeof size, t->has & TL_TICK_HAS_SIZE, t->size);
    opt_dec(bid, sizeof bid, t->has & TL_TICK_HAS_BID, t->bid);
    opt_dec(ask, sizeof ask, t->has & TL_TICK_HAS_ASK, t->ask);
    opt_int(seq, sizeof seq, t->has & TL_TICK_HAS_SEQ, t->seq);
    snprintf(out, cap, "%s|%" PRId64 "|%s|%s|%s|%s|%s|%s|%s|%d|%" PRId64 "|%" PRId64 "\n",
             t->symbol, t->ts_us, price, size, bid, ask,
             (t->has & TL_TICK_HAS_EXCHANGE) ? t->exchange : "\\N", seq, r->late ? "true" : "false",
             (int)r->src_partition, r->src_offset, r->ingest_ts_us);
}

static char *expected_lines(const tl_tick_row *rows, size_t n) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    char line[512];
    for (size_t i = 0; i < n; i++) {
        expected_line(&rows[i], line, sizeof line);
        fputs(line, f);
    }
    fclose(f);
    return text;
}

static void read_back_sql(char *sql, size_t cap, const char *path) {
    snprintf(sql, cap,
             "SELECT symbol, epoch_us(ts), price, size, bid, ask, exchange, seq, late, "
             "src_partition, src_offset, epoch_us(ingest_ts) FROM read_parquet('%s')",
             path);
}

static void write_ok(tl_duck *d, const tl_tick_row *rows, size_t n, const char *path,
                     int64_t *size) {
    tl_err err = {0};
    int rc = tl_duck_write_ticks(d, rows, n, path, size, &err);
    if (rc != 0)
        fail_msg("write_ticks %s: %s", path, err.msg);
}

/* ---- open, exec, errors ------------------------------------------------------ */

static void test_exec_and_query_each(void **state) {
    (void)state;
    tl_duck *d = tl_test_duck_mem();
    tl_err err = {0};
    assert_int_equal(tl_duck_exec(d,
                                  "CREATE TABLE t(a INTEGER, b VARCHAR); "
                                  "INSERT INTO t VALUES (1, 'x'), (2, NULL), (3, 'it''s')",
                                  &err),
                     0);
    assert_query(d, "SELECT a, b FROM t ORDER BY a", "1|x\n2|\\N\n3|it's\n");
    /* several statements: the earlier ones run, the last one's rows come back */
    assert_query(d, "INSERT INTO t VALUES (4, 'y'); SELECT count(*) FROM t;", "4\n");
    assert_query(d, "SELECT current_setting('TimeZone')", "UTC\n");
    tl_duck_close(d);
}

static int stop_after_two(void *ud, int ncols, const char *const *values) {
    int *seen = ud;
    (void)ncols;
    (void)values;
    return ++*seen == 2 ? 77 : 0;
}

static void test_query_each_stops_early(void **state) {
    (void)state;
    tl_duck *d = tl_test_duck_mem();
    tl_err err = {0};
    int seen = 0;
    assert_int_equal(
        tl_duck_query_each(d, "SELECT * FROM range(100000)", stop_after_two, &seen, &err), 77);
    assert_int_equal(seen, 2);
    /* the handle is usable again after an abandoned stream */
    assert_query(d, "SELECT 1", "1\n");
    tl_duck_close(d);
}

static void test_errors(void **state) {
    (void)state;
    tl_duck *d = tl_test_duck_mem();
    tl_err err = {0};
    assert_int_equal(tl_duck_exec(d, "SELEC 1", &err), TL_ERR_DUCKDB);
    assert_non_null(strstr(err.msg, "syntax error"));
    assert_non_null(strstr(err.msg, "SELEC 1"));

    tl_err_clear(&err);
    assert_int_equal(
        tl_duck_query_each(d, "SELECT * FROM no_such_table", tl_test_lines_row, NULL, &err),
        TL_ERR_DUCKDB);
    assert_non_null(strstr(err.msg, "no_such_table"));

    tl_err_clear(&err);
    FILE *f = tmpfile();
    assert_int_equal(
        tl_duck_query_print(d, "SELECT 1; SELECT x FROM nowhere", TL_DUCK_FMT_CSV, f, &err),
        TL_ERR_DUCKDB);
    assert_non_null(strstr(err.msg, "nowhere"));
    fclose(f);

    /* an error raised while the result is already streaming */
    tl_test_lines l = {0};
    l.f = open_memstream(&l.text, &l.len);
    tl_err_clear(&err);
    assert_int_equal(tl_duck_query_each(d,
                                        "SELECT CASE WHEN i < 5000 THEN i ELSE error('boom at ' "
                                        "|| i) END FROM range(10000) t(i)",
                                        tl_test_lines_row, &l, &err),
        TL_ERR_DUCKDB);
    fclose(l.f);
    free(l.text);
    assert_non_null(strstr(err.msg, "boom at"));

    tl_err_clear(&err);
    assert_int_equal(tl_duck_query_each(d, "", tl_test_lines_row, NULL, &err), TL_ERR_DUCKDB);

    /* reading a file that is not there is an I/O error */
    tl_err_clear(&err);
    assert_int_equal(tl_duck_exec(d, "COPY (SELECT 1) TO '/nonexistent-dir/x.parquet'", &err),
                     TL_ERR_IO);
    assert_non_null(strstr(err.msg, "nonexistent-dir"));
    tl_duck_close(d);
}

static void test_open_read_only(void **state) {
    (void)state;
    char path[256];
    tl_err err = {0};
    tmp_path(path, sizeof path, "ro.duckdb");
    tl_duck *d = tl_duck_open(path, 0, NULL, &err);
    assert_non_null(d);
    assert_int_equal(tl_duck_exec(d, "CREATE TABLE t AS SELECT 7 AS x", &err), 0);
    tl_duck_close(d);

    d = tl_duck_open(path, 1, NULL, &err);
    assert_non_null(d);
    assert_query(d, "SELECT x FROM t", "7\n");
    tl_err_clear(&err);
    assert_int_equal(tl_duck_exec(d, "INSERT INTO t VALUES (8)", &err), TL_ERR_DUCKDB);
    assert_non_null(strstr(err.msg, "read-only"));
    tl_duck_close(d);

    tl_err_clear(&err);
    assert_null(tl_duck_open("/nonexistent-dir/db.duckdb", 0, NULL, &err));
    assert_int_equal(err.code, TL_ERR_DUCKDB);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/db.duckdb"));
}

static void test_quote(void **state) {
    (void)state;
    char out[16];
    assert_int_equal(tl_duck_quote("it's", out, sizeof out), 0);
    assert_string_equal(out, "it''s");
    assert_int_equal(tl_duck_quote("''", out, sizeof out), 0);
    assert_string_equal(out, "''''");
    assert_int_equal(tl_duck_quote("", out, sizeof out), 0);
    assert_string_equal(out, "");
    /* "abcdefghijklmn'" needs 17 bytes with the NUL */
    assert_int_equal(tl_duck_quote("abcdefghijklmn'", out, sizeof out), TL_ERR_INVALID);
    assert_string_equal(out, "");
    assert_int_equal(tl_duck_quote("abcdefghijklmno", out, sizeof out), 0);
}

/* The limits a database is opened with are its own: another handle opened
 * after without them has DuckDB's defaults, and tl_duck_limits reports them
 * (what the lake's checkpoint reader under a view takes). */
static void test_limits(void **state) {
    (void)state;
    const char *sql = "SELECT name, value FROM duckdb_settings() WHERE name IN "
                      "('memory_limit', 'threads', 'allocator_background_threads') ORDER BY name";
    tl_err err = {0};
    tl_duck_opts small = {.memory_limit = 48LL << 20, .threads = 1};
    tl_duck *d = tl_duck_open(NULL, 0, &small, &err);
    assert_non_null(d);
    tl_duck *plain = tl_test_duck_mem();
    assert_query(d, sql,
                 "allocator_background_threads|true\nmemory_limit|48.0 MiB\nthreads|1\n");
    assert_int_equal(tl_duck_limits(d)->memory_limit, 48LL << 20);
    assert_int_equal(tl_duck_limits(d)->threads, 1);
    tl_duck_close(d);
    char *got = tl_test_duck_lines(plain, sql);
    assert_null(strstr(got, "48.0 MiB"));
    assert_non_null(strstr(got, "allocator_background_threads|true\n"));
    free(got);
    assert_int_equal(tl_duck_limits(plain)->memory_limit, 0);
    tl_duck_close(plain);
    /* unset fields (<= 0) are DuckDB's defaults, never a limit of 0 */
    tl_duck_opts unset = {.memory_limit = 0, .threads = -1};
    d = tl_duck_open(NULL, 0, &unset, &err);
    assert_non_null(d);
    got = tl_test_duck_lines(d, sql);
    assert_null(strstr(got, "memory_limit|0 bytes"));
    assert_null(strstr(got, "threads|0\n"));
    free(got);
    tl_duck_close(d);
}

/* ---- text rendering ------------------------------------------------------------ */

/* Every value must read exactly as DuckDB's own CAST(x AS VARCHAR). */
/* A negative zero prints as 0.0 (DuckDB's own cast says -0.0): a rounded
 * small fall in a user's query must not show "-0.0" (issue 14). */
static void test_render_no_negative_zero(void **state) {
    (void)state;
    tl_duck *d = tl_test_duck_mem();
    char *got = tl_test_duck_lines(d, "SELECT (-0.0)::DOUBLE, round(-0.001, 2)::DOUBLE, "
                                      "(-0.0)::FLOAT, (-1.5)::DOUBLE");
    assert_string_equal(got, "0.0|0.0|0.0|-1.5\n");
    free(got);
    tl_duck_close(d);
}

static void test_render_matches_cast(void **state) {
    (void)state;
    static const char *const exprs[] = {"0::DECIMAL(18,6)",
                                        "-0.5::DECIMAL(18,6)",
                                        "0.000001::DECIMAL(18,6)",
                                        "(-0.000001)::DECIMAL(18,6)",
                                        "999999999999.999999::DECIMAL(18,6)",
                                        "(-999999999999.999999)::DECIMAL(18,6)",
                                        "123456789.123456::DECIMAL(18,6)",
                                        "1::DECIMAL(4,1)",
                                        "(-123.45)::DECIMAL(9,2)",
                                        "(-12)::DECIMAL(5,0)",
                                        "(-1234567890.12345678)::DECIMAL(38,8)",
                                        "(-9223372036854775808)::BIGINT",
                                        "18446744073709551615::UBIGINT",
                                        "(-128)::TINYINT",
                                        "255::UTINYINT",
                                        "(-32768)::SMALLINT",
                                        "65535::USMALLINT",
                                        "(-2147483648)::INTEGER",
                                        "4294967295::UINTEGER",
                                        "170141183460469231731687303715884105727::HUGEINT",
                                        "(-1)::HUGEINT",
                                        "340282366920938463463374607431768211455::UHUGEINT",
                                        "true",
                                        "false",
                                        "0.1::DOUBLE",
                                        "1e20::DOUBLE",
                                        "'nan'::DOUBLE",
                                        "'-inf'::DOUBLE",
                                        "1.5::FLOAT",
                                        "TIMESTAMPTZ '2026-11-24 20:15:03.123456+00'",
                                        "TIMESTAMPTZ '2026-11-24 20:15:03+00'",
                                        "TIMESTAMP '1969-12-31 23:59:59.999999'",
                                        "TIMESTAMP_NS '2020-01-01 00:00:00.123456789'",
                                        "TIMESTAMP_MS '2020-01-01 00:00:00.123'",
                                        "TIMESTAMP_S '2020-01-01 00:00:01'",
                                        "'infinity'::TIMESTAMP",
                                        "DATE '2024-02-29'",
                                        "'-infinity'::DATE",
                                        "TIME '12:34:56.5'",
                                        "TIMETZ '12:00:00+05'",
                                        "INTERVAL '1 month 2 days 3 seconds'",
                                        "'1a2b3c4d-0000-4000-8000-00000000000f'::UUID",
                                        "'ffffffff-ffff-ffff-ffff-ffffffffffff'::UUID",
                                        "'00000000-0000-0000-0000-000000000000'::UUID",
                                        "'héllo'",
                                        "''",
                                        "'\\x00ab'::BLOB",
                                        "[1, NULL, 3]",
                                        "['a''b', NULL]",
                                        "[]::INTEGER[]",
                                        "{'k': 1, 's': 'x'}",
                                        "MAP {'a': 1, 'b': NULL}",
                                        "[1,2,3]::INTEGER[3]",
                                        "'ok'::mood",
                                        "[[1,2],[3]]",
                                        "{'a': [1.5::DECIMAL(4,2)], 'b': {'c': NULL}}",
                                        "[TIMESTAMPTZ '2026-11-24 20:15:03+00']",
                                        "TIMESTAMP '0001-01-01 00:00:00'",
                                        "TIMESTAMP '9999-12-31 23:59:59.999999'",
                                        "TIMESTAMP '2024-02-29 12:00:00.5'",
                                        "TIMESTAMP '1900-03-01 00:00:00.000001'",
                                        "TIMESTAMP '2000-02-29 23:59:59.12'",
                                        "TIMESTAMPTZ '1969-12-31 23:59:59.999999+00'",
                                        "TIMESTAMPTZ '1600-02-29 01:02:03.04+00'",
                                        "TIMESTAMP '0001-01-01 00:00:00' - INTERVAL 1 day",
                                        "'-infinity'::TIMESTAMPTZ",
                                        "'epoch'::TIMESTAMP",
                                        "union_value(k := 2)",
                                        NULL};
    tl_duck *d = tl_test_duck_mem();
    tl_err err = {0};
    assert_int_equal(tl_duck_exec(d, "CREATE TYPE mood AS ENUM ('sad', 'ok')", &err), 0);
    for (int i = 0; exprs[i]; i++) {
        char sql[512];
        snprintf(sql, sizeof sql, "SELECT e, e::VARCHAR FROM (SELECT %s AS e)", exprs[i]);
        char *got = tl_test_duck_lines(d, sql);
        char *bar = strchr(got, '|');
        assert_non_null(bar);
        size_t left = (size_t)(bar - got);
        size_t right = strlen(bar + 1) - 1; /* without the newline */
        if (left != right || memcmp(got, bar + 1, left) != 0)
            fail_msg("%s renders as [%.*s], DuckDB's cast says [%.*s]", exprs[i], (int)left, got,
                     (int)right, bar + 1);
        free(got);
    }
    /* a type that has no text form here is an error naming the column */
    tl_err_clear(&err);
    assert_int_equal(
        tl_duck_query_each(d, "SELECT '1010'::BIT AS bits", tl_test_lines_row, NULL, &err),
        TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "bits"));
    tl_duck_close(d);
}

/* ---- printers ------------------------------------------------------------------- */

static const char PRINT_SQL[] =
    "SELECT * FROM (VALUES (1, 'AAPL', 189.25::DECIMAL(18,6), true, NULL::VARCHAR), "
    "(22, 'a,\"b\"', -0.000001::DECIMAL(18,6), false, 'x')) t(n, s, p, b, z) ORDER BY n";

static void test_print_table(void **state) {
    (void)state;
    tl_duck *d = tl_test_duck_mem();
    char *got = print_result(d, PRINT_SQL, TL_DUCK_FMT_TABLE);
    assert_string_equal(got, " n | s     |          p | b     | z\n"
                             "---+-------+------------+-------+-----\n"
                             " 1 | AAPL  | 189.250000 | true  | NULL\n"
                             "22 | a,\"b\" |  -0.000001 | false | x\n"
                             "(2 rows)\n");
    free(got);
    got = print_result(d, "SELECT 'é' AS letter, 1 AS one", TL_DUCK_FMT_TABLE);
    assert_string_equal(got, "letter | one\n"
                             "-------+----\n"
                             "é      |   1\n"
                             "(1 row)\n");
    free(got);
    got = print_result(d, "SELECT 1 AS x WHERE false", TL_DUCK_FMT_TABLE);
    assert_string_equal(got, "x\n-\n(0 rows)\n");
    free(got);
    tl_duck_close(d);
}

/* Past the rows held back for sizing, rows stream with the widths found. */
static void test_print_table_streams_long_results(void **state) {
    (void)state;
    tl_duck *d = tl_test_duck_mem();
    char *got = print_result(d, "SELECT i FROM range(25000) t(i)", TL_DUCK_FMT_TABLE);
    size_t nlines = 0;
    for (char *p = got; *p; p++)
        nlines += *p == '\n';
    assert_int_equal(nlines, 2 + 25000 + 1);
    assert_non_null(strstr(got, "\n   0\n")); /* width 4 from rows 0..9999 */
    assert_non_null(strstr(got, "\n24999\n"));
    assert_non_null(strstr(got, "(25000 rows)\n"));
    free(got);
    tl_duck_close(d);
}

static void test_print_csv(void **state) {
    (void)state;
    tl_duck *d = tl_test_duck_mem();
    char *got = print_result(d, PRINT_SQL, TL_DUCK_FMT_CSV);
    assert_string_equal(got, "n,s,p,b,z\n"
                             "1,AAPL,189.250000,true,\n"
                             "22,\"a,\"\"b\"\"\",-0.000001,false,x\n");
    free(got);
    got = print_result(d, "SELECT '' AS \"empty,name\", 'two' || chr(10) || 'lines' AS v",
                       TL_DUCK_FMT_CSV);
    assert_string_equal(got, "\"empty,name\",v\n\"\",\"two\nlines\"\n");
    free(got);
    tl_duck_close(d);
}

static void test_print_json(void **state) {
    (void)state;
    tl_duck *d = tl_test_duck_mem();
    char *got = print_result(d, PRINT_SQL, TL_DUCK_FMT_JSON);
    assert_string_equal(got, "[\n"
                             "{\"n\":1,\"s\":\"AAPL\",\"p\":189.250000,\"b\":true,\"z\":null},\n"
                             "{\"n\":22,\"s\":\"a,\\\"b\\\"\",\"p\":-0.000001,\"b\":false,"
                             "\"z\":\"x\"}\n"
                             "]\n");
    free(got);
    got = print_result(d,
                       "SELECT TIMESTAMPTZ '2026-11-24 20:15:03.123456+00' AS ts, 'inf'::DOUBLE "
                       "AS d, 0.5::DOUBLE AS h, 'a' || chr(10) || 'b\\' AS s, "
                       "12345678901234567890123::HUGEINT AS big, [1, 2] AS l",
                       TL_DUCK_FMT_JSON);
    assert_string_equal(got, "[\n{\"ts\":\"2026-11-24 20:15:03.123456+00\",\"d\":\"inf\","
                             "\"h\":0.5,\"s\":\"a\\u000ab\\\\\",\"big\":12345678901234567890123,"
                             "\"l\":\"[1, 2]\"}\n]\n");
    free(got);
    got = print_result(d, "SELECT 1 AS x WHERE false", TL_DUCK_FMT_JSON);
    assert_string_equal(got, "[]\n");
    free(got);
    tl_duck_close(d);
}

/* ---- the Parquet tick writer ----------------------------------------------------- */

static void test_write_read_back(void **state) {
    (void)state;
    tl_tick_row rows[8];
    size_t n = sample_rows(rows);
    char path[256], sql[512];
    int64_t size = -1;
    tmp_path(path, sizeof path, "ticks.parquet");
    tl_duck *d = tl_test_duck_mem();
    write_ok(d, rows, n, path, &size);

    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(size, st.st_size);
    assert_true(size > 0);

    read_back_sql(sql, sizeof sql, path);
    char *want = expected_lines(rows, n);
    assert_query(d, sql, want);
    free(want);

    /* timestamps come back as UTC TIMESTAMPTZ, to the microsecond */
    snprintf(sql, sizeof sql, "SELECT ts FROM read_parquet('%s') LIMIT 3", path);
    assert_query(d, sql,
                 "2026-11-24 20:15:03.123456+00\n2026-11-24 20:15:03.123457+00\n"
                 "1969-12-31 23:59:59.999999+00\n");
    tl_duck_close(d);
}

static void test_write_schema_and_metadata(void **state) {
    (void)state;
    tl_tick_row rows[8];
    size_t n = sample_rows(rows);
    char path[256], sql[512];
    tmp_path(path, sizeof path, "schema.parquet");
    tl_duck *d = tl_test_duck_mem();
    write_ok(d, rows, n, path, NULL);

    snprintf(sql, sizeof sql,
             "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "
             "read_parquet('%s'))",
             path);
    assert_query(d, sql,
                 "symbol|VARCHAR\nts|TIMESTAMP WITH TIME ZONE\nprice|DECIMAL(18,6)\n"
                 "size|BIGINT\nbid|DECIMAL(18,6)\nask|DECIMAL(18,6)\nexchange|VARCHAR\n"
                 "seq|BIGINT\nlate|BOOLEAN\nsrc_partition|INTEGER\nsrc_offset|BIGINT\n"
                 "ingest_ts|TIMESTAMP WITH TIME ZONE\n");

    /* physical types as other engines see them */
    snprintf(sql, sizeof sql,
             "SELECT name, type, converted_type, scale, precision, "
             "logical_type LIKE '%%isAdjustedToUTC=1%%MICROS=MicroSeconds()%%' "
             "FROM parquet_schema('%s') WHERE name IN ('ts', 'ingest_ts', 'price', 'bid')",
             path);
    assert_query(d, sql,
                 "ts|INT64|TIMESTAMP_MICROS|\\N|\\N|true\nprice|INT64|DECIMAL|6|18|false\n"
                 "bid|INT64|DECIMAL|6|18|false\ningest_ts|INT64|TIMESTAMP_MICROS|\\N|\\N|true\n");

    /* every column chunk zstd, with min/max statistics */
    snprintf(sql, sizeof sql,
             "SELECT string_agg(DISTINCT compression, ','), count(*), "
             "count(stats_min_value), count(stats_max_value) FROM parquet_metadata('%s')",
             path);
    assert_query(d, sql, "ZSTD|12|12|12\n");
    snprintf(sql, sizeof sql,
             "SELECT path_in_schema, stats_min_value, stats_max_value, stats_null_count "
             "FROM parquet_metadata('%s') WHERE path_in_schema IN ('price', 'ts', 'size')",
             path);
    assert_query(d, sql,
                 "ts|1969-12-31 23:59:59.999999+00|2100-01-01 00:00:00+00|0\n"
                 "price|0.000001|999999999999.999999|0\nsize|0|100|3\n");
    tl_duck_close(d);
}

/* More rows than one chunk, twice on one handle: nothing of the first batch
 * may leak into the second file. */
static void test_write_many_chunks_reuses_handle(void **state) {
    (void)state;
    size_t n = 5000;
    tl_tick_row *rows = calloc(n, sizeof *rows);
    assert_non_null(rows);
    for (size_t i = 0; i < n; i++) {
        rows[i] = make_row(i % 2 ? "EVEN" : "ODD", 1795551303000000LL + (int64_t)i,
                           (int64_t)i * 1000 + 1, (i % 3) ? TL_TICK_HAS_SEQ : 0);
        rows[i].tick.seq = (int64_t)i;
        rows[i].src_offset = (int64_t)i;
    }
    char a[256], b[256], sql[512];
    tmp_path(a, sizeof a, "many-a.parquet");
    tmp_path(b, sizeof b, "many-b.parquet");
    tl_duck *d = tl_test_duck_mem();
    write_ok(d, rows, n, a, NULL);
    write_ok(d, rows + 10, 3000, b, NULL);
    /* sums and counts of the input, computed here */
    int64_t sum_a = 0, sum_b = 0, seq_a = 0;
    for (size_t i = 0; i < n; i++) {
        sum_a += rows[i].tick.price;
        seq_a += (i % 3) ? 1 : 0;
        if (i >= 10 && i < 3010)
            sum_b += rows[i].tick.price;
    }
    char want[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*), sum(price * 1000000)::BIGINT, count(seq), min(src_offset), "
             "max(src_offset), bool_and(src_offset = epoch_us(ts) - 1795551303000000) "
             "FROM read_parquet('%s')",
             a);
    snprintf(want, sizeof want, "%zu|%" PRId64 "|%" PRId64 "|0|%zu|true\n", n, sum_a, seq_a, n - 1);
    assert_query(d, sql, want);
    snprintf(sql, sizeof sql,
             "SELECT count(*), sum(price * 1000000)::BIGINT, min(src_offset), max(src_offset) "
             "FROM read_parquet('%s')",
             b);
    snprintf(want, sizeof want, "3000|%" PRId64 "|10|3009\n", sum_b);
    assert_query(d, sql, want);
    /* rows keep their order in the file */
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM (SELECT src_offset - lag(src_offset) OVER () AS step "
             "FROM read_parquet('%s')) WHERE step <> 1",
             b);
    assert_query(d, sql, "0\n");
    tl_duck_close(d);
    free(rows);
}

/* Zero rows is not an error: the file is a valid Parquet file with the full
 * schema and no rows (callers decide whether to commit it). */
static void test_write_zero_rows(void **state) {
    (void)state;
    char path[256], sql[512];
    int64_t size = -1;
    tmp_path(path, sizeof path, "empty.parquet");
    tl_duck *d = tl_test_duck_mem();
    tl_err err = {0};
    assert_int_equal(tl_duck_write_ticks(d, NULL, 0, path, &size, &err), 0);
    assert_true(size > 0);
    assert_true(snprintf(sql, sizeof sql,
                         "SELECT count(*), (SELECT count(*) FROM (DESCRIBE SELECT * FROM "
                         "read_parquet('%s'))) FROM read_parquet('%s')",
                         path, path) < (int)sizeof sql);
    assert_query(d, sql, "0|12\n");
    tl_duck_close(d);
}

static void test_write_errors_leave_handle_usable(void **state) {
    (void)state;
    tl_tick_row rows[8];
    size_t n = sample_rows(rows);
    char path[256], sql[512];
    tl_duck *d = tl_test_duck_mem();
    tl_err err = {0};

    assert_int_equal(tl_duck_write_ticks(d, rows, n, "/nonexistent-dir/x.parquet", NULL, &err),
                     TL_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x.parquet"));

    tl_tick_row bad = rows[0];
    memcpy(bad.tick.symbol, "A\xff", 3);
    tl_err_clear(&err);
    tmp_path(path, sizeof path, "bad.parquet");
    assert_int_equal(tl_duck_write_ticks(d, &bad, 1, path, NULL, &err), TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "UTF-8"));
    assert_int_equal(access(path, F_OK), -1);

    tl_err_clear(&err);
    assert_int_equal(tl_duck_write_ticks(d, rows, n, NULL, NULL, &err), TL_ERR_INVALID);

    /* a caller's open transaction is no obstacle (nothing is stored in the
     * database: the rows stream from a table function into the file) */
    assert_int_equal(tl_duck_exec(d, "BEGIN TRANSACTION", &err), 0);
    tmp_path(path, sizeof path, "in-txn.parquet");
    assert_int_equal(tl_duck_write_ticks(d, rows, n, path, NULL, &err), 0);
    assert_int_equal(tl_duck_exec(d, "ROLLBACK", &err), 0);
    assert_int_equal(access(path, F_OK), 0);

    /* after all that, a write holds exactly its own rows */
    tmp_path(path, sizeof path, "after-errors.parquet");
    write_ok(d, rows, n, path, NULL);
    read_back_sql(sql, sizeof sql, path);
    char *want = expected_lines(rows, n);
    assert_query(d, sql, want);
    free(want);
    tl_duck_close(d);
}

/* Not an assertion: prints the writer's speed for the report. */
static void test_write_speed(void **state) {
    (void)state;
    size_t n = 100000;
    tl_tick_row *rows = calloc(n, sizeof *rows);
    assert_non_null(rows);
    int64_t price = 189250000;
    for (size_t i = 0; i < n; i++) {
        price += (int64_t)((i * 7919) % 21) * 10000 - 100000;
        rows[i] =
            make_row(i % 3 ? "AAPL" : "MSFT", 1795551303000000LL + (int64_t)i * 37, price, 0x1f);
        rows[i].tick.size = 100 * (int64_t)(1 + i % 10);
        rows[i].tick.bid = price - 10000;
        rows[i].tick.ask = price + 10000;
        strcpy(rows[i].tick.exchange, "XNAS");
        rows[i].tick.seq = (int64_t)i;
        rows[i].src_offset = (int64_t)i;
        rows[i].ingest_ts_us = rows[i].tick.ts_us + 1500;
    }
    char path[256];
    tmp_path(path, sizeof path, "speed.parquet");
    tl_duck *d = tl_test_duck_mem();
    double best = 1e9;
    int64_t size = 0;
    for (int k = 0; k < 5; k++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        write_ok(d, rows, n, path, &size);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        if (dt < best)
            best = dt;
    }
    print_message("write_ticks: %zu rows in %.1f ms (%.2f M rows/s), %" PRId64 " bytes\n", n,
                  best * 1e3, (double)n / best / 1e6, size);
    tl_duck_close(d);
    free(rows);
}

/* ---- the independent reader ------------------------------------------------------- */

/* DuckDB's read of the file in read_parquet.mjs's rendering: decimals as
 * exact strings, timestamps as µs integers. */
static char *duckdb_as_reader_json(tl_duck *d, const char *path) {
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT '{\"symbol\":' || to_json(symbol) || ',\"ts\":' || epoch_us(ts) || "
             "',\"price\":\"' || price || '\",\"size\":' || coalesce(size::VARCHAR, 'null') || "
             "',\"bid\":' || coalesce('\"' || bid || '\"', 'null') || "
             "',\"ask\":' || coalesce('\"' || ask || '\"', 'null') || "
             "',\"exchange\":' || coalesce(to_json(exchange)::VARCHAR, 'null') || "
             "',\"seq\":' || coalesce(seq::VARCHAR, 'null') || ',\"late\":' || late || "
             "',\"src_partition\":' || src_partition || ',\"src_offset\":' || src_offset || "
             "',\"ingest_ts\":' || epoch_us(ingest_ts) || '}' FROM read_parquet('%s')",
             path);
    return tl_test_duck_lines(d, sql);
}

static void test_independent_reader(void **state) {
    (void)state;
    char tools[512];
    tl_test_reader_tools(tools, sizeof tools);
    tl_tick_row rows[8];
    size_t n = sample_rows(rows);
    char path[256];
    tmp_path(path, sizeof path, "independent.parquet");
    tl_duck *d = tl_test_duck_mem();
    write_ok(d, rows, n, path, NULL);

    char *from_reader = tl_test_run_reader(tools, path);
    char *from_duckdb = duckdb_as_reader_json(d, path);
    char *from_input = tl_test_reader_json(rows, n);
    assert_string_equal(from_reader, from_input);
    assert_string_equal(from_duckdb, from_input);
    free(from_reader);
    free(from_duckdb);
    free(from_input);
    tl_duck_close(d);
}

/* ---- main ------------------------------------------------------------------------ */

static int setup_dir(void **state) {
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_dir(void **state) {
    (void)state;
    return tl_test_rm_tree(tmpdir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exec_and_query_each),
        cmocka_unit_test(test_query_each_stops_early),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_open_read_only),
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_render_matches_cast),
        cmocka_unit_test(test_render_no_negative_zero),
        cmocka_unit_test(test_print_table),
        cmocka_unit_test(test_print_table_streams_long_results),
        cmocka_unit_test(test_print_csv),
        cmocka_unit_test(test_print_json),
        cmocka_unit_test(test_write_read_back),
        cmocka_unit_test(test_write_schema_and_metadata),
        cmocka_unit_test(test_write_many_chunks_reuses_handle),
        cmocka_unit_test(test_write_zero_rows),
        cmocka_unit_test(test_write_errors_leave_handle_usable),
        cmocka_unit_test(test_write_speed),
        cmocka_unit_test(test_independent_reader),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
