/* sched_runs — the scheduler's run history, kept in the lake itself: one
 * JSON object per attempt (and per skip), written once with put-if-absent,
 * so every scheduler on the lake (`schedule`, `up`, on any host, local disk
 * or S3) adds its runs without a shared writer, a lock or a conflict:
 *
 *   _ticklake/runs/<YYYY-MM-DD>/<start YYYYMMDDTHHMMSSmmmZ>-<job>-<attempt>-<random>.json
 *
 * A Delta table would give SQL over the history, but every run would be a
 * commit racing the other schedulers' (and checkpoints to write); runs are
 * few (a handful per minute at most) and read by time, which the key's day
 * folder and start time serve: a query lists only the days it needs and
 * reads only the objects whose names pass its filters. DuckDB's read_json
 * reads the folder's files as they are. The schedulers trim records older
 * than schedule.runs_retention (tl_sched_runs_trim).
 *
 * Fields: run_id, job, scheduled / start / end (RFC 3339, ms) and their
 * *_ms twins, duration_ms, attempt, status (success, failed, skipped,
 * timed_out), error (null on success), detail (the job's one-line summary
 * or the skip's reason), summary {files_in, files_out, rows, models,
 * tests_failed} (null where it does not apply), owner (the scheduler). */
#ifndef TL_SCHED_SCHED_RUNS_H
#define TL_SCHED_SCHED_RUNS_H

#include <stddef.h>
#include <stdint.h>

#include "sched/sched.h"
#include "store/store.h"
#include "util/json_out.h"

#define TL_SCHED_RUNS_PREFIX "_ticklake/runs/"

typedef struct tl_sched_run_rec {
    char run_id[96];
    char job[32];
    int64_t due_ms, start_ms, end_ms;
    int attempt;
    char status[16]; /* "success", "failed", "skipped", "timed_out" */
    char error[512]; /* "" on success */
    char detail[512];
    tl_sched_summary sum;
    char owner[128];
} tl_sched_run_rec;

/* The record of a finished event; -1 for events that are not runs
 * (TL_SCHED_RUNNING, TL_SCHED_ELSEWHERE). */
int tl_sched_runs_from_event(const tl_sched_event *ev, tl_sched_run_rec *out);

/* Store one record (put-if-absent under a fresh random run id). */
int tl_sched_runs_put(tl_store *s, tl_sched_run_rec *r, tl_err *err);

typedef struct tl_sched_runs_query {
    const char *job; /* NULL = every job */
    int64_t since_ms; /* runs started at or after; 0 = all */
    size_t limit;     /* the newest this many; 0 = all */
} tl_sched_runs_query;

/* The matching records, oldest start first; caller frees *out. Objects
 * that do not parse are skipped with a warning. */
int tl_sched_runs_list(tl_store *s, const tl_sched_runs_query *q, tl_sched_run_rec **out,
                       size_t *n, tl_err *err);

/* Delete the records of runs that started before cutoff_ms, found by
 * their names (nothing is read; on a local lake the emptied day folders
 * go too); *deleted counts them. Other schedulers may trim at the same
 * time: a record already gone is not an error. */
int tl_sched_runs_trim(tl_store *s, int64_t cutoff_ms, size_t *deleted, tl_err *err);

/* One record as a JSON object (the stored form). */
int tl_sched_runs_json(tl_json *j, const tl_sched_run_rec *r);

/* ms -> "2026-12-02T05:59:59.123Z". */
void tl_sched_runs_time(int64_t ms, char *out, size_t cap);

#endif
