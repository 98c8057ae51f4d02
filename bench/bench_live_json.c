/* The dashboard's live JSON path at 100,000 ticks/s, for callgrind.
 *
 * Each round is 150 ms of a 100,000 ticks/s feed (the SSE interval): the
 * simulator writes 15,000 tick messages (tl_sim_next: the tick JSON encoder),
 * the live state takes the same number of trades, then the SSE hub renders
 * one message for each of CLIENTS clients (tl_sse_hub_pump: the changed
 * symbols, and once a second the health) and the message is read back. Every
 * tenth round also renders /api/symbols' full table. Wall time is printed,
 * but on a shared machine read instruction counts instead:
 *
 *   valgrind --tool=callgrind --callgrind-out-file=cg.out build/bench_live_json 40
 *   callgrind_annotate --inclusive=yes cg.out | grep -E 'tl_sim_next|tl_sse_hub_pump|symbols_json'
 *
 * Usage: bench_live_json [ROUNDS] [SYMBOLS]   (default 40 rounds, 500 symbols) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "live/live.h"
#include "sim/sim.h"
#include "web/sse.h"

#define TICKS_PER_ROUND 15000
#define CLIENTS 2

static double now_sec(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? atol(argv[1]) : 40;
    long nsym = argc > 2 ? atol(argv[2]) : 500;
    tl_err err = {0};
    tl_sim *sim = tl_sim_new(
        &(tl_sim_opts){.symbols = nsym, .seed = 7, .rate = 100000, .start_us = 1795550400000000LL},
        &err);
    tl_live *live = tl_live_new(NULL);
    tl_sse_hub *hub = live ? tl_sse_hub_new(live, NULL) : NULL;
    tl_sse_client *clients[CLIENTS] = {0};
    char *msg = malloc(8u << 20);
    if (!sim || !hub || !msg) {
        fprintf(stderr, "bench_live_json: setup failed: %s\n", err.msg);
        return 1;
    }
    for (int c = 0; c < CLIENTS; c++)
        clients[c] = tl_sse_client_new(hub);
    size_t bytes_json = 0, bytes_sse = 0, bytes_table = 0;
    int64_t ts = 1795550400000000LL, price = 100000000;
    double t0 = now_sec();
    for (long r = 0; r < rounds; r++) {
        for (int i = 0; i < TICKS_PER_ROUND; i++) {
            tl_sim_msg m;
            tl_sim_next(sim, &m);
            bytes_json += m.len;
            price += (i * 7919 % 201) - 100;
            tl_live_add(live, tl_sim_symbol(sim, (size_t)(i * 31 % nsym)), ts += 10, price, 100);
        }
        tl_sse_hub_pump(hub, 1000 + r * 150);
        for (int c = 0; c < CLIENTS; c++) {
            ssize_t n;
            while ((n = tl_sse_client_read(clients[c], msg, 8u << 20, 0)) > 0)
                bytes_sse += (size_t)n;
        }
        if (r % 10 == 0) {
            tl_buf b = TL_BUF_INIT;
            tl_live_symbols_json(live, &b);
            bytes_table += b.len;
            tl_buf_free(&b);
        }
    }
    double dt = now_sec() - t0;
    printf("rounds %ld, symbols %ld: %.3f s; tick JSON %zu B, SSE %zu B, tables %zu B\n", rounds,
           nsym, dt, bytes_json, bytes_sse, bytes_table);
    for (int c = 0; c < CLIENTS; c++)
        tl_sse_client_close(clients[c]);
    tl_sse_hub_destroy(hub);
    tl_live_destroy(live);
    tl_sim_destroy(sim);
    free(msg);
    return 0;
}
