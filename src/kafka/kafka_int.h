/* kafka module internals: building librdkafka configurations. Not for use
 * outside src/kafka/ (callers never see librdkafka types). */
#ifndef TL_KAFKA_KAFKA_INT_H
#define TL_KAFKA_KAFKA_INT_H

#include <librdkafka/rdkafka.h>

#include <stdbool.h>
#include <stdint.h>

#include "kafka/kafka.h"
#include "util/err.h"

/* What the error callback learnt about a handle that the caller must act on.
 * The first member of tl_kafka_producer and tl_kafka_consumer, whose
 * address is the librdkafka opaque, so the callback finds it. */
typedef struct tl_kafka_health {
    /* Set (once) when a broker rejected our credentials: librdkafka would
     * retry forever, but a wrong password does not heal, so the wrapper's
     * calls fail with this message instead of waiting (as Java clients
     * treat SaslAuthenticationException). Empty = none. */
    char auth_error[512]; /* a tl_err message holds 512 */
    /* Broker reachability, for callers that must not wait for ever
     * (stream --until-end): the first time since the last sign of life
     * (tl_kafka_health_alive) that librdkafka reported a broker unreachable
     * (transport, resolve, timeout, all brokers down), 0 = none since; and
     * the last error librdkafka reported, "" = none. */
    int64_t unreachable_since_ms; /* monotonic */
    char last_error[256];
} tl_kafka_health;

/* A broker answered (a message, an end of partition, an assignment, a
 * commit): whatever was reported before is over. */
static inline void tl_kafka_health_alive(tl_kafka_health *h) {
    h->unreachable_since_ms = 0;
}

/* TL_ERR_KAFKA with the authentication error, or 0 when there is none. */
int tl_kafka_health_check(const tl_kafka_health *h, tl_err *err);

/* The message for an authentication failure (exposed for the unit tests):
 * librdkafka's reason (which names the broker) with the configured
 * mechanism and user, and a hint when the linked librdkafka (version in
 * rd_kafka_version() form) cannot do SCRAM with Kafka 4 brokers. */
void tl_kafka_auth_message(char *out, size_t cap, const char *reason, const char *mechanism,
                           const char *username, int rdkafka_version);

/* One property: a default or forced value, set around the user's. */
typedef struct tl_kafka_prop {
    const char *key;
    const char *value;
} tl_kafka_prop;

/* A configuration from: `defaults` (NULL-key terminated, may be NULL),
 * bootstrap.servers = o->brokers (when set), o->props in order,
 * then `forced` (may be NULL). Routes librdkafka's logs to tl_log; the
 * caller must set the opaque to a struct whose first member is a
 * tl_kafka_health (the error callback records authentication failures
 * there), or leave it NULL.
 * Errors name the property and the value. */
rd_kafka_conf_t *tl_kafka_conf_new(const tl_kafka_opts *o, const tl_kafka_prop *defaults,
                                   const tl_kafka_prop *forced, tl_err *err);

/* Set one property; the error names it. */
int tl_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, const char *origin,
                      tl_err *err);

/* Whether a librdkafka error means the brokers cannot be reached. */
bool tl_kafka_err_unreachable(int err);

/* The development broker (kafka_devbroker.c). Whether every entry of a
 * bootstrap.servers list is 127.0.0.1:PORT or localhost:PORT (the only
 * address the dev broker can listen on), and whether a cluster id is a mock
 * cluster's. */
bool tl_kafka_brokers_loopback(const char *bootstrap);
bool tl_kafka_cluster_id_is_dev(const char *cluster_id);

/* When conf's brokers are on loopback, the user set no fetch.wait.max.ms and
 * the cluster there says it is the dev broker (one short probe, at most 1 s):
 * sets fetch.wait.max.ms = TL_KAFKA_MOCK_FETCH_WAIT_MS in conf and returns 1.
 * 0 when it leaves conf alone; the error of setting it otherwise. */
int tl_kafka_dev_fetch_wait(rd_kafka_conf_t *conf, const tl_kafka_opts *o, tl_err *err);

/* The consumer's fetch.wait.max.ms as configured, -1 if unreadable: for the
 * unit tests of the above. */
int tl_kafka_consumer_fetch_wait_ms(const tl_kafka_consumer *c);

/* Waking a fetcher parked on a full queue (kafka_nudge.c). The state a
 * consumer keeps for it, zeroed at first. */
typedef struct tl_kafka_nudge {
    int64_t next_ms;  /* monotonic: not before then */
    int interval_ms;  /* 50 ms, doubling while the positions stand still */
    int64_t progress; /* the positions' sum at the last nudge */
    unsigned sent;    /* nudges so far */
} tl_kafka_nudge;

/* For a consumer that found its queue empty: when one of `parts` has
 * messages past its position at the broker and the interval has passed, one
 * request to each of their leaders wakes its fetcher. Whether it sent. */
bool tl_kafka_nudge_fetcher(tl_kafka_nudge *st, rd_kafka_t *rk, const char *topic,
                            const int32_t *parts, size_t n);

/* How many times the consumer woke its fetcher (for the unit tests). */
unsigned tl_kafka_consumer_nudges(const tl_kafka_consumer *c);

/* The development broker's only broker down (connections closed, new ones
 * refused) or up again: for the unit tests of broker loss. */
void tl_kafka_mock_set_up(tl_kafka_mock *m, bool up);

#endif
