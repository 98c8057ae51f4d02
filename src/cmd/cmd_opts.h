/* cmd_opts — the command layer's glue from tl_config to module options, so
 * that modules take their own small option structs, not the whole config. */
#ifndef TL_CMD_CMD_OPTS_H
#define TL_CMD_CMD_OPTS_H

#include "conf/conf.h"
#include "web/web.h"

void tl_cmd_web_opts(tl_web_opts *o, const tl_config *cfg, tl_live *live, tl_store *store);

#endif
