/* Building librdkafka configurations from tl_kafka_opts (kcat's -X model: every
 * property passes straight through, librdkafka validates it). */
#include "kafka/kafka_int.h"

#include <stdio.h>
#include <string.h>

#include "util/clock.h"
#include "util/log.h"

/* librdkafka's syslog levels onto ours; its chatter below WARNING is debug. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    tl_log_level l = level <= 3 ? TL_LOG_ERROR : level == 4 ? TL_LOG_WARN : TL_LOG_DEBUG;
    if (tl_log_enabled(l))
        tl_log(l, "kafka", "%s: %s: %s", rd_kafka_name(rk), fac, buf);
}

/* librdkafka before 2.6.1 builds SCRAM's client-final message with the
 * client nonce appended twice; Kafka 4 brokers check the nonce strictly
 * (RFC 5802) and reject every proof (fixed in librdkafka PR #4895). */
#define TL_RDKAFKA_SCRAM_FIXED 0x020601ff

void tl_kafka_auth_message(char *out, size_t cap, const char *reason, const char *mechanism,
                           const char *username, int rdkafka_version) {
    char hint[160] = "";
    if (strncmp(mechanism, "SCRAM", 5) == 0 && rdkafka_version < TL_RDKAFKA_SCRAM_FIXED)
        snprintf(hint, sizeof hint,
                 "; librdkafka %d.%d.%d (before 2.6.1) cannot use SCRAM with Kafka 4 brokers: use "
                 "PLAIN (over TLS) or a newer librdkafka",
                 (rdkafka_version >> 24) & 0xff, (rdkafka_version >> 16) & 0xff,
                 (rdkafka_version >> 8) & 0xff);
    /* the reason last: in a bounded message, its tail matters least */
    snprintf(out, cap,
             "Kafka authentication failed (SASL mechanism %s, user '%s'; check sasl.username, "
             "sasl.password, sasl.mechanisms in kafka: or -X)%s: %s",
             mechanism, username, hint, reason);
}

int tl_kafka_health_check(const tl_kafka_health *h, tl_err *err) {
    if (!h->auth_error[0])
        return 0;
    return tl_err_set(err, TL_ERR_KAFKA, "%s", h->auth_error);
}

static void conf_str(rd_kafka_t *rk, const char *key, char *out, size_t cap) {
    size_t n = cap;
    if (rd_kafka_conf_get(rd_kafka_conf(rk), key, out, &n) != RD_KAFKA_CONF_OK || !out[0])
        snprintf(out, cap, "(none)");
}

bool tl_kafka_err_unreachable(int err) {
    switch (err) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR: return true;
    default: return false;
    }
}

/* Broker connection trouble and the like: librdkafka retries by itself, so
 * these are warnings unless fatal, or a rejected login (see tl_kafka_health). */
static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    tl_kafka_health *h = opaque;
    if (err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
        return; /* news, not an error (served here only while a consumer closes) */
    if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION && h && !h->auth_error[0]) {
        char mech[64], user[128];
        conf_str(rk, "sasl.mechanisms", mech, sizeof mech);
        conf_str(rk, "sasl.username", user, sizeof user);
        tl_kafka_auth_message(h->auth_error, sizeof h->auth_error, reason, mech, user,
                              rd_kafka_version());
        tl_error("kafka", "%s: %s", rd_kafka_name(rk), h->auth_error);
        return;
    }
    if (h) {
        snprintf(h->last_error, sizeof h->last_error, "%s", reason);
        if (tl_kafka_err_unreachable(err) && !h->unreachable_since_ms)
            h->unreachable_since_ms = tl_mono_ms();
    }
    if (err == RD_KAFKA_RESP_ERR__FATAL)
        tl_error("kafka", "%s: fatal: %s", rd_kafka_name(rk), reason);
    else
        tl_warn("kafka", "%s: %s: %s", rd_kafka_name(rk), rd_kafka_err2name(err), reason);
}

int tl_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, const char *origin,
                      tl_err *err) {
    char errstr[512];
    if (rd_kafka_conf_set(conf, key, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
        return tl_err_set(err, TL_ERR_INVALID, "kafka property %s=%s (%s): %s", key, value, origin,
                          errstr);
    return 0;
}

static int set_list(rd_kafka_conf_t *conf, const tl_kafka_prop *props, const char *origin,
                    tl_err *err) {
    for (; props && props->key; props++) {
        int rc = tl_kafka_conf_set(conf, props->key, props->value, origin, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

rd_kafka_conf_t *tl_kafka_conf_new(const tl_kafka_opts *o, const tl_kafka_prop *defaults,
                                   const tl_kafka_prop *forced, tl_err *err) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (!conf) {
        tl_err_set(err, TL_ERR_NOMEM, "out of memory creating a kafka configuration");
        return NULL;
    }
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    if (set_list(conf, defaults, "ticklake default", err) < 0)
        goto fail;
    if (o->brokers && *o->brokers &&
        tl_kafka_conf_set(conf, "bootstrap.servers", o->brokers, "--brokers", err) < 0)
        goto fail;
    for (size_t i = 0; i < o->n_props; i++) {
        const tl_kv *kv = &o->props[i];
        if (tl_kafka_conf_set(conf, kv->key, kv->value, "kafka: section or -X", err) < 0)
            goto fail;
    }
    for (const tl_kafka_prop *f = forced; f && f->key; f++) {
        char cur[256];
        size_t n = sizeof cur;
        /* Say so when a user setting is overridden, instead of silently. */
        if (rd_kafka_conf_get(conf, f->key, cur, &n) == RD_KAFKA_CONF_OK &&
            strcmp(cur, f->value) != 0) {
            for (size_t i = 0; i < o->n_props; i++) {
                if (strcmp(o->props[i].key, f->key) == 0)
                    tl_warn("kafka", "ignoring %s=%s: ticklake needs %s=%s", f->key, cur, f->key,
                            f->value);
            }
        }
        if (tl_kafka_conf_set(conf, f->key, f->value, "required by ticklake", err) < 0)
            goto fail;
    }
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}
