/* Snapshot replay time as a table's log grows to 10,000 commits, with
 * checkpoints (every 10 commits, as tl_lake_commit writes them) and
 * without (full JSON replay).
 *
 * The table looks like a streamed, compacted ticks table: every commit
 * appends one file with stats and a txn; every 10th commit is a compaction
 * that removes the files since the previous one and adds one (so live files
 * stay few and tombstones pile up, as in the real lake). Commits are made
 * with checkpoints off (fast); at each measuring point a checkpoint is
 * written 5 commits back, i.e. the typical distance in steady state. A
 * checkpoint holds the live files and the tombstones younger than 7 days,
 * so its read time follows those, not the number of commits: the last
 * column is the same table once its tombstones have expired.
 *
 * Usage: bench_replay [COMMITS] [DIR]   (default 10000, a temp dir) */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lake/lake.h"
#include "store/store.h"
#include "tables/tables.h"

#define TABLE "ticks"
#define RUNS 3

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const tl_err *err) {
    fprintf(stderr, "bench_replay: %s: %s\n", what, err->msg);
    exit(1);
}

static const char stats[] =
    "{\"numRecords\":5000,\"minValues\":{\"symbol\":\"AAL\",\"ts\":\"2026-11-24T10:00:00.000000Z\","
    "\"price\":2.6,\"size\":1,\"seq\":1},\"maxValues\":{\"symbol\":\"XOM\",\"ts\":"
    "\"2026-11-24T10:00:05.000000Z\",\"price\":890.21,\"size\":1900,\"seq\":374},\"nullCount\":"
    "{\"symbol\":0,\"ts\":0,\"price\":0,\"size\":0,\"seq\":0}}";

/* The history's commits write no checkpoints: the benchmark writes its own. */
static const tl_lake_opts no_checkpoints = {.checkpoint_interval = 0,
                                            .log_retention_ms = TL_LAKE_LOG_RETENTION_MS};

/* Commit number i (1-based) of the synthetic history. */
static void commit_one(tl_store *s, tl_lake_snapshot *snap, int64_t i) {
    tl_err err = {0};
    char path[128];
    tl_lake_kv pv[4] = {{"year", "2026"}, {"month", "11"}, {"day", "24"}, {"hour", "10"}};
    bool compaction = i % 10 == 0;
    tl_lake_tx *tx = tl_lake_tx_new(compaction ? "OPTIMIZE" : "STREAMING UPDATE",
                                    &no_checkpoints, &err);
    if (compaction) {
        for (size_t k = 0; k < tl_lake_snapshot_num_files(snap); k++)
            if (tl_lake_tx_remove(tx, tl_lake_snapshot_file(snap, k), false, 0, &err) != 0)
                die("remove", &err);
        snprintf(path, sizeof path,
                 "year=2026/month=11/day=24/hour=10/part-compact-%" PRId64 ".zstd.parquet", i);
    } else {
        snprintf(path, sizeof path,
                 "year=2026/month=11/day=24/hour=10/part-src-%" PRId64 ".zstd.parquet", i);
        if (tl_lake_tx_set_txn(tx, "file/bench", i, &err) != 0)
            die("txn", &err);
    }
    tl_lake_file f = {.path = path,
                      .partition_values = pv,
                      .n_partition_values = 4,
                      .size = 30000,
                      .modification_time = 1795514400000 + i,
                      .data_change = !compaction,
                      .stats = stats};
    if (tl_lake_tx_add(tx, &f, &err) != 0 ||
        tl_lake_commit(s, TABLE, tx, tl_lake_snapshot_version(snap), NULL, &err) != 0)
        die("commit", &err);
    tl_lake_tx_destroy(tx);
    if (tl_lake_snapshot_refresh(s, snap, &err) != 0)
        die("refresh", &err);
}

static double time_load(tl_store *s, int64_t *files) {
    double best = 1e9;
    for (int r = 0; r < RUNS; r++) {
        tl_err err = {0};
        tl_lake_snapshot *snap;
        double t0 = now_s();
        if (tl_lake_snapshot_load(s, TABLE, &snap, &err) != 0)
            die("load", &err);
        double t = now_s() - t0;
        *files = (int64_t)tl_lake_snapshot_num_files(snap);
        tl_lake_snapshot_free(snap);
        if (t < best)
            best = t;
    }
    return best;
}

/* Move the checkpoints out of the log and back (to time a JSON replay). */
static void stash_checkpoints(const char *root, bool away) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             away ? "mkdir -p '%1$s/stash' && mv '%1$s/" TABLE "/_delta_log/'*checkpoint* "
                    "'%1$s/stash/'"
                  : "mv '%1$s/stash/'* '%1$s/" TABLE "/_delta_log/'",
             root);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_replay: '%s' failed\n", cmd);
        exit(1);
    }
}

int main(int argc, char **argv) {
    int64_t commits = argc > 1 ? strtoll(argv[1], NULL, 10) : 10000;
    char root[256];
    if (argc > 2)
        snprintf(root, sizeof root, "%s", argv[2]);
    else {
        snprintf(root, sizeof root, "%s/tl-bench-replay-XXXXXX",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(root))
            return 1;
    }
    tl_err err = {0};
    tl_store *s = tl_store_open(root, &err);
    if (!s || tl_table_create(s, &tl_ticks_table, &err))
        die("create", &err);
    tl_lake_snapshot *snap;
    if (tl_lake_snapshot_load(s, TABLE, &snap, &err) != 0)
        die("load", &err);
    static const int64_t points[] = {100, 1000, 2500, 5000, 7500, 10000, 20000, 50000};
    printf("%8s %8s %12s %14s %14s %18s\n", "commits", "live", "tombstones", "json replay s",
           "checkpoint s", "ckpt, no tombs s");
    for (size_t p = 0; p < sizeof points / sizeof points[0] && points[p] <= commits; p++) {
        while (tl_lake_snapshot_version(snap) < points[p] - 5)
            commit_one(s, snap, tl_lake_snapshot_version(snap) + 1);
        if (tl_lake_checkpoint_write(s, snap, 7LL * 24 * 3600 * 1000, &err) != 0)
            die("checkpoint", &err);
        while (tl_lake_snapshot_version(snap) < points[p])
            commit_one(s, snap, tl_lake_snapshot_version(snap) + 1);
        int64_t live, live2;
        double with = time_load(s, &live);
        stash_checkpoints(root, true);
        double without = time_load(s, &live2);
        stash_checkpoints(root, false);
        if (live != live2) {
            fprintf(stderr, "bench_replay: replays disagree (%" PRId64 " vs %" PRId64 " files)\n",
                    live, live2);
            return 1;
        }
        /* the same checkpoint once the tombstones have expired (7 days on) */
        tl_lake_snapshot *at_ckpt;
        int64_t live3;
        if (tl_lake_snapshot_load(s, TABLE, &at_ckpt, &err) != 0 ||
            tl_lake_checkpoint_write(s, at_ckpt, 0, &err) != 0)
            die("checkpoint without tombstones", &err);
        tl_lake_snapshot_free(at_ckpt);
        double expired = time_load(s, &live3);
        printf("%8" PRId64 " %8" PRId64 " %12zu %14.3f %14.3f %18.3f\n", points[p], live,
               tl_lake_snapshot_num_tombstones(snap), without, with, expired);
        fflush(stdout);
    }
    tl_lake_snapshot_free(snap);
    tl_store_destroy(s);
    if (argc <= 2) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
        if (system(cmd) != 0)
            return 1;
    }
    return 0;
}
