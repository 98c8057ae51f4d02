/* GET /api/line?symbol=&from=&to=&step= — the price line at tick-level
 * resolution: the last trade price of every step seconds (default 1) that
 * had a trade, oldest first, as [t (Unix s), price], from the lake's
 * committed ticks; the page appends what the live events bring after. A
 * step with no trade is left out: the page shows it as a gap. */
#include <stdlib.h>
#include <string.h>

#include "web/web_int.h"

#define FIVE_MIN_US 300000000LL

static int step_arg(const tl_web_req *req, tl_web_resp *r, int64_t *step) {
    const char *s = tl_web_arg(req, "step");
    char *end = NULL;
    *step = s ? strtoll(s, &end, 10) : 1;
    if (s && (end == s || *end || *step < 1 || *step > 86400)) {
        tl_web_error(r, 400, "step=%.32s: expected whole seconds from 1 to 86400", s);
        return -1;
    }
    return 0;
}

typedef struct line_req {
    tl_web *w;
    const char *sym;
    int64_t from, to, step;
    tl_err err;
} line_req;

static int line_doc(tl_json *j, void *ud) {
    line_req *q = ud;
    long n = 0;
    tl_json_obj_begin(j);
    tl_json_kv_str(j, "symbol", q->sym);
    tl_json_kv_int(j, "step", q->step);
    tl_json_kv_int(j, "from", q->from / 1000000);
    tl_json_kv_int(j, "to", q->to / 1000000);
    tl_json_key(j, "points");
    tl_json_arr_begin(j);
    int rc = tl_web_lake_line(q->w->lake, q->sym, q->from, q->to, q->step, j, &n, &q->err);
    if (rc)
        return rc;
    tl_json_arr_end(j);
    return tl_json_obj_end(j);
}

static void line(tl_web *w, const tl_web_req *req, tl_web_resp *r) {
    line_req q = {.w = w};
    if (tl_web_symbol_arg(req, r, &q.sym) ||
        tl_web_range_args(req, r, FIVE_MIN_US, &q.from, &q.to) || step_arg(req, r, &q.step))
        return;
    if ((q.to - q.from) / (q.step * 1000000) > TL_WEB_MAX_BARS) {
        tl_web_error(r, 400, "from..to at step=%llds gives more than %d points", (long long)q.step,
                     TL_WEB_MAX_BARS);
        return;
    }
    if (!w->lake) {
        tl_web_error(r, 404, "no lake: the price line is read from the lake");
        return;
    }
    if (tl_json_doc(&r->body, line_doc, &q, &q.err) != 0) {
        tl_web_error(r, 500, "reading the lake: %s", q.err.msg);
        return;
    }
    tl_web_json(r, 200);
}

void tl_api_line_register(tl_web *w) {
    tl_web_register(w, "/api/line", true, line);
}
