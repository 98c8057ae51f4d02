/* The scheduler's event loop: jobs with next fire times, run in order on
 * one thread, outcomes recorded (see sched.h). */
#include "sched/sched.h"

#include <pthread.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h> /* malloc_trim, mallopt */
#endif
#include <string.h>
#include <time.h>

#include "sched/sched_guard.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/signals.h"

/* How long the loop sleeps at most, so a stop request, a signal or a
 * jump of the wall clock is noticed within a second. */
#define MAX_SLEEP_MS 1000
/* Counting missed fire times stops here (an @every 1s job stuck for days). */
#define MAX_MISSED 100000

typedef struct job {
    char *name, *schedule, *after;
    tl_cron cron;
    bool enabled;
    size_t *up, nup; /* indices of upstream jobs */
    tl_sched_job_fn run;
    void *ud;
    void (*free_ud)(void *ud);
    int retries;
    int64_t retry_delay_ms, retry_max_ms, timeout_ms;
    int64_t anchor_ms;  /* @every counts from here */
    int64_t next_ms;    /* when it runs next; -1 = never */
    int64_t next_due;   /* the fire time that run is for (a retry: the failed one's) */
    int attempt;        /* of that run: 1, or 2.. when it is a retry */
    int64_t catchup_ms; /* missed fire times up to here run one by one; 0 = none */
    uint64_t runs, failures, skips, timeouts, retried, elsewhere;
    tl_sched_result last; /* TL_SCHED_RUNNING = never ran */
    int64_t last_start_ms, last_duration_ms;
    char detail[512];
    tl_sched_result round; /* this round's outcome; TL_SCHED_RUNNING = not run */
} job;

struct tl_sched {
    tl_sched_opts o;
    int64_t anchor_ms;
    job *jobs;
    size_t n, cap;
    pthread_mutex_t mu; /* guards stop */
    pthread_cond_t cv;
    bool stop;
    pthread_t thread;
    bool started;
};

static int64_t wall_ms(void *ud) {
    (void)ud;
    return tl_now_us() / 1000;
}

static void real_sleep(void *ud, int64_t ms) {
    tl_sched *s = ud;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t ns = ts.tv_nsec + ms * 1000000;
    ts.tv_sec += ns / 1000000000;
    ts.tv_nsec = ns % 1000000000;
    pthread_mutex_lock(&s->mu);
    if (!s->stop)
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    pthread_mutex_unlock(&s->mu);
}

static int64_t now_ms(tl_sched *s) {
    return s->o.clock(s->o.clock_ud);
}

static bool stopping(tl_sched *s) {
    pthread_mutex_lock(&s->mu);
    bool stop = s->stop;
    pthread_mutex_unlock(&s->mu);
    return stop || tl_stop_requested();
}

const char *tl_sched_result_name(tl_sched_result r) {
    switch (r) {
    case TL_SCHED_RUNNING: return "running";
    case TL_SCHED_OK: return "ok";
    case TL_SCHED_FAILED: return "failed";
    case TL_SCHED_SKIPPED: return "skipped";
    case TL_SCHED_TIMED_OUT: return "timed_out";
    case TL_SCHED_ELSEWHERE: return "elsewhere";
    }
    return "?";
}

/* glibc serves a block of 128 KiB or more with its own mmap, and when such a
 * block is freed it raises that threshold to the block's size (up to 32 MiB):
 * after a job's DuckDB freed its big blocks, every later allocation under the
 * new threshold came from the arenas of the threads that made it, and what
 * those arenas kept between rounds (in use beside free pages) raised RSS's
 * floor ~10 MB a job round in `up` (BENCHMARKS.md, "Memory"). Setting the
 * threshold pins it at glibc's starting value: big blocks keep going back to
 * the system when freed. Process-wide, so for the processes that run a
 * scheduler (`up`, `schedule`) and once. */
static void pin_mmap_threshold(void) {
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, TL_SCHED_MMAP_THRESHOLD);
#endif
}

tl_sched *tl_sched_new(const tl_sched_opts *opts) {
    static pthread_once_t pinned = PTHREAD_ONCE_INIT;
    pthread_once(&pinned, pin_mmap_threshold);
    tl_sched *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (opts)
        s->o = *opts;
    if (!s->o.clock)
        s->o.clock = wall_ms;
    if (!s->o.sleep) {
        s->o.sleep = real_sleep;
        s->o.sleep_ud = s;
    }
    if (!s->o.on_event)
        s->o.on_event = tl_sched_log_event;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    s->anchor_ms = now_ms(s);
    return s;
}

static void job_free(job *j) {
    if (j->free_ud)
        j->free_ud(j->ud);
    free(j->name);
    free(j->schedule);
    free(j->after);
    free(j->up);
}

void tl_sched_destroy(tl_sched *s) {
    if (!s)
        return;
    if (s->started) {
        tl_sched_stop(s);
        pthread_join(s->thread, NULL);
    }
    for (size_t i = 0; i < s->n; i++)
        job_free(&s->jobs[i]);
    free(s->jobs);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

static job *find(tl_sched *s, const char *name, size_t len) {
    for (size_t i = 0; i < s->n; i++)
        if (strlen(s->jobs[i].name) == len && !strncmp(s->jobs[i].name, name, len))
            return &s->jobs[i];
    return NULL;
}

/* "compact, models" -> indices of jobs added before. */
static int resolve_after(tl_sched *s, job *j, tl_err *err) {
    const char *p = j->after;
    while (*p) {
        p += strspn(p, " ,");
        size_t len = strcspn(p, " ,");
        if (!len)
            break;
        job *u = find(s, p, len);
        if (!u)
            return tl_err_set(err, TL_ERR_INVALID,
                              "job '%s': upstream job '%.*s' does not exist (add upstream jobs "
                              "first)",
                              j->name, (int)len, p);
        size_t *up = realloc(j->up, (j->nup + 1) * sizeof *up);
        if (!up)
            return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        j->up = up;
        j->up[j->nup++] = (size_t)(u - s->jobs);
        p += len;
    }
    return 0;
}

/* Catch-up: the fire times after the newest one handled (by any process)
 * that passed while none ran; the job starts with the oldest (at most
 * TL_SCHED_MAX_CATCHUP of them, the newest). @every keeps counting from
 * that last run, so its phase survives restarts. */
static void catch_up(tl_sched *s, job *j, int64_t now) {
    const tl_sched_coord *c = s->o.coord;
    int64_t last = c->last_due ? c->last_due(c->ud, j->name) : -1;
    if (last < 0)
        return;
    int64_t anchor = j->cron.every_ms ? last : j->anchor_ms;
    size_t n = 0;
    for (int64_t f = tl_cron_next(&j->cron, anchor, last); f >= 0 && f <= now && n < MAX_MISSED;
         f = tl_cron_next(&j->cron, anchor, f))
        n++;
    if (!n)
        return;
    if (!s->o.catchup) {
        tl_info("schedule", "%s: %zu fire time%s passed while no scheduler ran (catch-up is off)",
                j->name, n, n == 1 ? "" : "s");
        return;
    }
    j->anchor_ms = anchor;
    int64_t f = tl_cron_next(&j->cron, anchor, last);
    for (size_t k = 0; n > TL_SCHED_MAX_CATCHUP && k < n - TL_SCHED_MAX_CATCHUP; k++)
        f = tl_cron_next(&j->cron, anchor, f);
    j->next_ms = j->next_due = f;
    j->catchup_ms = now;
    tl_info("schedule", "%s: catching up %zu missed fire time%s%s", j->name,
            n < TL_SCHED_MAX_CATCHUP ? n : TL_SCHED_MAX_CATCHUP, n == 1 ? "" : "s",
            n > TL_SCHED_MAX_CATCHUP ? " (the newest; older ones are dropped)" : "");
}

static int job_init(tl_sched *s, job *j, const tl_sched_job *def, tl_err *err) {
    const char *sched = def->schedule ? def->schedule : "";
    j->name = strdup(def->name);
    j->schedule = strdup(sched);
    j->after = strdup(def->after ? def->after : "");
    if (!j->name || !j->schedule || !j->after)
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    j->enabled = sched[strspn(sched, " \t")] != '\0';
    j->next_ms = j->next_due = -1;
    j->attempt = 1;
    j->anchor_ms = s->anchor_ms;
    j->retries = def->retries > 0 ? def->retries : 0;
    j->retry_delay_ms = def->retry_delay_ms > 0 ? def->retry_delay_ms : 1000;
    j->retry_max_ms = def->retry_max_ms > 0 ? def->retry_max_ms : 0;
    j->timeout_ms = def->timeout_ms > 0 ? def->timeout_ms : 0;
    j->run = def->run;
    j->last = j->round = TL_SCHED_RUNNING;
    int rc = resolve_after(s, j, err);
    if (rc || !j->enabled)
        return rc;
    if ((rc = tl_cron_parse(sched, &j->cron, err)) != 0)
        return tl_err_wrap(err, rc, "job '%s'", def->name);
    j->next_ms = j->next_due = tl_cron_next(&j->cron, s->anchor_ms, s->anchor_ms);
    if (s->o.coord)
        catch_up(s, j, s->anchor_ms);
    return 0;
}

int tl_sched_add(tl_sched *s, const tl_sched_job *def, tl_err *err) {
    if (!def->name || !def->name[0] || !def->run)
        return tl_err_set(err, TL_ERR_INVALID, "a job needs a name and a run function");
    if (find(s, def->name, strlen(def->name)))
        return tl_err_set(err, TL_ERR_INVALID, "job '%s' is defined twice", def->name);
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 4;
        job *jobs = realloc(s->jobs, cap * sizeof *jobs);
        if (!jobs)
            return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        s->jobs = jobs;
        s->cap = cap;
    }
    job *j = &s->jobs[s->n];
    memset(j, 0, sizeof *j);
    j->ud = def->ud;
    j->free_ud = def->free_ud;
    int rc = job_init(s, j, def, err);
    if (rc) {
        job_free(j); /* frees an owned ud too: it was handed over with the call */
        return rc;
    }
    s->n++;
    return 0;
}

/* ---- running -------------------------------------------------------------- */

/* The delay before retry number `n` (1..): doubling, capped. */
static int64_t retry_delay(const job *j, int n) {
    int64_t d = j->retry_delay_ms;
    for (int i = 1; i < n && (!j->retry_max_ms || d < j->retry_max_ms) && d < INT64_MAX / 2; i++)
        d *= 2;
    return j->retry_max_ms && d > j->retry_max_ms ? j->retry_max_ms : d;
}

static bool is_failure(tl_sched_result r) {
    return r == TL_SCHED_FAILED || r == TL_SCHED_TIMED_OUT;
}

/* Whether an attempt that ended with r (and error code) is tried again:
 * not for bad input or a corrupt lake, which a retry cannot mend. */
static bool will_retry(const job *j, tl_sched_result r, int code) {
    return is_failure(r) && j->attempt <= j->retries && code != TL_ERR_INVALID &&
           code != TL_ERR_CORRUPT;
}

/* After an attempt for `due` that ended at `end` with r: a retry, the next
 * missed fire time being caught up, or the first fire time after both
 * (the fire times the run covered are coalesced). */
static void schedule_next(tl_sched *s, job *j, tl_sched_result r, int code, int64_t due,
                          int64_t end, size_t *missed, bool *retry) {
    (void)s;
    *missed = 0;
    *retry = false;
    if (will_retry(j, r, code)) {
        j->next_ms = end + retry_delay(j, j->attempt);
        j->next_due = due;
        j->attempt++;
        *retry = true;
        return;
    }
    j->attempt = 1;
    if (!j->enabled)
        return;
    int64_t f = tl_cron_next(&j->cron, j->anchor_ms, due);
    if (j->catchup_ms && f >= 0 && f <= j->catchup_ms) {
        j->next_ms = j->next_due = f;
        return;
    }
    j->catchup_ms = 0;
    if (end < due)
        end = due;
    while (f >= 0 && f <= end && *missed < MAX_MISSED) {
        (*missed)++;
        f = tl_cron_next(&j->cron, j->anchor_ms, f);
    }
    if (f >= 0 && f <= end)
        f = tl_cron_next(&j->cron, j->anchor_ms, end);
    j->next_ms = j->next_due = f;
}

typedef enum { UP_GO, UP_SKIP, UP_WAIT, UP_ELSEWHERE } up_state;

/* Whether j may run now: an upstream job that failed or was skipped in
 * this round skips it (why says which); one with a retry to come makes it
 * wait for that retry (*until); one run by another process this round
 * leaves j to that process too. */
static up_state upstream_state(const tl_sched *s, const job *j, char *why, size_t cap,
                               int64_t *until) {
    for (size_t i = 0; i < j->nup; i++) {
        const job *u = &s->jobs[j->up[i]];
        if (u->attempt > 1) {
            *until = u->next_ms;
            return UP_WAIT;
        }
        if (u->round == TL_SCHED_ELSEWHERE) {
            snprintf(why, cap, "upstream job '%s' ran in another process", u->name);
            return UP_ELSEWHERE;
        }
        if (is_failure(u->round) || u->round == TL_SCHED_SKIPPED) {
            snprintf(why, cap, "upstream job '%s' %s in this round", u->name,
                     u->round == TL_SCHED_FAILED      ? "failed"
                     : u->round == TL_SCHED_TIMED_OUT ? "timed out"
                                                      : "was skipped");
            return UP_SKIP;
        }
    }
    return UP_GO;
}

static void finish(tl_sched *s, job *j, tl_sched_result r, int code, int64_t due, int64_t start,
                   int64_t end, const char *detail, const tl_sched_summary *sum) {
    static const tl_sched_summary none = {-1, -1, -1, -1, -1};
    const tl_sched_coord *c = s->o.coord;
    tl_sched_event ev = {.job = j->name,
                         .result = r,
                         .due_ms = due,
                         .start_ms = start,
                         .end_ms = end,
                         .detail = detail,
                         .attempt = j->attempt,
                         .sum = sum ? sum : &none,
                         .owner = c && c->owner ? c->owner : ""};
    schedule_next(s, j, r, code, due, end, &ev.missed, &ev.retry);
    ev.next_ms = j->next_ms;
    j->round = r;
    if (r == TL_SCHED_ELSEWHERE) {
        j->elsewhere++;
    } else {
        if (detail != j->detail)
            snprintf(j->detail, sizeof j->detail, "%s", detail);
        j->last = r;
        j->last_start_ms = start;
        j->last_duration_ms = end - start;
        if (r == TL_SCHED_SKIPPED)
            j->skips++;
        else
            j->runs++;
        j->failures += is_failure(r);
        j->timeouts += r == TL_SCHED_TIMED_OUT;
        j->retried += ev.retry;
    }
    s->o.on_event(s->o.event_ud, &ev);
}

/* A job (a compaction's sort, a models run) frees hundreds of MB when it
 * ends, on threads glibc gave arenas of their own; without a trim those
 * arenas keep the pages and a long-running process (`up`, `schedule`)
 * stays at the peak of its biggest job. */
static void give_memory_back(void) {
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

/* One attempt under the job's guard (timeout, lease). */
static tl_sched_result attempt(tl_sched *s, job *j, int64_t due, int64_t start) {
    const tl_sched_coord *c = s->o.coord;
    tl_sched_event ev = {.job = j->name,
                         .result = TL_SCHED_RUNNING,
                         .due_ms = due,
                         .start_ms = start,
                         .detail = "",
                         .next_ms = -1,
                         .attempt = j->attempt,
                         .owner = c && c->owner ? c->owner : ""};
    s->o.on_event(s->o.event_ud, &ev);
    tl_sched_run run = {.job = j->name, .due_ms = due, .attempt = j->attempt};
    run.sum = (tl_sched_summary){-1, -1, -1, -1, -1};
    tl_sched_guard g;
    tl_sched_guard_start(&g, c, j->name, s->o.clock, s->o.clock_ud, start, j->timeout_ms,
                         s->o.clock == wall_ms);
    run.cancel = &g.cancel;
    tl_err err = {0};
    int rc = j->run(j->ud, &run, &err);
    tl_sched_guard_stop(&g);
    give_memory_back();
    int64_t end = now_ms(s);
    tl_sched_result r = rc == 0 ? TL_SCHED_OK : TL_SCHED_FAILED;
    if (rc == 0)
        snprintf(j->detail, sizeof j->detail, "%s", run.out);
    else if (err.msg[0])
        snprintf(j->detail, sizeof j->detail, "%s", err.msg);
    else
        snprintf(j->detail, sizeof j->detail, "failed (%s)", tl_err_code_name((tl_err_code)rc));
    if (rc != 0 && g.timed_out)
        r = TL_SCHED_TIMED_OUT;
    if (c && c->release)
        c->release(c->ud, j->name, due, r, !will_retry(j, r, rc), end);
    finish(s, j, r, rc, due, start, end, j->detail, &run.sum);
    return r;
}

static tl_sched_result run_job(tl_sched *s, job *j, int64_t due) {
    char why[512];
    int64_t now = now_ms(s), until = -1;
    switch (upstream_state(s, j, why, sizeof why, &until)) {
    case UP_WAIT: /* not a round of its own: runs after the upstream retry */
        j->next_ms = until > now ? until : now + 1; /* never a busy loop */
        return TL_SCHED_RUNNING;
    case UP_SKIP:
        finish(s, j, TL_SCHED_SKIPPED, 0, due, now, now, why, NULL);
        return TL_SCHED_SKIPPED;
    case UP_ELSEWHERE:
        finish(s, j, TL_SCHED_ELSEWHERE, 0, due, now, now, why, NULL);
        return TL_SCHED_ELSEWHERE;
    case UP_GO: break;
    }
    const tl_sched_coord *c = s->o.coord;
    tl_err err = {0};
    int rc = c && c->acquire ? c->acquire(c->ud, j->name, due, now, &err) : 0;
    if (rc == TL_ERR_CONFLICT) {
        finish(s, j, TL_SCHED_ELSEWHERE, 0, due, now, now, err.msg, NULL);
        return TL_SCHED_ELSEWHERE;
    }
    if (rc != 0) { /* the lease cannot be read or written: this attempt fails */
        snprintf(why, sizeof why, "cannot take the job's lease: %.480s", err.msg);
        finish(s, j, TL_SCHED_FAILED, rc, due, now, now, why, NULL);
        return TL_SCHED_FAILED;
    }
    /* the run starts once the lease is ours (taking it may take a while) */
    return attempt(s, j, due, c && c->acquire ? now_ms(s) : now);
}

static void new_round(tl_sched *s) {
    for (size_t i = 0; i < s->n; i++)
        s->jobs[i].round = TL_SCHED_RUNNING;
}

size_t tl_sched_tick(tl_sched *s) {
    int64_t now = now_ms(s);
    size_t runs = 0;
    new_round(s);
    for (size_t i = 0; i < s->n && !stopping(s); i++) {
        job *j = &s->jobs[i];
        if (j->enabled && j->next_ms >= 0 && j->next_ms <= now &&
            run_job(s, j, j->next_due) != TL_SCHED_RUNNING)
            runs++;
    }
    return runs;
}

/* --once: each job now, its retries waited for in place. */
size_t tl_sched_run_all(tl_sched *s) {
    size_t bad = 0;
    new_round(s);
    for (size_t i = 0; i < s->n && !stopping(s); i++) {
        job *j = &s->jobs[i];
        if (!j->enabled)
            continue;
        int64_t due = now_ms(s);
        tl_sched_result r = run_job(s, j, due);
        while (is_failure(r) && j->attempt > 1 && !stopping(s)) {
            int64_t now = now_ms(s);
            if (now < j->next_ms) {
                int64_t w = j->next_ms - now;
                s->o.sleep(s->o.sleep_ud, w > MAX_SLEEP_MS ? MAX_SLEEP_MS : w);
                continue;
            }
            r = run_job(s, j, due);
        }
        bad += is_failure(r) || r == TL_SCHED_SKIPPED;
    }
    return bad;
}

static int64_t earliest(const tl_sched *s) {
    int64_t next = -1;
    for (size_t i = 0; i < s->n; i++)
        if (s->jobs[i].enabled && s->jobs[i].next_ms >= 0 &&
            (next < 0 || s->jobs[i].next_ms < next))
            next = s->jobs[i].next_ms;
    return next;
}

void tl_sched_loop(tl_sched *s) {
    while (!stopping(s)) {
        int64_t now = now_ms(s), next = earliest(s);
        if (next >= 0 && next <= now) {
            tl_sched_tick(s);
            continue;
        }
        int64_t wait = next < 0 || next - now > MAX_SLEEP_MS ? MAX_SLEEP_MS : next - now;
        s->o.sleep(s->o.sleep_ud, wait);
    }
}

static void *loop_main(void *arg) {
    tl_sched_loop(arg);
    return NULL;
}

int tl_sched_start(tl_sched *s, tl_err *err) {
    if (s->started)
        return tl_err_set(err, TL_ERR_INVALID, "the scheduler is already running");
    if (pthread_create(&s->thread, NULL, loop_main, s) != 0)
        return tl_err_set(err, TL_ERR_IO, "cannot start the scheduler thread");
    s->started = true;
    return 0;
}

void tl_sched_stop(tl_sched *s) {
    pthread_mutex_lock(&s->mu);
    s->stop = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* ---- reporting ------------------------------------------------------------ */

size_t tl_sched_job_count(const tl_sched *s) {
    return s->n;
}

int tl_sched_job_get(const tl_sched *s, size_t i, tl_sched_job_info *out) {
    if (i >= s->n)
        return -1;
    const job *j = &s->jobs[i];
    *out = (tl_sched_job_info){
        .name = j->name,
        .schedule = j->enabled ? j->schedule : "",
        .after = j->after,
        .enabled = j->enabled,
        .next_ms = j->enabled ? j->next_ms : -1,
        .runs = j->runs,
        .failures = j->failures,
        .skips = j->skips,
        .timeouts = j->timeouts,
        .retries = j->retried,
        .elsewhere = j->elsewhere,
        .last = j->last,
        .last_start_ms = j->last_start_ms,
        .last_duration_ms = j->last_duration_ms,
        .last_detail = j->detail,
    };
    return 0;
}

void tl_sched_log_event(void *ud, const tl_sched_event *ev) {
    (void)ud;
    char due[32], next[32] = "never";
    tl_cron_format_time(ev->due_ms, due, sizeof due);
    if (ev->next_ms >= 0)
        tl_cron_format_time(ev->next_ms, next, sizeof next);
    double secs = (double)(ev->end_ms - ev->start_ms) / 1e3;
    char missed[64] = "", att[32] = "";
    if (ev->missed)
        snprintf(missed, sizeof missed, " (%zu fire time%s passed while it ran)", ev->missed,
                 ev->missed == 1 ? "" : "s");
    if (ev->attempt > 1)
        snprintf(att, sizeof att, " (attempt %d)", ev->attempt);
    const char *then = ev->retry ? "retry at" : "next";
    /* the ids a log reader filters on; no duration before the end */
    const tl_log_field f[] = {TL_LS("job", ev->job), TL_LS("due", due),
                              TL_LI("attempt", ev->attempt),
                              TL_LI("duration_ms", ev->end_ms - ev->start_ms)};
    size_t nf = ev->result == TL_SCHED_RUNNING ? 3 : 4;
    switch (ev->result) {
    case TL_SCHED_RUNNING:
        tl_logf(TL_LOG_INFO, "schedule", f, nf, "%s started (due %s)%s", ev->job, due, att);
        break;
    case TL_SCHED_OK:
        tl_logf(TL_LOG_INFO, "schedule", f, nf, "%s ok in %.2f s%s: %s; next %s%s", ev->job,
                secs, att, ev->detail, next, missed);
        break;
    case TL_SCHED_FAILED:
    case TL_SCHED_TIMED_OUT:
        tl_logf(TL_LOG_ERROR, "schedule", f, nf, "%s %s after %.2f s%s: %s; %s %s%s", ev->job,
                ev->result == TL_SCHED_FAILED ? "failed" : "timed out", secs, att, ev->detail,
                ev->retry ? "retry at" : "retry at its next fire time,", next, missed);
        break;
    case TL_SCHED_SKIPPED:
        tl_logf(TL_LOG_WARN, "schedule", f, nf, "%s skipped: %s; %s %s", ev->job, ev->detail,
                then, next);
        break;
    case TL_SCHED_ELSEWHERE:
        tl_logf(TL_LOG_DEBUG, "schedule", f, nf, "%s for %s not run here: %s; next %s", ev->job,
                due, ev->detail, next);
        break;
    }
}

void tl_sched_print(const tl_sched *s, FILE *out) {
    fprintf(out, "%-10s %-20s %-10s %s\n", "JOB", "SCHEDULE", "AFTER", "NEXT (UTC)");
    for (size_t i = 0; i < s->n; i++) {
        const job *j = &s->jobs[i];
        char next[32] = "-";
        if (j->enabled && j->next_ms >= 0)
            tl_cron_format_time(j->next_ms, next, sizeof next);
        fprintf(out, "%-10s %-20s %-10s %s\n", j->name, j->enabled ? j->schedule : "(disabled)",
                j->after[0] ? j->after : "-", next);
    }
}
