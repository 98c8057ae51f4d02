/* Internals shared by the stream engine's files (stream.c: ingest and
 * state; stream_flush.c: writing and committing; stream_recover.c: state
 * from the lake at start and at a partition handover). */
#ifndef TL_STREAM_STREAM_INT_H
#define TL_STREAM_STREAM_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "duck/duck.h"
#include "lake/lake.h"
#include "parquet/parquet.h"
#include "stream/dedupe.h"
#include "stream/stream.h"
#include "tables/tables.h"

#define TL_REASON_FUTURE TL_TICK_REASON_COUNT /* counters index for future_ts */

/* Rows of one UTC hour from one source partition: one Parquet file a flush. */
typedef struct tl_bucket {
    int64_t hour_us;
    int32_t partition;
    tl_tick_row *rows;
    size_t n, cap;
    size_t n_ext; /* rows with extra fields: freeing reads every row only if any */
} tl_bucket;

/* A rejected record waiting for the dead-letter table. */
typedef struct tl_dead {
    int32_t partition;
    int64_t offset;
    int64_t received_us;
    char code[96];
    char *msg;
    char *raw;
    size_t raw_len;
} tl_dead;

/* Where one source partition stands. in_lake <= sealed <= consumed. */
typedef struct tl_part {
    bool known;           /* position loaded from the lake */
    int64_t in_lake;      /* last offset the ticks table's txn covers, -1 none */
    int64_t dl_in_lake;   /* same for the dead-letter table */
    int64_t sealed;       /* last offset handed to a flush batch */
    int64_t consumed;     /* last offset taken by ingest, -1 none */
    int64_t max_event_us; /* newest event time seen in this partition */
    int64_t last_msg_ms;  /* monotonic time of its last message (idleness) */
} tl_part;

/* Batches that may be in flight at once (stream.write_threads' cap). */
#define TL_STREAM_MAX_WRITERS 4

/* One flush: the buffers taken at a moment, written to Parquet by a worker
 * thread while ingest goes on, then committed by the stream's thread. */
typedef struct tl_batch {
    uint64_t epoch;
    tl_duck *duck; /* the writer database it writes with: its own while in flight */
    tl_pq_writer *pq; /* the native Parquet writer beside it (NULL: DuckDB writes) */
    int writer;    /* the index of duck in s->writers */
    size_t mem;    /* buffered_bytes at the seal: what it holds until freed */
    tl_bucket *buckets;
    size_t nbuckets;
    tl_dead *dead;
    size_t ndead;
    int64_t *upto; /* per partition index: position this batch commits, -2 none */
    size_t nparts;
    tl_lake_tx *ticks_tx, *dl_tx;
    uint64_t files, bytes, dl_files;
    char attempt[17]; /* random id in this batch's file names: never another's key */
    struct tl_published { /* keys this batch put in the store, to take back if */
        char *key;        /* it never commits them */
        bool dead_table;
    } *published;
    size_t npublished;
    int rc;
    tl_err err;
    pthread_t thread;
    atomic_bool done;
    struct tl_stream *owner;
} tl_batch;

/* The ticks files whose (symbol, seq) pairs the dedupe state holds
 * (stream_recover.c): the dedupe horizon's files at the last fold, and the
 * files this stream committed since. */
typedef struct tl_folded {
    char **paths; /* sorted (strcmp) */
    size_t n;
    char **own; /* in commit order */
    size_t nown, cap_own;
    int64_t version; /* the snapshot version of the last fold */
} tl_folded;

struct tl_stream {
    tl_store *store;
    tl_stream_opts opts;
    char *topic, *group, *source_id;
    tl_tick_parser *parser;
    tl_duck *duck; /* recovery's scans of the lake */
    /* The Parquet writers, one DuckDB database each (one DuckDB thread):
     * [0] opened with the stream, the others when first needed. A batch in
     * flight holds one (writer_busy), so no two threads share a database. */
    tl_duck *writers[TL_STREAM_MAX_WRITERS];
    /* The native Parquet writers (lake.parquet_writer native), one beside
     * each database, handed to a batch with it; NULL when DuckDB writes. */
    tl_pq_writer *pq[TL_STREAM_MAX_WRITERS];
    int nwriters; /* batches that may be in flight: stream.write_threads */
    unsigned writer_busy;
    tl_dedupe *dedupe;
    char tmp_dir[1024];

    int64_t ticks_version; /* the last version we read or wrote */
    int64_t dl_version;
    tl_lake_snapshot *ticks_snap, *dl_snap;
    tl_folded folded;

    /* the ticks table's columns as the lake has them (the built-in ones,
     * then the added ones): what this stream's files are written with */
    tl_schema *schema;
    const char *xnames[TL_EXT_MAX]; /* the extra columns the parser fills */
    tl_ext_type xtypes[TL_EXT_MAX];
    size_t nx;
    bool ext_on;         /* the parser was set up for extra columns / unknown fields */
    bool want_kept_col;  /* a kept unknown field waits for the "extra" column */

    tl_part *parts; /* index partition + 1 (file input is partition -1) */
    size_t nparts;

    tl_bucket *buckets;
    size_t nbuckets, cap_buckets;
    /* Row arrays of flushed buckets, kept for the next ones: reusing them
     * saves the page faults of fresh large allocations on every flush. */
    struct {
        tl_tick_row *rows;
        size_t cap;
    } spare[8];
    size_t nspare;
    size_t spare_bytes;  /* of the kept arrays */
    size_t spare_budget; /* what they may take: spare_budget() in stream.c */
    tl_dead *dead;
    size_t ndead, cap_dead;
    size_t buffered; /* rows + dead letters */
    /* Memory those take: row arrays as allocated (a spare's whole capacity
     * too), extra fields, dead letters with their bytes. Reset at a seal. */
    size_t buffered_bytes;

    /* Batches being written by worker threads, oldest (lowest epoch) first:
     * committed in this order whatever order they finish in. */
    tl_batch *inflight[TL_STREAM_MAX_WRITERS];
    size_t ninflight;
    size_t inflight_bytes; /* the sum of their mem */
    /* The batches' commits run with no inline checkpoint (commit_opts:
     * opts.lake with interval 0); ckpt writes the due ones on its own
     * thread, so a checkpoint never holds up ingest, sealing or the next
     * commit. Drained when the stream is destroyed. */
    tl_lake_opts commit_opts;
    tl_lake_checkpointer *ckpt;
    int64_t batch_now_ms; /* monotonic clock, refreshed once per source batch */
    /* Wall clock of the batch being ingested (tl_stream_batch_begin), for
     * ingest_ts and the future-skew check: one clock read per batch, not
     * per tick (it was ~3% of `stream --from file`). 0 outside a batch:
     * each tick reads the clock. */
    int64_t batch_now_us;

    /* Event-time frontier: the smallest of the active partitions' newest
     * event times (a partition is idle, and does not hold the frontier back,
     * after TL_IDLE_MS without messages). watermark = frontier - lateness.
     * Per-partition, as Flink does, so a partition catching up after a
     * restart is not judged by another partition's progress. */
    int64_t frontier_us; /* INT64_MIN until the first tick */
    int64_t last_flush_ms;
    uint64_t flush_epoch;

    bool failed; /* a fatal error: no more ingest or commits */
    tl_err fail_err;

    tl_stream_committed_fn committed_fn;
    void *committed_ud;
    tl_stream_row_fn row_fn;
    void *row_ud;
    /* Parse workers at work (tl_stream_run): the source's hooks first
     * ingest every batch read before, as the single thread would have. */
    void (*drain_fn)(void *ud);
    void *drain_ud;
    tl_stream_counters c;
};

/* One message parsed apart from the stream (tl_stream_parse_msg, on any
 * thread with its own parser), waiting to be ingested in source order
 * (tl_stream_ingest_parsed, on the stream's thread). */
typedef enum { TL_PARSED_TICK, TL_PARSED_REJECT, TL_PARSED_NOMEM } tl_parsed_status;
typedef struct tl_stream_parsed {
    tl_tick tick;
    tl_tick_ext *ext; /* owned until ingested */
    uint32_t dropped; /* unknown fields dropped (schema.unknown_fields: drop) */
    uint32_t status;  /* tl_parsed_status */
} tl_stream_parsed;

/* The order-independent half of tl_stream_ingest: parse and validate
 * data with parser (set up as the stream's: tl_stream_pool_new does);
 * a rejection's reason goes to *terr. */
void tl_stream_parse_msg(tl_tick_parser *parser, bool ext_on, const char *data, size_t len,
                         tl_stream_parsed *out, tl_tick_error *terr);
/* The rest of tl_stream_ingest for a message parsed by tl_stream_parse_msg
 * (terr: its rejection, when pr->status says so): the same counters, dead
 * letters, event time, dedupe and buffering as tl_stream_ingest of the same
 * bytes. Takes pr->ext. */
int tl_stream_ingest_parsed(tl_stream *s, int32_t partition, int64_t offset, const char *data,
                            size_t len, tl_stream_parsed *pr, const tl_tick_error *terr,
                            tl_err *err);

tl_part *tl_stream_part(tl_stream *s, int32_t partition);
void tl_stream_app_id(const tl_stream *s, int32_t partition, char *out, size_t cap);
void tl_stream_src_name(const tl_stream *s, int32_t partition, char *out, size_t cap);
int64_t tl_stream_watermark(const tl_stream *s);
/* How far behind the watermark (symbol, seq) pairs are remembered: the
 * dedupe_horizon option, or the allowed lateness when it is unset (0). */
int64_t tl_stream_dedupe_horizon(const tl_stream *s);
void tl_stream_frontier_update(tl_stream *s);
#define TL_IDLE_MS 30000
bool tl_stream_positions_moved(const tl_stream *s);

/* The dedupe state and per-partition event times from the lake's files of
 * the dedupe horizon: all of them at start (tl_stream_recover), those
 * committed since the last fold at a partition handover (tl_stream_catch_up,
 * which commits the batches in flight first and re-reads the log). A file that
 * cannot be read is an error: the stream must not let a resend through. */
int tl_stream_recover(tl_stream *s, tl_err *err);
int tl_stream_catch_up(tl_stream *s, tl_err *err);
/* A ticks file this stream committed (path relative to the table): its rows
 * are in the dedupe state already, so a fold need not read it. */
void tl_stream_note_own_file(tl_stream *s, const char *path);
void tl_stream_folded_free(tl_stream *s);
int tl_stream_failed_err(const tl_stream *s, tl_err *err);
void tl_stream_dead_free(tl_dead *d);
/* Free the ext of each of n rows (before their array is dropped or reused). */
void tl_stream_rows_free_ext(tl_tick_row *rows, size_t n);
/* Add the unknown-fields column to the ticks table (keep mode, the first
 * time one is met): called between batches, never with any in flight. */
int tl_stream_add_kept_column(tl_stream *s, tl_err *err);
/* Give a bucket's row array back for reuse (or free it). */
void tl_stream_rows_release(tl_stream *s, tl_tick_row *rows, size_t cap);

/* ---- batches (stream_flush.c) ---- */
/* Take the buffers and the positions they reach; the stream starts afresh. */
tl_batch *tl_stream_seal(tl_stream *s, tl_err *err);
/* Write every file of the batch (with bt->duck) and describe it in the
 * batch's commits; sets bt->rc and bt->err, then bt->done. Touches only
 * the batch, the store, bt->duck and the stream's read-only settings, so
 * it may run on a worker thread, beside other batches' writes. */
int tl_stream_batch_write(tl_stream *s, tl_batch *bt);
/* On the stream's thread, in epoch order: commit a written batch (dead
 * letters first), then tell the source. A failure (its write's, the
 * fence's, a commit's) fails the stream. */
int tl_stream_batch_commit(tl_stream *s, tl_batch *bt, tl_err *err);
/* Remove the files a batch put in the store (it will never be committed). */
void tl_stream_discard_published(tl_stream *s, const tl_batch *bt, bool ticks_only);
void tl_stream_batch_free(tl_batch *bt);
/* Something to flush: buffered rows or positions moved. */
bool tl_stream_has_work(const tl_stream *s);

/* ---- batches in flight (stream_writers.c) ---- */
/* Open the first writer database (tl_stream_new). */
int tl_stream_writers_open(tl_stream *s, tl_err *err);
void tl_stream_writers_close(tl_stream *s);
/* Wait for every batch in flight and drop them without committing, their
 * files removed (shutdown). */
void tl_stream_abandon_inflight(tl_stream *s);
/* Seal the buffers and write them on a worker thread, beside the batches
 * in flight (after committing those written, and waiting for the oldest
 * while the writers or the memory cap are all taken). */
int tl_stream_flush_async(tl_stream *s, tl_err *err);
/* Wait for every batch in flight and commit them, oldest first. */
int tl_stream_finish_inflight(tl_stream *s, tl_err *err);
/* Commit the oldest batches in flight whose files are written: 1 if any. */
int tl_stream_poll_inflight(tl_stream *s, tl_err *err);

#endif
