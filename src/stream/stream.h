/* stream — the engine between a source (Kafka or a JSONL file) and the lake.
 *
 * Each message is parsed and validated by the tick codec, checked against
 * the wall clock (too far in the future: dead letter), the event-time
 * watermark (behind it: kept, flagged late) and the dedupe state (a repeated
 * (symbol, seq): dropped and counted), then buffered per (UTC hour, source
 * partition). A flush writes every buffer as a Parquet file and makes one
 * Delta commit to the ticks table (after one to the dead-letter table when
 * records were rejected) that records, per source partition, the last
 * offset it covers (Delta `txn`). Only then is the source told (Kafka offset
 * commit). Because a flush always takes every buffered row, the `txn`
 * version of a partition is exactly "everything up to here is in the lake":
 * after a crash the stream resumes at txn + 1 and nothing is lost or
 * written twice.
 *
 * Threading: one thread drives a tl_stream; tl_stream_run may parse on
 * more (opts.parse_threads), and hands the results back to that thread in
 * source order. */
#ifndef TL_STREAM_STREAM_H
#define TL_STREAM_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lake/lake.h"
#include "store/store.h"
#include "tick/tick.h"
#include "util/err.h"
#include "util/json_out.h"

typedef struct tl_stream tl_stream;

typedef struct tl_stream_opts {
    /* Source naming. Kafka: topic + group set, appId "<group>/<topic>/<p>",
     * files "part-<topic>-<p>-<first>-<last>". File input: source_id set
     * (topic NULL), appId "file/<source_id>", files "part-<source_id>-...". */
    const char *topic;
    const char *group;
    const char *source_id;

    tl_ts_unit ts_unit;
    size_t max_message_bytes;
    int64_t flush_rows;          /* per hour buffer */
    int64_t flush_interval_ms;   /* at least this often, also when idle; < 0 = never
                                    on time, only on the row and memory caps */
    int64_t allowed_lateness_us; /* watermark = max event time - this */
    int64_t dedupe_horizon_us;   /* remember (symbol, seq) this far behind the watermark */
    int64_t max_future_skew_us;  /* beyond now + this: dead letter */
    int64_t max_buffered_rows;   /* across all buffers */
    /* Memory the buffers (row arrays as allocated, extra fields, dead
     * letters) may take before a full flush; 0 = no limit. With the batches
     * being written (which share this cap: write_threads) and the kept row
     * arrays, a stream's buffers use at most ~2.25x this. */
    int64_t max_buffered_bytes;

    /* Schema evolution: schema.extra_columns ("name:type,..." or NULL) and
     * what becomes of fields that are neither built-in nor extra columns
     * (TL_UNKNOWN_IGNORE, the zero value, ignores them as before; keep adds
     * the "extra" column to the lake at the first such field). */
    const char *extra_columns;
    tl_unknown_mode unknown_fields;

    /* Threads that parse and validate messages in tl_stream_run (0 or 1:
     * the stream's own thread, as tl_stream_ingest does). Everything that
     * depends on order stays on the stream's thread, in source order. */
    int parse_threads;
    /* Batches whose Parquet files are written at once, each on a thread
     * of its own (0: the cores available; 1: one at a time), at most
     * 4. Commits stay on the stream's thread, in order. */
    int write_threads;

    /* The commits' checkpoint policy and the DuckDB limits of the
     * stream's database (tl_cmd_lake_opts); NULL = the defaults.
     * Borrowed: outlives the stream. */
    const tl_lake_opts *lake;
} tl_stream_opts;

/* The cores this process may run on (stream.parse_threads' default, and
 * stream.write_threads = 0). */
int tl_stream_cores(void);

/* What the stream has done: printed on exit and on SIGUSR1, exposed as
 * /metrics by the dashboard. */
typedef struct tl_stream_counters {
    uint64_t received; /* messages read from the source (not skipped) */
    uint64_t accepted; /* rows buffered for the lake */
    uint64_t rejected; /* dead-lettered, any reason */
    uint64_t rejected_by_reason[TL_TICK_REASON_COUNT + 1]; /* index: tl_tick_reason; last = future */
    uint64_t late;                                      /* accepted with late = true */
    uint64_t duplicates;                                /* dropped as a repeated (symbol, seq) */
    uint64_t unknown_dropped; /* unknown fields dropped (schema.unknown_fields: drop) */
    uint64_t skipped;                                   /* already in the lake (replayed input) */
    uint64_t files_written, bytes_written;
    uint64_t dl_files_written;
    uint64_t commits;
    uint64_t commit_us_total, commit_us_max, commit_us_last;
    int64_t last_commit_version;
    int64_t last_commit_unix_ms;
    int64_t watermark_us; /* INT64_MIN until the first tick */
    uint64_t buffered_rows;
    uint64_t dedupe_entries;
} tl_stream_counters;

/* Opens (creating if needed) the ticks and dead-letter tables in store,
 * brings the ticks table's schema to opts' extra columns (a metaData commit
 * adding the missing ones; a lake column the configuration lacks or types
 * differently is refused, TL_ERR_INVALID naming it) and recovers the positions and the dedupe/watermark state from the lake.
 * store is borrowed and must outlive the stream. */
tl_stream *tl_stream_new(tl_store *store, const tl_stream_opts *opts, tl_err *err);
void tl_stream_destroy(tl_stream *s);

/* Where to resume a source partition: the offset after the last one the
 * lake holds, or -1 when it holds nothing of this partition yet. */
int64_t tl_stream_resume_offset(tl_stream *s, int32_t partition);

/* A partition was (re)assigned to this consumer: forget what we knew of it
 * (another consumer may have committed more meanwhile), re-read its
 * position from the lake and return where to resume, as resume_offset.
 * The ticks other consumers committed since the dedupe state was last
 * loaded are folded into it (their resends are duplicates here too); the
 * batches in flight are committed first. When that fails the stream fails
 * (-1): a missed file could let a duplicate through. */
int64_t tl_stream_assign_partition(tl_stream *s, int32_t partition);

/* Mark the stream failed (e.g. a flush on revoke failed): every later
 * ingest, flush or commit returns this error, so the process exits and a
 * restart resumes from the lake. */
void tl_stream_fail(tl_stream *s, const tl_err *err);

/* A source batch starts: its ticks share one wall-clock reading (their
 * ingest_ts and the future-skew check) until the next tl_stream_maybe_flush,
 * instead of a clock read per tick. Without it each tick reads the clock. */
void tl_stream_batch_begin(tl_stream *s);

/* Take one message. Offsets at or below what the lake already holds are
 * skipped (counted). Returns 0, or <0 on a fatal error (out of memory). */
int tl_stream_ingest(tl_stream *s, int32_t partition, int64_t offset, const char *data, size_t len,
                     tl_err *err);

/* Flush if a size, row cap or time trigger says so. Returns 1 when a commit
 * was made, 0 when nothing was due, <0 on error. */
int tl_stream_maybe_flush(tl_stream *s, tl_err *err);
/* Flush and commit everything buffered now (on revoke, on exit). */
int tl_stream_flush(tl_stream *s, tl_err *err);

/* Called after each lake commit for every partition whose position moved,
 * with the last offset now in the lake (Kafka commits last + 1). */
typedef void (*tl_stream_committed_fn)(void *ud, int32_t partition, int64_t last_offset);
void tl_stream_on_committed(tl_stream *s, tl_stream_committed_fn fn, void *ud);

/* Called in tl_stream_ingest for every accepted row (after validation,
 * dedupe and the late flag; before it is in the lake), on the ingesting
 * thread: the dashboard's live state under `ticklake up`. fn NULL = none. */
typedef void (*tl_stream_row_fn)(void *ud, const tl_tick_row *row);
void tl_stream_on_row(tl_stream *s, tl_stream_row_fn fn, void *ud);

/* Forget a partition's buffered rows and un-committed state (it was
 * revoked and is being handed to another consumer after a flush). */
void tl_stream_forget_partition(tl_stream *s, int32_t partition);

const tl_stream_counters *tl_stream_counters_get(const tl_stream *s);
/* Tombstones held by the stream's snapshots of its two tables: none, the
 * files a compaction removes are not kept (tests check it; see
 * tl_lake_snapshot_drop_tombstones). */
size_t tl_stream_lake_tombstones(const tl_stream *s);
void tl_stream_counters_print(const tl_stream *s, FILE *out);
void tl_stream_counters_json(const tl_stream *s, FILE *out);
/* The message counts received, accepted, rejected, late, duplicates and
 * skipped as members of an open JSON object: the stream's summary line and
 * the dashboard's health both start their counters with them. */
int tl_stream_counters_flow_members(tl_json *j, const tl_stream_counters *c);

#endif
