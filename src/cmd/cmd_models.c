/* ticklake models run|test|ls: the dbt-style project on DuckDB. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/cmd_opts.h"
#include "models/models.h"
#include "store/store_conf.h"
#include "util/log.h"

static int models_main(const tl_config *cfg, int argc, char **argv) {
    if (argc != 1 || (strcmp(argv[0], "run") && strcmp(argv[0], "test") && strcmp(argv[0], "ls"))) {
        tl_log_line(TL_LOG_ERROR, "models",
                    "ticklake models: give one action: run, test or ls, e.g.\n"
                    "  ticklake models run --project analytics --lake ./lake "
                    "--warehouse warehouse.duckdb");
        return TL_EXIT_USAGE;
    }
    if (strcmp(argv[0], "ls") != 0) {
        int lake_rc = tl_cmd_lake_check(cfg, strcmp(argv[0], "run") ? "models test" : "models run");
        if (lake_rc != TL_EXIT_OK)
            return lake_rc;
    }
    tl_store_conf sc;
    tl_duck_opts duck;
    tl_cmd_duck_opts(&duck, cfg);
    tl_models_opts o = {
        .project = cfg->models_project,
        .lake = cfg->lake,
        .store = tl_store_conf_fill(&sc, cfg, false),
        .warehouse = cfg->warehouse,
        .select = cfg->models_select,
        .exclude = cfg->models_exclude,
        .full_refresh = cfg->full_refresh,
        .out = stdout,
        .duck = &duck,
    };
    tl_models_summary sum = {0};
    tl_err err = {0};
    int rc;
    if (!strcmp(argv[0], "run"))
        rc = tl_models_run(&o, &sum, &err);
    else if (!strcmp(argv[0], "test"))
        rc = tl_models_test(&o, &sum, &err);
    else
        rc = tl_models_ls(&o, &err);
    if (fflush(stdout) != 0 && rc == 0)
        rc = TL_ERR_IO, snprintf(err.msg, sizeof err.msg, "writing to stdout failed");
    if (rc != 0) {
        tl_log_line(TL_LOG_ERROR, "models", "ticklake models %s: %s", argv[0], err.msg);
        return TL_EXIT_FAILURE;
    }
    return sum.failed > 0 ? TL_EXIT_FAILURE : TL_EXIT_OK;
}

const tl_command tl_cmd_models = {
    .name = "models",
    .summary = "dbt-style SQL models on DuckDB: run, test, ls",
    .usage = "run|test|ls [--project DIR] [--lake L] [--warehouse FILE.duckdb] [--select ...] "
             "[--exclude ...] [--full-refresh]",
    .description =
        "Runs a dbt-compatible project (dbt_project.yml, models/**/*.sql and *.yml,\n"
        "tests/*.sql) on DuckDB. Templates use a Jinja subset: ref, source, config\n"
        "(materialized view|table|incremental, unique_key, tags, incremental_strategy),\n"
        "var, this, {% if is_incremental() %}; anything else is an error naming the line.\n"
        "  run   builds the selected models in dependency order into --warehouse; a failed\n"
        "        model skips the models downstream of it. source('lake', 'ticks') is the\n"
        "        lake's current snapshot. Readers are not blocked: the run builds a copy of\n"
        "        the warehouse and renames it into place.\n"
        "  test  runs not_null, unique, accepted_values, relationships and tests/*.sql;\n"
        "        exits 1 when any fails, listing each with its failing-row count.\n"
        "  ls    lists the selected models in run order, and their tests.\n"
        "Selectors (--select, --exclude; space = union): name, +name (and ancestors),\n"
        "name+ (and descendants), tag:x, path:dir.\n"
        "Results: <project>/target/run_results.json, and the warehouse table\n"
        "ticklake_model_runs (status, rows, lake snapshot version each model read).",
    .groups = TL_CG_LAKE | TL_CG_MODELS,
    .run = models_main,
};
