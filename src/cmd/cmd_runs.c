/* ticklake runs: the scheduler's run history from the lake (src/sched/
 * sched_runs.h), as a table, JSON or CSV. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/cmd_opts.h"
#include "sched/sched_runs.h"
#include "store/store.h"
#include "store/store_conf.h"
#include "util/clock.h"
#include "util/rfc3339.h"

/* --since: RFC 3339, or a duration back from now. */
static int parse_since(const char *s, int64_t *out) {
    int64_t us = 0, ms = 0;
    if (tl_rfc3339_parse(s, strlen(s), &us) == 0) {
        *out = us / 1000;
        return 0;
    }
    if (tl_conf_parse_duration_ms(s, &ms) == 0) {
        *out = tl_now_us() / 1000 - ms;
        return 0;
    }
    return -1;
}

static void count_text(int64_t v, char *out, size_t cap) {
    if (v < 0)
        snprintf(out, cap, "-");
    else
        snprintf(out, cap, "%lld", (long long)v);
}

static void print_table(const tl_sched_run_rec *r, size_t n, FILE *out) {
    fprintf(out, "%-8s %-24s %-24s %9s %3s %-9s %6s %6s %9s %6s %5s %s\n", "JOB", "SCHEDULED",
            "START", "SECONDS", "TRY", "STATUS", "IN", "OUT", "ROWS", "MODELS", "TFAIL",
            "DETAIL / ERROR");
    for (size_t i = 0; i < n; i++) {
        char due[40], start[40], c[5][24];
        tl_sched_runs_time(r[i].due_ms, due, sizeof due);
        tl_sched_runs_time(r[i].start_ms, start, sizeof start);
        const int64_t v[5] = {r[i].sum.files_in, r[i].sum.files_out, r[i].sum.rows,
                              r[i].sum.models, r[i].sum.tests_failed};
        for (int k = 0; k < 5; k++)
            count_text(v[k], c[k], sizeof c[k]);
        fprintf(out, "%-8s %-24s %-24s %9.2f %3d %-9s %6s %6s %9s %6s %5s %s\n", r[i].job, due,
                start, (double)(r[i].end_ms - r[i].start_ms) / 1e3, r[i].attempt, r[i].status,
                c[0], c[1], c[2], c[3], c[4], r[i].error[0] ? r[i].error : r[i].detail);
    }
}

/* RFC 4180: quoted when it holds a comma, quote or line break. */
static void csv_field(const char *s, FILE *out) {
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void print_csv(const tl_sched_run_rec *r, size_t n, FILE *out) {
    fputs("run_id,job,scheduled,start,end,duration_ms,attempt,status,files_in,files_out,rows,"
          "models,tests_failed,owner,detail,error\r\n",
          out);
    for (size_t i = 0; i < n; i++) {
        char t[3][40], c[5][24];
        tl_sched_runs_time(r[i].due_ms, t[0], sizeof t[0]);
        tl_sched_runs_time(r[i].start_ms, t[1], sizeof t[1]);
        tl_sched_runs_time(r[i].end_ms, t[2], sizeof t[2]);
        const int64_t v[5] = {r[i].sum.files_in, r[i].sum.files_out, r[i].sum.rows,
                              r[i].sum.models, r[i].sum.tests_failed};
        for (int k = 0; k < 5; k++)
            snprintf(c[k], sizeof c[k], "%lld", (long long)v[k]);
        fprintf(out, "%s,%s,%s,%s,%s,%lld,%d,%s,", r[i].run_id, r[i].job, t[0], t[1], t[2],
                (long long)(r[i].end_ms - r[i].start_ms), r[i].attempt, r[i].status);
        for (int k = 0; k < 5; k++)
            fprintf(out, "%s,", v[k] < 0 ? "" : c[k]);
        csv_field(r[i].owner, out);
        fputc(',', out);
        csv_field(r[i].detail, out);
        fputc(',', out);
        csv_field(r[i].error, out);
        fputs("\r\n", out);
    }
}

static int print_json(const tl_sched_run_rec *r, size_t n, FILE *out, tl_err *err) {
    tl_buf b = TL_BUF_INIT;
    tl_json *j = tl_json_new(&b);
    if (!j)
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    tl_json_arr_begin(j);
    for (size_t i = 0; i < n; i++)
        tl_sched_runs_json(j, &r[i]);
    tl_json_arr_end(j);
    int rc = tl_json_finish(j, err);
    if (rc == 0)
        fprintf(out, "%s\n", b.data);
    tl_json_free(j);
    tl_buf_free(&b);
    return rc;
}

static int runs_run(const tl_config *cfg, int argc, char **argv) {
    if (argc != 0) {
        fprintf(stderr, "ticklake runs: unexpected argument '%s' (see --help)\n", argv[0]);
        return TL_EXIT_USAGE;
    }
    tl_sched_runs_query q = {.job = cfg->runs_job, .limit = (size_t)cfg->runs_limit};
    if (cfg->runs_since && parse_since(cfg->runs_since, &q.since_ms) != 0) {
        fprintf(stderr,
                "ticklake runs: --since '%s' is neither an RFC 3339 time nor a duration (24h)\n",
                cfg->runs_since);
        return TL_EXIT_USAGE;
    }
    int lake_rc = tl_cmd_lake_check(cfg, "runs"); /* read-only: a missing lake is a usage error */
    if (lake_rc != TL_EXIT_OK)
        return lake_rc;
    tl_err err = {0};
    tl_sched_run_rec *r = NULL;
    size_t n = 0;
    int rc = TL_EXIT_FAILURE;
    tl_store *store = tl_store_conf_open(cfg, true, &err);
    if (!store || tl_sched_runs_list(store, &q, &r, &n, &err) != 0)
        goto out;
    const char *fmt = cfg->runs_format ? cfg->runs_format : "table";
    if (!strcmp(fmt, "json")) {
        if (print_json(r, n, stdout, &err) != 0)
            goto out;
    } else if (!strcmp(fmt, "csv")) {
        print_csv(r, n, stdout);
    } else {
        print_table(r, n, stdout);
    }
    rc = fflush(stdout) == 0 ? TL_EXIT_OK : TL_EXIT_FAILURE;
out:
    if (err.msg[0])
        fprintf(stderr, "ticklake runs: %s\n", err.msg);
    free(r);
    tl_store_destroy(store);
    return rc;
}

const tl_command tl_cmd_runs = {
    .name = "runs",
    .summary = "the scheduler's run history, from the lake",
    .usage = "--lake L [--job J] [--since T] [--limit N] [--format table|json|csv]",
    .description =
        "Lists the runs that `ticklake schedule` and `ticklake up` recorded in the lake\n"
        "(_ticklake/runs/, one JSON object per attempt or skip), oldest first: job,\n"
        "scheduled time, start, duration, attempt, status (success, failed, skipped,\n"
        "timed_out), files in/out, rows, models built, tests failed, and the summary or\n"
        "error. --since takes an RFC 3339 time or a duration back from now ('24h');\n"
        "only the days it covers are listed.",
    .groups = TL_CG_LAKE | TL_CG_RUNS,
    .run = runs_run,
};
