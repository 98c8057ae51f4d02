/* cmd_opts: module options filled from the settings, in one place for the
 * commands that share a module (dashboard and up both serve the web UI). */
#include "cmd/cmd_opts.h"

void tl_cmd_web_opts(tl_web_opts *o, const tl_config *cfg, tl_live *live, tl_store *store) {
    *o = (tl_web_opts){.listen = cfg->web_listen,
                       .token = cfg->web_token,
                       .live = live,
                       .store = store,
                       .max_clients = (size_t)cfg->web_max_connections,
                       .max_per_client = (size_t)cfg->web_max_per_client,
                       .idle_timeout_ms = cfg->web_idle_timeout_ms,
                       .insecure = cfg->web_insecure};
}

void tl_cmd_sim_pump_opts(tl_sim_pump_opts *o, const tl_config *cfg) {
    *o = (tl_sim_pump_opts){.rate = cfg->rate > 0 ? cfg->rate : 0};
}
