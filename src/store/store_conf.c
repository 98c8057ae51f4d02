/* store_conf — the s3.* settings of ticklake.yml / TICKLAKE_* / flags,
 * merged with the AWS_* environment, into tl_store_opts (see store_conf.h). */
#include "store/store_conf.h"

#include <string.h>

static const char *first_set(const char *a, const char *b) {
    return a && *a ? a : b;
}

/* Commands that only read or maintain a lake are interactive: an
 * unreachable endpoint fails them in seconds, not after a minute of retries. */
#define FAIL_FAST_CONNECT_MS 3000

const tl_store_opts *tl_store_conf_fill(tl_store_conf *c, const tl_config *cfg, bool must_exist) {
    tl_store_s3_options *o = &c->s3;
    tl_store_s3_options_from_env(o); /* endpoint, region and credentials from AWS_* */
    o->endpoint = first_set(cfg->s3_endpoint, o->endpoint);
    o->region = first_set(cfg->s3_region, o->region);
    bool env_keys =
        o->access_key_id && *o->access_key_id && o->secret_access_key && *o->secret_access_key;
    if (!env_keys) { /* the file's trio, never mixed with half of the environment's */
        o->access_key_id = cfg->s3_access_key_id;
        o->secret_access_key = cfg->s3_secret_access_key;
        o->session_token = cfg->s3_session_token;
    }
    const char *ps = cfg->s3_path_style ? cfg->s3_path_style : "auto";
    o->path_style = strcmp(ps, "true") == 0 ? 1 : strcmp(ps, "false") == 0 ? 0 : -1;
    o->multipart_threshold = cfg->s3_multipart_threshold;
    o->part_size = cfg->s3_part_size;
    o->timeout_ms = cfg->s3_timeout_ms;
    o->max_retry_time_ms = cfg->s3_max_retry_time_ms;
    o->first_connect_timeout_ms = must_exist ? FAIL_FAST_CONNECT_MS : 0;
    c->opts = (tl_store_opts){.uri = cfg->lake, .s3 = o, .must_exist = must_exist};
    return &c->opts;
}

tl_store *tl_store_conf_open(const tl_config *cfg, bool must_exist, tl_err *err) {
    tl_store_conf c;
    return tl_store_open_opts(tl_store_conf_fill(&c, cfg, must_exist), err);
}
