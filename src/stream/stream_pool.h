/* stream_pool — parse workers for tl_stream_run (stream.parse_threads > 1).
 *
 * The reading thread submits batches of messages (their bytes copied into
 * the batch's own buffer, so the source may release them at once); N
 * worker threads parse and validate them (tl_stream_parse_msg, one parser
 * each) into the batch's result array; the reading thread takes batches
 * back strictly in submission order and ingests them
 * (tl_stream_ingest_parsed), so everything that depends on order — offsets,
 * event time, dedupe, dead letters, buckets — sees the messages exactly as
 * the single thread does.
 *
 * A ring of 2N batch slots bounds what is in flight; slots, their buffers
 * and result arrays are reused (nothing is allocated per message, beyond
 * the extra fields of a message that has them, as on the single thread).
 * When the oldest batch is still waiting for a worker, the reading thread
 * parses it itself instead of waiting.
 *
 * Threading: every function is called from the stream's thread. */
#ifndef TL_STREAM_STREAM_POOL_H
#define TL_STREAM_STREAM_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "source/source.h"
#include "stream/stream_int.h"

typedef struct tl_stream_pool tl_stream_pool;

/* One batch back from the workers: n messages (data points into the
 * batch's buffer) and their parse results; a rejection's reason is
 * tl_stream_pool_batch_reason(b, i). */
typedef struct tl_stream_pool_batch tl_stream_pool_batch;

/* nthreads workers parsing as s's own parser does (ts unit, size cap,
 * extra columns, unknown fields). NULL with err set on failure. */
tl_stream_pool *tl_stream_pool_new(const tl_stream *s, int nthreads, tl_err *err);
/* Stops and joins the workers, dropping batches not taken back. */
void tl_stream_pool_destroy(tl_stream_pool *pool);

/* Batches submitted and not yet taken back. */
size_t tl_stream_pool_pending(const tl_stream_pool *pool);
bool tl_stream_pool_full(const tl_stream_pool *pool);

/* Copy msgs[0..n) into a free slot and queue it (the pool must not be
 * full). 0, or TL_ERR_NOMEM. */
int tl_stream_pool_submit(tl_stream_pool *pool, const tl_source_msg *msgs, size_t n, tl_err *err);

/* The oldest pending batch once it is parsed (waiting for it, or parsing
 * it on this thread when no worker took it yet); NULL when none is
 * pending, or, with wait false, when it is not parsed yet. Give it back
 * with tl_stream_pool_done before asking for the next. */
tl_stream_pool_batch *tl_stream_pool_next(tl_stream_pool *pool, tl_stream *s, bool wait);
void tl_stream_pool_done(tl_stream_pool *pool, tl_stream_pool_batch *b);

size_t tl_stream_pool_batch_len(const tl_stream_pool_batch *b);
const tl_source_msg *tl_stream_pool_batch_msg(const tl_stream_pool_batch *b, size_t i);
tl_stream_parsed *tl_stream_pool_batch_result(tl_stream_pool_batch *b, size_t i);
const tl_tick_error *tl_stream_pool_batch_reason(const tl_stream_pool_batch *b, size_t i);

#endif
