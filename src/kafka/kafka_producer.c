/* The producer: keyed messages into one topic through librdkafka's queue,
 * with back-pressure instead of drops when the queue is full. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kafka/kafka.h"
#include "kafka/kafka_int.h"
#include "util/clock.h"
#include "util/log.h"

struct tl_kafka_producer {
    tl_kafka_health health; /* first: the opaque the error callback sees */
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    const volatile sig_atomic_t *stop; /* the caller's stop flag, or NULL */
    tl_kafka_producer_stats stats;
};

static const tl_kafka_prop producer_defaults[] = {
    {"linger.ms", "5"},
    {"batch.num.messages", "10000"},
    {"queue.buffering.max.messages", "200000"},
    /* Ticks compress ~6x; besides saving network and broker disk, the
     * development broker keeps only 5 MiB of batches per partition, so
     * compression is what lets it hold ~900k ticks on 4 partitions. */
    {"compression.codec", "zstd"},
    /* No duplicates from the producer's own retries, and per-partition
     * order kept across them (implies acks=all): a broker that fails over
     * mid-batch must not make the stream see a tick twice. */
    {"enable.idempotence", "true"},
    {"client.id", "ticklake-producer"},
    {NULL, NULL},
};

/* Runs inside rd_kafka_poll/flush on the caller's thread. */
static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    tl_kafka_producer *p = opaque;
    if (m->err) {
        if (p->stats.failed == 0 && !p->health.auth_error[0]) /* that one is reported */
            tl_error("kafka", "delivery to %s [%d] failed: %s", rd_kafka_topic_name(m->rkt),
                     (int)m->partition, rd_kafka_err2str(m->err));
        p->stats.failed++;
        snprintf(p->stats.last_error, sizeof p->stats.last_error, "%s", rd_kafka_err2str(m->err));
    } else {
        p->stats.delivered++;
    }
}

tl_kafka_producer *tl_kafka_producer_new(const tl_kafka_opts *o, tl_err *err) {
    char errstr[512];
    rd_kafka_conf_t *conf = NULL;
    const char *topic = o->topic;
    tl_kafka_producer *p = calloc(1, sizeof *p);
    if (!p) {
        tl_err_set(err, TL_ERR_NOMEM, "out of memory creating a producer");
        return NULL;
    }
    if (!topic || !*topic) {
        tl_err_set(err, TL_ERR_INVALID, "no topic given (--topic)");
        goto fail;
    }
    p->stop = o->stop;
    conf = tl_kafka_conf_new(o, producer_defaults, NULL, err);
    if (!conf)
        goto fail;
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_opaque(conf, p);
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!p->rk) {
        tl_err_set(err, TL_ERR_KAFKA, "creating a kafka producer: %s", errstr);
        goto fail;
    }
    conf = NULL; /* rd_kafka_new took ownership */
    p->rkt = rd_kafka_topic_new(p->rk, topic, NULL);
    if (!p->rkt) {
        tl_err_set(err, TL_ERR_KAFKA, "creating topic handle %s: %s", topic,
                   rd_kafka_err2str(rd_kafka_last_error()));
        goto fail;
    }
    return p;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    if (p->rk)
        rd_kafka_destroy(p->rk);
    free(p);
    return NULL;
}

int tl_kafka_produce(tl_kafka_producer *p, const void *key, size_t key_len, const void *payload,
                     size_t len, tl_err *err) {
    int rc = tl_kafka_health_check(&p->health, err);
    if (rc != 0)
        return rc;
    for (;;) {
        if (rd_kafka_produce(p->rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, (void *)payload,
                             len, key, key_len, NULL) == 0) {
            p->stats.produced++;
            return 0;
        }
        rd_kafka_resp_err_t e = rd_kafka_last_error();
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return tl_err_set(err, TL_ERR_KAFKA, "producing to %s: %s", rd_kafka_topic_name(p->rkt),
                              rd_kafka_err2str(e));
        /* Queue full: wait for deliveries to free room. */
        if (p->stop && *p->stop)
            return tl_err_set(err, TL_ERR_STOPPED, "stopped while the producer queue was full");
        rd_kafka_poll(p->rk, 10);
        if ((rc = tl_kafka_health_check(&p->health, err)) != 0)
            return rc;
    }
}

void tl_kafka_producer_poll(tl_kafka_producer *p, int timeout_ms) {
    rd_kafka_poll(p->rk, timeout_ms);
}

void tl_kafka_producer_idle(tl_kafka_producer *p, int64_t us) {
    if (us >= 1000) {
        rd_kafka_poll(p->rk, (int)(us / 1000));
        return;
    }
    /* rd_kafka_poll(0) returns at once: a pacer that asks for 100 us again
     * and again (any rate above 10k ticks/s) would spin on a core */
    rd_kafka_poll(p->rk, 0);
    if (us > 0) {
        struct timespec ts = {0, (long)us * 1000};
        nanosleep(&ts, NULL);
    }
}

/* rd_kafka_flush in slices, so a rejected login ends the wait. */
static void flush_sliced(tl_kafka_producer *p, int timeout_ms) {
    int64_t deadline = tl_mono_ms() + timeout_ms;
    while (rd_kafka_outq_len(p->rk) > 0 && !p->health.auth_error[0]) {
        int64_t left = deadline - tl_mono_ms();
        if (left <= 0)
            break;
        rd_kafka_flush(p->rk, left > 100 ? 100 : (int)left);
    }
}

int tl_kafka_producer_flush(tl_kafka_producer *p, int timeout_ms, tl_err *err) {
    flush_sliced(p, timeout_ms);
    int rc = tl_kafka_health_check(&p->health, err);
    if (rc != 0)
        return rc;
    int left = rd_kafka_outq_len(p->rk);
    if (left > 0)
        return tl_err_set_retriable(err, TL_ERR_KAFKA,
                                    "%d messages still undelivered to %s after %d ms", left,
                                    rd_kafka_topic_name(p->rkt), timeout_ms);
    if (p->stats.failed > 0)
        return tl_err_set(err, TL_ERR_KAFKA, "%llu of %llu messages failed delivery to %s: %s",
                          (unsigned long long)p->stats.failed,
                          (unsigned long long)p->stats.produced, rd_kafka_topic_name(p->rkt),
                          p->stats.last_error);
    return 0;
}

void tl_kafka_producer_stats_get(const tl_kafka_producer *p, tl_kafka_producer_stats *out) {
    *out = p->stats;
}

void tl_kafka_producer_destroy(tl_kafka_producer *p) {
    if (!p)
        return;
    flush_sliced(p, 30000);
    if (p->health.auth_error[0]) { /* nothing will be delivered: do not wait for it */
        rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(p->rk, 0); /* the purged messages' delivery reports */
    }
    int left = rd_kafka_outq_len(p->rk);
    if (left > 0 && !p->health.auth_error[0])
        tl_error("kafka", "closing the producer with %d messages undelivered", left);
    rd_kafka_topic_destroy(p->rkt);
    rd_kafka_destroy(p->rk);
    free(p);
}
