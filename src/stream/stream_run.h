/* stream_run — the one drive loop from a source into the stream, shared by
 * `stream` (Kafka or a JSONL file) and `up` (its stream thread): read a
 * batch, ingest it, flush when due, until the source ends or the caller
 * says stop; then the final flush and commit, and the source is closed.
 * After every lake commit the source hears the new positions (Kafka offset
 * commit, for lag monitoring). What differs between the commands (when to
 * stop, progress, the dashboard's counters) comes in as callbacks.
 *
 * Threading: runs on the thread that drives the stream; the callbacks run
 * on it too. */
#ifndef TL_STREAM_STREAM_RUN_H
#define TL_STREAM_STREAM_RUN_H

#include <stdbool.h>

#include "source/source.h"
#include "stream/stream.h"
#include "util/err.h"

typedef struct tl_stream_run_opts {
    /* Asked before every read: true ends the run cleanly (the final flush
     * and commit still happen). NULL: run until the source ends. */
    bool (*stop)(void *ud);
    /* After every batch was ingested and a due flush made: progress,
     * counters. May be NULL. */
    void (*batch_done)(void *ud, const tl_stream *st);
    void *ud;
} tl_stream_run_opts;

/* The hooks a partitioned source (Kafka) needs, served by st: assign =
 * tl_stream_assign_partition; revoke = flush everything read (a failed
 * flush fails the stream: rows read but not written must not be covered by
 * a later commit), then forget the partition; fail = tl_stream_fail. Give
 * them to the source when creating it (tl_source_kafka_opts.hooks). */
void tl_stream_source_hooks(tl_stream *st, tl_source_hooks *out);

/* Drive src into st (both borrowed). Returns 0 when the source ended or
 * stop said so and everything read is committed; else a negative tl_err
 * code with err set. When the source fails (not the stream), what was read
 * before is sound and is committed before its error is returned. The
 * source is closed in every case (bounded, whatever the brokers do). */
int tl_stream_run(tl_stream *st, tl_source *src, const tl_stream_run_opts *o, tl_err *err);

#endif
