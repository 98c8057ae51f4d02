/* ticklake dashboard: the web dashboard over a lake, on its own. The live
 * state follows the lake's new commits (no stream in this process). */
#include <stdio.h>

#include "cmd/cmd.h"
#include "cmd/cmd_opts.h"
#include "live/live.h"
#include "live/live_follow.h"
#include "store/store.h"
#include "store/store_conf.h"
#include "util/log.h"
#include "util/signals.h"
#include "web/web.h"

static int run(const tl_config *cfg, int argc, char **argv) {
    if (argc > 0) {
        tl_log_line(TL_LOG_ERROR, "dashboard",
                    "ticklake dashboard: unexpected argument '%s'", argv[0]);
        return TL_EXIT_USAGE;
    }
    int rc = tl_cmd_lake_check(cfg, "dashboard");
    if (rc != TL_EXIT_OK)
        return rc;
    rc = TL_EXIT_FAILURE;
    tl_err err = {0};
    tl_store *store = NULL;
    tl_live *live = NULL;
    tl_live_follow *follow = NULL;
    tl_web *web = NULL;
    if (!(store = tl_store_conf_open(cfg, true, &err)))
        goto out;
    if (!(live = tl_live_new(&(tl_live_opts){
                       .quality = {.jump_sigmas = cfg->quality_jump_sigmas,
                                   .stale_after_s = cfg->quality_stale_after_ms / 1000}}))) {
        tl_err_set(&err, TL_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* the first poll on this thread: a broken lake fails here, loudly */
    tl_duck_opts duck;
    tl_cmd_duck_opts(&duck, cfg);
    if (!(follow = tl_live_follow_new(live, store, true, &duck, &err)))
        goto out;
    tl_live_follow_set_warehouse(follow, cfg->warehouse);
    if (tl_live_follow_poll(follow, &err) != 0 || tl_live_follow_start(follow, 1000, &err) != 0)
        goto out;
    tl_web_opts wo;
    tl_cmd_web_opts(&wo, cfg, live, store);
    if (!(web = tl_web_new(&wo, &err)))
        goto out;
    if (tl_web_start(web, &err) != 0) {
        rc = err.code == TL_ERR_INVALID ? TL_EXIT_USAGE : TL_EXIT_FAILURE;
        goto out;
    }
    printf("ticklake dashboard: %s (lake %s; Ctrl-C stops)\n", tl_web_url(web), cfg->lake);
    fflush(stdout);
    /* stdout is for a person or a script waiting for the address; the log
     * says it too, so a service manager's journal shows where it serves */
    tl_infof("dashboard", TL_FIELDS(TL_LS("url", tl_web_url(web)), TL_LS("lake", cfg->lake)),
             "serving the lake's dashboard");
    while (!tl_stop_requested())
        tl_sleep_ms(500);
    tl_info("dashboard", "stopping");
    rc = TL_EXIT_OK;
out:
    if (rc != TL_EXIT_OK)
        tl_log_line(TL_LOG_ERROR, "dashboard",
                    "ticklake dashboard: %s", err.msg[0] ? err.msg : "failed");
    tl_web_destroy(web);
    tl_live_follow_destroy(follow);
    tl_live_destroy(live);
    tl_store_destroy(store);
    return rc;
}

const tl_command tl_cmd_dashboard = {
    .name = "dashboard",
    .summary = "the live web dashboard over a lake",
    .usage = "--lake DIR [--listen 127.0.0.1:8080]",
    .description =
        "Serves the dashboard: a ticker table (last, change, min, max, average, volume,\n"
        "sparkline), a chart of the selected ticker (from the range's first trade: a\n"
        "one-second price line when that spans up to 15 min, else candles giving 60-300\n"
        "bars, on a linear time axis where minutes without trades are gaps; volume;\n"
        "min/max/average over the range), a compare view (tickers as % change) and the\n"
        "pipeline's health, updated live by Server-Sent Events (only what changed; an idle\n"
        "stream gets a ': keepalive' comment). It opens live when the lake\n"
        "is being written, else on the latest day it holds; any day or custom range lists\n"
        "that range's symbols from the lake. It follows the lake's newest commits (reading\n"
        "only the files they add), reads the last compaction from the log and the last\n"
        "models run from --warehouse, and answers older ranges from the lake (DuckDB).\n"
        "\n"
        "JSON: /api/symbols[?from=&to=], /api/bars?symbol=&from=&to=&interval=,\n"
        "/api/line?symbol=&from=&to=&step=, /api/stats?symbol=&\n"
        "from=&to=, /api/health, /api/days; events: /api/events; Prometheus: /metrics.\n"
        "Binds 127.0.0.1 by default; set web.token (TICKLAKE_WEB_TOKEN) to require\n"
        "'Authorization: Bearer <token>' on /api and /metrics (the page takes ?token=).\n"
        "A non-loopback --listen needs the token (or --insecure). One client address holds\n"
        "at most --max-connections-per-client connections, silent ones close after\n"
        "--idle-timeout, so idle clients cannot starve /api/health or /metrics.",
    .groups = TL_CG_WEB | TL_CG_LAKE,
    .run = run,
};
