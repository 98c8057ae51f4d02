/* ticklake query: SQL over the lake's current snapshot. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/cmd_opts.h"
#include "duck/duck.h"
#include "query/views.h"
#include "store/store.h"
#include "store/store_conf.h"
#include "util/log.h"

/* The models' warehouse, read-only, so `SELECT * FROM bars_1m` works next
 * to the lake's views (those are found first). Absent file: nothing to do. */
static int attach_warehouse(tl_duck *d, const char *path, tl_err *err) {
    char quoted[2048], sql[4400];
    if (!path || !*path || access(path, R_OK) != 0)
        return 0;
    if (tl_duck_quote(path, quoted, sizeof quoted) != 0)
        return tl_err_set(err, TL_ERR_INVALID, "warehouse path too long: %s", path);
    snprintf(sql, sizeof sql,
             "ATTACH '%s' AS warehouse (READ_ONLY); SET search_path = 'memory.main,warehouse.main'",
             quoted);
    int rc = tl_duck_exec(d, sql, err);
    return tl_err_wrap(err, rc, "attaching the warehouse %s", path);
}

static int query_run(const tl_config *cfg, int argc, char **argv) {
    if (argc != 1) {
        tl_log_line(TL_LOG_ERROR, "query",
                    "ticklake query: give the SQL as one argument (quote it), e.g.\n"
                    "  ticklake query --lake ./lake 'SELECT symbol, count(*) FROM ticks "
                    "GROUP BY ALL'");
        return TL_EXIT_USAGE;
    }
    int lake_rc = tl_cmd_lake_check(cfg, "query");
    if (lake_rc != TL_EXIT_OK)
        return lake_rc;
    tl_duck_format fmt = !strcmp(cfg->format, "csv")    ? TL_DUCK_FMT_CSV
                         : !strcmp(cfg->format, "json") ? TL_DUCK_FMT_JSON
                                                        : TL_DUCK_FMT_TABLE;
    tl_err err = {0};
    tl_store *store = NULL;
    tl_duck *d = NULL;
    tl_duck_opts duck;
    tl_cmd_duck_opts(&duck, cfg);
    int rc = TL_EXIT_FAILURE;
    if (!(store = tl_store_conf_open(cfg, true, &err)) ||
        !(d = tl_duck_open(NULL, 0, &duck, &err)) || tl_views_register(d, store, NULL, &err) != 0)
        goto out;
    if (attach_warehouse(d, cfg->warehouse, &err) != 0)
        goto out;
    if (tl_duck_query_print_all(d, argv[0], fmt, stdout, &err) != 0)
        goto out;
    rc = TL_EXIT_OK;
out:
    if (rc != TL_EXIT_OK)
        tl_log_line(TL_LOG_ERROR, "query", "ticklake query: %s", err.msg);
    tl_duck_close(d);
    tl_store_destroy(store);
    return fflush(stdout) == 0 ? rc : TL_EXIT_FAILURE;
}

const tl_command tl_cmd_query = {
    .name = "query",
    .summary = "SQL over the lake's current snapshot (ticks, deadletter, lake_files)",
    .usage = "--lake DIR [--format table|csv|json] 'SQL'",
    .description =
        "Runs SQL on DuckDB (a script of several statements runs them all in order and\n"
        "prints every result) with views over the lake's current snapshot,\n"
        "replayed from the Delta log (never from a folder listing):\n"
        "  ticks       symbol, ts, price, size, bid, ask, exchange, seq, late,\n"
        "              src_partition, src_offset, ingest_ts, year, month, day, hour\n"
        "  deadletter  reason, message, raw, raw_base64, source, src_partition, src_offset,\n"
        "              received_ts, date\n"
        "  lake_files  table_name, path, size, modification_time, num_records: the live\n"
        "              files of both tables in the snapshot\n"
        "and, when the models' warehouse file exists (--warehouse), its tables and views\n"
        "(bars_1m, daily_summary, ...), attached read-only.\n"
        "Example: ticklake query 'SELECT reason, count(*) FROM deadletter GROUP BY 1'",
    .groups = TL_CG_LAKE | TL_CG_QUERY,
    .run = query_run,
};
