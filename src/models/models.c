/* The three flows: run (stage the warehouse, build the selected models in
 * order, record results, publish), test (read-only) and ls. */
#include "models/models.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "models/dag.h"
#include "models/runner.h"
#include "models/warehouse.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"

/* Lake tables tl_views_register provides, by lineage slot. */
static const char *const lake_tables[] = {"ticks", "deadletter", "lake_files"};

static const char *source_ident(const tl_project *p, const char *src, const char *table) {
    for (size_t i = 0; i < p->n_sources; i++)
        if (!strcmp(p->sources[i].source, src) && !strcmp(p->sources[i].table, table))
            return p->sources[i].identifier;
    return NULL;
}

static int lake_slot(const char *ident) {
    for (int i = 0; i < 3; i++)
        if (!strcmp(ident, lake_tables[i]))
            return i;
    return -1;
}

/* source() renders as the lake view in the in-memory catalog: it exists
 * only for this session, never inside the warehouse file. */
static int source_sql(void *ud, const char *src, const char *table, tl_buf *out) {
    const tl_session *s = ud;
    const char *ident = source_ident(s->p, src, table);
    if (!ident || lake_slot(ident) < 0)
        return -1;
    tl_buf_puts(out, "memory.main.");
    tl_tpl_quote_ident(out, ident);
    return 0;
}

int tl_session_render(const tl_session *s, const tl_tpl *t, const char *this_name,
                      int is_incremental, tl_buf *out, tl_err *err) {
    tl_tpl_ctx ctx = {is_incremental, this_name, s->p->vars, source_sql, (void *)s};
    return tl_tpl_render(t, &ctx, out, err);
}

static void session_free(tl_session *s) {
    tl_duck_close(s->d);
    tl_project_free(s->p);
    free(s->order);
    free(s->sel);
    memset(s, 0, sizeof *s);
}

static int session_load(tl_session *s, const tl_models_opts *o, tl_err *err) {
    memset(s, 0, sizeof *s);
    int rc = tl_project_load(o->project, &s->p, err);
    if (rc == 0)
        rc = tl_dag_build(s->p, &s->order, err);
    if (rc == 0 && !(s->sel = calloc(s->p->n_models + 1, 1)))
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    if (rc == 0)
        rc = tl_dag_select(s->p, o->select, o->exclude, s->sel, err);
    return rc;
}

/* In-memory DuckDB with the lake views (when needed), the warehouse file
 * attached as "wh" and made the default catalog. */
static int session_connect(tl_session *s, const tl_models_opts *o, const char *wh_file,
                           int read_only, int need_lake, tl_err *err) {
    const char *lake = o->lake;
    char q[4096];
    tl_buf sql = TL_BUF_INIT;
    if (!(s->d = tl_duck_open(NULL, 0, o->duck, err)))
        return err ? err->code : TL_ERR_DUCKDB;
    if (need_lake) {
        tl_store *store = o->store ? tl_store_open_opts(o->store, err) : tl_store_open(lake, err);
        int rc = store ? tl_views_register(s->d, store, &s->lake, err) : err ? err->code : TL_ERR_IO;
        tl_store_destroy(store);
        if (rc)
            return tl_err_wrap(err, rc, "opening the lake %s", lake);
        s->lake_open = 1;
    }
    if (tl_duck_quote(wh_file, q, sizeof q) != 0)
        return tl_err_set(err, TL_ERR_INVALID, "warehouse path too long");
    int rc = tl_buf_printf(&sql, "ATTACH '%s' AS wh%s; USE wh;", q, read_only ? " (READ_ONLY)" : "")
                 ? tl_err_set(err, TL_ERR_NOMEM, "out of memory")
                 : tl_duck_exec(s->d, sql.data, err);
    tl_buf_free(&sql);
    return tl_err_wrap(err, rc, "opening the warehouse %s", wh_file);
}

/* Render every selected model both ways before anything runs, so a bad
 * var or source stops the run up front. */
static int compile_check(tl_session *s, tl_err *err) {
    tl_buf scratch = TL_BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < s->p->n_models && rc == 0; i++) {
        const tl_model *m = &s->p->models[i];
        if (!s->sel[i])
            continue;
        if (m->mat == TL_MAT_VIEW && tl_tpl_num_sources(m->tpl) > 0) {
            const tl_tpl_source *src = tl_tpl_source_at(m->tpl, 0);
            rc = tl_err_set(err, TL_ERR_INVALID,
                            "%s:%d: model %s is a view over source('%s', '%s'), which exists "
                            "only while a run reads the lake; materialize it as a table",
                            m->path, src->line, m->name, src->source, src->table);
            break;
        }
        for (int inc = 0; inc < 2 && rc == 0; inc++) {
            tl_buf_reset(&scratch);
            rc = tl_session_render(s, m->tpl, m->name, inc, &scratch, err);
        }
    }
    tl_buf_free(&scratch);
    return rc;
}

static void make_invocation(char *out, size_t cap) {
    snprintf(out, cap, "%013llx-%06lx", (unsigned long long)tl_now_us(),
             (unsigned long)getpid() & 0xffffff);
}

/* The lake versions a model's data reflects: what it reads directly now,
 * and for each upstream model what that one reflects (built in this run,
 * or its last successful run); the oldest wins. -2 = reads nothing. */
static void lineage(tl_session *s, size_t mi, const long *res_of, tl_node_result *res,
                    int64_t ver[2]) {
    const tl_model *m = &s->p->models[mi];
    int64_t now[2] = {s->lake.ticks_version, s->lake.deadletter_version};
    ver[0] = ver[1] = -2;
    for (size_t k = 0; k < tl_tpl_num_sources(m->tpl); k++) {
        const tl_tpl_source *src = tl_tpl_source_at(m->tpl, k);
        const char *ident = source_ident(s->p, src->source, src->table);
        int slot = ident ? lake_slot(ident) : -1;
        if (slot == 0 || slot == 1)
            ver[slot] = now[slot];
    }
    for (size_t k = 0; k < m->n_deps; k++) {
        int64_t dv[2];
        long ri = res_of[m->deps[k]];
        if (ri >= 0 && !strcmp(res[ri].status, "success"))
            memcpy(dv, res[ri].lake_ver, sizeof dv);
        else
            tl_results_prior_versions(s->d, s->p->models[m->deps[k]].name, dv);
        for (int j = 0; j < 2; j++)
            if (dv[j] != -2 && (ver[j] == -2 || dv[j] < ver[j]))
                ver[j] = dv[j];
    }
}

static void print_model(FILE *out, size_t k, size_t n, const tl_node_result *r) {
    double secs = (double)(r->completed_us - r->started_us) / 1e6;
    if (!strcmp(r->status, "success")) {
        fprintf(out, "%3zu of %zu OK     %-24s %-11s", k, n, r->name, r->materialized);
        if (r->rows >= 0)
            fprintf(out, " %lld rows%s", (long long)r->rows,
                    r->incremental ? " (incremental)" : "");
        fprintf(out, "  %.2fs\n", secs);
    } else if (!strcmp(r->status, "skipped")) {
        fprintf(out, "%3zu of %zu SKIP   %-24s %s\n", k, n, r->name, r->message);
    } else {
        fprintf(out, "%3zu of %zu ERROR  %-24s %s\n", k, n, r->name, r->message);
    }
    fflush(out);
}

/* Append "name: why" to sum->failures ("; " between), why cut to one
 * short clause; once the list is full it ends in "..." and takes no more. */
static void note_failure(tl_models_summary *sum, const char *name, const char *why) {
    char *f = sum->failures;
    size_t cap = sizeof sum->failures, len = strlen(f);
    if (len >= 3 && !strcmp(f + len - 3, "..."))
        return;
    char item[200];
    int n = snprintf(item, sizeof item, "%s%s: %s", len ? "; " : "", name, why);
    if (n >= (int)sizeof item)
        memcpy(item + sizeof item - 4, "...", 4);
    if (len + strlen(item) < cap) {
        memcpy(f + len, item, strlen(item) + 1);
        return;
    }
    snprintf(f + len, cap - len, "%s...", len ? "; " : "");
}

/* Build every selected model in order; a model whose upstream failed or
 * was skipped is skipped. */
static void build_all(tl_session *s, const tl_models_opts *o, tl_node_result *res, size_t *nres,
                      long *res_of, tl_models_summary *sum) {
    size_t total = 0, k = 0;
    for (size_t i = 0; i < s->p->n_models; i++)
        total += s->sel[i];
    for (size_t oi = 0; oi < s->p->n_models; oi++) {
        size_t mi = s->order[oi];
        const tl_model *m = &s->p->models[mi];
        if (!s->sel[mi])
            continue;
        tl_node_result *r = &res[*nres];
        memset(r, 0, sizeof *r);
        r->type = TL_NODE_MODEL;
        r->name = m->name;
        r->rows = r->failures = -1;
        r->materialized = tl_mat_name(m->mat);
        r->started_us = tl_now_us();
        res_of[mi] = (long)(*nres)++;
        for (size_t d = 0; d < m->n_deps && !r->status; d++) {
            long ri = res_of[m->deps[d]];
            if (ri >= 0 && strcmp(res[ri].status, "success") != 0) {
                r->status = "skipped";
                snprintf(r->message, sizeof r->message, "upstream model %s %s", res[ri].name,
                         !strcmp(res[ri].status, "error") ? "failed" : "was skipped");
            }
        }
        if (!r->status && tl_cancel_check(o->cancel, "models", NULL) != 0) {
            r->status = "skipped";
            snprintf(r->message, sizeof r->message, "the run was cancelled");
        }
        if (!r->status) {
            tl_err err = {0};
            lineage(s, mi, res_of, res, r->lake_ver);
            if (tl_materialize_model(s, m, o->full_refresh, r, &err) == 0) {
                r->status = "success";
            } else {
                r->status = "error";
                snprintf(r->message, sizeof r->message, "%s", err.msg);
                note_failure(sum, r->name, r->message);
            }
        }
        if (strcmp(r->status, "success") != 0)
            r->lake_ver[0] = r->lake_ver[1] = -2;
        r->completed_us = tl_now_us();
        sum->ok += !strcmp(r->status, "success");
        sum->failed += !strcmp(r->status, "error");
        sum->skipped += !strcmp(r->status, "skipped");
        print_model(o->out, ++k, total, r);
    }
}

int tl_models_run(const tl_models_opts *o, tl_models_summary *sum, tl_err *err) {
    tl_session s;
    tl_warehouse w = {.lock_fd = -1};
    tl_node_result *res = NULL;
    long *res_of = NULL;
    size_t nres = 0;
    char inv[40];
    int64_t started = tl_now_us();
    memset(sum, 0, sizeof *sum);
    make_invocation(inv, sizeof inv);
    int rc = session_load(&s, o, err);
    if (rc == 0)
        rc = tl_warehouse_lock(&w, o->warehouse, err);
    if (rc == 0)
        rc = tl_warehouse_stage(&w, err);
    if (rc == 0)
        rc = session_connect(&s, o, w.staged, 0, 1, err);
    if (rc == 0)
        rc = tl_results_ensure_history(s.d, err);
    if (rc == 0)
        rc = compile_check(&s, err);
    if (rc)
        goto out;
    res = calloc(s.p->n_models + 1, sizeof *res);
    res_of = malloc((s.p->n_models + 1) * sizeof *res_of);
    if (!res || !res_of) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < s.p->n_models; i++)
        res_of[i] = -1;
    if (s.lake.ticks_version < 0)
        tl_warn("models", "the lake %s has no ticks table yet: sources read as empty", o->lake);
    fprintf(o->out, "Running %s on lake snapshot ticks@%lld into %s\n", s.p->name,
            (long long)s.lake.ticks_version, o->warehouse);
    build_all(&s, o, res, &nres, res_of, sum);
    /* cancelled: the staged copy is discarded, the warehouse stays as it was */
    if ((rc = tl_cancel_check(o->cancel, "models", err)) != 0 ||
        (rc = tl_results_record(s.d, inv, res, nres, err)) != 0 ||
        (rc = tl_duck_exec(s.d, "CHECKPOINT wh; USE memory; DETACH wh;", err)) != 0)
        goto out;
    tl_duck_close(s.d);
    s.d = NULL;
    if ((rc = tl_warehouse_publish(&w, err)) != 0)
        goto out;
    /* Published: the run happened, and its history is in the warehouse
     * (ticklake_model_runs). target/run_results.json is a copy for dbt's
     * tools; failing to write it now must not turn a published build into a
     * failed run (found by test_faults_models). */
    tl_err jerr = {0};
    if (tl_results_write_json(&s, "run", inv, res, nres, started, &jerr) != 0)
        tl_warn("models", "the build is published, but run_results.json was not written: %s",
                jerr.msg);
    fprintf(o->out, "Done: %d ok, %d error, %d skipped (%.2fs)\n", sum->ok, sum->failed,
            sum->skipped, (double)(tl_now_us() - started) / 1e6);
out:
    session_free(&s);
    tl_warehouse_release(&w);
    free(res);
    free(res_of);
    return rc;
}

static int needs_lake(const tl_session *s, const unsigned char *tsel) {
    for (size_t i = 0; i < s->p->n_tests; i++)
        if (tsel[i] && s->p->tests[i].tpl && tl_tpl_num_sources(s->p->tests[i].tpl) > 0)
            return 1;
    return 0;
}

int tl_models_test(const tl_models_opts *o, tl_models_summary *sum, tl_err *err) {
    tl_session s;
    unsigned char *tsel = NULL;
    tl_node_result *res = NULL;
    size_t nres = 0;
    char inv[40];
    int64_t started = tl_now_us();
    struct stat st;
    memset(sum, 0, sizeof *sum);
    make_invocation(inv, sizeof inv);
    int rc = session_load(&s, o, err);
    if (rc)
        goto out;
    tsel = calloc(s.p->n_tests + 1, 1);
    res = calloc(s.p->n_tests + 1, sizeof *res);
    if (!tsel || !res) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        goto out;
    }
    tl_tests_select(&s, tsel);
    if (stat(o->warehouse, &st) != 0) {
        rc = tl_err_set(err, TL_ERR_NOT_FOUND,
                        "warehouse %s does not exist: run 'ticklake models run' first",
                        o->warehouse);
        goto out;
    }
    if ((rc = session_connect(&s, o, o->warehouse, 1, needs_lake(&s, tsel), err)) != 0)
        goto out;
    for (size_t i = 0; i < s.p->n_tests; i++) {
        if (!tsel[i])
            continue;
        tl_node_result *r = &res[nres++];
        r->type = TL_NODE_TEST;
        r->name = s.p->tests[i].name;
        r->rows = -1;
        r->lake_ver[0] = r->lake_ver[1] = -2;
        r->started_us = tl_now_us();
        tl_err terr = {0};
        tl_test_run(&s, &s.p->tests[i], r, &terr);
        r->completed_us = tl_now_us();
        if (!strcmp(r->status, "pass")) {
            sum->ok++;
            fprintf(o->out, "PASS   %s\n", r->name);
        } else if (!strcmp(r->status, "fail")) {
            char why[48];
            snprintf(why, sizeof why, "%lld failing row%s", (long long)r->failures,
                     r->failures == 1 ? "" : "s");
            sum->failed++;
            fprintf(o->out, "FAIL   %s: %s\n", r->name, why);
            note_failure(sum, r->name, why);
        } else {
            sum->failed++;
            fprintf(o->out, "ERROR  %s: %s\n", r->name, r->message);
            note_failure(sum, r->name, r->message);
        }
    }
    rc = tl_results_write_json(&s, "test", inv, res, nres, started, err);
    fprintf(o->out, "Done: %d passed, %d failed of %zu tests\n", sum->ok, sum->failed, nres);
out:
    session_free(&s);
    free(tsel);
    free(res);
    return rc;
}

int tl_models_ls(const tl_models_opts *o, tl_err *err) {
    tl_session s;
    int rc = session_load(&s, o, err);
    unsigned char *tsel = rc == 0 ? calloc(s.p->n_tests + 1, 1) : NULL;
    if (rc == 0 && !tsel)
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    if (rc)
        goto out;
    for (size_t oi = 0; oi < s.p->n_models; oi++) {
        const tl_model *m = &s.p->models[s.order[oi]];
        if (!s.sel[s.order[oi]])
            continue;
        fprintf(o->out, "model  %-24s %-11s %s", m->name, tl_mat_name(m->mat), m->path);
        for (size_t t = 0; t < m->n_tags; t++)
            fprintf(o->out, "%s%s", t ? "," : "  tags:", m->tags[t]);
        fputc('\n', o->out);
    }
    tl_tests_select(&s, tsel);
    for (size_t i = 0; i < s.p->n_tests; i++)
        if (tsel[i])
            fprintf(o->out, "test   %s\n", s.p->tests[i].name);
out:
    free(tsel);
    session_free(&s);
    return rc;
}
