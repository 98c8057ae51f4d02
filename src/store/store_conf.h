/* store_conf — option-filling glue: the lake path and the s3.* settings of
 * ticklake.yml / TICKLAKE_* / flags, merged with the AWS_* environment, into
 * tl_store_opts. The store itself never sees the application's config. */
#ifndef TL_STORE_STORE_CONF_H
#define TL_STORE_STORE_CONF_H

#include <stdbool.h>

#include "conf/conf.h"
#include "store/store.h"
#include "store/store_s3.h"

/* Holds what tl_store_opts points to; strings borrow from cfg and the
 * environment, so it lives no longer than they do. */
typedef struct tl_store_conf {
    tl_store_s3_options s3;
    tl_store_opts opts; /* opts.s3 points at s3 above */
} tl_store_conf;

/* Fill c from cfg. Credentials: the AWS_ACCESS_KEY_ID +
 * AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN) pair in the environment wins,
 * as AWS users expect; else s3.access_key_id etc. Unset endpoint and region
 * fall back to the AWS_* variables. Returns &c->opts. */
const tl_store_opts *tl_store_conf_fill(tl_store_conf *c, const tl_config *cfg, bool must_exist);

/* Fill and open in one step, for commands. */
tl_store *tl_store_conf_open(const tl_config *cfg, bool must_exist, tl_err *err);

#endif
