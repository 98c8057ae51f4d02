/* sched — the cron-style scheduler behind `ticklake schedule` and the one
 * inside `ticklake up`: compaction, models and vacuum on their schedules.
 *
 * One event loop with timers (Redis's serverCron): each job has a cron
 * expression (cron.h) and its next fire time; the loop sleeps until the
 * earliest one, then runs every due job, one at a time, in the order they
 * were added. A job may name upstream jobs (`after`), which must have been
 * added before it, so the add order is a topological order (a tiny DAG,
 * like an Airflow DAG's `>>`): when an upstream job failed or was skipped
 * in the same round, the downstream job is skipped and says why. When
 * both are due together the upstream one runs first (models read the
 * lake after compaction rewrote it).
 *
 * Never two runs of the same job at once: runs are sequential on the loop's
 * thread. A run that outlasts its period coalesces the fire times it
 * covered into nothing (they are counted as `missed`); the next run is at
 * the first fire time after the run ended. A failed run is recorded with
 * its error and retried at its next fire time, not sooner.
 *
 * Time is injectable (a clock and a sleep function), so tests drive the
 * loop through days of schedule without sleeping.
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
#include "util/err.h"

typedef struct tl_sched tl_sched;

/* A job's work. Writes a one-line summary of what it did into out (e.g.
 * "compacted 2 partitions: 40 -> 2 files"); returns 0, or an error in err. */
typedef int (*tl_sched_job_fn)(void *ud, char *out, size_t cap, tl_err *err);

typedef struct tl_sched_job {
    const char *name;     /* unique: "compact" */
    const char *schedule; /* cron expression; NULL or "" = disabled (listed, never fired) */
    const char *after;    /* upstream jobs, comma-separated, added earlier; NULL = none */
    tl_sched_job_fn run;
    void *ud;
    void (*free_ud)(void *ud); /* owns ud: called by tl_sched_destroy, or by a failed
                                  tl_sched_add; NULL = not owned */
} tl_sched_job;

typedef enum {
    TL_SCHED_RUNNING, /* a run starts (event only) */
    TL_SCHED_OK,
    TL_SCHED_FAILED,
    TL_SCHED_SKIPPED, /* an upstream job failed or was skipped this round */
} tl_sched_result;

const char *tl_sched_result_name(tl_sched_result r); /* "running", "ok", "failed", "skipped" */

/* One run's start or outcome. */
typedef struct tl_sched_event {
    const char *job;
    tl_sched_result result;
    int64_t due_ms;     /* the fire time it ran for */
    int64_t start_ms;   /* = end_ms for a skip */
    int64_t end_ms;     /* 0 while running */
    const char *detail; /* the summary (ok), the error (failed), the reason (skipped) */
    size_t missed;      /* fire times that passed during the run and were coalesced */
    int64_t next_ms;    /* next fire time once the run ended; -1 while running */
} tl_sched_event;

typedef struct tl_sched_opts {
    int64_t (*clock)(void *ud); /* Unix ms; NULL = the wall clock */
    void *clock_ud;
    /* Wait up to ms (the loop never asks for more than a second). NULL =
     * a real wait that tl_sched_stop interrupts. */
    void (*sleep)(void *ud, int64_t ms);
    void *sleep_ud;
    void (*on_event)(void *ud, const tl_sched_event *ev); /* NULL = tl_sched_log_event */
    void *event_ud;
} tl_sched_opts;

/* opts may be NULL. The scheduler's start (its clock's now) anchors @every
 * schedules. NULL when out of memory. */
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
    uint64_t runs, failures, skips;
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
