/* delta_commit — building a commit and writing it with put-if-absent
 * (optimistic concurrency, "Requirements for Writers" in PROTOCOL.md).
 *
 * Actions are serialised as they are added, so a commit attempt is one
 * buffer write; on a lost race only the winners are read and checked. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "lake/delta_render.h"
#include "lake/lake_internal.h"
#include "util/log.h"

#ifndef TL_VERSION
#define TL_VERSION "dev"
#endif

/* Enough for every writer of a busy table to get through; each retry only
 * happens because some other commit landed, so the table makes progress. */
#define COMMIT_MAX_ATTEMPTS 1000

/* A growing list of owned key/value strings, in insertion order (the
 * commitInfo's operationParameters and operationMetrics). */
typedef struct kv_list {
    tl_lake_kv *v;
    size_t n, cap;
} kv_list;

struct tl_lake_tx {
    char *operation;
    kv_list params;       /* operationParameters */
    kv_list metrics;      /* operationMetrics set by the caller, if any */
    tl_buf files;         /* remove and add lines, rendered as they are added */
    tl_lake_metadata *md; /* a metaData action, or NULL */
    bool creates;         /* version 0: protocol 1/2 before md */
    tl_strmap *txn;       /* appId -> int64_t * version */
    tl_strmap *removed;   /* decoded paths this tx removes */
    size_t nadds, nremoves;
    tl_lake_opts opts; /* the checkpoint policy after this commit */
};

static int tx_nomem(tl_err *err) {
    return tl_err_set(err, TL_ERR_NOMEM, "out of memory building a lake commit");
}

tl_lake_tx *tl_lake_tx_new(const char *operation, const tl_lake_opts *opts, tl_err *err) {
    tl_lake_tx *tx = calloc(1, sizeof *tx);
    if (!tx || !(tx->operation = strdup(operation ? operation : "WRITE")) ||
        !(tx->txn = tl_strmap_new(free)) || !(tx->removed = tl_strmap_new(NULL))) {
        tl_lake_tx_destroy(tx);
        tx_nomem(err);
        return NULL;
    }
    tx->opts = opts ? *opts : tl_lake_opts_default();
    return tx;
}

static void kv_list_free(kv_list *l) {
    for (size_t i = 0; i < l->n; i++) {
        free((char *)l->v[i].key);
        free((char *)l->v[i].value);
    }
    free(l->v);
}

void tl_lake_tx_destroy(tl_lake_tx *tx) {
    if (!tx)
        return;
    free(tx->operation);
    kv_list_free(&tx->params);
    kv_list_free(&tx->metrics);
    tl_buf_free(&tx->files);
    if (tx->md)
        tl_lake_metadata_free(tx->md);
    tl_strmap_destroy(tx->txn);
    tl_strmap_destroy(tx->removed);
    free(tx);
}

/* Append f's action line to tx->files; on failure the buffer is as before. */
static int render_file(tl_lake_tx *tx, const tl_lake_file *f,
                       int (*render)(tl_json *, const tl_lake_file *)) {
    size_t mark = tx->files.len;
    tl_json *j = tl_json_new(&tx->files);
    int rc = j ? render(j, f) : TL_ERR_NOMEM;
    tl_json_free(j);
    if (rc && tx->files.data) {
        tx->files.len = mark;
        tx->files.data[mark] = '\0';
    }
    return rc;
}

static int check_path(const char *path, tl_err *err) {
    if (!path || !*path || path[0] == '/' || strstr(path, "://"))
        return tl_err_set(err, TL_ERR_INVALID, "lake: file path '%s' must be relative to the table",
                          path ? path : "(null)");
    return 0;
}

int tl_lake_tx_add(tl_lake_tx *tx, const tl_lake_file *f, tl_err *err) {
    int rc = check_path(f->path, err);
    if (rc)
        return rc;
    if (f->stats) {
        /* Engines parse stats; a bad string would break their reads, not ours. */
        yajl_val v = yajl_tree_parse(f->stats, NULL, 0);
        bool ok = YAJL_IS_OBJECT(v);
        yajl_tree_free(v);
        if (!ok)
            return tl_err_set(err, TL_ERR_INVALID, "lake: stats of '%s' is not a JSON object",
                              f->path);
    }
    if (render_file(tx, f, tl_lake_render_add) != 0)
        return tx_nomem(err);
    tx->nadds++;
    return 0;
}

int tl_lake_tx_remove(tl_lake_tx *tx, const tl_lake_file *f, bool data_change,
                      int64_t deletion_ts_ms, tl_err *err) {
    int rc = check_path(f->path, err);
    if (rc)
        return rc;
    if (tl_strmap_has(tx->removed, f->path))
        return tl_err_set(err, TL_ERR_INVALID, "lake: '%s' is removed twice in one commit",
                          f->path);
    /* the caller's file, as a tombstone stamped with the deletion time */
    tl_lake_file t = *f;
    t.data_change = data_change;
    t.deletion_timestamp = deletion_ts_ms > 0 ? deletion_ts_ms : tl_lake_now_ms();
    size_t mark = tx->files.len;
    if (render_file(tx, &t, tl_lake_render_remove) != 0)
        return tx_nomem(err);
    if (tl_strmap_put(tx->removed, f->path, NULL) != 0) {
        tx->files.len = mark;
        tx->files.data[mark] = '\0';
        return tx_nomem(err);
    }
    tx->nremoves++;
    return 0;
}

int tl_lake_tx_set_txn(tl_lake_tx *tx, const char *app_id, int64_t version, tl_err *err) {
    if (!app_id || !*app_id)
        return tl_err_set(err, TL_ERR_INVALID, "lake: txn app id is empty");
    int64_t *v = malloc(sizeof *v);
    if (!v || (*v = version, tl_strmap_put(tx->txn, app_id, v) != 0)) {
        free(v);
        return tx_nomem(err);
    }
    return 0;
}

static int kv_list_add(kv_list *l, const char *key, const char *value) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        tl_lake_kv *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    char *k = strdup(key), *val = value ? strdup(value) : NULL;
    if (!k || (value && !val)) {
        free(k);
        free(val);
        return -1;
    }
    l->v[l->n++] = (tl_lake_kv){k, val};
    return 0;
}

int tl_lake_tx_param(tl_lake_tx *tx, const char *key, const char *value, tl_err *err) {
    return kv_list_add(&tx->params, key, value) ? tx_nomem(err) : 0;
}

int tl_lake_tx_metric(tl_lake_tx *tx, const char *key, const char *value, tl_err *err) {
    return kv_list_add(&tx->metrics, key, value) ? tx_nomem(err) : 0;
}

/* commitInfo, then protocol and metaData (if set), then the txn lines. */
static int render_actions(tl_json *j, const tl_lake_tx *tx, int64_t read_version, int64_t now) {
    char uuid[37], nadds[24], nremoves[24];
    tl_lake_uuid(uuid);
    snprintf(nadds, sizeof nadds, "%zu", tx->nadds);
    snprintf(nremoves, sizeof nremoves, "%zu", tx->nremoves);
    /* Spark's counts unless the caller set its operation's own metrics */
    const tl_lake_kv counts[] = {{"numAddedFiles", nadds}, {"numRemovedFiles", nremoves}};
    tl_lake_commit_info ci = {
        .timestamp = now,
        .operation = tx->operation,
        .params = tx->params.v,
        .n_params = tx->params.n,
        .read_version = read_version,
        .blind_append = tx->nremoves == 0,
        .metrics = tx->metrics.n ? tx->metrics.v : counts,
        .n_metrics = tx->metrics.n ? tx->metrics.n : 2,
        .engine_info = "ticklake/" TL_VERSION,
        .txn_id = uuid,
    };
    int rc = tl_lake_render_commit_info(j, &ci);
    if (!rc && tx->creates)
        rc = tl_lake_render_protocol(j, &(tl_lake_protocol){1, 2});
    if (!rc && tx->md)
        rc = tl_lake_render_metadata(j, tx->md);
    /* txn lines in app id order: deterministic output for equal input */
    size_t n;
    const char **ids = tl_strmap_sorted_keys(tx->txn, &n);
    if (n == (size_t)-1)
        return TL_ERR_NOMEM;
    for (size_t i = 0; i < n && !rc; i++)
        rc = tl_lake_render_txn(j, ids[i], *(int64_t *)tl_strmap_get(tx->txn, ids[i]), now);
    free(ids);
    return rc;
}

/* The whole commit file for one attempt: the actions, then the file lines
 * rendered as they were added. */
static int tx_render(const tl_lake_tx *tx, int64_t read_version, tl_buf *out) {
    tl_buf_reset(out);
    tl_json *j = tl_json_new(out);
    int rc = j ? render_actions(j, tx, read_version, tl_lake_now_ms()) : TL_ERR_NOMEM;
    tl_json_free(j);
    if (!rc && tx->files.len && tl_buf_append(out, tx->files.data, tx->files.len))
        rc = TL_ERR_NOMEM;
    return rc;
}

/* Does the winning commit `text` (version v) clash with tx? */
static int check_winner(const tl_lake_tx *tx, const char *key, int64_t v, char *text, tl_err *err) {
    int lineno = 0;
    for (char *line = text; line && *line; lineno++) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        lake_action a;
        int rc = tl_lake_action_parse(line, &a, err);
        if (rc)
            return tl_err_wrap(err, rc, "%s line %d", key, lineno + 1);
        if (a.type == LAKE_ACT_TXN && tl_strmap_has(tx->txn, a.txn->app_id))
            rc = tl_err_set(err, TL_ERR_CONFLICT,
                            "lake: version %" PRId64 " (another writer) also records txn for app "
                            "'%s' (version %" PRId64 "): this source is owned elsewhere",
                            v, a.txn->app_id, a.txn->version);
        else if (a.type == LAKE_ACT_REMOVE && tl_strmap_has(tx->removed, a.file->path))
            rc = tl_err_set(err, TL_ERR_CONFLICT,
                            "lake: version %" PRId64 " already removed '%s', which this commit "
                            "removes too",
                            v, a.file->path);
        else if (a.type == LAKE_ACT_METADATA || a.type == LAKE_ACT_PROTOCOL)
            rc = tl_err_set(err, TL_ERR_CONFLICT,
                            "lake: version %" PRId64 " changed the table's %s; re-read and redo", v,
                            a.type == LAKE_ACT_METADATA ? "metaData" : "protocol");
        tl_lake_action_clear(&a);
        if (rc)
            return rc;
        line = nl ? nl + 1 : NULL;
    }
    return 0;
}

/* Check winners from version v on; *next = first version not yet written. */
static int check_winners(tl_store *s, const char *table, const tl_lake_tx *tx, int64_t v,
                         int64_t *next, tl_err *err) {
    char key[4096];
    tl_buf b = TL_BUF_INIT;
    int rc = 0;
    for (;; v++) {
        if (tl_lake_log_key(table, v, key, sizeof key) != 0) {
            rc = tl_err_set(err, TL_ERR_INVALID, "lake: table name '%s' is too long", table);
            break;
        }
        tl_buf_reset(&b);
        rc = tl_store_get(s, key, &b, err);
        if (rc == TL_ERR_NOT_FOUND) {
            tl_err_clear(err);
            rc = 0;
            break;
        }
        if (rc || (rc = check_winner(tx, key, v, b.data ? b.data : (char[]){0}, err)) != 0)
            break;
    }
    *next = v;
    tl_buf_free(&b);
    return rc;
}

int tl_lake_commit(tl_store *s, const char *table, tl_lake_tx *tx, int64_t read_version,
                   int64_t *committed_version, tl_err *err) {
    char key[4096];
    tl_buf body = TL_BUF_INIT;
    int64_t v = read_version < 0 ? 0 : read_version + 1;
    int rc;
    if (v == 0 && !tx->creates)
        return tl_err_set(err, TL_ERR_INVALID,
                          "lake: table '%s' has no version yet; create it first", table);
    if (tx->creates && v != 0)
        return tl_err_set(err, TL_ERR_INVALID, "lake: a table-creating commit must be version 0");
    for (int attempt = 0; attempt < COMMIT_MAX_ATTEMPTS; attempt++) {
        if (tl_lake_log_key(table, v, key, sizeof key) != 0) {
            rc = tl_err_set(err, TL_ERR_INVALID, "lake: table name '%s' is too long", table);
            goto out;
        }
        if (tx_render(tx, read_version, &body) != 0) {
            rc = tx_nomem(err);
            goto out;
        }
        rc = tl_store_put_if_absent(s, key, body.data, body.len, err);
        if (rc == 0) {
            if (committed_version)
                *committed_version = v;
            tl_debugf("lake",
                      TL_FIELDS(TL_LS("file", key), TL_LI("adds", tx->nadds),
                                TL_LI("removes", tx->nremoves)),
                      "committed %s (%zu adds, %zu removes)", key, tx->nadds, tx->nremoves);
            /* Every 10th version: a checkpoint, so replay stays short. It
             * is an optimisation; failing it must not fail the commit. */
            tl_err cerr = {0};
            if (tl_lake_maybe_checkpoint(s, table, v, &tx->opts, &cerr) != 0)
                tl_warn("lake", "checkpoint after %s failed: %s", key, cerr.msg);
            goto out;
        }
        if (rc != TL_ERR_CONFLICT || tx->creates)
            goto out; /* creation never retries: the caller compares definitions */
        if ((rc = check_winners(s, table, tx, v, &v, err)) != 0)
            goto out;
    }
    rc = tl_err_set_retriable(err, TL_ERR_CONFLICT,
                              "lake: gave up committing to '%s' after %d lost races", table,
                              COMMIT_MAX_ATTEMPTS);
out:
    tl_buf_free(&body);
    return rc;
}

/* ---- metaData ----------------------------------------------------------- */

int tl_lake_tx_set_metadata(tl_lake_tx *tx, const tl_lake_metadata *md, const char *schema_string,
                            tl_err *err) {
    tl_lake_metadata changed = *md;
    changed.schema_string = schema_string;
    tl_lake_metadata *copy = tl_lake_metadata_dup(&changed);
    if (!copy)
        return tx_nomem(err);
    if (tx->md)
        tl_lake_metadata_free(tx->md);
    tx->md = copy; /* rendered by tl_lake_render_metadata at commit time */
    return 0;
}

/* ---- table creation ---------------------------------------------------- */

/* protocol 1/2 and a metaData with a fresh id: what version 0 holds. */
static int set_new_table(tl_lake_tx *tx, const char *schema_string, const char *const *cols,
                         size_t ncols) {
    char uuid[37];
    tl_lake_uuid(uuid);
    tl_lake_metadata md = {.id = uuid,
                           .format_provider = "parquet",
                           .schema_string = schema_string,
                           .partition_columns = cols,
                           .n_partition_columns = ncols,
                           .created_time = tl_lake_now_ms()};
    if (!(tx->md = tl_lake_metadata_dup(&md)))
        return -1;
    tx->creates = true;
    return 0;
}

static bool same_definition(const tl_lake_metadata *md, const char *schema_string,
                            const char *const *cols, size_t ncols) {
    if (!md || strcmp(md->schema_string, schema_string) != 0 || md->n_partition_columns != ncols)
        return false;
    for (size_t i = 0; i < ncols; i++)
        if (strcmp(md->partition_columns[i], cols[i]) != 0)
            return false;
    return true;
}

/* The table exists (snap has a version): fine if it is the same table and
 * ticklake may write to it. */
static int check_existing(const tl_lake_snapshot *snap, const char *table,
                          const char *schema_string, const char *const *cols, size_t ncols,
                          tl_err *err) {
    if (!same_definition(tl_lake_snapshot_metadata(snap), schema_string, cols, ncols))
        return tl_err_set(err, TL_ERR_CONFLICT,
                          "lake: table '%s' exists with a different schema or partitioning", table);
    /* another engine may have changed its protocol since */
    int rc = tl_lake_snapshot_check_writable(snap, err);
    if (rc == 0)
        tl_err_clear(err); /* no stale message from a lost creation race */
    return rc;
}

int tl_lake_create(tl_store *s, const char *table, const char *schema_string,
                   const char *const *partition_columns, size_t n_partition_columns,
                   const tl_duck_opts *duck, tl_err *err) {
    if (!schema_string || !*schema_string)
        return tl_err_set(err, TL_ERR_INVALID, "lake: table '%s' needs a schema", table);
    /* Look first: put-if-absent on version 0 alone is not enough, since log
     * cleanup (ours, or another engine's) deletes the commits behind a
     * checkpoint, version 0 included; writing it again would put a second
     * CREATE TABLE into a live table. */
    tl_lake_snapshot *snap = NULL;
    int rc = tl_lake_snapshot_load(s, table, duck, &snap, err);
    if (rc == 0 && tl_lake_snapshot_version(snap) >= 0)
        rc =
            check_existing(snap, table, schema_string, partition_columns, n_partition_columns, err);
    if (rc != 0 || tl_lake_snapshot_version(snap) >= 0) {
        tl_lake_snapshot_free(snap);
        return rc;
    }
    tl_lake_snapshot_free(snap);
    snap = NULL;
    tl_lake_tx *tx = tl_lake_tx_new("CREATE TABLE", NULL, err); /* version 0: no checkpoint */
    if (!tx)
        return TL_ERR_NOMEM;
    rc = set_new_table(tx, schema_string, partition_columns, n_partition_columns) ? tx_nomem(err)
                                                                                  : 0;
    if (!rc)
        rc = tl_lake_tx_param(tx, "description", "created by ticklake", err);
    if (!rc)
        rc = tl_lake_commit(s, table, tx, -1, NULL, err);
    if (rc == TL_ERR_CONFLICT) {
        /* Someone created it meanwhile: fine if they created the same table. */
        if ((rc = tl_lake_snapshot_load(s, table, duck, &snap, err)) == 0)
            rc = check_existing(snap, table, schema_string, partition_columns, n_partition_columns,
                                err);
    }
    tl_lake_snapshot_free(snap);
    tl_lake_tx_destroy(tx);
    return rc;
}
