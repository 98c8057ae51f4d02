/* sched_hold — a manual maintenance run (`ticklake compact`, `ticklake
 * vacuum`) under the same lease in the lake as the scheduled job of that
 * name (sched_lease.h), so a manual compaction never overlaps a scheduled
 * one — nor another manual one — on the same lake, from any host.
 *
 * Taking the hold takes the lease (waiting up to wait_ms for a holder to
 * give it back or for its lease to expire); a watcher thread renews it
 * every third of its TTL while the run lasts, and the hold's tl_cancel
 * says stop once the lease was lost (renewal failed for longer than the
 * TTL and another process took it over), which the run asks at its safe
 * points like a scheduled run. Releasing gives the lease back; a process
 * killed while holding it leaves it to expire after the TTL.
 *
 * Threading: take and release on one thread; the cancel may be asked from
 * any. */
#ifndef TL_SCHED_SCHED_HOLD_H
#define TL_SCHED_SCHED_HOLD_H

#include <stdint.h>

#include "store/store.h"
#include "util/cancel.h"
#include "util/err.h"

typedef struct tl_sched_hold tl_sched_hold;

/* Take job's lease on store (borrowed; must outlive the hold) for a run by
 * this process, with a lease of ttl_ms (0 = 60 s). While another process
 * holds it: wait up to wait_ms (0 = not at all), polling every
 * poll_ms (0 = 1 s), then fail with TL_ERR_CONFLICT, "job 'compact' is
 * running elsewhere: held by OWNER until T (...)". NULL on failure. */
tl_sched_hold *tl_sched_hold_take(tl_store *store, const char *job, int64_t ttl_ms,
                                  int64_t wait_ms, int64_t poll_ms, tl_err *err);

/* Asked by the run at its safe points: stop once the lease was lost. */
const tl_cancel *tl_sched_hold_cancel(tl_sched_hold *h);

/* This process's id in the lease ("<host>:<pid>:<random>"). */
const char *tl_sched_hold_owner(const tl_sched_hold *h);

/* Stop renewing, give the lease back, free. NULL is fine. */
void tl_sched_hold_release(tl_sched_hold *h);

#endif
