/* Kafka input: a consumer group member whose partitions start where the
 * lake says (the Delta txn), not where the group's committed offsets say.
 * Offsets are committed to Kafka only after the lake commit, asynchronously,
 * for tools that watch consumer lag: the stream never waits for a broker.
 *
 * On each assignment the partition is checked against the lake: a topic
 * whose end is behind the lake's position, or whose messages just before
 * that position differ from what the lake holds there, was deleted and
 * recreated (source_kafka_check.h); it is refused, or with --reset-topic
 * read again from its beginning. */
#include <stdlib.h>
#include <string.h>

#include "kafka/kafka.h"
#include "source/source.h"
#include "source/source_kafka_check.h"
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
    tl_source_kafka_opts o; /* strings, store and stop flag borrowed */
    bool ever_assigned;
    tl_topic_check *check;
    bool failed; /* a partition was refused: read() returns fail_err */
    tl_err fail_err;
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

/* Where the driver says to resume partition (-1: the lake holds nothing). */
static int64_t assign(kafka_source *k, int32_t partition) {
    return k->o.hooks.assign ? k->o.hooks.assign(k->o.hooks.ud, partition) : -1;
}

static tl_topic_check *topic_check_new(const kafka_source *k) {
    tl_topic_check_opts co = {.store = k->o.store,
                              .topic = k->o.kafka.topic,
                              .group = k->o.kafka.group,
                              .ts_unit = k->o.ts_unit,
                              .max_message_bytes = k->o.max_message_bytes,
                              .lake = k->o.lake};
    return tl_topic_check_new(&co);
}

static void refuse(kafka_source *k, tl_err *err) {
    if (!k->failed) {
        k->failed = true;
        k->fail_err = *err;
    }
    if (k->o.hooks.fail)
        k->o.hooks.fail(k->o.hooks.ud, err);
}

/* Was the topic recreated under the lake? 1 (why filled), 0 no, or -1 when
 * it cannot be told (logged). */
static int recreated(kafka_source *k, int32_t partition, int64_t resume, int64_t low,
                     int64_t high, char *why, size_t cap) {
    if (resume < 0)
        return 0; /* the lake holds nothing of it */
    if (resume > high) {
        snprintf(why, cap,
                 "the lake holds up to offset %lld but the topic ends at %lld: its offsets went "
                 "back",
                 (long long)resume - 1, (long long)high);
        return 1;
    }
    if (resume - 1 < low)
        return 0; /* retention took the messages to compare with (logged below) */
    int64_t from = resume - TL_TOPIC_CHECK_WINDOW > low ? resume - TL_TOPIC_CHECK_WINDOW : low;
    size_t compared = 0;
    tl_err err = {0};
    if (!k->check && !(k->check = topic_check_new(k))) {
        tl_warn("source", "partition %d: out of memory: not checked against the lake",
                (int)partition);
        return -1;
    }
    int rc = tl_topic_check_partition(k->check, k->consumer, partition, from, resume - 1, &compared,
                                      why, cap, &err);
    if (rc < 0) {
        tl_warn("source",
                "partition %d: cannot check that the topic still holds what the lake read from "
                "it: %s; resuming at offset %lld",
                (int)partition, err.msg, (long long)resume);
        return -1;
    }
    return rc;
}

static int64_t on_start(void *ud, int32_t partition) {
    kafka_source *k = ud;
    int64_t resume = assign(k, partition);
    part_pos *pp = pos_of(k, partition);
    if (pp) {
        tl_err err;
        int64_t low = 0, high = 0;
        pp->assigned = true;
        pp->next = resume >= 0 ? resume : 0;
        if (tl_kafka_consumer_watermarks(k->consumer, partition, &low, &high, 10000, &err) == 0) {
            pp->end_at_assign = high;
            char why[700];
            if (recreated(k, partition, resume, low, high, why, sizeof why) == 1) {
                if (!k->o.reset_topic) {
                    tl_err_set(&err, TL_ERR_INVALID,
                               "topic %s, partition %d is not what the lake read: %s. Was the "
                               "topic deleted and recreated? Nothing was read from it. To read "
                               "the new topic from its beginning into this lake, run again with "
                               "--reset-topic; or use a new lake (or group)",
                               k->o.kafka.topic, (int)partition, why);
                    refuse(k, &err);
                    return TL_KAFKA_OFFSET_END; /* read nothing, commit nothing */
                }
                tl_warn("source",
                        "RESET (--reset-topic): topic %s, partition %d was recreated (%s): its "
                        "position in the lake goes back to nothing and it is read again from "
                        "its beginning, offset %lld; the lake keeps the rows it holds, and ticks "
                        "whose (symbol, seq) it holds are dropped as duplicates",
                        k->o.kafka.topic, (int)partition, why, (long long)low);
                if (!k->check)
                    k->check = topic_check_new(k);
                int rc = k->check ? tl_topic_check_reset(k->check, partition, why, &err)
                                  : tl_err_set(&err, TL_ERR_NOMEM, "out of memory");
                if (rc != 0) {
                    tl_err_wrap(&err, rc, "--reset-topic, partition %d", (int)partition);
                    refuse(k, &err);
                    return TL_KAFKA_OFFSET_END;
                }
                resume = assign(k, partition);
                pp->next = resume >= 0 ? resume : 0;
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
    tl_infof("source",
             TL_FIELDS(TL_LI("partition", partition), TL_LI("offset", resume >= 0 ? resume : 0)),
             "partition %d assigned: resuming at %s%lld", (int)partition,
             resume >= 0 ? "offset " : "the beginning, offset ",
             (long long)(resume >= 0 ? resume : 0));
    return resume >= 0 ? resume : TL_KAFKA_OFFSET_BEGINNING;
}

static void on_revoke(void *ud, int32_t partition) {
    kafka_source *k = ud;
    /* the driver makes everything read so far durable before it moves */
    if (k->o.hooks.revoke)
        k->o.hooks.revoke(k->o.hooks.ud, partition);
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
    if (k->failed) {
        *err = k->fail_err;
        return k->fail_err.code ? (int)k->fail_err.code : TL_ERR_INVALID;
    }
    if (k->o.until_end && reached_end(k))
        return TL_ERR_END;
    if (max > MAX_BATCH)
        max = MAX_BATCH;
    int n = tl_kafka_consume(k->consumer, k->msgs, max, timeout_ms, err);
    if (n < 0)
        return n;
    if (k->failed) { /* refused in the start callback just now */
        tl_kafka_msgs_release(k->msgs, (size_t)n);
        *err = k->fail_err;
        return k->fail_err.code ? (int)k->fail_err.code : TL_ERR_INVALID;
    }
    /* --until-end must end: a broker that stays away is an error */
    int rc = n == 0 && k->o.until_end
                 ? tl_kafka_consumer_check_brokers(k->consumer, k->o.broker_timeout_ms, err)
                 : 0;
    if (rc != 0)
        return rc;
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
    tl_topic_check_destroy(k->check);
    free(k->pos);
    free(k);
}

static const tl_source_ops kafka_ops = {"kafka",         kafka_read,  kafka_release,
                                        kafka_committed, kafka_close, kafka_destroy};

tl_source *tl_source_kafka_new(const tl_source_kafka_opts *o, tl_err *err) {
    if (!o->store) { /* the recreated-topic check needs the lake */
        tl_err_set(err, TL_ERR_INVALID, "a Kafka source needs the lake it feeds");
        return NULL;
    }
    kafka_source *k = calloc(1, sizeof *k);
    if (!k) {
        tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    k->base = (tl_source){&kafka_ops};
    k->o = *o;
    tl_kafka_consumer_cbs cbs = {on_start, on_revoke, on_eof, k, o->assign_all};
    if (!(k->consumer = tl_kafka_consumer_new(&o->kafka, &cbs, err))) {
        free(k);
        return NULL;
    }
    return &k->base;
}
