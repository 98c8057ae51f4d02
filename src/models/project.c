/* Loading a project folder: dbt_project.yml, the model files, the schema
 * files and the singular tests, with configs merged as dbt does. */
#include "models/project.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "models/project_int.h"
#include "util/buf.h"

typedef struct folder_cfg {
    char *path; /* model-path relative folder: "" (root), "marts", "marts/daily" */
    tl_cfg_layer cfg;
} folder_cfg;

typedef struct loader {
    tl_project *p;
    char **model_paths, **test_paths;
    size_t n_model_paths, n_test_paths;
    folder_cfg *folders;
    size_t n_folders;
    tl_strmap *yml_cfgs; /* model name -> tl_cfg_layer * */
    char **model_roots;  /* per model: the model path it was found under */
} loader;

char *tl_strdup_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

const char *tl_mat_name(tl_mat m) {
    return m == TL_MAT_VIEW ? "view" : m == TL_MAT_TABLE ? "table" : "incremental";
}

long tl_project_find_model(const tl_project *p, const char *name) {
    for (size_t i = 0; i < p->n_models; i++)
        if (!strcmp(p->models[i].name, name))
            return (long)i;
    return -1;
}

void tl_cfg_layer_free(tl_cfg_layer *c) {
    for (size_t i = 0; i < c->n_unique_key; i++)
        free(c->unique_key[i]);
    for (size_t i = 0; i < c->n_tags; i++)
        free(c->tags[i]);
    free(c->unique_key);
    free(c->tags);
    free(c->materialized);
    free(c->strategy);
    memset(c, 0, sizeof *c);
}

static void free_strings(char **a, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(a[i]);
    free(a);
}

int tl_cfg_layer_read(tl_yml *y, const char *key, yaml_node_t *v, tl_cfg_layer *c, tl_err *err) {
    char **dst = NULL;
    if (!strcmp(key, "materialized"))
        dst = &c->materialized;
    else if (!strcmp(key, "incremental_strategy"))
        dst = &c->strategy;
    if (dst) {
        if (!tl_yml_str(v))
            return tl_yml_fail(y, v, err, "expected a string");
        free(*dst);
        return (*dst = strdup(tl_yml_str(v))) ? 1 : tl_err_set(err, TL_ERR_NOMEM, "no memory");
    }
    if (!strcmp(key, "unique_key") || !strcmp(key, "tags")) {
        int tags = key[0] == 't';
        char **arr;
        size_t n;
        if (tl_yml_strings(y, v, &arr, &n) != 0)
            return tl_yml_fail(y, v, err, "expected a string or a list of strings");
        if (tags) {
            free_strings(c->tags, c->n_tags);
            c->tags = arr, c->n_tags = n;
        } else {
            free_strings(c->unique_key, c->n_unique_key);
            c->unique_key = arr, c->n_unique_key = n, c->has_unique_key = 1;
        }
        return 1;
    }
    return 0;
}

static int copy_strings(char **src, size_t n, char ***dst, size_t *dn) {
    char **a = calloc(n + 1, sizeof *a);
    if (!a)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!(a[i] = strdup(src[i]))) {
            free_strings(a, i);
            return -1;
        }
    free_strings(*dst, *dn);
    *dst = a;
    *dn = n;
    return 0;
}

static int add_tags(tl_model *m, char **tags, size_t n) {
    for (size_t i = 0; i < n; i++) {
        int seen = 0;
        for (size_t j = 0; j < m->n_tags; j++)
            seen |= !strcmp(m->tags[j], tags[i]);
        if (seen)
            continue;
        char **a = realloc(m->tags, (m->n_tags + 1) * sizeof *a);
        if (!a)
            return -1;
        m->tags = a;
        if (!(m->tags[m->n_tags] = strdup(tags[i])))
            return -1;
        m->n_tags++;
    }
    return 0;
}

int tl_cfg_layer_apply(const tl_cfg_layer *c, tl_model *m, const char *where, tl_err *err) {
    if (c->materialized) {
        if (!strcmp(c->materialized, "view"))
            m->mat = TL_MAT_VIEW;
        else if (!strcmp(c->materialized, "table"))
            m->mat = TL_MAT_TABLE;
        else if (!strcmp(c->materialized, "incremental"))
            m->mat = TL_MAT_INCREMENTAL;
        else
            return tl_err_set(err, TL_ERR_INVALID,
                              "%s: materialized '%s' for model %s (view, table or incremental)",
                              where, c->materialized, m->name);
    }
    if (c->strategy) {
        if (strcmp(c->strategy, "append") && strcmp(c->strategy, "delete+insert"))
            return tl_err_set(err, TL_ERR_INVALID,
                              "%s: incremental_strategy '%s' for model %s (append or "
                              "delete+insert)",
                              where, c->strategy, m->name);
        m->delete_insert = !strcmp(c->strategy, "delete+insert") ? 1 : 0;
    }
    if (c->has_unique_key &&
        copy_strings(c->unique_key, c->n_unique_key, &m->unique_key, &m->n_unique_key) != 0)
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    if (add_tags(m, c->tags, c->n_tags) != 0)
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    return 0;
}

static int read_file(const char *path, char **out, tl_err *err) {
    FILE *f = fopen(path, "rb");
    tl_buf b = TL_BUF_INIT;
    char chunk[8192];
    size_t n;
    if (!f)
        return tl_err_set(err, TL_ERR_IO, "%s: cannot open: %m", path);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        tl_buf_append(&b, chunk, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        tl_buf_free(&b);
        return tl_err_set(err, TL_ERR_IO, "%s: read error", path);
    }
    tl_buf_puts(&b, ""); /* an empty file still gets a string */
    if (tl_buf_failed(&b)) { /* never a model cut short: a chunk lost its place */
        tl_buf_free(&b);
        return tl_err_set(err, TL_ERR_NOMEM, "%s: out of memory reading it", path);
    }
    *out = b.data;
    return 0;
}

/* Folder configs under models: <project>: ..., recursively. */
static int read_folder(loader *L, tl_yml *y, yaml_node_t *map, const char *folder, int depth,
                       tl_err *err) {
    if (!map || map->type != YAML_MAPPING_NODE)
        return tl_yml_fail(y, map, err, "models: expected a mapping of folders and +configs");
    folder_cfg *fc = realloc(L->folders, (L->n_folders + 1) * sizeof *fc);
    if (!fc)
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    L->folders = fc;
    size_t me = L->n_folders++;
    memset(&L->folders[me], 0, sizeof L->folders[me]);
    if (!(L->folders[me].path = strdup(folder)))
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    int n = tl_yml_npairs(map);
    for (int i = 0; i < n; i++) {
        yaml_node_t *k, *v;
        tl_yml_pair(y, map, i, &k, &v);
        const char *key = tl_yml_str(k);
        if (!key)
            return tl_yml_fail(y, k, err, "models: keys must be strings");
        const char *ck = key[0] == '+' ? key + 1 : key;
        int rc = tl_cfg_layer_read(y, ck, v, &L->folders[me].cfg, err);
        if (rc < 0)
            return rc;
        if (rc == 1)
            continue;
        if (key[0] == '+' || v->type != YAML_MAPPING_NODE) {
            if (!strcmp(ck, "enabled") || !strcmp(ck, "docs") || !strcmp(ck, "schema") ||
                !strcmp(ck, "persist_docs") || !strcmp(ck, "meta"))
                continue; /* dbt-only settings ticklake has no use for */
            char msg[200];
            snprintf(msg, sizeof msg, "models: unknown config '%s'", key);
            return tl_yml_fail(y, k, err, msg);
        }
        if (depth > 16)
            return tl_yml_fail(y, k, err, "models: folders nested too deeply");
        char *sub = folder[0] ? tl_strdup_printf("%s/%s", folder, key) : strdup(key);
        if (!sub)
            return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        rc = read_folder(L, y, v, sub, depth + 1, err);
        free(sub);
        if (rc)
            return rc;
    }
    return 0;
}

static int read_project_file(loader *L, tl_err *err) {
    tl_project *p = L->p;
    char *path = tl_strdup_printf("%s/dbt_project.yml", p->dir);
    tl_yml y = {0}; /* freed below also when path could not be built */
    int rc = path ? tl_yml_load(&y, path, "dbt_project.yml", err)
                  : tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    free(path);
    if (rc) {
        tl_yml_free(&y);
        return tl_err_wrap(err, rc, "project %s", p->dir);
    }
    yaml_node_t *root = tl_yml_root(&y), *v;
    const char *name = tl_yml_str(tl_yml_get(&y, root, "name"));
    if (!name) {
        rc = tl_yml_fail(&y, root, err, "'name:' is required");
        goto out;
    }
    if (!(p->name = strdup(name)))
        goto nomem;
    v = tl_yml_get(&y, root, "model-paths");
    if (v && tl_yml_strings(&y, v, &L->model_paths, &L->n_model_paths)) {
        rc = tl_yml_fail(&y, v, err, "model-paths: expected a list of folders");
        goto out;
    }
    v = tl_yml_get(&y, root, "test-paths");
    if (v && tl_yml_strings(&y, v, &L->test_paths, &L->n_test_paths)) {
        rc = tl_yml_fail(&y, v, err, "test-paths: expected a list of folders");
        goto out;
    }
    if (!L->model_paths) {
        L->model_paths = calloc(2, sizeof(char *));
        if (!L->model_paths || !(L->model_paths[0] = strdup("models")))
            goto nomem;
        L->n_model_paths = 1;
    }
    if (!L->test_paths) {
        L->test_paths = calloc(2, sizeof(char *));
        if (!L->test_paths || !(L->test_paths[0] = strdup("tests")))
            goto nomem;
        L->n_test_paths = 1;
    }
    v = tl_yml_get(&y, root, "vars");
    for (int i = 0; i < tl_yml_npairs(v); i++) {
        yaml_node_t *k, *val;
        tl_yml_pair(&y, v, i, &k, &val);
        if (!tl_yml_str(k) || !tl_yml_str(val)) {
            rc = tl_yml_fail(&y, val, err, "vars: values must be scalars");
            goto out;
        }
        char *s = strdup(tl_yml_str(val));
        if (!s || tl_strmap_put(p->vars, tl_yml_str(k), s) != 0) {
            free(s);
            goto nomem;
        }
    }
    v = tl_yml_get(&y, root, "models");
    for (int i = 0; i < tl_yml_npairs(v); i++) {
        yaml_node_t *k, *val;
        tl_yml_pair(&y, v, i, &k, &val);
        const char *key = tl_yml_str(k);
        if (key && key[0] == '+') {
            rc = tl_yml_fail(&y, k, err,
                             "models: put configs under the project's name (models: <name>: "
                             "+materialized: ...)");
            goto out;
        }
        if (!key || strcmp(key, p->name) != 0) {
            char msg[300];
            snprintf(msg, sizeof msg, "models: '%s' is not this project's name '%s'",
                     key ? key : "?", p->name);
            rc = tl_yml_fail(&y, k, err, msg);
            goto out;
        }
        if ((rc = read_folder(L, &y, val, "", 0, err)) != 0)
            goto out;
    }
    rc = 0;
    goto out;
nomem:
    rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
out:
    tl_yml_free(&y);
    return rc;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static int add_model(loader *L, const char *root, const char *rel, tl_err *err) {
    tl_project *p = L->p;
    char *full = tl_strdup_printf("%s/%s", p->dir, rel), *text = NULL;
    if (!full)
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    int rc = read_file(full, &text, err);
    free(full);
    if (rc)
        return rc;
    const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
    size_t nlen = strlen(base) - 4;
    for (size_t i = 0; i < p->n_models; i++)
        if (strlen(p->models[i].name) == nlen && !strncmp(p->models[i].name, base, nlen)) {
            free(text);
            return tl_err_set(err, TL_ERR_INVALID, "two models named %.*s: %s and %s", (int)nlen,
                              base, p->models[i].path, rel);
        }
    tl_model *ms = realloc(p->models, (p->n_models + 1) * sizeof *ms);
    char **roots = realloc(L->model_roots, (p->n_models + 1) * sizeof *roots);
    if (ms)
        p->models = ms;
    if (roots)
        L->model_roots = roots;
    if (!ms || !roots) {
        free(text);
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    }
    tl_model *m = &p->models[p->n_models];
    memset(m, 0, sizeof *m);
    L->model_roots[p->n_models++] = (char *)root;
    m->mat = TL_MAT_VIEW;  /* dbt's default */
    m->delete_insert = -1; /* not set: decided after the configs are merged */
    if (!(m->name = strndup(base, nlen)) || !(m->path = strdup(rel))) {
        free(text);
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    }
    rc = tl_tpl_parse(rel, text, &m->tpl, err);
    free(text);
    return rc;
}

static int add_singular(loader *L, const char *rel, tl_err *err) {
    char *full = tl_strdup_printf("%s/%s", L->p->dir, rel), *text = NULL;
    if (!full)
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    int rc = read_file(full, &text, err);
    free(full);
    if (rc)
        return rc;
    tl_mtest *t;
    const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
    if (tl_project_add_test(L->p, &t) != 0 || !(t->name = strndup(base, strlen(base) - 4)) ||
        !(t->path = strdup(rel))) {
        free(text);
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    }
    t->kind = TL_TEST_SINGULAR;
    t->line = 1;
    rc = tl_tpl_parse(rel, text, &t->tpl, err);
    free(text);
    return rc;
}

typedef int (*file_fn)(loader *L, const char *root, const char *rel, tl_err *err);

/* Walk dir (relative to the project) in name order, calling fn for files. */
static int walk(loader *L, const char *root, const char *rel, int depth, file_fn fn, tl_err *err) {
    char *full = tl_strdup_printf("%s/%s", L->p->dir, rel);
    struct dirent **ents = NULL;
    if (!full)
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    int n = scandir(full, &ents, NULL, alphasort), rc = 0;
    free(full);
    if (n < 0)
        return 0; /* a missing folder holds nothing, as in dbt */
    for (int i = 0; i < n; i++) {
        const char *name = ents[i]->d_name;
        if (rc == 0 && name[0] != '.') {
            char *sub = tl_strdup_printf("%s/%s", rel, name);
            char *subfull = sub ? tl_strdup_printf("%s/%s", L->p->dir, sub) : NULL;
            struct stat st;
            if (!subfull)
                rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
            else if (stat(subfull, &st) == 0 && S_ISDIR(st.st_mode) && depth < 32)
                rc = walk(L, root, sub, depth + 1, fn, err);
            else if (stat(subfull, &st) == 0 && S_ISREG(st.st_mode))
                rc = fn(L, root, sub, err);
            free(sub);
            free(subfull);
        }
        free(ents[i]);
    }
    free(ents);
    return rc;
}

static int model_file(loader *L, const char *root, const char *rel, tl_err *err) {
    if (ends_with(rel, ".sql"))
        return add_model(L, root, rel, err);
    return 0;
}

static int schema_file(loader *L, const char *root, const char *rel, tl_err *err) {
    (void)root;
    if (!ends_with(rel, ".yml") && !ends_with(rel, ".yaml"))
        return 0;
    char *full = tl_strdup_printf("%s/%s", L->p->dir, rel);
    if (!full)
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    int rc = tl_schema_load(L->p, full, rel, L->yml_cfgs, err);
    free(full);
    return rc;
}

static int test_file(loader *L, const char *root, const char *rel, tl_err *err) {
    (void)root;
    return ends_with(rel, ".sql") ? add_singular(L, rel, err) : 0;
}

/* folder defaults < yml config < config() in the SQL. */
static int merge_configs(loader *L, tl_err *err) {
    for (size_t i = 0; i < L->p->n_models; i++) {
        tl_model *m = &L->p->models[i];
        const char *root = L->model_roots[i];
        const char *reldir = m->path + strlen(root);
        reldir += *reldir == '/';
        size_t dlen = strrchr(reldir, '/') ? (size_t)(strrchr(reldir, '/') - reldir) : 0;
        for (size_t f = 0; f < L->n_folders; f++) {
            const char *fp = L->folders[f].path;
            size_t fl = strlen(fp);
            if (fl == 0 ||
                (fl <= dlen && !strncmp(reldir, fp, fl) && (fl == dlen || reldir[fl] == '/'))) {
                int rc = tl_cfg_layer_apply(&L->folders[f].cfg, m, "dbt_project.yml", err);
                if (rc != 0)
                    return rc;
            }
        }
        tl_cfg_layer *y = tl_strmap_get(L->yml_cfgs, m->name);
        int rc = y ? tl_cfg_layer_apply(y, m, "schema file", err) : 0;
        if (rc != 0)
            return rc;
        const tl_tpl_config *c = tl_tpl_config_of(m->tpl);
        tl_cfg_layer sql = {c->materialized, c->incremental_strategy, c->unique_key,
                            c->n_unique_key, c->n_unique_key > 0,     c->tags,
                            c->n_tags};
        if ((rc = tl_cfg_layer_apply(&sql, m, m->path, err)) != 0)
            return rc;
        /* dbt-duckdb's default: delete+insert when a unique_key is given. */
        if (m->delete_insert < 0)
            m->delete_insert = m->n_unique_key > 0;
        if (m->delete_insert && m->n_unique_key == 0)
            return tl_err_set(err, TL_ERR_INVALID,
                              "%s: incremental_strategy delete+insert needs a unique_key", m->path);
    }
    return 0;
}

static void free_layer_ptr(void *v) {
    tl_cfg_layer_free(v);
    free(v);
}

static void loader_free(loader *L) {
    free_strings(L->model_paths, L->n_model_paths);
    free_strings(L->test_paths, L->n_test_paths);
    for (size_t i = 0; i < L->n_folders; i++) {
        free(L->folders[i].path);
        tl_cfg_layer_free(&L->folders[i].cfg);
    }
    free(L->folders);
    free(L->model_roots);
    tl_strmap_destroy(L->yml_cfgs);
}

/* Schema-file entries must name a model that has SQL. */
static int check_yml_models(loader *L, tl_err *err) {
    size_t pos = 0;
    const char *name;
    while (tl_strmap_next(L->yml_cfgs, &pos, &name, NULL))
        if (tl_project_find_model(L->p, name) < 0)
            return tl_err_set(err, TL_ERR_INVALID,
                              "a schema file describes model '%s' but there is no %s.sql", name,
                              name);
    for (size_t i = 0; i < L->p->n_tests; i++) {
        tl_mtest *t = &L->p->tests[i];
        if (t->model && tl_project_find_model(L->p, t->model) < 0)
            return tl_err_set(err, TL_ERR_INVALID, "%s:%d: test %s is on unknown model '%s'",
                              t->path, t->line, t->name, t->model);
        if (t->to && tl_project_find_model(L->p, t->to) < 0)
            return tl_err_set(err, TL_ERR_INVALID,
                              "%s:%d: test %s: relationships to unknown model '%s'", t->path,
                              t->line, t->name, t->to);
    }
    return 0;
}

int tl_project_load(const char *dir, tl_project **out, tl_err *err) {
    *out = NULL;
    loader L = {0};
    tl_project *p = calloc(1, sizeof *p);
    int rc = TL_ERR_NOMEM;
    if (!p || !(p->dir = strdup(dir)) || !(p->vars = tl_strmap_new(free)) ||
        !(L.yml_cfgs = tl_strmap_new(free_layer_ptr))) {
        tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        goto fail;
    }
    L.p = p;
    if ((rc = read_project_file(&L, err)) != 0)
        goto fail;
    for (size_t i = 0; i < L.n_model_paths; i++)
        if ((rc = walk(&L, L.model_paths[i], L.model_paths[i], 0, model_file, err)) != 0)
            goto fail;
    for (size_t i = 0; i < L.n_model_paths; i++)
        if ((rc = walk(&L, L.model_paths[i], L.model_paths[i], 0, schema_file, err)) != 0)
            goto fail;
    for (size_t i = 0; i < L.n_test_paths; i++)
        if ((rc = walk(&L, L.test_paths[i], L.test_paths[i], 0, test_file, err)) != 0)
            goto fail;
    if ((rc = merge_configs(&L, err)) != 0 || (rc = check_yml_models(&L, err)) != 0)
        goto fail;
    loader_free(&L);
    *out = p;
    return 0;
fail:
    loader_free(&L);
    tl_project_free(p);
    return rc;
}

int tl_project_add_test(tl_project *p, tl_mtest **out) {
    tl_mtest *t = realloc(p->tests, (p->n_tests + 1) * sizeof *t);
    if (!t)
        return -1;
    p->tests = t;
    *out = &p->tests[p->n_tests++];
    memset(*out, 0, sizeof **out);
    return 0;
}

void tl_project_free(tl_project *p) {
    if (!p)
        return;
    for (size_t i = 0; i < p->n_models; i++) {
        tl_model *m = &p->models[i];
        free(m->name);
        free(m->path);
        tl_tpl_free(m->tpl);
        free_strings(m->unique_key, m->n_unique_key);
        free_strings(m->tags, m->n_tags);
        free(m->deps);
    }
    for (size_t i = 0; i < p->n_tests; i++) {
        tl_mtest *t = &p->tests[i];
        free(t->name);
        free(t->path);
        free(t->model);
        free(t->column);
        free_strings(t->values, t->n_values);
        free(t->to);
        free(t->field);
        tl_tpl_free(t->tpl);
    }
    for (size_t i = 0; i < p->n_sources; i++) {
        free(p->sources[i].source);
        free(p->sources[i].table);
        free(p->sources[i].identifier);
    }
    free(p->models);
    free(p->tests);
    free(p->sources);
    tl_strmap_destroy(p->vars);
    free(p->dir);
    free(p->name);
    free(p);
}
