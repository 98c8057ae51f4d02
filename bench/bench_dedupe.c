/* bench_dedupe: memory and speed of the dedupe state over one dedupe horizon.
 *
 * 10,000 symbols, 10,000 ticks/s (1 tick/s per symbol) for the default 1 h
 * horizon and one more, with the fault mix of `ticklake simulate --faults`:
 * 1% of seqs never arrive (gaps that stay until the horizon passes them), 1%
 * arrive a few seconds out of order, 1% are sent twice. The state is evicted
 * once per second of event time (the stream does after each commit), with
 * the stream's slack of 1/16 of the horizon. Prints
 * the peak and final heap bytes, the ranges held, and ns per tick.
 *
 *   make bench && build/bench_dedupe [symbols] [ticks_per_s] [seconds]
 * The peer is the plain exact set it replaced (one 24-byte slot per pair at
 * a load <= 3/4), computed, not run: symbols * rate * horizon * 32 bytes. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "stream/dedupe.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    int nsym = argc > 1 ? atoi(argv[1]) : 10000;
    int rate = argc > 2 ? atoi(argv[2]) : 10000;
    int secs = argc > 3 ? atoi(argv[3]) : 7200;
    const int64_t horizon_us = 3600LL * 1000000;
    char (*names)[13] = calloc((size_t)nsym, 13);
    int64_t *seq = calloc((size_t)nsym, sizeof *seq);
    int64_t(*held)[2] = calloc((size_t)nsym, sizeof *held); /* an out-of-order seq, its due second */
    tl_dedupe *d = tl_dedupe_new();
    if (!names || !seq || !held || !d)
        return 1;
    for (int i = 0; i < nsym; i++) {
        snprintf(names[i], 13, "S%d", i);
        held[i][0] = -1;
    }
    size_t peak = 0;
    uint64_t ticks = 0, dups = 0;
    double t0 = now_s();
    for (int s = 0; s < secs; s++) {
        int64_t ts = (int64_t)s * 1000000;
        for (int k = 0; k < rate; k++) {
            int i = (int)(next() % (uint64_t)nsym);
            uint64_t r = next() % 100;
            int64_t q = ++seq[i];
            if (r == 0)
                continue; /* lost: a gap */
            if (r == 1 && held[i][0] < 0) { /* sent a few seconds later */
                held[i][0] = q;
                held[i][1] = s + 3;
                continue;
            }
            dups += (uint64_t)tl_dedupe_seen(d, names[i], q, ts);
            if (r == 2)
                dups += (uint64_t)tl_dedupe_seen(d, names[i], q, ts); /* resent */
            if (held[i][0] >= 0 && held[i][1] <= s) {
                dups += (uint64_t)tl_dedupe_seen(d, names[i], held[i][0], ts);
                held[i][0] = -1;
            }
            ticks++;
        }
        tl_dedupe_evict(d, ts - horizon_us, horizon_us / 16); /* as the stream does */
        if (s % 60 == 0 || s == secs - 1) {
            size_t b = tl_dedupe_bytes(d);
            if (b > peak)
                peak = b;
        }
    }
    double el = now_s() - t0;
    printf("symbols %d, %d ticks/s, %d s of event time, horizon 3600 s\n", nsym, rate, secs);
    printf("ticks %" PRIu64 ", duplicates caught %" PRIu64 "\n", ticks, dups);
    printf("ranges held %zu, symbols held %zu\n", tl_dedupe_count(d), tl_dedupe_symbols(d));
    printf("heap bytes: peak %.1f MB, final %.1f MB\n", (double)peak / 1e6,
           (double)tl_dedupe_bytes(d) / 1e6);
    printf("exact per-pair set for one horizon (computed): %.1f MB\n",
           (double)rate * 3600 * 32 / 1e6);
    printf("%.1f ns per tick (incl. eviction)\n", el * 1e9 / (double)ticks);
    tl_dedupe_destroy(d);
    free(names);
    free(seq);
    free(held);
    return 0;
}
