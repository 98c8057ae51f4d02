/* Reading Parquet tick files back in a test: DuckDB's answer as text lines,
 * hyparquet's (an independent reader under node) as JSON lines, and the
 * lines the input rows alone say both should give. Shared by test_duck (the
 * DuckDB tick writer) and test_parquet (the native one). Needs cmocka
 * included before it and _GNU_SOURCE (open_memstream), as the test
 * programs do. Header-only, like tl_test.h (whose tl_test_rm_tree removes
 * a test's temp folder). */
#ifndef TL_TESTS_TL_TEST_PARQUET_H
#define TL_TESTS_TL_TEST_PARQUET_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "duck/duck.h"
#include "tick/tick.h"
#include "tl_test.h"

/* An in-memory DuckDB; fails the test when it cannot open. */
static inline tl_duck *tl_test_duck_mem(void) {
    tl_err err = {0};
    tl_duck *d = tl_duck_open(NULL, 0, NULL, &err);
    if (!d)
        fail_msg("tl_duck_open: %s", err.msg);
    return d;
}

typedef struct tl_test_lines {
    char *text;
    size_t len;
    FILE *f;
} tl_test_lines;

static inline int tl_test_lines_row(void *ud, int ncols, const char *const *values) {
    tl_test_lines *l = ud;
    for (int i = 0; i < ncols; i++)
        fprintf(l->f, "%s%s", i ? "|" : "", values[i] ? values[i] : "\\N");
    fputc('\n', l->f);
    return 0;
}

/* Rows of a query as "v1|v2|...\n" lines, SQL NULL shown as \N (malloc'd).
 * Fails the test when DuckDB does. */
static inline char *tl_test_duck_lines(tl_duck *d, const char *sql) {
    tl_test_lines l = {0};
    tl_err err = {0};
    l.f = open_memstream(&l.text, &l.len);
    int rc = tl_duck_query_each(d, sql, tl_test_lines_row, &l, &err);
    fclose(l.f);
    if (rc != 0)
        fail_msg("query %s: %s", sql, err.msg);
    return l.text;
}

/* The test's own exact decimal text for micro-units (independent of the
 * code under test). */
static inline void tl_test_micros_text(int64_t v, char *out, size_t cap) {
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    snprintf(out, cap, "%s%" PRIu64 ".%06" PRIu64, v < 0 ? "-" : "", u / 1000000, u % 1000000);
}

/* A decimal as a JSON string, or null. */
static inline void tl_test_json_decimal(char *out, size_t cap, int present, int64_t v) {
    if (!present) {
        snprintf(out, cap, "null");
        return;
    }
    char digits[40];
    tl_test_micros_text(v, digits, sizeof digits);
    snprintf(out, cap, "\"%s\"", digits);
}

/* An integer as JSON, or null. */
static inline void tl_test_json_int(char *out, size_t cap, int present, int64_t v) {
    if (present)
        snprintf(out, cap, "%" PRId64, v);
    else
        snprintf(out, cap, "null");
}

/* The JSON lines tests/tools/read_parquet.mjs prints for a tick file,
 * built from the input rows alone (malloc'd). */
static inline char *tl_test_reader_json(const tl_tick_row *rows, size_t n) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    for (size_t i = 0; i < n; i++) {
        const tl_tick *t = &rows[i].tick;
        char price[32], size[32], bid[48], ask[48], seq[32], exch[40];
        tl_test_micros_text(t->price, price, sizeof price);
        tl_test_json_int(size, sizeof size, t->has & TL_TICK_HAS_SIZE, t->size);
        tl_test_json_decimal(bid, sizeof bid, t->has & TL_TICK_HAS_BID, t->bid);
        tl_test_json_decimal(ask, sizeof ask, t->has & TL_TICK_HAS_ASK, t->ask);
        tl_test_json_int(seq, sizeof seq, t->has & TL_TICK_HAS_SEQ, t->seq);
        if (t->has & TL_TICK_HAS_EXCHANGE)
            snprintf(exch, sizeof exch, "\"%s\"", t->exchange);
        else
            snprintf(exch, sizeof exch, "null");
        fprintf(f,
                "{\"symbol\":\"%s\",\"ts\":%" PRId64 ",\"price\":\"%s\",\"size\":%s,\"bid\":%s,"
                "\"ask\":%s,\"exchange\":%s,\"seq\":%s,\"late\":%s,\"src_partition\":%d,"
                "\"src_offset\":%" PRId64 ",\"ingest_ts\":%" PRId64 "}\n",
                t->symbol, t->ts_us, price, size, bid, ask, exch, seq,
                rows[i].late ? "true" : "false", (int)rows[i].src_partition, rows[i].src_offset,
                rows[i].ingest_ts_us);
    }
    fclose(f);
    return text;
}

/* tests/tools (hyparquet under node) into tools; skips the test when it
 * is not installed, and fails it on CI, where scripts/bootstrap installs it. */
static inline void tl_test_reader_tools(char *tools, size_t cap) {
    const char *src = getenv("TL_SOURCE_DIR");
    char probe[600];
    snprintf(tools, cap, "%s/tests/tools", src ? src : ".");
    snprintf(probe, sizeof probe, "%s/node_modules/hyparquet/package.json", tools);
    if (access(probe, R_OK) != 0 || system("node --version >/dev/null 2>&1") != 0) {
        if (getenv("CI"))
            fail_msg("%s missing or no node (scripts/bootstrap installs them)", probe);
        print_message("SKIP: %s missing or no node; run scripts/bootstrap\n", probe);
        skip();
    }
}

/* What hyparquet reads from the Parquet file at path: JSON lines (malloc'd). */
static inline char *tl_test_run_reader(const char *tools, const char *path) {
    char cmd[1024], buf[4096];
    snprintf(cmd, sizeof cmd, "node '%s/read_parquet.mjs' '%s'", tools, path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *text = NULL;
    size_t len = 0, got;
    FILE *f = open_memstream(&text, &len);
    while ((got = fread(buf, 1, sizeof buf, p)) > 0)
        fwrite(buf, 1, got, f);
    fclose(f);
    int status = pclose(p);
    if (status != 0)
        fail_msg("%s exited with status %d", cmd, status);
    return text;
}

#endif
