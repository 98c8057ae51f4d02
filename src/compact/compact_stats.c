/* compact_stats — Delta per-file statistics of a compaction output, read
 * from the Parquet footer DuckDB just wrote (row-group min/max/null counts)
 * instead of scanning the rows again: the footer holds everything the
 * stats need, and reading it costs next to nothing. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "compact/compact_int.h"
#include "util/json_out.h"

/* How a column's statistics are rendered in the stats JSON. */
typedef enum { K_SKIP, K_STRING, K_NUMBER, K_TIMESTAMP } col_kind;

typedef struct col {
    char *name;
    char *type;
    col_kind kind;
} col;

typedef struct cols {
    col *v;
    size_t n, cap;
    int oom;
    const char *const *no_minmax; /* NULL-terminated, or NULL */
} cols;

static bool listed(const char *const *names, const char *name) {
    for (size_t i = 0; names && names[i]; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

static col_kind kind_of(const char *t) {
    if (!strcmp(t, "VARCHAR"))
        return K_STRING;
    if (!strcmp(t, "TIMESTAMP WITH TIME ZONE") || !strcmp(t, "TIMESTAMP"))
        return K_TIMESTAMP;
    if (!strcmp(t, "BIGINT") || !strcmp(t, "INTEGER") || !strcmp(t, "SMALLINT") ||
        !strcmp(t, "TINYINT") || !strcmp(t, "DOUBLE") || !strcmp(t, "FLOAT") ||
        !strncmp(t, "DECIMAL(", 8))
        return K_NUMBER;
    return K_SKIP; /* booleans, nested and binary values: no min/max */
}

static int on_schema_row(void *ud, int ncols, const char *const *v) {
    cols *c = ud;
    /* name, duckdb_type, num_children; the root and nested groups have no type */
    if (ncols < 3 || !v[0] || !v[1] || v[2])
        return 0;
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 16;
        col *nv = realloc(c->v, ncap * sizeof *nv);
        if (!nv)
            return c->oom = 1;
        c->v = nv;
        c->cap = ncap;
    }
    col *x = &c->v[c->n];
    x->name = strdup(v[0]);
    x->type = strdup(v[1]);
    x->kind = x->type && x->name && !listed(c->no_minmax, x->name) ? kind_of(x->type) : K_SKIP;
    c->n++;
    if (!x->name || !x->type)
        return c->oom = 1;
    return 0;
}

static void cols_free(cols *c) {
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].name);
        free(c->v[i].type);
    }
    free(c->v);
}

/* One row: numRecords, then per column min, max, nulls. */
static int build_query(tl_buf *q, const char *qpath, const cols *c) {
    int rc = tl_buf_printf(q,
                           "WITH m AS (SELECT path_in_schema AS c, row_group_id AS g, "
                           "row_group_num_rows AS r, stats_min_value AS lo, stats_max_value AS hi, "
                           "stats_null_count AS nn FROM parquet_metadata('%s')) SELECT "
                           "(SELECT coalesce(sum(r), 0) FROM (SELECT DISTINCT g, r FROM m))",
                           qpath);
    for (size_t i = 0; i < c->n && !rc; i++) {
        char qn[512];
        if (tl_duck_quote(c->v[i].name, qn, sizeof qn))
            return -1;
        const char *t = c->v[i].type;
        switch (c->v[i].kind) {
        case K_STRING:
            rc = tl_buf_printf(
                q, ", min(lo) FILTER (WHERE c = '%s'), max(hi) FILTER (WHERE c = '%s')", qn, qn);
            break;
        case K_NUMBER:
            rc = tl_buf_printf(q,
                               ", min(TRY_CAST(lo AS %s)) FILTER (WHERE c = '%s')"
                               ", max(TRY_CAST(hi AS %s)) FILTER (WHERE c = '%s')",
                               t, qn, t, qn);
            break;
        case K_TIMESTAMP:
            rc = tl_buf_printf(q,
                               ", strftime(min(TRY_CAST(lo AS TIMESTAMPTZ)) FILTER (WHERE c = "
                               "'%s'), '%%Y-%%m-%%dT%%H:%%M:%%S.%%fZ')"
                               ", strftime(max(TRY_CAST(hi AS TIMESTAMPTZ)) FILTER (WHERE c = "
                               "'%s'), '%%Y-%%m-%%dT%%H:%%M:%%S.%%fZ')",
                               qn, qn);
            break;
        default: rc = tl_buf_puts(q, ", NULL, NULL"); break;
        }
        rc = rc || tl_buf_printf(q, ", sum(nn) FILTER (WHERE c = '%s')", qn);
    }
    return rc || tl_buf_puts(q, " FROM m");
}

typedef struct render_ctx {
    const cols *c;
    tl_buf *out;
    int64_t rows;
    int got, oom;
} render_ctx;

/* One column's min or max; false when there is nothing JSON can say (a
 * DOUBLE's inf or nan): that column is left out, as an all-null one is. */
static bool has_value(col_kind k, const char *v) {
    return k != K_SKIP && v && (k != K_NUMBER || tl_json_is_number(v, strlen(v)));
}

static void put_value(tl_json *j, col_kind k, const char *v) {
    if (k == K_NUMBER)
        tl_json_number(j, v, strlen(v));
    else
        tl_json_str(j, v);
}

static int on_stats_row(void *ud, int ncols, const char *const *v) {
    render_ctx *x = ud;
    const cols *c = x->c;
    if ((size_t)ncols != 1 + 3 * c->n || !v[0])
        return 0;
    x->got = 1;
    x->rows = strtoll(v[0], NULL, 10);
    tl_json *j = tl_json_new(x->out);
    if (!j)
        return x->oom = 1, 0;
    tl_json_obj_begin(j);
    tl_json_kv_int(j, "numRecords", x->rows);
    for (int pass = 0; pass < 2 && x->rows > 0; pass++) {
        tl_json_key(j, pass ? "maxValues" : "minValues");
        tl_json_obj_begin(j);
        for (size_t i = 0; i < c->n; i++) {
            const char *val = v[1 + 3 * i + pass];
            if (!has_value(c->v[i].kind, val))
                continue; /* all null, or no statistics written: say nothing */
            tl_json_key(j, c->v[i].name);
            put_value(j, c->v[i].kind, val);
        }
        tl_json_obj_end(j);
    }
    tl_json_key(j, "nullCount");
    tl_json_obj_begin(j);
    for (size_t i = 0; i < c->n; i++)
        tl_json_kv_int(j, c->v[i].name, v[3 + 3 * i] ? strtoll(v[3 + 3 * i], NULL, 10) : 0);
    tl_json_obj_end(j);
    tl_json_obj_end(j);
    x->oom = tl_json_finish(j, NULL) != 0;
    tl_json_free(j);
    return 0;
}

int tl_compact_file_stats(tl_duck *d, const char *path, const char *const *no_minmax, tl_buf *out,
                          int64_t *rows, tl_err *err) {
    size_t cap = strlen(path) * 2 + 1;
    char *qp = malloc(cap);
    cols c = {.no_minmax = no_minmax};
    tl_buf q = TL_BUF_INIT;
    int rc = 0;
    if (!qp || tl_duck_quote(path, qp, cap) ||
        tl_buf_printf(&q, "SELECT name, duckdb_type, num_children FROM parquet_schema('%s')", qp)) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* on_schema_row stops the query with 1 when out of memory: that is
     * not an error code, c.oom says what happened */
    rc = tl_duck_query_each(d, q.data, on_schema_row, &c, err);
    if (rc != 0 && !c.oom)
        goto out;
    tl_buf_reset(&q);
    if (c.oom || build_query(&q, qp, &c)) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        goto out;
    }
    size_t mark = out->len;
    render_ctx x = {&c, out, 0, 0, 0};
    if ((rc = tl_duck_query_each(d, q.data, on_stats_row, &x, err)) != 0)
        goto out;
    if (x.oom || !x.got) {
        out->len = mark;
        rc = x.oom ? tl_err_set(err, TL_ERR_NOMEM, "out of memory")
                   : tl_err_set(err, TL_ERR_CORRUPT, "compact: no statistics for '%s'", path);
        goto out;
    }
    *rows = x.rows;
out:
    free(qp);
    cols_free(&c);
    tl_buf_free(&q);
    return rc;
}
