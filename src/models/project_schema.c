/* Schema files (the .yml files under the model paths): sources, and per model its config and the
 * generic tests on its columns (not_null, unique, accepted_values,
 * relationships), in dbt's layout ("tests:" or the newer "data_tests:",
 * arguments inline or under "arguments:"). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/project_int.h"
#include "util/buf.h"

/* Append s to b as dbt cleans a test argument: every run of characters
 * other than [0-9A-Za-z_] becomes one '_' (re.sub("[^0-9a-zA-Z_]+", "_")). */
static void put_sanitized(tl_buf *b, const char *s) {
    for (int gap = 0; *s; s++) {
        if (isalnum((unsigned char)*s) || *s == '_') {
            gap = 0;
            tl_buf_append(b, s, 1);
        } else if (!gap) {
            gap = 1;
            tl_buf_puts(b, "_");
        }
    }
}

/* A YAML scalar as dbt sees it in a test's name: Python's str() of what
 * PyYAML (YAML 1.1) makes of it, for the plain scalars whose text changes
 * (true/yes/on -> "True", false/no/off -> "False", null/~ -> "None");
 * anything else, and every quoted scalar, as written. */
static const char *python_str(yaml_node_t *n) {
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
    static const char *const none[] = {"null", "Null", "NULL", "~", ""};
    const char *s = tl_yml_str(n);
    if (!s || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return s;
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        if (!strcmp(s, yes[i]))
            return "True";
        if (!strcmp(s, no[i]))
            return "False";
    }
    for (size_t i = 0; i < sizeof none / sizeof *none; i++)
        if (!strcmp(s, none[i]))
            return "None";
    return s;
}

static int read_sources(tl_project *p, tl_yml *y, yaml_node_t *list, tl_err *err) {
    for (int i = 0; i < tl_yml_len(list); i++) {
        yaml_node_t *src = tl_yml_item(y, list, i);
        const char *name = tl_yml_str(tl_yml_get(y, src, "name"));
        yaml_node_t *tables = tl_yml_get(y, src, "tables");
        if (!name)
            return tl_yml_fail(y, src, err, "sources: every source needs a name");
        for (int j = 0; j < tl_yml_len(tables); j++) {
            yaml_node_t *t = tl_yml_item(y, tables, j);
            const char *tname = tl_yml_str(tl_yml_get(y, t, "name"));
            const char *ident = tl_yml_str(tl_yml_get(y, t, "identifier"));
            if (!tname)
                return tl_yml_fail(y, t, err, "sources: every table needs a name");
            if (tl_yml_get(y, t, "columns") || tl_yml_get(y, t, "tests") ||
                tl_yml_get(y, t, "data_tests"))
                return tl_yml_fail(y, t, err,
                                   "tests on sources are not supported; test the staging "
                                   "model instead");
            tl_source_table *st = realloc(p->sources, (p->n_sources + 1) * sizeof *st);
            if (!st)
                return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
            p->sources = st;
            st = &p->sources[p->n_sources++];
            memset(st, 0, sizeof *st);
            if (!(st->source = strdup(name)) || !(st->table = strdup(tname)) ||
                !(st->identifier = strdup(ident ? ident : tname)))
                return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        }
    }
    return 0;
}

/* "ref('x')" or "ref(\"x\")" -> x (new string), else NULL. */
static char *parse_ref(const char *s) {
    while (isspace((unsigned char)*s))
        s++;
    if (strncmp(s, "ref(", 4) != 0)
        return NULL;
    s += 4;
    while (isspace((unsigned char)*s))
        s++;
    char q = *s;
    if (q != '\'' && q != '"')
        return NULL;
    const char *end = strchr(s + 1, q);
    if (!end)
        return NULL;
    const char *rest = end + 1;
    while (isspace((unsigned char)*rest))
        rest++;
    if (strcmp(rest, ")") != 0)
        return NULL;
    return strndup(s + 1, (size_t)(end - s - 1));
}

/* The test's name as dbt synthesizes it (synthesize_generic_test_names):
 * <kind>_<model>_ and then the arguments in name order (column_name, field,
 * to, values), each cleaned by put_sanitized, joined by "__"; so that both
 * runners report the same names. values: the accepted_values nodes. */
static int test_name(tl_mtest *t, const char *kind, tl_yml *y, yaml_node_t *values) {
    tl_buf b = TL_BUF_INIT;
    tl_buf_printf(&b, "%s_%s_", kind, t->model);
    put_sanitized(&b, t->column);
    if (t->to) {
        tl_buf_puts(&b, "__");
        put_sanitized(&b, t->field);
        tl_buf_puts(&b, "__ref_");
        put_sanitized(&b, t->to);
        tl_buf_puts(&b, "_");
    }
    int n = tl_yml_str(values) ? 1 : tl_yml_len(values);
    for (int i = 0; i < n; i++) {
        tl_buf_puts(&b, "__");
        put_sanitized(&b, python_str(tl_yml_str(values) ? values : tl_yml_item(y, values, i)));
    }
    t->name = b.data;
    return t->name ? 0 : -1;
}

/* One entry of a tests: list. column may be NULL (model-level test, which
 * then needs column_name:). */
static int read_test(tl_project *p, tl_yml *y, yaml_node_t *entry, const char *model,
                     const char *column, tl_err *err) {
    const char *kind = tl_yml_str(entry);
    yaml_node_t *args = NULL;
    if (!kind) {
        yaml_node_t *k;
        if (tl_yml_npairs(entry) != 1)
            return tl_yml_fail(y, entry, err,
                               "a test is a name or a mapping of one name to its "
                               "arguments");
        tl_yml_pair(y, entry, 0, &k, &args);
        kind = tl_yml_str(k);
        if (tl_yml_get(y, args, "arguments"))
            args = tl_yml_get(y, args, "arguments");
    }
    tl_test_kind tk;
    if (kind && !strcmp(kind, "not_null"))
        tk = TL_TEST_NOT_NULL;
    else if (kind && !strcmp(kind, "unique"))
        tk = TL_TEST_UNIQUE;
    else if (kind && !strcmp(kind, "accepted_values"))
        tk = TL_TEST_ACCEPTED_VALUES;
    else if (kind && !strcmp(kind, "relationships"))
        tk = TL_TEST_RELATIONSHIPS;
    else {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "unknown test '%s' (supported: not_null, unique, accepted_values, "
                 "relationships; or a singular test in tests/)",
                 kind ? kind : "?");
        return tl_yml_fail(y, entry, err, msg);
    }
    const char *col = tl_yml_str(tl_yml_get(y, args, "column_name"));
    if (!col)
        col = column;
    if (!col)
        return tl_yml_fail(y, entry, err, "a model-level test needs column_name:");
    tl_mtest *t;
    if (tl_project_add_test(p, &t) != 0)
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    t->kind = tk;
    t->line = tl_yml_line(entry);
    if (!(t->path = strdup(y->file)) || !(t->model = strdup(model)) || !(t->column = strdup(col)))
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    if (tk == TL_TEST_ACCEPTED_VALUES) {
        yaml_node_t *vals = tl_yml_get(y, args, "values");
        if (!vals || tl_yml_strings(y, vals, &t->values, &t->n_values) != 0 || !t->n_values)
            return tl_yml_fail(y, entry, err, "accepted_values needs values: [a list]");
    }
    if (tk == TL_TEST_RELATIONSHIPS) {
        const char *to = tl_yml_str(tl_yml_get(y, args, "to"));
        const char *field = tl_yml_str(tl_yml_get(y, args, "field"));
        if (!to || !field || !(t->to = parse_ref(to)))
            return tl_yml_fail(y, entry, err,
                               "relationships needs to: ref('model') and field: column");
        if (!(t->field = strdup(field)))
            return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    }
    yaml_node_t *values = tk == TL_TEST_ACCEPTED_VALUES ? tl_yml_get(y, args, "values") : NULL;
    return test_name(t, kind, y, values) == 0 ? 0 : tl_err_set(err, TL_ERR_NOMEM, "out of memory");
}

static yaml_node_t *tests_of(tl_yml *y, yaml_node_t *n) {
    yaml_node_t *t = tl_yml_get(y, n, "data_tests");
    return t ? t : tl_yml_get(y, n, "tests");
}

static int read_model_config(tl_yml *y, yaml_node_t *cfg, tl_cfg_layer *layer, tl_err *err) {
    for (int i = 0; i < tl_yml_npairs(cfg); i++) {
        yaml_node_t *k, *v;
        tl_yml_pair(y, cfg, i, &k, &v);
        const char *key = tl_yml_str(k);
        int rc = key ? tl_cfg_layer_read(y, key, v, layer, err) : 0;
        if (rc < 0)
            return rc;
        if (rc == 0) {
            char msg[200];
            snprintf(msg, sizeof msg,
                     "config: '%s' is not supported (materialized, unique_key, tags, "
                     "incremental_strategy)",
                     key ? key : "?");
            return tl_yml_fail(y, k, err, msg);
        }
    }
    return 0;
}

static int read_model(tl_project *p, tl_yml *y, yaml_node_t *m, tl_strmap *cfgs, tl_err *err) {
    const char *name = tl_yml_str(tl_yml_get(y, m, "name"));
    if (!name)
        return tl_yml_fail(y, m, err, "models: every entry needs a name");
    if (tl_strmap_has(cfgs, name))
        return tl_yml_fail(y, m, err, "this model is described twice in the schema files");
    tl_cfg_layer *layer = calloc(1, sizeof *layer);
    if (!layer || tl_strmap_put(cfgs, name, layer) != 0) {
        free(layer);
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    }
    int rc = read_model_config(y, tl_yml_get(y, m, "config"), layer, err);
    yaml_node_t *cols = tl_yml_get(y, m, "columns"), *tests = tests_of(y, m);
    for (int i = 0; rc == 0 && i < tl_yml_len(cols); i++) {
        yaml_node_t *c = tl_yml_item(y, cols, i);
        const char *cname = tl_yml_str(tl_yml_get(y, c, "name"));
        yaml_node_t *ct = tests_of(y, c);
        if (!cname)
            return tl_yml_fail(y, c, err, "columns: every entry needs a name");
        for (int j = 0; rc == 0 && j < tl_yml_len(ct); j++)
            rc = read_test(p, y, tl_yml_item(y, ct, j), name, cname, err);
    }
    for (int i = 0; rc == 0 && i < tl_yml_len(tests); i++)
        rc = read_test(p, y, tl_yml_item(y, tests, i), name, NULL, err);
    return rc;
}

int tl_schema_load(tl_project *p, const char *path, const char *shown, tl_strmap *cfgs,
                   tl_err *err) {
    tl_yml y;
    int rc = tl_yml_load(&y, path, shown, err);
    if (rc == 0) {
        yaml_node_t *root = tl_yml_root(&y);
        yaml_node_t *sources = tl_yml_get(&y, root, "sources");
        yaml_node_t *models = tl_yml_get(&y, root, "models");
        rc = read_sources(p, &y, sources, err);
        for (int i = 0; rc == 0 && i < tl_yml_len(models); i++)
            rc = read_model(p, &y, tl_yml_item(&y, models, i), cfgs, err);
    }
    tl_yml_free(&y);
    return rc;
}
