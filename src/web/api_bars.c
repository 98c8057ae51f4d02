/* GET /api/bars?symbol=&from=&to=&interval= — OHLCV bars, oldest first, as
 * [t (Unix s), open, high, low, close, volume]. The part of the range the
 * live state covers (tl_live_covered_from, rounded up to the interval) comes
 * from its ring; anything before that from the lake. */
#include <stdlib.h>
#include <string.h>

#include "web/web_int.h"

#define HOUR_US 3600000000LL

static int live_part(tl_web *w, const char *sym, int64_t from, int64_t to, int64_t interval,
                     tl_json *j) {
    size_t cap = (size_t)((to - from) / (interval * 1000000) + 2);
    tl_live_bar *bars = malloc(cap * sizeof *bars);
    if (!bars)
        return TL_ERR_NOMEM;
    size_t n = tl_live_bars(w->live, sym, from, to, interval, bars, cap);
    for (size_t i = 0; i < n; i++)
        tl_live_bar_write(j, &bars[i]);
    free(bars);
    return tl_json_status(j);
}

/* Where the lake's part ends: the live state's coverage, on an interval
 * boundary, within [from, to]. No lake: all live. */
static int64_t split_at(tl_web *w, const char *sym, int64_t from, int64_t to, int64_t step) {
    if (!w->lake)
        return from;
    int64_t c = tl_live_covered_from(w->live, sym);
    c = c <= 0 ? 0 : (c + step - 1) / step * step;
    return c < from ? from : c > to ? to : c;
}

typedef struct bars_req {
    tl_web *w;
    const char *sym;
    int64_t from, to, interval, split;
    tl_err err;
    bool lake_failed; /* err is the lake's, not the writer's */
} bars_req;

static int bars_doc(tl_json *j, void *ud) {
    bars_req *q = ud;
    tl_json_obj_begin(j);
    tl_json_kv_str(j, "symbol", q->sym);
    tl_json_kv_int(j, "interval", q->interval);
    tl_json_kv_int(j, "from", q->from / 1000000);
    tl_json_kv_int(j, "to", q->to / 1000000);
    tl_json_kv_str(j, "source",
                   q->split == q->from ? "live"
                   : q->split == q->to ? "lake"
                                       : "lake+live");
    tl_json_key(j, "bars");
    tl_json_arr_begin(j);
    long n = 0;
    int rc = 0;
    if (q->split > q->from)
        rc = tl_web_lake_bars(q->w->lake, q->sym, q->from, q->split, q->interval, j, &n, &q->err);
    q->lake_failed = rc != 0;
    if (rc == 0 && q->split < q->to)
        rc = live_part(q->w, q->sym, q->split, q->to, q->interval, j);
    if (rc)
        return rc;
    tl_json_arr_end(j);
    return tl_json_obj_end(j);
}

static void bars(tl_web *w, const tl_web_req *req, tl_web_resp *r) {
    bars_req q = {.w = w};
    if (tl_web_symbol_arg(req, r, &q.sym) || tl_web_range_args(req, r, HOUR_US, &q.from, &q.to) ||
        tl_web_interval_arg(req, r, &q.interval))
        return;
    if ((q.to - q.from) / (q.interval * 1000000) > TL_WEB_MAX_BARS) {
        tl_web_error(r, 400, "from..to at interval=%llds gives more than %d bars",
                     (long long)q.interval, TL_WEB_MAX_BARS);
        return;
    }
    q.split = split_at(w, q.sym, q.from, q.to, q.interval * 1000000);
    if (tl_json_doc(&r->body, bars_doc, &q, &q.err) != 0) {
        if (q.lake_failed)
            tl_web_error(r, 500, "reading the lake: %s", q.err.msg);
        else
            tl_web_error(r, 500, "out of memory");
        return;
    }
    tl_web_json(r, 200);
}

void tl_api_bars_register(tl_web *w) {
    tl_web_register(w, "/api/bars", true, bars);
}
