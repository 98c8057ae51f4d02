/* ticklake compact: rewrite small files into few large sorted ones, one
 * atomic Delta commit per partition, in the ticks table (hours) and the
 * dead-letter table (days). */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/cmd_opts.h"
#include "compact/compact.h"
#include "lake/lake.h"
#include "sched/sched_hold.h"
#include "store/store.h"
#include "store/store_conf.h"
#include "util/json_out.h"
#include "util/log.h"

static void on_progress(void *ud, size_t done, size_t total, const char *dir, size_t files,
                        int64_t bytes) {
    (void)ud;
    if (dir)
        fprintf(stderr, "\r[%zu/%zu] %s: %zu files, %.1f MB   ", done + 1, total, dir, files,
                (double)bytes / 1e6);
    else
        fprintf(stderr, "\r[%zu/%zu] done%60s\n", done, total, "");
}

static void json_figures(tl_json *j, const tl_compact_stats *st) {
    tl_json_kv_int(j, "partitions", (int64_t)st->partitions);
    tl_json_kv_int(j, "files_before", (int64_t)st->files_before);
    tl_json_kv_int(j, "files_after", (int64_t)st->files_after);
    tl_json_kv_int(j, "bytes_before", st->bytes_before);
    tl_json_kv_int(j, "bytes_after", st->bytes_after);
    tl_json_kv_int(j, "rows", st->rows);
    tl_json_kv_int(j, "conflicts", (int64_t)st->conflicts);
    tl_json_kv_int(j, "version", st->version);
    tl_json_kv_int(j, "duration_ms", st->duration_ms);
}

/* The ticks table's figures at the top level (as before dead letters were
 * compacted: scripts read them there), the dead-letter table's under
 * "deadletter". */
static void print_json(const tl_compact_stats st[TL_COMPACT_NTABLES], bool dry_run) {
    tl_buf b = TL_BUF_INIT;
    tl_json *j = tl_json_new(&b);
    if (j) {
        tl_json_obj_begin(j);
        tl_json_kv_bool(j, "dry_run", dry_run);
        json_figures(j, &st[0]);
        for (size_t i = 1; i < TL_COMPACT_NTABLES; i++) {
            tl_json_key(j, tl_compact_tables[i]);
            tl_json_obj_begin(j);
            json_figures(j, &st[i]);
            tl_json_obj_end(j);
        }
        tl_json_obj_end(j);
        if (tl_json_end_line(j) == 0)
            fwrite(b.data, 1, b.len, stdout);
    }
    tl_json_free(j);
    tl_buf_free(&b);
}

/* One line per table; what (the table's partitions) is "" for ticks, so
 * its line reads as it always has. */
static void print_line(const tl_compact_stats *st, const char *what, bool dry_run) {
    printf("%s%zu %spartitions: %zu files (%.1f MB) -> %zu files (%.1f MB%s), %" PRId64
           " rows, %zu conflicts retried, %.2f s\n",
           dry_run ? "would compact " : "compacted ", st->partitions, what, st->files_before,
           (double)st->bytes_before / 1e6, st->files_after, (double)st->bytes_after / 1e6,
           dry_run ? ", estimated" : "", st->rows, st->conflicts, (double)st->duration_ms / 1e3);
}

static void print_summary(const tl_compact_stats st[TL_COMPACT_NTABLES], bool dry_run, bool json) {
    if (json) {
        print_json(st, dry_run);
        return;
    }
    print_line(&st[0], "", dry_run);
    print_line(&st[1], "dead-letter ", dry_run);
}

static int compact_run(const tl_config *cfg, int argc, char **argv) {
    (void)argv;
    if (argc != 0) {
        tl_log_line(TL_LOG_ERROR, "compact", "ticklake compact: takes no arguments (see --help)");
        return TL_EXIT_USAGE;
    }
    int lake_rc = tl_cmd_lake_check(cfg, "compact");
    if (lake_rc != TL_EXIT_OK)
        return lake_rc;
    tl_err err = {0};
    tl_compact_opts o = {
        .min_files = cfg->min_files,
        .target_file_size = cfg->target_file_size,
        .lateness_ms = cfg->allowed_lateness_ms,
        .dry_run = cfg->compact_dry_run,
    };
    if (cfg->compact_partition &&
        tl_compact_parse_partition(cfg->compact_partition, &o.hour_us, &err) != 0) {
        tl_log_line(TL_LOG_ERROR, "compact", "ticklake compact: %s", err.msg);
        return TL_EXIT_USAGE;
    }
    o.has_hour = cfg->compact_partition != NULL;
    if (isatty(STDERR_FILENO) && tl_log_get_format() == TL_LOG_TEXT)
        o.progress = on_progress;
    tl_lake_opts lake;
    tl_cmd_lake_opts(&lake, cfg);
    o.lake = &lake;
    tl_store *store = tl_store_conf_open(cfg, true, &err);
    tl_compact_stats st[TL_COMPACT_NTABLES] = {{0}};
    tl_sched_hold *hold = NULL;
    int rc = store ? 0 : -1;
    /* the scheduled compaction's lease: never two compactions at once on
     * the lake (a dry run changes nothing and takes none) */
    if (rc == 0 && !o.dry_run &&
        !(hold = tl_cmd_hold_take(cfg, store, "compact", &err)))
        rc = -1;
    o.cancel = hold ? tl_sched_hold_cancel(hold) : NULL;
    bool ran = rc == 0;
    if (ran)
        rc = tl_compact_lake(store, &o, st, &err);
    tl_sched_hold_release(hold);
    if (rc != 0)
        tl_log_line(TL_LOG_ERROR, "compact", "ticklake compact: %s", err.msg);
    if (ran) /* what was done before a failure still counts */
        print_summary(st, o.dry_run, cfg->compact_json);
    tl_store_destroy(store);
    return rc == 0 && fflush(stdout) == 0 ? TL_EXIT_OK : TL_EXIT_FAILURE;
}

const tl_command tl_cmd_compact = {
    .name = "compact",
    .summary = "rewrite small files into large sorted ones, atomically per partition",
    .usage = "--lake DIR [--partition year=Y,month=M,day=D,hour=H] [--min-files N] "
             "[--target-file-size SIZE] [--dry-run] [--json] [--wait DURATION]",
    .description =
        "Rewrites the ticks table's hour partitions into files of about --target-file-size,\n"
        "sorted by (symbol, ts), one Delta commit per partition that removes the inputs\n"
        "and adds the outputs (operation OPTIMIZE, dataChange=false): readers see either\n"
        "the old files or the new ones. An open hour is compacted once it has --min-files\n"
        "small files (below half the target); a closed hour (older than one hour plus\n"
        "--allowed-lateness) with more than one file is merged whole, so late ticks end\n"
        "up sorted inside. Then the dead-letter table the same way, by day (date=, the day\n"
        "records were received; closed once the day is over), sorted by (source,\n"
        "src_partition, src_offset); --partition compacts that hour of ticks only.\n"
        "Safe to re-run and to run while `stream` writes: appends do not conflict, and a\n"
        "partition whose inputs another commit removed is re-planned and retried. Killed\n"
        "midway, it leaves the snapshot unchanged (vacuum removes the uncommitted outputs\n"
        "later). Prints a summary line per table (--json: one JSON object, the ticks\n"
        "table's figures at the top and the dead letters' under \"deadletter\").\n"
        "Runs under the scheduled compaction's lease in the lake (_ticklake/leases/compact/),\n"
        "so it never overlaps a compaction of `schedule` or `up`, on any host: while one\n"
        "holds it, compact says who and until when and exits 1, or with --wait 10m waits\n"
        "up to that long. A lease left by a killed compact on this machine is taken at once.",
    .groups = TL_CG_LAKE | TL_CG_COMPACT,
    .run = compact_run,
};
