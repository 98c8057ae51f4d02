/* The ticks table: schema, partition layout, file names and statistics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tables/tables.h"
#include "util/civil.h"

/* The columns, in the data files' order (the writer in src/duck fills them
 * in this order: duck_write.c checks it). */
static const tl_column ticks_cols[] = {
    {"symbol", TL_COL_STRING, false},    {"ts", TL_COL_TIMESTAMP, false},
    {"price", TL_COL_DECIMAL, false},    {"size", TL_COL_LONG, true},
    {"bid", TL_COL_DECIMAL, true},       {"ask", TL_COL_DECIMAL, true},
    {"exchange", TL_COL_STRING, true},   {"seq", TL_COL_LONG, true},
    {"late", TL_COL_BOOL, false},        {"src_partition", TL_COL_INT, false},
    {"src_offset", TL_COL_LONG, false},  {"ingest_ts", TL_COL_TIMESTAMP, false},
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

static int put_decimal(tl_buf *b, const char *name, int64_t v) {
    char num[32];
    tl_decimal_format(v, num, sizeof num);
    return tl_buf_printf(b, "\"%s\":%s", name, num);
}

static int put_ts(tl_buf *b, const char *name, int64_t v) {
    char ts[40];
    tl_rfc3339_format(v, ts, sizeof ts);
    return tl_buf_printf(b, "\"%s\":\"%s\"", name, ts);
}

enum { C_TS, C_PRICE, C_SIZE, C_BID, C_ASK, C_SEQ, C_OFFSET, C_INGEST, C_PART, C_N };

int tl_ticks_stats_json(const tl_tick_row *rows, size_t n, tl_buf *out) {
    col_range r[C_N] = {0};
    const char *sym_min = NULL, *sym_max = NULL, *ex_min = NULL, *ex_max = NULL;
    size_t ex_nulls = 0;
    for (size_t i = 0; i < n; i++) {
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
        if (!sym_min || strcmp(t->symbol, sym_min) < 0)
            sym_min = t->symbol;
        if (!sym_max || strcmp(t->symbol, sym_max) > 0)
            sym_max = t->symbol;
        if (!(t->has & TL_TICK_HAS_EXCHANGE)) {
            ex_nulls++;
            continue;
        }
        if (!ex_min || strcmp(t->exchange, ex_min) < 0)
            ex_min = t->exchange;
        if (!ex_max || strcmp(t->exchange, ex_max) > 0)
            ex_max = t->exchange;
    }
    int rc = tl_buf_printf(out, "{\"numRecords\":%zu", n);
    if (n == 0)
        return rc | tl_buf_puts(out, "}");
    for (int pass = 0; pass < 2; pass++) {
        int mx = pass == 1;
        rc |= tl_buf_puts(out, mx ? ",\"maxValues\":{" : ",\"minValues\":{");
        rc |= tl_buf_puts(out, "\"symbol\":");
        rc |= tl_buf_json_string(out, mx ? sym_max : sym_min, strlen(mx ? sym_max : sym_min));
        rc |= tl_buf_puts(out, ",");
        rc |= put_ts(out, "ts", mx ? r[C_TS].max : r[C_TS].min);
        rc |= tl_buf_puts(out, ",");
        rc |= put_decimal(out, "price", mx ? r[C_PRICE].max : r[C_PRICE].min);
        if (r[C_SIZE].seen)
            rc |= tl_buf_printf(out, ",\"size\":%lld",
                                (long long)(mx ? r[C_SIZE].max : r[C_SIZE].min));
        if (r[C_BID].seen)
            rc |= tl_buf_puts(out, ",") | put_decimal(out, "bid", mx ? r[C_BID].max : r[C_BID].min);
        if (r[C_ASK].seen)
            rc |= tl_buf_puts(out, ",") | put_decimal(out, "ask", mx ? r[C_ASK].max : r[C_ASK].min);
        if (ex_min) {
            const char *e = mx ? ex_max : ex_min;
            rc |= tl_buf_puts(out, ",\"exchange\":") | tl_buf_json_string(out, e, strlen(e));
        }
        if (r[C_SEQ].seen)
            rc |=
                tl_buf_printf(out, ",\"seq\":%lld", (long long)(mx ? r[C_SEQ].max : r[C_SEQ].min));
        rc |= tl_buf_printf(out, ",\"src_partition\":%lld,\"src_offset\":%lld,",
                            (long long)(mx ? r[C_PART].max : r[C_PART].min),
                            (long long)(mx ? r[C_OFFSET].max : r[C_OFFSET].min));
        rc |= put_ts(out, "ingest_ts", mx ? r[C_INGEST].max : r[C_INGEST].min);
        rc |= tl_buf_puts(out, "}");
    }
    rc |=
        tl_buf_printf(out,
                      ",\"nullCount\":{\"symbol\":0,\"ts\":0,\"price\":0,\"size\":%zu,\"bid\":%zu,"
                      "\"ask\":%zu,\"exchange\":%zu,\"seq\":%zu,\"late\":0,\"src_partition\":0,"
                      "\"src_offset\":0,\"ingest_ts\":0}}",
                      r[C_SIZE].nulls, r[C_BID].nulls, r[C_ASK].nulls, ex_nulls, r[C_SEQ].nulls);
    return rc ? -1 : 0;
}
