/* GET /api/symbols — every tracked symbol's last, change, min, max,
 * average, VWAP, volume and sparkline (the ticker table's first fill). */
#include "util/clock.h"
#include "web/web_int.h"

static void symbols(tl_web *w, const tl_web_req *req, tl_web_resp *r) {
    tl_buf_printf(&r->body, "{\"now_ms\":%lld,\"symbols\":", (long long)(tl_now_us() / 1000));
    if (tl_live_symbols_json(w->live, &r->body) != 0 || tl_buf_puts(&r->body, "}") != 0) {
        tl_web_error(r, 500, "out of memory");
        return;
    }
    tl_web_json(r, 200);
}

void tl_api_symbols_register(tl_web *w) {
    tl_web_register(w, "/api/symbols", true, symbols);
}
