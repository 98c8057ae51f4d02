/* GET /metrics — Prometheus text exposition (format 0.0.4): the stream's
 * counters (when the stream runs in this process), the live state's and
 * the lake's gauges, and the dashboard's event-stream numbers. */
#include "web/web_int.h"

static void metrics(tl_web *w, const tl_web_req *req, tl_web_resp *r) {
    tl_sse_stats s;
    tl_sse_hub_stats(w->hub, &s);
    tl_buf *b = &r->body;
    tl_live_metrics_text(w->live, b);
    tl_web_jobs_metrics(w, b);
    tl_buf_printf(b,
                  "# HELP tl_web_sse_clients event-stream clients connected\n"
                  "# TYPE tl_web_sse_clients gauge\ntl_web_sse_clients %zu\n"
                  "# HELP tl_web_sse_dropped_total slow event-stream clients dropped\n"
                  "# TYPE tl_web_sse_dropped_total counter\ntl_web_sse_dropped_total %llu\n",
                  s.clients, (unsigned long long)s.dropped);
    r->status = 200;
    r->content_type = "text/plain; version=0.0.4; charset=utf-8";
    r->cache_control = "no-store";
}

void tl_api_metrics_register(tl_web *w) {
    tl_web_register(w, "/metrics", true, metrics);
}
