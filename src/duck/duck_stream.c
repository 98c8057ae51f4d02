/* duck_stream: run SQL and hand its result to a sink one row at a time, each
 * value already rendered as text, without materialising the whole result.
 *
 * A SQL string may hold several statements; all but the last run to
 * completion first, the last one streams. DuckDB allows one open streaming
 * result per connection, so a sink must not run SQL on the same handle. */
#include "duck/duck_int.h"

#include <stdint.h>
#include <stdlib.h>

/* The columns of an open result, plus per-row scratch space. */
typedef struct cols {
    idx_t n;
    const char **names;
    duckdb_logical_type *types;
    tl_duck_kind *kinds;
    size_t *offs, *lens;
    const char **vals;
    tl_buf cells; /* the current row's rendered values, NUL-separated */
} cols;

static void cols_free(cols *c) {
    for (idx_t i = 0; c->types && i < c->n; i++)
        duckdb_destroy_logical_type(&c->types[i]);
    free(c->names);
    free(c->types);
    free(c->kinds);
    free(c->offs);
    free(c->lens);
    free(c->vals);
    tl_buf_free(&c->cells);
}

static int cols_init(cols *c, duckdb_result *res, tl_err *err) {
    idx_t n = duckdb_column_count(res);
    size_t m = n ? n : 1;
    c->n = n;
    c->names = calloc(m, sizeof *c->names);
    c->types = calloc(m, sizeof *c->types);
    c->kinds = calloc(m, sizeof *c->kinds);
    c->offs = calloc(m, sizeof *c->offs);
    c->lens = calloc(m, sizeof *c->lens);
    c->vals = calloc(m, sizeof *c->vals);
    if (!c->names || !c->types || !c->kinds || !c->offs || !c->lens || !c->vals)
        return tl_err_set(err, TL_ERR_NOMEM, "duck: out of memory for %llu result columns",
                          (unsigned long long)n);
    for (idx_t i = 0; i < n; i++) {
        c->names[i] = duckdb_column_name(res, i);
        c->types[i] = duckdb_column_logical_type(res, i);
        c->kinds[i] = tl_duck__kind(c->types[i]);
    }
    return 0;
}

/* Render row r of chunk into c->vals/c->lens. */
static int render_row(cols *c, duckdb_vector *vecs, uint64_t **valid, idx_t r, tl_err *err) {
    tl_buf_reset(&c->cells);
    for (idx_t i = 0; i < c->n; i++) {
        if (valid[i] && !duckdb_validity_row_is_valid(valid[i], r)) {
            c->offs[i] = SIZE_MAX;
            continue;
        }
        c->offs[i] = c->cells.len;
        int rc = tl_duck__render(vecs[i], c->types[i], r, &c->cells, err);
        if (rc != 0)
            return tl_err_wrap(err, rc, "column \"%s\"", c->names[i]);
        c->lens[i] = c->cells.len - c->offs[i];
        if (tl_buf_append(&c->cells, "", 1) != 0) /* keep each value NUL-terminated */
            return tl_err_set(err, TL_ERR_NOMEM, "duck: out of memory rendering a row");
    }
    for (idx_t i = 0; i < c->n; i++)
        c->vals[i] = c->offs[i] == SIZE_MAX ? NULL : c->cells.data + c->offs[i];
    return 0;
}

static int emit_chunk(cols *c, duckdb_data_chunk chunk, const tl_duck_sink *sink, tl_err *err) {
    duckdb_vector vecs[c->n ? c->n : 1];
    uint64_t *valid[c->n ? c->n : 1];
    for (idx_t i = 0; i < c->n; i++) {
        vecs[i] = duckdb_data_chunk_get_vector(chunk, i);
        valid[i] = duckdb_vector_get_validity(vecs[i]);
    }
    idx_t rows = duckdb_data_chunk_get_size(chunk);
    for (idx_t r = 0; r < rows; r++) {
        int rc = render_row(c, vecs, valid, r, err);
        if (rc == 0)
            rc = sink->row(sink->ud, (int)c->n, c->vals, c->lens);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int stream_result(duckdb_result *res, const tl_duck_sink *sink, const char *sql,
                         tl_err *err) {
    cols c = {0};
    duckdb_data_chunk chunk;
    int rc = cols_init(&c, res, err);
    if (rc == 0 && sink->header)
        rc = sink->header(sink->ud, (int)c.n, c.names, c.kinds);
    while (rc == 0 && (chunk = duckdb_fetch_chunk(*res)) != NULL) {
        rc = emit_chunk(&c, chunk, sink, err);
        duckdb_destroy_data_chunk(&chunk);
    }
    /* fetch_chunk returns NULL both at the end and on an error mid-stream */
    const char *msg = duckdb_result_error(res);
    if (rc == 0 && msg)
        rc = tl_duck__fail(err, duckdb_result_error_type(res), "duck: query", msg, sql);
    cols_free(&c);
    return rc;
}

static int run_extracted(tl_duck *d, duckdb_extracted_statements ext, idx_t i, const char *sql,
                         tl_err *err) {
    duckdb_prepared_statement ps = NULL;
    duckdb_result res = {0};
    int rc = 0;
    if (duckdb_prepare_extracted_statement(d->con, ext, i, &ps) == DuckDBError) {
        rc = tl_duck__fail(err, DUCKDB_ERROR_INVALID, "duck: prepare", duckdb_prepare_error(ps),
                           sql);
        goto done;
    }
    if (duckdb_execute_prepared(ps, &res) == DuckDBError)
        rc = tl_duck__fail(err, duckdb_result_error_type(&res), "duck: query",
                           duckdb_result_error(&res), sql);
    duckdb_destroy_result(&res);
done:
    duckdb_destroy_prepare(&ps);
    return rc;
}

/* Stream the result of the prepared statement ps into sink. */
static int stream_prepared(duckdb_prepared_statement ps, const tl_duck_sink *sink,
                           const char *sql, tl_err *err) {
    duckdb_pending_result pend = NULL;
    duckdb_result res = {0};
    int have_res = 0, rc = 0;
    /* Deprecated in 1.4 but the only way to ask for a streaming result in
     * the pinned C API; the replacement is not in this version. */
    if (duckdb_pending_prepared_streaming(ps, &pend) == DuckDBError) {
        rc = tl_duck__fail(err, DUCKDB_ERROR_INVALID, "duck: query", duckdb_pending_error(pend),
                           sql);
        goto done;
    }
    have_res = 1;
    if (duckdb_execute_pending(pend, &res) == DuckDBError) {
        rc = tl_duck__fail(err, duckdb_result_error_type(&res), "duck: query",
                           duckdb_result_error(&res), sql);
        goto done;
    }
    rc = stream_result(&res, sink, sql, err);
done:
    if (have_res)
        duckdb_destroy_result(&res);
    duckdb_destroy_pending(&pend);
    return rc;
}

/* Statement i of ext, prepared (a statement can be prepared only once). */
static int prepare(tl_duck *d, duckdb_extracted_statements ext, idx_t i, const char *sql,
                   duckdb_prepared_statement *ps, tl_err *err) {
    if (duckdb_prepare_extracted_statement(d->con, ext, i, ps) == DuckDBError)
        return tl_duck__fail(err, DUCKDB_ERROR_INVALID, "duck: prepare", duckdb_prepare_error(*ps),
                             sql);
    return 0;
}

/* Prepare statement i of ext and stream its result into sink. */
static int stream_extracted(tl_duck *d, duckdb_extracted_statements ext, idx_t i,
                            const tl_duck_sink *sink, const char *sql, tl_err *err) {
    duckdb_prepared_statement ps = NULL;
    int rc = prepare(d, ext, i, sql, &ps, err);
    if (rc == 0)
        rc = stream_prepared(ps, sink, sql, err);
    duckdb_destroy_prepare(&ps);
    return rc;
}

static idx_t extract(tl_duck *d, const char *sql, duckdb_extracted_statements *ext, tl_err *err) {
    idx_t n = duckdb_extract_statements(d->con, sql, ext);
    if (n == 0) {
        const char *msg = duckdb_extract_statements_error(*ext);
        tl_duck__fail(err, DUCKDB_ERROR_PARSER, "duck: parse", msg ? msg : "no SQL statement",
                      sql);
    }
    return n;
}

int tl_duck__stream(tl_duck *d, const char *sql, const tl_duck_sink *sink, tl_err *err) {
    duckdb_extracted_statements ext = NULL;
    int rc = 0;
    idx_t n = extract(d, sql, &ext, err);
    if (n == 0) {
        rc = err && err->code ? err->code : TL_ERR_DUCKDB;
        goto done;
    }
    for (idx_t i = 0; i + 1 < n && rc == 0; i++)
        rc = run_extracted(d, ext, i, sql, err);
    if (rc == 0)
        rc = stream_extracted(d, ext, n - 1, sink, sql, err);
done:
    duckdb_destroy_extracted(&ext);
    return rc;
}

/* Statements whose result is rows to show, not a "Success" or row count. */
static bool returns_rows(duckdb_statement_type t) {
    return t == DUCKDB_STATEMENT_TYPE_SELECT || t == DUCKDB_STATEMENT_TYPE_EXPLAIN ||
           t == DUCKDB_STATEMENT_TYPE_PRAGMA || t == DUCKDB_STATEMENT_TYPE_CALL ||
           t == DUCKDB_STATEMENT_TYPE_EXECUTE || t == DUCKDB_STATEMENT_TYPE_RELATION;
}

int tl_duck__stream_all(tl_duck *d, const char *sql, const tl_duck_sink *sink,
                        int (*each)(void *ud, size_t i, bool end), tl_err *err) {
    duckdb_extracted_statements ext = NULL;
    int rc = 0;
    idx_t n = extract(d, sql, &ext, err);
    if (n == 0)
        rc = err && err->code ? err->code : TL_ERR_DUCKDB;
    for (idx_t i = 0, shown = 0; i < n && rc == 0; i++) {
        duckdb_prepared_statement ps = NULL;
        duckdb_result res = {0};
        rc = prepare(d, ext, i, sql, &ps, err);
        /* the last one always prints, as a single statement does */
        if (rc == 0 && (i + 1 == n || returns_rows(duckdb_prepared_statement_type(ps)))) {
            rc = each(sink->ud, (size_t)shown++, false);
            if (rc == 0)
                rc = stream_prepared(ps, sink, sql, err);
            if (rc == 0)
                rc = each(sink->ud, (size_t)shown - 1, true);
        } else if (rc == 0) {
            if (duckdb_execute_prepared(ps, &res) == DuckDBError)
                rc = tl_duck__fail(err, duckdb_result_error_type(&res), "duck: query",
                                   duckdb_result_error(&res), sql);
            duckdb_destroy_result(&res);
        }
        duckdb_destroy_prepare(&ps);
        if (rc != 0 && n > 1)
            tl_err_wrap(err, rc, "statement %llu of %llu", (unsigned long long)i + 1,
                        (unsigned long long)n);
    }
    duckdb_destroy_extracted(&ext);
    return rc;
}
