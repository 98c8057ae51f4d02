/* delta_log — snapshot replay (Action Reconciliation in PROTOCOL.md):
 * start from the newest complete checkpoint, apply the later JSON commits
 * in version order; latest protocol/metaData win, txn keeps the latest
 * version per appId, add/remove keep the newest reference per path. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "lake/lake_internal.h"
#include "util/log.h"

struct tl_lake_snapshot {
    char *table;
    int64_t version;
    lake_protocol proto;
    tl_lake_metadata *md;
    tl_strmap *live;  /* path -> tl_lake_file * */
    tl_strmap *tombs; /* path -> tl_lake_file * */
    tl_strmap *txns;  /* appId -> lake_txn * */
    /* Sorted views, rebuilt after every load/refresh so reads stay const. */
    const tl_lake_file **files;
    size_t nfiles;
    const tl_lake_file **tomb_arr;
    size_t ntombs;
    const lake_txn **txn_arr;
    size_t ntxns;
    tl_duck_opts duck; /* the checkpoint reader's limits (load and refresh) */
    bool no_tombs;     /* tl_lake_snapshot_drop_tombstones: a remove only ends the file */
};

static tl_lake_snapshot *snap_new(const char *table, const tl_duck_opts *duck) {
    tl_lake_snapshot *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->version = -1;
    if (duck)
        s->duck = *duck;
    s->table = strdup(table);
    s->live = tl_strmap_new(tl_lake_file_free);
    s->tombs = tl_strmap_new(tl_lake_file_free);
    s->txns = tl_strmap_new(tl_lake_txn_free);
    if (!s->table || !s->live || !s->tombs || !s->txns) {
        tl_lake_snapshot_free(s);
        return NULL;
    }
    return s;
}

static void snap_clear_views(tl_lake_snapshot *s) {
    free(s->files);
    free(s->tomb_arr);
    free(s->txn_arr);
    s->files = NULL;
    s->tomb_arr = NULL;
    s->txn_arr = NULL;
    s->nfiles = s->ntombs = s->ntxns = 0;
}

void tl_lake_snapshot_free(tl_lake_snapshot *s) {
    if (!s)
        return;
    snap_clear_views(s);
    tl_strmap_destroy(s->live);
    tl_strmap_destroy(s->tombs);
    tl_strmap_destroy(s->txns);
    tl_lake_metadata_free(s->md);
    tl_lake_protocol_clear(&s->proto);
    free(s->table);
    free(s);
}

/* Take ownership of what a holds; only out-of-memory can fail here. */
static int apply_action(void *ud, lake_action *a, tl_err *err) {
    tl_lake_snapshot *s = ud;
    int rc = 0;
    switch (a->type) {
    case LAKE_ACT_ADD:
        tl_strmap_del(s->tombs, a->file->path);
        rc = tl_strmap_put(s->live, a->file->path, a->file);
        if (rc == 0)
            a->file = NULL;
        break;
    case LAKE_ACT_REMOVE:
        tl_strmap_del(s->live, a->file->path);
        if (s->no_tombs)
            break; /* the action's file is freed with the action */
        rc = tl_strmap_put(s->tombs, a->file->path, a->file);
        if (rc == 0)
            a->file = NULL;
        break;
    case LAKE_ACT_TXN:
        rc = tl_strmap_put(s->txns, a->txn->app_id, a->txn);
        if (rc == 0)
            a->txn = NULL;
        break;
    case LAKE_ACT_METADATA:
        tl_lake_metadata_free(s->md);
        s->md = a->md;
        a->md = NULL;
        break;
    case LAKE_ACT_PROTOCOL:
        tl_lake_protocol_clear(&s->proto);
        s->proto = a->proto;
        memset(&a->proto, 0, sizeof a->proto);
        break;
    default: break;
    }
    return rc ? tl_err_set(err, TL_ERR_NOMEM, "out of memory replaying the log") : 0;
}

/* Parse a whole commit file first and apply it only when every line is
 * good, so a snapshot never holds half a version. */
static int apply_commit_text(tl_lake_snapshot *s, const char *key, char *text, tl_err *err) {
    lake_action *acts = NULL;
    size_t n = 0, cap = 0;
    int rc = 0, lineno = 0;
    for (char *line = text; line && *line; lineno++) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            lake_action *na = realloc(acts, ncap * sizeof *na);
            if (!na) {
                rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory reading '%s'", key);
                goto out;
            }
            acts = na;
            cap = ncap;
        }
        if ((rc = tl_lake_action_parse(line, &acts[n], err)) != 0) {
            tl_err_wrap(err, rc, "%s line %d", key, lineno + 1);
            goto out;
        }
        n++;
        line = nl ? nl + 1 : NULL;
    }
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = apply_action(s, &acts[i], err);
out:
    for (size_t i = 0; i < n; i++)
        tl_lake_action_clear(&acts[i]);
    free(acts);
    return rc;
}

static int apply_commit(tl_store *st, tl_lake_snapshot *s, int64_t v, tl_err *err) {
    char key[4096];
    if (tl_lake_log_key(s->table, v, key, sizeof key) != 0)
        return tl_err_set(err, TL_ERR_INVALID, "table name '%s' is too long", s->table);
    tl_buf b = TL_BUF_INIT;
    int rc = tl_store_get(st, key, &b, err);
    if (rc == 0)
        rc = apply_commit_text(s, key, b.data ? b.data : (char[]){0}, err);
    tl_buf_free(&b);
    return rc;
}

/* ---- what the log directory holds -------------------------------------- */

typedef struct log_listing {
    int64_t *commits; /* ascending */
    size_t ncommits;
    int64_t ckpt_version; /* newest complete checkpoint, -1 if none */
    char **ckpt_keys;     /* its part files, in part order */
    size_t nckpt;
    int64_t last_ckpt_hint; /* from _last_checkpoint, -1 if absent/unreadable */
} log_listing;

static void listing_free(log_listing *l) {
    free(l->commits);
    for (size_t i = 0; i < l->nckpt; i++)
        free(l->ckpt_keys[i]);
    free(l->ckpt_keys);
    memset(l, 0, sizeof *l);
}

/* "NNNNNNNNNNNNNNNNNNNN.checkpoint.parquet" -> part 1 of 1,
 * "N.checkpoint.OOOOOOOOOO.PPPPPPPPPP.parquet" -> part o of p.
 * UUID-named (V2) checkpoints are not read: returns -1. */
static int64_t checkpoint_name(const char *name, unsigned *part, unsigned *parts) {
    char digits[21];
    memcpy(digits, name, 20);
    digits[20] = '\0';
    if (strspn(digits, "0123456789") != 20 || strncmp(name + 20, ".checkpoint.", 12) != 0)
        return -1;
    const char *rest = name + 32;
    if (!strcmp(rest, "parquet")) {
        *part = *parts = 1;
    } else {
        if (strlen(rest) != 29 || strspn(rest, "0123456789") != 10 || rest[10] != '.' ||
            strspn(rest + 11, "0123456789") != 10 || strcmp(rest + 21, ".parquet") != 0)
            return -1;
        *part = (unsigned)strtoul(rest, NULL, 10);
        *parts = (unsigned)strtoul(rest + 11, NULL, 10);
        if (*part < 1 || *part > *parts)
            return -1;
    }
    return strtoll(digits, NULL, 10);
}

static int64_t read_last_checkpoint(tl_store *st, const char *prefix) {
    char key[4096];
    snprintf(key, sizeof key, "%s_last_checkpoint", prefix);
    tl_buf b = TL_BUF_INIT;
    int64_t v = -1;
    if (tl_store_get(st, key, &b, NULL) == 0 && b.data) {
        yajl_val root = yajl_tree_parse(b.data, NULL, 0);
        const char *path[] = {"version", NULL};
        yajl_val jv = root ? yajl_tree_get(root, path, yajl_t_number) : NULL;
        if (YAJL_IS_INTEGER(jv))
            v = YAJL_GET_INTEGER(jv);
        yajl_tree_free(root);
    }
    tl_buf_free(&b);
    return v;
}

/* Checkpoint parts of one version seen in the listing. */
typedef struct ckpt_group {
    int64_t version;
    unsigned parts;
    char **keys; /* parts slots */
} ckpt_group;

static void group_free(ckpt_group *g) {
    for (unsigned i = 0; g->keys && i < g->parts; i++)
        free(g->keys[i]);
    free(g->keys);
    memset(g, 0, sizeof *g);
    g->version = -1;
}

static bool group_complete(const ckpt_group *g) {
    for (unsigned i = 0; i < g->parts; i++)
        if (!g->keys[i])
            return false;
    return g->parts > 0;
}

/* Record one checkpoint part file; keeps the newest complete group in best. */
static int note_checkpoint(ckpt_group *cur, ckpt_group *best, int64_t v, unsigned part,
                           unsigned parts, const char *key) {
    if (cur->version != v || cur->parts != parts) {
        /* A new version (or a second checkpoint of the same version with a
         * different part count): settle the previous group first. */
        if (group_complete(cur) && cur->version >= best->version) {
            group_free(best);
            *best = *cur;
        } else
            group_free(cur);
        memset(cur, 0, sizeof *cur);
        cur->version = v;
        cur->parts = parts;
        if (!(cur->keys = calloc(parts, sizeof *cur->keys)))
            return -1;
    }
    if (!cur->keys[part - 1] && !(cur->keys[part - 1] = strdup(key)))
        return -1;
    return 0;
}

static int list_log(tl_store *st, const char *prefix, log_listing *out, tl_err *err) {
    tl_store_entry *e = NULL;
    size_t n = 0, plen = strlen(prefix);
    memset(out, 0, sizeof *out);
    out->ckpt_version = -1;
    int rc = tl_store_list(st, prefix, &e, &n, err);
    if (rc)
        return tl_err_wrap(err, rc, "listing '%s'", prefix);
    ckpt_group cur = {.version = -1}, best = {.version = -1};
    if (n && !(out->commits = malloc(n * sizeof *out->commits)))
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        const char *name = e[i].key + plen;
        unsigned part, parts;
        int64_t v;
        if (strchr(name, '/') || strlen(name) < 21)
            continue; /* _sidecars/, _staged_commits/, _last_checkpoint, ... */
        if ((v = tl_lake_commit_name_version(name)) >= 0)
            out->commits[out->ncommits++] = v;
        else if ((v = checkpoint_name(name, &part, &parts)) >= 0 &&
                 note_checkpoint(&cur, &best, v, part, parts, e[i].key) != 0)
            goto nomem;
    }
    if (group_complete(&cur) && cur.version >= best.version) {
        group_free(&best);
        best = cur;
    } else
        group_free(&cur);
    out->ckpt_version = best.version;
    out->ckpt_keys = best.keys;
    out->nckpt = best.keys ? best.parts : 0;
    out->last_ckpt_hint = read_last_checkpoint(st, prefix);
    tl_store_entries_free(e, n);
    return 0;
nomem:
    group_free(&cur);
    group_free(&best);
    tl_store_entries_free(e, n);
    listing_free(out);
    return tl_err_set(err, TL_ERR_NOMEM, "out of memory listing '%s'", prefix);
}

/* Commits first..last must all be in the (ascending) listing. */
static int check_contiguous(const log_listing *l, int64_t first, const char *prefix, tl_err *err) {
    int64_t want = first;
    for (size_t i = 0; i < l->ncommits; i++) {
        if (l->commits[i] < first)
            continue;
        if (l->commits[i] != want)
            return tl_err_set(err, TL_ERR_CORRUPT,
                              "%s: version %" PRId64 " is missing (next present: %" PRId64 ")",
                              prefix, want, l->commits[i]);
        want++;
    }
    return 0;
}

/* ---- protocol support ---------------------------------------------------- */

static const char *config_get(const tl_lake_metadata *md, const char *key) {
    for (size_t i = 0; md && i < md->n_configuration; i++)
        if (!strcmp(md->configuration[i].key, key))
            return md->configuration[i].value;
    return NULL;
}

/* We read plain Parquet by name: fine up to reader version 1, and for the
 * later versions/features that do not change how files are read. */
static int check_readable(const tl_lake_snapshot *s, tl_err *err) {
    const tl_lake_protocol *p = &s->proto.p;
    const char *cm = config_get(s->md, "delta.columnMapping.mode");
    bool cm_off = !cm || !strcmp(cm, "none");
    if (p->min_reader_version <= 1)
        return 0;
    if (p->min_reader_version == 2 && cm_off)
        return 0;
    if (p->min_reader_version == 3) {
        for (size_t i = 0; i < s->proto.n_reader_features; i++) {
            const char *f = s->proto.reader_features[i];
            if (strcmp(f, "timestampNtz") && strcmp(f, "vacuumProtocolCheck") &&
                !(cm_off && !strcmp(f, "columnMapping")))
                return tl_err_set(err, TL_ERR_INVALID,
                                  "table '%s' needs reader feature '%s', which ticklake lacks",
                                  s->table, f);
        }
        return 0;
    }
    return tl_err_set(err, TL_ERR_INVALID,
                      "table '%s' needs Delta reader version %d; ticklake reads version 1",
                      s->table, p->min_reader_version);
}

/* Writing: ticklake's commits append files and rewrite them with
 * dataChange=false (compaction), with a commitInfo and txn actions; its
 * checkpoints carry txn/add/remove/metaData/protocol. A writer feature is
 * fine when those commits cannot break its rules (appendOnly allows
 * dataChange=false removes; changeDataFeed needs CDC files only for
 * updates and deletes) or when the table does not use it (no invariants,
 * constraints, generated or identity columns, no column mapping). Anything
 * else (deletionVectors, rowTracking, inCommitTimestamp, domainMetadata,
 * v2Checkpoint, clustering, typeWidening, icebergCompat*, ...) asks writers
 * for actions or fields ticklake does not write: refuse, naming it. */
static const char *writer_feature_problem(const tl_lake_snapshot *s, const char *f) {
    const char *schema = s->md && s->md->schema_string ? s->md->schema_string : "";
    const char *cm = config_get(s->md, "delta.columnMapping.mode");
    if (!strcmp(f, "appendOnly") || !strcmp(f, "changeDataFeed") || !strcmp(f, "timestampNtz") ||
        !strcmp(f, "vacuumProtocolCheck"))
        return NULL;
    if (!strcmp(f, "invariants"))
        return strstr(schema, "\"delta.invariants\"") ? "column invariants are set" : NULL;
    if (!strcmp(f, "generatedColumns"))
        return strstr(schema, "\"delta.generationExpression\"") ? "generated columns are set"
                                                                : NULL;
    if (!strcmp(f, "identityColumns"))
        return strstr(schema, "\"delta.identity.") ? "identity columns are set" : NULL;
    if (!strcmp(f, "columnMapping"))
        return cm && strcmp(cm, "none") ? "column mapping is on" : NULL;
    if (!strcmp(f, "checkConstraints")) {
        for (size_t i = 0; s->md && i < s->md->n_configuration; i++)
            if (!strncmp(s->md->configuration[i].key, "delta.constraints.", 18))
                return "CHECK constraints are set";
        return NULL;
    }
    return "ticklake does not implement it";
}

int tl_lake_snapshot_check_writable(const tl_lake_snapshot *s, tl_err *err) {
    if (!s || s->version < 0)
        return 0;
    /* Writer versions 2..6 each add one feature (Delta's legacy protocol). */
    static const char *const legacy[] = {"appendOnly",     "invariants",       "checkConstraints",
                                         "changeDataFeed", "generatedColumns", "columnMapping",
                                         "identityColumns"};
    int w = s->proto.p.min_writer_version;
    const char *f = NULL, *why = NULL;
    if (w > 7)
        return tl_err_set(err, TL_ERR_INVALID,
                          "table '%s' needs Delta writer version %d; ticklake writes up to 7",
                          s->table, w);
    if (w < 7) {
        size_t n = w <= 2 ? 2 : w == 3 ? 3 : w == 4 ? 5 : w == 5 ? 6 : 7;
        for (size_t i = 0; i < n && !why; i++)
            why = writer_feature_problem(s, f = legacy[i]);
    } else {
        for (size_t i = 0; i < s->proto.n_writer_features && !why; i++)
            why = writer_feature_problem(s, f = s->proto.writer_features[i]);
    }
    if (why)
        return tl_err_set(err, TL_ERR_INVALID,
                          "table '%s' uses Delta writer feature '%s' (%s); ticklake will not "
                          "write to it",
                          s->table, f, why);
    return 0;
}

/* Sorted pointer arrays over a map's values (keys sorted by strcmp). */
static int map_view(const tl_strmap *m, const void ***out, size_t *n) {
    size_t k;
    const char **keys = tl_strmap_sorted_keys(m, &k);
    *out = NULL;
    *n = 0;
    if (k == (size_t)-1)
        return -1;
    if (k) {
        const void **v = malloc(k * sizeof *v);
        if (!v) {
            free(keys);
            return -1;
        }
        for (size_t i = 0; i < k; i++)
            v[i] = tl_strmap_get(m, keys[i]);
        *out = v;
        *n = k;
    }
    free(keys);
    return 0;
}

static int build_views(tl_lake_snapshot *s, tl_err *err) {
    snap_clear_views(s);
    if (map_view(s->live, (const void ***)&s->files, &s->nfiles) ||
        map_view(s->tombs, (const void ***)&s->tomb_arr, &s->ntombs) ||
        map_view(s->txns, (const void ***)&s->txn_arr, &s->ntxns)) {
        snap_clear_views(s);
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory building the snapshot of '%s'",
                          s->table);
    }
    return 0;
}

static int finish(tl_lake_snapshot *s, tl_err *err) {
    if (s->version >= 0 && (!s->md || s->proto.p.min_reader_version == 0))
        return tl_err_set(err, TL_ERR_CORRUPT, "table '%s' at version %" PRId64 " has no %s action",
                          s->table, s->version, s->md ? "protocol" : "metaData");
    int rc = s->version >= 0 ? check_readable(s, err) : 0;
    return rc ? rc : build_views(s, err);
}

/* ---- load and refresh -------------------------------------------------- */

static int replay_from_listing(tl_store *st, tl_lake_snapshot *s, const char *prefix,
                               const log_listing *l, tl_err *err) {
    int64_t last = l->ncommits ? l->commits[l->ncommits - 1] : -1;
    int64_t start = 0;
    int rc;
    if (l->ckpt_version >= 0) {
        if (l->last_ckpt_hint >= 0 && l->last_ckpt_hint != l->ckpt_version)
            tl_debug("lake", "%s: _last_checkpoint says %" PRId64 ", newest complete is %" PRId64,
                     prefix, l->last_ckpt_hint, l->ckpt_version);
        rc = tl_lake_checkpoint_read(st, l->ckpt_keys, l->nckpt, &s->duck, apply_action, s, err);
        if (rc == 0) {
            start = l->ckpt_version + 1;
            s->version = l->ckpt_version;
        } else if (l->ncommits && l->commits[0] == 0) {
            /* The JSON history is complete: replay it rather than fail. */
            tl_warn("lake", "%s: checkpoint %" PRId64 " unreadable (%s); replaying JSON", prefix,
                    l->ckpt_version, err ? err->msg : "?");
            tl_lake_snapshot *fresh = snap_new(s->table, &s->duck);
            if (!fresh)
                return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
            /* drop whatever the failed checkpoint read applied */
            tl_lake_snapshot tmp = *s;
            *s = *fresh;
            *fresh = tmp;
            tl_lake_snapshot_free(fresh);
        } else {
            return tl_err_wrap(err, rc, "%s: reading checkpoint %" PRId64, prefix, l->ckpt_version);
        }
    }
    if (last >= start) {
        if (start == 0 && l->commits[0] != 0)
            return tl_err_set(err, TL_ERR_CORRUPT,
                              "%s: no checkpoint and version 0 is missing (first is %" PRId64 ")",
                              prefix, l->commits[0]);
        if ((rc = check_contiguous(l, start, prefix, err)) != 0)
            return rc;
    }
    for (int64_t v = start; v <= last; v++) {
        if ((rc = apply_commit(st, s, v, err)) != 0)
            return rc;
        s->version = v;
    }
    return 0;
}

int tl_lake_snapshot_load(tl_store *st, const char *table, const tl_duck_opts *duck,
                          tl_lake_snapshot **out, tl_err *err) {
    *out = NULL;
    tl_buf prefix = TL_BUF_INIT;
    log_listing l;
    tl_lake_snapshot *s = snap_new(table, duck);
    if (!s || tl_lake_log_prefix(&prefix, table) != 0) {
        tl_lake_snapshot_free(s);
        tl_buf_free(&prefix);
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory loading table '%s'", table);
    }
    int rc = list_log(st, prefix.data, &l, err);
    if (rc == 0) {
        rc = replay_from_listing(st, s, prefix.data, &l, err);
        listing_free(&l);
    }
    if (rc == 0)
        rc = finish(s, err);
    tl_buf_free(&prefix);
    if (rc) {
        tl_lake_snapshot_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int tl_lake_snapshot_refresh(tl_store *st, tl_lake_snapshot *s, tl_err *err) {
    if (s->version < 0) { /* nothing known yet: a full load finds checkpoints */
        tl_lake_snapshot *fresh;
        int rc = tl_lake_snapshot_load(st, s->table, &s->duck, &fresh, err);
        if (rc)
            return rc;
        bool no_tombs = s->no_tombs;
        tl_lake_snapshot tmp = *s;
        *s = *fresh;
        *fresh = tmp;
        tl_lake_snapshot_free(fresh);
        if (no_tombs)
            tl_lake_snapshot_drop_tombstones(s);
        return 0;
    }
    /* Probe the next versions; a commit file appears atomically or not at all. */
    int rc = 0;
    int64_t v0 = s->version;
    for (;;) {
        rc = apply_commit(st, s, s->version + 1, err);
        if (rc == TL_ERR_NOT_FOUND) {
            rc = 0;
            tl_err_clear(err);
            break;
        }
        if (rc)
            break;
        s->version++;
    }
    if (s->version != v0 || rc) {
        int frc = finish(s, rc ? NULL : err);
        rc = rc ? rc : frc;
    }
    return rc;
}

/* Compacts the sorted view in place (it stays sorted): no allocation, so
 * nothing here can fail and leave the views out of step with the maps. */
void tl_lake_snapshot_forget_tombstones(tl_lake_snapshot *s, int64_t before_ms) {
    size_t kept = 0;
    for (size_t i = 0; i < s->ntombs; i++) {
        const tl_lake_file *t = s->tomb_arr[i];
        if (t->deletion_timestamp < before_ms)
            tl_strmap_del(s->tombs, t->path); /* frees t */
        else
            s->tomb_arr[kept++] = t;
    }
    s->ntombs = kept;
    if (!kept) {
        free(s->tomb_arr);
        s->tomb_arr = NULL;
    }
}

void tl_lake_snapshot_drop_tombstones(tl_lake_snapshot *s) {
    s->no_tombs = true;
    tl_lake_snapshot_forget_tombstones(s, INT64_MAX);
}

/* ---- accessors ----------------------------------------------------------- */

int64_t tl_lake_snapshot_version(const tl_lake_snapshot *s) {
    return s->version;
}

const char *tl_lake_snapshot_table(const tl_lake_snapshot *s) {
    return s->table;
}

const tl_lake_metadata *tl_lake_snapshot_metadata(const tl_lake_snapshot *s) {
    return s->md;
}

const tl_lake_protocol *tl_lake_snapshot_protocol(const tl_lake_snapshot *s) {
    return s->version >= 0 ? &s->proto.p : NULL;
}

size_t tl_lake_snapshot_num_files(const tl_lake_snapshot *s) {
    return s->nfiles;
}

const tl_lake_file *tl_lake_snapshot_file(const tl_lake_snapshot *s, size_t i) {
    return i < s->nfiles ? s->files[i] : NULL;
}

size_t tl_lake_snapshot_num_tombstones(const tl_lake_snapshot *s) {
    return s->ntombs;
}

const tl_lake_file *tl_lake_snapshot_tombstone(const tl_lake_snapshot *s, size_t i) {
    return i < s->ntombs ? s->tomb_arr[i] : NULL;
}

int64_t tl_lake_snapshot_txn_version(const tl_lake_snapshot *s, const char *app_id) {
    const lake_txn *t = tl_strmap_get(s->txns, app_id);
    return t ? t->version : -1;
}

size_t tl_lake_snapshot_num_txns(const tl_lake_snapshot *s) {
    return s->ntxns;
}

void tl_lake_snapshot_txn(const tl_lake_snapshot *s, size_t i, const char **app_id,
                          int64_t *version, int64_t *last_updated) {
    const lake_txn *t = i < s->ntxns ? s->txn_arr[i] : NULL;
    if (app_id)
        *app_id = t ? t->app_id : NULL;
    if (version)
        *version = t ? t->version : -1;
    if (last_updated)
        *last_updated = t ? t->last_updated : -1;
}
