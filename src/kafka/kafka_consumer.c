/* The group consumer. The caller, not Kafka, owns positions: on assignment
 * it says where each partition starts (the stream seeks to the lake's last
 * committed offset), on revoke it gets to flush and commit first.
 *
 * Messages come from rd_kafka_consumer_poll one at a time, so that when a
 * rebalance runs in the middle of building a batch, the messages already
 * taken from revoked partitions can be dropped from that batch: the caller
 * never sees a message of a partition after its on_revoke. */
#define _GNU_SOURCE /* pthread_timedjoin_np */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kafka/kafka.h"
#include "kafka/kafka_int.h"
#include "util/clock.h"
#include "util/log.h"

struct tl_kafka_consumer {
    tl_kafka_health health; /* first: the opaque the error callback sees */
    rd_kafka_t *rk;
    char *topic;
    const volatile sig_atomic_t *stop; /* the caller's stop flag, or NULL */
    tl_kafka_consumer_cbs cbs;
    rd_kafka_topic_t *rkt; /* held from the start: see hold_topic */
    int32_t *assigned; /* sorted */
    size_t n_assigned, cap_assigned;
    tl_kafka_msg *batch; /* the batch being built by tl_kafka_consume, or NULL */
    size_t *batch_n;
    bool lost;
    bool closed;
    bool assign_pending; /* assign_all: partitions not assigned yet */
    char brokers[256];   /* bootstrap.servers, for messages */
    rd_kafka_conf_t *peek_conf; /* tl_kafka_consumer_fetch's handles: no group */
    /* Asynchronous offset commits, at most one request in flight. */
    int64_t *want; /* per partition: the offset to commit next, -1 = none */
    size_t nwant;
    bool commit_inflight;
    int64_t commit_sent_ms;   /* monotonic, the last request */
    unsigned commit_failures; /* in a row */
    int64_t commit_warned_ms;
    /* The watermarks of the partitions being assigned, read for all of them
     * at once while on_assign runs (see prefetch_watermarks); wm_n = 0 the
     * rest of the time. */
    struct wm { int32_t partition; int64_t low, high; } *wm;
    size_t wm_n;
    tl_kafka_nudge nudge; /* waking a fetcher parked on a full queue */
};

/* session.timeout.ms: Kafka's 45 s default makes a restarted stream wait
 * that long for its partitions (the dev broker rebalances only after the
 * departed member's session expires); 10 s, the old default, fails over
 * faster. Overridable with -X like everything here. */
static const tl_kafka_prop consumer_defaults[] = {
    {"auto.offset.reset", "earliest"},
    {"session.timeout.ms", "10000"},
    {"heartbeat.interval.ms", "1000"},
    /* prefetch deeper than the default 100000 messages a partition: catching
     * up on a backlog ran at ~180k msgs/s with it and ~450k/s without. The
     * byte bound is what caps the memory, and librdkafka's 64 MB default let
     * a stream that is behind (every catch-up run) hold hundreds of MB of
     * fetched messages: 401 MB peak RSS on 1M ticks from 64 partitions, 192
     * MB with 8 MB, and no slower (group-mode catch-up of 1M ticks, median of
     * 3 alternating: 71.8 s with 64 MB, 63.2 s with 8 MB; still ~60,000
     * ticks ahead of the stream). bench/stream_rss.sh, BENCHMARKS.md */
    {"queued.min.messages", "1000000"},
    {"queued.max.messages.kbytes", "8192"},
    {"client.id", "ticklake-consumer"},
    {NULL, NULL},
};

static const tl_kafka_prop consumer_forced[] = {
    {"enable.auto.commit", "false"},
    {"enable.auto.offset.store", "false"},
    {"enable.partition.eof", "true"},
    {NULL, NULL},
};

static void assigned_add(tl_kafka_consumer *c, int32_t part) {
    size_t i = 0;
    while (i < c->n_assigned && c->assigned[i] < part)
        i++;
    if (i < c->n_assigned && c->assigned[i] == part)
        return;
    if (c->n_assigned == c->cap_assigned) {
        size_t cap = c->cap_assigned ? c->cap_assigned * 2 : 16;
        int32_t *a = realloc(c->assigned, cap * sizeof *a);
        if (!a)
            abort(); /* a few bytes; nothing sensible to do without them */
        c->assigned = a;
        c->cap_assigned = cap;
    }
    memmove(c->assigned + i + 1, c->assigned + i, (c->n_assigned - i) * sizeof *c->assigned);
    c->assigned[i] = part;
    c->n_assigned++;
}

static void assigned_remove(tl_kafka_consumer *c, int32_t part) {
    for (size_t i = 0; i < c->n_assigned; i++) {
        if (c->assigned[i] == part) {
            memmove(c->assigned + i, c->assigned + i + 1,
                    (c->n_assigned - i - 1) * sizeof *c->assigned);
            c->n_assigned--;
            return;
        }
    }
}

/* Drop the revoked partition's messages from the batch being built. */
static void batch_purge(tl_kafka_consumer *c, int32_t part) {
    if (!c->batch)
        return;
    size_t w = 0;
    for (size_t r = 0; r < *c->batch_n; r++) {
        if (c->batch[r].partition == part)
            rd_kafka_message_destroy(c->batch[r].priv);
        else
            c->batch[w++] = c->batch[r];
    }
    *c->batch_n = w;
}

static void report_error(const char *what, rd_kafka_error_t *e) {
    if (e) {
        tl_error("kafka", "%s: %s", what, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    }
}

static void want_set(tl_kafka_consumer *c, int32_t part, int64_t offset, bool replace);
static void commit_send(tl_kafka_consumer *c);

/* How long prefetch_watermarks waits for each of its two requests: the wait
 * the source's own per-partition query has. */
#define TL_KAFKA_WATERMARKS_WAIT_MS 10000

/* Each partition's start (the source's start callback) asks for its
 * watermarks, and one query each was one round trip per partition, one after
 * the other, inside the rebalance: 20-300 ms for 8 partitions on a loaded
 * machine, and a 64-partition topic pays 64. Two ListOffsets requests per
 * leader (earliest, latest) read them all first; a partition they could not
 * answer for is left out, and its start queries it alone as before. */
static void prefetch_watermarks(tl_kafka_consumer *c, const rd_kafka_topic_partition_list_t *parts) {
    rd_kafka_topic_partition_list_t *lo = rd_kafka_topic_partition_list_copy(parts);
    rd_kafka_topic_partition_list_t *hi = rd_kafka_topic_partition_list_copy(parts);
    c->wm = calloc((size_t)parts->cnt, sizeof *c->wm);
    if (!lo || !hi || !c->wm)
        goto out;
    for (int i = 0; i < parts->cnt; i++) {
        lo->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING; /* as a timestamp: the earliest */
        hi->elems[i].offset = RD_KAFKA_OFFSET_END;       /* the latest */
    }
    if (rd_kafka_offsets_for_times(c->rk, lo, TL_KAFKA_WATERMARKS_WAIT_MS) ||
        rd_kafka_offsets_for_times(c->rk, hi, TL_KAFKA_WATERMARKS_WAIT_MS))
        goto out;
    for (int i = 0; i < lo->cnt; i++) {
        const rd_kafka_topic_partition_t *l = &lo->elems[i];
        const rd_kafka_topic_partition_t *h =
            rd_kafka_topic_partition_list_find(hi, l->topic, l->partition);
        if (!l->err && h && !h->err && l->offset >= 0 && h->offset >= l->offset)
            c->wm[c->wm_n++] = (struct wm){l->partition, l->offset, h->offset};
    }
out:
    if (lo)
        rd_kafka_topic_partition_list_destroy(lo);
    if (hi)
        rd_kafka_topic_partition_list_destroy(hi);
}

static void forget_watermarks(tl_kafka_consumer *c) {
    free(c->wm);
    c->wm = NULL;
    c->wm_n = 0;
}

static void on_assign(tl_kafka_consumer *c, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts,
                      bool coop) {
    tl_kafka_health_alive(&c->health);
    if (c->cbs.start && parts->cnt > 1)
        prefetch_watermarks(c, parts);
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &parts->elems[i];
        tp->offset = c->cbs.start ? c->cbs.start(c->cbs.ud, tp->partition) : TL_KAFKA_OFFSET_STORED;
        assigned_add(c, tp->partition);
        tl_debugf("kafka",
                  TL_FIELDS(TL_LS("topic", tp->topic), TL_LI("partition", tp->partition),
                            TL_LI("offset", tp->offset)),
                  "assigned %s [%d] from offset %lld", tp->topic, (int)tp->partition,
                  (long long)tp->offset);
    }
    forget_watermarks(c);
    tl_infof("kafka", TL_FIELDS(TL_LS("topic", c->topic), TL_LI("partitions", parts->cnt)),
             "rebalance: %s gains %d partition(s)", c->topic, parts->cnt);
    if (coop) {
        report_error("incremental assign", rd_kafka_incremental_assign(rk, parts));
    } else {
        rd_kafka_resp_err_t e = rd_kafka_assign(rk, parts);
        if (e)
            tl_error("kafka", "assign: %s", rd_kafka_err2str(e));
    }
    /* where the caller starts is what it has: the group's offsets follow
     * (lag monitoring), also when nothing new comes to commit later */
    for (int i = 0; i < parts->cnt; i++)
        if (parts->elems[i].offset >= 0)
            want_set(c, parts->elems[i].partition, parts->elems[i].offset, false);
    commit_send(c);
}

static void on_revoke(tl_kafka_consumer *c, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts,
                      bool coop) {
    c->lost = rd_kafka_assignment_lost(rk);
    tl_infof("kafka",
             TL_FIELDS(TL_LS("topic", c->topic), TL_LI("partitions", parts->cnt),
                       TL_LI("lost", c->lost)),
             "rebalance: %s loses %d partition(s)%s", c->topic, parts->cnt,
             c->lost ? " (lost: another member may have them)" : "");
    for (int i = 0; i < parts->cnt; i++) {
        int32_t part = parts->elems[i].partition;
        if (c->cbs.on_revoke)
            c->cbs.on_revoke(c->cbs.ud, part);
        batch_purge(c, part);
        assigned_remove(c, part);
    }
    c->lost = false;
    if (coop) {
        report_error("incremental unassign", rd_kafka_incremental_unassign(rk, parts));
    } else {
        rd_kafka_resp_err_t e = rd_kafka_assign(rk, NULL);
        if (e)
            tl_error("kafka", "unassign: %s", rd_kafka_err2str(e));
    }
}

/* Runs inside rd_kafka_consumer_poll / rd_kafka_consumer_close. */
static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
    tl_kafka_consumer *c = opaque;
    bool coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        on_assign(c, rk, parts, coop);
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        on_revoke(c, rk, parts, coop);
    } else {
        tl_errorf("kafka", TL_FIELDS(TL_LS("topic", c->topic)), "rebalance failed: %s",
                  rd_kafka_err2str(err));
        on_revoke(c, rk, parts, coop);
    }
}

/* ---- asynchronous offset commits ---------------------------------------- */

static void commit_failed(tl_kafka_consumer *c, const char *what) {
    int64_t now = tl_mono_ms();
    c->commit_failures++;
    if (c->commit_failures == 1 || now - c->commit_warned_ms >= 60000) {
        tl_warnf("kafka",
                 TL_FIELDS(TL_LS("topic", c->topic), TL_LI("failures", c->commit_failures)),
                 "committing offsets of %s to the group failed (%u in a row; the lake holds the "
                "positions, so nothing is lost, only lag monitoring lags): %s",
                 c->topic, c->commit_failures, what);
        c->commit_warned_ms = now;
    }
}

static void want_set(tl_kafka_consumer *c, int32_t part, int64_t offset, bool replace) {
    if (part < 0)
        return;
    if ((size_t)part >= c->nwant) {
        size_t n = (size_t)part + 16;
        int64_t *w = realloc(c->want, n * sizeof *w);
        if (!w)
            return; /* a lag figure less: nothing depends on it */
        for (size_t i = c->nwant; i < n; i++)
            w[i] = -1;
        c->want = w;
        c->nwant = n;
    }
    if (replace || c->want[part] < 0)
        c->want[part] = offset;
}

/* While the brokers are unreachable, a commit is sent only this often: a
 * request to a coordinator that is away stays in flight until librdkafka
 * gives up on it, and holds up closing the consumer meanwhile. */
#define COMMIT_RETRY_MS 10000

/* Send what is wanted unless a request is in flight (its result sends the
 * rest). Never waits: rd_kafka_commit(..., async=1) only queues a request. */
static void commit_send(tl_kafka_consumer *c) {
    if (c->commit_inflight || c->closed)
        return;
    int64_t now = tl_mono_ms();
    if (c->health.unreachable_since_ms && now - c->commit_sent_ms < COMMIT_RETRY_MS)
        return;
    rd_kafka_topic_partition_list_t *l = NULL;
    for (size_t p = 0; p < c->nwant; p++) {
        if (c->want[p] < 0)
            continue;
        if (!l)
            l = rd_kafka_topic_partition_list_new(4);
        rd_kafka_topic_partition_list_add(l, c->topic, (int32_t)p)->offset = c->want[p];
        c->want[p] = -1;
    }
    if (!l)
        return;
    c->commit_sent_ms = now;
    rd_kafka_resp_err_t e = rd_kafka_commit(c->rk, l, 1);
    if (e) {
        for (int i = 0; i < l->cnt; i++)
            want_set(c, l->elems[i].partition, l->elems[i].offset, false);
        commit_failed(c, rd_kafka_err2str(e));
    } else {
        c->commit_inflight = true;
    }
    rd_kafka_topic_partition_list_destroy(l);
}

/* The result of a commit request, served by rd_kafka_consumer_poll (or by
 * the close queue). A failure keeps the offsets for the next commit call,
 * rather than retrying at once against a broker that is away. */
static void offset_commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t *offsets, void *opaque) {
    tl_kafka_consumer *c = opaque;
    (void)rk;
    c->commit_inflight = false;
    for (int i = 0; !err && offsets && i < offsets->cnt; i++)
        err = offsets->elems[i].err;
    if (err == RD_KAFKA_RESP_ERR__NO_OFFSET)
        err = RD_KAFKA_RESP_ERR_NO_ERROR; /* nothing to commit */
    if (err) {
        for (int i = 0; offsets && i < offsets->cnt; i++)
            want_set(c, offsets->elems[i].partition, offsets->elems[i].offset, false);
        commit_failed(c, rd_kafka_err2str(err));
        return;
    }
    if (c->commit_failures)
        tl_info("kafka", "offset commits of %s work again (after %u failures)", c->topic,
                c->commit_failures);
    c->commit_failures = 0;
    tl_kafka_health_alive(&c->health);
    commit_send(c);
}

int tl_kafka_consumer_commit(tl_kafka_consumer *c, int32_t partition, int64_t next_offset,
                             tl_err *err) {
    (void)err;
    want_set(c, partition, next_offset, true);
    commit_send(c);
    return 0;
}

bool tl_kafka_consumer_commit_pending(const tl_kafka_consumer *c) {
    if (c->commit_inflight)
        return true;
    for (size_t p = 0; p < c->nwant; p++)
        if (c->want[p] >= 0)
            return true;
    return false;
}

int tl_kafka_consumer_check_brokers(tl_kafka_consumer *c, int64_t timeout_ms, tl_err *err) {
    int64_t since = c->health.unreachable_since_ms;
    if (timeout_ms <= 0 || !since || tl_mono_ms() - since < timeout_ms)
        return 0;
    return tl_err_set(err, TL_ERR_KAFKA,
                      "the Kafka brokers (%s) have been unreachable for %lld s "
                      "(stream.broker_timeout %lld s); last librdkafka error: %s",
                      c->brokers, (long long)((tl_mono_ms() - since) / 1000),
                      (long long)(timeout_ms / 1000),
                      c->health.last_error[0] ? c->health.last_error : "(none)");
}

/* ---- the consumer ---------------------------------------------------------- */

/* Messages served by callback: only the close queue does that (it gets
 * what was fetched but not consumed), and the caller is done with them.
 * tl_kafka_consume's rd_kafka_consumer_poll returns messages as ever. */
static void drop_message(rd_kafka_message_t *m, void *opaque) {
    (void)m; /* freed by librdkafka with its op */
    (void)opaque;
}

/* A handle on the topic for the consumer's whole life, taken before it
 * subscribes. librdkafka 2.0.2 starts an assigned partition's fetch by asking
 * its leader for the start offset, and a partition whose leader is not known
 * yet waits for a 500 ms timer instead (rd_kafka_toppar_offset_request). In a
 * group the partitions are first created when the assignment is applied, and
 * they learn their leader asynchronously (the leader's broker thread takes
 * them), so the fetch start raced that and often lost: half a second before
 * the first message (BENCHMARKS.md "Kafka: the group join and group mode").
 * Held from here, the topic's partitions get their leaders with the first
 * metadata, long before the group assigns them (assign_all reads its
 * partitions through it too). */
static int hold_topic(tl_kafka_consumer *c, tl_err *err) {
    if (!(c->rkt = rd_kafka_topic_new(c->rk, c->topic, NULL)))
        return tl_err_set(err, TL_ERR_KAFKA, "topic %s: %s", c->topic,
                          rd_kafka_err2str(rd_kafka_last_error()));
    return 0;
}

tl_kafka_consumer *tl_kafka_consumer_new(const tl_kafka_opts *o, const tl_kafka_consumer_cbs *cbs,
                                         tl_err *err) {
    char errstr[512];
    rd_kafka_conf_t *conf = NULL;
    rd_kafka_topic_partition_list_t *sub = NULL;
    tl_kafka_consumer *c = calloc(1, sizeof *c);
    if (!c) {
        tl_err_set(err, TL_ERR_NOMEM, "out of memory creating a consumer");
        return NULL;
    }
    if (cbs)
        c->cbs = *cbs;
    c->stop = o->stop;
    if (!o->topic || !*o->topic || !o->group || !*o->group) {
        tl_err_set(err, TL_ERR_INVALID, "a consumer needs a topic (--topic) and a group (--group)");
        goto fail;
    }
    if (!(c->topic = strdup(o->topic))) {
        tl_err_set(err, TL_ERR_NOMEM, "out of memory creating a consumer");
        goto fail;
    }
    conf = tl_kafka_conf_new(o, consumer_defaults, consumer_forced, err);
    if (!conf || tl_kafka_dev_fetch_wait(conf, o, err) < 0)
        goto fail;
    /* the fetch handles: everything but the group, a small prefetch */
    c->peek_conf = rd_kafka_conf_dup(conf);
    if (!c->peek_conf ||
        tl_kafka_conf_set(c->peek_conf, "client.id", "ticklake-check", "ticklake", err) < 0 ||
        tl_kafka_conf_set(c->peek_conf, "queued.min.messages", "1000", "ticklake", err) < 0)
        goto fail;
    if (tl_kafka_conf_set(conf, "group.id", o->group, "--group", err) < 0)
        goto fail;
    /* -X group.id wins over --group, as every other -X does. */
    for (size_t i = 0; i < o->n_props; i++) {
        if (strcmp(o->props[i].key, "group.id") == 0 &&
            tl_kafka_conf_set(conf, "group.id", o->props[i].value, "-X", err) < 0)
            goto fail;
    }
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_offset_commit_cb(conf, offset_commit_cb);
    rd_kafka_conf_set_consume_cb(conf, drop_message);
    rd_kafka_conf_set_opaque(conf, c);
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!c->rk) {
        tl_err_set(err, TL_ERR_KAFKA, "creating a kafka consumer: %s", errstr);
        goto fail;
    }
    conf = NULL; /* rd_kafka_new took ownership */
    size_t blen = sizeof c->brokers;
    if (rd_kafka_conf_get(rd_kafka_conf(c->rk), "bootstrap.servers", c->brokers, &blen) !=
            RD_KAFKA_CONF_OK ||
        !c->brokers[0])
        snprintf(c->brokers, sizeof c->brokers, "(no bootstrap.servers)");
    rd_kafka_poll_set_consumer(c->rk);
    if (hold_topic(c, err) < 0)
        goto fail;
    if (c->cbs.assign_all) { /* assigned at the first consume, once the caller holds c */
        c->assign_pending = true;
        return c;
    }
    sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, c->topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(c->rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (e) {
        tl_err_set(err, TL_ERR_KAFKA, "subscribing to %s: %s", c->topic, rd_kafka_err2str(e));
        goto fail;
    }
    return c;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    if (c->peek_conf)
        rd_kafka_conf_destroy(c->peek_conf);
    if (c->rkt)
        rd_kafka_topic_destroy(c->rkt);
    if (c->rk) {
        c->closed = true;
        rd_kafka_destroy_flags(c->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    }
    free(c->topic);
    free(c);
    return NULL;
}

static bool is_assigned(const tl_kafka_consumer *c, int32_t part) {
    for (size_t i = 0; i < c->n_assigned; i++)
        if (c->assigned[i] == part)
            return true;
    return false;
}

/* An error event from poll: EOF is news for the caller, the rest is logged
 * (librdkafka retries) unless fatal. Returns <0 on a fatal error. */
static int handle_event(tl_kafka_consumer *c, rd_kafka_message_t *m, bool *eof, tl_err *err) {
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        tl_kafka_health_alive(&c->health);
        if (c->cbs.on_eof)
            c->cbs.on_eof(c->cbs.ud, m->partition, m->offset);
        *eof = true;
        return 0;
    }
    char fatal[256];
    if (rd_kafka_fatal_error(c->rk, fatal, sizeof fatal))
        return tl_err_set(err, TL_ERR_KAFKA, "kafka consumer failed: %s", fatal);
    snprintf(c->health.last_error, sizeof c->health.last_error, "%s",
             rd_kafka_message_errstr(m));
    if (tl_kafka_err_unreachable(m->err) && !c->health.unreachable_since_ms)
        c->health.unreachable_since_ms = tl_mono_ms();
    tl_warnf("kafka",
             TL_FIELDS(TL_LS("topic", c->topic), TL_LI("partition", m->partition),
                       TL_LS("error", rd_kafka_err2name(m->err))),
             "consumer: %s", rd_kafka_message_errstr(m));
    return 0;
}

/* assign_all: every partition of the topic, each from where start says. */
static int assign_all(tl_kafka_consumer *c, tl_err *err) {
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(c->rk, 0, c->rkt, &md, 10000);
    if (e || md->topic_cnt != 1 || md->topics[0].err) {
        int rc = tl_err_set(err, TL_ERR_KAFKA, "reading the partitions of %s: %s", c->topic,
                            rd_kafka_err2str(e               ? e
                                             : md->topic_cnt ? md->topics[0].err
                                                             : e));
        if (md)
            rd_kafka_metadata_destroy(md);
        return rc;
    }
    rd_kafka_topic_partition_list_t *parts =
        rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
    for (int i = 0; i < md->topics[0].partition_cnt; i++)
        rd_kafka_topic_partition_list_add(parts, c->topic, md->topics[0].partitions[i].id);
    rd_kafka_metadata_destroy(md);
    on_assign(c, c->rk, parts, false);
    rd_kafka_topic_partition_list_destroy(parts);
    c->assign_pending = false;
    return 0;
}

/* Our view of a fetched message; priv owns it (NULL: the caller keeps it). */
static tl_kafka_msg to_msg(const rd_kafka_message_t *m, rd_kafka_message_t *priv) {
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(m, &tstype);
    return (tl_kafka_msg){
        .partition = m->partition,
        .offset = m->offset,
        .key = m->key,
        .key_len = m->key_len,
        .payload = m->payload,
        .len = m->len,
        .timestamp_ms = tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : ts,
        .priv = priv,
    };
}

int tl_kafka_consume(tl_kafka_consumer *c, tl_kafka_msg *out, size_t max, int timeout_ms,
                     tl_err *err) {
    if (c->assign_pending) {
        int rc = assign_all(c, err);
        if (rc)
            return rc;
    }
    size_t n = 0;
    int rc = 0;
    bool eof = false;
    int64_t deadline = INT64_MIN, left = 0;
    c->batch = out;
    c->batch_n = &n;
    while (n < max && !eof) {
        /* Wait only for the first message, in slices so a stop is seen. The
         * clock is read only while waiting: once a message came the rest of
         * the batch is taken without waiting (two clock reads per message
         * were ~1% of a catch-up's CPU, on the stream's thread). */
        int wait = 0;
        if (n == 0) {
            int64_t now = tl_mono_ms();
            if (deadline == INT64_MIN)
                deadline = now + (timeout_ms > 0 ? timeout_ms : 0);
            left = deadline - now;
            wait = left <= 0 ? 0 : left > 100 ? 100 : (int)left;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, wait);
        if (c->health.auth_error[0]) {
            if (m)
                rd_kafka_message_destroy(m);
            rc = tl_kafka_health_check(&c->health, err);
            break;
        }
        if (!m) {
            /* an empty queue: if it is because librdkafka stopped fetching
             * when it was full, wake its fetcher (kafka_nudge.c); not while
             * the brokers are away, when the request would only wait */
            if (!c->health.unreachable_since_ms)
                tl_kafka_nudge_fetcher(&c->nudge, c->rk, c->topic, c->assigned, c->n_assigned);
            if (n > 0 || left <= 0 || (c->stop && *c->stop))
                break;
            continue;
        }
        if (m->err) {
            rc = handle_event(c, m, &eof, err);
            rd_kafka_message_destroy(m);
            if (rc < 0)
                break;
            continue;
        }
        tl_kafka_health_alive(&c->health);
        if (!is_assigned(c, m->partition)) { /* fetched before a revoke */
            rd_kafka_message_destroy(m);
            continue;
        }
        out[n++] = to_msg(m, m);
    }
    c->batch = NULL;
    c->batch_n = NULL;
    if (!c->commit_inflight && tl_kafka_consumer_commit_pending(c))
        commit_send(c); /* held back while the brokers were away */
    if (rc < 0) {
        tl_kafka_msgs_release(out, n);
        return rc;
    }
    return (int)n;
}

void tl_kafka_msgs_release(tl_kafka_msg *msgs, size_t n) {
    for (size_t i = 0; i < n; i++) {
        rd_kafka_message_destroy(msgs[i].priv);
        msgs[i].priv = NULL;
    }
}

static rd_kafka_topic_partition_list_t *one_partition(const tl_kafka_consumer *c, int32_t part,
                                                      int64_t offset) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, c->topic, part)->offset = offset;
    return l;
}

int tl_kafka_consumer_committed(tl_kafka_consumer *c, int32_t partition, int64_t *offset,
                                int timeout_ms, tl_err *err) {
    rd_kafka_topic_partition_list_t *l = one_partition(c, partition, RD_KAFKA_OFFSET_INVALID);
    rd_kafka_resp_err_t e = rd_kafka_committed(c->rk, l, timeout_ms);
    if (!e && l->elems[0].err)
        e = l->elems[0].err;
    *offset = l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
    if (e)
        return tl_err_set_retriable(err, TL_ERR_KAFKA,
                                    "reading the committed offset of %s [%d]: %s", c->topic,
                                    (int)partition, rd_kafka_err2str(e));
    return 0;
}

size_t tl_kafka_consumer_assignment(const tl_kafka_consumer *c, int32_t *out, size_t cap) {
    for (size_t i = 0; i < c->n_assigned && i < cap; i++)
        out[i] = c->assigned[i];
    return c->n_assigned;
}

int tl_kafka_consumer_fetch_wait_ms(const tl_kafka_consumer *c) {
    char v[32];
    size_t n = sizeof v;
    if (rd_kafka_conf_get(rd_kafka_conf(c->rk), "fetch.wait.max.ms", v, &n) != RD_KAFKA_CONF_OK)
        return -1;
    return atoi(v);
}

unsigned tl_kafka_consumer_nudges(const tl_kafka_consumer *c) {
    return c->nudge.sent;
}

bool tl_kafka_consumer_assignment_lost(tl_kafka_consumer *c) {
    return c->lost;
}

int tl_kafka_consumer_watermarks(tl_kafka_consumer *c, int32_t partition, int64_t *low,
                                 int64_t *high, int timeout_ms, tl_err *err) {
    for (size_t i = 0; i < c->wm_n; i++) /* read with the others (prefetch_watermarks) */
        if (c->wm[i].partition == partition) {
            if (low)
                *low = c->wm[i].low;
            if (high)
                *high = c->wm[i].high;
            return 0;
        }
    int64_t lo = -1, hi = -1;
    rd_kafka_resp_err_t e =
        rd_kafka_query_watermark_offsets(c->rk, c->topic, partition, &lo, &hi, timeout_ms);
    if (e)
        return tl_err_set_retriable(err, TL_ERR_KAFKA, "querying the watermarks of %s [%d]: %s",
                                    c->topic, (int)partition, rd_kafka_err2str(e));
    tl_kafka_health_alive(&c->health);
    if (low)
        *low = lo;
    if (high)
        *high = hi;
    return 0;
}

/* ---- reading a range apart from the group ------------------------------- */

typedef struct peek_handle {
    tl_kafka_health health; /* first: the opaque the error callback sees */
} peek_handle;

int tl_kafka_consumer_fetch(tl_kafka_consumer *c, int32_t partition, int64_t from, int64_t to,
                            tl_kafka_fetch_fn fn, void *ud, int timeout_ms, tl_err *err) {
    if (to < from)
        return 0;
    char errstr[512];
    peek_handle ph = {0};
    rd_kafka_conf_t *conf = rd_kafka_conf_dup(c->peek_conf);
    if (!conf)
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    rd_kafka_conf_set_opaque(conf, &ph);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return tl_err_set(err, TL_ERR_KAFKA, "creating a kafka consumer: %s", errstr);
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, c->topic, NULL);
    int rc = 0;
    if (!rkt || rd_kafka_consume_start(rkt, partition, from) == -1) {
        rc = tl_err_set(err, TL_ERR_KAFKA, "reading %s [%d] from offset %lld: %s", c->topic,
                        (int)partition, (long long)from, rd_kafka_err2str(rd_kafka_last_error()));
        if (rkt)
            rd_kafka_topic_destroy(rkt);
        rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
        return rc;
    }
    int64_t deadline = tl_mono_ms() + timeout_ms;
    for (;;) {
        if ((rc = tl_kafka_health_check(&ph.health, err)) != 0)
            break;
        int64_t left = deadline - tl_mono_ms();
        if (left <= 0) {
            rc = tl_err_set(err, TL_ERR_KAFKA,
                            "reading offsets %lld..%lld of %s [%d] took longer than %d ms%s%s",
                            (long long)from, (long long)to, c->topic, (int)partition, timeout_ms,
                            ph.health.last_error[0] ? ": " : "", ph.health.last_error);
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consume(rkt, partition, left > 100 ? 100 : (int)left);
        if (!m)
            continue;
        if (m->err) {
            bool eof = m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
            if (!eof)
                snprintf(ph.health.last_error, sizeof ph.health.last_error, "%s",
                         rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            if (eof)
                break;
            continue;
        }
        bool past = m->offset > to, stop = false;
        if (!past && m->offset >= from) {
            tl_kafka_msg km = to_msg(m, NULL);
            stop = fn(ud, &km) != 0 || m->offset >= to;
        }
        rd_kafka_message_destroy(m);
        if (past || stop)
            break;
    }
    rd_kafka_consume_stop(rkt, partition);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    return rc;
}

/* ---- closing ---------------------------------------------------------------- */

void tl_kafka_consumer_close(tl_kafka_consumer *c) {
    if (!c || c->closed)
        return;
    /* In the background, served here: the final revoke (on_revoke flushes to
     * the caller's store, no broker needed), the results of the last
     * commits, leaving the group. Only the broker parts can take long. */
    int64_t t0 = tl_mono_ms(), deadline = t0 + TL_KAFKA_CLOSE_WAIT_MS;
    /* First the last commit (after the caller's last flush), while still a
     * member: one that arrives after leaving is refused (unknown member).
     * Messages that come meanwhile are dropped (the caller resumes from its
     * own positions). Not while the brokers are away. */
    while (tl_kafka_consumer_commit_pending(c) && !c->health.unreachable_since_ms &&
           tl_mono_ms() < t0 + TL_KAFKA_CLOSE_WAIT_MS / 2) {
        commit_send(c);
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, 50);
        if (m)
            rd_kafka_message_destroy(m);
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(c->rk);
    rd_kafka_error_t *e = rd_kafka_consumer_close_queue(c->rk, q);
    if (e) {
        report_error("closing the consumer", e);
    } else {
        while (!rd_kafka_consumer_closed(c->rk)) {
            int64_t now = tl_mono_ms();
            /* brokers away and the revoke done: leaving the group cannot
             * succeed, waiting for it only delays the exit */
            if (c->health.unreachable_since_ms && (c->cbs.assign_all || c->n_assigned == 0) &&
                now - t0 >= 1000) {
                tl_warn("kafka",
                        "closing the consumer of %s without leaving its group: the brokers (%s) "
                        "are unreachable (%s); the group drops this member when its session "
                        "times out",
                        c->topic, c->brokers,
                        c->health.last_error[0] ? c->health.last_error : "no error text");
                break;
            }
            if (now >= deadline) {
                tl_warn("kafka",
                        "the consumer could not leave group of %s within %d s (brokers %s "
                        "unreachable?%s%s): closing without it; the group drops this member "
                        "when its session times out",
                        c->topic, TL_KAFKA_CLOSE_WAIT_MS / 1000, c->brokers,
                        c->health.last_error[0] ? " last error: " : "", c->health.last_error);
                break;
            }
            rd_kafka_queue_poll_callback(q, 100);
        }
    }
    rd_kafka_queue_destroy(q);
    tl_debug("kafka", "consumer of %s closed in %lld ms", c->topic, (long long)(tl_mono_ms() - t0));
    if (tl_kafka_consumer_commit_pending(c))
        tl_info("kafka", "the last offsets of %s were not committed to the group (lag "
                         "monitoring only: the lake holds the positions)",
                c->topic);
    c->closed = true;
}

static void *destroy_thread(void *rk) {
    /* closed before, within a bounded wait: no second, unbounded attempt */
    rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    return NULL;
}

/* librdkafka's destroy still waits for requests in flight to a broker that
 * is away (an offset commit: until it times out). Wait for it at most
 * TL_KAFKA_DESTROY_WAIT_MS, then let it finish in the background: the
 * process is about to exit, or carries on without the handle. */
static void destroy_bounded(rd_kafka_t *rk, const char *topic) {
    pthread_t t;
    if (pthread_create(&t, NULL, destroy_thread, rk) != 0) {
        destroy_thread(rk);
        return;
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += TL_KAFKA_DESTROY_WAIT_MS / 1000;
    until.tv_nsec += (long)(TL_KAFKA_DESTROY_WAIT_MS % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    if (pthread_timedjoin_np(t, NULL, &until) != 0) {
        pthread_detach(t);
        tl_warn("kafka",
                "the consumer of %s is still shutting down after %d s (requests to unreachable "
                "brokers): left to finish in the background",
                topic, TL_KAFKA_DESTROY_WAIT_MS / 1000);
    }
}

void tl_kafka_consumer_destroy(tl_kafka_consumer *c) {
    if (!c)
        return;
    tl_kafka_consumer_close(c);
    int64_t t0 = tl_mono_ms();
    if (c->rkt)
        rd_kafka_topic_destroy(c->rkt); /* before the handle it belongs to */
    destroy_bounded(c->rk, c->topic);
    tl_debug("kafka", "consumer of %s destroyed in %lld ms", c->topic,
             (long long)(tl_mono_ms() - t0));
    rd_kafka_conf_destroy(c->peek_conf);
    free(c->want);
    free(c->assigned);
    free(c->topic);
    free(c);
}
