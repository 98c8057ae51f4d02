/* GET /api/events — Server-Sent Events: "update" events with the symbols
 * that changed (coalesced per client, see sse.h) and the health once a
 * second. */
#include "web/web_int.h"

static void events(tl_web *w, const tl_web_req *req, tl_web_resp *r) {
    r->stream = tl_sse_client_new(w->hub);
    if (!r->stream) {
        tl_web_error(r, 503, "too many event-stream clients");
        return;
    }
    r->status = 200;
    r->content_type = "text/event-stream; charset=utf-8";
    r->cache_control = "no-cache";
}

void tl_api_events_register(tl_web *w) {
    tl_web_register(w, "/api/events", true, events);
}
