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

/* One hour partition chosen for rewriting. in[] points into the snapshot
 * the plan was made from. */
typedef struct compact_part {
    int64_t hour_us;
    char dir[64]; /* "year=2026/month=11/day=24/hour=20" */
    const tl_lake_file **in;
    size_t n;
    int64_t bytes;
    int64_t rows; /* from the inputs' stats; -1 when one lacks numRecords */
} compact_part;

/* tl_compact_plan.c: the partitions of snap that need compaction under o
 * (o->has_hour restricts to one), in hour order. */
int tl_compact_plan(const tl_lake_snapshot *snap, const tl_compact_opts *o, int64_t now_ms,
                    compact_part **out, size_t *n, tl_err *err);
void tl_compact_plan_free(compact_part *p, size_t n);

/* compact_stats.c: Delta statistics of a Parquet file DuckDB wrote, from
 * its footer (row-group statistics), as a JSON object appended to out:
 * numRecords, minValues/maxValues (strings, numbers, timestamps as RFC 3339
 * UTC; booleans left out) and nullCount. *rows = numRecords. */
int tl_compact_file_stats(tl_duck *d, const char *path, tl_buf *out, int64_t *rows, tl_err *err);

/* compact_write.c: the inputs (a DuckDB list literal of local paths)
 * sorted by (symbol, ts) into about in_bytes/target zstd Parquet files
 * "<tmpdir>/out-K.parquet" over disjoint symbol ranges. *out_paths and each
 * path are malloc'ed; on error nothing is left behind. */
/* head: NULL, or a typed empty SELECT of the table's data columns when
 * schema evolution added some: every output then has all of them (inputs
 * written before a column was added have NULL there). */
int tl_compact_write_sorted(tl_duck *d, const char *inputs_sql, const char *head, int64_t in_bytes,
                            int64_t target, const char *tmpdir, char ***out_paths, size_t *nout,
                            tl_err *err);

/* compact_scratch.c: delete the scratch folders under the local folder
 * parent last touched more than older_than_ms before now_ms (left by killed
 * compactions); returns how many. */
size_t tl_compact_sweep_scratch(const char *parent, int64_t older_than_ms, int64_t now_ms);

#endif
