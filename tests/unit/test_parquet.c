/* Unit tests for the native Parquet writer (src/parquet/): crafted rows are
 * written and read back by DuckDB value by value, and by hyparquet (an
 * independent reader under node); the file's schema and column statistics
 * are compared with those DuckDB's own writer gives the same rows. */
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
#include <unistd.h>

#include "duck/duck.h"
#include "tl_test_parquet.h"
#include "parquet/parquet.h"
#include "tables/tables.h"

static char tmpdir[] = "/tmp/tl_test_parquet_XXXXXX";

/* ---- helpers ---------------------------------------------------------------- */

static void tmp_path(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/%s", tmpdir, name);
}

static void opt_text(char *out, size_t cap, int present, int64_t v, bool dec) {
    if (!present)
        snprintf(out, cap, "\\N");
    else if (dec)
        tl_test_micros_text(v, out, cap);
    else
        snprintf(out, cap, "%" PRId64, v);
}

/* A row as read_back prints it, from the input alone. */
static void expected_line(FILE *f, const tl_tick_row *r) {
    const tl_tick *t = &r->tick;
    char price[32], size[32], bid[32], ask[32], seq[32];
    tl_test_micros_text(t->price, price, sizeof price);
    opt_text(size, sizeof size, t->has & TL_TICK_HAS_SIZE, t->size, false);
    opt_text(bid, sizeof bid, t->has & TL_TICK_HAS_BID, t->bid, true);
    opt_text(ask, sizeof ask, t->has & TL_TICK_HAS_ASK, t->ask, true);
    opt_text(seq, sizeof seq, t->has & TL_TICK_HAS_SEQ, t->seq, false);
    fprintf(f, "%s|%" PRId64 "|%s|%s|%s|%s|%s|%s|%s|%d|%" PRId64 "|%" PRId64 "\n", t->symbol,
            t->ts_us, price, size, bid, ask, (t->has & TL_TICK_HAS_EXCHANGE) ? t->exchange : "\\N",
            seq, r->late ? "true" : "false", (int)r->src_partition, r->src_offset, r->ingest_ts_us);
}

static char *expected_lines(const tl_tick_row *rows, size_t n) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    for (size_t i = 0; i < n; i++)
        expected_line(f, &rows[i]);
    fclose(f);
    return text;
}

/* Every value of the file, in src_offset order (the rows carry their index
 * there), as DuckDB reads it. */
static char *read_back(tl_duck *d, const char *path) {
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT symbol, epoch_us(ts), price, size, bid, ask, exchange, seq, late, "
             "src_partition, src_offset, epoch_us(ingest_ts) FROM read_parquet('%s') "
             "ORDER BY src_offset",
             path);
    return tl_test_duck_lines(d, sql);
}

static void write_native(tl_pq_writer *w, const tl_tick_row *rows, size_t n, const char *path) {
    tl_err err = {0};
    int64_t size = 0;
    int rc = tl_pq_write_ticks(w, rows, n, path, &size, &err);
    if (rc != 0)
        fail_msg("tl_pq_write_ticks %s: %s", path, err.msg);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, size);
}

/* Write rows natively and read them back: every value equal to the input. */
static void round_trip(tl_pq_writer *w, const tl_tick_row *rows, size_t n, const char *name) {
    char path[256];
    tmp_path(path, sizeof path, name);
    write_native(w, rows, n, path);
    tl_duck *d = tl_test_duck_mem();
    char *got = read_back(d, path), *want = expected_lines(rows, n);
    if (strcmp(got, want) != 0) {
        size_t i = 0;
        while (got[i] && got[i] == want[i])
            i++;
        size_t from = i > 120 ? i - 120 : 0;
        fail_msg("%s: read back differs at byte %zu:\n got: %.240s\nwant: %.240s", name, i,
                 got + from, want + from);
    }
    free(got);
    free(want);
    tl_duck_close(d);
}

static const unsigned all_opt =
    TL_TICK_HAS_SIZE | TL_TICK_HAS_BID | TL_TICK_HAS_ASK | TL_TICK_HAS_EXCHANGE | TL_TICK_HAS_SEQ;

static tl_tick_row make_row(const char *sym, int64_t i, unsigned has) {
    tl_tick_row r;
    memset(&r, 0, sizeof r);
    snprintf(r.tick.symbol, sizeof r.tick.symbol, "%s", sym);
    r.tick.ts_us = 1795551303123456LL + i * 7;
    r.tick.price = 100000000 + (i % 97) * 10000;
    r.tick.size = 100 * (i % 13);
    r.tick.bid = r.tick.price - 10000;
    r.tick.ask = r.tick.price + 10000;
    snprintf(r.tick.exchange, sizeof r.tick.exchange, "X%d", (int)(i % 11));
    r.tick.seq = i / 3;
    r.tick.has = has;
    r.late = i % 17 == 0;
    r.src_partition = (int32_t)(i % 5) - 1;
    r.src_offset = i;
    r.ingest_ts_us = 1795551303200000LL + (i / 1000) * 1000000;
    return r;
}

/* n rows, each optional field NULL in a pattern of its own. */
static tl_tick_row *pattern_rows(size_t n, size_t nsym) {
    tl_tick_row *rows = calloc(n, sizeof *rows);
    assert_non_null(rows);
    for (size_t i = 0; i < n; i++) {
        char sym[24];
        snprintf(sym, sizeof sym, "S%zu", (i * 7919) % nsym);
        unsigned has = 0;
        has |= i % 2 ? TL_TICK_HAS_SIZE : 0;
        has |= i % 3 ? TL_TICK_HAS_BID : 0;
        has |= (i / 10) % 2 ? TL_TICK_HAS_ASK : 0; /* runs of NULLs: RLE */
        has |= i % 5 ? TL_TICK_HAS_EXCHANGE : 0;
        has |= i % 7 == 0 ? TL_TICK_HAS_SEQ : 0;
        rows[i] = make_row(sym, (int64_t)i, has);
    }
    return rows;
}

/* ---- read back ------------------------------------------------------------------ */

/* NULLs in every optional column, the DECIMAL(18,6) range's ends, negative
 * and zero values, UTF-8 beyond ASCII, the longest symbol and exchange. */
static size_t crafted_rows(tl_tick_row *rows) {
    rows[0] = make_row("AAPL", 0, all_opt);
    rows[1] = make_row("MSFT", 1, 0); /* nothing optional */
    rows[1].tick.price = 1;           /* 0.000001 */
    rows[2] = make_row("BRK.B", 2, TL_TICK_HAS_SIZE | TL_TICK_HAS_SEQ);
    rows[2].tick.price = TL_MONEY_MAX_MICROS;
    rows[2].tick.size = INT64_MAX;
    rows[2].tick.seq = INT64_MIN;
    rows[2].tick.ts_us = INT64_MIN / 2;
    rows[3] = make_row("Ä日本", 3, TL_TICK_HAS_BID | TL_TICK_HAS_EXCHANGE);
    rows[3].tick.price = -TL_MONEY_MAX_MICROS;
    rows[3].tick.bid = -TL_MONEY_MAX_MICROS;
    strcpy(rows[3].tick.exchange, "EXCHANGE-SIXTEEN");
    rows[4] = make_row("LONGSYMBOL12", 4, TL_TICK_HAS_ASK | TL_TICK_HAS_EXCHANGE);
    rows[4].tick.ask = TL_MONEY_MAX_MICROS;
    rows[4].tick.price = -1;
    strcpy(rows[4].tick.exchange, "€uro");
    rows[4].src_partition = INT32_MAX;
    rows[4].ingest_ts_us = -1;
    rows[5] = make_row("", 5, all_opt); /* empty strings are values, not NULLs */
    rows[5].tick.exchange[0] = '\0';
    rows[5].tick.size = 0;
    rows[5].src_partition = INT32_MIN;
    return 6;
}

static void test_crafted_rows(void **state) {
    tl_pq_writer *w = *state;
    tl_tick_row rows[8];
    size_t n = crafted_rows(rows);
    round_trip(w, rows, n, "crafted.parquet");
    round_trip(w, rows, 1, "one.parquet");
    round_trip(w, rows + 1, 1, "one_all_null.parquet");
}

/* Each optional column entirely NULL, then entirely present. */
static void test_all_null_and_no_null(void **state) {
    tl_pq_writer *w = *state;
    tl_tick_row rows[300];
    for (size_t i = 0; i < 300; i++)
        rows[i] = make_row(i % 2 ? "A" : "B", (int64_t)i, 0);
    round_trip(w, rows, 300, "all_null.parquet");
    for (size_t i = 0; i < 300; i++)
        rows[i].tick.has = all_opt;
    round_trip(w, rows, 300, "no_null.parquet");
}

/* Several pages and row groups, at small limits and at the defaults. */
static void test_pages_and_groups(void **state) {
    tl_pq_writer *w = *state;
    size_t n = 2 * TL_PQ_GROUP_ROWS + 1001; /* 3 row groups, the middle one 2 pages */
    tl_tick_row *rows = pattern_rows(n, 50);
    round_trip(w, rows, n, "big.parquet");
    char path[256], sql[512];
    tmp_path(path, sizeof path, "big.parquet");
    tl_duck *d = tl_test_duck_mem();
    snprintf(sql, sizeof sql,
             "SELECT count(DISTINCT row_group_id), max(row_group_num_rows) "
             "FROM parquet_metadata('%s')",
             path);
    char *got = tl_test_duck_lines(d, sql), want[64];
    snprintf(want, sizeof want, "3|%d\n", TL_PQ_GROUP_ROWS);
    assert_string_equal(got, want);
    free(got);

    tl_pq_writer_set_limits(w, 7, 50); /* pages of 7 rows, groups of 50 */
    round_trip(w, rows, 1000, "small_pages.parquet");
    round_trip(w, rows, 50, "one_full_group.parquet");
    round_trip(w, rows, 51, "group_and_a_row.parquet");
    tl_pq_writer_set_limits(w, TL_PQ_PAGE_ROWS, TL_PQ_GROUP_ROWS);
    /* the buffers grown for the large file serve a small one */
    round_trip(w, rows, 10, "after_big.parquet");
    tl_duck_close(d);
    free(rows);
}

/* Dictionary indices of more than 8 and more than 16 bits. */
static void test_many_symbols(void **state) {
    tl_pq_writer *w = *state;
    size_t n = 70000;
    tl_tick_row *rows = pattern_rows(n, 300);
    round_trip(w, rows, n, "sym300.parquet");
    for (size_t i = 0; i < n; i++) /* runs of 10 (RLE runs) of indices beyond a byte */
        snprintf(rows[i].tick.symbol, sizeof rows[i].tick.symbol, "R%zu", i / 10);
    round_trip(w, rows, n, "sym_runs.parquet");
    free(rows);
    rows = pattern_rows(n, n); /* every symbol distinct: 70,000 > 65,536 */
    for (size_t i = 0; i < n; i++)
        rows[i].tick.price = (int64_t)i * 1000003; /* distinct prices: PLAIN after all */
    round_trip(w, rows, n, "sym70000.parquet");
    free(rows);
}

/* ---- the same file as DuckDB's -------------------------------------------------- */

/* The file's schema, and each column chunk's statistics, as DuckDB reports
 * them: must be the same for DuckDB's writer and ours. */
static void compare_with_duckdb(tl_pq_writer *w, const tl_tick_row *rows, size_t n,
                                const char *name) {
    char ours[256], theirs[256], sql[1024];
    snprintf(ours, sizeof ours, "%s/native-%s", tmpdir, name);
    snprintf(theirs, sizeof theirs, "%s/duckdb-%s", tmpdir, name);
    write_native(w, rows, n, ours);
    tl_duck *d = tl_test_duck_mem();
    tl_err err = {0};
    if (tl_duck_write_ticks(d, rows, n, theirs, NULL, &err) != 0)
        fail_msg("tl_duck_write_ticks: %s", err.msg);
    static const char *const q[] = {
        "SELECT name, type, type_length, repetition_type, num_children, converted_type, scale, "
        "precision, field_id, logical_type, duckdb_type FROM parquet_schema('%s')",
        "SELECT row_group_id, row_group_num_rows, column_id, num_values, path_in_schema, type, "
        "stats_min, stats_max, stats_null_count, stats_min_value, stats_max_value, compression, "
        "min_is_exact, max_is_exact FROM parquet_metadata('%s') ORDER BY row_group_id, column_id",
        "SELECT num_rows, num_row_groups, format_version FROM parquet_file_metadata('%s')",
    };
    for (size_t i = 0; i < sizeof q / sizeof *q; i++) {
        snprintf(sql, sizeof sql, q[i], theirs);
        char *want = tl_test_duck_lines(d, sql);
        snprintf(sql, sizeof sql, q[i], ours);
        char *got = tl_test_duck_lines(d, sql);
        if (strcmp(got, want) != 0) { /* the first line that differs */
            size_t at = 0;
            while (got[at] == want[at])
                at++;
            while (at > 0 && got[at - 1] != '\n')
                at--;
            fail_msg("%s, query %zu:\nnative: %.*s\nduckdb: %.*s", name, i,
                     (int)strcspn(got + at, "\n"), got + at, (int)strcspn(want + at, "\n"),
                     want + at);
        }
        free(got);
        free(want);
    }
    snprintf(sql, sizeof sql, "SELECT created_by FROM parquet_file_metadata('%s')", ours);
    char *by = tl_test_duck_lines(d, sql);
    assert_true(strncmp(by, "ticklake version ", 17) == 0);
    free(by);
    tl_duck_close(d);
}

static void test_same_schema_and_stats_as_duckdb(void **state) {
    tl_pq_writer *w = *state;
    tl_tick_row rows[8];
    size_t n = crafted_rows(rows);
    compare_with_duckdb(w, rows, n, "crafted.parquet");
    tl_tick_row *many = pattern_rows(5000, 40);
    compare_with_duckdb(w, many, 5000, "pattern.parquet");
    for (size_t i = 0; i < 300; i++)
        many[i].tick.has = 0;
    compare_with_duckdb(w, many, 300, "all_null.parquet");
    free(many);
}

/* The statistics serve DuckDB's filter pushdown: row groups whose range
 * excludes the filter are skipped, and the answers stay right. */
static void test_filters(void **state) {
    tl_pq_writer *w = *state;
    size_t n = 1000;
    tl_tick_row *rows = pattern_rows(n, 20);
    for (size_t i = 0; i < n; i++)
        rows[i].tick.price = (int64_t)i * 1000000; /* group g holds prices [100g, 100g + 99] */
    tl_pq_writer_set_limits(w, 0, 100);
    char path[256], sql[512];
    tmp_path(path, sizeof path, "filters.parquet");
    write_native(w, rows, n, path);
    tl_pq_writer_set_limits(w, TL_PQ_PAGE_ROWS, TL_PQ_GROUP_ROWS);
    tl_duck *d = tl_test_duck_mem();
    snprintf(sql, sizeof sql,
             "SELECT count(*), min(src_offset), max(src_offset) FROM read_parquet('%s') "
             "WHERE price BETWEEN 250 AND 349.5",
             path);
    char *got = tl_test_duck_lines(d, sql);
    assert_string_equal(got, "100|250|349\n");
    free(got);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM read_parquet('%s') WHERE symbol = 'S3' AND exchange IS NULL",
             path);
    got = tl_test_duck_lines(d, sql);
    size_t want = 0;
    for (size_t i = 0; i < n; i++)
        want += strcmp(rows[i].tick.symbol, "S3") == 0 && !(rows[i].tick.has & TL_TICK_HAS_EXCHANGE);
    char wtext[32];
    snprintf(wtext, sizeof wtext, "%zu\n", want);
    assert_string_equal(got, wtext);
    free(got);
    tl_duck_close(d);
    free(rows);
}

/* ---- errors ----------------------------------------------------------------------- */

static void test_errors(void **state) {
    tl_pq_writer *w = *state;
    tl_tick_row rows[8];
    size_t n = crafted_rows(rows);
    char path[256];
    tl_err err = {0};
    tmp_path(path, sizeof path, "bad.parquet");

    rows[2].tick.symbol[0] = (char)0xff; /* not UTF-8 */
    assert_int_equal(tl_pq_write_ticks(w, rows, n, path, NULL, &err), TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "row 2"));
    assert_int_not_equal(access(path, F_OK), 0);

    n = crafted_rows(rows);
    memset(rows[3].tick.exchange, 'E', sizeof rows[3].tick.exchange); /* no NUL */
    assert_int_equal(tl_pq_write_ticks(w, rows, n, path, NULL, &err), TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "exchange not NUL-terminated"));

    n = crafted_rows(rows);
    assert_int_equal(tl_pq_write_ticks(w, rows, n, "/nonexistent-dir/x.parquet", NULL, &err),
                     TL_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x.parquet"));
    assert_int_equal(tl_pq_write_ticks(w, rows, n, NULL, NULL, &err), TL_ERR_INVALID);

    /* the writer is fine after its errors */
    round_trip(w, rows, n, "after_errors.parquet");
}

/* No rows: a valid file of no row group. */
static void test_empty(void **state) {
    tl_pq_writer *w = *state;
    round_trip(w, NULL, 0, "empty.parquet");
}

/* ---- the independent reader ------------------------------------------------------- */

static void reader_agrees(const char *tools, tl_pq_writer *w, const tl_tick_row *rows, size_t n,
                          const char *name) {
    char path[256];
    tmp_path(path, sizeof path, name);
    write_native(w, rows, n, path);
    char *got = tl_test_run_reader(tools, path), *want = tl_test_reader_json(rows, n);
    assert_string_equal(got, want);
    free(got);
    free(want);
}

static void test_independent_reader(void **state) {
    tl_pq_writer *w = *state;
    char tools[512];
    tl_test_reader_tools(tools, sizeof tools);
    tl_tick_row rows[8];
    size_t n = crafted_rows(rows);
    reader_agrees(tools, w, rows, n, "hyparquet-crafted.parquet");
    tl_tick_row *many = pattern_rows(3000, 300); /* 9-bit indices, NULL runs */
    tl_pq_writer_set_limits(w, 100, 1000);       /* several pages and groups */
    reader_agrees(tools, w, many, 3000, "hyparquet-pattern.parquet");
    tl_pq_writer_set_limits(w, TL_PQ_PAGE_ROWS, TL_PQ_GROUP_ROWS);
    free(many);
}

/* The column names are the ticks table's: the writer and the table agree. */
static void test_columns_are_the_tables(void **state) {
    (void)state;
    tl_pq_writer *w = *state;
    tl_tick_row rows[8];
    size_t n = crafted_rows(rows);
    char path[256], sql[512], want[512] = "";
    tmp_path(path, sizeof path, "names.parquet");
    write_native(w, rows, n, path);
    for (size_t c = 0; c < tl_ticks_table.ncols; c++) {
        strcat(want, tl_ticks_table.cols[c].name);
        strcat(want, "\n");
    }
    tl_duck *d = tl_test_duck_mem();
    snprintf(sql, sizeof sql, "SELECT name FROM parquet_schema('%s') WHERE type IS NOT NULL",
             path);
    char *got = tl_test_duck_lines(d, sql);
    assert_string_equal(got, want);
    free(got);
    tl_duck_close(d);
}

/* ---- main ------------------------------------------------------------------------ */

static int setup(void **state) {
    *state = tl_pq_writer_new();
    return *state ? 0 : -1;
}

static int teardown(void **state) {
    tl_pq_writer_destroy(*state);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_crafted_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_null_and_no_null, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pages_and_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_symbols, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_schema_and_stats_as_duckdb, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_independent_reader, setup, teardown),
        cmocka_unit_test_setup_teardown(test_columns_are_the_tables, setup, teardown),
    };
    if (!mkdtemp(tmpdir))
        return 1;
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tl_test_rm_tree(tmpdir);
    return rc;
}
