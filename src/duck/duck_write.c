/* duck_write: tick rows -> one zstd Parquet file.
 *
 * The rows reach DuckDB's Parquet writer as whole data chunks (vectors
 * filled directly, no per-value calls) from a table function of our own,
 * tl_tick_rows(), scanned by one `COPY (SELECT * FROM tl_tick_rows()) TO`.
 * Nothing is materialised in between: no temp table, no appender. The
 * function is registered on the connection at the first write. */
#include "duck/duck_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tables/tables.h"
#include "util/log.h"
#include "util/utf8.h"

/* Column order of the lake's tick schema: tl_ticks_table's data columns
 * (src/tables/ticks.c), which gives their names and types; this enum only
 * says which slot fill_chunk puts each value in (checked when registered). */
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

static duckdb_logical_type col_type(const tl_table *t, size_t col) {
    switch (t->cols[col].type) {
    case TL_COL_STRING: return duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    case TL_COL_TIMESTAMP: return duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP_TZ);
    case TL_COL_DECIMAL: return duckdb_create_decimal_type(18, 6);
    case TL_COL_BOOL: return duckdb_create_logical_type(DUCKDB_TYPE_BOOLEAN);
    case TL_COL_INT: return duckdb_create_logical_type(DUCKDB_TYPE_INTEGER);
    case TL_COL_LIST: {
        duckdb_logical_type v = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
        duckdb_logical_type l = duckdb_create_list_type(v);
        duckdb_destroy_logical_type(&v);
        return l;
    }
    case TL_COL_LONG: break;
    }
    return duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
}

void tl_duck__writer_free(tl_duck *d) {
    memset(&d->w, 0, sizeof d->w);
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
        /* The parser dead-letters these per record (bad_utf8:<field>);
         * this is the last line of defence for rows from elsewhere. */
        if (!tl_utf8_valid(t->symbol, sl) || !tl_utf8_valid(t->exchange, el))
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

/* ---- added columns (schema evolution) ------------------------------------- */

static void put_list(duckdb_vector v, idx_t i, const tl_tick_ext *x, const tl_ext_val *val) {
    duckdb_vector child = duckdb_list_vector_get_child(v);
    idx_t at = duckdb_list_vector_get_size(v);
    duckdb_list_vector_reserve(v, at + (idx_t)val->i);
    child = duckdb_list_vector_get_child(v); /* reserve may have moved it */
    uint32_t pos = 0, len;
    for (int64_t k = 0; k < val->i; k++) {
        const char *item = tl_tick_ext_list_item(x, val, &pos, &len);
        duckdb_vector_assign_string_element_len(child, at + (idx_t)k, item, len);
    }
    duckdb_list_entry *e = duckdb_vector_get_data(v);
    e[i] = (duckdb_list_entry){at, (uint64_t)val->i};
    duckdb_list_vector_set_size(v, at + (idx_t)val->i);
}

/* One value of an added column, or NULL. */
static void put_added(duckdb_vector v, uint64_t *valid, idx_t i, tl_col_type type,
                      const tl_tick_ext *x, int slot) {
    const tl_ext_val *val = x && slot >= 0 && (uint32_t)slot < x->nvals ? &x->vals[slot] : NULL;
    if (slot < 0) { /* the kept unknown fields */
        if (x && x->extra_len)
            duckdb_vector_assign_string_element_len(v, i, x->data + x->extra_off, x->extra_len);
        else
            duckdb_validity_set_row_invalid(valid, i);
        return;
    }
    if (!val || !val->present) {
        duckdb_validity_set_row_invalid(valid, i);
        return;
    }
    switch (type) {
    case TL_COL_STRING:
        duckdb_vector_assign_string_element_len(v, i, x->data + val->off, val->len);
        break;
    case TL_COL_BOOL: ((bool *)duckdb_vector_get_data(v))[i] = val->i != 0; break;
    case TL_COL_LIST: put_list(v, i, x, val); break;
    case TL_COL_INT: duckdb_validity_set_row_invalid(valid, i); break;
    case TL_COL_LONG:
    case TL_COL_DECIMAL:
    case TL_COL_TIMESTAMP: ((int64_t *)duckdb_vector_get_data(v))[i] = val->i; break;
    }
}

static void fill_added(duckdb_data_chunk chunk, const tl_table *t, const tl_tick_row *rows,
                       idx_t n) {
    int slot = 0;
    for (size_t c = NCOLS; c < t->ncols; c++) {
        bool kept = strcmp(t->cols[c].name, TL_EXTRA_COLUMN) == 0;
        duckdb_vector v = duckdb_data_chunk_get_vector(chunk, (idx_t)c);
        duckdb_vector_ensure_validity_writable(v);
        uint64_t *valid = duckdb_vector_get_validity(v);
        for (idx_t i = 0; i < n; i++) {
            duckdb_validity_set_row_valid(valid, i);
            put_added(v, valid, i, t->cols[c].type, rows[i].ext, kept ? -1 : slot);
        }
        slot += !kept;
    }
}

static void fill_chunk(duckdb_data_chunk chunk, const tl_table *tab, const tl_tick_row *rows,
                       idx_t n) {
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
    if (tab->ncols > NCOLS)
        fill_added(chunk, tab, rows, n);
    duckdb_data_chunk_set_size(chunk, n);
}

/* ---- the tl_tick_rows() table function ---------------------------------- */

static void rows_bind(duckdb_bind_info info) {
    tl_duck *d = duckdb_bind_get_extra_info(info);
    const tl_table *tab = d->w.table ? d->w.table : &tl_ticks_table;
    for (size_t c = 0; c < tab->ncols; c++) {
        duckdb_logical_type t = col_type(tab, c);
        duckdb_bind_add_result_column(info, tab->cols[c].name, t);
        duckdb_destroy_logical_type(&t);
    }
}

/* One scan thread: the cursor in the handle is not shared. */
static void rows_init(duckdb_init_info info) {
    duckdb_init_set_max_threads(info, 1);
}

static void rows_scan(duckdb_function_info info, duckdb_data_chunk out) {
    tl_duck *d = duckdb_function_get_extra_info(info);
    size_t left = d->w.n - d->w.pos, cap = duckdb_vector_size();
    idx_t m = left < cap ? left : cap;
    fill_chunk(out, d->w.table, d->w.rows + d->w.pos, m); /* size 0 ends the scan */
    d->w.pos += m;
}

static int register_rows_fn(tl_duck *d, tl_err *err) {
    if (tl_ticks_table.ncols != NCOLS)
        return tl_err_set(err, TL_ERR_INVALID,
                          "duck: the ticks table has %zu columns but the writer fills %d",
                          tl_ticks_table.ncols, (int)NCOLS);
    duckdb_table_function tf = duckdb_create_table_function();
    duckdb_table_function_set_name(tf, "tl_tick_rows");
    duckdb_table_function_set_extra_info(tf, d, NULL);
    duckdb_table_function_set_bind(tf, rows_bind);
    duckdb_table_function_set_init(tf, rows_init);
    duckdb_table_function_set_function(tf, rows_scan);
    duckdb_state st = duckdb_register_table_function(d->con, tf);
    duckdb_destroy_table_function(&tf);
    if (st == DuckDBError)
        return tl_err_set(err, TL_ERR_DUCKDB, "duck: cannot register tl_tick_rows()");
    d->w.fn_ready = 1;
    return 0;
}

/* zstd level 1, not DuckDB's default 3: on the stream's files (ticks in
 * arrival order, 25,000-100,000 rows) level 1 is both cheaper and 2-3.5%
 * smaller (bench/parquet_size.sh; BENCHMARKS.md "Parquet size"). Sorted
 * files (compaction) are smaller at 3, so compaction keeps the default. */
static int copy_to(tl_duck *d, const char *path, tl_err *err) {
    size_t cap = 2 * strlen(path) + 1;
    char *quoted = malloc(cap);
    tl_buf sql = TL_BUF_INIT;
    int rc;
    if (!quoted || tl_duck_quote(path, quoted, cap) != 0 ||
        tl_buf_printf(&sql,
                      "COPY (SELECT * FROM tl_tick_rows()) TO '%s' (%s, COMPRESSION_LEVEL 1)",
                      quoted, tl_duck_parquet_format(d)) != 0)
        rc = tl_err_set(err, TL_ERR_NOMEM, "duck: out of memory writing %s", path);
    else if ((rc = tl_duck_exec(d, sql.data, err)) != 0)
        tl_err_wrap(err, rc, "duck: writing %s", path);
    free(quoted);
    tl_buf_free(&sql);
    return rc;
}

int tl_duck_write_ticks(tl_duck *d, const tl_tick_row *rows, size_t n, const char *path,
                        int64_t *size_out, tl_err *err) {
    return tl_duck_write_ticks_as(d, &tl_ticks_table, rows, n, path, size_out, err);
}

/* The built-in columns must lead, as fill_chunk fills them by position. */
static int check_table(const tl_table *t, tl_err *err) {
    if (t->ncols < NCOLS)
        return tl_err_set(err, TL_ERR_INVALID, "duck: a ticks schema needs the %d built-in columns",
                          (int)NCOLS);
    for (int c = 0; c < NCOLS; c++)
        if (strcmp(t->cols[c].name, tl_ticks_table.cols[c].name) != 0 ||
            t->cols[c].type != tl_ticks_table.cols[c].type)
            return tl_err_set(err, TL_ERR_INVALID,
                              "duck: ticks column %d is '%s', the writer fills '%s' there", c,
                              t->cols[c].name, tl_ticks_table.cols[c].name);
    return 0;
}

int tl_duck_write_ticks_as(tl_duck *d, const tl_table *t, const tl_tick_row *rows, size_t n,
                           const char *path, int64_t *size_out, tl_err *err) {
    struct stat st;
    int rc;
    if (!d || !t || !path || !*path || (n > 0 && !rows))
        return tl_err_set(err, TL_ERR_INVALID, "duck: write_ticks needs a handle, rows and path");
    if ((rc = check_table(t, err)) != 0)
        return rc;
    if ((rc = check_rows(rows, n, err)) != 0)
        return rc;
    if (!d->w.fn_ready && (rc = register_rows_fn(d, err)) != 0)
        return rc;
    d->w.rows = rows;
    d->w.table = t;
    d->w.n = n;
    d->w.pos = 0;
    rc = copy_to(d, path, err);
    d->w.rows = NULL;
    d->w.table = NULL;
    d->w.n = d->w.pos = 0;
    if (rc != 0)
        return rc;
    if (stat(path, &st) != 0)
        return tl_err_set(err, TL_ERR_IO, "duck: wrote %s but cannot stat it", path);
    if (size_out)
        *size_out = (int64_t)st.st_size;
    return 0;
}
