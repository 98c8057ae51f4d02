/* live — what the dashboard shows, kept in memory and updated as ticks are
 * accepted: per symbol the last price, the day's change, min, max, average,
 * VWAP and volume, a ring of 1-minute OHLCV bars and a sparkline; and the
 * pipeline's health (stream counters, rates, lag, lake facts, job runs).
 *
 * Feeds: under `ticklake up` the stream calls tl_live_on_row for every
 * accepted row (tl_stream_on_row); `ticklake dashboard` alone follows the
 * lake's new commits instead (live_follow.c). Readers (HTTP handlers, the
 * SSE hub) take copies or rendered JSON, never pointers into the state.
 *
 * Threading: every function may be called from any thread; one mutex
 * guards the state. Writers hold it for a few hundred nanoseconds per
 * tick; readers for the time it takes to render their answer. */
#ifndef TL_LIVE_LIVE_H
#define TL_LIVE_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quality/quality.h"
#include "stream/stream.h"
#include "tick/tick.h"
#include "util/buf.h"
#include "util/json_out.h"

typedef struct tl_live tl_live;

typedef struct tl_live_opts {
    size_t max_symbols;      /* symbols beyond this are counted, not tracked (0 = 100000) */
    size_t bar_minutes;      /* 1-minute bars kept per symbol (0 = 240, four hours) */
    size_t spark_points;     /* sparkline samples per symbol (0 = 60) */
    int64_t spark_step_s;    /* seconds between sparkline samples (0 = 5) */
    tl_quality_opts quality; /* data-quality signals (src/quality) */
} tl_live_opts;

/* NULL when out of memory. opts may be NULL for the defaults. */
tl_live *tl_live_new(const tl_live_opts *opts);
void tl_live_destroy(tl_live *l);

/* One trade. Late ticks (older than the symbol's last) count in the day's
 * statistics and in their minute's bar when it is still in the ring, but do
 * not move the last price. A tick of a new UTC day starts the day's
 * statistics over. */
void tl_live_add(tl_live *l, const char *symbol, int64_t ts_us, int64_t price, int64_t size);
/* The same for history loaded at start (the follower's first read of the
 * lake): the state takes it, but it is no ingest: neither the tick count nor
 * the ingest rate counts it, so a restart does not report a burst of
 * hundreds of thousands of ticks a second. */
void tl_live_load(tl_live *l, const char *symbol, int64_t ts_us, int64_t price, int64_t size);
/* The data-quality tracker the live state feeds (tl_live_on_row does;
 * a follower of the lake calls tl_quality_observe itself). */
tl_quality *tl_live_quality(tl_live *l);
/* The stream hook's shape (tl_stream_on_row): ud is the tl_live. */
void tl_live_on_row(void *ud, const tl_tick_row *row);

/* From when on the live state has seen every tick (µs; set by the feeder:
 * process start under `up`, the start of what was loaded from the lake when
 * following it). Ranges starting earlier are answered from the lake. */
void tl_live_set_since(tl_live *l, int64_t since_us);
int64_t tl_live_since(tl_live *l);

/* ---- reading ---------------------------------------------------------------- */

typedef struct tl_live_bar {
    int64_t t_us; /* minute start */
    int64_t o, h, l, c;
    int64_t volume;
    int64_t n;
    int64_t sum_p; /* sum of prices, micro-units (for the average) */
    double sum_pv; /* sum of price * size, micro-units (for VWAP) */
} tl_live_bar;

typedef struct tl_live_stats {
    int64_t count, min, max, volume;
    int64_t sum_p;
    double sum_pv;
} tl_live_stats;

/* From when on the live state holds every tick of symbol (µs): the later
 * of tl_live_since and the oldest bar still in the ring when the ring is
 * full. Ranges (or their parts) before it are for the lake to answer. */
int64_t tl_live_covered_from(tl_live *l, const char *symbol);

/* Bars of symbol with from_us <= t < to_us, oldest first, aggregated to
 * interval_s (a multiple of 60). Returns how many were written to out (at
 * most cap); 0 for an unknown symbol. */
size_t tl_live_bars(tl_live *l, const char *symbol, int64_t from_us, int64_t to_us,
                    int64_t interval_s, tl_live_bar *out, size_t cap);
/* Statistics over the 1-minute bars that overlap [from_us, to_us) (whole
 * minutes: the live state keeps no single ticks). count 0 when no trades. */
void tl_live_stats_get(tl_live *l, const char *symbol, int64_t from_us, int64_t to_us,
                       tl_live_stats *out);

size_t tl_live_symbol_count(tl_live *l);

/* JSON renderings (appended to out; -1 when out of memory).
 *
 * symbols: [{"s","last","chg","min","max","avg","vwap","vol","n","ts","spark":[...]}]
 * sorted by symbol. An update is the same for the symbols that changed since
 * *gen (spark only when a sample was added), and sets *gen to the newest
 * generation: the SSE hub calls it with each client's own *gen, so a slow
 * client gets one coalesced message, never a backlog. Each updated symbol
 * also carries "bar":[t_s,o,h,l,c,v] (its current minute). */
int tl_live_symbols_json(tl_live *l, tl_buf *out);
int tl_live_update_json(tl_live *l, uint64_t *gen, tl_buf *out);
/* The same arrays as one value of a document being written (the SSE event,
 * /api/symbols); 0 or the writer's error code. */
int tl_live_symbols_write(tl_live *l, tl_json *j);
int tl_live_update_write(tl_live *l, uint64_t *gen, tl_json *j);

/* One row of the ticker table, from the live state or from the lake (a past
 * range of /api/symbols): both write it with tl_live_row_members, so the
 * page reads one shape. Prices in micro-units; first <= 0: "chg" is null. */
typedef struct tl_live_row {
    const char *symbol;
    int64_t last, first, min, max, avg, vwap;
    int64_t volume, n, last_ms;
} tl_live_row;
/* "s","last","chg","min","max","avg","vwap","vol","n","ts" into an open
 * object (the caller adds "bar" and "spark" and closes it). */
int tl_live_row_members(tl_json *j, const tl_live_row *r);
/* A bar as [t_s, o, h, l, c, v] (the SSE update's "bar", /api/bars). */
int tl_live_bar_write(tl_json *j, const tl_live_bar *b);
uint64_t tl_live_gen(tl_live *l);

/* ---- health -------------------------------------------------------------------- */

typedef struct tl_live_job {
    int64_t last_unix_ms; /* 0 = not run yet */
    char status[160];
} tl_live_job;

/* Set by the process that runs the stream (`up`), after each loop round. */
void tl_live_set_counters(tl_live *l, const tl_stream_counters *c);
/* Messages produced but not yet consumed; -1 unknown. */
void tl_live_set_lag(tl_live *l, int64_t lag);
/* Lake facts, from the follower: version, commit time, files per hour
 * partition of the newest partitions (text keys "2026-11-24T20"). */
void tl_live_set_lake(tl_live *l, int64_t version, int64_t last_commit_ms, size_t files,
                      const char *const *part_names, const size_t *part_files, size_t nparts);
/* Days the lake holds ("2026-11-24"), newest first; copied. */
void tl_live_set_days(tl_live *l, const char *const *days, size_t n);
/* A scheduled job (compaction, models, vacuum) finished: the scheduler's
 * seam. name is one of "compaction", "models", "vacuum". */
void tl_live_set_job(tl_live *l, const char *name, int64_t unix_ms, const char *status);

/* The same, only when it is newer than what the job last reported: facts
 * read back from the lake's log or the warehouse (a standalone dashboard)
 * never override a fresher report of the scheduler in this process. */
void tl_live_note_job(tl_live *l, const char *name, int64_t unix_ms, const char *status);

int tl_live_health_json(tl_live *l, tl_buf *out);
/* The health object's members into an object the caller opened (the SSE
 * event's "health"; /api/health adds the web's own numbers). */
int tl_live_health_members(tl_live *l, tl_json *j);
/* Changes whenever the health JSON changes in more than its clock-driven
 * fields (the time, the uptime, seconds since a symbol's last tick): the
 * SSE hub sends the health only when this moved. */
uint64_t tl_live_health_sig(tl_live *l);
int tl_live_days_json(tl_live *l, tl_buf *out);
int tl_live_metrics_text(tl_live *l, tl_buf *out);

/* Change from first to last in percent, rounded to two decimals, never
 * -0 (a change that rounds to nothing is 0). */
double tl_live_change_pct(int64_t first, int64_t last);

/* Price in micro-units as text: "189.25", "0.0001", "12" (tl_decimal_format;
 * JSON writes it with tl_json_micros). */
void tl_live_fmt_price(int64_t micros, char *buf, size_t cap);

#endif
