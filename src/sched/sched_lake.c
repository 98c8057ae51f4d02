/* The lake's jobs for the scheduler: compaction, models, vacuum, each a
 * call into the library the standalone commands use (see sched_lake.h). */
#include "sched/sched_lake.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compact/compact.h"
#include "lake/lake.h"
#include "models/models.h"
#include "sched/sched_lease.h"
#include "sched/sched_runs.h"
#include "tables/tables.h"
#include "util/log.h"

typedef struct lake_ctx {
    tl_sched_lake_opts o;
    tl_sched_opts base;
    tl_sched_lease *lease; /* one runner per job across the lake's schedulers */
    int64_t trimmed_ms;    /* when the run history was last trimmed; 0 = not yet */
} lake_ctx;

/* Trim the run history at most this often. */
#define TRIM_EVERY_MS (3600LL * 1000)

static void ctx_free(void *ud) {
    lake_ctx *c = ud;
    tl_sched_lease_destroy(c->lease);
    free(c);
}

static int compact_job(void *ud, tl_sched_run *run, tl_err *err) {
    const lake_ctx *c = ud;
    tl_compact_opts o = c->o.compact_opts;
    o.cancel = run->cancel;
    o.lake = c->o.lake;
    tl_compact_stats per[TL_COMPACT_NTABLES], st = {0};
    char *out = run->out;
    size_t cap = sizeof run->out;
    int rc = tl_compact_lake(c->o.store, &o, per, err);
    for (size_t i = 0; i < TL_COMPACT_NTABLES; i++) { /* the run's figures: both tables */
        st.partitions += per[i].partitions;
        st.files_before += per[i].files_before;
        st.files_after += per[i].files_after;
        st.rows += per[i].rows;
        st.conflicts += per[i].conflicts;
    }
    /* what was committed counts, also when a later partition failed */
    run->sum.files_in = (int64_t)st.files_before;
    run->sum.files_out = (int64_t)st.files_after;
    run->sum.rows = st.rows;
    char dead[96] = "";
    if (per[1].partitions)
        snprintf(dead, sizeof dead, " (dead letters: %zu -> %zu files)", per[1].files_before,
                 per[1].files_after);
    if (rc == 0 && st.partitions == 0)
        snprintf(out, cap, "nothing to compact");
    else if (rc == 0)
        snprintf(out, cap, "%zu partition%s: %zu -> %zu files, %lld rows, %zu conflicts retried%s",
                 st.partitions, st.partitions == 1 ? "" : "s", st.files_before, st.files_after,
                 (long long)st.rows, st.conflicts, dead);
    return rc;
}

static int models_job(void *ud, tl_sched_run *run, tl_err *err) {
    const lake_ctx *c = ud;
    FILE *sink = c->o.models_out ? c->o.models_out : fopen("/dev/null", "w");
    if (!sink)
        return tl_err_set(err, TL_ERR_IO, "cannot open /dev/null for the models' output");
    tl_models_opts o = c->o.models_opts;
    o.out = sink;
    o.cancel = run->cancel;
    tl_models_summary sum = {0}, tests = {0};
    int rc = tl_models_run(&o, &sum, err);
    run->sum.models = sum.ok;
    /* then their tests, as `models test` would: a run whose data breaks a
     * test is a failed run, recorded and shown, not a silent success */
    if (rc == 0 && sum.failed == 0) {
        rc = tl_models_test(&o, &tests, err);
        /* recorded also when failing tests fail the run (`ticklake runs`'
         * TFAIL); left -1 when the tests could not run at all */
        if (rc == 0)
            run->sum.tests_failed = tests.failed;
    }
    if (sink != c->o.models_out)
        fclose(sink);
    else
        fflush(sink);
    if (rc != 0)
        return rc;
    int total = sum.ok + sum.failed + sum.skipped;
    /* the names (and why) first: the record's error may be cut at its end */
    if (sum.failed > 0)
        return tl_err_set(err, TL_ERR_INVALID,
                          "%d of %d models failed, %d skipped: %s (see %s/target/run_results.json)",
                          sum.failed, total, sum.skipped, sum.failures, o.project);
    if (tests.failed > 0)
        return tl_err_set(err, TL_ERR_INVALID,
                          "%d models built into %s, but %d of %d tests failed: %s", sum.ok,
                          o.warehouse, tests.failed, tests.ok + tests.failed, tests.failures);
    snprintf(run->out, sizeof run->out, "%d models built into %s, %d tests passed", sum.ok,
             o.warehouse, tests.ok);
    return 0;
}

static int vacuum_job(void *ud, tl_sched_run *run, tl_err *err) {
    const lake_ctx *c = ud;
    static const char *const tables[] = {TL_TICKS_TABLE, TL_DEADLETTER_TABLE};
    tl_vacuum_opts o = {
        .retain_ms = c->o.vacuum_retain_ms, .cancel = run->cancel, .lake = c->o.lake};
    tl_lake_opts lake = c->o.lake ? *c->o.lake : tl_lake_opts_default();
    tl_vacuum_stats st = {0};
    size_t logs = 0;
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        size_t n = 0;
        int rc = tl_vacuum_table(c->o.store, tables[i], &o, &st, err);
        run->sum.files_in = (int64_t)st.files;
        if (rc == 0)
            rc = tl_lake_log_cleanup(c->o.store, tables[i], lake.log_retention_ms, &n, err);
        if (rc != 0)
            return tl_err_wrap(err, rc, "table %s", tables[i]);
        logs += n;
    }
    snprintf(run->out, sizeof run->out,
             "deleted %zu files (%.1f MB), kept %zu unreferenced inside the retention, "
             "%zu expired log files",
             st.files, (double)st.bytes / 1e6, st.kept_recent, logs);
    return 0;
}

/* The dashboard calls the compact job "compaction". */
static void report_live(tl_live *live, const tl_sched_event *ev) {
    char status[256];
    double secs = (double)(ev->end_ms - ev->start_ms) / 1e3;
    if (ev->result == TL_SCHED_OK)
        snprintf(status, sizeof status, "ok in %.1f s: %s", secs, ev->detail);
    else
        snprintf(status, sizeof status, "%s: %s", tl_sched_result_name(ev->result), ev->detail);
    tl_live_set_job(live, strcmp(ev->job, "compact") ? ev->job : "compaction", ev->end_ms, status);
}

/* Every finished attempt and skip goes to the run history in the lake. */
static void record_run(lake_ctx *c, const tl_sched_event *ev) {
    tl_sched_run_rec r;
    if (tl_sched_runs_from_event(ev, &r) != 0)
        return;
    tl_err err = {0};
    if (tl_sched_runs_put(c->o.store, &r, &err) != 0)
        tl_warn("schedule", "%s: the run is not in the history: %s", ev->job, err.msg);
}

/* Records older than schedule.runs_retention go, at the first recorded run
 * and then hourly, by the scheduler's clock (the runs' own times). */
static void trim_runs(lake_ctx *c, int64_t now_ms) {
    const int64_t keep = c->o.runs_retention_ms;
    if (keep <= 0 || (c->trimmed_ms && now_ms - c->trimmed_ms < TRIM_EVERY_MS))
        return;
    c->trimmed_ms = now_ms;
    size_t n = 0;
    tl_err err = {0};
    if (tl_sched_runs_trim(c->o.store, now_ms - keep, &n, &err) != 0)
        tl_warn("schedule", "%s (trying again in an hour)", err.msg);
    else if (n > 0)
        tl_info("schedule", "deleted %zu run records older than %.0f h (schedule.runs_retention)",
                n, (double)keep / 3.6e6);
}

static void on_event(void *ud, const tl_sched_event *ev) {
    lake_ctx *c = ud;
    tl_sched_log_event(NULL, ev);
    record_run(c, ev);
    if (ev->result != TL_SCHED_RUNNING && ev->result != TL_SCHED_ELSEWHERE)
        trim_runs(c, ev->end_ms);
    if (c->o.live && ev->result != TL_SCHED_RUNNING)
        report_live(c->o.live, ev);
    if (c->base.on_event)
        c->base.on_event(c->base.event_ud, ev);
}

static const char *models_schedule(const tl_sched_lake_opts *o) {
    if (!o->models || !o->models[0] || !o->models_optional)
        return o->models;
    char path[4096];
    snprintf(path, sizeof path, "%s/dbt_project.yml", o->models_opts.project);
    if (access(path, R_OK) == 0)
        return o->models;
    tl_info("schedule", "models disabled: no %s (set models.project)", path);
    return NULL;
}

tl_sched *tl_sched_lake_new(const tl_sched_lake_opts *o, const tl_sched_opts *base, tl_err *err) {
    lake_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    c->o = *o;
    if (base)
        c->base = *base;
    tl_sched_opts so = c->base;
    so.on_event = on_event;
    so.event_ud = c;
    c->lease = tl_sched_lease_new(o->store, o->lease_ttl_ms, o->owner);
    so.coord = c->lease ? tl_sched_lease_coord(c->lease) : NULL;
    so.catchup = o->catchup;
    tl_sched *s = c->lease ? tl_sched_new(&so) : NULL;
    if (!s) {
        ctx_free(c);
        tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    /* The first job owns the context (freed with the scheduler, or by a
     * failed add); the others borrow it. */
    const int64_t d = o->retry_delay_ms, cap = o->retry_max_delay_ms;
    const tl_sched_job jobs[] = {
        {"compact", o->compact, NULL, compact_job, c, ctx_free, o->compact_policy.retries, d, cap,
         o->compact_policy.timeout_ms},
        {"models", models_schedule(o), "compact", models_job, c, NULL, o->models_policy.retries, d,
         cap, o->models_policy.timeout_ms},
        {"vacuum", o->vacuum, NULL, vacuum_job, c, NULL, o->vacuum_policy.retries, d, cap,
         o->vacuum_policy.timeout_ms},
    };
    for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; i++) {
        int rc = tl_sched_add(s, &jobs[i], err);
        if (rc != 0) {
            tl_err_wrap(err, rc, "schedule.%s", jobs[i].name);
            tl_sched_destroy(s);
            return NULL;
        }
    }
    return s;
}
