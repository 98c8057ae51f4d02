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

static void line(tl_web *w, const tl_web_req *req, tl_web_resp *r) {
    const char *sym;
    int64_t from, to, step;
    if (tl_web_symbol_arg(req, r, &sym) || tl_web_range_args(req, r, FIVE_MIN_US, &from, &to) ||
        step_arg(req, r, &step))
        return;
    if ((to - from) / (step * 1000000) > TL_WEB_MAX_BARS) {
        tl_web_error(r, 400, "from..to at step=%llds gives more than %d points", (long long)step,
                     TL_WEB_MAX_BARS);
        return;
    }
    if (!w->lake) {
        tl_web_error(r, 404, "no lake: the price line is read from the lake");
        return;
    }
    tl_err err = {0};
    long n = 0;
    tl_json *j = tl_json_new(&r->body);
    int rc = j ? 0 : tl_err_set(&err, TL_ERR_NOMEM, "out of memory");
    if (rc == 0) {
        tl_json_obj_begin(j);
        tl_json_kv_str(j, "symbol", sym);
        tl_json_kv_int(j, "step", step);
        tl_json_kv_int(j, "from", from / 1000000);
        tl_json_kv_int(j, "to", to / 1000000);
        tl_json_key(j, "points");
        tl_json_arr_begin(j);
        rc = tl_web_lake_line(w->lake, sym, from, to, step, j, &n, &err);
    }
    if (rc == 0) {
        tl_json_arr_end(j);
        tl_json_obj_end(j);
        rc = tl_json_finish(j, &err);
    }
    tl_json_free(j);
    if (rc != 0) {
        tl_web_error(r, 500, "reading the lake: %s", err.msg);
        return;
    }
    tl_web_json(r, 200);
}

void tl_api_line_register(tl_web *w) {
    tl_web_register(w, "/api/line", true, line);
}
