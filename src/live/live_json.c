/* live: the per-symbol state as JSON (the table, the SSE updates). */
#include "live/live_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void price(tl_buf *b, int64_t micros) {
    char s[40];
    tl_live_fmt_price(micros, s, sizeof s);
    tl_buf_puts(b, s);
}

double tl_live_change_pct(int64_t first, int64_t last) {
    double v = round((double)(last - first) * 10000.0 / (double)first) / 100.0;
    return v == 0 ? 0.0 : v; /* -0.0 == 0: printed as 0.00, not -0.00 */
}

/* Change since the day's first price, in percent, two decimals. */
static void change(tl_buf *b, const tl_live_sym *s) {
    if (s->open <= 0) {
        tl_buf_puts(b, "null");
        return;
    }
    tl_buf_printf(b, "%.2f", tl_live_change_pct(s->open, s->last));
}

static void sym_json(tl_live *l, const tl_live_sym *s, bool with_spark, bool with_bar, tl_buf *b) {
    tl_buf_puts(b, "{\"s\":");
    tl_buf_json_string(b, s->name, strlen(s->name));
    tl_buf_puts(b, ",\"last\":");
    price(b, s->last);
    tl_buf_puts(b, ",\"chg\":");
    change(b, s);
    tl_buf_puts(b, ",\"min\":");
    price(b, s->min);
    tl_buf_puts(b, ",\"max\":");
    price(b, s->max);
    tl_buf_puts(b, ",\"avg\":");
    price(b, s->n ? s->sum_p / s->n : 0);
    tl_buf_puts(b, ",\"vwap\":");
    price(b, s->volume ? (int64_t)(s->sum_pv / (double)s->volume) : 0);
    tl_buf_printf(b, ",\"vol\":%lld,\"n\":%lld,\"ts\":%lld", (long long)s->volume, (long long)s->n,
                  (long long)(s->last_ts_us / 1000));
    if (with_bar && s->bars_n) {
        const tl_live_bar *r = &s->bars[(s->bars_head + s->bars_n - 1) % s->bars_cap];
        tl_buf_printf(b, ",\"bar\":[%lld,", (long long)(r->t_us / 1000000));
        price(b, r->o);
        tl_buf_puts(b, ",");
        price(b, r->h);
        tl_buf_puts(b, ",");
        price(b, r->l);
        tl_buf_puts(b, ",");
        price(b, r->c);
        tl_buf_printf(b, ",%lld]", (long long)r->volume);
    }
    if (with_spark) {
        tl_buf_puts(b, ",\"spark\":[");
        for (size_t i = 0; i < s->spark_n; i++) {
            if (i)
                tl_buf_puts(b, ",");
            price(b, s->spark[(s->spark_head + i) % l->o.spark_points]);
        }
        tl_buf_puts(b, "]");
    }
    tl_buf_puts(b, "}");
}

/* Renders the symbols with gen > min_gen, sorted. */
static int render(tl_live *l, uint64_t min_gen, bool full, tl_buf *out) {
    size_t n;
    const char **keys = tl_strmap_sorted_keys(l->index, &n);
    if (!keys && n == (size_t)-1)
        return -1;
    size_t start = out->len;
    bool first = true;
    tl_buf_puts(out, "[");
    for (size_t i = 0; i < n; i++) {
        const tl_live_sym *s = tl_strmap_get(l->index, keys[i]);
        if (s->gen <= min_gen && !full)
            continue;
        if (!first)
            tl_buf_puts(out, ",");
        first = false;
        sym_json(l, s, full || s->spark_gen > min_gen, !full, out);
    }
    int rc = tl_buf_puts(out, "]");
    free(keys);
    if (rc != 0)
        out->len = start;
    return rc;
}

int tl_live_symbols_json(tl_live *l, tl_buf *out) {
    pthread_mutex_lock(&l->mu);
    int rc = render(l, 0, true, out);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int tl_live_update_json(tl_live *l, uint64_t *gen, tl_buf *out) {
    pthread_mutex_lock(&l->mu);
    int rc = render(l, *gen, false, out);
    if (rc == 0)
        *gen = l->gen;
    pthread_mutex_unlock(&l->mu);
    return rc;
}
