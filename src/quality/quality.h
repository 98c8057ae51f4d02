/* quality — data-quality signals per symbol, from the ticks as they are
 * accepted (issue 15): freshness (the newest event time, so "seconds since
 * the last tick"), gaps in seq (missing numbers, filled again when a late or
 * reordered tick brings one), price jumps beyond jump_sigmas standard
 * deviations of the symbol's recent returns (flagged and counted; the tick
 * itself goes on unchanged: nothing is ever dropped here), and crossed quotes
 * (bid > ask) seen. Rendered for /metrics (Prometheus text) and for
 * /api/health (JSON).
 *
 * Threading: every function may be called from any thread; one mutex. */
#ifndef TL_QUALITY_QUALITY_H
#define TL_QUALITY_QUALITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/json_out.h"

typedef struct tl_quality tl_quality;

typedef struct tl_quality_opts {
    int64_t jump_sigmas;   /* a return this many std devs from the mean is a jump (0 = 6) */
    int64_t warmup;        /* returns seen before jumps are judged (0 = 30) */
    int64_t stale_after_s; /* a symbol this far behind the newest tick is stale (0 = 60) */
    size_t max_symbols;    /* symbols beyond this are not tracked (0 = 100000) */
} tl_quality_opts;

/* NULL when out of memory. opts may be NULL for the defaults. */
tl_quality *tl_quality_new(const tl_quality_opts *opts);
void tl_quality_destroy(tl_quality *q);

#define TL_QUALITY_NO_SEQ INT64_MIN
/* A jump forward past more seqs than this is a renumbering (a producer
 * restarted on a new base, as `up`'s simulator does), not a gap; the
 * analytics/ test uses the same bound (var seq_gap_max_missing). */
#define TL_QUALITY_RENUMBER 100000
#define TL_QUALITY_NO_QUOTE INT64_MIN

/* One accepted tick: seq TL_QUALITY_NO_SEQ when it has none; bid and ask
 * TL_QUALITY_NO_QUOTE when absent. Prices in micro-units. */
void tl_quality_observe(tl_quality *q, const char *symbol, int64_t ts_us, int64_t seq,
                        int64_t price, int64_t bid, int64_t ask);
/* Crossed quotes the stream refused before they became rows (its
 * crossed_quote dead letters), for the totals. */
void tl_quality_set_rejected_crossed(tl_quality *q, uint64_t n);

typedef struct tl_quality_symbol {
    char symbol[32];
    int64_t last_ts_us; /* newest event time */
    uint64_t ticks;
    int64_t max_seq;     /* TL_QUALITY_NO_SEQ when none had a seq */
    uint64_t seq_gaps;   /* jumps forward past a missing seq */
    int64_t seq_missing; /* seqs skipped and not (yet) seen */
    uint64_t jumps;      /* price jumps flagged */
    uint64_t crossed;    /* rows with bid > ask */
} tl_quality_symbol;

/* One symbol's figures; false when unknown. */
bool tl_quality_get(tl_quality *q, const char *symbol, tl_quality_symbol *out);

/* Appended to out; -1 when out of memory. now_us: the wall clock for
 * freshness. metrics: tl_quality_* families with a symbol label. json: an
 * object {"jump_sigmas","stale_after_s","newest_ts_ms","seq_missing",
 * "seq_gaps","jumps","crossed","crossed_rejected","stale":[symbols],
 * "symbols":[{"s","freshness_s","behind_s","ticks","seq_gaps","seq_missing",
 * "jumps","crossed"}]} sorted by symbol. */
int tl_quality_metrics_text(tl_quality *q, int64_t now_us, tl_buf *out);
int tl_quality_json(tl_quality *q, int64_t now_us, tl_buf *out);
/* The same object as one value of a JSON document being written (the
 * dashboard's health); 0 or the writer's error code. */
int tl_quality_write(tl_quality *q, int64_t now_us, tl_json *j);

#endif
