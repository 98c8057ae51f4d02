/* Kafka input: a consumer group member whose partitions start where the
 * lake says (the Delta txn), not where the group's committed offsets say.
 * Offsets are committed to Kafka only after the lake commit, for tools
 * that watch consumer lag. */
#include <stdlib.h>
#include <string.h>

#include "kafka/kafka.h"
#include "source/source.h"
#include "util/log.h"

#define MAX_BATCH 4096

typedef struct part_pos {
    bool assigned;
    int64_t end_at_assign; /* high watermark when assigned (--until-end) */
    int64_t next;          /* next offset to read (last read + 1) */
} part_pos;

typedef struct kafka_source {
    tl_source base;
    tl_kafka_consumer *consumer;
    bool until_end;
    bool ever_assigned;
    part_pos *pos;
    size_t npos;
    tl_kafka_msg msgs[MAX_BATCH];
    size_t nmsgs;
} kafka_source;

static part_pos *pos_of(kafka_source *k, int32_t p) {
    if (p < 0)
        return NULL;
    if ((size_t)p >= k->npos) {
        size_t n = (size_t)p + 16;
        part_pos *np = realloc(k->pos, n * sizeof *np);
        if (!np)
            return NULL;
        memset(np + k->npos, 0, (n - k->npos) * sizeof *np);
        k->pos = np;
        k->npos = n;
    }
    return &k->pos[p];
}

static int64_t on_start(void *ud, int32_t partition) {
    kafka_source *k = ud;
    int64_t resume = tl_stream_assign_partition(k->base.stream, partition);
    part_pos *pp = pos_of(k, partition);
    if (pp) {
        tl_err err;
        int64_t low = 0, high = 0;
        pp->assigned = true;
        pp->next = resume >= 0 ? resume : 0;
        if (tl_kafka_consumer_watermarks(k->consumer, partition, &low, &high, 10000, &err) == 0) {
            pp->end_at_assign = high;
            if (resume > high) { /* the lake is ahead of the topic */
                tl_err_set(&err, TL_ERR_INVALID,
                           "partition %d: the lake holds up to offset %lld but the topic ends at "
                           "%lld: was the topic recreated? Use a new lake (or group)",
                           (int)partition, (long long)resume - 1, (long long)high);
                tl_stream_fail(k->base.stream, &err);
            }
            if (pp->next < low) {
                if (resume >= 0) /* retention removed messages the lake never got */
                    tl_error("source",
                             "partition %d: the lake holds up to offset %lld but the "
                             "topic now starts at %lld: %lld messages were deleted by the "
                             "broker before they were read",
                             (int)partition, (long long)resume - 1, (long long)low,
                             (long long)(low - resume));
                pp->next = low;
            }
        } else {
            tl_warn("source", "partition %d: cannot read its end offset: %s", (int)partition,
                    err.msg);
            pp->end_at_assign = INT64_MAX; /* unknown: --until-end must not stop on it */
        }
    }
    k->ever_assigned = true;
    tl_info("source", "partition %d assigned: resuming at %s%lld", (int)partition,
            resume >= 0 ? "offset " : "the beginning, offset ",
            (long long)(resume >= 0 ? resume : 0));
    return resume >= 0 ? resume : TL_KAFKA_OFFSET_BEGINNING;
}

static void on_revoke(void *ud, int32_t partition) {
    kafka_source *k = ud;
    tl_err err;
    /* everything read so far goes into the lake before the partition moves */
    if (tl_stream_flush(k->base.stream, &err) != 0) {
        /* fatal: rows read but not written must not be covered by a later
         * commit; the stream stops and a restart resumes from the lake */
        tl_err_wrap(&err, "flush on revoke of partition %d", (int)partition);
        tl_stream_fail(k->base.stream, &err);
    }
    tl_stream_forget_partition(k->base.stream, partition);
    part_pos *pp = pos_of(k, partition);
    if (pp)
        pp->assigned = false;
}

static void on_eof(void *ud, int32_t partition, int64_t offset) {
    part_pos *pp = pos_of(ud, partition);
    if (pp && offset > pp->next)
        pp->next = offset;
}

static bool reached_end(kafka_source *k) {
    size_t assigned = 0;
    for (size_t i = 0; i < k->npos; i++) {
        if (!k->pos[i].assigned)
            continue;
        assigned++;
        if (k->pos[i].next < k->pos[i].end_at_assign)
            return false;
    }
    return assigned > 0; /* between a revoke and the next assignment: not yet */
}

static void kafka_release(tl_source *src) {
    kafka_source *k = (kafka_source *)src;
    tl_kafka_msgs_release(k->msgs, k->nmsgs);
    k->nmsgs = 0;
}

static int kafka_read(tl_source *src, tl_source_msg *out, size_t max, int timeout_ms, tl_err *err) {
    kafka_source *k = (kafka_source *)src;
    kafka_release(src);
    if (k->until_end && reached_end(k))
        return TL_SOURCE_END;
    if (max > MAX_BATCH)
        max = MAX_BATCH;
    int n = tl_kafka_consume(k->consumer, k->msgs, max, timeout_ms, err);
    if (n < 0)
        return n;
    k->nmsgs = (size_t)n;
    for (int i = 0; i < n; i++) {
        const tl_kafka_msg *m = &k->msgs[i];
        out[i] = (tl_source_msg){m->partition, m->offset, m->payload, m->len};
        part_pos *pp = pos_of(k, m->partition);
        if (pp && m->offset + 1 > pp->next)
            pp->next = m->offset + 1;
    }
    return n;
}

static void kafka_committed(tl_source *src, int32_t partition, int64_t last_offset) {
    kafka_source *k = (kafka_source *)src;
    tl_err err;
    if (tl_kafka_consumer_assignment_lost(k->consumer))
        return; /* the group moved on; the lake's txn is what counts */
    if (tl_kafka_consumer_commit(k->consumer, partition, last_offset + 1, &err) != 0)
        tl_warn("source",
                "partition %d: Kafka offset commit failed (the lake is the record, "
                "so nothing is lost): %s",
                (int)partition, err.msg);
}

static void kafka_close(tl_source *src) {
    kafka_source *k = (kafka_source *)src;
    kafka_release(src);
    tl_kafka_consumer_close(k->consumer);
}

static void kafka_destroy(tl_source *src) {
    kafka_source *k = (kafka_source *)src;
    kafka_release(src);
    tl_kafka_consumer_destroy(k->consumer);
    free(k->pos);
    free(k);
}

static const tl_source_ops kafka_ops = {"kafka",         kafka_read,  kafka_release,
                                        kafka_committed, kafka_close, kafka_destroy};

tl_source *tl_source_kafka_new(const tl_config *cfg, tl_stream *stream, bool until_end,
                               bool assign_all, tl_err *err) {
    kafka_source *k = calloc(1, sizeof *k);
    if (!k) {
        tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    k->base = (tl_source){&kafka_ops, stream};
    k->until_end = until_end;
    tl_kafka_consumer_cbs cbs = {on_start, on_revoke, on_eof, k, assign_all};
    if (!(k->consumer = tl_kafka_consumer_new(cfg, &cbs, err))) {
        free(k);
        return NULL;
    }
    return &k->base;
}
