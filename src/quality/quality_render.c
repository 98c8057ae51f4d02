/* The quality figures as Prometheus text and as JSON. */
#include <stdlib.h>
#include <string.h>

#include "quality/quality_int.h"
#include "util/json_out.h"

/* A label value as the exposition format wants it: \\, \" and \n escaped. */
static int label(tl_buf *out, const char *v) {
    int rc = 0;
    for (const char *p = v; *p && rc == 0; p++) {
        if (*p == '\\' || *p == '"')
            rc = tl_buf_printf(out, "\\%c", *p);
        else if (*p == '\n')
            rc = tl_buf_puts(out, "\\n");
        else
            rc = tl_buf_append(out, p, 1);
    }
    return rc;
}

static double freshness_s(const tl_quality_sym *s, int64_t now_us) {
    return (double)(now_us - s->f.last_ts_us) / 1e6;
}

static double behind_s(const tl_quality *q, const tl_quality_sym *s) {
    return (double)(q->newest_ts_us - s->f.last_ts_us) / 1e6;
}

static bool stale(const tl_quality *q, const tl_quality_sym *s) {
    return behind_s(q, s) > (double)q->o.stale_after_s;
}

/* The symbols in name order (lock held). NULL with *n 0 when none; NULL with
 * *n (size_t)-1 when out of memory. */
static tl_quality_sym **sorted(tl_quality *q, size_t *n) {
    const char **keys = tl_strmap_sorted_keys(q->index, n);
    if (!keys)
        return NULL;
    tl_quality_sym **v = malloc(*n * sizeof *v);
    if (!v) {
        free(keys);
        *n = (size_t)-1;
        return NULL;
    }
    for (size_t i = 0; i < *n; i++)
        v[i] = tl_strmap_get(q->index, keys[i]);
    free(keys);
    return v;
}

typedef enum { F_FRESH, F_MISSING, F_GAPS, F_JUMPS, F_CROSSED } family;
static const struct {
    const char *name, *type, *help;
} families[] = {
    [F_FRESH] = {"tl_quality_freshness_seconds", "gauge",
                 "seconds since the symbol's newest tick (event time)"},
    [F_MISSING] = {"tl_quality_seq_missing", "gauge", "seq numbers skipped and not seen since"},
    [F_GAPS] = {"tl_quality_seq_gaps_total", "counter", "jumps forward in seq past a missing one"},
    [F_JUMPS] = {"tl_quality_price_jumps_total", "counter",
                 "prices beyond jump_sigmas std devs of recent returns (flagged, kept)"},
    [F_CROSSED] = {"tl_quality_crossed_quotes_total", "counter", "rows with bid > ask"},
};

static int family_text(tl_buf *out, family f, tl_quality_sym **v, size_t n, int64_t now_us) {
    int rc = tl_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", families[f].name, families[f].help,
                           families[f].name, families[f].type);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const tl_quality_symbol *s = &v[i]->f;
        rc |= tl_buf_printf(out, "%s{symbol=\"", families[f].name);
        rc |= label(out, s->symbol);
        switch (f) {
        case F_FRESH: rc |= tl_buf_printf(out, "\"} %.3f\n", freshness_s(v[i], now_us)); break;
        case F_MISSING: rc |= tl_buf_printf(out, "\"} %lld\n", (long long)s->seq_missing); break;
        case F_GAPS: rc |= tl_buf_printf(out, "\"} %llu\n", (unsigned long long)s->seq_gaps); break;
        case F_JUMPS: rc |= tl_buf_printf(out, "\"} %llu\n", (unsigned long long)s->jumps); break;
        case F_CROSSED:
            rc |= tl_buf_printf(out, "\"} %llu\n", (unsigned long long)s->crossed);
            break;
        }
    }
    return rc;
}

int tl_quality_metrics_text(tl_quality *q, int64_t now_us, tl_buf *out) {
    pthread_mutex_lock(&q->mu);
    size_t n = 0, nstale = 0;
    tl_quality_sym **v = sorted(q, &n);
    int rc = n == (size_t)-1 ? -1 : 0;
    for (int f = F_FRESH; f <= F_CROSSED && rc == 0 && n; f++)
        rc = family_text(out, (family)f, v, n, now_us);
    for (size_t i = 0; rc == 0 && i < n; i++)
        nstale += stale(q, v[i]);
    if (rc == 0)
        rc = tl_buf_printf(out,
                           "# HELP tl_quality_stale_symbols symbols more than stale_after_s "
                           "behind the newest tick\n# TYPE tl_quality_stale_symbols gauge\n"
                           "tl_quality_stale_symbols %zu\n"
                           "# HELP tl_quality_crossed_quotes_rejected_total ticks with bid > ask "
                           "the stream sent to the dead letters\n"
                           "# TYPE tl_quality_crossed_quotes_rejected_total counter\n"
                           "tl_quality_crossed_quotes_rejected_total %llu\n",
                           nstale, (unsigned long long)q->crossed_rejected);
    free(v);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

static void symbol_json(tl_json *j, const tl_quality *q, const tl_quality_sym *s, int64_t now_us) {
    tl_json_obj_begin(j);
    tl_json_kv_str(j, "s", s->f.symbol);
    tl_json_key(j, "freshness_s");
    tl_json_double(j, (double)((now_us - s->f.last_ts_us) / 1000) / 1e3);
    tl_json_key(j, "behind_s");
    tl_json_double(j, (double)((q->newest_ts_us - s->f.last_ts_us) / 1000) / 1e3);
    tl_json_kv_int(j, "ticks", (int64_t)s->f.ticks);
    tl_json_kv_int(j, "seq_gaps", (int64_t)s->f.seq_gaps);
    tl_json_kv_int(j, "seq_missing", s->f.seq_missing);
    tl_json_kv_int(j, "jumps", (int64_t)s->f.jumps);
    tl_json_kv_int(j, "crossed", (int64_t)s->f.crossed);
    tl_json_kv_bool(j, "stale", stale(q, s));
    tl_json_obj_end(j);
}

int tl_quality_write(tl_quality *q, int64_t now_us, tl_json *j) {
    pthread_mutex_lock(&q->mu);
    size_t n = 0;
    tl_quality_sym **v = sorted(q, &n);
    if (n == (size_t)-1)
        n = 0;
    int64_t missing = 0;
    uint64_t gaps = 0, jumps = 0, crossed = 0;
    for (size_t i = 0; i < n; i++) {
        missing += v[i]->f.seq_missing;
        gaps += v[i]->f.seq_gaps;
        jumps += v[i]->f.jumps;
        crossed += v[i]->f.crossed;
    }
    tl_json_obj_begin(j);
    tl_json_kv_int(j, "jump_sigmas", q->o.jump_sigmas);
    tl_json_kv_int(j, "stale_after_s", q->o.stale_after_s);
    tl_json_key(j, "newest_ts_ms");
    if (n)
        tl_json_int(j, q->newest_ts_us / 1000);
    else
        tl_json_null(j);
    tl_json_kv_int(j, "seq_missing", missing);
    tl_json_kv_uint(j, "seq_gaps", gaps);
    tl_json_kv_uint(j, "jumps", jumps);
    tl_json_kv_uint(j, "crossed", crossed);
    tl_json_kv_uint(j, "crossed_rejected", q->crossed_rejected);
    tl_json_key(j, "stale");
    tl_json_arr_begin(j);
    for (size_t i = 0; i < n; i++)
        if (stale(q, v[i]))
            tl_json_str(j, v[i]->f.symbol);
    tl_json_arr_end(j);
    tl_json_key(j, "symbols");
    tl_json_arr_begin(j);
    for (size_t i = 0; i < n; i++)
        symbol_json(j, q, v[i], now_us);
    tl_json_arr_end(j);
    int rc = tl_json_obj_end(j);
    free(v);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

typedef struct quality_args {
    tl_quality *q;
    int64_t now_us;
} quality_args;

static int quality_doc(tl_json *j, void *ud) {
    quality_args *a = ud;
    return tl_quality_write(a->q, a->now_us, j);
}

int tl_quality_json(tl_quality *q, int64_t now_us, tl_buf *out) {
    return tl_json_doc(out, quality_doc, &(quality_args){q, now_us}, NULL) ? -1 : 0;
}
