/* views — the lake as SQL: DuckDB views over the current snapshot of each
 * table, built from the Delta log (never from a folder listing), so a
 * reader sees exactly one committed version. */
#ifndef TL_QUERY_VIEWS_H
#define TL_QUERY_VIEWS_H

#include <stdbool.h>
#include <stdint.h>

#include "duck/duck.h"
#include "lake/lake.h"
#include "store/store.h"
#include "tables/tables.h"
#include "util/err.h"

typedef struct tl_views_info {
    int64_t ticks_version, deadletter_version; /* -1: table not created yet */
    size_t ticks_files, deadletter_files;
} tl_views_info;

/* CREATE OR REPLACE VIEW ticks / deadletter in d over the lake in store.
 * info may be NULL. */
int tl_views_register(tl_duck *d, tl_store *store, tl_views_info *info, tl_err *err);

/* Whether a file goes into a view (tl_views_create). */
typedef bool (*tl_views_keep_fn)(const tl_lake_file *file, void *ud);

/* CREATE OR REPLACE VIEW <def's name> in d over the files of snap (a
 * snapshot the caller keeps, e.g. refreshed incrementally) that keep
 * accepts (all when NULL); *kept (may be NULL) gets their count. No
 * lake_files rows: for readers that only query the table (the dashboard). */
int tl_views_create(tl_duck *d, tl_store *store, const tl_table *def,
                    const tl_lake_snapshot *snap, tl_views_keep_fn keep, void *ud, size_t *kept,
                    tl_err *err);

#endif
