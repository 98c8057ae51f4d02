/* The ticks table: schema, partition layout, file names and statistics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tables/tables.h"
#include "util/json_out.h"
#include "util/civil.h"

/* The columns, in the data files' order (the writer in src/duck fills them
 * in this order: duck_write.c checks it). */
static const tl_column ticks_cols[] = {
    {"symbol", TL_COL_STRING, false},   {"ts", TL_COL_TIMESTAMP, false},
    {"price", TL_COL_DECIMAL, false},   {"size", TL_COL_LONG, true},
    {"bid", TL_COL_DECIMAL, true},      {"ask", TL_COL_DECIMAL, true},
    {"exchange", TL_COL_STRING, true},  {"seq", TL_COL_LONG, true},
    {"late", TL_COL_BOOL, false},       {"src_partition", TL_COL_INT, false},
    {"src_offset", TL_COL_LONG, false}, {"ingest_ts", TL_COL_TIMESTAMP, false},
};
static const tl_column ticks_parts[] = {
    {"year", TL_COL_INT, false},
    {"month", TL_COL_INT, false},
    {"day", TL_COL_INT, false},
    {"hour", TL_COL_INT, false},
};
const tl_table tl_ticks_table = {TL_TICKS_TABLE, ticks_cols, sizeof ticks_cols / sizeof *ticks_cols,
                                 ticks_parts, sizeof ticks_parts / sizeof *ticks_parts};

tl_civil tl_civil_from_us(int64_t ts_us) {
    const int64_t day_us = 86400LL * 1000000;
    int64_t days = ts_us >= 0 ? ts_us / day_us : -((-ts_us + day_us - 1) / day_us);
    int64_t rem = ts_us - days * day_us;
    tl_civil c;
    int64_t year;
    tl_civil_from_days(days, &year, &c.month, &c.day);
    c.year = (int)year;
    c.hour = (int)(rem / (3600LL * 1000000));
    return c;
}

int64_t tl_us_from_civil(tl_civil c) {
    return (tl_days_from_civil(c.year, c.month, c.day) * 24 + c.hour) * 3600LL * 1000000;
}

int tl_ticks_file_hour(const tl_lake_kv *pv, size_t n, int64_t *hour_us) {
    int v[4] = {-1, -1, -1, -1};
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 4; k++)
            if (pv[i].value && strcmp(pv[i].key, ticks_parts[k].name) == 0)
                v[k] = atoi(pv[i].value);
    if (v[0] < 0 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] < 0 || v[3] > 23)
        return -1;
    *hour_us = tl_us_from_civil((tl_civil){v[0], v[1], v[2], v[3]});
    return 0;
}

void tl_ticks_partition_dir(int64_t hour_us, char *out, size_t cap) {
    tl_civil c = tl_civil_from_us(hour_us);
    snprintf(out, cap, "year=%04d/month=%02d/day=%02d/hour=%02d", c.year, c.month, c.day, c.hour);
}

void tl_ticks_partition_values(int64_t hour_us, char vals[4][8]) {
    tl_civil c = tl_civil_from_us(hour_us);
    snprintf(vals[0], 8, "%d", c.year);
    snprintf(vals[1], 8, "%d", c.month);
    snprintf(vals[2], 8, "%d", c.day);
    snprintf(vals[3], 8, "%d", c.hour);
}

void tl_ticks_file_name(const char *src, int64_t hour_us, int64_t first, int64_t last,
                        const char *attempt, char *out, size_t cap) {
    char dir[64];
    tl_ticks_partition_dir(hour_us, dir, sizeof dir);
    snprintf(out, cap, "%s/part-%s-%lld-%lld-%s.zstd.parquet", dir, src, (long long)first,
             (long long)last, attempt);
}

/* ---- statistics ------------------------------------------------------------ */

typedef struct col_range {
    int64_t min, max;
    size_t nulls;
    int seen;
} col_range;

static void range_add(col_range *r, int64_t v) {
    if (!r->seen || v < r->min)
        r->min = v;
    if (!r->seen || v > r->max)
        r->max = v;
    r->seen = 1;
}

static void put_ts(tl_json *j, const char *name, int64_t v) {
    char ts[40];
    tl_rfc3339_format(v, ts, sizeof ts);
    tl_json_kv_str(j, name, ts);
}

enum { C_TS, C_PRICE, C_SIZE, C_BID, C_ASK, C_SEQ, C_OFFSET, C_INGEST, C_PART, C_N };

typedef struct stats {
    const tl_tick_row *rows;
    size_t n;
    col_range r[C_N];
    const char *sym_min, *sym_max, *ex_min, *ex_max;
    size_t ex_nulls;
} stats;

static void stats_scan(stats *st) {
    col_range *r = st->r;
    const tl_tick_row *rows = st->rows;
    for (size_t i = 0; i < st->n; i++) {
        const tl_tick *t = &rows[i].tick;
        range_add(&r[C_TS], t->ts_us);
        range_add(&r[C_PRICE], t->price);
        range_add(&r[C_OFFSET], rows[i].src_offset);
        range_add(&r[C_INGEST], rows[i].ingest_ts_us);
        range_add(&r[C_PART], rows[i].src_partition);
        if (t->has & TL_TICK_HAS_SIZE)
            range_add(&r[C_SIZE], t->size);
        else
            r[C_SIZE].nulls++;
        if (t->has & TL_TICK_HAS_BID)
            range_add(&r[C_BID], t->bid);
        else
            r[C_BID].nulls++;
        if (t->has & TL_TICK_HAS_ASK)
            range_add(&r[C_ASK], t->ask);
        else
            r[C_ASK].nulls++;
        if (t->has & TL_TICK_HAS_SEQ)
            range_add(&r[C_SEQ], t->seq);
        else
            r[C_SEQ].nulls++;
        if (!st->sym_min || strcmp(t->symbol, st->sym_min) < 0)
            st->sym_min = t->symbol;
        if (!st->sym_max || strcmp(t->symbol, st->sym_max) > 0)
            st->sym_max = t->symbol;
        if (!(t->has & TL_TICK_HAS_EXCHANGE)) {
            st->ex_nulls++;
            continue;
        }
        if (!st->ex_min || strcmp(t->exchange, st->ex_min) < 0)
            st->ex_min = t->exchange;
        if (!st->ex_max || strcmp(t->exchange, st->ex_max) > 0)
            st->ex_max = t->exchange;
    }
}

static int64_t bound(const col_range *r, bool mx) {
    return mx ? r->max : r->min;
}

/* minValues or maxValues: every column with a value, in the schema's order. */
static void stats_bound(tl_json *j, const stats *st, bool mx) {
    const col_range *r = st->r;
    tl_json_key(j, mx ? "maxValues" : "minValues");
    tl_json_obj_begin(j);
    tl_json_kv_str(j, "symbol", mx ? st->sym_max : st->sym_min);
    put_ts(j, "ts", bound(&r[C_TS], mx));
    tl_json_kv_micros(j, "price", bound(&r[C_PRICE], mx));
    if (r[C_SIZE].seen)
        tl_json_kv_int(j, "size", bound(&r[C_SIZE], mx));
    if (r[C_BID].seen)
        tl_json_kv_micros(j, "bid", bound(&r[C_BID], mx));
    if (r[C_ASK].seen)
        tl_json_kv_micros(j, "ask", bound(&r[C_ASK], mx));
    if (st->ex_min)
        tl_json_kv_str(j, "exchange", mx ? st->ex_max : st->ex_min);
    if (r[C_SEQ].seen)
        tl_json_kv_int(j, "seq", bound(&r[C_SEQ], mx));
    tl_json_kv_int(j, "src_partition", bound(&r[C_PART], mx));
    tl_json_kv_int(j, "src_offset", bound(&r[C_OFFSET], mx));
    put_ts(j, "ingest_ts", bound(&r[C_INGEST], mx));
    tl_json_obj_end(j);
}

static int stats_doc(tl_json *j, void *ud) {
    const stats *st = ud;
    tl_json_obj_begin(j);
    tl_json_kv_uint(j, "numRecords", st->n);
    if (st->n == 0)
        return tl_json_obj_end(j);
    stats_bound(j, st, false);
    stats_bound(j, st, true);
    static const char *const never_null[] = {"symbol", "ts", "price"};
    tl_json_key(j, "nullCount");
    tl_json_obj_begin(j);
    for (size_t i = 0; i < sizeof never_null / sizeof *never_null; i++)
        tl_json_kv_int(j, never_null[i], 0);
    tl_json_kv_uint(j, "size", st->r[C_SIZE].nulls);
    tl_json_kv_uint(j, "bid", st->r[C_BID].nulls);
    tl_json_kv_uint(j, "ask", st->r[C_ASK].nulls);
    tl_json_kv_uint(j, "exchange", st->ex_nulls);
    tl_json_kv_uint(j, "seq", st->r[C_SEQ].nulls);
    tl_json_kv_int(j, "late", 0);
    tl_json_kv_int(j, "src_partition", 0);
    tl_json_kv_int(j, "src_offset", 0);
    tl_json_kv_int(j, "ingest_ts", 0);
    tl_json_obj_end(j);
    return tl_json_obj_end(j);
}

int tl_ticks_stats_json(const tl_tick_row *rows, size_t n, tl_buf *out) {
    stats st = {.rows = rows, .n = n};
    stats_scan(&st);
    return tl_json_doc(out, stats_doc, &st, NULL) ? -1 : 0;
}
