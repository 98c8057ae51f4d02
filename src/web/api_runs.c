/* GET /api/runs — the scheduled jobs' last runs, from the run history in
 * the lake (sched_runs.h: _ticklake/runs/), whichever process ran them:
 * `up`'s own scheduler, or `ticklake schedule` beside a standalone
 * `dashboard`. Newest first; ?job= one job, ?limit= how many (1..100,
 * default 20). Only the last RECENT_DAYS days are listed, so a request
 * costs a few listings however long the history is. Without a lake:
 * {"runs": []}. */
#include <stdlib.h>
#include <string.h>

#include "sched/sched_runs.h"
#include "util/clock.h"
#include "web/web_int.h"

#define RECENT_DAYS 7
#define MAX_RUNS 100

typedef struct runs_ctx {
    const tl_sched_run_rec *r;
    size_t n;
} runs_ctx;

static int runs_doc(tl_json *j, void *ud) {
    const runs_ctx *c = ud;
    tl_json_obj_begin(j);
    tl_json_key(j, "runs");
    tl_json_arr_begin(j);
    for (size_t i = c->n; i-- > 0;) /* newest first */
        tl_sched_runs_json(j, &c->r[i]);
    tl_json_arr_end(j);
    return tl_json_obj_end(j);
}

/* ?limit=: 1..MAX_RUNS, default 20; -1 after filling a 400. */
static long limit_arg(const tl_web_req *req, tl_web_resp *r) {
    const char *s = tl_web_arg(req, "limit");
    if (!s)
        return 20;
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 1 || v > MAX_RUNS) {
        tl_web_error(r, 400, "limit=%.20s: a number from 1 to %d", s, MAX_RUNS);
        return -1;
    }
    return v;
}

static void runs(tl_web *w, const tl_web_req *req, tl_web_resp *r) {
    long limit = limit_arg(req, r);
    if (limit < 0)
        return;
    const char *job = tl_web_arg(req, "job");
    if (job && (!*job || strlen(job) > 31 || strspn(job, "abcdefghijklmnopqrstuvwxyz_") != strlen(job))) {
        tl_web_error(r, 400, "job=%.40s: a job name (compact, models, vacuum)", job);
        return;
    }
    tl_sched_runs_query q = {.job = job,
                             .since_ms = tl_now_us() / 1000 - RECENT_DAYS * 86400000LL,
                             .limit = (size_t)limit};
    runs_ctx c = {0};
    tl_sched_run_rec *rec = NULL;
    tl_err err = {0};
    if (w->o.store && tl_sched_runs_list(w->o.store, &q, &rec, &c.n, &err) != 0) {
        tl_web_error(r, 503, "reading the run history: %s", err.msg);
        return;
    }
    c.r = rec;
    if (tl_json_doc(&r->body, runs_doc, &c, &err) != 0)
        tl_web_error(r, 500, "out of memory");
    else
        tl_web_json(r, 200);
    free(rec);
}

void tl_api_runs_register(tl_web *w) {
    tl_web_register(w, "/api/runs", true, runs);
}
