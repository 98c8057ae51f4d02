/* Batches in flight: up to s->nwriters sealed batches are written at once,
 * each on a thread of its own with a DuckDB database of its own (and the
 * native Parquet writer beside it, which encodes the tick files unless
 * lake.parquet_writer says duckdb: src/parquet/), while the stream's
 * thread goes on ingesting.
 *
 * Why several: a batch's Parquet encoding is about half of a backfill's CPU
 * and a single-threaded DuckDB pipeline per file, so with one batch in
 * flight the flush thread was the critical path: the stream's thread
 * waited for it before sealing the next batch while the other core had
 * little to do (BENCHMARKS.md "Several batches in flight").
 *
 * Order: whatever order the writes finish in, batches are committed on the
 * stream's thread strictly in epoch order (tl_stream_batch_commit: the
 * fence, the txn versions, dead letters first, the committed callback), the
 * oldest first and only once written. When a batch fails (its write, the
 * fence, a commit) the stream fails, and none after it is committed: they
 * are waited for and their files removed (the keys carry their attempt id,
 * and no commit names them). A failed stream commits nothing more.
 *
 * Memory: a batch is sealed beside others only while the batches in flight
 * and it hold at most stream.max_buffered_bytes together; otherwise the
 * oldest is finished first. So the buffers being filled plus the batches in
 * flight stay within about twice that cap, as with one batch in flight
 * (~2.25x with the kept row arrays). Each writer database adds DuckDB's own
 * (a few MB; duckdb.memory_limit bounds each). */
#define _GNU_SOURCE /* pthread_setname_np */
#include "stream/stream_int.h"

#include <string.h>

#include "util/log.h"

/* The native Parquet writer of writer slot i, unless DuckDB writes the
 * tick files (lake.parquet_writer duckdb, or format 2: src/parquet writes
 * format 1 only). The database stays: it writes the dead letters. */
static int open_native(tl_stream *s, int i) {
    const tl_duck_opts *o = tl_lake_opts_duck(s->opts.lake);
    if (o && (o->parquet_duckdb || o->parquet_version == 2))
        return 0;
    if (!s->pq[i] && !(s->pq[i] = tl_pq_writer_new()))
        return -1;
    return 0;
}

int tl_stream_writers_open(tl_stream *s, tl_err *err) {
    int w = s->opts.write_threads > 0 ? s->opts.write_threads : tl_stream_cores();
    s->nwriters = w < 1 ? 1 : w > TL_STREAM_MAX_WRITERS ? TL_STREAM_MAX_WRITERS : w;
#ifdef TL_TSAN
    /* The ThreadSanitizer build (make tsan): DuckDB's allocator is not
     * instrumented, so memory one writer's database freed and another's
     * reuses looks like a race between the two tl-flush threads (chunk
     * vectors filled by fill_chunk). One writer, as DuckDB gets one thread
     * in that build (src/duck/duck.c). */
    s->nwriters = 1;
#endif
    /* One DuckDB thread: each Parquet file is one COPY from tl_tick_rows(),
     * a single-threaded pipeline. A DuckDB worker thread cannot share that
     * work; it can only take the one task, and then the batch's thread
     * busy-polls for the result (mutexes, task queues) on another core.
     * With one thread the batch's thread runs the task itself: a perf
     * profile of `stream --from` 1M ticks had 15% fewer samples in all
     * (BENCHMARKS.md "Parquet writer"). Recovery scans with s->duck. */
    tl_duck_opts one = tl_duck_opts_one_thread(tl_lake_opts_duck(s->opts.lake));
    if (!(s->writers[0] = tl_duck_open(NULL, 0, &one, err)))
        return err && err->code ? err->code : TL_ERR_DUCKDB;
    if (open_native(s, 0) != 0)
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory (Parquet writer)");
    return 0;
}

void tl_stream_writers_close(tl_stream *s) {
    for (int i = 0; i < TL_STREAM_MAX_WRITERS; i++) {
        tl_duck_close(s->writers[i]);
        s->writers[i] = NULL;
        tl_pq_writer_destroy(s->pq[i]);
        s->pq[i] = NULL;
    }
}

static void *batch_thread(void *arg) {
    tl_batch *bt = arg;
    pthread_setname_np(pthread_self(), "tl-flush"); /* tells it apart in top and perf */
    tl_stream_batch_write(bt->owner, bt);
    return NULL;
}

/* A batch leaves the stream: its writer and its memory are free again. */
static void release(tl_stream *s, tl_batch *bt) {
    s->writer_busy &= ~(1u << bt->writer);
    s->inflight_bytes -= bt->mem;
    tl_stream_batch_free(bt);
}

/* Take the oldest batch in flight off the queue once its thread is done. */
static tl_batch *pop_oldest(tl_stream *s) {
    tl_batch *bt = s->inflight[0];
    pthread_join(bt->thread, NULL);
    s->ninflight--;
    memmove(s->inflight, s->inflight + 1, s->ninflight * sizeof *s->inflight);
    return bt;
}

/* Every batch in flight is dropped, oldest first: none of them was
 * offered to a commit, so their files can go. */
static void drop_all(tl_stream *s) {
    while (s->ninflight) {
        tl_batch *bt = pop_oldest(s);
        tl_stream_discard_published(s, bt, false);
        release(s, bt);
    }
}

/* Wait for the oldest batch and commit it; on a failure (or on a stream
 * that has failed) nothing after it commits either. */
static int finish_oldest(tl_stream *s, tl_err *err) {
    tl_batch *bt = pop_oldest(s);
    int rc;
    if (s->failed) { /* failed meanwhile (tl_stream_fail): commit nothing */
        tl_stream_discard_published(s, bt, false);
        rc = tl_stream_failed_err(s, err);
    } else {
        rc = tl_stream_batch_commit(s, bt, err);
    }
    release(s, bt);
    if (rc)
        drop_all(s);
    return rc;
}

int tl_stream_finish_inflight(tl_stream *s, tl_err *err) {
    while (s->ninflight) {
        int rc = finish_oldest(s, err);
        if (rc)
            return rc;
    }
    return 0;
}

void tl_stream_abandon_inflight(tl_stream *s) {
    drop_all(s);
}

int tl_stream_poll_inflight(tl_stream *s, tl_err *err) {
    int committed = 0;
    while (s->ninflight && atomic_load(&s->inflight[0]->done)) {
        int rc = finish_oldest(s, err);
        if (rc)
            return rc;
        committed = 1;
    }
    return committed;
}

/* Room for the buffers as one more batch in flight: a free writer, and the
 * memory cap (see the top); with nothing in flight there always is. */
static bool room(const tl_stream *s) {
    if (s->ninflight == 0)
        return true;
    int64_t cap = s->opts.max_buffered_bytes;
    return s->ninflight < (size_t)s->nwriters &&
           (cap <= 0 || s->inflight_bytes + s->buffered_bytes <= (size_t)cap);
}

/* A free writer for the next batch (there is room: see room()), opened
 * when first needed; -1 when one cannot be opened, and then the stream
 * keeps to the writers it has. */
static int free_writer(tl_stream *s) {
    int i = 0;
    while (i < s->nwriters && (s->writer_busy & (1u << i)))
        i++;
    if (s->writers[i])
        return i;
    tl_err e = {0};
    tl_duck_opts one = tl_duck_opts_one_thread(tl_lake_opts_duck(s->opts.lake));
    if ((s->writers[i] = tl_duck_open(NULL, 0, &one, &e))) {
        if (open_native(s, i) == 0)
            return i;
        tl_duck_close(s->writers[i]);
        s->writers[i] = NULL;
        tl_err_set(&e, TL_ERR_NOMEM, "out of memory");
    }
    tl_warnf("stream", TL_FIELDS(TL_LS("topic", s->topic), TL_LI("writers", i)),
             "cannot open Parquet writer %d (%s): writing with %d", i + 1, e.msg, i);
    s->nwriters = i; /* >= 1: writers[0] opened with the stream */
    return -1;
}

/* Write bt on this thread and commit it (no thread could be started):
 * after the batches before it, as always. Its writer was free and stays so. */
static int write_here(tl_stream *s, tl_batch *bt, tl_err *err) {
    int rc = tl_stream_finish_inflight(s, err);
    if (rc == 0) {
        tl_stream_batch_write(s, bt);
        rc = tl_stream_batch_commit(s, bt, err);
    }
    tl_stream_batch_free(bt);
    return rc;
}

int tl_stream_flush_async(tl_stream *s, tl_err *err) {
    if (s->failed)
        return tl_stream_failed_err(s, err);
    int rc = tl_stream_poll_inflight(s, err); /* the written ones first */
    if (rc < 0 || !tl_stream_has_work(s))
        return rc < 0 ? rc : 0;
    /* the schema may change only with no batch in flight */
    if (s->want_kept_col) {
        if ((rc = tl_stream_finish_inflight(s, err)) != 0)
            return rc;
        if ((rc = tl_stream_add_kept_column(s, err)) != 0) {
            tl_stream_fail(s, err);
            return rc;
        }
    }
    int w = 0;
    while (!room(s) || (w = free_writer(s)) < 0)
        if ((rc = finish_oldest(s, err)) != 0)
            return rc;
    tl_batch *bt = tl_stream_seal(s, err);
    if (!bt)
        return TL_ERR_NOMEM;
    bt->writer = w;
    bt->duck = s->writers[w];
    bt->pq = s->pq[w];
    if (pthread_create(&bt->thread, NULL, batch_thread, bt) != 0)
        return write_here(s, bt, err);
    s->writer_busy |= 1u << w;
    s->inflight_bytes += bt->mem;
    s->inflight[s->ninflight++] = bt;
    return 0;
}
