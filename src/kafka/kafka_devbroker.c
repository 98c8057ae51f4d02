/* Telling the development broker (`ticklake broker`, librdkafka's mock
 * cluster) apart from a real one, so that a consumer of it fetches with a
 * short wait (see TL_KAFKA_MOCK_FETCH_WAIT_MS): the mock holds a fetch that
 * found no data for the consumer's whole fetch.wait.max.ms and does not cut
 * it short when a producer writes, so with librdkafka's 500 ms a caught-up
 * stream got ticks in half-second clumps (tick -> queryable p50 1.0 s, p99
 * 2.1-3.3 s at 10k ticks/s; BENCHMARKS.md "Latency"). A real broker answers
 * as soon as data arrives, so there the setting is left alone. */
#include <stdio.h>
#include <string.h>

#include "kafka/kafka_int.h"
#include "util/log.h"

/* How long the probe waits for the cluster's id: a loopback broker answers
 * in a few ms; one that is not up yet costs this much once, and the
 * consumer keeps librdkafka's default. */
#define PROBE_TIMEOUT_MS 1000

/* librdkafka 2.0.2 names every mock cluster "mockCluster<hex>". */
#define MOCK_CLUSTER_PREFIX "mockCluster"

/* One "host:port" (an optional "proto://" before it) on loopback. */
static bool entry_loopback(const char *e, size_t len) {
    const char *sep = memchr(e, ':', len);
    if (sep && sep + 2 < e + len && sep[1] == '/' && sep[2] == '/') { /* proto:// */
        len -= (size_t)(sep + 3 - e);
        e = sep + 3;
        sep = memchr(e, ':', len);
    }
    if (!sep || sep + 1 == e + len)
        return false;
    size_t hlen = (size_t)(sep - e);
    bool host = (hlen == 9 && strncmp(e, "127.0.0.1", 9) == 0) ||
                (hlen == 9 && strncmp(e, "localhost", 9) == 0);
    for (const char *p = sep + 1; p < e + len; p++)
        if (*p < '0' || *p > '9')
            return false;
    return host;
}

bool tl_kafka_brokers_loopback(const char *bootstrap) {
    if (!bootstrap || !*bootstrap)
        return false;
    for (const char *s = bootstrap;;) {
        while (*s == ' ')
            s++;
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        while (len && s[len - 1] == ' ')
            len--;
        if (!entry_loopback(s, len))
            return false;
        if (!end)
            return true;
        s = end + 1;
    }
}

bool tl_kafka_cluster_id_is_dev(const char *cluster_id) {
    return cluster_id && strncmp(cluster_id, MOCK_CLUSTER_PREFIX, strlen(MOCK_CLUSTER_PREFIX)) == 0;
}

/* The probe's own chatter (a broker not up yet, warnings about consumer
 * properties on a producer handle) is the consumer's to report, not its. */
static void quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    (void)level;
    tl_debug("kafka", "%s: %s: %s", rd_kafka_name(rk), fac, buf);
}
static void quiet_error(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    (void)opaque;
    tl_debug("kafka", "%s: %s: %s", rd_kafka_name(rk), rd_kafka_err2name(err), reason);
}

/* Whether the cluster at conf's bootstrap.servers says it is a mock one. A
 * short-lived producer handle (no group, nothing produced) asks for its id. */
static bool probe_is_dev(const rd_kafka_conf_t *conf) {
    char errstr[512];
    rd_kafka_conf_t *pc = rd_kafka_conf_dup(conf);
    if (!pc)
        return false;
    rd_kafka_conf_set_log_cb(pc, quiet_log);
    rd_kafka_conf_set_error_cb(pc, quiet_error);
    rd_kafka_conf_set_opaque(pc, NULL);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, pc, errstr, sizeof errstr);
    if (!rk) {
        rd_kafka_conf_destroy(pc);
        return false;
    }
    char *id = rd_kafka_clusterid(rk, PROBE_TIMEOUT_MS);
    bool dev = tl_kafka_cluster_id_is_dev(id);
    if (id)
        rd_kafka_mem_free(rk, id);
    rd_kafka_destroy(rk);
    return dev;
}

static bool user_set(const tl_kafka_opts *o, const char *key) {
    for (size_t i = 0; i < o->n_props; i++)
        if (strcmp(o->props[i].key, key) == 0)
            return true;
    return false;
}

int tl_kafka_dev_fetch_wait(rd_kafka_conf_t *conf, const tl_kafka_opts *o, tl_err *err) {
    char bootstrap[512];
    size_t n = sizeof bootstrap;
    if (user_set(o, "fetch.wait.max.ms") ||
        rd_kafka_conf_get(conf, "bootstrap.servers", bootstrap, &n) != RD_KAFKA_CONF_OK ||
        !tl_kafka_brokers_loopback(bootstrap) || !probe_is_dev(conf))
        return 0;
    if (tl_kafka_conf_set(conf, "fetch.wait.max.ms", TL_KAFKA_MOCK_FETCH_WAIT_MS,
                          "the development broker", err) < 0)
        return err->code;
    tl_debug("kafka",
             "%s is the development broker: fetch.wait.max.ms=%s (it holds an empty fetch for "
             "the whole wait)",
             bootstrap, TL_KAFKA_MOCK_FETCH_WAIT_MS);
    return 1;
}
