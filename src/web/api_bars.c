/* GET /api/bars?symbol=&from=&to=&interval= — OHLCV bars, oldest first, as
 * [t (Unix s), open, high, low, close, volume]. The part of the range the
 * live state covers (tl_live_covered_from, rounded up to the interval) comes
 * from its ring; anything before that from the lake. */
#include <stdlib.h>
#include <string.h>

#include "web/web_int.h"

#define HOUR_US 3600000000LL

static void bar_json(tl_buf *b, const tl_live_bar *x, bool comma) {
    char o[40], h[40], l[40], c[40];
    tl_live_fmt_price(x->o, o, sizeof o);
    tl_live_fmt_price(x->h, h, sizeof h);
    tl_live_fmt_price(x->l, l, sizeof l);
    tl_live_fmt_price(x->c, c, sizeof c);
    tl_buf_printf(b, "%s[%lld,%s,%s,%s,%s,%lld]", comma ? "," : "", (long long)(x->t_us / 1000000),
                  o, h, l, c, (long long)x->volume);
}

static int live_part(tl_web *w, const char *sym, int64_t from, int64_t to, int64_t interval,
                     tl_buf *out, bool comma) {
    size_t cap = (size_t)((to - from) / (interval * 1000000) + 2);
    tl_live_bar *bars = malloc(cap * sizeof *bars);
    if (!bars)
        return -1;
    size_t n = tl_live_bars(w->live, sym, from, to, interval, bars, cap);
    for (size_t i = 0; i < n; i++)
        bar_json(out, &bars[i], comma || i > 0);
    free(bars);
    return 0;
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

static void bars(tl_web *w, const tl_web_req *req, tl_web_resp *r) {
    const char *sym;
    int64_t from, to, interval;
    if (tl_web_symbol_arg(req, r, &sym) || tl_web_range_args(req, r, HOUR_US, &from, &to) ||
        tl_web_interval_arg(req, r, &interval))
        return;
    if ((to - from) / (interval * 1000000) > TL_WEB_MAX_BARS) {
        tl_web_error(r, 400, "from..to at interval=%llds gives more than %d bars",
                     (long long)interval, TL_WEB_MAX_BARS);
        return;
    }
    int64_t split = split_at(w, sym, from, to, interval * 1000000);
    tl_buf *b = &r->body;
    tl_buf_puts(b, "{\"symbol\":");
    tl_buf_json_string(b, sym, strlen(sym));
    tl_buf_printf(b, ",\"interval\":%lld,\"from\":%lld,\"to\":%lld,\"source\":\"%s\",\"bars\":[",
                  (long long)interval, (long long)(from / 1000000), (long long)(to / 1000000),
                  split == from ? "live"
                  : split == to ? "lake"
                                : "lake+live");
    long n = 0;
    if (split > from) {
        tl_err err = {0};
        if (tl_web_lake_bars(w->lake, sym, from, split, interval, b, &n, &err) != 0) {
            tl_web_error(r, 500, "reading the lake: %s", err.msg);
            return;
        }
    }
    if ((split < to && live_part(w, sym, split, to, interval, b, n > 0) != 0) ||
        tl_buf_puts(b, "]}") != 0) {
        tl_web_error(r, 500, "out of memory");
        return;
    }
    tl_web_json(r, 200);
}

void tl_api_bars_register(tl_web *w) {
    tl_web_register(w, "/api/bars", true, bars);
}
