/* ticklake schema: the ticks table's columns as the lake has them now, and
 * the versions that set them (schema evolution). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/cmd_opts.h"
#include "lake/lake.h"
#include "store/store_conf.h"
#include "tables/tables.h"
#include "tick/tick.h"
#include "util/log.h"

static int on_change(void *ud, const tl_schema_change *c) {
    (*(size_t *)ud)++;
    char when[40] = "";
    if (c->timestamp_ms >= 0)
        tl_rfc3339_format(c->timestamp_ms * 1000, when, sizeof when);
    printf("  version %" PRId64 "%s%s: ", c->version, *when ? " at " : "", when);
    if (!c->before)
        printf(c->cleaned ? "the oldest schema the log still holds (versions before it were "
                            "cleaned up), %zu columns\n"
                          : "created with %zu columns\n",
               c->after->ncols + c->after->nparts);
    size_t shown = 0;
    for (size_t i = 0; c->before && i < c->after->ncols; i++) {
        const tl_column *col = &c->after->cols[i];
        if (tl_schema_find(c->before, col->name) >= 0)
            continue;
        printf("%s%s %s", shown++ ? ", " : "added ", col->name, tl_col_type_name(col->type));
    }
    if (c->before)
        printf("%s\n", shown ? "" : "metaData rewritten, no column added");
    return 0;
}

static void print_current(const tl_table *t, const tl_lake_snapshot *snap) {
    printf("ticks table, version %" PRId64 ": %zu columns (%zu partition columns)\n",
           tl_lake_snapshot_version(snap), t->ncols + t->nparts, t->nparts);
    for (size_t i = 0; i < t->ncols; i++) {
        const tl_column *c = &t->cols[i];
        printf("  %-16s %-14s %s%s\n", c->name, tl_col_type_name(c->type),
               c->nullable ? "nullable" : "not null",
               i >= tl_ticks_table.ncols ? "  (added)" : "");
    }
    for (size_t i = 0; i < t->nparts; i++)
        printf("  %-16s %-14s partition\n", t->parts[i].name, tl_col_type_name(t->parts[i].type));
}

static int schema_run(const tl_config *cfg, int argc, char **argv) {
    (void)argv;
    if (argc != 0) {
        tl_log_line(TL_LOG_ERROR, "schema", "ticklake schema: takes no arguments (see --help)");
        return TL_EXIT_USAGE;
    }
    int lake_rc = tl_cmd_lake_check(cfg, "schema");
    if (lake_rc != TL_EXIT_OK)
        return lake_rc;
    tl_err err = {0};
    tl_lake_snapshot *snap = NULL;
    tl_schema *now = NULL;
    int rc = -1;
    tl_duck_opts duck;
    tl_cmd_duck_opts(&duck, cfg);
    tl_store *store = tl_store_conf_open(cfg, true, &err);
    if (store && (rc = tl_lake_snapshot_load(store, TL_TICKS_TABLE, &duck, &snap, &err)) == 0) {
        const tl_lake_metadata *md = tl_lake_snapshot_metadata(snap);
        rc = md ? tl_schema_from_delta(&tl_ticks_table, md->schema_string, &now, &err)
                : tl_err_set(&err, TL_ERR_NOT_FOUND, "the lake has no ticks table yet");
    }
    if (rc == 0) {
        print_current(&now->table, snap);
        printf("history:\n");
        size_t changes = 0;
        rc = tl_table_schema_history(store, &tl_ticks_table, on_change, &changes, &err);
        if (rc == 0 && changes == 0)
            printf("  the log's JSON commits left after cleanup set no schema: the columns above "
                   "come from its checkpoint\n");
    }
    if (rc != 0)
        tl_log_line(TL_LOG_ERROR, "schema", "ticklake schema: %s", err.msg);
    tl_schema_free(now);
    tl_lake_snapshot_free(snap);
    tl_store_destroy(store);
    return rc == 0 && fflush(stdout) == 0 ? TL_EXIT_OK : TL_EXIT_FAILURE;
}

const tl_command tl_cmd_schema = {
    .name = "schema",
    .summary = "show the ticks table's columns and which version added each",
    .usage = "--lake DIR",
    .description =
        "Prints the ticks table's current columns (the built-in ones, then those\n"
        "schema evolution added: schema.extra_columns, and 'extra' for kept unknown\n"
        "fields) with their types, then the history: each version of the log that\n"
        "set the schema (a Delta metaData action) and the columns it added.\n"
        "Versions behind a checkpoint whose log entries expired are summarised.\n",
    .groups = TL_CG_LAKE,
    .run = schema_run,
};
