/* sched_guard — what watches one running job (internal to src/sched): its
 * timeout and its lease. The job asks the guard's tl_cancel at its safe
 * points; each ask checks the deadline and renews the lease when due. With
 * the wall clock a watcher thread does the same every second, so a job
 * with few safe points (one long sort) still keeps its lease alive and is
 * marked cancelled the moment its time is up. */
#ifndef TL_SCHED_SCHED_GUARD_H
#define TL_SCHED_SCHED_GUARD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "sched/sched.h"
#include "util/cancel.h"

typedef struct tl_sched_guard {
    const tl_sched_coord *coord; /* NULL = no lease */
    const char *job;
    int64_t (*clock)(void *ud);
    void *clock_ud;
    int64_t timeout_ms, deadline_ms; /* 0 = none */
    int64_t last_renew_ms;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool cancelled, timed_out, done, threaded;
    char why[256];
    pthread_t thread;
    tl_cancel cancel; /* what the job gets */
} tl_sched_guard;

/* Start guarding a run that started at start_ms (the lease was taken
 * then). watcher = also check from a thread of its own (wall clock only). */
void tl_sched_guard_start(tl_sched_guard *g, const tl_sched_coord *coord, const char *job,
                          int64_t (*clock)(void *ud), void *clock_ud, int64_t start_ms,
                          int64_t timeout_ms, bool watcher);
/* The run returned: one last check of the deadline is NOT made (a run
 * that finished is not cancelled after the fact); joins the watcher. */
void tl_sched_guard_stop(tl_sched_guard *g);

#endif
