/* schema: a table's columns as they evolve — the built-in definition plus
 * nullable columns appended since (schema.extra_columns, the unknown-fields
 * column), read back from a lake's schemaString, and the one merge rule
 * that decides whether a configuration may write to a lake: add nullable
 * columns, never drop, retype or rename one (readers of old files would
 * see a column change meaning under the same name, or vanish). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "tables/tables.h"

#define NAME_MAX_LEN 64

static int nomem(tl_err *err) {
    return tl_err_set(err, TL_ERR_NOMEM, "out of memory (table schema)");
}

void tl_schema_free(tl_schema *s) {
    if (!s)
        return;
    for (size_t i = 0; i < s->table.ncols; i++)
        free((char *)s->cols[i].name);
    free(s->cols);
    free(s);
}

static int push(tl_schema *s, const char *name, tl_col_type type, bool nullable) {
    if (s->table.ncols == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 16;
        tl_column *n = realloc(s->cols, ncap * sizeof *n);
        if (!n)
            return -1;
        s->cols = n;
        s->cap = ncap;
    }
    char *copy = strdup(name);
    if (!copy)
        return -1;
    s->cols[s->table.ncols++] = (tl_column){copy, type, nullable};
    s->table.cols = s->cols;
    return 0;
}

/* An empty schema with base's name and partition columns. */
static tl_schema *schema_empty(const tl_table *base) {
    tl_schema *s = calloc(1, sizeof *s);
    if (s)
        s->table = (tl_table){base->name, NULL, 0, base->parts, base->nparts};
    return s;
}

tl_schema *tl_schema_new(const tl_table *base) {
    tl_schema *s = schema_empty(base);
    for (size_t i = 0; s && i < base->ncols; i++)
        if (push(s, base->cols[i].name, base->cols[i].type, base->cols[i].nullable) != 0) {
            tl_schema_free(s);
            return NULL;
        }
    return s;
}

int tl_schema_find(const tl_table *t, const char *name) {
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int part_index(const tl_table *t, const char *name) {
    for (size_t i = 0; i < t->nparts; i++)
        if (strcmp(t->parts[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Names go into SQL and the schema JSON unquoted: identifiers only. */
static bool name_ok(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || n > NAME_MAX_LEN || isdigit((unsigned char)name[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && name[i] != '_')
            return false;
    return true;
}

int tl_schema_add(tl_schema *s, const char *name, tl_col_type type, tl_err *err) {
    if (!name_ok(name))
        return tl_err_set(err, TL_ERR_INVALID,
                          "column name '%s' must be a letter or '_' then up to 63 letters, "
                          "digits or '_'",
                          name);
    if (tl_schema_find(&s->table, name) >= 0 || part_index(&s->table, name) >= 0)
        return tl_err_set(err, TL_ERR_INVALID, "the %s table already has a column '%s'",
                          s->table.name, name);
    return push(s, name, type, true) ? nomem(err) : 0;
}

/* ---- a lake's schemaString ------------------------------------------------ */

static int delta_type(yajl_val type, tl_col_type *out) {
    static const struct {
        const char *delta;
        tl_col_type t;
    } scalars[] = {
        {"string", TL_COL_STRING},       {"timestamp", TL_COL_TIMESTAMP},
        {"decimal(18,6)", TL_COL_DECIMAL}, {"long", TL_COL_LONG},
        {"integer", TL_COL_INT},         {"boolean", TL_COL_BOOL},
    };
    if (YAJL_IS_STRING(type)) {
        for (size_t i = 0; i < sizeof scalars / sizeof *scalars; i++)
            if (strcmp(type->u.string, scalars[i].delta) == 0) {
                *out = scalars[i].t;
                return 0;
            }
        return -1;
    }
    const char *kind[] = {"type", NULL}, *elem[] = {"elementType", NULL};
    yajl_val k = yajl_tree_get(type, kind, yajl_t_string);
    yajl_val e = yajl_tree_get(type, elem, yajl_t_string);
    if (k && e && strcmp(k->u.string, "array") == 0 && strcmp(e->u.string, "string") == 0) {
        *out = TL_COL_LIST;
        return 0;
    }
    return -1;
}

static int read_field(tl_schema *s, const tl_table *base, yajl_val f, unsigned *parts_seen,
                      tl_err *err) {
    const char *pn[] = {"name", NULL}, *pt[] = {"type", NULL}, *pnull[] = {"nullable", NULL};
    yajl_val name = yajl_tree_get(f, pn, yajl_t_string);
    yajl_val type = yajl_tree_get(f, pt, yajl_t_any);
    yajl_val nullable = yajl_tree_get(f, pnull, yajl_t_any);
    tl_col_type t;
    if (!name || !type)
        return tl_err_set(err, TL_ERR_CORRUPT, "the %s table's schema has a field without a name "
                          "or type", base->name);
    int p = part_index(base, name->u.string);
    if (p >= 0) {
        *parts_seen |= 1u << p;
        return 0;
    }
    if (!name_ok(name->u.string) || delta_type(type, &t) != 0)
        return tl_err_set(err, TL_ERR_INVALID,
                          "the %s table's column '%s' has a name or type ticklake cannot write "
                          "(types: string, long, decimal(18,6), timestamp, boolean, integer, "
                          "array of string)",
                          base->name, name->u.string);
    if (tl_schema_find(&s->table, name->u.string) >= 0)
        return tl_err_set(err, TL_ERR_CORRUPT, "the %s table's schema names column '%s' twice",
                          base->name, name->u.string);
    return push(s, name->u.string, t, !YAJL_IS_FALSE(nullable)) ? nomem(err) : 0;
}

int tl_schema_from_delta(const tl_table *base, const char *schema_string, tl_schema **out,
                         tl_err *err) {
    char why[128] = "";
    const char *pf[] = {"fields", NULL};
    yajl_val root = yajl_tree_parse(schema_string ? schema_string : "", why, sizeof why);
    yajl_val fields = root ? yajl_tree_get(root, pf, yajl_t_array) : NULL;
    tl_schema *s = NULL;
    unsigned parts_seen = 0;
    int rc = 0;
    *out = NULL;
    if (!fields) {
        rc = tl_err_set(err, TL_ERR_CORRUPT, "the %s table's schemaString is not a struct%s%s",
                        base->name, *why ? ": " : "", why);
        goto out;
    }
    if (!(s = schema_empty(base))) {
        rc = nomem(err);
        goto out;
    }
    for (size_t i = 0; i < fields->u.array.len && rc == 0; i++)
        rc = read_field(s, base, fields->u.array.values[i], &parts_seen, err);
    if (rc == 0 && parts_seen != (1u << base->nparts) - 1)
        rc = tl_err_set(err, TL_ERR_INVALID,
                        "the %s table's schema lacks some of its partition columns", base->name);
out:
    yajl_tree_free(root);
    if (rc)
        tl_schema_free(s);
    else
        *out = s;
    return rc;
}

/* ---- the merge rule --------------------------------------------------------- */

/* A wanted column the lake lacks, of the given type: the new name of a
 * column that seems renamed. NULL when none. */
static const tl_column *new_of_type(const tl_table *lake, const tl_table *want, tl_col_type t) {
    for (size_t i = 0; i < want->ncols; i++)
        if (want->cols[i].type == t && tl_schema_find(lake, want->cols[i].name) < 0)
            return &want->cols[i];
    return NULL;
}

static int refuse_missing(const tl_table *lake, const tl_table *want, const tl_column *c,
                          tl_err *err) {
    const tl_column *r = new_of_type(lake, want, c->type);
    if (r)
        return tl_err_set(err, TL_ERR_INVALID,
                          "the %s table has column '%s' (%s) that the configuration lacks, and "
                          "'%s' (%s) that the lake lacks: renaming a column is refused (readers "
                          "of old files would lose it); declare both in schema.extra_columns",
                          lake->name, c->name, tl_col_type_name(c->type), r->name,
                          tl_col_type_name(r->type));
    return tl_err_set(err, TL_ERR_INVALID,
                      "the %s table has column '%s' (%s) that the configuration lacks: removing "
                      "a column is refused; the configuration is older than the lake's schema — "
                      "declare '%s: %s' in schema.extra_columns",
                      lake->name, c->name, tl_col_type_name(c->type), c->name,
                      tl_col_type_name(c->type));
}

static int check_parts(const tl_table *lake, const tl_table *want, tl_err *err) {
    bool same = lake->nparts == want->nparts;
    for (size_t i = 0; same && i < lake->nparts; i++)
        same = strcmp(lake->parts[i].name, want->parts[i].name) == 0;
    return same ? 0
                : tl_err_set(err, TL_ERR_INVALID,
                             "the %s table's partition columns differ from ticklake's: "
                             "repartitioning is refused",
                             lake->name);
}

int tl_schema_merge(const tl_table *lake, const tl_table *want, tl_schema **out, size_t *added,
                    tl_err *err) {
    int rc = check_parts(lake, want, err);
    *out = NULL;
    *added = 0;
    for (size_t i = 0; rc == 0 && i < lake->ncols; i++) {
        const tl_column *c = &lake->cols[i];
        int w = tl_schema_find(want, c->name);
        if (w < 0)
            rc = refuse_missing(lake, want, c, err);
        else if (want->cols[w].type != c->type)
            rc = tl_err_set(err, TL_ERR_INVALID,
                            "the %s table's column '%s' is %s in the lake but %s in the "
                            "configuration: retyping a column is refused (files already written "
                            "hold %s)",
                            lake->name, c->name, tl_col_type_name(c->type),
                            tl_col_type_name(want->cols[w].type), tl_col_type_name(c->type));
    }
    if (rc)
        return rc;
    tl_schema *s = schema_empty(lake);
    for (size_t i = 0; s && i < lake->ncols; i++)
        if (push(s, lake->cols[i].name, lake->cols[i].type, lake->cols[i].nullable) != 0)
            goto oom;
    for (size_t i = 0; s && i < want->ncols; i++) {
        if (tl_schema_find(lake, want->cols[i].name) >= 0)
            continue;
        if (push(s, want->cols[i].name, want->cols[i].type, true) != 0)
            goto oom;
        (*added)++;
    }
    if (!s)
        return nomem(err);
    *out = s;
    return 0;
oom:
    tl_schema_free(s);
    *added = 0;
    return nomem(err);
}

/* ---- schema.extra_columns ------------------------------------------------- */

static const char *trim(char *s) {
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static int add_entry(tl_schema *s, char *entry, tl_err *err) {
    char *colon = strchr(entry, ':');
    tl_col_type t;
    if (!colon)
        return tl_err_set(err, TL_ERR_INVALID,
                          "schema.extra_columns: '%s' is not name:type", trim(entry));
    *colon = '\0';
    const char *name = trim(entry), *type = trim(colon + 1);
    if (tl_col_type_parse(type, &t) != 0)
        return tl_err_set(err, TL_ERR_INVALID,
                          "schema.extra_columns: column '%s' has type '%s'; the types are string, "
                          "int64, decimal(18,6), timestamp, bool, list<string>",
                          name, type);
    if (strcmp(name, TL_EXTRA_COLUMN) == 0)
        return tl_err_set(err, TL_ERR_INVALID,
                          "schema.extra_columns: '%s' is the unknown-fields column's name", name);
    int rc = tl_schema_add(s, name, t, err);
    return tl_err_wrap(err, rc, "schema.extra_columns");
}

int tl_schema_add_spec(tl_schema *s, const char *spec, tl_err *err) {
    char *copy = strdup(spec ? spec : "");
    if (!copy)
        return nomem(err);
    int rc = 0, depth = 0;
    char *start = copy;
    /* commas inside decimal(18,6) do not separate entries */
    for (char *c = copy;; c++) {
        if (*c == '(' || *c == '<')
            depth++;
        else if ((*c == ')' || *c == '>') && depth > 0)
            depth--;
        else if ((*c == ',' && depth == 0) || *c == '\0') {
            bool end = *c == '\0';
            *c = '\0';
            if (*trim(start))
                rc = add_entry(s, start, err);
            if (rc || end)
                break;
            start = c + 1;
        }
    }
    free(copy);
    return rc;
}
