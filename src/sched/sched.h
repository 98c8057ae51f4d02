/* sched — the cron-style scheduler behind `ticklake schedule` and the one
 * inside `ticklake up`: compaction, models and vacuum on their schedules.
 *
 * One event loop with timers (Redis's serverCron): each job has a cron
 * expression (cron.h) and its next fire time; the loop sleeps until the
 * earliest one, then runs every due job, one at a time, in the order they
 * were added. A job may name upstream jobs (`after`), which must have been
 * added before it, so the add order is a topological order (a tiny DAG,
 * like an Airflow DAG's `>>`): when an upstream job failed or was skipped
 * in the same round, the downstream job is skipped and says why; while the
 * upstream job still has a retry to come, the downstream one waits for it.
 * When both are due together the upstream one runs first (models read the
 * lake after compaction rewrote it).
 *
 * Never two runs of the same job at once: runs are sequential on the loop's
 * thread, and across processes a coordinator (tl_sched_coord: a lease in
 * the lake, sched_lease.h) lets one process at a time run a job and tells
 * the others that a fire time was already handled. A run that outlasts its
 * period coalesces the fire times it covered into nothing (they are counted
 * as `missed`); the next run is at the first fire time after the run ended.
 *
 * Retries: a failed (or timed-out) run is tried again `retries` times
 * (unless its error is TL_ERR_INVALID or TL_ERR_CORRUPT: bad input or a
 * corrupt lake, which no retry mends), the
 * n-th retry retry_delay * 2^(n-1) after the previous attempt ended, capped
 * at retry_max_delay; each attempt is its own event, with the fire time it
 * is for. Once the retries are spent, the job waits for its next fire time.
 *
 * Timeouts: a run past its job's timeout is cancelled through the
 * tl_cancel it gets (util/cancel.h): the job stops at its next safe point
 * with nothing half-committed and the run ends as TL_SCHED_TIMED_OUT. The
 * same token cancels a run whose lease was lost.
 *
 * Catch-up: with opts.catchup and a coordinator that knows each job's last
 * handled fire time, the fire times missed while no scheduler ran are run
 * one by one, oldest first (at most TL_SCHED_MAX_CATCHUP); without, the
 * first run is at the first fire time after the start.
 *
 * Time is injectable (a clock and a sleep function), so tests drive the
 * loop through days of schedule without sleeping. With the wall clock, a
 * watcher thread renews the lease and enforces the timeout while a job
 * runs; with an injected clock that happens at the job's safe points only.
 *
 * Threading: tl_sched_stop may be called from any thread (and SIGINT /
 * SIGTERM through util/signals stop the loop too); everything else from
 * one thread at a time — the loop's own thread while it runs. */
#ifndef TL_SCHED_SCHED_H
#define TL_SCHED_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sched/cron.h"
#include "util/cancel.h"
#include "util/err.h"

typedef struct tl_sched tl_sched;

/* At most this many missed fire times are caught up per job (the newest). */
#define TL_SCHED_MAX_CATCHUP 100

/* What a run did, for the run history; -1 = does not apply. */
typedef struct tl_sched_summary {
    int64_t files_in, files_out, rows, models, tests_failed;
} tl_sched_summary;

/* One attempt of a job, as the job function sees it. */
typedef struct tl_sched_run {
    const char *job;
    int64_t due_ms; /* the fire time it runs for */
    int attempt;    /* 1, then 2.. for retries */
    /* Ask at safe points; on a yes stop with nothing half-committed and
     * return TL_ERR_STOPPED (tl_cancel_check does both). */
    const tl_cancel *cancel;
    tl_sched_summary sum; /* all -1 at the start: fill what applies */
    char out[512];        /* a one-line summary ("2 partitions: 40 -> 2 files") */
} tl_sched_run;

/* A job's work: 0, or an error in err. */
typedef int (*tl_sched_job_fn)(void *ud, tl_sched_run *run, tl_err *err);

typedef struct tl_sched_job {
    const char *name;     /* unique: "compact" */
    const char *schedule; /* cron expression; NULL or "" = disabled (listed, never fired) */
    const char *after;    /* upstream jobs, comma-separated, added earlier; NULL = none */
    tl_sched_job_fn run;
    void *ud;
    void (*free_ud)(void *ud); /* owns ud: called by tl_sched_destroy, or by a failed
                                  tl_sched_add; NULL = not owned */
    int retries;               /* attempts after a failure or timeout; 0 = none */
    int64_t retry_delay_ms;    /* before the first retry, doubling after; 0 = 1 s */
    int64_t retry_max_ms;      /* cap on the delay; 0 = no cap */
    int64_t timeout_ms;        /* cancel a run after this long; 0 = never */
} tl_sched_job;

typedef enum {
    TL_SCHED_RUNNING, /* a run starts (event only) */
    TL_SCHED_OK,
    TL_SCHED_FAILED,
    TL_SCHED_SKIPPED,   /* an upstream job failed or was skipped this round */
    TL_SCHED_TIMED_OUT, /* cancelled at its timeout */
    /* Not run here (event only, never in the history): another process
     * holds the job's lease or already handled this fire time. */
    TL_SCHED_ELSEWHERE,
} tl_sched_result;

/* "running", "ok", "failed", "skipped", "timed_out", "elsewhere" */
const char *tl_sched_result_name(tl_sched_result r);

/* One run's start or outcome. */
typedef struct tl_sched_event {
    const char *job;
    tl_sched_result result;
    int64_t due_ms;     /* the fire time it ran for */
    int64_t start_ms;   /* = end_ms for a skip */
    int64_t end_ms;     /* 0 while running */
    const char *detail; /* the summary (ok), the error (failed), the reason (skipped) */
    size_t missed;      /* fire times that passed during the run and were coalesced */
    int64_t next_ms;    /* next fire time (or retry) once the run ended; -1 while running */
    int attempt;        /* 1, 2.. */
    bool retry;         /* next_ms is a retry of this fire time */
    const tl_sched_summary *sum; /* what the run did (all -1 unless ok or partly done) */
    const char *owner;  /* the coordinator's id of this process; "" without one */
} tl_sched_event;

/* Keeps runs of one job in several processes apart (sched_lease.h is the
 * lake's). Called from the loop's thread; renew also from the watcher. */
typedef struct tl_sched_coord {
    /* Take job's lease to run fire time due_ms: 0 = taken; TL_ERR_CONFLICT =
     * not ours to run (held by another process, or due_ms already handled
     * there), with why in err; another error: the attempt fails with it. */
    int (*acquire)(void *ud, const char *job, int64_t due_ms, int64_t now_ms, tl_err *err);
    /* Extend the lease: TL_ERR_CONFLICT = it was taken over (it expired). */
    int (*renew)(void *ud, const char *job, int64_t now_ms, tl_err *err);
    /* Give it back after an attempt that ended with result (OK, FAILED or
     * TIMED_OUT); handled = due_ms is done with (no retry follows). */
    void (*release)(void *ud, const char *job, int64_t due_ms, tl_sched_result result,
                    bool handled, int64_t now_ms);
    /* The newest fire time handled by anyone; -1 = none known (catch-up). */
    int64_t (*last_due)(void *ud, const char *job);
    const char *owner; /* this process's id, for events */
    int64_t renew_ms;  /* renew this often while a job runs (> 0) */
    void *ud;
} tl_sched_coord;

typedef struct tl_sched_opts {
    int64_t (*clock)(void *ud); /* Unix ms; NULL = the wall clock */
    void *clock_ud;
    /* Wait up to ms (the loop never asks for more than a second). NULL =
     * a real wait that tl_sched_stop interrupts. */
    void (*sleep)(void *ud, int64_t ms);
    void *sleep_ud;
    void (*on_event)(void *ud, const tl_sched_event *ev); /* NULL = tl_sched_log_event */
    void *event_ud;
    const tl_sched_coord *coord; /* NULL = this process alone; borrowed */
    bool catchup;                /* run fire times missed while down (needs coord) */
} tl_sched_opts;

/* glibc's mmap threshold, pinned by the first tl_sched_new of a process (with
 * glibc): a block this big or bigger goes back to the system when freed,
 * whatever size a job freed before (see sched.c). */
#define TL_SCHED_MMAP_THRESHOLD (128 * 1024)

/* opts may be NULL. The scheduler's start (its clock's now) anchors @every
 * schedules. NULL when out of memory. The first call pins glibc's mmap
 * threshold for the process (TL_SCHED_MMAP_THRESHOLD). */
tl_sched *tl_sched_new(const tl_sched_opts *opts);
/* Stops the loop (waiting for a running job), then frees. NULL is fine. */
void tl_sched_destroy(tl_sched *s);

/* Add a job; its strings are copied. TL_ERR_INVALID for a bad schedule
 * ("job 'compact': schedule \"61 * * * *\": minute: ..."), a duplicate
 * name or an unknown upstream. */
int tl_sched_add(tl_sched *s, const tl_sched_job *job, tl_err *err);

/* Run the jobs due at the clock's now (see above). Returns how many runs
 * (and skips) happened. */
size_t tl_sched_tick(tl_sched *s);

/* Run every enabled job once now, in order, skipping the downstream jobs
 * of a failure. Returns how many failed or were skipped (0 = all ok). */
size_t tl_sched_run_all(tl_sched *s);

/* The loop: tick, sleep until the next fire time, until tl_sched_stop or a
 * SIGINT/SIGTERM (a running job finishes first). */
void tl_sched_loop(tl_sched *s);

/* The loop on a thread of its own; tl_sched_destroy stops and joins it. */
int tl_sched_start(tl_sched *s, tl_err *err);
void tl_sched_stop(tl_sched *s);

/* ---- what --list and tests look at ---------------------------------------- */

typedef struct tl_sched_job_info {
    const char *name, *schedule, *after; /* schedule "" when disabled, after "" when none */
    bool enabled;
    int64_t next_ms; /* -1 when disabled */
    uint64_t runs, failures, skips; /* failures include timeouts */
    uint64_t timeouts, retries, elsewhere;
    tl_sched_result last; /* TL_SCHED_RUNNING when never run */
    int64_t last_start_ms, last_duration_ms;
    const char *last_detail;
} tl_sched_job_info;

size_t tl_sched_job_count(const tl_sched *s);
/* 0, or -1 when i is out of range. The strings live as long as s. */
int tl_sched_job_get(const tl_sched *s, size_t i, tl_sched_job_info *out);

/* The standard log line of an event ("schedule: compact ok in 1.24 s: ..."),
 * through util/log. ud is unused. */
void tl_sched_log_event(void *ud, const tl_sched_event *ev);

/* Print the jobs and their next fire times, one line each (--list). */
void tl_sched_print(const tl_sched *s, FILE *out);

#endif
