/* GET /api/health — the pipeline health panel's data: ingest rate, lag,
 * stream counters, lake version, files per partition, job runs, and the
 * dashboard's own event-stream clients. */
#include "web/web_int.h"

static void health(tl_web *w, const tl_web_req *req, tl_web_resp *r) {
    tl_sse_stats s;
    tl_sse_hub_stats(w->hub, &s);
    tl_buf *b = &r->body;
    if (tl_live_health_json(w->live, b) != 0 || b->len < 2) {
        tl_web_error(r, 500, "out of memory");
        return;
    }
    b->len--; /* reopen the object for the web's own numbers */
    if (tl_buf_printf(b,
                      ",\"web\":{\"clients\":%zu,\"messages\":%llu,\"bytes\":%llu,"
                      "\"dropped\":%llu}}",
                      s.clients, (unsigned long long)s.messages, (unsigned long long)s.bytes,
                      (unsigned long long)s.dropped) != 0) {
        tl_web_error(r, 500, "out of memory");
        return;
    }
    tl_web_json(r, 200);
}

void tl_api_health_register(tl_web *w) {
    tl_web_register(w, "/api/health", true, health);
}
