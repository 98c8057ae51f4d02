/* models — dbt-style SQL models on DuckDB: `ticklake models run|test|ls`.
 *
 * A project folder in dbt's format (see project.h) is compiled with a
 * Jinja subset (template.h), ordered by its refs (dag.h) and built in a
 * warehouse DuckDB file. The lake enters as source('lake', 'ticks') and
 * source('lake', 'deadletter'): views over the lake's current snapshot
 * that live in the run's in-memory database, never in the warehouse file,
 * so the warehouse holds no view of lake files that a later commit or
 * vacuum could invalidate. A model materialized as a view may therefore
 * not select from a source directly (stg_ticks is a table).
 *
 * Readers are never blocked: a run copies the warehouse to
 * <warehouse>.tmp-<pid>, builds there, checkpoints, and renames the copy
 * over the warehouse (atomic on POSIX). Readers open the warehouse
 * read-only and keep the file they opened; new readers see the new build.
 * Runs are serialized by an flock on <warehouse>.lock.
 *
 * Results go to <project>/target/run_results.json and, for runs, to the
 * warehouse table ticklake_model_runs (one row per model per run, with the
 * lake snapshot versions the model's data reflects: lineage). */
#ifndef TL_MODELS_MODELS_H
#define TL_MODELS_MODELS_H

#include <stdbool.h>
#include <stdio.h>

#include "duck/duck_opts.h"
#include "store/store.h"
#include "util/cancel.h"
#include "util/err.h"

typedef struct tl_models_opts {
    const char *project;   /* folder with dbt_project.yml */
    const char *lake;      /* lake URI / folder */
    const char *warehouse; /* DuckDB file */
    const char *select, *exclude;
    bool full_refresh;
    FILE *out;            /* progress and results (stdout) */
    /* how to open the lake (S3 settings, ...); NULL: lake with the AWS_*
     * environment alone */
    const tl_store_opts *store;
    /* run: asked before each model and before the warehouse is published; a
     * yes discards the staged copy (the warehouse stays as it was) and
     * returns TL_ERR_STOPPED. NULL = never cancelled. */
    const tl_cancel *cancel;
    /* the DuckDB database's limits (tl_cmd_duck_opts); NULL = DuckDB's
     * defaults; borrowed */
    const tl_duck_opts *duck;
} tl_models_opts;

typedef struct tl_models_summary {
    int ok, failed, skipped; /* models (run) or tests (test: ok = passed) */
    /* What failed, for a one-line report (the scheduler's run record):
     * "name: why; name: why" — the failed models and their errors, or the
     * failed tests and their failing rows or errors — as many as fit, then
     * "...". Empty when nothing failed. */
    char failures[400];
} tl_models_summary;

/* Build the selected models. 0 when the run happened (check summary for
 * failed models), an error when nothing could run (bad project, lake or
 * warehouse unavailable). */
int tl_models_run(const tl_models_opts *o, tl_models_summary *sum, tl_err *err);

/* Run the tests of the selected models (and singular tests), read-only
 * on the warehouse. Prints each failure with its failing-row count. */
int tl_models_test(const tl_models_opts *o, tl_models_summary *sum, tl_err *err);

/* List the selected models in run order, then their tests. */
int tl_models_ls(const tl_models_opts *o, tl_err *err);

#endif
