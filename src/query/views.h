/* views — the lake as SQL: DuckDB views over the current snapshot of each
 * table, built from the Delta log (never from a folder listing), so a
 * reader sees exactly one committed version. */
#ifndef TL_QUERY_VIEWS_H
#define TL_QUERY_VIEWS_H

#include <stdint.h>

#include "duck/duck.h"
#include "store/store.h"
#include "util/err.h"

typedef struct tl_views_info {
    int64_t ticks_version, deadletter_version; /* -1: table not created yet */
    size_t ticks_files, deadletter_files;
} tl_views_info;

/* CREATE OR REPLACE VIEW ticks / deadletter in d over the lake in store.
 * info may be NULL. */
int tl_views_register(tl_duck *d, tl_store *store, tl_views_info *info, tl_err *err);

#endif
