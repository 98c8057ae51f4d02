/* delta_json — one Delta log line (a JSON object with one action key) into
 * a lake_action. Unknown fields are ignored, as the protocol requires;
 * missing required fields make the line corrupt. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "lake/lake_internal.h"

static yajl_val obj_get(yajl_val obj, const char *key) {
    if (!YAJL_IS_OBJECT(obj))
        return NULL;
    for (size_t i = 0; i < obj->u.object.len; i++)
        if (strcmp(obj->u.object.keys[i], key) == 0)
            return obj->u.object.values[i];
    return NULL;
}

static int need_str(yajl_val obj, const char *act, const char *key, const char **out, tl_err *err) {
    yajl_val v = obj_get(obj, key);
    if (!YAJL_IS_STRING(v))
        return tl_err_set(err, TL_ERR_CORRUPT, "%s.%s is missing or not a string", act, key);
    *out = v->u.string;
    return 0;
}

/* An optional string: NULL when absent or null; wrong type is corrupt. */
static int opt_str(yajl_val obj, const char *act, const char *key, const char **out, tl_err *err) {
    yajl_val v = obj_get(obj, key);
    *out = NULL;
    if (!v || YAJL_IS_NULL(v))
        return 0;
    if (!YAJL_IS_STRING(v))
        return tl_err_set(err, TL_ERR_CORRUPT, "%s.%s is not a string", act, key);
    *out = v->u.string;
    return 0;
}

/* An integer; *out = dflt when absent/null and !required. */
static int get_int(yajl_val obj, const char *act, const char *key, bool required, int64_t dflt,
                   int64_t *out, tl_err *err) {
    yajl_val v = obj_get(obj, key);
    if (!v || YAJL_IS_NULL(v)) {
        *out = dflt;
        return required ? tl_err_set(err, TL_ERR_CORRUPT, "%s.%s is missing", act, key) : 0;
    }
    if (!YAJL_IS_INTEGER(v))
        return tl_err_set(err, TL_ERR_CORRUPT, "%s.%s is not an integer", act, key);
    *out = (int64_t)YAJL_GET_INTEGER(v);
    return 0;
}

static int get_bool(yajl_val obj, const char *act, const char *key, bool dflt, bool *out,
                    tl_err *err) {
    yajl_val v = obj_get(obj, key);
    if (!v || YAJL_IS_NULL(v)) {
        *out = dflt;
        return 0;
    }
    if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
        return tl_err_set(err, TL_ERR_CORRUPT, "%s.%s is not a boolean", act, key);
    *out = YAJL_IS_TRUE(v);
    return 0;
}

static int nomem(tl_err *err) {
    return tl_err_set(err, TL_ERR_NOMEM, "out of memory parsing a log action");
}

/* A JSON object of string (or null) values into an owned kv array. */
static int parse_string_map(yajl_val obj, const char *act, const char *key, tl_lake_kv **out,
                            size_t *n, tl_err *err) {
    yajl_val m = obj_get(obj, key);
    *out = NULL;
    *n = 0;
    if (!m || YAJL_IS_NULL(m))
        return 0;
    if (!YAJL_IS_OBJECT(m))
        return tl_err_set(err, TL_ERR_CORRUPT, "%s.%s is not an object", act, key);
    size_t len = m->u.object.len;
    if (len == 0)
        return 0;
    tl_lake_kv *kv = calloc(len, sizeof *kv);
    if (!kv)
        return nomem(err);
    *out = kv;
    for (size_t i = 0; i < len; i++) {
        yajl_val v = m->u.object.values[i];
        if (!YAJL_IS_STRING(v) && !YAJL_IS_NULL(v))
            return tl_err_set(err, TL_ERR_CORRUPT, "%s.%s[\"%s\"] is not a string", act, key,
                              m->u.object.keys[i]);
        *n = i + 1; /* counted first so a failure below frees what it took */
        if (!(kv[i].key = strdup(m->u.object.keys[i])) ||
            (YAJL_IS_STRING(v) && !(kv[i].value = strdup(v->u.string))))
            return nomem(err);
    }
    return 0;
}

static void free_kv(const tl_lake_kv *kv, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free((char *)kv[i].key);
        free((char *)kv[i].value);
    }
    free((tl_lake_kv *)kv);
}

void tl_lake_file_free(void *p) {
    tl_lake_file *f = p;
    if (!f)
        return;
    free((char *)f->path);
    free((char *)f->stats);
    free_kv(f->partition_values, f->n_partition_values);
    free(f);
}

void tl_lake_txn_free(void *p) {
    lake_txn *t = p;
    if (t) {
        free(t->app_id);
        free(t);
    }
}

void tl_lake_metadata_free(tl_lake_metadata *md) {
    if (!md)
        return;
    free((char *)md->id);
    free((char *)md->name);
    free((char *)md->description);
    free((char *)md->format_provider);
    free((char *)md->schema_string);
    for (size_t i = 0; i < md->n_partition_columns; i++)
        free((char *)md->partition_columns[i]);
    free((char **)md->partition_columns);
    free_kv(md->configuration, md->n_configuration);
    free(md);
}

void tl_lake_protocol_clear(lake_protocol *p) {
    for (size_t i = 0; i < p->n_reader_features; i++)
        free(p->reader_features[i]);
    free(p->reader_features);
    for (size_t i = 0; i < p->n_writer_features; i++)
        free(p->writer_features[i]);
    free(p->writer_features);
    memset(p, 0, sizeof *p);
}

void tl_lake_action_clear(lake_action *a) {
    tl_lake_file_free(a->file);
    tl_lake_txn_free(a->txn);
    tl_lake_metadata_free(a->md);
    tl_lake_protocol_clear(&a->proto);
    memset(a, 0, sizeof *a);
}

static char *dup_or_null(const char *s, bool *oom) {
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *oom = true;
    return d;
}

/* add and remove share one shape; remove leaves size/partitionValues optional. */
static int parse_file(yajl_val o, bool is_add, tl_lake_file **out, tl_err *err) {
    const char *act = is_add ? "add" : "remove";
    const char *path = NULL, *stats = NULL;
    int rc;
    tl_lake_file *f = calloc(1, sizeof *f);
    if (!f)
        return nomem(err);
    tl_lake_kv *pv = NULL;
    size_t npv = 0;
    rc = need_str(o, act, "path", &path, err);
    if (!rc)
        rc = parse_string_map(o, act, "partitionValues", &pv, &npv, err);
    f->partition_values = pv;
    f->n_partition_values = npv;
    if (!rc)
        rc = get_int(o, act, "size", is_add, -1, &f->size, err);
    if (!rc)
        rc = get_int(o, act, "modificationTime", is_add, -1, &f->modification_time, err);
    if (!rc && !is_add)
        rc = get_int(o, act, "deletionTimestamp", false, -1, &f->deletion_timestamp, err);
    if (is_add)
        f->deletion_timestamp = -1;
    if (!rc)
        rc = get_bool(o, act, "dataChange", true, &f->data_change, err);
    if (!rc)
        rc = opt_str(o, act, "stats", &stats, err);
    if (rc)
        goto fail;
    yajl_val dv = obj_get(o, "deletionVector");
    if (dv && !YAJL_IS_NULL(dv)) {
        rc = tl_err_set(err, TL_ERR_INVALID,
                        "%s of '%s' has a deletion vector (Delta reader feature "
                        "'deletionVectors', which ticklake lacks)",
                        act, path);
        goto fail;
    }
    bool oom = false;
    f->stats = dup_or_null(stats, &oom);
    if (oom)
        goto fail_nomem;
    if (!(f->path = tl_lake_path_decode(path))) {
        if (errno == ENOMEM)
            goto fail_nomem;
        rc = tl_err_set(err, TL_ERR_CORRUPT, "%s.path '%s' is not a valid URI path", act, path);
        goto fail;
    }
    *out = f;
    return 0;
fail_nomem:
    rc = nomem(err);
fail:
    tl_lake_file_free(f);
    return rc;
}

static int parse_txn(yajl_val o, lake_txn **out, tl_err *err) {
    const char *app = NULL;
    lake_txn *t = calloc(1, sizeof *t);
    if (!t)
        return nomem(err);
    int rc = need_str(o, "txn", "appId", &app, err);
    if (!rc)
        rc = get_int(o, "txn", "version", true, -1, &t->version, err);
    if (!rc)
        rc = get_int(o, "txn", "lastUpdated", false, -1, &t->last_updated, err);
    if (!rc && !(t->app_id = strdup(app)))
        rc = nomem(err);
    if (rc) {
        tl_lake_txn_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

static int parse_string_array(yajl_val o, const char *act, const char *key, char ***out, size_t *n,
                              tl_err *err) {
    yajl_val a = obj_get(o, key);
    *out = NULL;
    *n = 0;
    if (!a || YAJL_IS_NULL(a))
        return 0;
    if (!YAJL_IS_ARRAY(a))
        return tl_err_set(err, TL_ERR_CORRUPT, "%s.%s is not an array", act, key);
    if (a->u.array.len == 0)
        return 0;
    char **v = calloc(a->u.array.len, sizeof *v);
    if (!v)
        return nomem(err);
    *out = v;
    for (size_t i = 0; i < a->u.array.len; i++) {
        yajl_val s = a->u.array.values[i];
        if (!YAJL_IS_STRING(s))
            return tl_err_set(err, TL_ERR_CORRUPT, "%s.%s[%zu] is not a string", act, key, i);
        *n = i + 1;
        if (!(v[i] = strdup(s->u.string)))
            return nomem(err);
    }
    return 0;
}

static int parse_metadata(yajl_val o, tl_lake_metadata **out, tl_err *err) {
    const char *id = NULL, *schema = NULL, *name = NULL, *desc = NULL, *provider = NULL;
    tl_lake_metadata *md = calloc(1, sizeof *md);
    if (!md)
        return nomem(err);
    char **cols = NULL;
    size_t ncols = 0;
    tl_lake_kv *conf = NULL;
    size_t nconf = 0;
    int rc = need_str(o, "metaData", "id", &id, err);
    if (!rc)
        rc = need_str(o, "metaData", "schemaString", &schema, err);
    if (!rc)
        rc = opt_str(o, "metaData", "name", &name, err);
    if (!rc)
        rc = opt_str(o, "metaData", "description", &desc, err);
    if (!rc)
        rc = opt_str(obj_get(o, "format"), "metaData.format", "provider", &provider, err);
    if (!rc)
        rc = get_int(o, "metaData", "createdTime", false, -1, &md->created_time, err);
    if (!rc)
        rc = parse_string_array(o, "metaData", "partitionColumns", &cols, &ncols, err);
    md->partition_columns = (const char *const *)cols;
    md->n_partition_columns = ncols;
    if (!rc)
        rc = parse_string_map(o, "metaData", "configuration", &conf, &nconf, err);
    md->configuration = conf;
    md->n_configuration = nconf;
    if (rc)
        goto fail;
    bool oom = false;
    md->id = dup_or_null(id, &oom);
    md->schema_string = dup_or_null(schema, &oom);
    md->name = dup_or_null(name, &oom);
    md->description = dup_or_null(desc, &oom);
    md->format_provider = dup_or_null(provider ? provider : "parquet", &oom);
    if (oom) {
        rc = nomem(err);
        goto fail;
    }
    *out = md;
    return 0;
fail:
    tl_lake_metadata_free(md);
    return rc;
}

static int parse_protocol(yajl_val o, lake_protocol *p, tl_err *err) {
    int64_t r = 0, w = 0;
    int rc = get_int(o, "protocol", "minReaderVersion", true, 0, &r, err);
    if (!rc)
        rc = get_int(o, "protocol", "minWriterVersion", true, 0, &w, err);
    if (!rc)
        rc = parse_string_array(o, "protocol", "readerFeatures", &p->reader_features,
                                &p->n_reader_features, err);
    if (!rc)
        rc = parse_string_array(o, "protocol", "writerFeatures", &p->writer_features,
                                &p->n_writer_features, err);
    p->p.min_reader_version = (int)r;
    p->p.min_writer_version = (int)w;
    return rc;
}

static int parse_tree(yajl_val root, lake_action *a, tl_err *err) {
    if (!YAJL_IS_OBJECT(root) || root->u.object.len == 0)
        return tl_err_set(err, TL_ERR_CORRUPT, "not a JSON object with an action");
    /* One action per line; should a writer put more keys in, the first wins. */
    const char *kind = root->u.object.keys[0];
    yajl_val o = root->u.object.values[0];
    if (!strcmp(kind, "commitInfo")) {
        a->type = LAKE_ACT_COMMITINFO;
        return 0;
    }
    bool known = !strcmp(kind, "add") || !strcmp(kind, "remove") || !strcmp(kind, "txn") ||
                 !strcmp(kind, "metaData") || !strcmp(kind, "protocol");
    if (!known) {
        a->type = LAKE_ACT_OTHER;
        return 0;
    }
    if (!YAJL_IS_OBJECT(o))
        return tl_err_set(err, TL_ERR_CORRUPT, "action '%s' is not an object", kind);
    if (!strcmp(kind, "add") || !strcmp(kind, "remove")) {
        a->type = kind[0] == 'a' ? LAKE_ACT_ADD : LAKE_ACT_REMOVE;
        return parse_file(o, a->type == LAKE_ACT_ADD, &a->file, err);
    }
    if (!strcmp(kind, "txn")) {
        a->type = LAKE_ACT_TXN;
        return parse_txn(o, &a->txn, err);
    }
    if (!strcmp(kind, "metaData")) {
        a->type = LAKE_ACT_METADATA;
        return parse_metadata(o, &a->md, err);
    }
    a->type = LAKE_ACT_PROTOCOL;
    return parse_protocol(o, &a->proto, err);
}

int tl_lake_action_parse(const char *line, lake_action *a, tl_err *err) {
    memset(a, 0, sizeof *a);
    const char *p = line;
    while (*p == ' ' || *p == '\t' || *p == '\r')
        p++;
    if (!*p)
        return 0; /* blank line: LAKE_ACT_NONE */
    char ebuf[256];
    yajl_val root = yajl_tree_parse(line, ebuf, sizeof ebuf);
    if (!root) {
        /* yajl's message spans lines and quotes the input: keep line one */
        ebuf[strcspn(ebuf, "\n")] = '\0';
        return tl_err_set(err, TL_ERR_CORRUPT, "invalid JSON (%s)", ebuf[0] ? ebuf : "parse error");
    }
    int rc = parse_tree(root, a, err);
    yajl_tree_free(root);
    if (rc)
        tl_lake_action_clear(a);
    return rc;
}

tl_lake_metadata *tl_lake_metadata_dup(const tl_lake_metadata *src) {
    tl_lake_metadata *md = calloc(1, sizeof *md);
    if (!md)
        return NULL;
    bool oom = false;
    md->id = dup_or_null(src->id, &oom);
    md->name = dup_or_null(src->name, &oom);
    md->description = dup_or_null(src->description, &oom);
    md->format_provider = dup_or_null(src->format_provider, &oom);
    md->schema_string = dup_or_null(src->schema_string, &oom);
    md->created_time = src->created_time;
    if (src->n_partition_columns) {
        char **cols = calloc(src->n_partition_columns, sizeof *cols);
        md->partition_columns = (const char *const *)cols;
        if (!cols)
            oom = true;
        for (size_t i = 0; cols && i < src->n_partition_columns; i++, md->n_partition_columns++)
            cols[i] = dup_or_null(src->partition_columns[i], &oom);
    }
    if (src->n_configuration) {
        tl_lake_kv *kv = calloc(src->n_configuration, sizeof *kv);
        md->configuration = kv;
        if (!kv)
            oom = true;
        for (size_t i = 0; kv && i < src->n_configuration; i++, md->n_configuration++) {
            kv[i].key = dup_or_null(src->configuration[i].key, &oom);
            kv[i].value = dup_or_null(src->configuration[i].value, &oom);
        }
    }
    if (oom) {
        tl_lake_metadata_free(md);
        return NULL;
    }
    return md;
}

int tl_lake_row_parse(const char *row_json, lake_action_fn fn, void *ud, tl_err *err) {
    char ebuf[256];
    yajl_val root = yajl_tree_parse(row_json, ebuf, sizeof ebuf);
    if (!YAJL_IS_OBJECT(root)) {
        yajl_tree_free(root);
        return tl_err_set(err, TL_ERR_CORRUPT, "checkpoint row is not a JSON object");
    }
    int rc = 0;
    for (size_t i = 0; i < root->u.object.len && rc == 0; i++) {
        if (!root->u.object.values[i] || YAJL_IS_NULL(root->u.object.values[i]))
            continue;
        /* Present one column as the one-action object a log line would be. */
        struct yajl_val_s one = {.type = yajl_t_object};
        one.u.object.keys = &root->u.object.keys[i];
        one.u.object.values = &root->u.object.values[i];
        one.u.object.len = 1;
        lake_action a;
        memset(&a, 0, sizeof a);
        rc = parse_tree(&one, &a, err);
        if (rc == 0 && a.type != LAKE_ACT_OTHER && a.type != LAKE_ACT_COMMITINFO)
            rc = fn(ud, &a, err);
        tl_lake_action_clear(&a);
    }
    yajl_tree_free(root);
    return rc;
}
