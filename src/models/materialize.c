/* Materializations: view, table, incremental (append or delete+insert by
 * unique_key). Each model is built in one transaction, so a failed model
 * leaves the previous version of its relation in place. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/runner.h"
#include "util/buf.h"
#include "util/clock.h"

enum { REL_NONE, REL_TABLE, REL_VIEW };

static int count_cb(void *ud, int ncols, const char *const *values) {
    if (ncols > 0 && values[0])
        *(int64_t *)ud = strtoll(values[0], NULL, 10);
    return 0;
}

static int64_t query_int(tl_duck *d, const char *sql, int64_t dflt) {
    int64_t v = dflt;
    if (tl_duck_query_each(d, sql, count_cb, &v, NULL) != 0)
        return dflt;
    return v;
}

/* Which relation of that name the warehouse holds in its main schema. */
static int relation_kind(tl_duck *d, const char *name) {
    char q[512];
    tl_buf sql = TL_BUF_INIT;
    if (tl_duck_quote(name, q, sizeof q) != 0 ||
        tl_buf_printf(&sql,
                      "SELECT (SELECT count(*) FROM duckdb_tables() WHERE database_name = "
                      "current_database() AND schema_name = 'main' AND table_name = '%s') * 1 + "
                      "(SELECT count(*) FROM duckdb_views() WHERE database_name = "
                      "current_database() AND schema_name = 'main' AND view_name = '%s' AND NOT "
                      "internal) * 2",
                      q, q) != 0) {
        tl_buf_free(&sql);
        return REL_NONE;
    }
    int64_t k = query_int(d, sql.data, 0);
    tl_buf_free(&sql);
    return k == 1 ? REL_TABLE : k == 2 ? REL_VIEW : REL_NONE;
}

/* The model's SQL without trailing ';' and blanks, so it can be wrapped. */
static void trim_sql(tl_buf *b) {
    while (b->len > 0 && (b->data[b->len - 1] == ';' || b->data[b->len - 1] == ' ' ||
                          b->data[b->len - 1] == '\n' || b->data[b->len - 1] == '\t' ||
                          b->data[b->len - 1] == '\r'))
        b->data[--b->len] = '\0';
}

/* DELETE FROM target USING new rows WHERE the unique key matches. */
static void delete_by_key(tl_buf *sql, const tl_model *m) {
    tl_buf_puts(sql, "DELETE FROM ");
    tl_tpl_quote_ident(sql, m->name);
    tl_buf_puts(sql, " AS t USING temp.main.__tl_incr AS n WHERE ");
    for (size_t i = 0; i < m->n_unique_key; i++) {
        if (i)
            tl_buf_puts(sql, " AND ");
        tl_buf_puts(sql, "t.");
        tl_tpl_quote_ident(sql, m->unique_key[i]);
        tl_buf_puts(sql, " IS NOT DISTINCT FROM n.");
        tl_tpl_quote_ident(sql, m->unique_key[i]);
    }
    tl_buf_puts(sql, ";\n");
}

/* 0, or -1 when out of memory (tl_buf is sticky: nothing of it may run; a
 * "BEGIN TRANSACTION;" alone would leave the warehouse's transaction open). */
static int build_sql(tl_buf *sql, const tl_model *m, int rel, int incremental, const char *body) {
    tl_buf_puts(sql, "BEGIN TRANSACTION;\n");
    if (incremental) {
        tl_buf_printf(sql, "CREATE OR REPLACE TEMP TABLE __tl_incr AS (\n%s\n);\n", body);
        if (m->delete_insert)
            delete_by_key(sql, m);
        tl_buf_puts(sql, "INSERT INTO ");
        tl_tpl_quote_ident(sql, m->name);
        tl_buf_puts(sql, " BY NAME SELECT * FROM temp.main.__tl_incr;\n");
    } else {
        if (rel == REL_VIEW && m->mat != TL_MAT_VIEW) {
            tl_buf_puts(sql, "DROP VIEW ");
            tl_tpl_quote_ident(sql, m->name);
            tl_buf_puts(sql, ";\n");
        } else if (rel == REL_TABLE && m->mat == TL_MAT_VIEW) {
            tl_buf_puts(sql, "DROP TABLE ");
            tl_tpl_quote_ident(sql, m->name);
            tl_buf_puts(sql, ";\n");
        }
        tl_buf_printf(sql, "CREATE OR REPLACE %s ", m->mat == TL_MAT_VIEW ? "VIEW" : "TABLE");
        tl_tpl_quote_ident(sql, m->name);
        tl_buf_printf(sql, " AS (\n%s\n);\n", body);
    }
    tl_buf_puts(sql, "COMMIT;");
    return tl_buf_failed(sql);
}

int tl_materialize_model(tl_session *s, const tl_model *m, int full_refresh, tl_node_result *r,
                         tl_err *err) {
    tl_buf body = TL_BUF_INIT, sql = TL_BUF_INIT, cnt = TL_BUF_INIT;
    int rel = relation_kind(s->d, m->name);
    int incremental = m->mat == TL_MAT_INCREMENTAL && rel == REL_TABLE && !full_refresh;
    r->incremental = incremental;
    r->materialized = tl_mat_name(m->mat);
    int rc = tl_session_render(s, m->tpl, m->name, incremental, &body, err);
    if (rc)
        goto out;
    trim_sql(&body);
    if (build_sql(&sql, m, rel, incremental, body.data ? body.data : "") != 0) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory building model %s", m->name);
        goto out;
    }
    rc = tl_duck_exec(s->d, sql.data, err);
    if (rc) {
        tl_duck_exec(s->d, "ROLLBACK", NULL);
        goto out;
    }
    if (incremental) {
        r->rows = query_int(s->d, "SELECT count(*) FROM temp.main.__tl_incr", -1);
        tl_duck_exec(s->d, "DROP TABLE IF EXISTS temp.main.__tl_incr", NULL);
    } else if (m->mat != TL_MAT_VIEW) {
        tl_buf_puts(&cnt, "SELECT count(*) FROM ");
        tl_tpl_quote_ident(&cnt, m->name);
        r->rows = tl_buf_failed(&cnt) ? -1 : query_int(s->d, cnt.data, -1); /* -1: unknown */
    }
out:
    tl_buf_free(&body);
    tl_buf_free(&sql);
    tl_buf_free(&cnt);
    return rc;
}
