/* cmd_opts — the command layer's glue from tl_config to module options, so
 * that modules take their own small option structs, not the whole config. */
#ifndef TL_CMD_CMD_OPTS_H
#define TL_CMD_CMD_OPTS_H

#include "conf/conf.h"
#include "sim/sim_pump.h"
#include "web/web.h"

void tl_cmd_web_opts(tl_web_opts *o, const tl_config *cfg, tl_live *live, tl_store *store);

/* The simulator's pacing from the settings, the same for `simulate` and
 * `up`: --rate messages per second, 0 = as fast as possible. The rest of o
 * (count, duration, callbacks) is zeroed for the caller to fill. */
void tl_cmd_sim_pump_opts(tl_sim_pump_opts *o, const tl_config *cfg);

#endif
