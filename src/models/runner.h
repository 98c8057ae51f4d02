/* runner — what a models run or test run shares: the project, its order
 * and selection, the DuckDB session (lake views in the in-memory catalog,
 * the warehouse attached as "wh" and in use), and per-node results. */
#ifndef TL_MODELS_RUNNER_H
#define TL_MODELS_RUNNER_H

#include <stdint.h>

#include "duck/duck.h"
#include "models/project.h"
#include "query/views.h"
#include "util/buf.h"

typedef enum { TL_NODE_MODEL, TL_NODE_TEST } tl_node_type;

typedef struct tl_node_result {
    tl_node_type type;
    const char *name;   /* points into the project */
    const char *status; /* run: success | error | skipped; test: pass | fail | error */
    const char *materialized;
    int incremental; /* built incrementally this time */
    int64_t started_us, completed_us;
    int64_t rows;        /* rows affected, -1 = none (views, skipped) */
    int64_t failures;    /* tests: failing rows, -1 = none */
    int64_t lake_ver[2]; /* ticks, deadletter: version its data reflects; -2 = reads none */
    char message[512];
} tl_node_result;

typedef struct tl_session {
    tl_project *p;
    size_t *order;
    unsigned char *sel;
    tl_duck *d;
    tl_views_info lake;
    int lake_open;
} tl_session;

/* Render a model or test template; is_incremental as given. */
int tl_session_render(const tl_session *s, const tl_tpl *t, const char *this_name,
                      int is_incremental, tl_buf *out, tl_err *err);

/* Materialize one model (the session's warehouse is in use). */
int tl_materialize_model(tl_session *s, const tl_model *m, int full_refresh, tl_node_result *r,
                         tl_err *err);

/* Run one test; r->failures and r->status set. Returns 0 unless the test
 * could not run (r->status = "error" then, message set). */
int tl_test_run(tl_session *s, const tl_mtest *t, tl_node_result *r, tl_err *err);
/* Which tests belong to the selection: 1 per test in out (n_tests). */
void tl_tests_select(const tl_session *s, unsigned char *out);

/* target/run_results.json in the project folder (written atomically). */
int tl_results_write_json(const tl_session *s, const char *command, const char *invocation,
                          const tl_node_result *r, size_t n, int64_t started_us, tl_err *err);
/* The run-history table: create if absent, and insert the run's models. */
int tl_results_ensure_history(tl_duck *d, tl_err *err);
int tl_results_record(tl_duck *d, const char *invocation, const tl_node_result *r, size_t n,
                      tl_err *err);
/* The last successful run's lake versions of model name, from the
 * history table; ver[] = -2 when unknown. */
void tl_results_prior_versions(tl_duck *d, const char *name, int64_t ver[2]);

/* "2026-11-24T14:30:00.123456Z" */
void tl_results_iso_time(int64_t us, char *out, size_t cap);

#endif
