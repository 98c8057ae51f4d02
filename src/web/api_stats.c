/* GET /api/stats?symbol=&from=&to= — count, min, max, average, VWAP and
 * volume of a symbol's trades in a range (the chart's overlays). The part
 * of the range before the live state's coverage comes from the lake (exact
 * timestamps), the rest from the live ring's 1-minute bars (whole minutes),
 * so the numbers follow every trade, also those not yet committed. */
#include <math.h>
#include <string.h>

#include "web/web_int.h"

#define HOUR_US 3600000000LL

static void price_or_null(tl_json *j, const char *key, int64_t v, bool have) {
    if (have)
        tl_json_kv_micros(j, key, v);
    else
        tl_json_kv_null(j, key);
}

static void merge(tl_live_stats *into, const tl_live_stats *x) {
    if (x->count == 0)
        return;
    if (into->count == 0 || x->min < into->min)
        into->min = x->min;
    if (into->count == 0 || x->max > into->max)
        into->max = x->max;
    into->count += x->count;
    into->volume += x->volume;
    into->sum_p += x->sum_p;
    into->sum_pv += x->sum_pv;
}

typedef struct stats_doc_args {
    const char *sym;
    int64_t from, to;
    const char *source;
    const tl_live_stats *st;
} stats_doc_args;

static int stats_doc(tl_json *j, void *ud) {
    const stats_doc_args *a = ud;
    const tl_live_stats *st = a->st;
    bool have = st->count > 0;
    tl_json_obj_begin(j);
    tl_json_kv_str(j, "symbol", a->sym);
    tl_json_kv_int(j, "from", a->from / 1000000);
    tl_json_kv_int(j, "to", a->to / 1000000);
    tl_json_kv_str(j, "source", a->source);
    tl_json_kv_int(j, "count", st->count);
    price_or_null(j, "min", st->min, have);
    price_or_null(j, "max", st->max, have);
    price_or_null(j, "avg", have ? (st->sum_p + st->count / 2) / st->count : 0, have);
    price_or_null(j, "vwap", st->volume ? llround(st->sum_pv / (double)st->volume) : 0,
                  st->volume > 0);
    tl_json_kv_int(j, "volume", st->volume);
    return tl_json_obj_end(j);
}

static void stats(tl_web *w, const tl_web_req *req, tl_web_resp *r) {
    const char *sym;
    int64_t from, to;
    if (tl_web_symbol_arg(req, r, &sym) || tl_web_range_args(req, r, HOUR_US, &from, &to))
        return;
    int64_t split = w->lake ? tl_live_covered_from(w->live, sym) : from;
    split = split < from ? from : split > to ? to : split;
    tl_live_stats total = {0}, part;
    if (split > from) {
        tl_err err = {0};
        if (tl_web_lake_stats(w->lake, sym, from, split, &part, &err) != 0) {
            tl_web_error(r, 500, "reading the lake: %s", err.msg);
            return;
        }
        merge(&total, &part);
    }
    if (split < to) {
        tl_live_stats_get(w->live, sym, split, to, &part);
        merge(&total, &part);
    }
    stats_doc_args a = {sym, from, to,
                        split == from ? "live"
                        : split == to ? "lake"
                                      : "lake+live",
                        &total};
    if (tl_json_doc(&r->body, stats_doc, &a, NULL) != 0) {
        tl_web_error(r, 500, "out of memory");
        return;
    }
    tl_web_json(r, 200);
}

void tl_api_stats_register(tl_web *w) {
    tl_web_register(w, "/api/stats", true, stats);
}
