/* kafka module internals: building librdkafka configurations. Not for use
 * outside src/kafka/ (callers never see librdkafka types). */
#ifndef TL_KAFKA_KAFKA_INT_H
#define TL_KAFKA_KAFKA_INT_H

#include <librdkafka/rdkafka.h>

#include "conf/conf.h"
#include "util/err.h"

/* One property: a default or forced value, set around the user's. */
typedef struct tl_kafka_prop {
    const char *key;
    const char *value;
} tl_kafka_prop;

/* A configuration from: `defaults` (NULL-key terminated, may be NULL),
 * bootstrap.servers = cfg->brokers (when set), cfg->kafka_props in order,
 * then `forced` (may be NULL). Routes librdkafka's logs to tl_log.
 * Errors name the property and the value. */
rd_kafka_conf_t *tl_kafka_conf_new(const tl_config *cfg, const tl_kafka_prop *defaults,
                                   const tl_kafka_prop *forced, tl_err *err);

/* Set one property; the error names it. */
int tl_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, const char *origin,
                      tl_err *err);

#endif
