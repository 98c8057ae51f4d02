/* The Delta log: Spark-written golden tables (JSON replay and checkpoint
 * replay, checked by reading the live files with DuckDB), commits, races,
 * conflict detection, corrupt logs, and a cross-check against the
 * independent Python replay in tests/tools/delta_replay.py. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_tree.h>

#include <cmocka.h>

#include "duck/duck.h"
#include "lake/lake.h"
#include "store/store.h"
#include "tl_test.h"

#define SCHEMA                                                                                     \
    "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,"       \
    "\"metadata\":{}}]}"

typedef struct fixture {
    char root[128];
    tl_store *s;
} fixture;

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    *state = fx;
    return tl_test_store(fx->root, sizeof fx->root, "lake-test", &fx->s);
}

static int teardown(void **state) {
    fixture *fx = *state;
    int rc = tl_test_store_free(fx->root, fx->s);
    free(fx);
    return rc;
}

static const char *shared_dir(void) {
    const char *d = getenv("TL_SHARED_DIR");
    return d && *d ? d : "/work/shared";
}

/* Copy every object of the directory src into the store under name/. */
static void copy_dir(tl_store *dst, const char *src, const char *name) {
    tl_err err = {0};
    tl_store *from = tl_store_fs_new(src, &err);
    assert_non_null(from);
    tl_store_entry *e;
    size_t n;
    assert_int_equal(tl_store_list(from, "", &e, &n, &err), 0);
    assert_true(n > 0);
    tl_buf b = TL_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        char key[512];
        snprintf(key, sizeof key, "%s/%s", name, e[i].key);
        tl_buf_reset(&b);
        assert_int_equal(tl_store_get(from, e[i].key, &b, &err), 0);
        assert_int_equal(tl_store_put(dst, key, b.data, b.len, &err), 0);
    }
    tl_buf_free(&b);
    tl_store_entries_free(e, n);
    tl_store_destroy(from);
}

/* Delete the log files of table whose name contains needle (and, when
 * max_version >= 0, only JSON commits up to that version). */
static int delete_log_files(tl_store *s, const char *table, const char *needle,
                            int64_t max_version) {
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s/_delta_log/", table);
    tl_store_entry *e;
    size_t n;
    tl_err err = {0};
    int deleted = 0;
    assert_int_equal(tl_store_list(s, prefix, &e, &n, &err), 0);
    for (size_t i = 0; i < n; i++) {
        const char *name = e[i].key + strlen(prefix);
        if (!strstr(name, needle))
            continue;
        if (max_version >= 0 && strtoll(name, NULL, 10) > max_version)
            continue;
        assert_int_equal(tl_store_del(s, e[i].key, &err), 0);
        deleted++;
    }
    tl_store_entries_free(e, n);
    return deleted;
}

/* The README's table row for name: version, files, rows, sum, min, max. */
typedef struct golden {
    int64_t version, files, rows, sum, min, max;
    int64_t checkpoint; /* version of the checkpoint described */
} golden;

static void golden_expect(const char *name, golden *g) {
    char path[512], line[1024], needle[256];
    snprintf(path, sizeof path, "%s/delta-golden/README.md", shared_dir());
    snprintf(needle, sizeof needle, "| `%s` |", name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, needle, strlen(needle)) != 0)
            continue;
        /* | `name` | 13 | JSON commits ... checkpoint at 10 ... | 7 | 41 | 1470 | 0 | 65 | */
        char *cols[10];
        int nc = 0;
        for (char *p = strtok(line, "|"); p && nc < 10; p = strtok(NULL, "|"))
            cols[nc++] = p;
        assert_true(nc >= 8);
        g->version = strtoll(cols[1], NULL, 10);
        char *at = strstr(cols[2], "checkpoint at ");
        assert_non_null(at);
        g->checkpoint = strtoll(at + strlen("checkpoint at "), NULL, 10);
        g->files = strtoll(cols[3], NULL, 10);
        g->rows = strtoll(cols[4], NULL, 10);
        g->sum = strtoll(cols[5], NULL, 10);
        g->min = strtoll(cols[6], NULL, 10);
        g->max = strtoll(cols[7], NULL, 10);
        found = 1;
    }
    fclose(f);
    assert_true(found);
}

typedef struct agg {
    int64_t rows, sum, min, max;
    int got;
} agg;

static int agg_row(void *ud, int ncols, const char *const *v) {
    agg *a = ud;
    assert_int_equal(ncols, 4);
    a->rows = strtoll(v[0], NULL, 10);
    a->sum = strtoll(v[1], NULL, 10);
    a->min = strtoll(v[2], NULL, 10);
    a->max = strtoll(v[3], NULL, 10);
    a->got = 1;
    return 0;
}

/* Load table, compare with g, and read the live files with DuckDB. */
static void check_golden_table(tl_store *s, const char *table, const golden *g) {
    tl_err err = {0};
    tl_lake_snapshot *snap;
    int rc = tl_lake_snapshot_load(s, table, NULL, &snap, &err);
    if (rc)
        fail_msg("load %s: %s", table, err.msg);
    assert_int_equal(tl_lake_snapshot_version(snap), g->version);
    size_t n = tl_lake_snapshot_num_files(snap);
    assert_int_equal(n, g->files);
    assert_non_null(tl_lake_snapshot_metadata(snap));
    assert_string_equal(tl_lake_snapshot_metadata(snap)->schema_string, SCHEMA);
    assert_int_equal(tl_lake_snapshot_protocol(snap)->min_reader_version, 1);
    tl_buf sql = TL_BUF_INIT;
    tl_buf_puts(&sql, "SELECT count(*), sum(id), min(id), max(id) FROM read_parquet([");
    for (size_t i = 0; i < n; i++) {
        const tl_lake_file *f = tl_lake_snapshot_file(snap, i);
        if (i)
            assert_true(strcmp(tl_lake_snapshot_file(snap, i - 1)->path, f->path) < 0);
        assert_null(f->partition_values);
        assert_true(f->size > 0);
        assert_non_null(f->stats);
        char key[512];
        snprintf(key, sizeof key, "%s/%s", table, f->path);
        char *lp = tl_store_local_path(s, key);
        tl_buf_printf(&sql, "%s'%s'", i ? "," : "", lp);
        free(lp);
    }
    tl_buf_puts(&sql, "])");
    tl_duck *d = tl_duck_open(NULL, 0, NULL, &err);
    assert_non_null(d);
    agg a = {0};
    rc = tl_duck_query_each(d, sql.data, agg_row, &a, &err);
    if (rc)
        fail_msg("duck: %s", err.msg);
    assert_true(a.got);
    assert_int_equal(a.rows, g->rows);
    assert_int_equal(a.sum, g->sum);
    assert_int_equal(a.min, g->min);
    assert_int_equal(a.max, g->max);
    tl_duck_close(d);
    tl_buf_free(&sql);
    tl_lake_snapshot_free(snap);
}

static void golden_all_ways(fixture *fx, const char *name) {
    golden g;
    golden_expect(name, &g);
    char src[512], t[3][64];
    snprintf(src, sizeof src, "%s/delta-golden/%s", shared_dir(), name);
    for (int i = 0; i < 3; i++) {
        snprintf(t[i], sizeof t[i], "g%d", i);
        copy_dir(fx->s, src, t[i]);
    }
    /* 0: as shipped (checkpoint + later commits) */
    check_golden_table(fx->s, t[0], &g);
    /* 1: no checkpoint at all: full JSON replay from version 0 */
    assert_true(delete_log_files(fx->s, t[1], ".checkpoint.", -1) >= 1);
    assert_int_equal(delete_log_files(fx->s, t[1], "_last_checkpoint", -1), 1);
    check_golden_table(fx->s, t[1], &g);
    /* 2: JSON commits up to the checkpoint gone: only the checkpoint can tell */
    assert_int_equal(delete_log_files(fx->s, t[2], ".json", g.checkpoint), g.checkpoint + 1);
    check_golden_table(fx->s, t[2], &g);
}

static void test_golden_basic(void **state) {
    golden_all_ways(*state, "basic-with-inserts-deletes-checkpoint");
}

static void test_golden_multipart(void **state) {
    golden_all_ways(*state, "multi-part-checkpoint");
}

/* A multi-part checkpoint with a part missing must be ignored. */
static void test_incomplete_checkpoint_ignored(void **state) {
    fixture *fx = *state;
    const char *name = "multi-part-checkpoint";
    golden g;
    golden_expect(name, &g);
    char src[512];
    snprintf(src, sizeof src, "%s/delta-golden/%s", shared_dir(), name);
    copy_dir(fx->s, src, "mp");
    assert_int_equal(delete_log_files(fx->s, "mp", ".checkpoint.0000000002.", -1), 1);
    check_golden_table(fx->s, "mp", &g); /* JSON replay still complete */
    assert_int_equal(delete_log_files(fx->s, "mp", "00000000000000000000.json", -1), 1);
    tl_lake_snapshot *snap = NULL;
    tl_err err = {0};
    assert_int_equal(tl_lake_snapshot_load(fx->s, "mp", NULL, &snap, &err), TL_ERR_CORRUPT);
    assert_null(snap);
    assert_non_null(strstr(err.msg, "version 0"));
}

/* ---- writing ------------------------------------------------------------- */

static tl_lake_file mkfile(const char *path, const tl_lake_kv *pv, size_t npv, int64_t size) {
    tl_lake_file f = {.path = path,
                      .partition_values = pv,
                      .n_partition_values = npv,
                      .size = size,
                      .modification_time = 1700000000000LL,
                      .deletion_timestamp = -1,
                      .data_change = true,
                      .stats = "{\"numRecords\":1}"};
    return f;
}

static int64_t commit_add(tl_store *s, const char *table, const char *path, const char *app,
                          int64_t app_version, int64_t read_version, int expect_rc) {
    tl_err err = {0};
    tl_lake_tx *tx = tl_lake_tx_new("WRITE", NULL, &err);
    tl_lake_file f = mkfile(path, NULL, 0, 10);
    assert_int_equal(tl_lake_tx_add(tx, &f, &err), 0);
    if (app)
        assert_int_equal(tl_lake_tx_set_txn(tx, app, app_version, &err), 0);
    int64_t v = -1;
    int rc = tl_lake_commit(s, table, tx, read_version, &v, &err);
    if (rc != expect_rc)
        fail_msg("commit %s: rc %d (%s), wanted %d", path, rc, err.msg, expect_rc);
    tl_lake_tx_destroy(tx);
    return v;
}

static tl_lake_snapshot *load(tl_store *s, const char *table) {
    tl_err err = {0};
    tl_lake_snapshot *snap = NULL;
    if (tl_lake_snapshot_load(s, table, NULL, &snap, &err))
        fail_msg("load %s: %s", table, err.msg);
    return snap;
}

static void test_missing_table_is_empty(void **state) {
    fixture *fx = *state;
    tl_lake_snapshot *snap = load(fx->s, "nothing");
    assert_int_equal(tl_lake_snapshot_version(snap), -1);
    assert_int_equal(tl_lake_snapshot_num_files(snap), 0);
    assert_null(tl_lake_snapshot_metadata(snap));
    assert_int_equal(tl_lake_snapshot_txn_version(snap, "x"), -1);
    tl_lake_snapshot_free(snap);
    tl_err err = {0};
    tl_lake_tx *tx = tl_lake_tx_new("WRITE", NULL, &err);
    assert_int_equal(tl_lake_commit(fx->s, "nothing", tx, -1, NULL, &err), TL_ERR_INVALID);
    tl_lake_tx_destroy(tx);
}

static void test_create(void **state) {
    fixture *fx = *state;
    tl_err err = {0};
    const char *cols[] = {"year", "hour"};
    assert_int_equal(tl_lake_create(fx->s, "t", SCHEMA, cols, 2, NULL, &err), 0);
    assert_int_equal(tl_lake_create(fx->s, "t", SCHEMA, cols, 2, NULL, &err), 0); /* same: fine */
    assert_int_equal(tl_lake_create(fx->s, "t", SCHEMA, cols, 1, NULL, &err), TL_ERR_CONFLICT);
    tl_lake_snapshot *snap = load(fx->s, "t");
    const tl_lake_metadata *md = tl_lake_snapshot_metadata(snap);
    assert_int_equal(tl_lake_snapshot_version(snap), 0);
    assert_string_equal(md->schema_string, SCHEMA);
    assert_int_equal(md->n_partition_columns, 2);
    assert_string_equal(md->partition_columns[1], "hour");
    assert_string_equal(md->format_provider, "parquet");
    assert_int_equal(strlen(md->id), 36);
    assert_true(md->created_time > 1700000000000LL);
    assert_int_equal(tl_lake_snapshot_protocol(snap)->min_writer_version, 2);
    tl_lake_snapshot_free(snap);
}

/* Log cleanup deletes version 0 once a checkpoint covers it: creating the
 * table again (every stream start does) must see the live table and leave
 * version 0 absent, not write a second CREATE TABLE into it. */
static void test_create_after_log_cleanup(void **state) {
    fixture *fx = *state;
    tl_err err = {0};
    const char *cols[] = {"day"};
    assert_int_equal(tl_lake_create(fx->s, "t", SCHEMA, cols, 1, NULL, &err), 0);
    tl_lake_kv pv[] = {{"day", "2026-11-24"}};
    for (int i = 0; i < 3; i++) {
        char path[64];
        snprintf(path, sizeof path, "day=2026-11-24/f%d.parquet", i);
        tl_lake_tx *tx = tl_lake_tx_new("STREAMING UPDATE", NULL, &err);
        tl_lake_file f = mkfile(path, pv, 1, 10 + i);
        assert_int_equal(tl_lake_tx_add(tx, &f, &err), 0);
        assert_int_equal(tl_lake_commit(fx->s, "t", tx, i, NULL, &err), 0);
        tl_lake_tx_destroy(tx);
    }
    tl_lake_snapshot *snap = load(fx->s, "t");
    assert_int_equal(tl_lake_checkpoint_write(fx->s, snap, 7 * 86400000LL, NULL, &err), 0);
    tl_lake_snapshot_free(snap);
    assert_int_equal(delete_log_files(fx->s, "t", ".json", 2), 3); /* versions 0..2 */
    assert_int_equal(tl_lake_create(fx->s, "t", SCHEMA, cols, 1, NULL, &err), 0);
    tl_buf b = TL_BUF_INIT;
    assert_int_equal(tl_store_get(fx->s, "t/_delta_log/00000000000000000000.json", &b, &err),
                     TL_ERR_NOT_FOUND);
    tl_buf_free(&b);
    snap = load(fx->s, "t");
    assert_int_equal(tl_lake_snapshot_version(snap), 3);
    assert_int_equal(tl_lake_snapshot_num_files(snap), 3);
    tl_lake_snapshot_free(snap);
    /* a different definition is still a conflict */
    assert_int_equal(tl_lake_create(fx->s, "t", SCHEMA, NULL, 0, NULL, &err), TL_ERR_CONFLICT);
}

static void test_commit_sequence(void **state) {
    fixture *fx = *state;
    tl_err err = {0};
    const char *cols[] = {"day"};
    assert_int_equal(tl_lake_create(fx->s, "t", SCHEMA, cols, 1, NULL, &err), 0);
    tl_lake_kv pv1[] = {{"day", "2026-11-24"}}, pvnull[] = {{"day", NULL}};
    tl_lake_tx *tx = tl_lake_tx_new("STREAMING UPDATE", NULL, &err);
    tl_lake_file a = mkfile("day=2026-11-24/a.parquet", pv1, 1, 100);
    tl_lake_file b = mkfile("day=2026-11-24/b c.parquet", pv1, 1, 200);
    tl_lake_file c = mkfile("day=__HIVE_DEFAULT_PARTITION__/c.parquet", pvnull, 1, 300);
    assert_int_equal(tl_lake_tx_add(tx, &a, &err), 0);
    assert_int_equal(tl_lake_tx_add(tx, &b, &err), 0);
    assert_int_equal(tl_lake_tx_add(tx, &c, &err), 0);
    assert_int_equal(tl_lake_tx_set_txn(tx, "ticks-0", 41, &err), 0);
    assert_int_equal(tl_lake_tx_set_txn(tx, "ticks-0", 42, &err), 0); /* replaces */
    assert_int_equal(tl_lake_tx_param(tx, "batch", "1", &err), 0);
    int64_t v;
    assert_int_equal(tl_lake_commit(fx->s, "t", tx, 0, &v, &err), 0);
    assert_int_equal(v, 1);
    tl_lake_tx_destroy(tx);

    tl_lake_snapshot *snap = load(fx->s, "t");
    assert_int_equal(tl_lake_snapshot_num_files(snap), 3);
    assert_int_equal(tl_lake_snapshot_txn_version(snap, "ticks-0"), 42);
    const tl_lake_file *fb = tl_lake_snapshot_file(snap, 1);
    assert_string_equal(fb->path, "day=2026-11-24/b c.parquet"); /* decoded again */
    assert_int_equal(fb->size, 200);
    assert_string_equal(fb->stats, "{\"numRecords\":1}");
    assert_int_equal(fb->n_partition_values, 1);
    assert_string_equal(fb->partition_values[0].value, "2026-11-24");
    const tl_lake_file *fc = tl_lake_snapshot_file(snap, 2);
    assert_null(fc->partition_values[0].value); /* null partition value survives */

    /* The log holds the encoded path, '=' kept, space as %20. */
    tl_buf raw = TL_BUF_INIT;
    assert_int_equal(tl_store_get(fx->s, "t/_delta_log/00000000000000000001.json", &raw, &err), 0);
    assert_non_null(strstr(raw.data, "\"day=2026-11-24/b%20c.parquet\""));
    assert_non_null(strstr(raw.data, "\"engineInfo\":\"ticklake/"));
    tl_buf_free(&raw);

    /* Compaction-style commit: remove two, add one, new txn version. */
    tx = tl_lake_tx_new("OPTIMIZE", NULL, &err);
    assert_int_equal(tl_lake_tx_remove(tx, tl_lake_snapshot_file(snap, 0), false, 0, &err), 0);
    assert_int_equal(tl_lake_tx_remove(tx, fb, false, 1234, &err), 0);
    assert_int_equal(tl_lake_tx_remove(tx, fb, false, 1234, &err), TL_ERR_INVALID);
    tl_lake_file big = mkfile("day=2026-11-24/big.parquet", pv1, 1, 300);
    big.data_change = false;
    assert_int_equal(tl_lake_tx_add(tx, &big, &err), 0);
    assert_int_equal(tl_lake_tx_set_txn(tx, "ticks-0", 43, &err), 0);
    assert_int_equal(tl_lake_commit(fx->s, "t", tx, 1, &v, &err), 0);
    assert_int_equal(v, 2);
    tl_lake_tx_destroy(tx);

    /* refresh applies just the new commit */
    assert_int_equal(tl_lake_snapshot_refresh(fx->s, snap, &err), 0);
    assert_int_equal(tl_lake_snapshot_version(snap), 2);
    assert_int_equal(tl_lake_snapshot_num_files(snap), 2);
    assert_string_equal(tl_lake_snapshot_file(snap, 0)->path, "day=2026-11-24/big.parquet");
    assert_false(tl_lake_snapshot_file(snap, 0)->data_change);
    assert_string_equal(tl_lake_snapshot_file(snap, 1)->path, c.path);
    assert_int_equal(tl_lake_snapshot_txn_version(snap, "ticks-0"), 43);
    assert_int_equal(tl_lake_snapshot_num_tombstones(snap), 2);
    const tl_lake_file *tomb = tl_lake_snapshot_tombstone(snap, 1);
    assert_string_equal(tomb->path, "day=2026-11-24/b c.parquet");
    assert_int_equal(tomb->deletion_timestamp, 1234);
    assert_int_equal(tomb->size, 200);
    assert_int_equal(tl_lake_snapshot_num_txns(snap), 1);
    const char *app;
    int64_t tv, lu;
    tl_lake_snapshot_txn(snap, 0, &app, &tv, &lu);
    assert_string_equal(app, "ticks-0");
    assert_int_equal(tv, 43);
    assert_true(lu > 1700000000000LL);
    /* refresh with nothing new is a no-op */
    assert_int_equal(tl_lake_snapshot_refresh(fx->s, snap, &err), 0);
    assert_int_equal(tl_lake_snapshot_version(snap), 2);

    /* a fresh load agrees with the refreshed snapshot */
    tl_lake_snapshot *again = load(fx->s, "t");
    assert_int_equal(tl_lake_snapshot_num_files(again), 2);
    assert_int_equal(tl_lake_snapshot_num_tombstones(again), 2);
    tl_lake_snapshot_free(again);
    tl_lake_snapshot_free(snap);

    /* Bad input is refused before anything is written. */
    tx = tl_lake_tx_new("WRITE", NULL, &err);
    tl_lake_file bad = mkfile("/abs/x.parquet", NULL, 0, 1);
    assert_int_equal(tl_lake_tx_add(tx, &bad, &err), TL_ERR_INVALID);
    bad = mkfile("x.parquet", NULL, 0, 1);
    bad.stats = "{not json";
    assert_int_equal(tl_lake_tx_add(tx, &bad, &err), TL_ERR_INVALID);
    tl_lake_tx_destroy(tx);
}

/* One round of a stream and its compaction: 4 files added, then an
 * OPTIMIZE commit that removes every live file (deleted at round_ms) and
 * adds one. */
static void stream_and_compact(tl_store *s, int round, int64_t round_ms) {
    tl_err err = {0};
    tl_lake_snapshot *now = load(s, "t");
    int64_t v = tl_lake_snapshot_version(now);
    for (int i = 0; i < 4; i++) {
        char path[64];
        snprintf(path, sizeof path, "r%03d-%d.parquet", round, i);
        v = commit_add(s, "t", path, NULL, 0, v, 0);
    }
    assert_int_equal(tl_lake_snapshot_refresh(s, now, &err), 0);
    tl_lake_tx *tx = tl_lake_tx_new("OPTIMIZE", NULL, &err);
    for (size_t i = 0; i < tl_lake_snapshot_num_files(now); i++)
        assert_int_equal(
            tl_lake_tx_remove(tx, tl_lake_snapshot_file(now, i), false, round_ms, &err), 0);
    char big[64];
    snprintf(big, sizeof big, "big-%03d.parquet", round);
    tl_lake_file f = mkfile(big, NULL, 0, 100);
    f.data_change = false;
    assert_int_equal(tl_lake_tx_add(tx, &f, &err), 0);
    assert_int_equal(tl_lake_commit(s, "t", tx, tl_lake_snapshot_version(now), NULL, &err), 0);
    tl_lake_tx_destroy(tx);
    tl_lake_snapshot_free(now);
}

/* A snapshot that lives as long as the process (the stream's, refreshed at
 * every commit; the dashboard's, every second) kept every tombstone the log
 * held, a week's worth: ~500 more a minute in `up`, its RSS floor rising
 * by megabytes a job round. With drop_tombstones it holds none, round after
 * round, and the same live files and txns; forget_tombstones keeps only the
 * newest. A snapshot loaded fresh still has them all (vacuum and
 * checkpoints read them). */
static void test_long_lived_snapshot_tombstones(void **state) {
    fixture *fx = *state;
    tl_err err = {0};
    /* loaded before the table exists: its first refresh is a full load */
    tl_lake_snapshot *none = load(fx->s, "t");
    tl_lake_snapshot_drop_tombstones(none);
    assert_int_equal(tl_lake_create(fx->s, "t", SCHEMA, NULL, 0, NULL, &err), 0);
    tl_lake_snapshot *all = load(fx->s, "t"), *newest = load(fx->s, "t");
    const int rounds = 30;
    /* deletion times of the last half hour: a checkpoint keeps them (a week) */
    const int64_t t0 = (int64_t)time(NULL) * 1000 - rounds * 60000;
    for (int r = 1; r <= rounds; r++) {
        stream_and_compact(fx->s, r, t0 + r * 60000);
        assert_int_equal(tl_lake_snapshot_refresh(fx->s, all, &err), 0);
        assert_int_equal(tl_lake_snapshot_refresh(fx->s, none, &err), 0);
        assert_int_equal(tl_lake_snapshot_refresh(fx->s, newest, &err), 0);
        tl_lake_snapshot_forget_tombstones(newest, t0 + r * 60000);
        assert_int_equal(tl_lake_snapshot_num_tombstones(none), 0);
        assert_int_equal(tl_lake_snapshot_num_tombstones(newest), r == 1 ? 4 : 5);
        assert_int_equal(tl_lake_snapshot_num_files(none), 1);
        assert_string_equal(tl_lake_snapshot_file(none, 0)->path,
                            tl_lake_snapshot_file(all, 0)->path);
        assert_int_equal(tl_lake_snapshot_version(none), tl_lake_snapshot_version(all));
    }
    /* the default keeps every one: 4 files a round and each round's big file */
    assert_int_equal(tl_lake_snapshot_num_tombstones(all), rounds * 5 - 1);
    const tl_lake_file *t = tl_lake_snapshot_tombstone(newest, 0);
    assert_string_equal(t->path, "big-029.parquet");
    assert_int_equal(t->deletion_timestamp, t0 + rounds * 60000);
    tl_lake_snapshot *fresh = load(fx->s, "t");
    assert_int_equal(tl_lake_snapshot_num_tombstones(fresh), rounds * 5 - 1);
    tl_lake_snapshot_forget_tombstones(fresh, INT64_MAX);
    assert_int_equal(tl_lake_snapshot_num_tombstones(fresh), 0);
    assert_null(tl_lake_snapshot_tombstone(fresh, 0));
    tl_lake_snapshot_free(fresh);
    tl_lake_snapshot_free(all);
    tl_lake_snapshot_free(none);
    tl_lake_snapshot_free(newest);
}

static void test_conflicts(void **state) {
    fixture *fx = *state;
    tl_err err = {0};
    assert_int_equal(tl_lake_create(fx->s, "t", SCHEMA, NULL, 0, NULL, &err), 0);
    /* same appId from the same read version: the second writer must stop */
    assert_int_equal(commit_add(fx->s, "t", "a.parquet", "src-0", 1, 0, 0), 1);
    commit_add(fx->s, "t", "a2.parquet", "src-0", 1, 0, TL_ERR_CONFLICT);
    tl_lake_tx *tx = tl_lake_tx_new("WRITE", NULL, &err);
    tl_lake_file f = mkfile("a3.parquet", NULL, 0, 1);
    tl_lake_tx_add(tx, &f, &err);
    tl_lake_tx_set_txn(tx, "src-0", 2, &err);
    assert_int_equal(tl_lake_commit(fx->s, "t", tx, 0, NULL, &err), TL_ERR_CONFLICT);
    assert_false(err.retriable);
    assert_non_null(strstr(err.msg, "src-0"));
    assert_non_null(strstr(err.msg, "version 1"));
    tl_lake_tx_destroy(tx);

    /* disjoint appends from one read version both land */
    assert_int_equal(commit_add(fx->s, "t", "b.parquet", "src-1", 1, 1, 0), 2);
    assert_int_equal(commit_add(fx->s, "t", "c.parquet", "src-2", 1, 1, 0), 3);
    assert_int_equal(commit_add(fx->s, "t", "d.parquet", NULL, 0, 1, 0), 4);

    /* two removers of the same file: one wins, the other conflicts */
    tl_lake_snapshot *snap = load(fx->s, "t");
    const tl_lake_file *victim = tl_lake_snapshot_file(snap, 1);
    assert_string_equal(victim->path, "b.parquet");
    for (int i = 0; i < 2; i++) {
        tx = tl_lake_tx_new("DELETE", NULL, &err);
        assert_int_equal(tl_lake_tx_remove(tx, victim, true, 0, &err), 0);
        int rc = tl_lake_commit(fx->s, "t", tx, 4, NULL, &err);
        assert_int_equal(rc, i == 0 ? 0 : TL_ERR_CONFLICT);
        if (i == 1)
            assert_non_null(strstr(err.msg, "b.parquet"));
        tl_lake_tx_destroy(tx);
    }
    tl_lake_snapshot_free(snap);

    /* a concurrent metaData change invalidates what we read */
    const char *md_commit = "{\"metaData\":{\"id\":\"x\",\"format\":{\"provider\":\"parquet\","
                            "\"options\":{}},\"schemaString\":\"{}\",\"partitionColumns\":[],"
                            "\"configuration\":{}}}\n";
    assert_int_equal(tl_store_put_if_absent(fx->s, "t/_delta_log/00000000000000000006.json",
                                            md_commit, strlen(md_commit), &err),
                     0);
    commit_add(fx->s, "t", "e.parquet", NULL, 0, 5, TL_ERR_CONFLICT);
    assert_int_equal(commit_add(fx->s, "t", "e.parquet", NULL, 0, 6, 0), 7);

    snap = load(fx->s, "t");
    assert_int_equal(tl_lake_snapshot_version(snap), 7);
    assert_int_equal(tl_lake_snapshot_num_files(snap), 4); /* a, c, d, e */
    assert_int_equal(tl_lake_snapshot_txn_version(snap, "src-0"), 1);
    assert_int_equal(tl_lake_snapshot_txn_version(snap, "src-2"), 1);
    tl_lake_snapshot_free(snap);
}

enum { RACE_COMMITS = 25 };
typedef struct racer {
    tl_store *s;
    int id;
    int64_t versions[RACE_COMMITS];
    int failures;
    char msg[512];
} racer;

static void *racer_main(void *p) {
    racer *r = p;
    int64_t read_version = 0; /* deliberately stale: retries must find their way */
    for (int i = 0; i < RACE_COMMITS; i++) {
        tl_err err = {0};
        char path[64], app[32];
        snprintf(path, sizeof path, "w%d/f%03d.parquet", r->id, i);
        snprintf(app, sizeof app, "writer-%d", r->id);
        tl_lake_tx *tx = tl_lake_tx_new("WRITE", NULL, &err);
        tl_lake_file f = mkfile(path, NULL, 0, 1);
        int rc = tl_lake_tx_add(tx, &f, &err) || tl_lake_tx_set_txn(tx, app, i, &err) ||
                 tl_lake_commit(r->s, "race", tx, read_version, &r->versions[i], &err);
        if (rc) {
            r->failures++;
            memcpy(r->msg, err.msg, sizeof r->msg);
        } else {
            read_version = r->versions[i];
        }
        tl_lake_tx_destroy(tx);
    }
    return NULL;
}

static void test_commit_race(void **state) {
    fixture *fx = *state;
    tl_err err = {0};
    assert_int_equal(tl_lake_create(fx->s, "race", SCHEMA, NULL, 0, NULL, &err), 0);
    racer r[2];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        memset(&r[i], 0, sizeof r[i]);
        r[i].s = fx->s;
        r[i].id = i;
        pthread_create(&th[i], NULL, racer_main, &r[i]);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    int seen[2 * RACE_COMMITS + 1] = {0};
    for (int i = 0; i < 2; i++) {
        if (r[i].failures)
            fail_msg("writer %d: %d failures, last: %s", i, r[i].failures, r[i].msg);
        for (int k = 0; k < RACE_COMMITS; k++) {
            int64_t v = r[i].versions[k];
            assert_true(v >= 1 && v <= 2 * RACE_COMMITS);
            assert_int_equal(seen[v], 0); /* every commit has its own version */
            seen[v] = 1;
            if (k)
                assert_true(v > r[i].versions[k - 1]);
        }
    }
    tl_lake_snapshot *snap = load(fx->s, "race");
    assert_int_equal(tl_lake_snapshot_version(snap), 2 * RACE_COMMITS);
    assert_int_equal(tl_lake_snapshot_num_files(snap), 2 * RACE_COMMITS); /* none lost */
    assert_int_equal(tl_lake_snapshot_txn_version(snap, "writer-0"), RACE_COMMITS - 1);
    assert_int_equal(tl_lake_snapshot_txn_version(snap, "writer-1"), RACE_COMMITS - 1);
    tl_lake_snapshot_free(snap);
}

/* ---- corrupt logs ---------------------------------------------------------- */

static void put_raw(tl_store *s, const char *key, const char *text) {
    tl_err err = {0};
    assert_int_equal(tl_store_put(s, key, text, strlen(text), &err), 0);
}

#define ADD_LINE(p)                                                                                \
    "{\"add\":{\"path\":\"" p "\",\"partitionValues\":{},\"size\":1,\"modificationTime\":1,"       \
    "\"dataChange\":true}}\n"

static void test_malformed_lines(void **state) {
    fixture *fx = *state;
    tl_err err = {0};
    tl_lake_snapshot *snap = NULL;
    assert_int_equal(tl_lake_create(fx->s, "t", SCHEMA, NULL, 0, NULL, &err), 0);
    put_raw(fx->s, "t/_delta_log/00000000000000000001.json", ADD_LINE("a") "{not json\n");
    assert_int_equal(tl_lake_snapshot_load(fx->s, "t", NULL, &snap, &err), TL_ERR_CORRUPT);
    assert_null(snap);
    assert_non_null(strstr(err.msg, "t/_delta_log/00000000000000000001.json line 2"));

    /* valid JSON, invalid action: add without a size */
    put_raw(fx->s, "t/_delta_log/00000000000000000001.json",
            "{\"add\":{\"path\":\"a\",\"partitionValues\":{},\"modificationTime\":1}}\n");
    assert_int_equal(tl_lake_snapshot_load(fx->s, "t", NULL, &snap, &err), TL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "line 1"));
    assert_non_null(strstr(err.msg, "size"));

    /* a bad escape in a path */
    put_raw(fx->s, "t/_delta_log/00000000000000000001.json", ADD_LINE("a%zz"));
    assert_int_equal(tl_lake_snapshot_load(fx->s, "t", NULL, &snap, &err), TL_ERR_CORRUPT);

    /* unknown actions and fields are ignored, as the protocol requires */
    put_raw(fx->s, "t/_delta_log/00000000000000000001.json",
            "{\"cdc\":{\"path\":\"x\"}}\n{\"add\":{\"path\":\"a%20b\",\"partitionValues\":{},"
            "\"size\":1,\"modificationTime\":1,\"dataChange\":true,\"future\":[1,2]}}\n\n");
    snap = load(fx->s, "t");
    assert_int_equal(tl_lake_snapshot_num_files(snap), 1);
    assert_string_equal(tl_lake_snapshot_file(snap, 0)->path, "a b");
    tl_lake_snapshot_free(snap);
}

static void test_missing_version(void **state) {
    fixture *fx = *state;
    tl_err err = {0};
    tl_lake_snapshot *snap = NULL;
    assert_int_equal(tl_lake_create(fx->s, "t", SCHEMA, NULL, 0, NULL, &err), 0);
    put_raw(fx->s, "t/_delta_log/00000000000000000001.json", ADD_LINE("a"));
    put_raw(fx->s, "t/_delta_log/00000000000000000003.json", ADD_LINE("c"));
    assert_int_equal(tl_lake_snapshot_load(fx->s, "t", NULL, &snap, &err), TL_ERR_CORRUPT);
    assert_null(snap);
    assert_non_null(strstr(err.msg, "version 2 is missing"));
}

static void test_unsupported_reader(void **state) {
    fixture *fx = *state;
    tl_err err = {0};
    tl_lake_snapshot *snap = NULL;
    assert_int_equal(tl_lake_create(fx->s, "t", SCHEMA, NULL, 0, NULL, &err), 0);
    put_raw(
        fx->s, "t/_delta_log/00000000000000000001.json",
        "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,"
        "\"readerFeatures\":[\"deletionVectors\"],\"writerFeatures\":[\"deletionVectors\"]}}\n");
    assert_int_equal(tl_lake_snapshot_load(fx->s, "t", NULL, &snap, &err), TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "deletionVectors"));
    /* a file with a deletion vector (Spark's DELETE) names the feature too,
     * whichever check meets it first */
    assert_int_equal(tl_lake_create(fx->s, "u", SCHEMA, NULL, 0, NULL, &err), 0);
    put_raw(fx->s, "u/_delta_log/00000000000000000001.json",
            "{\"add\":{\"path\":\"a.parquet\",\"partitionValues\":{},\"size\":1,"
            "\"modificationTime\":1,\"dataChange\":true,\"deletionVector\":{\"storageType\":"
            "\"u\",\"pathOrInlineDv\":\"ab^-aqEH.-t@S}K{vb[*k^\",\"offset\":1,"
            "\"sizeInBytes\":36,\"cardinality\":2}}}\n");
    assert_int_equal(tl_lake_snapshot_load(fx->s, "u", NULL, &snap, &err), TL_ERR_INVALID);
    assert_null(snap);
    if (!strstr(err.msg, "'deletionVectors'"))
        fail_msg("error '%s' does not name the feature", err.msg);
}

/* Writer features: a table that Spark moved to writer version 7 (or a legacy
 * 3..6) stays readable, and ticklake writes to it only when its commits
 * cannot break the features' rules; otherwise the error names the feature,
 * both when checked directly and when a writer "creates" the table. */
static void put_protocol(fixture *fx, int64_t v, const char *protocol, const char *md_conf) {
    char key[128], text[1024];
    snprintf(key, sizeof key, "t/_delta_log/%020" PRId64 ".json", v);
    int n = snprintf(text, sizeof text, "{\"protocol\":%s}\n", protocol);
    if (md_conf)
        snprintf(text + n, sizeof text - (size_t)n,
                 "{\"metaData\":{\"id\":\"x\",\"format\":{\"provider\":\"parquet\"},"
                 "\"schemaString\":\"%s\",\"partitionColumns\":[],\"configuration\":%s}}\n",
                 "{\\\"type\\\":\\\"struct\\\",\\\"fields\\\":[{\\\"name\\\":\\\"id\\\","
                 "\\\"type\\\":\\\"long\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}}]}",
                 md_conf);
    put_raw(fx->s, key, text);
}

static void expect_writable(fixture *fx, const char *feature) {
    tl_err err = {0};
    tl_lake_snapshot *snap = load(fx->s, "t"); /* readable either way */
    int rc = tl_lake_snapshot_check_writable(snap, &err);
    tl_lake_snapshot_free(snap);
    int crc = tl_lake_create(fx->s, "t", SCHEMA, NULL, 0, NULL, &err);
    if (!feature) {
        assert_int_equal(rc, 0);
        assert_int_equal(crc, 0);
        return;
    }
    assert_int_equal(rc, TL_ERR_INVALID);
    assert_int_equal(crc, TL_ERR_INVALID);
    if (!strstr(err.msg, feature))
        fail_msg("error '%s' does not name %s", err.msg, feature);
}

static void test_writer_features(void **state) {
    fixture *fx = *state;
    tl_err err = {0};
    assert_int_equal(tl_lake_create(fx->s, "t", SCHEMA, NULL, 0, NULL, &err), 0);
    expect_writable(fx, NULL); /* ticklake's own 1/2 */
    /* what Delta 4 makes of a 1/2 table when a feature is enabled */
    put_protocol(fx, 1,
                 "{\"minReaderVersion\":1,\"minWriterVersion\":7,\"writerFeatures\":"
                 "[\"appendOnly\",\"invariants\",\"changeDataFeed\",\"timestampNtz\"]}",
                 NULL);
    expect_writable(fx, NULL);
    put_protocol(fx, 2,
                 "{\"minReaderVersion\":1,\"minWriterVersion\":7,\"writerFeatures\":"
                 "[\"appendOnly\",\"invariants\",\"inCommitTimestamp\"]}",
                 NULL);
    expect_writable(fx, "'inCommitTimestamp'");
    put_protocol(fx, 3,
                 "{\"minReaderVersion\":1,\"minWriterVersion\":7,\"writerFeatures\":"
                 "[\"domainMetadata\",\"rowTracking\"]}",
                 NULL);
    expect_writable(fx, "'domainMetadata'");
    /* legacy writer 3: CHECK constraints only matter once one is set */
    put_protocol(fx, 4, "{\"minReaderVersion\":1,\"minWriterVersion\":3}", "{}");
    expect_writable(fx, NULL);
    put_protocol(fx, 5, "{\"minReaderVersion\":1,\"minWriterVersion\":3}",
                 "{\"delta.constraints.positive\":\"id > 0\"}");
    expect_writable(fx, "'checkConstraints'");
    put_protocol(fx, 6, "{\"minReaderVersion\":1,\"minWriterVersion\":8}", NULL);
    expect_writable(fx, "writer version 8");
}

/* ---- cross-check with the independent Python replay --------------------------- */

static void test_python_replay_agrees(void **state) {
    fixture *fx = *state;
    tl_err err = {0};
    const char *cols[] = {"hour"};
    assert_int_equal(tl_lake_create(fx->s, "ticks", SCHEMA, cols, 1, NULL, &err), 0);
    tl_lake_kv pv[] = {{"hour", "2026-11-24 10:00:00"}};
    int64_t rv = 0;
    for (int i = 0; i < 6; i++) {
        tl_lake_tx *tx = tl_lake_tx_new("STREAMING UPDATE", NULL, &err);
        char path[128];
        snprintf(path, sizeof path, "hour=2026-11-24 10%%3A00%%3A00/part %d é.parquet", i);
        tl_lake_file f = mkfile(path, pv, 1, 10 + i);
        assert_int_equal(tl_lake_tx_add(tx, &f, &err), 0);
        tl_lake_tx_set_txn(tx, i % 2 ? "p1" : "p0", i, &err);
        if (i == 4) { /* drop the first file again */
            tl_lake_snapshot *snap = load(fx->s, "ticks");
            tl_lake_tx_remove(tx, tl_lake_snapshot_file(snap, 0), true, 0, &err);
            tl_lake_snapshot_free(snap);
        }
        assert_int_equal(tl_lake_commit(fx->s, "ticks", tx, rv, &rv, &err), 0);
        tl_lake_tx_destroy(tx);
    }
    tl_lake_snapshot *snap = load(fx->s, "ticks");
    const char *src = getenv("TL_SOURCE_DIR");
    char cmd[512];
    snprintf(cmd, sizeof cmd, "python3 '%s/tests/tools/delta_replay.py' '%s/ticks' --txn",
             src && *src ? src : ".", fx->root);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    tl_buf out = TL_BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
        tl_buf_append(&out, chunk, n);
    assert_int_equal(pclose(p), 0);
    yajl_val root = yajl_tree_parse(out.data, NULL, 0);
    assert_non_null(root);
    const char *vpath[] = {"version", NULL}, *fpath[] = {"files", NULL}, *tpath[] = {"txn", NULL};
    yajl_val jv = yajl_tree_get(root, vpath, yajl_t_number);
    yajl_val jf = yajl_tree_get(root, fpath, yajl_t_array);
    yajl_val jt = yajl_tree_get(root, tpath, yajl_t_object);
    assert_non_null(jv);
    assert_non_null(jf);
    assert_non_null(jt);
    assert_int_equal(YAJL_GET_INTEGER(jv), tl_lake_snapshot_version(snap));
    assert_int_equal(jf->u.array.len, tl_lake_snapshot_num_files(snap));
    assert_int_equal(jf->u.array.len, 5);
    for (size_t i = 0; i < jf->u.array.len; i++)
        assert_string_equal(YAJL_GET_STRING(jf->u.array.values[i]),
                            tl_lake_snapshot_file(snap, i)->path);
    assert_int_equal(jt->u.object.len, tl_lake_snapshot_num_txns(snap));
    for (size_t i = 0; i < jt->u.object.len; i++) {
        const char *app;
        int64_t v;
        tl_lake_snapshot_txn(snap, i, &app, &v, NULL);
        assert_string_equal(jt->u.object.keys[i], app);
        assert_int_equal(YAJL_GET_INTEGER(jt->u.object.values[i]), v);
    }
    yajl_tree_free(root);
    tl_buf_free(&out);
    tl_lake_snapshot_free(snap);
}

static void test_path_codec(void **state) {
    (void)state;
    const char *cases[][2] = {
        {"year=2026/a.parquet", "year=2026/a.parquet"},
        {"a b/c%d", "a%20b/c%25d"},
        {"x#y?z", "x%23y%3Fz"},
        {"é", "%C3%A9"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *e = tl_lake_path_encode(cases[i][0]);
        assert_string_equal(e, cases[i][1]);
        char *d = tl_lake_path_decode(e);
        assert_string_equal(d, cases[i][0]);
        free(e);
        free(d);
    }
    assert_null(tl_lake_path_decode("bad%2"));
    assert_null(tl_lake_path_decode("nul%00"));
    char *plus = tl_lake_path_decode("a+b");
    assert_string_equal(plus, "a+b");
    free(plus);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_golden_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_golden_multipart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_incomplete_checkpoint_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_table_is_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_after_log_cleanup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_sequence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_race, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported_reader, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_features, setup, teardown),
        cmocka_unit_test_setup_teardown(test_python_replay_agrees, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_lived_snapshot_tombstones, setup, teardown),
        cmocka_unit_test(test_path_codec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
