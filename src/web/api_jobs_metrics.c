/* The scheduled jobs' lines of /metrics, from their leases in the lake
 * (sched_lease.h): whichever process runs the scheduler, the dashboard
 * reading the same lake exports every job's last success time and its
 * run, failure and timeout counters (all processes together). */
#include "sched/sched_lease.h"
#include "web/web_int.h"

void tl_web_jobs_metrics(tl_web *w, tl_buf *b) {
    static const char *const jobs[] = {"compact", "models", "vacuum"};
    if (!w->o.store)
        return;
    tl_buf_puts(b, "# HELP tl_job_last_success_seconds end of the job's last successful run "
                   "(Unix seconds; 0 = never)\n# TYPE tl_job_last_success_seconds gauge\n"
                   "# HELP tl_job_runs_total scheduled runs (attempts) on this lake\n"
                   "# TYPE tl_job_runs_total counter\n"
                   "# HELP tl_job_failures_total failed or timed-out attempts on this lake\n"
                   "# TYPE tl_job_failures_total counter\n"
                   "# HELP tl_job_timeouts_total attempts cancelled at their timeout\n"
                   "# TYPE tl_job_timeouts_total counter\n");
    for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; i++) {
        tl_sched_lease_state s;
        tl_err err = {0};
        if (tl_sched_lease_read(w->o.store, jobs[i], &s, &err) != 0)
            continue;
        tl_buf_printf(b,
                      "tl_job_last_success_seconds{job=\"%s\"} %.3f\n"
                      "tl_job_runs_total{job=\"%s\"} %llu\n"
                      "tl_job_failures_total{job=\"%s\"} %llu\n"
                      "tl_job_timeouts_total{job=\"%s\"} %llu\n",
                      jobs[i], s.last_success_ms > 0 ? (double)s.last_success_ms / 1e3 : 0.0,
                      jobs[i], (unsigned long long)s.runs, jobs[i],
                      (unsigned long long)s.failures, jobs[i], (unsigned long long)s.timeouts);
    }
}
