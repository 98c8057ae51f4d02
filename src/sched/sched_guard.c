/* A running job's timeout and lease renewal (see sched_guard.h). */
#include "sched/sched_guard.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/log.h"

/* The watcher looks at least this often. */
#define WATCH_MS 1000

static bool check_locked(tl_sched_guard *g) {
    if (g->cancelled)
        return true;
    int64_t now = g->clock(g->clock_ud);
    if (g->deadline_ms && now >= g->deadline_ms) {
        g->cancelled = g->timed_out = true;
        snprintf(g->why, sizeof g->why, "timed out after %.1f s (its timeout)",
                 (double)g->timeout_ms / 1e3);
    } else if (g->coord && g->coord->renew && now - g->last_renew_ms >= g->coord->renew_ms) {
        tl_err err = {0};
        int rc = g->coord->renew(g->coord->ud, g->job, now, &err);
        if (rc == 0) {
            g->last_renew_ms = now;
        } else if (rc == TL_ERR_CONFLICT) {
            g->cancelled = true;
            snprintf(g->why, sizeof g->why, "lease lost: %.240s", err.msg);
        } else { /* the store is away: the next check tries again */
            tl_warn("schedule", "%s: cannot renew its lease (trying again): %s", g->job, err.msg);
        }
    }
    return g->cancelled;
}

static bool requested(void *ud, char *why, size_t cap) {
    tl_sched_guard *g = ud;
    pthread_mutex_lock(&g->mu);
    bool c = check_locked(g);
    if (c)
        snprintf(why, cap, "%s", g->why);
    pthread_mutex_unlock(&g->mu);
    return c;
}

static void *watch(void *arg) {
    tl_sched_guard *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->done) {
        check_locked(g);
        int64_t ms = WATCH_MS;
        if (g->coord && g->coord->renew_ms < ms)
            ms = g->coord->renew_ms > 10 ? g->coord->renew_ms : 10;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t ns = ts.tv_nsec + ms * 1000000;
        ts.tv_sec += ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        if (!g->done)
            pthread_cond_timedwait(&g->cv, &g->mu, &ts);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

void tl_sched_guard_start(tl_sched_guard *g, const tl_sched_coord *coord, const char *job,
                          int64_t (*clock)(void *ud), void *clock_ud, int64_t start_ms,
                          int64_t timeout_ms, bool watcher) {
    memset(g, 0, sizeof *g);
    g->coord = coord;
    g->job = job;
    g->clock = clock;
    g->clock_ud = clock_ud;
    g->timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
    g->deadline_ms = g->timeout_ms ? start_ms + g->timeout_ms : 0;
    g->last_renew_ms = start_ms;
    g->cancel = (tl_cancel){.requested = requested, .ud = g};
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, &ca);
    pthread_condattr_destroy(&ca);
    /* Without a thread the job's own checks do it all (injected clocks). */
    if (watcher && (coord || g->deadline_ms))
        g->threaded = pthread_create(&g->thread, NULL, watch, g) == 0;
}

void tl_sched_guard_stop(tl_sched_guard *g) {
    pthread_mutex_lock(&g->mu);
    g->done = true;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
    if (g->threaded)
        pthread_join(g->thread, NULL);
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cv);
}
