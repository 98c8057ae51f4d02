/* ticklake schedule: the cron-style scheduler for compaction, models and
 * vacuum (src/sched), in the foreground, --once, or --list. */
#include <stdio.h>

#include "cmd/cmd.h"
#include "cmd/cmd_opts.h"
#include "lake/lake.h"
#include "sched/sched_conf.h"
#include "store/store.h"
#include "store/store_conf.h"
#include "util/log.h"

static int schedule_run(const tl_config *cfg, int argc, char **argv) {
    if (argc != 0) {
        tl_log_line(TL_LOG_ERROR, "schedule",
                    "ticklake schedule: unexpected argument '%s' (see --help)", argv[0]);
        return TL_EXIT_USAGE;
    }
    tl_err err = {0};
    tl_sched *s = NULL;
    int rc = TL_EXIT_FAILURE;
    tl_lake_opts lake;
    tl_cmd_lake_opts(&lake, cfg);
    tl_store *store = tl_store_conf_open(cfg, true, &err);
    if (!store)
        goto out;
    tl_sched_lake_conf sc;
    tl_sched_lake_opts *o = tl_sched_lake_conf_fill(&sc, cfg, store, &lake);
    o->models_out = stdout;
    if (!(s = tl_sched_lake_new(o, NULL, &err))) {
        rc = err.code == TL_ERR_INVALID ? TL_EXIT_USAGE : TL_EXIT_FAILURE;
        goto out;
    }
    if (cfg->schedule_list) {
        tl_sched_print(s, stdout);
        rc = fflush(stdout) == 0 ? TL_EXIT_OK : TL_EXIT_FAILURE;
    } else if (cfg->schedule_once) {
        size_t bad = tl_sched_run_all(s);
        if (bad)
            tl_error("schedule", "%zu job%s failed or skipped", bad, bad == 1 ? "" : "s");
        rc = bad ? TL_EXIT_FAILURE : TL_EXIT_OK;
    } else {
        tl_info("schedule", "running on lake %s; SIGINT or SIGTERM stops after the running job",
                cfg->lake);
        tl_sched_print(s, stderr);
        tl_sched_loop(s);
        tl_info("schedule", "stopped");
        rc = TL_EXIT_OK;
    }
out:
    if (err.msg[0])
        tl_log_line(TL_LOG_ERROR, "schedule", "ticklake schedule: %s", err.msg);
    tl_sched_destroy(s);
    tl_store_destroy(store);
    return rc;
}

const tl_command tl_cmd_schedule = {
    .name = "schedule",
    .summary = "cron-style scheduler for compaction, models and vacuum",
    .usage = "--lake L [--project analytics --warehouse warehouse.duckdb] [--once | --list] "
             "[--schedule-compact CRON] [--schedule-models CRON] [--schedule-vacuum CRON]",
    .description =
        "Runs the lake's maintenance on schedules, in-process, until SIGINT or SIGTERM\n"
        "(it exits 0 once the running job finished):\n"
        "  compact  rewrites small files (as `ticklake compact`)\n"
        "  models   builds the dbt-style project (as `ticklake models run`), after compact:\n"
        "           when both are due, compaction runs first, and a failed compaction\n"
        "           skips that round's models run\n"
        "  vacuum   deletes unreferenced files past vacuum.retain (as `ticklake vacuum`)\n"
        "Schedules are 5-field cron expressions in UTC (minute hour day-of-month month\n"
        "day-of-week, with *, lists, ranges, steps and names: '*/5 * * * *',\n"
        "'0 2 * * mon-fri'), or @hourly, @daily, @weekly, @monthly, @yearly, or\n"
        "'@every 30s' (from the start); '' disables a job. One job runs at a time;\n"
        "a run that outlasts its period coalesces the fire times it covered. Each run is\n"
        "logged (start; end with duration and result). A failed or timed-out run is\n"
        "retried schedule.<job>_retries times, retry_delay after it ended, doubling up\n"
        "to retry_max_delay, then waits for its next fire time; a downstream job waits\n"
        "for its upstream's retries. A run past its <job>_timeout is cancelled at its\n"
        "next safe point (before a commit): what it committed stays whole, the rest is\n"
        "undone.\n"
        "  --once  runs every enabled job once in dependency order and exits (1 if any\n"
        "          failed or was skipped): for cron or CI\n"
        "  --list  prints the jobs and their next fire times\n"
        "Compaction and vacuum take compact.min_files, compact.target_file_size,\n"
        "stream.allowed_lateness, vacuum.retain and lake.log_retention from ticklake.yml\n"
        "or TICKLAKE_* (e.g. TICKLAKE_VACUUM_RETAIN=24h).",
    .groups = TL_CG_LAKE | TL_CG_MODELS | TL_CG_SCHEDULE,
    .run = schedule_run,
};
