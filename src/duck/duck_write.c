/* duck_write: tick rows -> one zstd Parquet file.
 *
 * Rows go into DuckDB as whole data chunks (vectors filled directly, no
 * per-value calls) through an appender on a temp table, inside a transaction;
 * one COPY writes the file and a ROLLBACK empties the table for the next
 * batch. The temp table, the
 * appender and the chunk are made on the first write and reused, since the
 * stream processor calls this for every file it flushes. */
#include "duck/duck_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/log.h"

#define TICK_TABLE "temp.main.tl_tick_batch"

/* Column order of the lake's tick schema (see duck.h). */
enum {
    COL_SYMBOL,
    COL_TS,
    COL_PRICE,
    COL_SIZE,
    COL_BID,
    COL_ASK,
    COL_EXCHANGE,
    COL_SEQ,
    COL_LATE,
    COL_SRC_PARTITION,
    COL_SRC_OFFSET,
    COL_INGEST_TS,
    NCOLS
};

static const char TICK_DDL[] =
    "CREATE OR REPLACE TEMP TABLE tl_tick_batch ("
    "symbol VARCHAR, ts TIMESTAMPTZ, price DECIMAL(18,6), size BIGINT, "
    "bid DECIMAL(18,6), ask DECIMAL(18,6), exchange VARCHAR, seq BIGINT, "
    "late BOOLEAN, src_partition INTEGER, src_offset BIGINT, "
    "ingest_ts TIMESTAMPTZ)";

static duckdb_logical_type col_type(int col) {
    switch (col) {
    case COL_SYMBOL:
    case COL_EXCHANGE: return duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    case COL_TS:
    case COL_INGEST_TS: return duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP_TZ);
    case COL_PRICE:
    case COL_BID:
    case COL_ASK: return duckdb_create_decimal_type(18, 6);
    case COL_LATE: return duckdb_create_logical_type(DUCKDB_TYPE_BOOLEAN);
    case COL_SRC_PARTITION: return duckdb_create_logical_type(DUCKDB_TYPE_INTEGER);
    default: return duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
    }
}

static int make_chunk(tl_duck_writer *w, tl_err *err) {
    duckdb_logical_type types[NCOLS];
    for (int i = 0; i < NCOLS; i++)
        types[i] = col_type(i);
    w->chunk = duckdb_create_data_chunk(types, NCOLS);
    for (int i = 0; i < NCOLS; i++)
        duckdb_destroy_logical_type(&types[i]);
    if (!w->chunk)
        return tl_err_set(err, TL_ERR_NOMEM, "duck: cannot create the tick data chunk");
    return 0;
}

static int writer_prepare(tl_duck *d, tl_err *err) {
    tl_duck_writer *w = &d->w;
    if (!w->table_ready) {
        if (tl_duck_exec(d, TICK_DDL, err) != 0)
            return tl_err_wrap(err, "duck: creating the tick batch table");
        w->table_ready = 1;
    }
    if (!w->app) {
        if (duckdb_appender_create_ext(d->con, "temp", "main", "tl_tick_batch", &w->app) ==
            DuckDBError) {
            int rc = tl_duck__fail(err, DUCKDB_ERROR_INVALID, "duck: appender",
                                   duckdb_appender_error(w->app), TICK_TABLE);
            duckdb_appender_destroy(&w->app);
            w->app = NULL;
            return rc;
        }
    }
    if (!w->chunk)
        return make_chunk(w, err);
    return 0;
}

/* End a write: ROLLBACK discards the batch, so the table is empty again
 * without DELETE leaving dead rows behind (which made every later COPY slower
 * and memory grow). After a failure the appender is dropped too, as it may
 * hold a half-appended batch or an error. */
static void writer_end(tl_duck *d, int in_txn, int failed) {
    if (failed && d->w.app) {
        duckdb_appender_destroy(&d->w.app);
        d->w.app = NULL;
    }
    if (in_txn && tl_duck_exec(d, "ROLLBACK", NULL) != 0) {
        tl_warn("duck", "cannot roll back the tick batch; recreating the batch table");
        if (d->w.app)
            duckdb_appender_destroy(&d->w.app);
        d->w.app = NULL;
        d->w.table_ready = 0; /* CREATE OR REPLACE on the next write */
    }
}

void tl_duck__writer_free(tl_duck *d) {
    if (d->w.app)
        duckdb_appender_destroy(&d->w.app);
    if (d->w.chunk)
        duckdb_destroy_data_chunk(&d->w.chunk);
    memset(&d->w, 0, sizeof d->w);
}

/* VARCHAR must be valid UTF-8 or DuckDB misbehaves later. */
static int utf8_valid(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
        if (c >= 0xF8 || (c >= 0x80 && c < 0xC2) || i + len > n)
            return 0;
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
        if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] >= 0xA0) ||
            (c == 0xF0 && s[i + 1] < 0x90) || c > 0xF4 || (c == 0xF4 && s[i + 1] >= 0x90))
            return 0; /* overlong, surrogate or beyond U+10FFFF */
        i += len;
    }
    return 1;
}

static int check_rows(const tl_tick_row *rows, size_t n, tl_err *err) {
    for (size_t i = 0; i < n; i++) {
        const tl_tick *t = &rows[i].tick;
        size_t sl = strnlen(t->symbol, sizeof t->symbol);
        size_t el = strnlen(t->exchange, sizeof t->exchange);
        if (sl == sizeof t->symbol || el == sizeof t->exchange)
            return tl_err_set(err, TL_ERR_INVALID,
                              "duck: row %zu: symbol or exchange not "
                              "NUL-terminated",
                              i);
        if (!utf8_valid((const unsigned char *)t->symbol, sl) ||
            !utf8_valid((const unsigned char *)t->exchange, el))
            return tl_err_set(err, TL_ERR_INVALID,
                              "duck: row %zu (symbol \"%s\"): symbol or exchange is not UTF-8", i,
                              t->symbol);
    }
    return 0;
}

/* An optional int64 column: the value, or NULL when the has-bit is clear. */
static void put_opt(int64_t *data, uint64_t *valid, idx_t i, int present, int64_t v) {
    data[i] = present ? v : 0;
    duckdb_validity_set_row_validity(valid, i, present);
}

static void fill_chunk(duckdb_data_chunk chunk, const tl_tick_row *rows, idx_t n) {
    duckdb_vector v[NCOLS];
    void *data[NCOLS];
    duckdb_data_chunk_reset(chunk);
    for (int c = 0; c < NCOLS; c++) {
        v[c] = duckdb_data_chunk_get_vector(chunk, c);
        data[c] = duckdb_vector_get_data(v[c]);
    }
    static const int optional[] = {COL_SIZE, COL_BID, COL_ASK, COL_EXCHANGE, COL_SEQ};
    uint64_t *valid[NCOLS] = {0};
    for (size_t k = 0; k < sizeof optional / sizeof optional[0]; k++) {
        duckdb_vector_ensure_validity_writable(v[optional[k]]);
        valid[optional[k]] = duckdb_vector_get_validity(v[optional[k]]);
    }
    for (idx_t i = 0; i < n; i++) {
        const tl_tick_row *r = &rows[i];
        const tl_tick *t = &r->tick;
        duckdb_vector_assign_string_element_len(v[COL_SYMBOL], i, t->symbol, strlen(t->symbol));
        ((int64_t *)data[COL_TS])[i] = t->ts_us;
        ((int64_t *)data[COL_PRICE])[i] = t->price; /* DECIMAL(18,6) is int64 micro-units */
        put_opt(data[COL_SIZE], valid[COL_SIZE], i, t->has & TL_TICK_HAS_SIZE, t->size);
        put_opt(data[COL_BID], valid[COL_BID], i, t->has & TL_TICK_HAS_BID, t->bid);
        put_opt(data[COL_ASK], valid[COL_ASK], i, t->has & TL_TICK_HAS_ASK, t->ask);
        put_opt(data[COL_SEQ], valid[COL_SEQ], i, t->has & TL_TICK_HAS_SEQ, t->seq);
        if (t->has & TL_TICK_HAS_EXCHANGE) {
            duckdb_vector_assign_string_element_len(v[COL_EXCHANGE], i, t->exchange,
                                                    strlen(t->exchange));
            duckdb_validity_set_row_valid(valid[COL_EXCHANGE], i);
        } else {
            duckdb_validity_set_row_invalid(valid[COL_EXCHANGE], i);
        }
        ((bool *)data[COL_LATE])[i] = r->late;
        ((int32_t *)data[COL_SRC_PARTITION])[i] = r->src_partition;
        ((int64_t *)data[COL_SRC_OFFSET])[i] = r->src_offset;
        ((int64_t *)data[COL_INGEST_TS])[i] = r->ingest_ts_us;
    }
    duckdb_data_chunk_set_size(chunk, n);
}

static int append_rows(tl_duck *d, const tl_tick_row *rows, size_t n, tl_err *err) {
    idx_t cap = duckdb_vector_size();
    for (size_t off = 0; off < n; off += cap) {
        idx_t m = n - off < cap ? n - off : cap;
        fill_chunk(d->w.chunk, rows + off, m);
        if (duckdb_append_data_chunk(d->w.app, d->w.chunk) == DuckDBError)
            return tl_duck__fail(err, DUCKDB_ERROR_INVALID, "duck: appending ticks",
                                 duckdb_appender_error(d->w.app), TICK_TABLE);
    }
    if (duckdb_appender_flush(d->w.app) == DuckDBError)
        return tl_duck__fail(err, DUCKDB_ERROR_INVALID, "duck: flushing ticks",
                             duckdb_appender_error(d->w.app), TICK_TABLE);
    return 0;
}

static int copy_to(tl_duck *d, const char *path, tl_err *err) {
    size_t cap = 2 * strlen(path) + 1;
    char *quoted = malloc(cap);
    tl_buf sql = TL_BUF_INIT;
    int rc;
    if (!quoted || tl_duck_quote(path, quoted, cap) != 0 ||
        tl_buf_printf(&sql, "COPY " TICK_TABLE " TO '%s' (FORMAT parquet, COMPRESSION zstd)",
                      quoted) != 0)
        rc = tl_err_set(err, TL_ERR_NOMEM, "duck: out of memory writing %s", path);
    else if ((rc = tl_duck_exec(d, sql.data, err)) != 0)
        tl_err_wrap(err, "duck: writing %s", path);
    free(quoted);
    tl_buf_free(&sql);
    return rc;
}

int tl_duck_write_ticks(tl_duck *d, const tl_tick_row *rows, size_t n, const char *path,
                        int64_t *size_out, tl_err *err) {
    struct stat st;
    int rc;
    if (!d || !path || !*path || (n > 0 && !rows))
        return tl_err_set(err, TL_ERR_INVALID, "duck: write_ticks needs a handle, rows and path");
    if ((rc = check_rows(rows, n, err)) != 0)
        return rc;
    if ((rc = writer_prepare(d, err)) != 0)
        return rc;
    /* The batch lives only inside this transaction; see writer_end. */
    if ((rc = tl_duck_exec(d, "BEGIN TRANSACTION", err)) != 0) {
        /* the caller's open transaction may also roll back our table */
        tl_duck__writer_free(d);
        return tl_err_wrap(err, "duck: write_ticks (is a transaction already open?)");
    }
    rc = append_rows(d, rows, n, err);
    if (rc == 0)
        rc = copy_to(d, path, err);
    writer_end(d, 1, rc != 0);
    if (rc != 0)
        return rc;
    if (stat(path, &st) != 0)
        return tl_err_set(err, TL_ERR_IO, "duck: wrote %s but cannot stat it", path);
    if (size_out)
        *size_out = (int64_t)st.st_size;
    return 0;
}
