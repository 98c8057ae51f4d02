/* compact — lake maintenance: compaction of small files and vacuum of
 * unreferenced ones, both through the Delta log.
 *
 * Compaction rewrites the files of a partition into few files of about the
 * target size and commits ONE Delta commit per partition (operation
 * "OPTIMIZE") that removes the inputs and adds the outputs, all with
 * dataChange=false. Both Delta tables of the lake are compacted the same
 * way: ticks by hour partition (event time), sorted by (symbol, ts); dead
 * letters by day partition (date=, receive time), sorted by (source,
 * src_partition, src_offset) (compact_layout.c). Readers see the old
 * files or the new ones, never both and never neither. One commit per
 * partition (not per run) keeps a conflict on one busy hour from throwing
 * away the work done on the others.
 *
 * Which partitions (an hour of ticks, a day of dead letters): an open one
 * once it has min_files small files (size below half the target; only
 * those are merged, big files stay), and a closed one (its end + allowed
 * lateness has passed) with more than one file: then every file of it is
 * merged, big ones included, so late ticks end up sorted inside instead of
 * in tiny files beside a big one. A closed partition whose files all come
 * from one compaction is left alone (its outputs are already split by
 * size), which makes re-runs no-ops.
 *
 * Concurrency: appends by `stream` to the same hour do not conflict (their
 * files are simply not part of this rewrite). If a concurrent commit
 * removed one of the inputs, the commit fails with TL_ERR_CONFLICT; the
 * outputs are deleted, the snapshot reloaded and the partition planned and
 * rewritten again (a bounded number of times). A compaction killed at any
 * point leaves the snapshot as it was; its uploaded-but-uncommitted
 * outputs are orphans that vacuum removes after the retention.
 *
 * Threading: one tl_compact_run at a time per thread; it opens its own
 * DuckDB handle. */
#ifndef TL_COMPACT_COMPACT_H
#define TL_COMPACT_COMPACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lake/lake.h"
#include "store/store.h"
#include "util/cancel.h"
#include "util/err.h"

/* Called before each partition is rewritten (and once with done == total
 * at the end), for progress output. dir is "year=.../hour=HH". */
typedef void (*tl_compact_progress_fn)(void *ud, size_t done, size_t total, const char *dir,
                                       size_t files, int64_t bytes);

typedef struct tl_compact_opts {
    const char *table; /* NULL = "ticks" */
    bool has_hour;     /* only the hour starting at hour_us */
    int64_t hour_us;
    int64_t min_files;        /* open hour: compact at this many small files (>= 2) */
    int64_t target_file_size; /* bytes per output file */
    int64_t lateness_ms;      /* an hour is closed once its end + this has passed */
    int64_t now_ms;           /* 0 = the wall clock (tests pin it) */
    bool dry_run;             /* plan and report, write nothing */
    int max_attempts;         /* per partition, on conflicts; 0 = 5 */
    const char *cache_dir;    /* for stores without local paths; NULL = default */
    tl_compact_progress_fn progress;
    void *progress_ud;
    /* Asked before each partition and right before its commit: a yes
     * deletes that partition's outputs and stops with TL_ERR_STOPPED;
     * partitions committed before stay. NULL = never cancelled. */
    const tl_cancel *cancel;
    /* the commits' checkpoint policy and DuckDB limits; NULL = the defaults */
    const tl_lake_opts *lake;
} tl_compact_opts;

typedef struct tl_compact_stats {
    size_t partitions;   /* rewritten (dry run: would be) */
    size_t files_before; /* inputs of those partitions */
    size_t files_after;  /* outputs */
    int64_t bytes_before, bytes_after;
    int64_t rows;     /* rows rewritten */
    size_t conflicts; /* partition attempts lost to a concurrent commit */
    int64_t duration_ms;
    int64_t version; /* last version committed, -1 if none */
} tl_compact_stats;

/* "year=2026,month=11,day=24,hour=20" (',' or '/' between fields, the
 * folder form works too) -> the hour's start in µs. TL_ERR_INVALID with a
 * message naming the bad part. */
int tl_compact_parse_partition(const char *spec, int64_t *hour_us, tl_err *err);

/* Compact the table o->table (NULL = ticks; deadletter) as described
 * above. st is filled also on error (what was done until then). Errors: the
 * store's, DuckDB's, TL_ERR_CONFLICT when a partition kept conflicting past
 * max_attempts, TL_ERR_INVALID for a table compaction does not know. */
int tl_compact_run(tl_store *s, const tl_compact_opts *o, tl_compact_stats *st, tl_err *err);

/* The lake's tables `ticklake compact` and the scheduled job compact, in
 * that order. */
#define TL_COMPACT_NTABLES 2
extern const char *const tl_compact_tables[TL_COMPACT_NTABLES];

/* tl_compact_run on each of tl_compact_tables with o (o->table ignored);
 * st[i] is table i's. With o->has_hour only the ticks table (the partition
 * names one of its hours). Stops at the first table that fails, the error
 * naming it; what was committed before counts in st. A table that does not
 * exist yet has nothing to compact. */
int tl_compact_lake(tl_store *s, const tl_compact_opts *o, tl_compact_stats st[TL_COMPACT_NTABLES],
                    tl_err *err);

/* ---- vacuum ------------------------------------------------------------- */

typedef struct tl_vacuum_opts {
    int64_t retain_ms; /* removed (or unlogged) files younger than this stay */
    int64_t now_ms;    /* 0 = the wall clock */
    bool dry_run;
    /* Called for every file deleted (or, dry run, that would be): table,
     * path relative to the table, size, and why ("removed" or "orphan"). */
    void (*on_file)(void *ud, const char *table, const char *path, int64_t size, const char *why);
    void *ud;
    /* Asked before the deletion starts and between deletions (a cancelled
     * vacuum still commits VACUUM END with what it deleted). NULL = never. */
    const tl_cancel *cancel;
    /* the commits' checkpoint policy and DuckDB limits; NULL = the defaults */
    const tl_lake_opts *lake;
} tl_vacuum_opts;

typedef struct tl_vacuum_stats {
    size_t files; /* deleted (dry run: would be) */
    int64_t bytes;
    size_t kept_recent;  /* unreferenced but inside the retention */
    size_t scratch_dirs; /* scratch folders of killed compactions removed */
    size_t staging;      /* staging files of interrupted puts removed */
    size_t tmp_dirs;     /* temp folders of killed streams removed (lake/_tmp) */
} tl_vacuum_stats;

/* Files written by a writer that has not committed yet look exactly like
 * orphans; files not in the log are therefore kept at least this long,
 * whatever the retention (stream flushes and compactions finish well
 * within it). */
#define TL_VACUUM_ORPHAN_MIN_AGE_MS TL_STORE_LEFTOVER_AGE_MS

/* Delete the data files of `table` that its current snapshot does not
 * reference and that either were removed (tombstone) more than retain_ms
 * ago, or are not in the log at all and were last modified more than
 * max(retain_ms, TL_VACUUM_ORPHAN_MIN_AGE_MS) ago. Lists the table's data
 * folders (never _delta_log/ or names starting with '_' or '.'). The
 * snapshot is refreshed right before deleting and a file that became live
 * meanwhile is kept. Scratch folders of killed compactions inside the table
 * go after the same age. A table that does not exist is not an error. */
int tl_vacuum_table(tl_store *s, const char *table, const tl_vacuum_opts *o, tl_vacuum_stats *st,
                    tl_err *err);

#endif
