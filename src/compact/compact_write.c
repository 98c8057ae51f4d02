/* compact_write — the DuckDB side of a rewrite: read the inputs, sort them
 * in the table's order ((symbol, ts) for ticks), write zstd Parquet files
 * of about the target size.
 *
 * The sort key is an ENUM of the split column's values, not the VARCHAR
 * itself: DuckDB sorts a key with a VARCHAR in it as variable-size keys,
 * compared with memcmp (a third of the sort's time in perf on 1M ticks),
 * while an ENUM is a small integer, so (symbol, ts) becomes a fixed-size
 * key radix-sorted. The ENUM's members are the values in the order DuckDB's
 * ORDER BY gives them (the per-value count query below, which the split
 * needs anyway), so the rows come out in exactly the order of ORDER BY
 * symbol, ts; the outputs' column stays VARCHAR.
 *
 * DuckDB only keeps ORDER BY across one output file (with FILE_SIZE_BYTES
 * or ROW_GROUPS_PER_FILE it writes files in parallel and interleaves row
 * groups), so several outputs are written as several COPYs over disjoint
 * ranges of the layout's split column (symbol for ticks), chosen from
 * per-value row counts to balance the files. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compact/compact_int.h"

typedef struct sym_count {
    char *symbol; /* a value of the split column; NULL for NULL */
    int64_t rows;
} sym_count;

typedef struct sym_list {
    sym_count *v;
    size_t n, cap;
    int oom;
} sym_list;

static int on_sym(void *ud, int ncols, const char *const *v) {
    sym_list *l = ud;
    if (ncols < 2)
        return 0;
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 64;
        sym_count *nv = realloc(l->v, ncap * sizeof *nv);
        if (!nv)
            return l->oom = 1;
        l->v = nv;
        l->cap = ncap;
    }
    l->v[l->n].symbol = v[0] ? strdup(v[0]) : NULL;
    l->v[l->n].rows = v[1] ? strtoll(v[1], NULL, 10) : 0;
    if (v[0] && !l->v[l->n].symbol)
        return l->oom = 1;
    l->n++;
    return 0;
}

static void sym_list_free(sym_list *l) {
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].symbol);
    free(l->v);
}

/* The ENUM type the sort key casts the split column to. */
#define KEY_TYPE "tl_compact_key"
/* Past this many distinct values the ENUM is not built (its CREATE TYPE
 * alone would run to megabytes of SQL); rows are then sorted on the column. */
#define KEY_MAX_VALUES 100000

/* CREATE OR REPLACE TYPE KEY_TYPE AS ENUM (the non-NULL values of syms, in
 * their order: ORDER BY's) and the ORDER BY list over it into order; the
 * plain l->order_by when there is no value or too many. */
static int sort_key(tl_duck *d, const compact_layout *l, const sym_list *syms, tl_buf *order,
                    tl_err *err) {
    tl_buf sql = TL_BUF_INIT;
    size_t nvals = 0;
    int rc = tl_buf_puts(&sql, "CREATE OR REPLACE TYPE " KEY_TYPE " AS ENUM (");
    for (size_t i = 0; i < syms->n && syms->n <= KEY_MAX_VALUES && !rc; i++) {
        const char *v = syms->v[i].symbol;
        if (!v)
            continue; /* NULL is no member: it casts to NULL and sorts as before */
        size_t cap = strlen(v) * 2 + 1;
        char *q = malloc(cap);
        rc = !q || tl_duck_quote(v, q, cap) || tl_buf_printf(&sql, "%s'%s'", nvals ? "," : "", q);
        free(q);
        nvals++;
    }
    tl_buf_reset(order);
    if (!rc && (nvals == 0 || syms->n > KEY_MAX_VALUES))
        rc = tl_buf_puts(order, l->order_by);
    else if (!rc)
        rc = tl_buf_puts(&sql, ")") ||
             tl_buf_printf(order, "CAST(%s AS " KEY_TYPE "), %s", l->split_col, l->order_rest);
    if (rc)
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    else if (nvals && syms->n <= KEY_MAX_VALUES)
        rc = tl_duck_exec(d, sql.data, err);
    tl_buf_free(&sql);
    return rc;
}

/* One COPY of the rows matching `where` (or all) into path, in order. */
static int copy_sorted(tl_duck *d, const char *order, const char *inputs_sql, const char *head,
                       const char *where, const char *path, tl_err *err) {
    char qp[4096];
    if (tl_duck_quote(path, qp, sizeof qp))
        return tl_err_set(err, TL_ERR_INVALID, "compact: output path too long: %s", path);
    tl_buf sql = TL_BUF_INIT;
    int rc = tl_buf_printf(&sql,
                           "COPY (SELECT * FROM (%s%sSELECT * FROM read_parquet(%s, "
                           "hive_partitioning=false, union_by_name=true))%s%s ORDER BY %s) "
                           "TO '%s' (%s)",
                           head ? head : "", head ? " UNION ALL BY NAME " : "", inputs_sql,
                           where ? " WHERE " : "", where ? where : "", order, qp,
                           tl_duck_parquet_format(d))
                 ? tl_err_set(err, TL_ERR_NOMEM, "out of memory")
                 : tl_duck_exec(d, sql.data, err);
    tl_buf_free(&sql);
    return rc;
}

/* "symbol >= 'A'" style bound on column c; NULLs sort first, into range 0. */
static int range_where(tl_buf *w, const char *c, const char *lo, const char *hi) {
    char ql[1024], qh[1024];
    tl_buf_reset(w);
    if ((lo && tl_duck_quote(lo, ql, sizeof ql)) || (hi && tl_duck_quote(hi, qh, sizeof qh)))
        return -1;
    if (!lo)
        return tl_buf_printf(w, "(%s IS NULL OR %s < '%s')", c, c, qh);
    if (!hi)
        return tl_buf_printf(w, "%s >= '%s'", c, ql);
    return tl_buf_printf(w, "%s >= '%s' AND %s < '%s'", c, ql, c, qh);
}

/* Symbols at which a new output starts: bounds[0..*nb), at most nfiles-1. */
static void choose_bounds(const sym_list *l, size_t nfiles, const char **bounds, size_t *nb) {
    int64_t total = 0, acc = 0;
    for (size_t i = 0; i < l->n; i++)
        total += l->v[i].rows;
    *nb = 0;
    for (size_t i = 0; i + 1 < l->n && *nb + 1 < nfiles; i++) {
        acc += l->v[i].rows;
        /* close output k once it holds its share of the rows */
        if (acc * (int64_t)nfiles >= total * (int64_t)(*nb + 1) && l->v[i + 1].symbol)
            bounds[(*nb)++] = l->v[i + 1].symbol;
    }
}

int tl_compact_write_sorted(tl_duck *d, const compact_layout *l, const char *inputs_sql,
                            const char *head, int64_t in_bytes, int64_t target, const char *tmpdir,
                            char ***out_paths, size_t *nout, tl_err *err) {
    *out_paths = NULL;
    *nout = 0;
    size_t nfiles = (size_t)llround((double)in_bytes / (double)(target > 0 ? target : 1));
    if (nfiles < 1)
        nfiles = 1;
    sym_list syms = {0};
    const char **bounds = NULL;
    size_t nb = 0;
    tl_buf w = TL_BUF_INIT, q = TL_BUF_INIT, order = TL_BUF_INIT;
    char **paths = NULL;
    int rc = 0;
    /* the split column's values and row counts: the sort key's ENUM and
     * the outputs' ranges */
    if (tl_buf_printf(&q,
                      "SELECT %s, count(*) FROM read_parquet(%s, hive_partitioning=false, "
                      "union_by_name=true) GROUP BY 1 ORDER BY 1 NULLS FIRST",
                      l->split_col, inputs_sql)) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* on_sym stops the query with 1 when out of memory: not an error
     * code, syms.oom says what happened */
    rc = tl_duck_query_each(d, q.data, on_sym, &syms, err);
    if (rc != 0 && !syms.oom)
        goto out;
    if (syms.oom || !(bounds = calloc(nfiles, sizeof *bounds))) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (nfiles > 1)
        choose_bounds(&syms, nfiles, bounds, &nb);
    if ((rc = sort_key(d, l, &syms, &order, err)) != 0)
        goto out;
    if (!(paths = calloc(nb + 1, sizeof *paths))) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t k = 0; k <= nb; k++) {
        const char *lo = k ? bounds[k - 1] : NULL, *hi = k < nb ? bounds[k] : NULL;
        if (asprintf(&paths[k], "%s/out-%zu.parquet", tmpdir, k) < 0) {
            paths[k] = NULL;
            rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
            goto out;
        }
        if (nb && range_where(&w, l->split_col, lo, hi) != 0) {
            rc = tl_err_set(err, TL_ERR_INVALID, "compact: %s too long for a range bound",
                            l->split_col);
            goto out;
        }
        *nout = k + 1;
        if ((rc = copy_sorted(d, order.data, inputs_sql, head, nb ? w.data : NULL, paths[k],
                              err)) != 0)
            goto out;
    }
out:
    if (rc == 0)
        *out_paths = paths;
    else {
        for (size_t k = 0; paths && k <= nb; k++) {
            if (paths[k])
                remove(paths[k]);
            free(paths[k]);
        }
        free(paths);
        *nout = 0;
    }
    free(bounds);
    sym_list_free(&syms);
    tl_buf_free(&w);
    tl_buf_free(&q);
    tl_buf_free(&order);
    return rc;
}
