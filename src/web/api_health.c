/* GET /api/health — the pipeline health panel's data: ingest rate, lag,
 * stream counters, lake version, files per partition, job runs, and the
 * dashboard's own event-stream clients. */
#include "web/web_int.h"

static int health_doc(tl_json *j, void *ud) {
    tl_web *w = ud;
    tl_sse_stats s;
    tl_sse_hub_stats(w->hub, &s);
    tl_json_obj_begin(j);
    tl_live_health_members(w->live, j);
    tl_json_key(j, "web");
    tl_json_obj_begin(j);
    tl_json_kv_uint(j, "clients", s.clients);
    tl_json_kv_uint(j, "messages", s.messages);
    tl_json_kv_uint(j, "bytes", s.bytes);
    tl_json_kv_uint(j, "dropped", s.dropped);
    tl_json_obj_end(j);
    return tl_json_obj_end(j);
}

static void health(tl_web *w, const tl_web_req *req, tl_web_resp *r) {
    (void)req;
    if (tl_json_doc(&r->body, health_doc, w, NULL) != 0) {
        tl_web_error(r, 500, "out of memory");
        return;
    }
    tl_web_json(r, 200);
}

void tl_api_health_register(tl_web *w) {
    tl_web_register(w, "/api/health", true, health);
}
