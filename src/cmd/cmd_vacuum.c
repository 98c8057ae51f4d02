/* ticklake vacuum: delete data files no snapshot references any more. */
#include <inttypes.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "cmd/cmd_opts.h"
#include "compact/compact.h"
#include "lake/lake.h"
#include "sched/sched_hold.h"
#include "store/store.h"
#include "store/store_conf.h"
#include "tables/tables.h"
#include "util/log.h"

typedef struct print_ctx {
    bool dry_run;
} print_ctx;

static void on_file(void *ud, const char *table, const char *path, int64_t size, const char *why) {
    const print_ctx *p = ud;
    printf("%s %s/%s (%" PRId64 " bytes, %s)\n", p->dry_run ? "would delete" : "deleted", table,
           path, size, why);
}

static int vacuum_run(const tl_config *cfg, int argc, char **argv) {
    (void)argv;
    if (argc != 0) {
        tl_log_line(TL_LOG_ERROR, "vacuum", "ticklake vacuum: takes no arguments (see --help)");
        return TL_EXIT_USAGE;
    }
    int lake_rc = tl_cmd_lake_check(cfg, "vacuum");
    if (lake_rc != TL_EXIT_OK)
        return lake_rc;
    static const char *const tables[] = {TL_TICKS_TABLE, TL_DEADLETTER_TABLE};
    print_ctx pc = {cfg->vacuum_dry_run};
    tl_vacuum_opts o = {
        .retain_ms = cfg->vacuum_retain_ms,
        .dry_run = cfg->vacuum_dry_run,
        .on_file = on_file,
        .ud = &pc,
    };
    tl_lake_opts lake;
    tl_cmd_lake_opts(&lake, cfg);
    o.lake = &lake;
    tl_vacuum_stats st = {0};
    tl_err err = {0};
    size_t logs = 0;
    int rc = 0;
    tl_store *store = tl_store_conf_open(cfg, true, &err);
    tl_sched_hold *hold = NULL;
    if (!store)
        rc = -1;
    /* the scheduled vacuum's lease (a dry run deletes nothing and takes none) */
    else if (!o.dry_run && !(hold = tl_cmd_hold_take(cfg, store, "vacuum", &err)))
        rc = -1;
    o.cancel = hold ? tl_sched_hold_cancel(hold) : NULL;
    for (size_t i = 0; i < 2 && rc == 0; i++) {
        size_t n = 0;
        rc = tl_vacuum_table(store, tables[i], &o, &st, &err);
        /* Old log entries behind the newest checkpoint expire here too,
         * not only when a checkpoint is written. */
        if (rc == 0 && !o.dry_run)
            rc = tl_lake_log_cleanup(store, tables[i], lake.log_retention_ms, &n, &err);
        logs += n;
    }
    tl_sched_hold_release(hold);
    if (rc != 0)
        tl_log_line(TL_LOG_ERROR, "vacuum", "ticklake vacuum: %s", err.msg);
    printf("%s %zu files (%.1f MB); kept %zu unreferenced files inside the retention; "
           "%zu expired log files deleted\n",
           o.dry_run ? "would delete" : "deleted", st.files, (double)st.bytes / 1e6, st.kept_recent,
           logs);
    if (st.scratch_dirs || st.staging || st.tmp_dirs)
        printf("removed leftovers of killed writers: %zu compaction scratch folders, %zu staging "
               "files, %zu stream temp folders\n",
               st.scratch_dirs, st.staging, st.tmp_dirs);
    tl_store_destroy(store);
    return rc == 0 && fflush(stdout) == 0 ? TL_EXIT_OK : TL_EXIT_FAILURE;
}

const tl_command tl_cmd_vacuum = {
    .name = "vacuum",
    .summary = "delete data files no snapshot references, past a retention",
    .usage = "--lake DIR [--retain 168h] [--dry-run] [--wait DURATION]",
    .description =
        "Deletes, in the ticks and deadletter tables, the data files that the current\n"
        "snapshot does not reference and that were removed (by compaction) more than\n"
        "--retain ago, or that are not in the log at all (left by a crashed writer or a\n"
        "killed compaction) and were written more than --retain (and at least 1h) ago.\n"
        "Never deletes a live file: the snapshot is re-read right before deleting.\n"
        "Readers of snapshots older than --retain may then miss files: keep it longer\n"
        "than your longest query. Also expires log entries behind the newest checkpoint\n"
        "older than --log-retention. Prints every file it deletes (or, --dry-run, would).\n"
        "Runs under the scheduled vacuum's lease in the lake (_ticklake/leases/vacuum/): while\n"
        "a scheduler (or another vacuum) holds it, says who and until when and exits 1, or\n"
        "with --wait 10m waits up to that long.",
    .groups = TL_CG_LAKE | TL_CG_VACUUM,
    .run = vacuum_run,
};
