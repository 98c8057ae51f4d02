/* sim_pump: the pacer and the send loop of the simulator (see sim_pump.h). */
#include "sim/sim_pump.h"

#include <math.h>
#include <time.h>

#include "util/clock.h"

#define PUMP_BATCH 4096 /* messages per pacing decision at most */

void tl_sim_pacer_init(tl_sim_pacer *p, int64_t rate, int64_t now_us) {
    p->rate = rate > 0 ? (double)rate : 0;
    p->cap = p->rate / 10 > 1 ? p->rate / 10 : 1;
    p->tokens = 1;
    p->last_us = now_us;
}

int64_t tl_sim_pacer_take(tl_sim_pacer *p, int64_t want, int64_t now_us) {
    if (p->rate <= 0)
        return want; /* --rate 0: as fast as possible */
    if (now_us > p->last_us)
        p->tokens += (double)(now_us - p->last_us) * p->rate / 1e6;
    if (p->tokens > p->cap)
        p->tokens = p->cap;
    p->last_us = now_us;
    int64_t n = (int64_t)p->tokens;
    if (n > want)
        n = want;
    p->tokens -= (double)n;
    return n;
}

int64_t tl_sim_pacer_wait_us(const tl_sim_pacer *p) {
    if (p->rate <= 0 || p->tokens >= 1)
        return 0;
    return (int64_t)ceil((1.0 - p->tokens) * 1e6 / p->rate);
}

static int64_t now_of(const tl_sim_pump_opts *o) {
    return o->now_us ? o->now_us(o->ud) : tl_mono_us();
}

static void idle(const tl_sim_pump_opts *o, int64_t us) {
    if (us < 100)
        us = 100;
    if (us > 50000)
        us = 50000;
    if (o->idle) {
        o->idle(o->ud, us);
        return;
    }
    struct timespec ts = {0, (long)us * 1000};
    nanosleep(&ts, NULL);
}

int tl_sim_pump(tl_sim *sim, const tl_sim_pump_opts *o, uint64_t *sent_out, tl_err *err) {
    uint64_t sent = 0;
    int rc = 0;
    int64_t t0 = now_of(o);
    tl_sim_pacer pacer;
    tl_sim_pacer_init(&pacer, o->rate, t0);
    for (;;) {
        int64_t now = now_of(o);
        if (o->check && o->check(o->ud, sent, now))
            break;
        if (o->duration_ms > 0 && now - t0 >= o->duration_ms * 1000)
            break;
        int64_t want = PUMP_BATCH;
        if (o->count > 0 && (int64_t)sent + want > o->count)
            want = o->count - (int64_t)sent;
        if (want == 0)
            break;
        int64_t n = tl_sim_pacer_take(&pacer, want, now);
        if (n == 0) {
            idle(o, tl_sim_pacer_wait_us(&pacer));
            continue;
        }
        for (int64_t i = 0; i < n; i++) {
            tl_sim_msg m;
            tl_sim_next(sim, &m);
            rc = o->emit(o->ud, &m, err);
            if (rc == TL_ERR_STOPPED) {
                rc = 0;
                goto out;
            }
            if (rc < 0)
                goto out;
            sent++;
        }
    }
out:
    if (sent_out)
        *sent_out = sent;
    return rc;
}
