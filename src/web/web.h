/* web — the dashboard's HTTP server (libmicrohttpd): one page and its
 * static assets (embedded into the binary at build time, never read from
 * disk), a JSON API, Server-Sent Events and /metrics.
 *
 * Endpoints register themselves (one file each, Fluent Bit's
 * flb_hs_register_endpoint): api_symbols.c, api_bars.c, api_stats.c,
 * api_health.c, api_days.c, api_events.c, api_metrics.c, api_runs.c (the
 * scheduler's run history in the lake), web_static.c.
 *
 * Security: binds 127.0.0.1 unless told otherwise; with a token every
 * /api/ and /metrics request needs "Authorization: Bearer <token>" (or
 * ?token= for EventSource, which cannot set headers); only GET and HEAD;
 * no request bodies; URLs and headers are size-limited; static files come
 * from a fixed table, so no path reaches the filesystem.
 *
 * Threading: one thread per connection (libmicrohttpd); handlers share the
 * live state (its own mutex) and one DuckDB handle for lake queries (a
 * mutex in web_lake.c). */
#ifndef TL_WEB_WEB_H
#define TL_WEB_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "duck/duck_opts.h"
#include "live/live.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

typedef struct tl_web tl_web;

typedef struct tl_web_opts {
    const char *listen;      /* "127.0.0.1:8080"; port 0 = any free port */
    const char *token;       /* bearer token, NULL or "" = none */
    tl_live *live;           /* borrowed */
    tl_store *store;         /* borrowed; the lake for ranges the live state lacks (may be NULL) */
    size_t max_clients;      /* concurrent connections in total (0 = 256) */
    size_t max_per_client;   /* concurrent connections per client address (0 = 32) */
    int64_t idle_timeout_ms; /* close a silent connection after this (0 = 10 s) */
    bool insecure;           /* allow a non-loopback address without a token */
    int64_t sse_interval_ms; /* 0 = 150 */
    tl_duck_opts duck;       /* limits of the lake queries' DuckDB (zero: DuckDB's defaults) */
} tl_web_opts;

/* Builds the server and its routes; does not listen yet. */
tl_web *tl_web_new(const tl_web_opts *opts, tl_err *err);
/* Bind and serve on background threads. */
int tl_web_start(tl_web *w, tl_err *err);
/* "http://127.0.0.1:8080/" once started. */
const char *tl_web_url(const tl_web *w);
/* Stops serving (ends event streams first) and frees. */
void tl_web_destroy(tl_web *w);

/* ---- requests and responses (what handlers see; also for tests) ---------- */

#define TL_WEB_MAX_ARGS 16

typedef struct tl_web_req {
    const char *method;
    const char *path; /* without the query string */
    const char *keys[TL_WEB_MAX_ARGS], *values[TL_WEB_MAX_ARGS];
    size_t nargs;
    const char *authorization; /* header, or NULL */
    const char *if_none_match; /* header, or NULL */
} tl_web_req;

struct tl_sse_client;
typedef struct tl_web_resp {
    int status;
    const char *content_type;
    const char *cache_control;
    char etag[32];
    tl_buf body;
    struct tl_sse_client *stream;     /* set: an event stream instead of body */
    const unsigned char *static_body; /* set: body is this constant */
    size_t static_len;
} tl_web_resp;

/* A query argument's (decoded) value, NULL when absent. */
const char *tl_web_arg(const tl_web_req *req, const char *key);

/* Route one request. Fills resp (tl_web_resp_free afterwards). */
void tl_web_dispatch(tl_web *w, const tl_web_req *req, tl_web_resp *resp);
/* Parse a URL with its query string ("/api/bars?symbol=AAPL") and route it:
 * what tests call without a socket. */
void tl_web_handle(tl_web *w, const char *method, const char *url, const char *authorization,
                   tl_web_resp *resp);
void tl_web_resp_free(tl_web_resp *resp);

typedef void (*tl_web_handler_fn)(tl_web *w, const tl_web_req *req, tl_web_resp *resp);
/* Register a handler for an exact path. needs_auth: the token applies. */
int tl_web_register(tl_web *w, const char *path, bool needs_auth, tl_web_handler_fn fn);

#endif
