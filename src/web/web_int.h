/* Internals of the web module: the server struct, response helpers,
 * parameter parsing, lake queries, and each endpoint's register function. */
#ifndef TL_WEB_WEB_INT_H
#define TL_WEB_WEB_INT_H

#include "live/live.h"
#include "util/json_out.h"
#include "web/sse.h"
#include "web/web.h"

#define TL_WEB_MAX_ROUTES 32
#define TL_WEB_MAX_URL 2048
#define TL_WEB_MAX_BARS 20000
/* Points in a past range's sparkline: the live spark's default length. */
#define TL_WEB_SPARK_POINTS 60

typedef struct tl_web_route {
    char path[64];
    bool auth;
    tl_web_handler_fn fn;
} tl_web_route;

typedef struct tl_web_lake tl_web_lake;
struct MHD_Daemon;

struct tl_web {
    tl_web_opts o;
    char *listen, *token;
    tl_live *live;
    tl_web_route routes[TL_WEB_MAX_ROUTES];
    size_t nroutes;
    tl_sse_hub *hub;
    tl_web_lake *lake; /* NULL without a store */
    struct MHD_Daemon *daemon;
    char url[128];
};

/* ---- responses (web_util.c) ---- */
/* body holds JSON: set status, content type and "no-store". */
void tl_web_json(tl_web_resp *r, int status);
/* {"error": "<message>"} with status. */
void tl_web_error(tl_web_resp *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- parameters (web_util.c); each returns 0, or -1 after filling a 400 ---- */
/* symbol=: required, [A-Za-z0-9._-]{1,12}. */
int tl_web_symbol_arg(const tl_web_req *req, tl_web_resp *r, const char **out);
/* from= and to=: Unix seconds (digits) or RFC 3339; defaults to = now,
 * from = to - default_span_us; from < to; span at most 400 days. */
int tl_web_range_args(const tl_web_req *req, tl_web_resp *r, int64_t default_span_us,
                      int64_t *from_us, int64_t *to_us);
/* interval=: "60", "1m", "5m", "15m", "1h", "1d"...: seconds, a multiple
 * of 60, at most a day; default 60. */
int tl_web_interval_arg(const tl_web_req *req, tl_web_resp *r, int64_t *secs);

/* ---- lake queries (web_lake.c): DuckDB views over the current snapshot,
 * re-registered when the lake's version moved ---- */
tl_web_lake *tl_web_lake_new(tl_store *store, const tl_duck_opts *duck, tl_err *err);
void tl_web_lake_destroy(tl_web_lake *q);
/* Writes bars as array elements [t_s,o,h,l,c,v] (tl_live_bar_write). */
int tl_web_lake_bars(tl_web_lake *q, const char *symbol, int64_t from_us, int64_t to_us,
                     int64_t interval_s, tl_json *j, long *count, tl_err *err);
int tl_web_lake_stats(tl_web_lake *q, const char *symbol, int64_t from_us, int64_t to_us,
                      tl_live_stats *out, tl_err *err);

/* The symbols traded in [from, to) with last, change (from the range's
 * first trade), min, max, exact average and VWAP (half up), volume, count
 * and last trade time (ms), as the array elements of /api/symbols. */
int tl_web_lake_symbols(tl_web_lake *q, int64_t from_us, int64_t to_us, tl_json *j, tl_err *err);
/* The last price of each step_s seconds with a trade, as [t_s, price]
 * array elements (the price line). */
int tl_web_lake_line(tl_web_lake *q, const char *symbol, int64_t from_us, int64_t to_us,
                     int64_t step_s, tl_json *j, long *count, tl_err *err);

/* ---- endpoints: each file registers its paths ---- */
void tl_web_static_register(tl_web *w);
void tl_api_symbols_register(tl_web *w);
void tl_api_bars_register(tl_web *w);
void tl_api_stats_register(tl_web *w);
void tl_api_health_register(tl_web *w);
void tl_api_days_register(tl_web *w);
void tl_api_events_register(tl_web *w);
void tl_api_metrics_register(tl_web *w);
/* The scheduled jobs' /metrics lines from their leases in the lake (api_jobs_metrics.c). */
void tl_web_jobs_metrics(tl_web *w, tl_buf *b);
void tl_api_line_register(tl_web *w);
void tl_api_runs_register(tl_web *w);

#endif
