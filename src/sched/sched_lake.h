/* sched_lake — the lake's scheduled jobs, in-process, on a tl_sched:
 *
 *   compact ──► models        vacuum
 *
 * compact   tl_compact_lake: the ticks, then the deadletter table (compact.min_files,
 *           compact.target_file_size, stream.allowed_lateness)
 * models    tl_models_run of models.project into models.warehouse, after
 *           compact: when both are due, models read the compacted lake,
 *           and a failed compaction skips that round's models run
 * vacuum    tl_vacuum_table on ticks and deadletter (vacuum.retain), then
 *           the log cleanup behind the newest checkpoint (lake.log_retention)
 *
 * Every job runs under its lease in the lake (sched_lease.h: settings
 * schedule.lease_ttl, schedule.catchup), so the schedulers of one lake —
 * `schedule` processes on several hosts, `up` — never run one job at once
 * nor one fire time twice; every attempt and skip is recorded in the run
 * history (sched_runs.h), whose records older than schedule.runs_retention
 * are deleted at the first recorded run and hourly after.
 *
 * Used by `ticklake schedule` and by `ticklake up` (which passes its
 * tl_live, so the dashboard's health panel shows each job's last run). The
 * module takes its own options; sched_conf.h fills them from the settings. */
#ifndef TL_SCHED_SCHED_LAKE_H
#define TL_SCHED_SCHED_LAKE_H

#include <stdbool.h>
#include <stdio.h>

#include "compact/compact.h"
#include "lake/lake.h"
#include "live/live.h"
#include "models/models.h"
#include "sched/sched.h"
#include "store/store.h"

/* A job's retries and timeout (schedule.<job>_retries, <job>_timeout). */
typedef struct tl_sched_lake_policy {
    int retries;
    int64_t timeout_ms; /* 0 = never */
} tl_sched_lake_policy;

/* Strings and pointers are borrowed and must outlive the scheduler. */
typedef struct tl_sched_lake_opts {
    tl_store *store;          /* the open lake */
    const tl_lake_opts *lake; /* the jobs' commit policy; NULL = the defaults */
    /* Schedules (cron.h); NULL or "" leaves the job disabled. */
    const char *compact, *models, *vacuum;
    /* What each job does: compact_opts' min_files, target_file_size and
     * lateness_ms; models_opts' project, lake, warehouse, select, exclude,
     * full_refresh and store (the rest is set per run); vacuum.retain. */
    tl_compact_opts compact_opts;
    tl_models_opts models_opts;
    int64_t vacuum_retain_ms;
    tl_sched_lake_policy compact_policy, models_policy, vacuum_policy;
    int64_t retry_delay_ms, retry_max_delay_ms; /* the first retry's delay, doubling to this cap */
    int64_t lease_ttl_ms;                       /* schedule.lease_ttl */
    int64_t runs_retention_ms; /* schedule.runs_retention: older run records go; 0 = kept */
    bool catchup;                               /* schedule.catchup */
    FILE *models_out; /* the models run's progress lines; NULL = discarded */
    /* When the project folder has no dbt_project.yml, leave models disabled
     * with a log line instead of failing every run (`up` from any folder). */
    bool models_optional;
    tl_live *live; /* each outcome goes to tl_live_set_job too; NULL = only logged */
    const char *owner; /* this scheduler's id in leases and runs; NULL = host:pid:random */
} tl_sched_lake_opts;

/* A scheduler holding the three jobs (disabled ones too, for --list).
 * base may set the clock and sleep (tests); its on_event is called after
 * the standard log line. TL_ERR_INVALID for a bad schedule, naming the
 * job and the setting. */
tl_sched *tl_sched_lake_new(const tl_sched_lake_opts *o, const tl_sched_opts *base, tl_err *err);

#endif
