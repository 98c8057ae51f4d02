/* live: the per-symbol state as JSON (the table, the SSE updates), through
 * the JSON writer. */
#include "live/live_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double tl_live_change_pct(int64_t first, int64_t last) {
    double v = round((double)(last - first) * 10000.0 / (double)first) / 100.0;
    return v == 0 ? 0.0 : v; /* -0.0 == 0: printed as 0.00, not -0.00 */
}

int tl_live_row_members(tl_json *j, const tl_live_row *r) {
    tl_json_kv_str(j, "s", r->symbol);
    tl_json_kv_micros(j, "last", r->last);
    tl_json_key(j, "chg");
    if (r->first > 0)
        tl_json_double_places(j, tl_live_change_pct(r->first, r->last), 2);
    else
        tl_json_null(j);
    tl_json_kv_micros(j, "min", r->min);
    tl_json_kv_micros(j, "max", r->max);
    tl_json_kv_micros(j, "avg", r->avg);
    tl_json_kv_micros(j, "vwap", r->vwap);
    tl_json_kv_int(j, "vol", r->volume);
    tl_json_kv_int(j, "n", r->n);
    return tl_json_kv_int(j, "ts", r->last_ms);
}

static void sym_json(tl_live *l, const tl_live_sym *s, bool with_spark, bool with_bar, tl_json *j) {
    tl_json_obj_begin(j);
    tl_live_row_members(j, &(tl_live_row){
                               .symbol = s->name,
                               .last = s->last,
                               .first = s->open,
                               .min = s->min,
                               .max = s->max,
                               .avg = s->n ? s->sum_p / s->n : 0,
                               .vwap = s->volume ? (int64_t)(s->sum_pv / (double)s->volume) : 0,
                               .volume = s->volume,
                               .n = s->n,
                               .last_ms = s->last_ts_us / 1000,
                           });
    if (with_bar && s->bars_n) {
        const tl_live_bar *r = &s->bars[(s->bars_head + s->bars_n - 1) % s->bars_cap];
        tl_json_key(j, "bar");
        tl_live_bar_write(j, r);
    }
    if (with_spark) {
        tl_json_key(j, "spark");
        tl_json_arr_begin(j);
        for (size_t i = 0; i < s->spark_n; i++)
            tl_json_micros(j, s->spark[(s->spark_head + i) % l->o.spark_points]);
        tl_json_arr_end(j);
    }
    tl_json_obj_end(j);
}

int tl_live_bar_write(tl_json *j, const tl_live_bar *b) {
    tl_json_arr_begin(j);
    tl_json_int(j, b->t_us / 1000000);
    tl_json_micros(j, b->o);
    tl_json_micros(j, b->h);
    tl_json_micros(j, b->l);
    tl_json_micros(j, b->c);
    tl_json_int(j, b->volume);
    return tl_json_arr_end(j);
}

/* Writes the symbols with gen > min_gen (all when full), sorted, as one array. */
static int render(tl_live *l, uint64_t min_gen, bool full, tl_json *j) {
    size_t n;
    const char **keys = tl_strmap_sorted_keys(l->index, &n);
    if (!keys && n == (size_t)-1)
        return TL_ERR_NOMEM;
    tl_json_arr_begin(j);
    for (size_t i = 0; i < n; i++) {
        const tl_live_sym *s = tl_strmap_get(l->index, keys[i]);
        if (s->gen <= min_gen && !full)
            continue;
        sym_json(l, s, full || s->spark_gen > min_gen, !full, j);
    }
    free(keys);
    return tl_json_arr_end(j);
}

int tl_live_symbols_write(tl_live *l, tl_json *j) {
    pthread_mutex_lock(&l->mu);
    int rc = render(l, 0, true, j);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int tl_live_update_write(tl_live *l, uint64_t *gen, tl_json *j) {
    pthread_mutex_lock(&l->mu);
    int rc = render(l, *gen, false, j);
    if (rc == 0)
        *gen = l->gen;
    pthread_mutex_unlock(&l->mu);
    return rc;
}

typedef struct update_args {
    tl_live *l;
    uint64_t *gen;
} update_args;

static int symbols_doc(tl_json *j, void *ud) {
    return tl_live_symbols_write(ud, j);
}

static int update_doc(tl_json *j, void *ud) {
    update_args *a = ud;
    return tl_live_update_write(a->l, a->gen, j);
}

int tl_live_symbols_json(tl_live *l, tl_buf *out) {
    return tl_json_doc(out, symbols_doc, l, NULL) ? -1 : 0;
}

int tl_live_update_json(tl_live *l, uint64_t *gen, tl_buf *out) {
    return tl_json_doc(out, update_doc, &(update_args){l, gen}, NULL) ? -1 : 0;
}
