/* GET /api/symbols — every tracked symbol's last, change, min, max,
 * average, VWAP, volume and sparkline (the ticker table's first fill). */
#include "util/clock.h"
#include "web/web_int.h"

typedef struct range_req {
    tl_web *w;
    int64_t from, to;
    tl_err err;
} range_req;

static int range_doc(tl_json *j, void *ud) {
    range_req *q = ud;
    tl_json_obj_begin(j);
    tl_json_kv_int(j, "now_ms", tl_now_us() / 1000);
    tl_json_kv_int(j, "from", q->from / 1000000);
    tl_json_kv_int(j, "to", q->to / 1000000);
    tl_json_kv_str(j, "source", "lake");
    tl_json_key(j, "symbols");
    tl_json_arr_begin(j);
    int rc = tl_web_lake_symbols(q->w->lake, q->from, q->to, j, &q->err);
    if (rc)
        return rc;
    tl_json_arr_end(j);
    return tl_json_obj_end(j);
}

/* ?from=&to=: the symbols traded in that range, from the lake (a past
 * day, a custom range); the live state only knows the current day. */
static void range_symbols(tl_web *w, const tl_web_req *req, tl_web_resp *r) {
    range_req q = {.w = w};
    if (tl_web_range_args(req, r, 86400000000LL, &q.from, &q.to))
        return;
    if (tl_json_doc(&r->body, range_doc, &q, &q.err) != 0) {
        tl_web_error(r, 500, "reading the lake: %s", q.err.msg);
        return;
    }
    tl_web_json(r, 200);
}

static int live_symbols_doc(tl_json *j, void *ud) {
    tl_json_obj_begin(j);
    tl_json_kv_int(j, "now_ms", tl_now_us() / 1000);
    tl_json_key(j, "symbols");
    tl_live_symbols_write(ud, j);
    return tl_json_obj_end(j);
}

static void symbols(tl_web *w, const tl_web_req *req, tl_web_resp *r) {
    if (w->lake && (tl_web_arg(req, "from") || tl_web_arg(req, "to"))) {
        range_symbols(w, req, r);
        return;
    }
    if (tl_json_doc(&r->body, live_symbols_doc, w->live, NULL) != 0) {
        tl_web_error(r, 500, "out of memory");
        return;
    }
    tl_web_json(r, 200);
}

void tl_api_symbols_register(tl_web *w) {
    tl_web_register(w, "/api/symbols", true, symbols);
}
