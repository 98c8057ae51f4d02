/* Shared between the compact module's files; not part of the public API. */
#ifndef TL_COMPACT_COMPACT_INT_H
#define TL_COMPACT_COMPACT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "compact/compact.h"
#include "duck/duck.h"
#include "lake/lake.h"
#include "util/buf.h"

#define COMPACT_PREFIX "part-compact-"
/* scratch folders: inside the table (hidden from listings) or the cache */
#define COMPACT_SCRATCH ".tl-tmp.compact-"

/* What compaction knows of a table (compact_layout.c). */
typedef struct compact_layout {
    const char *table;
    int64_t span_us; /* a partition's length: an hour (ticks), a day (deadletter) */
    /* the start of a file's partition from its partition values; -1: none */
    int (*file_part)(const tl_lake_file *f, int64_t *start_us);
    void (*part_dir)(int64_t start_us, char *out, size_t cap);
    const char *order_by;  /* the outputs' row order: "symbol, ts" */
    const char *split_col; /* a VARCHAR column: several outputs cover disjoint ranges of it */
    const char *order_rest; /* order_by after its first column, split_col: "ts" */
    const char *const *no_minmax; /* NULL-terminated, or NULL: columns without min/max stats */
} compact_layout;

/* The layout of a table, NULL for one compaction does not handle. */
const compact_layout *tl_compact_layout(const char *table);
/* The start of the partition ts_us falls in. */
int64_t tl_compact_part_floor(const compact_layout *l, int64_t ts_us);

/* One partition chosen for rewriting. in[] points into the snapshot the
 * plan was made from. */
typedef struct compact_part {
    int64_t start_us;
    char dir[64]; /* "year=2026/month=11/day=24/hour=20", "date=2026-11-24" */
    const tl_lake_file **in;
    size_t n;
    int64_t bytes;
    int64_t rows; /* from the inputs' stats; -1 when one lacks numRecords */
} compact_part;

/* tl_compact_plan.c: the partitions of snap (a table of layout l) that
 * need compaction under o (o->has_hour restricts to the partition holding
 * o->hour_us), in time order. */
int tl_compact_plan(const tl_lake_snapshot *snap, const compact_layout *l,
                    const tl_compact_opts *o, int64_t now_ms, compact_part **out, size_t *n,
                    tl_err *err);
void tl_compact_plan_free(compact_part *p, size_t n);

/* compact_stats.c: Delta statistics of a Parquet file DuckDB wrote, from
 * its footer (row-group statistics), as a JSON object appended to out:
 * numRecords, minValues/maxValues (strings, numbers, timestamps as RFC 3339
 * UTC; booleans and the columns named in no_minmax (NULL-terminated, or
 * NULL) left out) and nullCount. *rows = numRecords. */
int tl_compact_file_stats(tl_duck *d, const char *path, const char *const *no_minmax, tl_buf *out,
                          int64_t *rows, tl_err *err);

/* compact_write.c: the inputs (a DuckDB list literal of local paths)
 * sorted by l->order_by into about in_bytes/target zstd Parquet files
 * "<tmpdir>/out-K.parquet" over disjoint ranges of l->split_col. *out_paths
 * and each path are malloc'ed; on error nothing is left behind. */
/* head: NULL, or a typed empty SELECT of the table's data columns when
 * schema evolution added some: every output then has all of them (inputs
 * written before a column was added have NULL there). */
int tl_compact_write_sorted(tl_duck *d, const compact_layout *l, const char *inputs_sql,
                            const char *head, int64_t in_bytes, int64_t target, const char *tmpdir,
                            char ***out_paths, size_t *nout, tl_err *err);

/* compact_scratch.c: delete the scratch folders under the local folder
 * parent last touched more than older_than_ms before now_ms (left by killed
 * compactions); returns how many. */
size_t tl_compact_sweep_scratch(const char *parent, int64_t older_than_ms, int64_t now_ms);

#endif
