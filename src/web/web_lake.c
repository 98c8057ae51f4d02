/* web: ranges the live state does not cover (a past day, "today" after a
 * restart) are answered from the lake through a DuckDB view over the
 * snapshot this module keeps and refreshes incrementally (a probe of the
 * log, then only the new commits). The view lists only the files whose
 * hour partition overlaps the request's range and is rebuilt only when the
 * version or those hours changed; DuckDB caches the files' Parquet footers
 * across requests. Under a running `up` (a commit a second) this took the
 * lake requests from seconds to tens of milliseconds: rebuilding meant
 * reloading both tables' logs from scratch and a lake_files row per file,
 * and every query opened every file of the day. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "duck/duck.h"
#include "lake/lake.h"
#include "query/views.h"
#include "tables/tables.h"
#include "web/web_int.h"

struct tl_web_lake {
    pthread_mutex_t mu; /* one DuckDB handle: one query at a time */
    tl_store *store;
    tl_duck *duck;
    tl_lake_snapshot *snap;
    int64_t views_version; /* -2: never registered */
    int64_t views_from_h, views_to_h; /* the hours [from, to) the view's files cover */
};

tl_web_lake *tl_web_lake_new(tl_store *store, const tl_duck_opts *duck, tl_err *err) {
    tl_web_lake *q = calloc(1, sizeof *q);
    if (!q) {
        tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&q->mu, NULL);
    q->store = store;
    q->views_version = -2;
    if (!(q->duck = tl_duck_open(NULL, 0, duck, err)) ||
        tl_duck_exec(q->duck, "SET parquet_metadata_cache = true", err) != 0) {
        tl_web_lake_destroy(q);
        return NULL;
    }
    return q;
}

void tl_web_lake_destroy(tl_web_lake *q) {
    if (!q)
        return;
    tl_duck_close(q->duck);
    tl_lake_snapshot_free(q->snap);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

static const char *pv(const tl_lake_file *file, const char *key) {
    for (size_t i = 0; i < file->n_partition_values; i++)
        if (!strcmp(file->partition_values[i].key, key))
            return file->partition_values[i].value;
    return NULL;
}

#define HOUR_US 3600000000LL

/* Whether a live file's hour partition overlaps [from_us, to_us): most
 * requests of a live dashboard ask for a range the lake has no file for
 * (before the process started), and reading nothing costs nothing. A file
 * without an hour partition counts as overlapping. */
static bool file_overlaps(const tl_lake_file *f, int64_t from_us, int64_t to_us) {
    const char *y = pv(f, "year"), *m = pv(f, "month"), *d = pv(f, "day"), *h = pv(f, "hour");
    if (!y || !m || !d || !h)
        return true;
    struct tm tm = {.tm_year = atoi(y) - 1900, .tm_mon = atoi(m) - 1, .tm_mday = atoi(d),
                    .tm_hour = atoi(h)};
    int64_t hour_us = (int64_t)timegm(&tm) * 1000000;
    return hour_us < to_us && hour_us + HOUR_US > from_us;
}

typedef struct hours {
    int64_t from_us, to_us;
} hours;

static bool keep_file(const tl_lake_file *f, void *ud) {
    const hours *r = ud;
    return file_overlaps(f, r->from_us, r->to_us);
}

static bool lake_overlaps(tl_web_lake *q, int64_t from_us, int64_t to_us) {
    for (size_t i = 0; i < tl_lake_snapshot_num_files(q->snap); i++)
        if (file_overlaps(tl_lake_snapshot_file(q->snap, i), from_us, to_us))
            return true;
    return false;
}

static int64_t floor_hour(int64_t us) {
    return (us >= 0 ? us : us - HOUR_US + 1) / HOUR_US;
}

/* Called with mu held. 1 when the lake holds no file of [from_us, to_us)
 * (nothing to query), 0 when the view is ready, or an error. */
static int ensure_views_for(tl_web_lake *q, int64_t from_us, int64_t to_us, tl_err *err) {
    int rc = q->snap ? tl_lake_snapshot_refresh(q->store, q->snap, err)
                     : tl_lake_snapshot_load(q->store, TL_TICKS_TABLE, tl_duck_limits(q->duck),
                                             &q->snap, err);
    if (rc)
        return rc;
    tl_lake_snapshot_drop_tombstones(q->snap); /* only live files are read here */
    if (!lake_overlaps(q, from_us, to_us))
        return 1;
    int64_t v = tl_lake_snapshot_version(q->snap);
    int64_t fh = floor_hour(from_us), th = floor_hour(to_us - 1) + 1;
    if (v == q->views_version && fh == q->views_from_h && th == q->views_to_h)
        return 0;
    hours r = {fh * HOUR_US, th * HOUR_US};
    q->views_version = -2; /* a failed rebuild leaves no view to trust */
    if ((rc = tl_views_create(q->duck, q->store, &tl_ticks_table, q->snap, keep_file, &r, NULL,
                              err)) == 0) {
        q->views_version = v;
        q->views_from_h = fh;
        q->views_to_h = th;
    }
    return rc;
}

typedef struct bars_ctx {
    tl_json *j;
    long n;
} bars_ctx;

static int bar_row(void *ud, int ncols, const char *const *v) {
    bars_ctx *c = ud;
    if (ncols < 6 || !v[0])
        return 0;
    tl_live_bar bar = {.t_us = strtoll(v[0], NULL, 10) * 1000000,
                       .volume = v[5] ? strtoll(v[5], NULL, 10) : 0};
    int64_t *p[4] = {&bar.o, &bar.h, &bar.l, &bar.c};
    for (int i = 0; i < 4; i++)
        if (!v[i + 1] || tl_decimal_parse(v[i + 1], strlen(v[i + 1]), p[i]) != 0)
            return 0;
    c->n++;
    return tl_live_bar_write(c->j, &bar) ? -1 : c->n >= TL_WEB_MAX_BARS;
}

int tl_web_lake_bars(tl_web_lake *q, const char *symbol, int64_t from_us, int64_t to_us,
                     int64_t interval_s, tl_json *j, long *count, tl_err *err) {
    char sym[64], sql[1024];
    tl_duck_quote(symbol, sym, sizeof sym);
    snprintf(sql, sizeof sql,
             "SELECT epoch(time_bucket(INTERVAL %lld SECOND, ts))::BIGINT AS t, "
             "arg_min(price, ts)::VARCHAR, max(price)::VARCHAR, min(price)::VARCHAR, "
             "arg_max(price, ts)::VARCHAR, coalesce(sum(size), 0)::VARCHAR FROM ticks "
             "WHERE symbol = '%s' AND ts >= make_timestamp(%lld::BIGINT)::TIMESTAMPTZ "
             "AND ts < make_timestamp(%lld::BIGINT)::TIMESTAMPTZ GROUP BY 1 ORDER BY 1",
             (long long)interval_s, sym, (long long)from_us, (long long)to_us);
    bars_ctx c = {j, 0};
    pthread_mutex_lock(&q->mu);
    int rc = ensure_views_for(q, from_us, to_us, err);
    if (rc == 1)
        rc = 0; /* no file of the range: no rows */
    else if (rc == 0)
        rc = tl_duck_query_each(q->duck, sql, bar_row, &c, err);
    pthread_mutex_unlock(&q->mu);
    *count = c.n;
    if (rc == -1)
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory rendering bars");
    return rc > 0 ? 0 : rc;
}

static int stats_row(void *ud, int ncols, const char *const *v) {
    tl_live_stats *s = ud;
    if (ncols < 6 || !v[0])
        return 0;
    s->count = strtoll(v[0], NULL, 10);
    if (s->count == 0)
        return 0;
    if (tl_decimal_parse(v[1], strlen(v[1]), &s->min) != 0 ||
        tl_decimal_parse(v[2], strlen(v[2]), &s->max) != 0 ||
        tl_decimal_parse(v[3], strlen(v[3]), &s->sum_p) != 0)
        return -1;
    s->volume = v[4] ? strtoll(v[4], NULL, 10) : 0;
    s->sum_pv = v[5] ? strtod(v[5], NULL) * 1e6 : 0;
    return 0;
}

int tl_web_lake_stats(tl_web_lake *q, const char *symbol, int64_t from_us, int64_t to_us,
                      tl_live_stats *out, tl_err *err) {
    char sym[64], sql[1024];
    tl_duck_quote(symbol, sym, sizeof sym);
    snprintf(sql, sizeof sql,
             "SELECT count(*), min(price)::VARCHAR, max(price)::VARCHAR, sum(price)::VARCHAR, "
             "coalesce(sum(size), 0), sum(price * coalesce(size, 0))::DOUBLE FROM ticks "
             "WHERE symbol = '%s' AND ts >= make_timestamp(%lld::BIGINT)::TIMESTAMPTZ "
             "AND ts < make_timestamp(%lld::BIGINT)::TIMESTAMPTZ",
             sym, (long long)from_us, (long long)to_us);
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&q->mu);
    int rc = ensure_views_for(q, from_us, to_us, err);
    if (rc == 1)
        rc = 0; /* no file of the range: no rows */
    else if (rc == 0)
        rc = tl_duck_query_each(q->duck, sql, stats_row, out, err);
    pthread_mutex_unlock(&q->mu);
    if (rc == -1)
        return tl_err_set(err, TL_ERR_CORRUPT, "unexpected statistics from the lake");
    return rc;
}

/* ---- a range's symbols and a price line, for any past range ---- */

/* A DuckDB decimal's text ("123.45", "-0.000001") as exact micro-units in
 * 128 bits: sums of price * size outgrow int64. -1 when it is not one. */
static int micros128(const char *s, __int128 *out) {
    __int128 v = 0;
    bool neg = *s == '-';
    int frac = -1;
    for (s += neg; *s; s++) {
        if (*s == '.' && frac < 0) {
            frac = 0;
            continue;
        }
        if (*s < '0' || *s > '9' || frac >= 6)
            return -1;
        v = v * 10 + (*s - '0');
        if (frac >= 0)
            frac++;
    }
    for (frac = frac < 0 ? 0 : frac; frac < 6; frac++)
        v *= 10;
    *out = neg ? -v : v;
    return 0;
}

/* num / den rounded half up (half away from zero), the models' money rule. */
static int64_t div_half_up(__int128 num, __int128 den) {
    if (den == 0)
        return 0;
    __int128 q = num / den, r = num % den;
    if (2 * (r < 0 ? -r : r) >= den)
        q += num < 0 ? -1 : 1;
    return (int64_t)q;
}

typedef struct syms_ctx {
    tl_json *j;
} syms_ctx;

/* The range's sparkline: closes of TL_WEB_SPARK_POINTS equal time buckets,
 * comma-joined by the query in bucket order (empty buckets are left out,
 * as the live spark leaves out quiet steps). */
static void spark_write(tl_json *j, const char *csv) {
    char buf[32];
    while (csv && *csv) {
        const char *end = strchr(csv, ',');
        size_t len = end ? (size_t)(end - csv) : strlen(csv);
        int64_t p;
        if (len < sizeof buf) {
            memcpy(buf, csv, len);
            buf[len] = '\0';
            if (tl_decimal_parse(buf, len, &p) == 0)
                tl_json_micros(j, p);
        }
        csv = end ? end + 1 : NULL;
    }
}

static int sym_row(void *ud, int ncols, const char *const *v) {
    syms_ctx *c = ud;
    int64_t last, first, mn, mx;
    __int128 sum_p, sum_pv;
    if (ncols < 10 || !v[0] || !v[1] || !v[2] || !v[3] || !v[4] || !v[5] || !v[8] ||
        tl_decimal_parse(v[1], strlen(v[1]), &last) ||
        tl_decimal_parse(v[2], strlen(v[2]), &first) || tl_decimal_parse(v[3], strlen(v[3]), &mn) ||
        tl_decimal_parse(v[4], strlen(v[4]), &mx) || micros128(v[5], &sum_p) ||
        micros128(v[8], &sum_pv))
        return 0;
    int64_t n = strtoll(v[6], NULL, 10), vol = v[7] ? strtoll(v[7], NULL, 10) : 0;
    tl_json *j = c->j;
    tl_json_obj_begin(j);
    tl_live_row_members(j, &(tl_live_row){
                               .symbol = v[0],
                               .last = last,
                               .first = first,
                               .min = mn,
                               .max = mx,
                               .avg = div_half_up(sum_p, n),
                               .vwap = div_half_up(sum_pv, vol),
                               .volume = vol,
                               .n = n,
                               .last_ms = v[9] ? strtoll(v[9], NULL, 10) : 0,
                           });
    tl_json_key(j, "spark");
    tl_json_arr_begin(j);
    spark_write(j, ncols > 10 ? v[10] : NULL);
    tl_json_arr_end(j);
    tl_json_obj_end(j);
    return tl_json_status(j) ? -1 : 0;
}

int tl_web_lake_symbols(tl_web_lake *q, int64_t from_us, int64_t to_us, tl_json *j, tl_err *err) {
    char sql[2048];
    /* One pass over the range's files: t is the range, b the close of each
     * of TL_WEB_SPARK_POINTS equal time buckets per symbol, s those closes
     * in time order; the symbol row joins its spark. */
    snprintf(sql, sizeof sql,
             "WITH t AS (SELECT symbol, price, size, ts FROM ticks "
             "WHERE ts >= make_timestamp(%lld::BIGINT)::TIMESTAMPTZ "
             "AND ts < make_timestamp(%lld::BIGINT)::TIMESTAMPTZ), "
             "b AS (SELECT symbol, ((epoch_us(ts) - %lld) * %d) // %lld AS k, "
             "arg_max(price, ts) AS c FROM t GROUP BY 1, 2), "
             "s AS (SELECT symbol, string_agg(c::VARCHAR, ',' ORDER BY k) AS sp "
             "FROM b GROUP BY 1) "
             "SELECT t.symbol, arg_max(price, ts)::VARCHAR, arg_min(price, ts)::VARCHAR, "
             "min(price)::VARCHAR, max(price)::VARCHAR, sum(price)::VARCHAR, count(*), "
             "coalesce(sum(size), 0), sum(price * coalesce(size, 0))::VARCHAR, "
             "epoch_ms(max(ts)), any_value(s.sp) FROM t JOIN s ON t.symbol = s.symbol "
             "GROUP BY 1 ORDER BY 1",
             (long long)from_us, (long long)to_us, (long long)from_us, TL_WEB_SPARK_POINTS,
             (long long)(to_us > from_us ? to_us - from_us : 1));
    syms_ctx c = {j};
    pthread_mutex_lock(&q->mu);
    int rc = ensure_views_for(q, from_us, to_us, err);
    if (rc == 1)
        rc = 0; /* no file of the range: no rows */
    else if (rc == 0)
        rc = tl_duck_query_each(q->duck, sql, sym_row, &c, err);
    pthread_mutex_unlock(&q->mu);
    if (rc == -1)
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory rendering symbols");
    return rc;
}

typedef struct line_ctx {
    tl_json *j;
    long n;
} line_ctx;

static int line_row(void *ud, int ncols, const char *const *v) {
    line_ctx *c = ud;
    int64_t p;
    if (ncols < 2 || !v[0] || !v[1] || tl_decimal_parse(v[1], strlen(v[1]), &p) != 0)
        return 0;
    tl_json_arr_begin(c->j);
    tl_json_int(c->j, strtoll(v[0], NULL, 10));
    tl_json_micros(c->j, p);
    tl_json_arr_end(c->j);
    c->n++;
    return tl_json_status(c->j) ? -1 : c->n >= TL_WEB_MAX_BARS;
}

int tl_web_lake_line(tl_web_lake *q, const char *symbol, int64_t from_us, int64_t to_us,
                     int64_t step_s, tl_json *j, long *count, tl_err *err) {
    char sym[64], sql[1024];
    tl_duck_quote(symbol, sym, sizeof sym);
    /* the last trade of each step by event time: a late tick lands in its
     * own step, and only moves it when it is that step's latest trade */
    snprintf(sql, sizeof sql,
             "SELECT epoch(time_bucket(INTERVAL %lld SECOND, ts))::BIGINT AS t, "
             "arg_max(price, ts)::VARCHAR FROM ticks WHERE symbol = '%s' "
             "AND ts >= make_timestamp(%lld::BIGINT)::TIMESTAMPTZ "
             "AND ts < make_timestamp(%lld::BIGINT)::TIMESTAMPTZ GROUP BY 1 ORDER BY 1",
             (long long)step_s, sym, (long long)from_us, (long long)to_us);
    line_ctx c = {j, 0};
    pthread_mutex_lock(&q->mu);
    int rc = ensure_views_for(q, from_us, to_us, err);
    if (rc == 1)
        rc = 0; /* no file of the range: no rows */
    else if (rc == 0)
        rc = tl_duck_query_each(q->duck, sql, line_row, &c, err);
    pthread_mutex_unlock(&q->mu);
    *count = c.n;
    if (rc == -1)
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory rendering the line");
    return rc > 0 ? 0 : rc;
}
