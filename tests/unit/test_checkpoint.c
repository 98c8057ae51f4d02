/* Delta checkpoints written by ticklake: a checkpoint read back (with the
 * JSON commits before it gone) gives the same snapshot, field by field;
 * the commit hook writes one every 10 versions with _last_checkpoint; old
 * tombstones expire from it; log cleanup removes only what is behind the
 * newest checkpoint and past the retention; a Spark-written golden table
 * checkpointed by us still replays to the same files. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <utime.h>

#include <cmocka.h>

#include "duck/duck.h"
#include "lake/lake.h"
#include "store/store.h"
#include "tl_test.h"

#define SCHEMA                                                                                     \
    "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,"       \
    "\"metadata\":{}},{\"name\":\"year\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{}}," \
    "{\"name\":\"hour\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{}}]}"
#define DAY_MS (24LL * 3600 * 1000)

static const char *const pcols[] = {"year", "hour"};

/* Commits that write no checkpoint (only the ones a test writes itself). */
static const tl_lake_opts never = {.checkpoint_interval = 0,
                                   .log_retention_ms = TL_LAKE_LOG_RETENTION_MS};

typedef struct fixture {
    char root[128];
    tl_store *s;
} fixture;

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    *state = fx;
    return tl_test_store(fx->root, sizeof fx->root, "ckpt-test", &fx->s);
}

static int teardown(void **state) {
    fixture *fx = *state;
    int rc = tl_test_store_free(fx->root, fx->s);
    free(fx);
    return rc;
}

/* ---- building tables ------------------------------------------------------ */

static void add_file(tl_lake_tx *tx, const char *path, const char *year, const char *hour,
                     int64_t size, const char *stats) {
    tl_lake_kv pv[2] = {{"year", year}, {"hour", hour}};
    tl_lake_file f = {.path = path,
                      .partition_values = pv,
                      .n_partition_values = 2,
                      .size = size,
                      .modification_time = 1700000000000 + size,
                      .data_change = true,
                      .stats = stats};
    tl_err err = {0};
    assert_int_equal(tl_lake_tx_add(tx, &f, &err), 0);
}

static int64_t commit(tl_store *s, const char *table, tl_lake_tx *tx) {
    tl_err err = {0};
    tl_lake_snapshot *snap;
    assert_int_equal(tl_lake_snapshot_load(s, table, NULL, &snap, &err), 0);
    int64_t v = -2;
    int rc = tl_lake_commit(s, table, tx, tl_lake_snapshot_version(snap), &v, &err);
    if (rc)
        fail_msg("commit: %s", err.msg);
    tl_lake_snapshot_free(snap);
    tl_lake_tx_destroy(tx);
    return v;
}

static tl_lake_snapshot *load(tl_store *s, const char *table) {
    tl_err err = {0};
    tl_lake_snapshot *snap = NULL;
    if (tl_lake_snapshot_load(s, table, NULL, &snap, &err) != 0)
        fail_msg("load %s: %s", table, err.msg);
    return snap;
}

/* A table with adds, removes (data_change false), odd paths, null
 * partition values, stats with quotes, two txn app ids and config. */
static void build_varied(tl_store *s, const char *t) {
    tl_err err = {0};
    assert_int_equal(tl_lake_create(s, t, SCHEMA, pcols, 2, NULL, &err), 0);
    tl_lake_tx *tx = tl_lake_tx_new("WRITE", NULL, &err);
    add_file(tx, "year=2026/hour=01/a.parquet", "2026", "1", 100, "{\"numRecords\":3}");
    add_file(tx, "year=2026/hour=01/b c.parquet", "2026", "1", 200, NULL);
    add_file(tx, "year=2026/hour=02/p%ct \xc3\xa9.parquet", "2026", "2", 300,
             "{\"numRecords\":1,\"minValues\":{\"s\":\"q\\\"uote\"}}");
    add_file(tx, "year=2026/hour=__HIVE_DEFAULT_PARTITION__/n.parquet", "2026", NULL, 400, NULL);
    assert_int_equal(tl_lake_tx_set_txn(tx, "app/one", 7, &err), 0);
    commit(s, t, tx);

    tl_lake_snapshot *snap = load(s, t);
    tx = tl_lake_tx_new("OPTIMIZE", NULL, &err);
    for (size_t i = 0; i < tl_lake_snapshot_num_files(snap); i++) {
        const tl_lake_file *f = tl_lake_snapshot_file(snap, i);
        if (strstr(f->path, "hour=01/"))
            assert_int_equal(tl_lake_tx_remove(tx, f, false, 0, &err), 0);
    }
    add_file(tx, "year=2026/hour=01/big.parquet", "2026", "1", 300, "{\"numRecords\":3}");
    assert_int_equal(tl_lake_tx_set_txn(tx, "app/two", 42, &err), 0);
    tl_lake_snapshot_free(snap);
    commit(s, t, tx);
}

/* ---- comparing snapshots --------------------------------------------------- */

static void same_str(const char *a, const char *b, const char *what) {
    if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
        fail_msg("%s differs: '%s' vs '%s'", what, a ? a : "(null)", b ? b : "(null)");
}

static void same_file(const tl_lake_file *a, const tl_lake_file *b, bool tomb) {
    same_str(a->path, b->path, "path");
    assert_int_equal(a->size, b->size);
    assert_int_equal(a->data_change, b->data_change);
    if (tomb)
        assert_int_equal(a->deletion_timestamp, b->deletion_timestamp);
    else {
        assert_int_equal(a->modification_time, b->modification_time);
        same_str(a->stats, b->stats, "stats");
    }
    assert_int_equal(a->n_partition_values, b->n_partition_values);
    for (size_t i = 0; i < a->n_partition_values; i++) {
        /* order of map entries is not part of the protocol: find by key */
        size_t j = 0;
        while (j < b->n_partition_values &&
               strcmp(a->partition_values[i].key, b->partition_values[j].key) != 0)
            j++;
        assert_true(j < b->n_partition_values);
        same_str(a->partition_values[i].value, b->partition_values[j].value, "partition value");
    }
}

static void same_snapshot(const tl_lake_snapshot *a, const tl_lake_snapshot *b) {
    assert_int_equal(tl_lake_snapshot_version(a), tl_lake_snapshot_version(b));
    const tl_lake_metadata *ma = tl_lake_snapshot_metadata(a), *mb = tl_lake_snapshot_metadata(b);
    same_str(ma->id, mb->id, "metaData.id");
    same_str(ma->schema_string, mb->schema_string, "schemaString");
    same_str(ma->name, mb->name, "name");
    assert_int_equal(ma->created_time, mb->created_time);
    assert_int_equal(ma->n_partition_columns, mb->n_partition_columns);
    for (size_t i = 0; i < ma->n_partition_columns; i++)
        same_str(ma->partition_columns[i], mb->partition_columns[i], "partition column");
    assert_int_equal(ma->n_configuration, mb->n_configuration);
    assert_int_equal(tl_lake_snapshot_protocol(a)->min_reader_version,
                     tl_lake_snapshot_protocol(b)->min_reader_version);
    assert_int_equal(tl_lake_snapshot_protocol(a)->min_writer_version,
                     tl_lake_snapshot_protocol(b)->min_writer_version);
    assert_int_equal(tl_lake_snapshot_num_files(a), tl_lake_snapshot_num_files(b));
    for (size_t i = 0; i < tl_lake_snapshot_num_files(a); i++)
        same_file(tl_lake_snapshot_file(a, i), tl_lake_snapshot_file(b, i), false);
    assert_int_equal(tl_lake_snapshot_num_tombstones(a), tl_lake_snapshot_num_tombstones(b));
    for (size_t i = 0; i < tl_lake_snapshot_num_tombstones(a); i++)
        same_file(tl_lake_snapshot_tombstone(a, i), tl_lake_snapshot_tombstone(b, i), true);
    assert_int_equal(tl_lake_snapshot_num_txns(a), tl_lake_snapshot_num_txns(b));
    for (size_t i = 0; i < tl_lake_snapshot_num_txns(a); i++) {
        const char *ia, *ib;
        int64_t va, vb, ua, ub;
        tl_lake_snapshot_txn(a, i, &ia, &va, &ua);
        tl_lake_snapshot_txn(b, i, &ib, &vb, &ub);
        same_str(ia, ib, "txn appId");
        assert_int_equal(va, vb);
        assert_int_equal(ua, ub);
    }
}

/* Delete the JSON commits of t up to version max_v; returns how many. */
static int hide_json(tl_store *s, const char *t, int64_t max_v) {
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s/_delta_log/", t);
    tl_store_entry *e;
    size_t n;
    tl_err err = {0};
    int k = 0;
    assert_int_equal(tl_store_list(s, prefix, &e, &n, &err), 0);
    for (size_t i = 0; i < n; i++) {
        const char *name = e[i].key + strlen(prefix);
        if (strstr(name, ".json") && strtoll(name, NULL, 10) <= max_v) {
            assert_int_equal(tl_store_del(s, e[i].key, &err), 0);
            k++;
        }
    }
    tl_store_entries_free(e, n);
    return k;
}

/* Delete the checkpoint files of t older than version v; how many. */
static int del_checkpoints_below(tl_store *s, const char *t, int64_t v) {
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s/_delta_log/", t);
    tl_store_entry *e;
    size_t n;
    tl_err err = {0};
    int k = 0;
    assert_int_equal(tl_store_list(s, prefix, &e, &n, &err), 0);
    for (size_t i = 0; i < n; i++) {
        const char *name = e[i].key + strlen(prefix);
        if (strstr(name, ".checkpoint.") && strtoll(name, NULL, 10) < v) {
            assert_int_equal(tl_store_del(s, e[i].key, &err), 0);
            k++;
        }
    }
    tl_store_entries_free(e, n);
    return k;
}

static bool log_has(const fixture *fx, const char *t, const char *name) {
    char p[512];
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s/_delta_log/%s", fx->root, t, name);
    return stat(p, &sb) == 0;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_roundtrip_same_snapshot(void **state) {
    fixture *fx = *state;
    build_varied(fx->s, "t");
    tl_lake_snapshot *before = load(fx->s, "t");
    assert_int_equal(tl_lake_snapshot_num_tombstones(before), 2);
    tl_err err = {0};
    assert_int_equal(tl_lake_checkpoint_write(fx->s, before, 7 * DAY_MS, NULL, &err), 0);
    assert_true(log_has(fx, "t", "00000000000000000002.checkpoint.parquet"));
    /* _last_checkpoint names it with the number of actions (rows) */
    tl_buf b = TL_BUF_INIT;
    assert_int_equal(tl_store_get(fx->s, "t/_delta_log/_last_checkpoint", &b, &err), 0);
    /* protocol + metaData + 2 txn + 3 live + 2 tombstones */
    assert_string_equal(b.data, "{\"version\":2,\"size\":9}\n");
    tl_buf_free(&b);

    assert_int_equal(hide_json(fx->s, "t", 2), 3);
    tl_lake_snapshot *after = load(fx->s, "t");
    same_snapshot(before, after);
    tl_lake_snapshot_free(after);
    tl_lake_snapshot_free(before);
}

/* A checkpoint is written under a small duckdb.memory_limit (read_json once
 * asked for a 2 GiB buffer and every checkpoint failed with 128 MiB). */
static void test_small_memory_limit(void **state) {
    fixture *fx = *state;
    build_varied(fx->s, "t");
    tl_lake_snapshot *snap = load(fx->s, "t");
    tl_err err = {0};
    tl_duck_opts small = {.memory_limit = 64LL << 20, .threads = 1};
    int rc = tl_lake_checkpoint_write(fx->s, snap, 7 * DAY_MS, &small, &err);
    tl_lake_snapshot_free(snap);
    assert_int_equal(rc, 0);
    assert_true(log_has(fx, "t", "00000000000000000002.checkpoint.parquet"));
}

static int first_value(void *ud, int ncols, const char *const *v) {
    char **out = ud;
    if (ncols == 1 && v[0] && !*out)
        *out = strdup(v[0]);
    return 0;
}

/* The Parquet layout other engines expect: structs, MAP partitionValues. */
static void test_checkpoint_schema(void **state) {
    fixture *fx = *state;
    build_varied(fx->s, "t");
    tl_lake_snapshot *snap = load(fx->s, "t");
    tl_err err = {0};
    assert_int_equal(tl_lake_checkpoint_write(fx->s, snap, 7 * DAY_MS, NULL, &err), 0);
    tl_lake_snapshot_free(snap);
    tl_duck *d = tl_duck_open(NULL, 0, NULL, &err);
    assert_non_null(d);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT string_agg(column_name || ' ' || column_type, '; ' ORDER BY column_name) "
             "FROM (DESCRIBE SELECT * FROM read_parquet('%s/t/_delta_log/"
             "00000000000000000002.checkpoint.parquet'))",
             fx->root);
    char *got = NULL;
    assert_int_equal(tl_duck_query_each(d, sql, first_value, &got, &err), 0);
    assert_non_null(got);
    assert_non_null(strstr(got, "add STRUCT(path VARCHAR, partitionValues MAP(VARCHAR, VARCHAR)"));
    assert_non_null(strstr(got, "stats VARCHAR"));
    assert_non_null(strstr(got, "remove STRUCT(path VARCHAR, deletionTimestamp BIGINT"));
    assert_non_null(strstr(got, "protocol STRUCT(minReaderVersion INTEGER"));
    assert_non_null(strstr(got, "txn STRUCT(appId VARCHAR, \"version\" BIGINT"));
    assert_non_null(strstr(got, "partitionColumns VARCHAR[]"));
    free(got);
    tl_duck_close(d);
}

/* A big table's checkpoint is written in row groups of 2,048 rows (one
 * DuckDB thread): what bounds its memory beside a stream (with DuckDB's
 * defaults a 40,000-file checkpoint took the whole table in one row group
 * and added 134 MB). It reads back to the same snapshot. */
static void test_checkpoint_row_groups(void **state) {
    fixture *fx = *state;
    tl_err err = {0};
    assert_int_equal(tl_lake_create(fx->s, "big", SCHEMA, pcols, 2, NULL, &err), 0);
    tl_lake_tx *tx = tl_lake_tx_new("WRITE", &never, &err);
    for (int i = 0; i < 5000; i++) {
        char path[64];
        snprintf(path, sizeof path, "year=2026/hour=%02d/f%05d.parquet", i % 24, i);
        add_file(tx, path, "2026", "1", i + 1, "{\"numRecords\":1}");
    }
    assert_int_equal(commit(fx->s, "big", tx), 1);
    tl_lake_snapshot *full = load(fx->s, "big");
    assert_int_equal(tl_lake_checkpoint_write(fx->s, full, 7 * DAY_MS, NULL, &err), 0);
    tl_duck *d = tl_duck_open(NULL, 0, NULL, &err);
    assert_non_null(d);
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT count(DISTINCT row_group_id) || '/' || max(row_group_num_rows) FROM "
             "parquet_metadata('%s/big/_delta_log/00000000000000000001.checkpoint.parquet')",
             fx->root);
    char *got = NULL;
    assert_int_equal(tl_duck_query_each(d, sql, first_value, &got, &err), 0);
    tl_duck_close(d);
    assert_string_equal(got, "3/2048"); /* 5,002 rows: protocol, metaData, 5,000 adds */
    free(got);
    assert_int_equal(hide_json(fx->s, "big", 1), 2);
    tl_lake_snapshot *from_ckpt = load(fx->s, "big");
    same_snapshot(full, from_ckpt);
    tl_lake_snapshot_free(from_ckpt);
    tl_lake_snapshot_free(full);
}

/* Every 10th commit writes a checkpoint; the newest one is in
 * _last_checkpoint; with the default retention nothing is deleted. */
static void test_commit_hook_every_ten(void **state) {
    fixture *fx = *state;
    tl_err err = {0};
    assert_int_equal(tl_lake_create(fx->s, "h", SCHEMA, pcols, 2, NULL, &err), 0);
    for (int i = 1; i <= 25; i++) {
        char path[64];
        snprintf(path, sizeof path, "year=2026/hour=01/f%02d.parquet", i);
        tl_lake_tx *tx = tl_lake_tx_new("WRITE", NULL, &err);
        add_file(tx, path, "2026", "1", i, NULL);
        assert_int_equal(tl_lake_tx_set_txn(tx, "src", i, &err), 0);
        assert_int_equal(commit(fx->s, "h", tx), i);
    }
    assert_true(log_has(fx, "h", "00000000000000000010.checkpoint.parquet"));
    assert_true(log_has(fx, "h", "00000000000000000020.checkpoint.parquet"));
    assert_false(log_has(fx, "h", "00000000000000000025.checkpoint.parquet"));
    assert_true(log_has(fx, "h", "00000000000000000000.json"));
    tl_buf b = TL_BUF_INIT;
    assert_int_equal(tl_store_get(fx->s, "h/_delta_log/_last_checkpoint", &b, &err), 0);
    assert_non_null(strstr(b.data, "\"version\":20,"));
    tl_buf_free(&b);

    tl_lake_snapshot *full = load(fx->s, "h");
    assert_int_equal(hide_json(fx->s, "h", 19), 20);
    tl_lake_snapshot *from_ckpt = load(fx->s, "h");
    same_snapshot(full, from_ckpt);
    assert_int_equal(tl_lake_snapshot_num_files(from_ckpt), 25);
    assert_int_equal(tl_lake_snapshot_txn_version(from_ckpt, "src"), 25);
    tl_lake_snapshot_free(from_ckpt);
    tl_lake_snapshot_free(full);
}

static void test_interval_zero_disables(void **state) {
    fixture *fx = *state;
    tl_err err = {0};
    assert_int_equal(tl_lake_create(fx->s, "z", SCHEMA, pcols, 2, NULL, &err), 0);
    for (int i = 1; i <= 10; i++) {
        tl_lake_tx *tx = tl_lake_tx_new("WRITE", &never, &err);
        char path[64];
        snprintf(path, sizeof path, "f%d.parquet", i);
        add_file(tx, path, "2026", "1", i, NULL);
        commit(fx->s, "z", tx);
    }
    assert_false(log_has(fx, "z", "00000000000000000010.checkpoint.parquet"));
}

/* The policy is the transaction's, not the process's: two writers in one
 * process, one checkpointing every 3 commits, the other never, each get
 * their own (a process-wide setting made the last setter win for both). */
static void test_policy_per_writer(void **state) {
    fixture *fx = *state;
    tl_err err = {0};
    const tl_lake_opts every3 = {.checkpoint_interval = 3,
                                 .log_retention_ms = TL_LAKE_LOG_RETENTION_MS};
    assert_int_equal(tl_lake_create(fx->s, "a", SCHEMA, pcols, 2, NULL, &err), 0);
    assert_int_equal(tl_lake_create(fx->s, "b", SCHEMA, pcols, 2, NULL, &err), 0);
    for (int i = 1; i <= 6; i++) {
        char path[64];
        snprintf(path, sizeof path, "f%d.parquet", i);
        tl_lake_tx *ta = tl_lake_tx_new("WRITE", &every3, &err);
        tl_lake_tx *tb = tl_lake_tx_new("WRITE", &never, &err);
        add_file(ta, path, "2026", "1", i, NULL);
        add_file(tb, path, "2026", "1", i, NULL);
        assert_int_equal(commit(fx->s, "a", ta), i);
        assert_int_equal(commit(fx->s, "b", tb), i);
    }
    assert_true(log_has(fx, "a", "00000000000000000003.checkpoint.parquet"));
    assert_true(log_has(fx, "a", "00000000000000000006.checkpoint.parquet"));
    assert_false(log_has(fx, "b", "00000000000000000003.checkpoint.parquet"));
    assert_false(log_has(fx, "b", "00000000000000000006.checkpoint.parquet"));
    /* a NULL policy is the defaults: every 10th commit */
    assert_int_equal(tl_lake_opts_default().checkpoint_interval, 10);
}

/* ---- the checkpointer (checkpoints off the committing thread) ------------- */

/* Commits with no inline checkpoint, each offered to c as the stream does. */
static void commit_and_offer(fixture *fx, tl_lake_checkpointer *c, const char *t, int from,
                             int to) {
    tl_err err = {0};
    for (int i = from; i <= to; i++) {
        char path[64];
        snprintf(path, sizeof path, "year=2026/hour=01/f%02d.parquet", i);
        tl_lake_tx *tx = tl_lake_tx_new("STREAMING UPDATE", &never, &err);
        add_file(tx, path, "2026", "1", i, NULL);
        assert_int_equal(tl_lake_tx_set_txn(tx, "src", i, &err), 0);
        assert_int_equal(commit(fx->s, t, tx), i);
        assert_int_equal(tl_lake_checkpointer_offer(c, t, i), i % 10 == 0 ? 1 : 0);
    }
}

/* The due commits get their checkpoint, the others none; _last_checkpoint
 * names the newest and a reader of the checkpoint alone sees the table. */
static void test_checkpointer_writes_due(void **state) {
    fixture *fx = *state;
    tl_err err = {0};
    assert_int_equal(tl_lake_create(fx->s, "bg", SCHEMA, pcols, 2, NULL, &err), 0);
    tl_lake_checkpointer *c = tl_lake_checkpointer_new(fx->s, NULL, &err);
    assert_non_null(c);
    commit_and_offer(fx, c, "bg", 1, 9);
    tl_lake_checkpointer_drain(c);
    assert_int_equal(tl_lake_checkpointer_stats_get(c).written, 0);
    assert_false(log_has(fx, "bg", "_last_checkpoint"));
    commit_and_offer(fx, c, "bg", 10, 13);
    tl_lake_checkpointer_drain(c);
    tl_lake_checkpointer_stats st = tl_lake_checkpointer_stats_get(c);
    assert_int_equal(st.written, 1);
    assert_int_equal(st.failed, 0);
    tl_lake_checkpointer_destroy(c);
    tl_buf b = TL_BUF_INIT;
    assert_int_equal(tl_store_get(fx->s, "bg/_delta_log/_last_checkpoint", &b, &err), 0);
    /* the checkpoint is of the table as loaded when it ran: 10 or later */
    int64_t v = strtoll(strstr(b.data, "\"version\":") + 10, NULL, 10);
    assert_true(v >= 10 && v <= 13);
    tl_buf_free(&b);
    char name[64];
    snprintf(name, sizeof name, "%020lld.checkpoint.parquet", (long long)v);
    assert_true(log_has(fx, "bg", name));
    tl_lake_snapshot *full = load(fx->s, "bg");
    assert_int_equal(hide_json(fx->s, "bg", v), (int)v + 1);
    tl_lake_snapshot *from_ckpt = load(fx->s, "bg");
    same_snapshot(full, from_ckpt);
    assert_int_equal(tl_lake_snapshot_txn_version(from_ckpt, "src"), 13);
    tl_lake_snapshot_free(from_ckpt);
    tl_lake_snapshot_free(full);
}

/* Offers pile up faster than checkpoints run: each is written or folded
 * into the waiting one of its table, never lost and never run twice at
 * once; destroy runs what waits, so the newest due version is covered. Two
 * tables share the one thread. */
static void test_checkpointer_folds_and_drains(void **state) {
    fixture *fx = *state;
    tl_err err = {0};
    assert_int_equal(tl_lake_create(fx->s, "p", SCHEMA, pcols, 2, NULL, &err), 0);
    assert_int_equal(tl_lake_create(fx->s, "q", SCHEMA, pcols, 2, NULL, &err), 0);
    tl_lake_checkpointer *c = tl_lake_checkpointer_new(fx->s, NULL, &err);
    assert_non_null(c);
    commit_and_offer(fx, c, "p", 1, 40);
    commit_and_offer(fx, c, "q", 1, 20);
    tl_lake_checkpointer_stats st = tl_lake_checkpointer_stats_get(c);
    tl_lake_checkpointer_destroy(c); /* no drain: destroy runs the waiting jobs */
    assert_true(st.written + st.failed <= 6);
    assert_int_equal(st.dropped, 0);
    assert_true(log_has(fx, "p", "00000000000000000040.checkpoint.parquet"));
    assert_true(log_has(fx, "q", "00000000000000000020.checkpoint.parquet"));
    tl_buf b = TL_BUF_INIT;
    assert_int_equal(tl_store_get(fx->s, "p/_delta_log/_last_checkpoint", &b, &err), 0);
    assert_non_null(strstr(b.data, "\"version\":40,"));
    tl_buf_free(&b);
}

/* A checkpoint that fails (no such table) is counted and warned; the
 * thread goes on with the next one. */
static void test_checkpointer_survives_failure(void **state) {
    fixture *fx = *state;
    tl_err err = {0};
    assert_int_equal(tl_lake_create(fx->s, "ok", SCHEMA, pcols, 2, NULL, &err), 0);
    tl_lake_checkpointer *c = tl_lake_checkpointer_new(fx->s, NULL, &err);
    assert_non_null(c);
    assert_int_equal(tl_lake_checkpointer_offer(c, "missing", 10), 1);
    tl_lake_checkpointer_drain(c);
    commit_and_offer(fx, c, "ok", 1, 10);
    tl_lake_checkpointer_drain(c);
    tl_lake_checkpointer_stats st = tl_lake_checkpointer_stats_get(c);
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.written, 1);
    assert_true(log_has(fx, "ok", "00000000000000000010.checkpoint.parquet"));
    assert_false(log_has(fx, "missing", "_last_checkpoint"));
    tl_lake_checkpointer_destroy(c);
    tl_lake_checkpointer_destroy(NULL);
}

/* Tombstones older than the tombstone retention leave the checkpoint. */
static void test_old_tombstones_expire(void **state) {
    fixture *fx = *state;
    tl_err err = {0};
    assert_int_equal(tl_lake_create(fx->s, "e", SCHEMA, pcols, 2, NULL, &err), 0);
    tl_lake_tx *tx = tl_lake_tx_new("WRITE", &never, &err);
    add_file(tx, "old.parquet", "2026", "1", 1, NULL);
    add_file(tx, "new.parquet", "2026", "1", 2, NULL);
    add_file(tx, "live.parquet", "2026", "1", 3, NULL);
    commit(fx->s, "e", tx);
    tl_lake_snapshot *snap = load(fx->s, "e");
    tx = tl_lake_tx_new("DELETE", &never, &err);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000;
    assert_int_equal(
        tl_lake_tx_remove(tx, tl_lake_snapshot_file(snap, 2), true, now - 8 * DAY_MS, &err),
        0); /* old.parquet */
    assert_int_equal(
        tl_lake_tx_remove(tx, tl_lake_snapshot_file(snap, 1), true, now - DAY_MS, &err),
        0); /* new.parquet */
    tl_lake_snapshot_free(snap);
    commit(fx->s, "e", tx);
    snap = load(fx->s, "e");
    assert_int_equal(tl_lake_checkpoint_write(fx->s, snap, 7 * DAY_MS, NULL, &err), 0);
    tl_lake_snapshot_free(snap);
    hide_json(fx->s, "e", 2);
    snap = load(fx->s, "e");
    assert_int_equal(tl_lake_snapshot_num_files(snap), 1);
    assert_int_equal(tl_lake_snapshot_num_tombstones(snap), 1);
    assert_string_equal(tl_lake_snapshot_tombstone(snap, 0)->path, "new.parquet");
    tl_lake_snapshot_free(snap);
}

static void age_file(const fixture *fx, const char *t, const char *name, int64_t age_ms) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s/_delta_log/%s", fx->root, t, name);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct utimbuf ub = {now.tv_sec - age_ms / 1000, now.tv_sec - age_ms / 1000};
    assert_int_equal(utime(p, &ub), 0);
}

/* Cleanup: only behind the newest checkpoint and only past the retention;
 * the table still loads to the same snapshot afterwards. */
static void test_log_cleanup(void **state) {
    fixture *fx = *state;
    tl_err err = {0};
    assert_int_equal(tl_lake_create(fx->s, "c", SCHEMA, pcols, 2, NULL, &err), 0);
    for (int i = 1; i <= 23; i++) {
        tl_lake_tx *tx = tl_lake_tx_new("WRITE", NULL, &err);
        char path[64];
        snprintf(path, sizeof path, "f%02d.parquet", i);
        add_file(tx, path, "2026", "1", i, NULL);
        commit(fx->s, "c", tx);
    }
    tl_lake_snapshot *full = load(fx->s, "c");
    size_t deleted = 99;
    /* everything is recent: a 1h retention deletes nothing */
    assert_int_equal(tl_lake_log_cleanup(fx->s, "c", 3600 * 1000, &deleted, &err), 0);
    assert_int_equal(deleted, 0);
    /* age versions 0..14 and checkpoint 10 by two hours */
    for (int v = 0; v <= 14; v++) {
        char name[64];
        snprintf(name, sizeof name, "%020d.json", v);
        age_file(fx, "c", name, 2 * 3600 * 1000);
    }
    age_file(fx, "c", "00000000000000000010.checkpoint.parquet", 2 * 3600 * 1000);
    assert_int_equal(tl_lake_log_cleanup(fx->s, "c", 3600 * 1000, &deleted, &err), 0);
    assert_int_equal(deleted, 16); /* JSON 0..14 and checkpoint 10 */
    assert_false(log_has(fx, "c", "00000000000000000000.json"));
    assert_false(log_has(fx, "c", "00000000000000000010.checkpoint.parquet"));
    assert_true(log_has(fx, "c", "00000000000000000015.json"));
    assert_true(log_has(fx, "c", "00000000000000000020.checkpoint.parquet"));
    /* retention 0: everything before checkpoint 20 goes, 20 and later stay */
    assert_int_equal(tl_lake_log_cleanup(fx->s, "c", 0, &deleted, &err), 0);
    assert_int_equal(deleted, 5);
    assert_true(log_has(fx, "c", "00000000000000000020.json"));
    tl_lake_snapshot *after = load(fx->s, "c");
    same_snapshot(full, after);
    tl_lake_snapshot_free(after);
    tl_lake_snapshot_free(full);
}

/* A Spark-written table, checkpointed by us with Spark's checkpoints and
 * all JSON commits gone, replays to the same snapshot. */
static void test_golden_table_checkpointed_by_us(void **state) {
    fixture *fx = *state;
    const char *d = getenv("TL_SHARED_DIR");
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cp -r '%s/delta-golden/basic-with-inserts-deletes-checkpoint' '%s/g'",
             d && *d ? d : "/work/shared", fx->root);
    assert_int_equal(system(cmd), 0);
    tl_lake_snapshot *spark = load(fx->s, "g");
    tl_err err = {0};
    int rc = tl_lake_checkpoint_write(fx->s, spark, 3650 * DAY_MS, NULL, &err);
    if (rc)
        fail_msg("checkpoint of golden table: %s", err.msg);
    int64_t v = tl_lake_snapshot_version(spark);
    assert_true(hide_json(fx->s, "g", v) > 0);
    assert_true(del_checkpoints_below(fx->s, "g", v) > 0);
    assert_false(log_has(fx, "g", "00000000000000000000.json"));
    tl_lake_snapshot *ours = load(fx->s, "g");
    same_snapshot(spark, ours);
    tl_lake_snapshot_free(ours);
    tl_lake_snapshot_free(spark);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip_same_snapshot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_small_memory_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_row_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_hook_every_ten, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interval_zero_disables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_per_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_tombstones_expire, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_cleanup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_golden_table_checkpointed_by_us, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpointer_writes_due, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpointer_folds_and_drains, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpointer_survives_failure, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
