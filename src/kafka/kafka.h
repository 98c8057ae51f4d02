/* kafka — a thin wrapper over librdkafka: a producer with a bounded queue, a
 * group consumer whose caller decides where each assigned partition starts,
 * and librdkafka's in-process mock cluster as a development broker.
 *
 * Configuration: a tl_kafka_opts, filled by the command layer from the
 * settings: our defaults, then bootstrap.servers = opts->brokers, then every
 * opts->props pair verbatim (the YAML `kafka:` section, then -X), so a
 * user can override anything except the few consumer settings the wrapper's
 * correctness depends on (listed at tl_kafka_consumer_new).
 *
 * Authentication: a broker that rejects the SASL login (wrong password,
 * unknown user or mechanism) makes the handle's calls fail with
 * TL_ERR_KAFKA and a message naming the broker, the mechanism and the user,
 * instead of librdkafka's endless retries: the producer's produce and flush,
 * and tl_kafka_consume.
 *
 * Threads: each handle is used from one thread. librdkafka runs its own
 * threads inside; every callback below runs on the caller's thread, inside
 * tl_kafka_produce/_poll/_flush or tl_kafka_consume/_close. */
#ifndef TL_KAFKA_KAFKA_H
#define TL_KAFKA_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <signal.h>

#include "conf/conf.h" /* tl_kv */
#include "util/err.h"

/* What a producer or consumer is built from. Strings and props are
 * borrowed for the call that takes the options. */
typedef struct tl_kafka_opts {
    const char *brokers; /* bootstrap.servers; NULL or "": from props */
    const char *topic;
    const char *group; /* consumers: the group id (-X group.id wins) */
    const tl_kv *props; /* librdkafka properties, verbatim, in order */
    size_t n_props;
    /* Non-zero once the caller wants blocking calls to give up (a signal):
     * a produce waiting for room in a full queue, a consume waiting for its
     * first message. Borrowed, must outlive the handle; NULL: never. */
    const volatile sig_atomic_t *stop;
} tl_kafka_opts;

/* ---- producer ------------------------------------------------------------ */

typedef struct tl_kafka_producer tl_kafka_producer;

typedef struct tl_kafka_producer_stats {
    uint64_t produced;  /* accepted into the local queue */
    uint64_t delivered; /* acknowledged by the broker */
    uint64_t failed;    /* delivery reports with an error */
    char last_error[256];
} tl_kafka_producer_stats;

/* A producer for o->topic. Defaults, overridable with -X:
 * linger.ms=5, batch.num.messages=10000, queue.buffering.max.messages=200000
 * (the in-flight bound), compression.codec=zstd, enable.idempotence=true. */
tl_kafka_producer *tl_kafka_producer_new(const tl_kafka_opts *o, tl_err *err);

/* Queue one message (payload and key are copied), partitioned by the key's
 * hash. When the local queue is full it serves delivery reports and retries:
 * it never drops. Returns 0, TL_ERR_STOPPED when the stop flag was set while
 * it waited (the message was not queued), or TL_ERR_KAFKA. */
int tl_kafka_produce(tl_kafka_producer *p, const void *key, size_t key_len, const void *payload,
                     size_t len, tl_err *err);

/* Serve delivery reports, waiting up to timeout_ms for one. */
void tl_kafka_producer_poll(tl_kafka_producer *p, int timeout_ms);

/* Serve delivery reports and let about `us` microseconds pass (a pacer's
 * idle): rd_kafka_poll for a wait of a millisecond or more (it returns
 * early when reports come), a sleep for less. */
void tl_kafka_producer_idle(tl_kafka_producer *p, int64_t us);

/* Wait until everything queued is delivered or failed. Returns 0, or
 * TL_ERR_KAFKA when messages are still outstanding after timeout_ms or some
 * deliveries failed (the message says how many). */
int tl_kafka_producer_flush(tl_kafka_producer *p, int timeout_ms, tl_err *err);

void tl_kafka_producer_stats_get(const tl_kafka_producer *p, tl_kafka_producer_stats *out);

/* Flushes (up to 30 s, logging what is left undelivered) and frees. */
void tl_kafka_producer_destroy(tl_kafka_producer *p);

/* ---- consumer ------------------------------------------------------------ */

/* Start offsets a tl_kafka_start_fn may return besides an absolute offset. */
#define TL_KAFKA_OFFSET_BEGINNING (-2)
#define TL_KAFKA_OFFSET_END (-1)
#define TL_KAFKA_OFFSET_STORED (-1000) /* the group's committed offset, else beginning */

/* Called once per newly assigned partition: where to start reading it. */
typedef int64_t (*tl_kafka_start_fn)(void *ud, int32_t partition);

typedef struct tl_kafka_consumer_cbs {
    tl_kafka_start_fn start; /* NULL = TL_KAFKA_OFFSET_STORED for all */
    /* Called for each partition being taken away, before the revoke
     * completes, so the caller can flush and commit; also from
     * tl_kafka_consumer_close. Messages of that partition that were fetched
     * but not yet returned are discarded. May be NULL. */
    void (*on_revoke)(void *ud, int32_t partition);
    /* The partition is caught up: `offset` is the end offset (the next offset
     * to be written). Called each time the consumer reaches the end. May be NULL. */
    void (*on_eof)(void *ud, int32_t partition, int64_t offset);
    void *ud;
    /* Assign every partition of the topic directly (at the first consume)
     * instead of joining the group: no rebalance wait, no on_revoke; the
     * group id is still used for offset commits. One consumer per topic. */
    bool assign_all;
} tl_kafka_consumer_cbs;

typedef struct tl_kafka_msg {
    int32_t partition;
    int64_t offset;
    const void *key; /* NULL when the message has no key */
    size_t key_len;
    const void *payload;
    size_t len;
    int64_t timestamp_ms; /* producer/broker timestamp, -1 when absent */
    void *priv;           /* owned librdkafka message, freed by tl_kafka_msgs_release */
} tl_kafka_msg;

typedef struct tl_kafka_consumer tl_kafka_consumer;

/* Joins group o->group and subscribes to o->topic.
 *
 * Forced, whatever -X says: enable.auto.commit=false,
 * enable.auto.offset.store=false, enable.partition.eof=true (the caller owns
 * positions). Default auto.offset.reset=earliest.
 *
 * On the development broker (brokers on loopback whose cluster says it is
 * a mock one: a probe of at most 1 s before joining) and unless -X sets
 * it: fetch.wait.max.ms=TL_KAFKA_MOCK_FETCH_WAIT_MS (see there).
 *
 * Assignment: eager by default (librdkafka's range,roundrobin): every
 * rebalance revokes all partitions (on_revoke for each) and then assigns the
 * new set (start for each). With -X partition.assignment.strategy=
 * cooperative-sticky only the partitions that move are revoked/assigned;
 * both are handled. */
tl_kafka_consumer *tl_kafka_consumer_new(const tl_kafka_opts *o, const tl_kafka_consumer_cbs *cbs,
                                         tl_err *err);

/* Fills out[0..max) with messages, waiting up to timeout_ms for the first
 * and returning what is available after that. Rebalance and EOF callbacks
 * run inside. Returns the count (0 on timeout) or a negative tl_err_code on a
 * fatal consumer error. Release the messages with tl_kafka_msgs_release. */
int tl_kafka_consume(tl_kafka_consumer *c, tl_kafka_msg *out, size_t max, int timeout_ms,
                     tl_err *err);
void tl_kafka_msgs_release(tl_kafka_msg *msgs, size_t n);

/* Commit `next_offset` (last processed + 1) for a partition to the group,
 * asynchronously: never waits for a broker. Commits are coalesced (at most
 * one request in flight; while it is, later offsets replace earlier ones
 * and go out when it completes, in tl_kafka_consume). A failed commit is
 * logged (a warning, then at most once a minute while they keep failing):
 * callers keep their positions elsewhere and use these only for lag
 * monitoring. Returns 0. */
int tl_kafka_consumer_commit(tl_kafka_consumer *c, int32_t partition, int64_t next_offset,
                             tl_err *err);

/* True while a commit request is in flight or offsets wait to be sent. */
bool tl_kafka_consumer_commit_pending(const tl_kafka_consumer *c);

/* 0 while the brokers are reachable, or were unreachable for less than
 * timeout_ms since the last sign of life (a message, an end of partition, an
 * assignment, a successful commit). After that, TL_ERR_KAFKA with a
 * message naming the bootstrap brokers, how long, and librdkafka's last
 * error. timeout_ms <= 0: never an error. */
int tl_kafka_consumer_check_brokers(tl_kafka_consumer *c, int64_t timeout_ms, tl_err *err);

/* Read the messages of `partition` with offsets from..to (inclusive) as
 * they are now, apart from the group's consumption: fn is called for each,
 * in offset order (returning non-zero stops early). Uses a short-lived
 * second handle (same configuration, no group), so it may be called from
 * the start callback. Stops at the partition's end. Returns 0, or
 * TL_ERR_KAFKA when the messages did not come within timeout_ms. */
typedef int (*tl_kafka_fetch_fn)(void *ud, const tl_kafka_msg *m);
int tl_kafka_consumer_fetch(tl_kafka_consumer *c, int32_t partition, int64_t from, int64_t to,
                            tl_kafka_fetch_fn fn, void *ud, int timeout_ms, tl_err *err);

/* The group's committed offset for a partition (-1001 = none). */
int tl_kafka_consumer_committed(tl_kafka_consumer *c, int32_t partition, int64_t *offset,
                                int timeout_ms, tl_err *err);

/* The partitions currently assigned, ascending; returns how many there are
 * (writes at most cap). */
size_t tl_kafka_consumer_assignment(const tl_kafka_consumer *c, int32_t *out, size_t cap);

/* True while inside on_revoke for partitions that were lost (session timed
 * out) rather than handed over: committing to Kafka will then fail. */
bool tl_kafka_consumer_assignment_lost(tl_kafka_consumer *c);

/* Ask the broker for a partition's low and high watermarks (high = the offset
 * the next message will get). Either pointer may be NULL. */
int tl_kafka_consumer_watermarks(tl_kafka_consumer *c, int32_t partition, int64_t *low,
                                 int64_t *high, int timeout_ms, tl_err *err);

/* Leaves the group: on_revoke for each assigned partition (the revoke
 * itself needs no broker), the last offset commits, then close. Waits at
 * most TL_KAFKA_CLOSE_WAIT_MS for the brokers (leaving the group, the
 * commits), and only ~1 s once the revoke is done when they are known to be
 * unreachable: the group then notices the member gone when its session
 * times out, and the handle is destroyed without a second attempt.
 * Idempotent; destroy calls it when the caller did not. */
#define TL_KAFKA_CLOSE_WAIT_MS 5000
/* destroy waits at most this long for librdkafka to let go of brokers that
 * are away (requests in flight), then leaves it to a background thread. */
#define TL_KAFKA_DESTROY_WAIT_MS 3000
void tl_kafka_consumer_close(tl_kafka_consumer *c);
void tl_kafka_consumer_destroy(tl_kafka_consumer *c);

/* ---- development broker (librdkafka mock cluster) ------------------------ */

typedef struct tl_kafka_mock tl_kafka_mock;

/* An in-memory, single-broker Kafka cluster on loopback with `topic` created
 * with `partitions` partitions (other topics are auto-created). `listen` is
 * "127.0.0.1:0" or "localhost:0" (or NULL): librdkafka 2.0.2 always binds
 * its mock brokers to 127.0.0.1 on a kernel-chosen port, so a fixed port or
 * another address is refused with TL_ERR_INVALID. Serves other processes
 * until destroyed.
 *
 * Retention: librdkafka hard-codes each mock partition to keep at most 5 MiB
 * (or 100000 batches) of the batches as produced (compressed), dropping the
 * oldest beyond that like a retention limit: ~40k uncompressed ticks or ~220k
 * zstd-compressed ticks per partition. A consumer further behind than that
 * finds its offset out of range. */
tl_kafka_mock *tl_kafka_mock_new(const char *listen, int partitions, const char *topic,
                                 tl_err *err);
/* "127.0.0.1:PORT" — what clients use as bootstrap.servers. */
const char *tl_kafka_mock_bootstraps(const tl_kafka_mock *m);

/* The consumer's fetch.wait.max.ms for the dev broker. The mock broker
 * answers a fetch that found no data only after the consumer's full wait
 * (librdkafka's default: 500 ms) and does not cut it short when a producer
 * writes meanwhile, so a caught-up consumer saw each new tick up to 500 ms
 * late (tick -> dashboard p50 331 ms at 20k ticks/s; 19 ms with this). A real
 * broker answers as soon as data arrives and needs no such setting. Every
 * consumer finds out for itself that its brokers are the dev broker
 * (tl_kafka_consumer_new), so `stream` against `ticklake broker` gets this
 * too: with the 500 ms its ticks reached the lake in half-second clumps
 * (tick -> queryable p99 2.1-3.3 s at 10k ticks/s, ~1.1 s with this). */
#define TL_KAFKA_MOCK_FETCH_WAIT_MS "10"
void tl_kafka_mock_destroy(tl_kafka_mock *m);

#endif
