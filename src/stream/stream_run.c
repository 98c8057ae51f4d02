/* stream_run: the drive loop (see stream_run.h). */
#include "stream/stream_run.h"

#include <stdlib.h>

#include "stream/stream_int.h"
#include "stream/stream_pool.h"
#include "util/log.h"

#define RUN_BATCH 4096   /* messages per read at most */
#define RUN_WAIT_MS 100  /* a read waits at most this long */

static void on_committed(void *ud, int32_t partition, int64_t last_offset) {
    tl_source *src = ud;
    src->ops->committed(src, partition, last_offset);
}

/* With parse workers, batches read before a hook are ingested first: the
 * hook then sees the stream as the single thread leaves it (a revoke
 * flushes everything read of the partition, an assignment and a failure
 * come after everything read before them). */
static void drain(tl_stream *st) {
    if (st->drain_fn)
        st->drain_fn(st->drain_ud);
}

static int64_t hook_assign(void *ud, int32_t partition) {
    drain(ud);
    return tl_stream_assign_partition(ud, partition);
}

static void hook_revoke(void *ud, int32_t partition) {
    tl_stream *st = ud;
    tl_err err;
    drain(st);
    int rc = tl_stream_flush(st, &err);
    if (rc != 0) {
        /* fatal: the stream stops and a restart resumes from the lake */
        tl_err_wrap(&err, rc, "flush on revoke of partition %d", (int)partition);
        tl_stream_fail(st, &err);
    }
    tl_stream_forget_partition(st, partition);
}

static void hook_fail(void *ud, const tl_err *err) {
    drain(ud);
    tl_stream_fail(ud, err);
}

void tl_stream_source_hooks(tl_stream *st, tl_source_hooks *out) {
    *out = (tl_source_hooks){hook_assign, hook_revoke, hook_fail, st};
}

/* A read waits no longer than a time-triggered flush may be late. */
static int read_timeout_ms(const tl_stream *st) {
    int64_t fi = st->opts.flush_interval_ms;
    return fi > 0 && fi < RUN_WAIT_MS ? (int)fi : RUN_WAIT_MS;
}

/* Read, ingest, flush when due. 0 at the source's end or on stop; else the
 * error, with *source_failed telling whose it was. */
static int pump(tl_stream *st, tl_source *src, const tl_stream_run_opts *o, tl_source_msg *msgs,
                bool *source_failed, tl_err *err) {
    int timeout = read_timeout_ms(st);
    while (!(o->stop && o->stop(o->ud))) {
        int n = src->ops->read(src, msgs, RUN_BATCH, timeout, err);
        if (n == TL_ERR_END)
            break;
        if (n < 0) {
            *source_failed = true;
            return n;
        }
        tl_stream_batch_begin(st);
        for (int i = 0; i < n; i++) {
            int rc = tl_stream_ingest(st, msgs[i].partition, msgs[i].offset, msgs[i].data,
                                      msgs[i].len, err);
            if (rc < 0)
                return rc;
        }
        src->ops->release(src);
        int rc = tl_stream_maybe_flush(st, err);
        if (rc < 0)
            return rc;
        if (o->batch_done)
            o->batch_done(o->ud, st);
    }
    return 0;
}

/* ---- parse workers (stream.parse_threads > 1) ------------------------------ */

typedef struct par_run {
    tl_stream *st;
    tl_stream_pool *pool;
    const tl_stream_run_opts *o;
    int rc; /* the first error of a drain inside a hook, for the loop */
    tl_err err;
} par_run;

/* What the single thread does after each read: ingest the batch in order,
 * then flush when due. */
static int ingest_batch(par_run *r, tl_stream_pool_batch *b, tl_err *err) {
    tl_stream_batch_begin(r->st);
    for (size_t i = 0, n = tl_stream_pool_batch_len(b); i < n; i++) {
        const tl_source_msg *m = tl_stream_pool_batch_msg(b, i);
        int rc = tl_stream_ingest_parsed(r->st, m->partition, m->offset, m->data, m->len,
                                         tl_stream_pool_batch_result(b, i),
                                         tl_stream_pool_batch_reason(b, i), err);
        if (rc < 0)
            return rc;
    }
    tl_stream_pool_done(r->pool, b);
    int rc = tl_stream_maybe_flush(r->st, err);
    if (rc < 0)
        return rc;
    if (r->o->batch_done)
        r->o->batch_done(r->o->ud, r->st);
    return 0;
}

/* Ingest parsed batches from the head of the ring, in order: those parsed
 * already (TAKE_READY), waiting for the oldest first (TAKE_ONE), or every
 * pending one (TAKE_ALL). */
enum { TAKE_READY, TAKE_ONE, TAKE_ALL };
static int take_batches(par_run *r, int mode, tl_err *err) {
    tl_stream_pool_batch *b;
    for (int taken = 0;; taken++) {
        bool wait = mode == TAKE_ALL || (mode == TAKE_ONE && taken == 0);
        if (!(b = tl_stream_pool_next(r->pool, r->st, wait)))
            return 0;
        int rc = ingest_batch(r, b, err);
        if (rc < 0)
            return rc;
    }
}

static void drain_in_hook(void *ud) {
    par_run *r = ud;
    if (r->rc == 0)
        r->rc = take_batches(r, TAKE_ALL, &r->err);
}

/* The error a hook's drain met inside a read, if any. */
static int hook_error(par_run *r, tl_err *err) {
    if (r->rc < 0)
        *err = r->err;
    return r->rc;
}

/* As pump, with the parsing on the pool's workers: read while there is a
 * free slot, take parsed batches back in order; a read does not wait while
 * batches are pending. */
static int pump_parallel(par_run *r, tl_source *src, tl_source_msg *msgs, bool *source_failed,
                         tl_err *err) {
    const tl_stream_run_opts *o = r->o;
    int timeout = read_timeout_ms(r->st);
    int rc = 0;
    while (rc == 0 && !(o->stop && o->stop(o->ud))) {
        if ((rc = take_batches(r, tl_stream_pool_full(r->pool) ? TAKE_ONE : TAKE_READY, err)) < 0)
            break;
        if (tl_stream_pool_full(r->pool))
            continue;
        bool pending = tl_stream_pool_pending(r->pool) > 0;
        int n = src->ops->read(src, msgs, RUN_BATCH, pending ? 0 : timeout, err);
        if ((rc = hook_error(r, err)) < 0)
            break;
        if (n == TL_ERR_END)
            break;
        if (n < 0) { /* what was read before is ingested, as on one thread */
            tl_err serr = *err;
            if ((rc = take_batches(r, TAKE_ALL, err)) == 0) {
                *err = serr;
                *source_failed = true;
                rc = n;
            }
            break;
        }
        if (n > 0) {
            rc = tl_stream_pool_submit(r->pool, msgs, (size_t)n, err);
            src->ops->release(src);
        } else if (pending) {
            rc = take_batches(r, TAKE_ONE, err); /* nothing new: wait for the oldest */
        } else if ((rc = tl_stream_maybe_flush(r->st, err)) >= 0) {
            rc = 0;
            if (o->batch_done)
                o->batch_done(o->ud, r->st);
        }
    }
    if (rc == 0) /* the source ended, or stop: everything read goes in */
        rc = take_batches(r, TAKE_ALL, err);
    return rc < 0 ? rc : 0;
}

static int pump_with_workers(tl_stream *st, tl_source *src, const tl_stream_run_opts *o,
                             tl_source_msg *msgs, bool *source_failed, tl_err *err) {
    par_run r = {.st = st, .o = o};
    if (!(r.pool = tl_stream_pool_new(st, st->opts.parse_threads, err)))
        return err->code ? err->code : TL_ERR_NOMEM;
    st->drain_fn = drain_in_hook;
    st->drain_ud = &r;
    int rc = pump_parallel(&r, src, msgs, source_failed, err);
    st->drain_fn = NULL; /* later hooks (the close) find nothing pending */
    st->drain_ud = NULL;
    tl_stream_pool_destroy(r.pool);
    return rc;
}

int tl_stream_run(tl_stream *st, tl_source *src, const tl_stream_run_opts *o, tl_err *err) {
    static const tl_stream_run_opts none = {0};
    bool source_failed = false;
    int rc;
    tl_source_msg *msgs = malloc(RUN_BATCH * sizeof *msgs);
    if (!o)
        o = &none;
    if (!msgs) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        goto out;
    }
    tl_stream_on_committed(st, on_committed, src);
    if (st->opts.parse_threads > 1)
        rc = pump_with_workers(st, src, o, msgs, &source_failed, err);
    else
        rc = pump(st, src, o, msgs, &source_failed, err);
    if (rc == 0) {
        rc = tl_stream_flush(st, err); /* the final commit */
    } else if (source_failed) {
        /* e.g. the brokers stayed away (--until-end): the lake needs no
         * broker, so what was read still lands before the error returns */
        tl_err ferr = {0};
        if (tl_stream_flush(st, &ferr) == 0 && tl_stream_counters_get(st)->received)
            tl_info("stream", "the lake holds everything read before the error");
    }
out:
    if (msgs) {
        src->ops->close(src); /* leaves the group (bounded); revokes flush through the stream */
        tl_stream_on_committed(st, NULL, NULL); /* the source may go before the stream */
    }
    free(msgs);
    return rc;
}
