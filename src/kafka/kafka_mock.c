/* The development broker: librdkafka's mock cluster (in memory, one broker
 * on loopback). librdkafka needs a client handle to host the cluster; the
 * cluster runs on its own thread and serves any process on the machine. */
#include <stdlib.h>
#include <string.h>

#include "kafka/kafka.h"
#include "kafka/kafka_int.h" /* rdkafka.h, which rdkafka_mock.h needs first */

#include <librdkafka/rdkafka_mock.h>

#include "util/log.h"

struct tl_kafka_mock {
    rd_kafka_t *rk; /* hosts the cluster */
    rd_kafka_mock_cluster_t *mcluster;
    char *bootstraps;
};

/* librdkafka 2.0.2's mock brokers always bind 127.0.0.1:0 (there is no
 * listener option), so only that is accepted rather than silently ignoring
 * what the user asked for. */
static int check_listen(const char *listen, tl_err *err) {
    if (!listen || !*listen)
        return 0;
    const char *colon = strrchr(listen, ':');
    size_t host_len = colon ? (size_t)(colon - listen) : strlen(listen);
    const char *port = colon ? colon + 1 : "0";
    bool host_ok = (host_len == 9 && strncmp(listen, "127.0.0.1", 9) == 0) ||
                   (host_len == 9 && strncmp(listen, "localhost", 9) == 0);
    if (!host_ok || strcmp(port, "0") != 0)
        return tl_err_set(err, TL_ERR_INVALID,
                          "--listen %s: the development broker can only listen on 127.0.0.1 "
                          "with a port the kernel picks (127.0.0.1:0); librdkafka's mock cluster "
                          "has no option for a fixed address or port. Read the address from the "
                          "first line broker prints.",
                          listen);
    return 0;
}

tl_kafka_mock *tl_kafka_mock_new(const char *listen, int partitions, const char *topic,
                                 tl_err *err) {
    char errstr[512];
    rd_kafka_conf_t *conf = NULL;
    tl_kafka_mock *m = NULL;
    if (check_listen(listen, err) < 0)
        return NULL;
    if (partitions < 1 || partitions > 10000) {
        tl_err_set(err, TL_ERR_INVALID, "--partitions %d: must be between 1 and 10000", partitions);
        return NULL;
    }
    if (!topic || !*topic) {
        tl_err_set(err, TL_ERR_INVALID, "no topic given (--topic)");
        return NULL;
    }
    if (!(m = calloc(1, sizeof *m)))
        goto nomem;
    tl_kafka_opts empty = {0};
    if (!(conf = tl_kafka_conf_new(&empty, NULL, NULL, err)))
        goto fail;
    m->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!m->rk) {
        tl_err_set(err, TL_ERR_KAFKA, "creating the mock cluster's host handle: %s", errstr);
        goto fail;
    }
    conf = NULL;
    m->mcluster = rd_kafka_mock_cluster_new(m->rk, 1);
    if (!m->mcluster) {
        tl_err_set(err, TL_ERR_KAFKA, "creating the mock cluster failed (see the log above)");
        goto fail;
    }
    rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(m->mcluster, topic, partitions, 1);
    if (e) {
        tl_err_set(err, TL_ERR_KAFKA, "creating topic %s with %d partitions: %s", topic, partitions,
                   rd_kafka_err2str(e));
        goto fail;
    }
    if (!(m->bootstraps = strdup(rd_kafka_mock_cluster_bootstraps(m->mcluster))))
        goto nomem;
    return m;
nomem:
    tl_err_set(err, TL_ERR_NOMEM, "out of memory creating the development broker");
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    tl_kafka_mock_destroy(m);
    return NULL;
}

const char *tl_kafka_mock_bootstraps(const tl_kafka_mock *m) {
    return m->bootstraps;
}

void tl_kafka_mock_destroy(tl_kafka_mock *m) {
    if (!m)
        return;
    if (m->mcluster)
        rd_kafka_mock_cluster_destroy(m->mcluster);
    if (m->rk)
        rd_kafka_destroy(m->rk);
    free(m->bootstraps);
    free(m);
}

void tl_kafka_mock_set_up(tl_kafka_mock *m, bool up) {
    if (up)
        rd_kafka_mock_broker_set_up(m->mcluster, 1);
    else
        rd_kafka_mock_broker_set_down(m->mcluster, 1);
}
