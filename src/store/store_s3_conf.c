/* store_s3_conf — the s3.* settings of ticklake.yml / TICKLAKE_* / flags,
 * merged with the AWS_* environment, into tl_store_s3_options. */
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "store/store_s3.h"

static const char *first_set(const char *a, const char *b) {
    return a && *a ? a : b;
}

#define FAIL_FAST_CONNECT_MS 3000

static tl_store *open_cfg(const tl_config *cfg, int64_t first_connect_ms, tl_err *err) {
    tl_store_s3_options o;
    tl_store_s3_options_from_env(&o); /* endpoint, region and credentials from AWS_* */
    o.endpoint = first_set(cfg->s3_endpoint, o.endpoint);
    o.region = first_set(cfg->s3_region, o.region);
    bool env_keys =
        o.access_key_id && *o.access_key_id && o.secret_access_key && *o.secret_access_key;
    if (!env_keys) { /* the file's trio, never mixed with half of the environment's */
        o.access_key_id = cfg->s3_access_key_id;
        o.secret_access_key = cfg->s3_secret_access_key;
        o.session_token = cfg->s3_session_token;
    }
    const char *ps = cfg->s3_path_style ? cfg->s3_path_style : "auto";
    o.path_style = strcmp(ps, "true") == 0 ? 1 : strcmp(ps, "false") == 0 ? 0 : -1;
    o.multipart_threshold = cfg->s3_multipart_threshold;
    o.part_size = cfg->s3_part_size;
    o.timeout_ms = cfg->s3_timeout_ms;
    o.max_retry_time_ms = cfg->s3_max_retry_time_ms;
    o.first_connect_timeout_ms = first_connect_ms;
    return tl_store_s3_new(cfg->lake, &o, err);
}

tl_store *tl_store_s3_open_cfg(const tl_config *cfg, tl_err *err) {
    return open_cfg(cfg, 0, err);
}

tl_store *tl_store_s3_open_cfg_fail_fast(const tl_config *cfg, tl_err *err) {
    return open_cfg(cfg, FAIL_FAST_CONNECT_MS, err);
}
