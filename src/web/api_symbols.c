/* GET /api/symbols — every tracked symbol's last, change, min, max,
 * average, VWAP, volume and sparkline (the ticker table's first fill). */
#include "util/clock.h"
#include "web/web_int.h"

/* ?from=&to=: the symbols traded in that range, from the lake (a past
 * day, a custom range); the live state only knows the current day. */
static void range_symbols(tl_web *w, const tl_web_req *req, tl_web_resp *r) {
    int64_t from, to;
    if (tl_web_range_args(req, r, 86400000000LL, &from, &to))
        return;
    tl_err err = {0};
    tl_json *j = tl_json_new(&r->body);
    int rc = j ? 0 : tl_err_set(&err, TL_ERR_NOMEM, "out of memory");
    if (rc == 0) {
        tl_json_obj_begin(j);
        tl_json_kv_int(j, "now_ms", tl_now_us() / 1000);
        tl_json_kv_int(j, "from", from / 1000000);
        tl_json_kv_int(j, "to", to / 1000000);
        tl_json_kv_str(j, "source", "lake");
        tl_json_key(j, "symbols");
        tl_json_arr_begin(j);
        rc = tl_web_lake_symbols(w->lake, from, to, j, &err);
    }
    if (rc == 0) {
        tl_json_arr_end(j);
        tl_json_obj_end(j);
        rc = tl_json_finish(j, &err);
    }
    tl_json_free(j);
    if (rc != 0) {
        tl_buf_reset(&r->body);
        tl_web_error(r, 500, "reading the lake: %s", err.msg);
        return;
    }
    tl_web_json(r, 200);
}

static void symbols(tl_web *w, const tl_web_req *req, tl_web_resp *r) {
    if (w->lake && (tl_web_arg(req, "from") || tl_web_arg(req, "to"))) {
        range_symbols(w, req, r);
        return;
    }
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
