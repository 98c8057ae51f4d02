/* libFuzzer target, differential: random tick rows -> the native Parquet
 * writer (src/parquet/) -> DuckDB's reader. Every value must come back as
 * written, in every column, whatever the NULLs, strings, extremes, page
 * and row-group sizes; rows the writer must refuse (a symbol or exchange
 * that is not UTF-8) must be refused, with no file left behind.
 *
 * Input layout: byte 0 picks the page size, byte 1 the row-group size
 * (small, so few rows make several of each), then 24 bytes per row:
 *   [0]    optional-field bits (TL_TICK_HAS_*) and late
 *   [1]    symbol: < 0xc0 picks one of a few dozen names (so dictionary
 *          indices repeat and runs form), else the next byte says how many
 *          raw bytes follow (1..12, any value but NUL)
 *   [2]    exchange, the same way (1..16 raw bytes)
 *   [3..]  price, size, bid, ask, seq, ts deltas from little-endian bytes
 * A short tail is ignored. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "duck/duck.h"
#include "parquet/parquet.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ROWS 512

static tl_duck *duck;
static tl_pq_writer *writer;
static char path[256];
static tl_tick_row rows[MAX_ROWS];

static void die(const char *what) {
    fprintf(stderr, "fuzz_parquet: %s\n", what);
    abort();
}

typedef struct cursor {
    const uint8_t *p, *end;
} cursor;

static uint8_t take8(cursor *c) {
    return c->p < c->end ? *c->p++ : 0;
}

static uint64_t take(cursor *c, int nbytes) {
    uint64_t v = 0;
    for (int i = 0; i < nbytes; i++)
        v |= (uint64_t)take8(c) << (8 * i);
    return v;
}

/* A name from the pool, or raw bytes (no NUL); false if not UTF-8. */
static bool take_string(cursor *c, char *out, size_t cap) {
    static const char *const pool[] = {"AAPL", "MSFT", "", "X", "日本", "€", "BRK.B",
                                       "LONGSYMBOL12", "ÄÖÜ", "a\"b", "z"};
    uint8_t b = take8(c);
    if (b < 0xc0) {
        const char *s = pool[b % (sizeof pool / sizeof *pool)];
        if (strlen(s) < cap)
            snprintf(out, cap, "%s", s);
        else
            out[0] = '\0';
        return true;
    }
    size_t n = 1 + take8(c) % (cap - 1), k = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t x = take8(c);
        if (x)
            out[k++] = (char)x;
    }
    out[k] = '\0';
    return tl_utf8_valid(out, k);
}

/* Within DECIMAL(18,6). */
static int64_t money(uint64_t v) {
    return (int64_t)(v % (2 * (uint64_t)TL_MONEY_MAX_MICROS + 1)) - TL_MONEY_MAX_MICROS;
}

static void micros_text(int64_t v, char *out, size_t cap) {
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    snprintf(out, cap, "%s%" PRIu64 ".%06" PRIu64, v < 0 ? "-" : "", u / 1000000, u % 1000000);
}

typedef struct readback {
    size_t row;
} readback;

static int on_row(void *ud, int ncols, const char *const *values) {
    readback *rb = ud;
    if (ncols != 12 || rb->row >= MAX_ROWS)
        die("read back: wrong shape");
    const tl_tick_row *r = &rows[rb->row];
    const tl_tick *t = &r->tick;
    char want[12][48];
    const char *w[12];
    snprintf(want[0], 48, "%s", t->symbol);
    snprintf(want[1], 48, "%" PRId64, t->ts_us);
    micros_text(t->price, want[2], 48);
    snprintf(want[3], 48, "%" PRId64, t->size);
    micros_text(t->bid, want[4], 48);
    micros_text(t->ask, want[5], 48);
    snprintf(want[6], 48, "%s", t->exchange);
    snprintf(want[7], 48, "%" PRId64, t->seq);
    snprintf(want[8], 48, "%s", r->late ? "true" : "false");
    snprintf(want[9], 48, "%d", (int)r->src_partition);
    snprintf(want[10], 48, "%" PRId64, r->src_offset);
    snprintf(want[11], 48, "%" PRId64, r->ingest_ts_us);
    static const unsigned bit[12] = {0, 0, 0, TL_TICK_HAS_SIZE, TL_TICK_HAS_BID, TL_TICK_HAS_ASK,
                                     TL_TICK_HAS_EXCHANGE, TL_TICK_HAS_SEQ};
    for (int i = 0; i < 12; i++) {
        w[i] = bit[i] && !(t->has & bit[i]) ? NULL : want[i];
        if ((w[i] == NULL) != (values[i] == NULL) || (w[i] && strcmp(w[i], values[i]) != 0)) {
            fprintf(stderr, "fuzz_parquet: row %zu column %d read back as %s, wrote %s\n",
                    rb->row, i, values[i] ? values[i] : "NULL", w[i] ? w[i] : "NULL");
            die("a value changed through Parquet");
        }
    }
    rb->row++;
    return 0;
}

static void setup(void) {
    tl_err err = {0};
    if (!(duck = tl_duck_open(NULL, 0, NULL, &err)) || !(writer = tl_pq_writer_new()))
        die("cannot open DuckDB or the writer");
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(path, sizeof path, "%s/fuzz_parquet.%d.parquet", dir, (int)getpid());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!duck)
        setup();
    if (size < 2)
        return 0;
    cursor c = {data + 2, data + size};
    tl_pq_writer_set_limits(writer, 1 + data[0] % 64, 1 + data[1] % 200);
    size_t n = 0;
    bool valid = true;
    int64_t ts = 1795551303123456LL;
    while (n < MAX_ROWS && c.end - c.p >= 24) {
        tl_tick_row *r = &rows[n];
        memset(r, 0, sizeof *r);
        uint8_t bits = take8(&c);
        r->tick.has = bits & 0x1f;
        r->late = bits & 0x80;
        valid &= take_string(&c, r->tick.symbol, sizeof r->tick.symbol);
        bool exch_ok = take_string(&c, r->tick.exchange, sizeof r->tick.exchange);
        if (!(r->tick.has & TL_TICK_HAS_EXCHANGE))
            r->tick.exchange[0] = '\0'; /* absent: "" as the parser leaves it */
        else
            valid &= exch_ok;
        r->tick.price = money(take(&c, 4) * (bits & 0x40 ? 0x100000001ULL : 1));
        r->tick.size = (int64_t)(take(&c, 3) << (bits & 0x20 ? 40 : 0)); /* up to the sign bit */
        r->tick.bid = money(take(&c, 3));
        r->tick.ask = money(take(&c, 3));
        r->tick.seq = (int64_t)take(&c, 2) - 1000;
        ts += (int64_t)take(&c, 2) - 30000;
        if (ts < TL_TS_MIN_US || ts > TL_TS_MAX_US)
            ts = 0;
        r->tick.ts_us = ts;
        r->src_partition = (int32_t)(bits % 5) - 1;
        r->src_offset = (int64_t)n;
        r->ingest_ts_us = ts / 1000000 * 1000000;
        n++;
    }
    tl_err err = {0};
    int64_t fsize = 0;
    int rc = tl_pq_write_ticks(writer, rows, n, path, &fsize, &err);
    if (!valid) {
        if (rc != TL_ERR_INVALID || access(path, F_OK) == 0)
            die("a row that is not UTF-8 was not refused, or left a file");
        return 0;
    }
    if (rc != 0) {
        fprintf(stderr, "fuzz_parquet: %s\n", err.msg);
        die("the writer refused valid rows");
    }
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT symbol, epoch_us(ts), CAST(price AS VARCHAR), size, CAST(bid AS VARCHAR), "
             "CAST(ask AS VARCHAR), exchange, seq, late, src_partition, src_offset, "
             "epoch_us(ingest_ts) FROM read_parquet('%s') ORDER BY src_offset",
             path);
    readback rb = {0};
    if (tl_duck_query_each(duck, sql, on_row, &rb, &err) != 0) {
        fprintf(stderr, "fuzz_parquet: read back failed: %s\n", err.msg);
        die("the written file does not read back");
    }
    if (rb.row != n)
        die("not every row read back");
    unlink(path);
    return 0;
}
