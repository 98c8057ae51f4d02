/* A manual run under its job's lease (see sched_hold.h). */
#define _GNU_SOURCE
#include "sched/sched_hold.h"

#include <stdlib.h>
#include <string.h>

#include "sched/sched_guard.h"
#include "sched/sched_lease.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/signals.h"

struct tl_sched_hold {
    tl_sched_lease *lease;
    char *job;
    tl_sched_guard guard; /* renews the lease; its cancel says when it was lost */
    bool guarded;
};

static int64_t wall_ms(void *ud) {
    (void)ud;
    return tl_now_us() / 1000;
}

static void hold_free(tl_sched_hold *h) {
    tl_sched_lease_destroy(h->lease);
    free(h->job);
    free(h);
}

/* Try until taken, an error other than "held elsewhere", the wait is
 * over, or a stop was requested (Ctrl-C while waiting). */
static int take_waiting(tl_sched_hold *h, int64_t wait_ms, int64_t poll_ms, tl_err *err) {
    const int64_t deadline = tl_mono_ms() + wait_ms;
    for (bool said = false;; said = true) {
        tl_err_clear(err);
        int rc = tl_sched_lease_take(h->lease, h->job, wall_ms(NULL), err);
        if (rc != TL_ERR_CONFLICT)
            return rc;
        int64_t left = deadline - tl_mono_ms();
        if (left <= 0 || tl_stop_requested())
            return rc;
        if (!said)
            tl_info("lease", "%s: %s; waiting for it up to %.0f s", h->job, err->msg,
                    (double)wait_ms / 1e3);
        tl_sleep_ms((long)(left < poll_ms ? left : poll_ms));
    }
}

tl_sched_hold *tl_sched_hold_take(tl_store *store, const char *job, int64_t ttl_ms,
                                  int64_t wait_ms, int64_t poll_ms, tl_err *err) {
    tl_sched_hold *h = calloc(1, sizeof *h);
    if (!h || !(h->job = strdup(job)) || !(h->lease = tl_sched_lease_new(store, ttl_ms, NULL))) {
        if (h)
            hold_free(h);
        tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    int rc = take_waiting(h, wait_ms > 0 ? wait_ms : 0, poll_ms > 0 ? poll_ms : 1000, err);
    if (rc != 0) {
        if (rc == TL_ERR_CONFLICT)
            tl_err_wrap(err, rc, "job '%s' is running elsewhere", job);
        else
            tl_err_wrap(err, rc, "taking the lease of job '%s'", job);
        hold_free(h);
        return NULL;
    }
    /* no timeout: a manual run lasts as long as it needs; the watcher
     * thread renews the lease every third of its TTL */
    tl_sched_guard_start(&h->guard, tl_sched_lease_coord(h->lease), h->job, wall_ms, NULL,
                         wall_ms(NULL), 0, true);
    h->guarded = true;
    return h;
}

const tl_cancel *tl_sched_hold_cancel(tl_sched_hold *h) {
    return &h->guard.cancel;
}

const char *tl_sched_hold_owner(const tl_sched_hold *h) {
    return tl_sched_lease_owner(h->lease);
}

void tl_sched_hold_release(tl_sched_hold *h) {
    if (!h)
        return;
    if (h->guarded)
        tl_sched_guard_stop(&h->guard);
    tl_sched_lease_give_back(h->lease, h->job, wall_ms(NULL));
    hold_free(h);
}
