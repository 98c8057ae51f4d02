/* The one place Delta actions become log lines: commits (delta_commit.c) and
 * checkpoint rows (delta_checkpoint_write.c) both call these, so the two
 * cannot disagree about a field. Each function writes one action as one
 * complete line ending in "\n" and returns 0 or the writer's sticky error.
 *
 * What is written follows "Actions" in PROTOCOL.md: required fields always,
 * optional fields only when known, and never a placeholder. So an add
 * without statistics has no "stats" (not "stats":null), a remove of unknown
 * size has neither "size" nor "extendedFileMetadata" (not "size":0, which
 * would claim an empty file), and absent name, description, createdTime,
 * deletionTimestamp and lastUpdated are left out. In a checkpoint the
 * missing key and null read the same (a NULL struct field), so this choice
 * only changes the commits, where delta-rs and Spark accept both. */
#ifndef TL_LAKE_DELTA_RENDER_H
#define TL_LAKE_DELTA_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "lake/lake.h"
#include "util/json_out.h"

/* add: path (RFC 2396-encoded), partitionValues, size, modificationTime,
 * dataChange, stats when f->stats is set. */
int tl_lake_render_add(tl_json *j, const tl_lake_file *f);

/* remove: path, deletionTimestamp when >= 0, dataChange; when the size is
 * known (>= 0) extendedFileMetadata:true with partitionValues and size,
 * else partitionValues only if there are any. */
int tl_lake_render_remove(tl_json *j, const tl_lake_file *f);

/* txn: appId, version, lastUpdated when >= 0. */
int tl_lake_render_txn(tl_json *j, const char *app_id, int64_t version, int64_t last_updated);

/* protocol: the two versions (ticklake writes and checkpoints 1/2 tables
 * only, which have no feature lists). */
int tl_lake_render_protocol(tl_json *j, const tl_lake_protocol *p);

/* metaData: id, name and description when set, format (provider, default
 * "parquet"; options {}), schemaString, partitionColumns, configuration,
 * createdTime when >= 0. */
int tl_lake_render_metadata(tl_json *j, const tl_lake_metadata *md);

/* commitInfo: provenance, free-form in the protocol; ticklake writes what
 * Spark's history() and delta-rs show. */
typedef struct tl_lake_commit_info {
    int64_t timestamp; /* ms since the epoch */
    const char *operation;
    const tl_lake_kv *params; /* operationParameters */
    size_t n_params;
    int64_t read_version; /* -1: not written (a creating commit) */
    bool blind_append;
    const tl_lake_kv *metrics; /* operationMetrics */
    size_t n_metrics;
    const char *engine_info;
    const char *txn_id;
} tl_lake_commit_info;

int tl_lake_render_commit_info(tl_json *j, const tl_lake_commit_info *ci);

#endif
