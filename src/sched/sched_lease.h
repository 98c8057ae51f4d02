/* sched_lease — one runner per job across processes and machines: a lease
 * in the lake, built on the store's put-if-absent alone (so it works on S3
 * as on a local disk), and the job's shared state (the newest fire time
 * handled, the last success, counters) that rides along with it.
 *
 * A lease is a chain of small JSON objects, one per change:
 *
 *   _ticklake/leases/<job>/<generation, 20 digits>.json
 *   {"job", "generation", "owner", "state": "held"|"released", "due_ms" (-1: manual),
 *    "renewed_ms", "expires_ms", "last_due_ms", "last_success_ms",
 *    "last_status", "runs", "failures", "timeouts", "pid", "machine"}
 *
 * The newest generation is the truth. Taking, renewing and giving back all
 * write generation n + 1 with put-if-absent, having read n: of two
 * processes that read the same n only one can write n + 1, the other gets
 * TL_ERR_CONFLICT and reads again. A held lease is taken only once its
 * expires_ms has passed by the taker's clock (so a holder renews every
 * third of the TTL; clocks of the hosts must agree within the rest of it),
 * and a holder whose renewal loses the race has lost the lease (its run is
 * cancelled). The writer of n + 1 deletes the generations before it.
 *
 * A fire time at or before last_due_ms was handled (by whoever): a second
 * scheduler on the lake does not run it again.
 *
 * Threading: the coordinator's calls are serialised by a mutex. */
#ifndef TL_SCHED_SCHED_LEASE_H
#define TL_SCHED_SCHED_LEASE_H

#include <stdbool.h>
#include <stdint.h>

#include "sched/sched.h"
#include "store/store.h"

#define TL_SCHED_LEASE_PREFIX "_ticklake/leases/"

typedef struct tl_sched_lease tl_sched_lease;

/* A job's shared state, as its newest lease object says. */
typedef struct tl_sched_lease_state {
    int64_t generation; /* -1 = no lease object: the job never ran on this lake */
    char owner[128];
    bool held; /* false = released (a held one may have expired: see expires_ms) */
    int64_t due_ms, renewed_ms, expires_ms;
    int64_t last_due_ms;     /* newest fire time handled; -1 = none */
    int64_t last_success_ms; /* end of the newest successful attempt; -1 = none */
    char last_status[16];    /* "success", "failed", "timed_out"; "" = none yet */
    uint64_t runs, failures, timeouts; /* attempts on this lake, by every process */
    int64_t pid;      /* of the process that wrote it; -1 = unknown */
    char machine[96]; /* its boot id and pid namespace; "" = unknown */
} tl_sched_lease_state;

/* Leases on store (borrowed) that expire ttl_ms after each renewal. owner
 * NULL = "<host>:<pid>:<random>". NULL when out of memory. */
tl_sched_lease *tl_sched_lease_new(tl_store *store, int64_t ttl_ms, const char *owner);
void tl_sched_lease_destroy(tl_sched_lease *l);

/* The coordinator for tl_sched_opts.coord; lives as long as l. */
const tl_sched_coord *tl_sched_lease_coord(tl_sched_lease *l);
const char *tl_sched_lease_owner(const tl_sched_lease *l);

/* A manual run's lease (sched_hold.h: `ticklake compact`, `ticklake
 * vacuum`): taken like a scheduled run's, but for no fire time — the
 * object's due_ms is -1, last_due_ms is neither checked nor moved — and
 * given back with the counters and last status untouched, so a manual run
 * only keeps the scheduled ones (and other manual ones) from overlapping
 * it. Unlike a scheduled run, a manual one takes a lease still held by a
 * process that ended on this machine (same boot id and pid namespace, its
 * pid gone): a killed `ticklake compact` does not block the next for the
 * TTL. TL_ERR_CONFLICT while another process holds it ("held by OWNER until
 * T (its run for T2)"); renew through tl_sched_lease_coord's renew. */
int tl_sched_lease_take(tl_sched_lease *l, const char *job, int64_t now_ms, tl_err *err);
void tl_sched_lease_give_back(tl_sched_lease *l, const char *job, int64_t now_ms);

/* Read job's state from the lake (for /metrics, `ticklake runs`). */
int tl_sched_lease_read(tl_store *store, const char *job, tl_sched_lease_state *out, tl_err *err);

#endif
