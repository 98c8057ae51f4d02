/* A ticks table and a dead-letter table with small files for the tests of
 * what maintains them (compaction, the scheduler's jobs): one committed
 * Parquet file of n rows per call, written with the duck module as the
 * stream does. Header-only, like tl_test.h. */
#ifndef TL_TESTS_TL_TEST_LAKE_H
#define TL_TESTS_TL_TEST_LAKE_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "duck/duck.h"
#include "lake/lake.h"
#include "store/store.h"
#include "tables/tables.h"
#include "util/clock.h"

/* Commit f as the one add of a WRITE to table: the commit's version in *v.
 * 0, or -1 with err set. */
static inline int tl_test_commit_file(tl_store *s, const char *table, const tl_lake_file *f,
                                      int64_t *v, tl_err *err) {
    tl_lake_tx *tx = tl_lake_tx_new("WRITE", NULL, err);
    tl_lake_snapshot *snap = NULL;
    int rc = tx ? 0 : -1;
    if (rc == 0)
        rc = tl_lake_tx_add(tx, f, err);
    if (rc == 0)
        rc = tl_lake_snapshot_load(s, table, NULL, &snap, err);
    if (rc == 0)
        rc = tl_lake_commit(s, table, tx, tl_lake_snapshot_version(snap), v, err);
    tl_lake_snapshot_free(snap);
    tl_lake_tx_destroy(tx);
    return rc;
}

/* Commit one file of the n ticks in rows (all in the hour starting at
 * hour_us; tag, unique per file, names it) into the ticks table of the
 * store rooted at root (a local folder for the staging file). The commit's
 * version, or -1 with err set. */
static inline int64_t tl_test_commit_tick_rows(tl_store *s, tl_duck *d, const char *root,
                                               int64_t hour_us, const tl_tick_row *rows, int n,
                                               int64_t tag, tl_err *err) {
    char dir[64], rel[256], key[300], local[512];
    tl_ticks_partition_dir(hour_us, dir, sizeof dir);
    snprintf(rel, sizeof rel, "%s/part-test-%" PRId64 ".zstd.parquet", dir, tag);
    snprintf(key, sizeof key, "ticks/%s", rel);
    snprintf(local, sizeof local, "%s/tmp-%" PRId64 ".parquet", root, tag);
    int64_t size = 0, v = -1;
    tl_buf stats = TL_BUF_INIT;
    int rc = tl_duck_write_ticks(d, rows, (size_t)n, local, &size, err);
    if (rc == 0)
        rc = tl_store_put_file(s, key, local, err);
    unlink(local);
    if (rc == 0)
        rc = tl_ticks_stats_json(rows, (size_t)n, &stats);
    char vals[4][8];
    tl_ticks_partition_values(hour_us, vals);
    tl_lake_kv pv[4];
    for (int i = 0; i < 4; i++)
        pv[i] = (tl_lake_kv){tl_ticks_table.parts[i].name, vals[i]};
    tl_lake_file f = {.path = rel,
                      .partition_values = pv,
                      .n_partition_values = 4,
                      .size = size,
                      .modification_time = tl_now_us() / 1000,
                      .data_change = true,
                      .stats = stats.data};
    if (rc == 0)
        rc = tl_test_commit_file(s, TL_TICKS_TABLE, &f, &v, err);
    tl_buf_free(&stats);
    return rc == 0 ? v : -1;
}

/* Commit one file of n ticks (symbols S0..S4, times spread over the hour
 * starting at hour_us, in an order that is not sorted; seqs from *seq + 1)
 * as tl_test_commit_tick_rows does. */
static inline int64_t tl_test_commit_ticks(tl_store *s, tl_duck *d, const char *root,
                                           int64_t hour_us, int n, int64_t *seq, tl_err *err) {
    tl_tick_row *rows = calloc((size_t)n, sizeof *rows);
    if (!rows)
        return -1;
    for (int i = 0; i < n; i++) {
        tl_tick *t = &rows[i].tick;
        int64_t k = ++*seq;
        snprintf(t->symbol, sizeof t->symbol, "S%d", (int)((k * 7) % 5));
        snprintf(t->exchange, sizeof t->exchange, "X");
        t->ts_us = hour_us + ((k * 7919) % 3600) * 1000000 + k % 1000;
        t->price = (100 + k % 50) * TL_MICROS + k;
        t->size = k % 300 + 1;
        t->seq = k;
        t->has = TL_TICK_HAS_SIZE | TL_TICK_HAS_SEQ | TL_TICK_HAS_EXCHANGE;
        rows[i].src_partition = -1;
        rows[i].src_offset = k;
        rows[i].ingest_ts_us = tl_now_us();
    }
    int64_t v = tl_test_commit_tick_rows(s, d, root, hour_us, rows, n, *seq, err);
    free(rows);
    return v;
}

/* Commit one file of n dead letters into the dead-letter table's day
 * starting at day_us (partition date=YYYY-MM-DD; the table must exist):
 * offsets *offset + 1 .. + n written in descending order, sources "src-a"
 * and "src-b" alternating, received times spread over the day; messages and
 * raw bytes hold quotes, braces and a newline, and every 7th raw text is
 * long (5000 bytes), as malformed input is. Statistics as the stream
 * writes them: numRecords only. The commit's version, or -1 with err set. */
static inline int64_t tl_test_commit_dead(tl_store *s, tl_duck *d, const char *root,
                                          int64_t day_us, int n, int64_t *offset, tl_err *err) {
    int64_t first = *offset + 1;
    *offset += n;
    char dir[64], rel[256], key[300], local[512];
    tl_deadletter_partition_dir(day_us, dir, sizeof dir);
    const char *date = dir + 5; /* past "date=" */
    snprintf(rel, sizeof rel, "%s/dl-test-%" PRId64 "-%" PRId64 ".zstd.parquet", dir, first,
             *offset);
    snprintf(key, sizeof key, "deadletter/%s", rel);
    snprintf(local, sizeof local, "%s/tmp-dl-%" PRId64 ".parquet", root, first);
    tl_buf sql = TL_BUF_INIT, stats = TL_BUF_INIT;
    tl_buf_printf(&sql,
                  "COPY (SELECT CASE i %% 3 WHEN 0 THEN 'not_json' WHEN 1 THEN 'bad_price' "
                  "ELSE 'missing_field:ts' END AS reason, "
                  "'record ' || i || ': \"}{ at byte ' || (i %% 17) AS message, "
                  "CASE WHEN i %% 7 = 0 THEN repeat('x', 5000) ELSE "
                  "'{\"symbol\": \"}' || i || chr(10) END AS raw, "
                  "to_base64(encode(raw)) AS raw_base64, "
                  "CASE WHEN i %% 2 = 0 THEN 'src-a' ELSE 'src-b' END AS source, "
                  "-1::INTEGER AS src_partition, i::BIGINT AS src_offset, "
                  "make_timestamp(%" PRId64 "::BIGINT + (i * 7919 %% 86400) * 1000000)::"
                  "TIMESTAMPTZ AS received_ts "
                  "FROM range(%" PRId64 ", %" PRId64 ") t(i) ORDER BY i DESC) "
                  "TO '%s' (FORMAT parquet, COMPRESSION zstd)",
                  day_us, first, *offset + 1, local);
    tl_buf_printf(&stats, "{\"numRecords\":%d}", n);
    int64_t v = -1;
    tl_store_entry e = {0};
    int rc = tl_duck_exec(d, "SET TimeZone = 'UTC'", err);
    if (rc == 0)
        rc = tl_duck_exec(d, sql.data, err);
    if (rc == 0)
        rc = tl_store_put_file(s, key, local, err);
    unlink(local);
    if (rc == 0)
        rc = tl_store_head(s, key, &e, err);
    tl_lake_kv pv[1] = {{tl_deadletter_table.parts[0].name, date}};
    tl_lake_file f = {.path = rel,
                      .partition_values = pv,
                      .n_partition_values = 1,
                      .size = e.size,
                      .modification_time = tl_now_us() / 1000,
                      .data_change = true,
                      .stats = stats.data};
    if (rc == 0)
        rc = tl_test_commit_file(s, TL_DEADLETTER_TABLE, &f, &v, err);
    free(e.key);
    tl_buf_free(&sql);
    tl_buf_free(&stats);
    return rc == 0 ? v : -1;
}

#endif
