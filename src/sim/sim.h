/* sim — a realistic tick generator: geometric Brownian motion per symbol,
 * skewed symbol popularity with bursts, quotes on the tick grid, round and
 * odd lots, per-symbol sequence numbers, and faults on request.
 *
 * Deterministic for a seed: prices, symbols, sizes and faults depend only on
 * the seed and the simulated clock (tick i happens at i/rate seconds); only
 * the `ts` field follows the wall clock when no start time is given. */
#ifndef TL_SIM_SIM_H
#define TL_SIM_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Probabilities (0..1) of each fault per message; at most one per message. */
typedef struct tl_sim_faults {
    double bad;  /* malformed JSON or invalid fields */
    double late; /* event time 2-10 minutes in the past */
    double dup;  /* a byte-identical copy of a recent message */
    double ooo;  /* event time 1-5 s before the symbol's previous tick, fresh seq */
} tl_sim_faults;

/* "bad=0.01,late=0.01,dup=0.01,ooo=0.01" (any subset; NULL or "" = none). */
int tl_sim_faults_parse(const char *s, tl_sim_faults *out, tl_err *err);

typedef struct tl_sim_opts {
    int64_t symbols; /* 1..400000 */
    uint64_t seed;
    int64_t rate;     /* ticks/s of the simulated clock; <= 0 means 1000 */
    int64_t start_us; /* event time of the first tick; 0 = follow the wall clock */
    int64_t seq_base; /* every symbol's first seq is seq_base + 1 (0: seq starts at 1) */
    tl_sim_faults faults;
} tl_sim_opts;

typedef enum { TL_SIM_VALID = 0, TL_SIM_BAD, TL_SIM_LATE, TL_SIM_DUP, TL_SIM_OOO } tl_sim_kind;

typedef struct tl_sim_msg {
    const char *key; /* the symbol: the Kafka key */
    size_t key_len;
    const char *payload; /* JSON (or garbage for TL_SIM_BAD); valid until the next call */
    size_t len;
    tl_sim_kind kind;
} tl_sim_msg;

typedef struct tl_sim_counts {
    uint64_t sent, valid, bad, late, dup, ooo;
} tl_sim_counts;

typedef struct tl_sim tl_sim;

tl_sim *tl_sim_new(const tl_sim_opts *opts, tl_err *err);
/* The next message. Never fails. */
void tl_sim_next(tl_sim *s, tl_sim_msg *out);
void tl_sim_counts_get(const tl_sim *s, tl_sim_counts *out);
size_t tl_sim_symbol_count(const tl_sim *s);
const char *tl_sim_symbol(const tl_sim *s, size_t i);
void tl_sim_destroy(tl_sim *s);

/* ---- symbol universe (sim_symbols.c) ---- */

/* The i-th ticker: real US names for the first tl_sim_builtin_count(), then
 * generated 4-letter names that are unique and never clash with those.
 * Writes a NUL-terminated name into buf (at least 8 bytes). Also a typical
 * price in dollars for built-in names, 0 for generated ones. */
void tl_sim_ticker(size_t i, char *buf, double *typical_price);
size_t tl_sim_builtin_count(void);

#endif
