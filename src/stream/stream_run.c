/* stream_run: the drive loop (see stream_run.h). */
#include "stream/stream_run.h"

#include <stdlib.h>

#include "stream/stream_int.h"
#include "util/log.h"

#define RUN_BATCH 4096   /* messages per read at most */
#define RUN_WAIT_MS 100  /* a read waits at most this long */

static void on_committed(void *ud, int32_t partition, int64_t last_offset) {
    tl_source *src = ud;
    src->ops->committed(src, partition, last_offset);
}

static int64_t hook_assign(void *ud, int32_t partition) {
    return tl_stream_assign_partition(ud, partition);
}

static void hook_revoke(void *ud, int32_t partition) {
    tl_stream *st = ud;
    tl_err err;
    int rc = tl_stream_flush(st, &err);
    if (rc != 0) {
        /* fatal: the stream stops and a restart resumes from the lake */
        tl_err_wrap(&err, rc, "flush on revoke of partition %d", (int)partition);
        tl_stream_fail(st, &err);
    }
    tl_stream_forget_partition(st, partition);
}

static void hook_fail(void *ud, const tl_err *err) {
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
