/* lake — a Delta Lake table on a tl_store: snapshot replay and commits.
 *
 * A table lives under a key prefix of the store ("ticks" -> "ticks/...",
 * log in "ticks/_delta_log/"). Everything here follows the Delta
 * transaction log protocol (PROTOCOL.md of delta-io/delta), reader version
 * 1 and writer version 2, so Spark, Trino and DuckDB read what we write and
 * we read what Spark writes (JSON commits and V1 checkpoints, single and
 * multi-part).
 *
 * Snapshots come from the log only; data folders are never listed.
 *
 * Paths: the public API always uses plain (decoded) paths relative to the
 * table root, e.g. "year=2026/month=11/part 1.parquet". The log stores them
 * URI-encoded as the protocol requires; encoding and decoding happen here.
 *
 * Threading: a loaded snapshot is immutable and may be read from any
 * number of threads. A tl_lake_tx belongs to one thread. tl_lake_commit
 * may run concurrently in many threads and processes against one table:
 * put-if-absent on the version file decides, losers re-check and retry. */
#ifndef TL_LAKE_LAKE_H
#define TL_LAKE_LAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "duck/duck_opts.h"
#include "store/store.h"
#include "util/err.h"

/* A string pair: partition values, configuration, operation parameters.
 * value NULL is a JSON null (a null partition value). */
typedef struct tl_lake_kv {
    const char *key;
    const char *value;
} tl_lake_kv;

/* A data file as the log describes it: a live file (from `add`) or a
 * tombstone (from `remove`). As input to tl_lake_tx_add the caller owns
 * every pointer; in a snapshot the snapshot owns them. */
typedef struct tl_lake_file {
    const char *path; /* relative to the table root, decoded */
    const tl_lake_kv *partition_values;
    size_t n_partition_values;
    int64_t size;               /* bytes; -1 if a remove did not record it */
    int64_t modification_time;  /* ms since the epoch (add) */
    int64_t deletion_timestamp; /* ms since the epoch (remove); -1 for live files */
    bool data_change;
    const char *stats; /* per-file statistics JSON text, or NULL */
} tl_lake_file;

typedef struct tl_lake_metadata {
    const char *id;                 /* table GUID */
    const char *name, *description; /* NULL when absent */
    const char *format_provider;    /* "parquet" */
    const char *schema_string;      /* Delta schema JSON */
    const char *const *partition_columns;
    size_t n_partition_columns;
    const tl_lake_kv *configuration;
    size_t n_configuration;
    int64_t created_time; /* ms, -1 when absent */
} tl_lake_metadata;

typedef struct tl_lake_protocol {
    int min_reader_version, min_writer_version;
} tl_lake_protocol;

/* ---- snapshots ---------------------------------------------------------- */

typedef struct tl_lake_snapshot tl_lake_snapshot;

/* Replay <table>/_delta_log/ up to its latest version: from the newest
 * complete checkpoint plus the later JSON commits, or from version 0. One
 * listing of _delta_log/ finds commits and checkpoints (multi-part ones
 * with a part missing are ignored); _last_checkpoint is only a cross-check.
 * If the checkpoint cannot be read but the JSON history is complete, the
 * JSON is replayed instead (with a warning).
 * A table that does not exist yet gives an empty snapshot with version -1.
 * Errors: TL_ERR_CORRUPT for unparsable lines (naming file and line) and
 * gaps in the version sequence; TL_ERR_INVALID for tables that need a
 * newer reader than protocol version 1. *out is owned by the caller.
 * duck (copied; NULL = DuckDB's defaults) limits the DuckDB database that
 * reads a checkpoint, now and in later refreshes of the snapshot. */
int tl_lake_snapshot_load(tl_store *s, const char *table, const tl_duck_opts *duck,
                          tl_lake_snapshot **out, tl_err *err);

/* Apply the commits made since snap was loaded, probing version+1, +2, ...
 * (one get each, no listing: cheap to call after every commit). Each
 * commit is applied whole or not at all, so on error snap still describes
 * a consistent, possibly older, version. Not safe while other threads read
 * snap. Assumes the log is not cleaned up behind the snapshot. */
int tl_lake_snapshot_refresh(tl_store *s, tl_lake_snapshot *snap, tl_err *err);

void tl_lake_snapshot_free(tl_lake_snapshot *snap);

int64_t tl_lake_snapshot_version(const tl_lake_snapshot *snap); /* -1: no table yet */
const char *tl_lake_snapshot_table(const tl_lake_snapshot *snap);
/* NULL when the table does not exist yet. */
const tl_lake_metadata *tl_lake_snapshot_metadata(const tl_lake_snapshot *snap);
const tl_lake_protocol *tl_lake_snapshot_protocol(const tl_lake_snapshot *snap);

/* 0 when ticklake may commit to the table: its writer protocol (version, or
 * writerFeatures at version 7) asks nothing that ticklake's commits (appends,
 * dataChange=false rewrites, commitInfo-only vacuum commits) would break.
 * Else TL_ERR_INVALID naming the feature (e.g. 'deletionVectors',
 * 'inCommitTimestamp', 'rowTracking', or 'invariants' when the schema sets
 * some). Reading such a table may still work: see tl_lake_snapshot_load.
 * A table that does not exist yet is writable. */
int tl_lake_snapshot_check_writable(const tl_lake_snapshot *snap, tl_err *err);

/* Live files, sorted by path (strcmp). Pointers live as long as snap. */
size_t tl_lake_snapshot_num_files(const tl_lake_snapshot *snap);
const tl_lake_file *tl_lake_snapshot_file(const tl_lake_snapshot *snap, size_t i);
/* Tombstones (removed files, kept for vacuum), sorted by path. */
size_t tl_lake_snapshot_num_tombstones(const tl_lake_snapshot *snap);
const tl_lake_file *tl_lake_snapshot_tombstone(const tl_lake_snapshot *snap, size_t i);

/* A table's tombstones stay in its log for their retention (a week), so a
 * long-lived snapshot, refreshed at every commit, kept every file removed
 * since it was loaded (~0.7 KB each; every compaction removes the small
 * files of the stream's flushes, ~500 a minute at 10k ticks/s): its memory
 * grew for as long as the process ran. A reader that does not look at
 * tombstones (only vacuum and checkpoints do) drops them:
 *   tl_lake_snapshot_drop_tombstones: drops those held, and later refreshes
 *     (a full reload too) apply a remove by ending the live file only;
 *   tl_lake_snapshot_forget_tombstones: drops those held whose deletion is
 *     older than before_ms (or unknown), once (a reader that wants the
 *     newest removals only). */
void tl_lake_snapshot_drop_tombstones(tl_lake_snapshot *snap);
void tl_lake_snapshot_forget_tombstones(tl_lake_snapshot *snap, int64_t before_ms);

/* The latest txn version recorded for app_id, -1 when none. */
int64_t tl_lake_snapshot_txn_version(const tl_lake_snapshot *snap, const char *app_id);
/* All txn entries, sorted by app id. */
size_t tl_lake_snapshot_num_txns(const tl_lake_snapshot *snap);
void tl_lake_snapshot_txn(const tl_lake_snapshot *snap, size_t i, const char **app_id,
                          int64_t *version, int64_t *last_updated);

/* ---- writing ------------------------------------------------------------ */

/* Create the table: version 0 with protocol (reader 1, writer 2) and
 * metaData (fresh UUID, parquet, schema_string, partition columns).
 * Returns 0 also when the table already exists with the same schema string
 * and partition columns (a concurrent identical creator won: fine) and
 * ticklake may write to it (tl_lake_snapshot_check_writable, else
 * TL_ERR_INVALID); TL_ERR_CONFLICT when it exists with a different
 * definition. duck: the limits of the checkpoint reader that loads an
 * existing table (NULL = DuckDB's defaults). */
int tl_lake_create(tl_store *s, const char *table, const char *schema_string,
                   const char *const *partition_columns, size_t n_partition_columns,
                   const tl_duck_opts *duck, tl_err *err);

/* How a writer's commits keep the log short: after every commit whose
 * version is a positive multiple of checkpoint_interval (0 = never) a
 * checkpoint is written, then the log behind the newest checkpoint is
 * cleaned up, keeping log_retention_ms (setting lake.log_retention). A
 * writer whose snapshot is older than the retention could commit a version
 * that cleanup already deleted, which readers would then skip: keep it far
 * longer than any snapshot lives. The command layer fills one from the
 * settings (tl_cmd_lake_opts) and hands it to every module that commits;
 * there are no process-wide settings. duck limits the DuckDB databases
 * that write checkpoints (and, for the modules that take a tl_lake_opts,
 * read them: tl_lake_snapshot_load). */
typedef struct tl_lake_opts {
    int64_t checkpoint_interval;
    int64_t log_retention_ms;
    tl_duck_opts duck;
} tl_lake_opts;

#define TL_LAKE_CHECKPOINT_INTERVAL 10
#define TL_LAKE_LOG_RETENTION_MS (30LL * 24 * 3600 * 1000)

/* The defaults above (what a NULL tl_lake_opts* means everywhere). */
tl_lake_opts tl_lake_opts_default(void);

/* o's DuckDB limits, NULL (DuckDB's defaults) for a NULL o. */
static inline const tl_duck_opts *tl_lake_opts_duck(const tl_lake_opts *o) {
    return o ? &o->duck : NULL;
}

/* A commit under construction (Delta's "optimistic transaction"). */
typedef struct tl_lake_tx tl_lake_tx;

/* operation names the commit in commitInfo as Delta does ("CREATE TABLE",
 * "STREAMING UPDATE", "OPTIMIZE", "VACUUM START", "VACUUM END"). A tx with
 * no add, remove or txn is a commitInfo-only commit (what VACUUM writes).
 * opts (copied; NULL = tl_lake_opts_default()) is the checkpoint policy its
 * commit follows. */
tl_lake_tx *tl_lake_tx_new(const char *operation, const tl_lake_opts *opts, tl_err *err);
void tl_lake_tx_destroy(tl_lake_tx *tx);

/* Add a file (everything copied). f->stats, when set, must be JSON text;
 * it is embedded as a JSON string. deletion_timestamp is ignored. */
int tl_lake_tx_add(tl_lake_tx *tx, const tl_lake_file *f, tl_err *err);
/* Remove a file (e.g. one taken from a snapshot). deletion_ts_ms <= 0 means
 * now. data_change=false for compaction, which only rearranges data. */
int tl_lake_tx_remove(tl_lake_tx *tx, const tl_lake_file *f, bool data_change,
                      int64_t deletion_ts_ms, tl_err *err);
/* Record app_id's progress (Delta `txn`; lastUpdated = now). One per app id;
 * a second call for the same app id replaces the version. */
int tl_lake_tx_set_txn(tl_lake_tx *tx, const char *app_id, int64_t version, tl_err *err);
/* A commitInfo operationParameters entry (string value). */
int tl_lake_tx_param(tl_lake_tx *tx, const char *key, const char *value, tl_err *err);
/* A commitInfo operationMetrics entry (string value, as Delta writes them).
 * Without any, the metrics are numAddedFiles and numRemovedFiles. */
int tl_lake_tx_metric(tl_lake_tx *tx, const char *key, const char *value, tl_err *err);

/* Make tx change the table's metaData (schema evolution): md as a
 * snapshot has it (same id, partitioning, configuration) with a new
 * schema_string. Everything copied. Such a commit retries past plain
 * appends but fails with TL_ERR_CONFLICT after another metaData change, so
 * the caller re-reads the schema and decides again. */
int tl_lake_tx_set_metadata(tl_lake_tx *tx, const tl_lake_metadata *md, const char *schema_string,
                            tl_err *err);

/* Write tx as version read_version+1 of the table (read_version: the
 * snapshot version the caller based its work on, -1 for none). If another
 * writer got there first, the winning commits are checked: when one records
 * a txn for an app id this tx also sets, removes a file this tx removes, or
 * changes metaData/protocol, the commit fails with TL_ERR_CONFLICT (not
 * retriable; the message names the app id or file and the version);
 * otherwise it is retried at the next free version, a bounded number of
 * times. On success *committed_version (may be NULL) is the version
 * written. tx is not consumed and may be destroyed afterwards. */
int tl_lake_commit(tl_store *s, const char *table, tl_lake_tx *tx, int64_t read_version,
                   int64_t *committed_version, tl_err *err);

/* ---- helpers ------------------------------------------------------------ */

/* The log key of a version: "<table>/_delta_log/<20 digits>.json".
 * Returns 0, or -1 when cap is too small. */
int tl_lake_log_key(const char *table, int64_t version, char *out, size_t cap);

/* Path encoding as the log stores it (RFC 2396; '=' and '/' kept, ' ' ->
 * "%20", '%' -> "%25", non-ASCII bytes as %XX) and back. Returned strings
 * are malloc'ed (NULL on out of memory or, for decode, bad escapes; errno
 * tells them apart: ENOMEM or EINVAL). */
char *tl_lake_path_encode(const char *path);
char *tl_lake_path_decode(const char *uri_path);

/* ---- checkpoints and log cleanup (delta_checkpoint_write.c) ------------- */

/* Write a V1 single-part checkpoint of snap ("<version>.checkpoint.parquet":
 * columns txn, add, remove, metaData, protocol as structs, partitionValues
 * as MAP<string,string>, stats as a JSON string) through DuckDB, then
 * _last_checkpoint ({"version":V,"size":rows}) unless it already names a
 * newer one. Tombstones whose deletion is older than tombstone_ms ago are
 * left out (vacuum treats their files as orphans). Overwriting a checkpoint
 * of the same version is harmless: both describe the same state. Tables
 * that need reader/writer features beyond protocol 1/2 are refused
 * (TL_ERR_INVALID): we would drop what we do not understand. duck: the
 * limits of the DuckDB database that writes the Parquet (NULL = DuckDB's). */
int tl_lake_checkpoint_write(tl_store *s, const tl_lake_snapshot *snap, int64_t tombstone_ms,
                             const tl_duck_opts *duck, tl_err *err);

/* The commit hook: when version is a positive multiple of
 * o->checkpoint_interval (o NULL: the defaults), load the table (at version
 * or later), write its checkpoint (DuckDB limited by o->duck) and clean up the log with
 * o->log_retention_ms. Called by tl_lake_commit after every successful
 * commit with its tx's opts; errors are returned but a failed checkpoint
 * never undoes the commit. */
int tl_lake_maybe_checkpoint(tl_store *s, const char *table, int64_t version,
                             const tl_lake_opts *o, tl_err *err);

/* ---- checkpoints off the committing thread (delta_checkpointer.c) ------- */

/* A thread that writes the checkpoints a writer's commits call for, so the
 * committing thread does not wait for them (the stream: ingest and flushes
 * went on hold for a whole checkpoint every 10th commit). The writer
 * commits with checkpoint_interval 0 and offers each committed version.
 * One thread per checkpointer: its checkpoints never overlap. A table has
 * at most one waiting job; a newer offer replaces it. A crash mid-way
 * leaves what an interrupted inline checkpoint does (tl_lake_checkpoint_
 * write puts the Parquet whole and _last_checkpoint last): the table stays
 * readable. The store must outlive the checkpointer. */
typedef struct tl_lake_checkpointer tl_lake_checkpointer;

typedef struct tl_lake_checkpointer_stats {
    uint64_t written;  /* checkpoints (with their log cleanup) done */
    uint64_t failed;   /* failed ones (warned; a checkpoint is optional) */
    uint64_t replaced; /* offers folded into a waiting job of the same table */
    uint64_t dropped;  /* offers for more tables than it keeps slots for */
} tl_lake_checkpointer_stats;

/* o: the checkpoint interval and log retention (NULL: the defaults). */
tl_lake_checkpointer *tl_lake_checkpointer_new(tl_store *s, const tl_lake_opts *o, tl_err *err);
/* After version of table was committed: queue its checkpoint when the
 * interval calls for one. Never waits for a running checkpoint. 1 queued,
 * 0 not due, TL_ERR_NOMEM. Any thread. */
int tl_lake_checkpointer_offer(tl_lake_checkpointer *c, const char *table, int64_t version);
/* Wait until nothing is queued or running (NULL: nothing to wait for). */
void tl_lake_checkpointer_drain(tl_lake_checkpointer *c);
tl_lake_checkpointer_stats tl_lake_checkpointer_stats_get(tl_lake_checkpointer *c);
/* Run what is queued, stop the thread, free (NULL: nothing). */
void tl_lake_checkpointer_destroy(tl_lake_checkpointer *c);

/* Delete JSON commits and checkpoints older than the newest complete
 * checkpoint whose modification time is more than retention_ms ago. The
 * newest checkpoint, its version's commit and everything after are never
 * touched. *deleted (may be NULL) counts the files removed. */
int tl_lake_log_cleanup(tl_store *s, const char *table, int64_t retention_ms, size_t *deleted,
                        tl_err *err);

#endif
