/* sim_pump — the simulator's send loop and its pacer, shared by `simulate`
 * (to Kafka or JSONL) and `up` (to the dev broker), so --rate means the same
 * in both: messages per second, 0 = as fast as possible.
 *
 * The pacer is a token bucket: rate tokens per second, at most 100 ms worth
 * saved up, so a stall is not followed by a long burst and the long-run
 * rate is exact. It takes the time as an argument: tests drive it with a
 * clock of their own. */
#ifndef TL_SIM_SIM_PUMP_H
#define TL_SIM_SIM_PUMP_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"
#include "util/err.h"

typedef struct tl_sim_pacer {
    double tokens, cap, rate; /* rate <= 0: no pacing */
    int64_t last_us;
} tl_sim_pacer;

/* rate: messages per second; <= 0 = as fast as possible. */
void tl_sim_pacer_init(tl_sim_pacer *p, int64_t rate, int64_t now_us);
/* How many of `want` messages may go at now_us (0 = wait). */
int64_t tl_sim_pacer_take(tl_sim_pacer *p, int64_t want, int64_t now_us);
/* Microseconds until the next message may go (0 when unpaced). */
int64_t tl_sim_pacer_wait_us(const tl_sim_pacer *p);

typedef struct tl_sim_pump_opts {
    int64_t rate;        /* messages per second; 0 = as fast as possible */
    int64_t count;       /* stop after this many; 0 = no limit */
    int64_t duration_ms; /* stop after this long; 0 = no limit */
    /* Send one message: 0, TL_ERR_STOPPED (a stop was requested while it
     * waited: the pump ends with 0), or another negative code with err set. */
    int (*emit)(void *ud, const tl_sim_msg *m, tl_err *err);
    /* Nothing may go for `us` (100 us .. 50 ms): wait, e.g. serving a
     * producer's delivery reports. NULL: sleep. */
    void (*idle)(void *ud, int64_t us);
    /* Before each pacing decision and after each batch (`sent` so far):
     * poll a producer, publish counters, print progress; true stops the
     * pump. NULL: never stops early. */
    bool (*check)(void *ud, uint64_t sent, int64_t now_us);
    /* The clock; NULL: the monotonic clock. */
    int64_t (*now_us)(void *ud);
    void *ud;
} tl_sim_pump_opts;

/* Generate and send messages from sim, paced, until count or duration is
 * reached or check says stop. *sent (may be NULL) counts what was sent.
 * Returns 0, or the negative code emit returned (err set). */
int tl_sim_pump(tl_sim *sim, const tl_sim_pump_opts *o, uint64_t *sent, tl_err *err);

#endif
