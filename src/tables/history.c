/* history: which version of a table's log set which columns — every
 * metaData action in the JSON commits the log still holds, in order, each
 * compared with the one before (for `ticklake schema`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "tables/tables.h"

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The versions of the JSON commits under <table>/_delta_log/, sorted. */
static int commit_versions(tl_store *s, const char *table, int64_t **out, size_t *n, tl_err *err) {
    char prefix[512];
    tl_store_entry *e = NULL;
    size_t ne = 0;
    snprintf(prefix, sizeof prefix, "%s/_delta_log/", table);
    int rc = tl_store_list(s, prefix, &e, &ne, err);
    if (rc)
        return rc;
    int64_t *v = malloc((ne ? ne : 1) * sizeof *v);
    *n = 0;
    for (size_t i = 0; v && i < ne; i++) {
        const char *name = strrchr(e[i].key, '/');
        name = name ? name + 1 : e[i].key;
        if (strlen(name) == 25 && strcmp(name + 20, ".json") == 0 &&
            strspn(name, "0123456789") == 20)
            v[(*n)++] = strtoll(name, NULL, 10);
    }
    tl_store_entries_free(e, ne);
    if (!v)
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    qsort(v, *n, sizeof *v, cmp_i64);
    *out = v;
    return 0;
}

/* The schemaString of a commit's metaData line (*schema, NULL when the
 * commit has none), and its commitInfo time. TL_ERR_NOMEM: a schema there
 * could not be copied (not "no schema": the change would go unlisted). */
static int commit_schema(char *text, char **schema_out, int64_t *ts_ms) {
    char *schema = NULL;
    bool oom = false;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        bool meta = strncmp(line, "{\"metaData\"", 11) == 0;
        if (meta || strncmp(line, "{\"commitInfo\"", 13) == 0) {
            yajl_val v = yajl_tree_parse(line, NULL, 0);
            const char *ps[] = {"metaData", "schemaString", NULL}, *pt[] = {"commitInfo", "timestamp", NULL};
            yajl_val sv = yajl_tree_get(v, ps, yajl_t_string);
            yajl_val tv = yajl_tree_get(v, pt, yajl_t_number);
            if (meta && sv && !schema)
                oom |= !(schema = strdup(sv->u.string));
            if (tv && YAJL_IS_INTEGER(tv))
                *ts_ms = YAJL_GET_INTEGER(tv);
            yajl_tree_free(v);
        }
        line = nl ? nl + 1 : NULL;
    }
    *schema_out = schema;
    return oom ? TL_ERR_NOMEM : 0;
}

int tl_table_schema_history(tl_store *s, const tl_table *base, tl_schema_change_fn fn, void *ud,
                            tl_err *err) {
    int64_t *versions = NULL;
    size_t n = 0;
    tl_schema *before = NULL;
    tl_buf b = TL_BUF_INIT;
    char key[600];
    int rc = commit_versions(s, base->name, &versions, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        tl_lake_log_key(base->name, versions[i], key, sizeof key);
        tl_buf_reset(&b);
        if ((rc = tl_store_get(s, key, &b, err)) != 0)
            break;
        int64_t ts = -1;
        char *schema = NULL;
        if (commit_schema(b.data ? b.data : (char[]){0}, &schema, &ts) != 0) {
            rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory reading %s", key);
            break;
        }
        if (!schema)
            continue;
        tl_schema *after = NULL;
        rc = tl_schema_from_delta(base, schema, &after, err);
        free(schema);
        if (rc)
            break;
        tl_schema_change c = {versions[i], ts, before ? &before->table : NULL, &after->table,
                              !before && versions[i] > 0};
        rc = fn(ud, &c);
        tl_schema_free(before);
        before = after;
    }
    tl_schema_free(before);
    tl_buf_free(&b);
    free(versions);
    return rc;
}
