/* Tests: each becomes a query returning its failing rows (dbt's
 * convention), counted with count(*). Schema tests are generated here;
 * singular tests are the project's own SQL. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/runner.h"

/* A plain column name is quoted; anything else (column_name: "a || b")
 * is an expression and goes in as written. */
static void put_column(tl_buf *b, const char *col) {
    int plain = isalpha((unsigned char)col[0]) || col[0] == '_';
    for (const char *c = col; *c && plain; c++)
        plain = isalnum((unsigned char)*c) || *c == '_';
    if (plain)
        tl_tpl_quote_ident(b, col);
    else
        tl_buf_printf(b, "(%s)", col);
}

static void put_literal(tl_buf *b, const char *s) {
    tl_buf_puts(b, "'");
    for (; *s; s++)
        tl_buf_puts(b, *s == '\'' ? "''" : (char[]){*s, 0});
    tl_buf_puts(b, "'");
}

static int failing_rows_sql(tl_session *s, const tl_mtest *t, tl_buf *q, tl_err *err) {
    tl_buf_puts(q, "SELECT count(*) FROM (\n");
    switch (t->kind) {
    case TL_TEST_NOT_NULL:
        tl_buf_puts(q, "SELECT * FROM ");
        tl_tpl_quote_ident(q, t->model);
        tl_buf_puts(q, " WHERE ");
        put_column(q, t->column);
        tl_buf_puts(q, " IS NULL");
        break;
    case TL_TEST_UNIQUE: /* one row per duplicated value, as dbt reports it */
        tl_buf_puts(q, "SELECT v, count(*) FROM (SELECT ");
        put_column(q, t->column);
        tl_buf_puts(q, " AS v FROM ");
        tl_tpl_quote_ident(q, t->model);
        tl_buf_puts(q, ") WHERE v IS NOT NULL GROUP BY v HAVING count(*) > 1");
        break;
    case TL_TEST_ACCEPTED_VALUES:
        tl_buf_puts(q, "SELECT * FROM (SELECT ");
        put_column(q, t->column);
        tl_buf_puts(q, " AS v FROM ");
        tl_tpl_quote_ident(q, t->model);
        tl_buf_puts(q, ") WHERE v IS NOT NULL AND CAST(v AS VARCHAR) NOT IN (");
        for (size_t i = 0; i < t->n_values; i++) {
            if (i)
                tl_buf_puts(q, ", ");
            put_literal(q, t->values[i]);
        }
        tl_buf_puts(q, ")");
        break;
    case TL_TEST_RELATIONSHIPS:
        tl_buf_puts(q, "SELECT * FROM (SELECT ");
        put_column(q, t->column);
        tl_buf_puts(q, " AS v FROM ");
        tl_tpl_quote_ident(q, t->model);
        tl_buf_puts(q, ") AS c WHERE v IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ");
        tl_tpl_quote_ident(q, t->to);
        tl_buf_puts(q, " AS p WHERE p.");
        tl_tpl_quote_ident(q, t->field);
        tl_buf_puts(q, " = c.v)");
        break;
    case TL_TEST_SINGULAR: {
        tl_buf body = TL_BUF_INIT;
        int rc = tl_session_render(s, t->tpl, NULL, 0, &body, err);
        while (rc == 0 && body.len && strchr("; \t\r\n", body.data[body.len - 1]))
            body.data[--body.len] = '\0';
        if (rc == 0)
            tl_buf_puts(q, body.data ? body.data : "SELECT 1 WHERE false");
        tl_buf_free(&body);
        if (rc)
            return rc;
        break;
    }
    }
    tl_buf_puts(q, "\n) AS failing_rows");
    /* one check for every append above (tl_buf is sticky): a query with a
     * piece missing would count the wrong rows */
    return tl_buf_failed(q) ? tl_err_set(err, TL_ERR_NOMEM, "out of memory (test query)") : 0;
}

static int count_cb(void *ud, int ncols, const char *const *values) {
    if (ncols > 0 && values[0])
        *(int64_t *)ud = strtoll(values[0], NULL, 10);
    return 0;
}

int tl_test_run(tl_session *s, const tl_mtest *t, tl_node_result *r, tl_err *err) {
    tl_buf q = TL_BUF_INIT;
    r->failures = -1;
    int rc = failing_rows_sql(s, t, &q, err);
    if (rc == 0)
        rc = tl_duck_query_each(s->d, q.data, count_cb, &r->failures, err);
    tl_buf_free(&q);
    if (rc) {
        r->status = "error";
        snprintf(r->message, sizeof r->message, "%s", err ? err->msg : "failed");
        return rc;
    }
    r->status = r->failures == 0 ? "pass" : "fail";
    if (r->failures)
        snprintf(r->message, sizeof r->message, "Got %lld result%s, configured to fail if != 0",
                 (long long)r->failures, r->failures == 1 ? "" : "s");
    return 0;
}

/* A schema test follows its model (and a relationships test its target
 * too); a singular test runs when every model it refs is selected. */
void tl_tests_select(const tl_session *s, unsigned char *out) {
    const tl_project *p = s->p;
    for (size_t i = 0; i < p->n_tests; i++) {
        const tl_mtest *t = &p->tests[i];
        int ok = 1;
        if (t->model) {
            long m = tl_project_find_model(p, t->model);
            ok = m >= 0 && s->sel[m];
        } else {
            for (size_t k = 0; k < tl_tpl_num_refs(t->tpl); k++) {
                long m = tl_project_find_model(p, tl_tpl_ref_at(t->tpl, k)->name);
                ok &= m >= 0 && s->sel[m];
            }
        }
        out[i] = (unsigned char)ok;
    }
}
