#include "models/dag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

static int resolve_refs(tl_project *p, tl_err *err) {
    for (size_t i = 0; i < p->n_models; i++) {
        tl_model *m = &p->models[i];
        size_t n = tl_tpl_num_refs(m->tpl);
        free(m->deps);
        m->n_deps = 0;
        m->deps = calloc(n ? n : 1, sizeof *m->deps);
        if (!m->deps)
            return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        for (size_t r = 0; r < n; r++) {
            const tl_tpl_ref *ref = tl_tpl_ref_at(m->tpl, r);
            long d = tl_project_find_model(p, ref->name);
            if (d < 0)
                return tl_err_set(err, TL_ERR_INVALID, "%s:%d: ref('%s'): no model named %s",
                                  m->path, ref->line, ref->name, ref->name);
            int dup = 0;
            for (size_t k = 0; k < m->n_deps; k++)
                dup |= m->deps[k] == (size_t)d;
            if (!dup)
                m->deps[m->n_deps++] = (size_t)d;
        }
    }
    for (size_t i = 0; i < p->n_tests; i++) { /* singular tests' refs */
        const tl_mtest *t = &p->tests[i];
        for (size_t r = 0; t->tpl && r < tl_tpl_num_refs(t->tpl); r++) {
            const tl_tpl_ref *ref = tl_tpl_ref_at(t->tpl, r);
            if (tl_project_find_model(p, ref->name) < 0)
                return tl_err_set(err, TL_ERR_INVALID, "%s:%d: ref('%s'): no model named %s",
                                  t->path, ref->line, ref->name, ref->name);
        }
    }
    return 0;
}

/* Depth-first search; color 0 new, 1 on the stack, 2 done. */
static int find_cycle(const tl_project *p, size_t v, unsigned char *color, size_t *stack,
                      size_t depth, tl_err *err) {
    color[v] = 1;
    stack[depth] = v;
    for (size_t k = 0; k < p->models[v].n_deps; k++) {
        size_t d = p->models[v].deps[k];
        if (color[d] == 1) {
            tl_buf b = TL_BUF_INIT;
            size_t start = depth;
            while (stack[start] != d)
                start--;
            for (size_t i = start; i <= depth; i++)
                tl_buf_printf(&b, "%s -> ", p->models[stack[i]].name);
            tl_buf_puts(&b, p->models[d].name);
            /* the arrows follow refs: each model refs the next one */
            tl_err_set(err, TL_ERR_INVALID, "models form a cycle (each refs the next): %s",
                       b.data ? b.data : "");
            tl_buf_free(&b);
            return TL_ERR_INVALID;
        }
        if (color[d] == 0) {
            int rc = find_cycle(p, d, color, stack, depth + 1, err);
            if (rc)
                return rc;
        }
    }
    color[v] = 2;
    return 0;
}

int tl_dag_build(tl_project *p, size_t **order, tl_err *err) {
    *order = NULL;
    size_t n = p->n_models;
    int rc = resolve_refs(p, err);
    if (rc)
        return rc;
    unsigned char *color = calloc(n + 1, 1);
    size_t *stack = calloc(n + 1, sizeof *stack);
    size_t *out = calloc(n + 1, sizeof *out);
    if (!color || !stack || !out) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t v = 0; v < n && rc == 0; v++)
        if (color[v] == 0)
            rc = find_cycle(p, v, color, stack, 0, err);
    if (rc)
        goto done;
    /* Kahn's algorithm, always taking the first ready model in file order,
     * so the order is stable across runs. color: 3 = placed. */
    for (size_t placed = 0; placed < n; placed++) {
        for (size_t v = 0; v < n; v++) {
            if (color[v] == 3)
                continue;
            int ready = 1;
            for (size_t k = 0; k < p->models[v].n_deps; k++)
                ready &= color[p->models[v].deps[k]] == 3;
            if (ready) {
                color[v] = 3;
                out[placed] = v;
                break;
            }
        }
    }
    *order = out;
    out = NULL;
done:
    free(color);
    free(stack);
    free(out);
    return rc;
}

int tl_dag_depends_on(const tl_project *p, size_t a, size_t b) {
    const tl_model *m = &p->models[a];
    for (size_t k = 0; k < m->n_deps; k++)
        if (m->deps[k] == b || tl_dag_depends_on(p, m->deps[k], b))
            return 1;
    return 0;
}

/* Does path (relative to the project) lie in dir, or equal it? */
static int in_path(const char *path, const char *dir) {
    size_t n = strlen(dir);
    while (n > 0 && dir[n - 1] == '/')
        n--;
    if (n >= 2 && !strncmp(dir, "./", 2)) {
        dir += 2;
        n -= 2;
    }
    return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

static int has_tag(const tl_model *m, const char *tag) {
    for (size_t i = 0; i < m->n_tags; i++)
        if (!strcmp(m->tags[i], tag))
            return 1;
    return 0;
}

/* Spread marks along deps (up = to ancestors) from every model marked 2. */
static void spread(const tl_project *p, unsigned char *mark, int up) {
    int changed = 1;
    while (changed) {
        changed = 0;
        for (size_t v = 0; v < p->n_models; v++)
            for (size_t k = 0; k < p->models[v].n_deps; k++) {
                size_t d = p->models[v].deps[k];
                size_t from = up ? v : d, to = up ? d : v;
                if (mark[from] == 2 && mark[to] != 2) {
                    mark[to] = 2;
                    changed = 1;
                }
            }
    }
}

/* Add one selector's models to sel. */
static int apply_selector(const tl_project *p, const char *tok, size_t len, unsigned char *sel,
                          tl_err *err) {
    int up = 0, down = 0;
    if (len && tok[0] == '+')
        up = 1, tok++, len--;
    if (len && tok[len - 1] == '+')
        down = 1, len--;
    char *core = strndup(tok, len);
    unsigned char *mark = calloc(p->n_models + 1, 1);
    int rc = 0;
    if (!core || !mark) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        goto out;
    }
    int found = 0;
    for (size_t v = 0; v < p->n_models; v++) {
        const tl_model *m = &p->models[v];
        int hit = !strncmp(core, "tag:", 4)    ? has_tag(m, core + 4)
                  : !strncmp(core, "path:", 5) ? in_path(m->path, core + 5)
                                               : !strcmp(m->name, core);
        if (hit)
            mark[v] = 2, found = 1;
    }
    if (!found && strncmp(core, "tag:", 4) && strncmp(core, "path:", 5)) {
        rc = tl_err_set(err, TL_ERR_INVALID,
                        "selector '%s': no model named %s (selectors: name, +name, name+, "
                        "tag:x, path:dir)",
                        core, core);
        goto out;
    }
    unsigned char *copy = malloc(p->n_models + 1);
    if (!copy) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        goto out;
    }
    memcpy(copy, mark, p->n_models);
    if (up)
        spread(p, mark, 1);
    if (down)
        spread(p, copy, 0);
    for (size_t v = 0; v < p->n_models; v++)
        if (mark[v] == 2 || copy[v] == 2)
            sel[v] = 1;
    free(copy);
out:
    free(core);
    free(mark);
    return rc;
}

static int apply_all(const tl_project *p, const char *spec, unsigned char *sel, tl_err *err) {
    const char *s = spec;
    while (*s) {
        while (*s == ' ' || *s == '\t' || *s == '\n')
            s++;
        size_t len = strcspn(s, " \t\n");
        if (len) {
            int rc = apply_selector(p, s, len, sel, err);
            if (rc)
                return rc;
        }
        s += len;
    }
    return 0;
}

int tl_dag_select(const tl_project *p, const char *select, const char *exclude, unsigned char *sel,
                  tl_err *err) {
    size_t n = p->n_models;
    int all = !select || strspn(select, " \t\n") == strlen(select);
    memset(sel, all ? 1 : 0, n);
    if (!all) {
        int rc = apply_all(p, select, sel, err);
        if (rc)
            return tl_err_wrap(err, rc, "--select");
    }
    if (exclude && *exclude) {
        unsigned char *ex = calloc(n + 1, 1);
        if (!ex)
            return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        int rc = apply_all(p, exclude, ex, err);
        for (size_t v = 0; v < n; v++)
            if (ex[v])
                sel[v] = 0;
        free(ex);
        if (rc)
            return tl_err_wrap(err, rc, "--exclude");
    }
    return 0;
}
