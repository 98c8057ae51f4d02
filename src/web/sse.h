/* sse — the Server-Sent Events hub: every connected page gets the live
 * state's changes at most every interval_ms (at least 4 per second by
 * default), coalesced per client.
 *
 * Coalescing and memory: a client holds at most one pending message. The
 * pump renders, for each client whose previous message was fully taken,
 * one message with everything that changed since that client's own last
 * generation (tl_live_update_json), so a client that reads slowly gets
 * fewer, larger messages, never a backlog. A message larger than the
 * per-client cap, or a pending message not taken within stall_ms, drops
 * the client: its reads then end the stream and its connection closes.
 *
 * Threading: the pump runs on the hub's own thread (tl_sse_hub_start) or is
 * called by tests with an explicit clock; each client is read by one
 * connection thread; one mutex guards the hub. A data message goes out
 * only when something changed (symbols, or the health beyond its clock);
 * an idle stream gets a ": keepalive" SSE comment every keepalive_ms,
 * which EventSource ignores. */
#ifndef TL_WEB_SSE_H
#define TL_WEB_SSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "live/live.h"
#include "util/err.h"

typedef struct tl_sse_hub tl_sse_hub;
typedef struct tl_sse_client tl_sse_client;

typedef struct tl_sse_opts {
    int64_t interval_ms; /* between messages to one client (0 = 150) */
    size_t client_cap;   /* bytes one client may have pending (0 = 4 MiB) */
    int64_t stall_ms;    /* pending this long: dropped (0 = 15000) */
    size_t max_clients;  /* (0 = 32) */
    int64_t keepalive_ms; /* an idle stream's comment line, this often (0 = 5000);
                             under the server's connection timeout */
} tl_sse_opts;

typedef struct tl_sse_stats {
    size_t clients;
    uint64_t messages, keepalives, bytes, dropped;
} tl_sse_stats;

/* live is borrowed. opts may be NULL. */
tl_sse_hub *tl_sse_hub_new(tl_live *live, const tl_sse_opts *opts);
/* Run the pump every interval_ms on a thread. 0 ok. */
int tl_sse_hub_start(tl_sse_hub *h, tl_err *err);
/* Wake every reader and make them end their streams (before the HTTP
 * server stops, so its connection threads can finish). */
void tl_sse_hub_shutdown(tl_sse_hub *h);
/* Stops the thread; every client must have been closed. */
void tl_sse_hub_destroy(tl_sse_hub *h);

/* One pump round at now_ms (monotonic). */
void tl_sse_hub_pump(tl_sse_hub *h, int64_t now_ms);
void tl_sse_hub_stats(tl_sse_hub *h, tl_sse_stats *out);

/* A new client; its first message is a full "snapshot" event. NULL when
 * the hub is full or shutting down. */
tl_sse_client *tl_sse_client_new(tl_sse_hub *h);
/* Copy up to max bytes of the pending message into buf, waiting up to
 * wait_ms for one. Returns the count, 0 when nothing came in time, or -1
 * when the client was dropped or the hub shuts down. */
ssize_t tl_sse_client_read(tl_sse_client *c, char *buf, size_t max, int64_t wait_ms);
/* True once the client was dropped (slow) or the hub shut down. */
int tl_sse_client_dropped(tl_sse_client *c);
/* Unregister and free (the connection is gone). */
void tl_sse_client_close(tl_sse_client *c);

#endif
