/* vacuum — delete data files no snapshot needs any more (rules in
 * compact.h). The only place in ticklake that lists data folders: the log
 * cannot name files that never made it into a commit (crashed writers,
 * killed compactions), and those must go too. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compact/compact_int.h"
#include "lake/lake.h"
#include "util/clock.h"
#include "util/log.h"

typedef struct candidate {
    char *key;        /* store key */
    const char *path; /* inside key: relative to the table */
    int64_t size;
    const char *why;
} candidate;

/* Is path in a sorted (by strcmp) sequence of files? */
static const tl_lake_file *find(const tl_lake_snapshot *snap, const char *path, bool tombs) {
    size_t lo = 0,
           hi = tombs ? tl_lake_snapshot_num_tombstones(snap) : tl_lake_snapshot_num_files(snap);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const tl_lake_file *f =
            tombs ? tl_lake_snapshot_tombstone(snap, mid) : tl_lake_snapshot_file(snap, mid);
        int c = strcmp(f->path, path);
        if (c == 0)
            return f;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* _delta_log/, _tl_..., .tl-tmp.* and other hidden names are not data. */
static bool is_hidden(const char *path) {
    for (const char *p = path;;) {
        if (*p == '_' || *p == '.')
            return true;
        const char *slash = strchr(p, '/');
        if (!slash)
            return false;
        p = slash + 1;
    }
}

/* Why the file at rel (size, mtime) may go, or NULL to keep it. */
static const char *verdict(const tl_lake_snapshot *snap, const char *rel, int64_t mtime_ms,
                           const tl_vacuum_opts *o, int64_t now_ms, tl_vacuum_stats *st) {
    if (find(snap, rel, false))
        return NULL; /* live */
    const tl_lake_file *t = find(snap, rel, true);
    if (t && t->deletion_timestamp >= 0) {
        if (t->deletion_timestamp < now_ms - o->retain_ms)
            return "removed";
        st->kept_recent++;
        return NULL;
    }
    int64_t age =
        o->retain_ms > TL_VACUUM_ORPHAN_MIN_AGE_MS ? o->retain_ms : TL_VACUUM_ORPHAN_MIN_AGE_MS;
    if (mtime_ms < now_ms - age)
        return "orphan";
    st->kept_recent++;
    return NULL;
}

static int collect(tl_store *s, const char *table, const tl_lake_snapshot *snap,
                   const tl_vacuum_opts *o, candidate **out, size_t *nout, tl_vacuum_stats *st,
                   tl_err *err) {
    char prefix[1024];
    snprintf(prefix, sizeof prefix, "%s/", table);
    size_t plen = strlen(prefix), n = 0, nc = 0;
    tl_store_entry *e = NULL;
    int rc = tl_store_list(s, prefix, &e, &n, err);
    if (rc)
        return rc;
    candidate *c = calloc(n ? n : 1, sizeof *c);
    int64_t now_ms = o->now_ms ? o->now_ms : tl_now_us() / 1000;
    if (!c) {
        tl_store_entries_free(e, n);
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const char *rel = e[i].key + plen;
        const char *why;
        if (is_hidden(rel) || !(why = verdict(snap, rel, e[i].mtime_ms, o, now_ms, st)))
            continue;
        c[nc] = (candidate){e[i].key, NULL, e[i].size, why};
        c[nc].path = c[nc].key + plen;
        e[i].key = NULL; /* taken */
        nc++;
    }
    tl_store_entries_free(e, n);
    *out = c;
    *nout = nc;
    return 0;
}

/* The VACUUM START commit (arg: the retention in ms; n files, bytes to
 * delete) or the VACUUM END commit (arg: 1 if every delete succeeded;
 * n files deleted), with Delta's operationParameters and operationMetrics. */
static int vacuum_log(tl_store *s, const char *table, const tl_lake_opts *lo,
                      const tl_lake_snapshot *snap, bool start, int64_t arg, size_t n,
                      int64_t bytes, tl_err *err) {
    char a[32], b[32];
    tl_lake_tx *tx = tl_lake_tx_new(start ? "VACUUM START" : "VACUUM END", lo, err);
    if (!tx)
        return TL_ERR_NOMEM;
    int rc;
    if (start) {
        snprintf(a, sizeof a, "%" PRId64, arg);
        snprintf(b, sizeof b, "%zu", n);
        rc = tl_lake_tx_param(tx, "retentionCheckEnabled", "false", err) ||
             tl_lake_tx_param(tx, "specifiedRetentionMillis", a, err) ||
             tl_lake_tx_metric(tx, "numFilesToDelete", b, err);
        snprintf(a, sizeof a, "%" PRId64, bytes);
        rc = rc || tl_lake_tx_metric(tx, "sizeOfDataToDelete", a, err);
    } else {
        snprintf(b, sizeof b, "%zu", n);
        rc = tl_lake_tx_param(tx, "status", arg ? "COMPLETED" : "FAILED", err) ||
             tl_lake_tx_metric(tx, "numDeletedFiles", b, err) ||
             tl_lake_tx_metric(tx, "numVacuumedDirectories", "0", err);
    }
    rc =
        rc ? TL_ERR_NOMEM : tl_lake_commit(s, table, tx, tl_lake_snapshot_version(snap), NULL, err);
    tl_lake_tx_destroy(tx);
    return rc;
}

int tl_vacuum_table(tl_store *s, const char *table, const tl_vacuum_opts *o, tl_vacuum_stats *st,
                    tl_err *err) {
    tl_lake_snapshot *snap = NULL;
    candidate *c = NULL;
    size_t nc = 0;
    int rc = tl_lake_snapshot_load(s, table, tl_lake_opts_duck(o->lake), &snap, err);
    if (!rc && !o->dry_run) /* it commits VACUUM START/END */
        rc = tl_lake_snapshot_check_writable(snap, err);
    if (rc || tl_lake_snapshot_version(snap) < 0)
        goto out;
    if ((rc = collect(s, table, snap, o, &c, &nc, st, err)) != 0)
        goto out;
    /* A commit may have re-added one of them since the load (a stream
     * replaying a file name after a crash): look again right before. */
    if (nc && (rc = tl_lake_snapshot_refresh(s, snap, err)) != 0)
        goto out;
    size_t ndel = 0;
    int64_t del_bytes = 0;
    for (size_t i = 0; i < nc; i++) {
        if (find(snap, c[i].path, false)) {
            free(c[i].key);
            c[i].key = NULL; /* re-added since: keep */
            continue;
        }
        ndel++;
        del_bytes += c[i].size > 0 ? c[i].size : 0;
    }
    /* Like Delta's VACUUM, the deletion is bracketed by two commitInfo-only
     * commits, so the table's history shows it; only when there is
     * something to delete, so a scheduled vacuum leaves no empty commits. */
    if (ndel && !o->dry_run && (rc = tl_cancel_check(o->cancel, "vacuum", err)) != 0)
        goto out;
    if (ndel && !o->dry_run &&
        (rc = vacuum_log(s, table, o->lake, snap, true, o->retain_ms, ndel, del_bytes, err)) != 0)
        goto out;
    size_t deleted = 0;
    for (size_t i = 0; i < nc && rc == 0; i++) {
        if (!c[i].key)
            continue;
        if (!o->dry_run && ((rc = tl_cancel_check(o->cancel, "vacuum", err)) != 0 ||
                            (rc = tl_store_del(s, c[i].key, err)) != 0))
            break;
        deleted++;
        tl_debugf(
            "vacuum",
            TL_FIELDS(TL_LS("table", table), TL_LS("file", c[i].path), TL_LI("bytes", c[i].size)),
            "%s %s", o->dry_run ? "would delete" : "deleted", c[i].path);
        st->files++;
        st->bytes += c[i].size > 0 ? c[i].size : 0;
        if (o->on_file)
            o->on_file(o->ud, table, c[i].path, c[i].size, c[i].why);
    }
    if (ndel && !o->dry_run) {
        /* after a failed delete: still log the end, but report the delete */
        int end_rc = vacuum_log(s, table, o->lake, snap, false, rc == 0, deleted, 0, rc == 0 ? err : NULL);
        if (rc == 0)
            rc = end_rc;
    }
    /* scratch folders of killed compactions (local stores only) */
    char *dir = rc == 0 ? tl_store_local_path(s, table) : NULL;
    int64_t age =
        o->retain_ms > TL_VACUUM_ORPHAN_MIN_AGE_MS ? o->retain_ms : TL_VACUUM_ORPHAN_MIN_AGE_MS;
    int64_t now_ms = o->now_ms ? o->now_ms : tl_now_us() / 1000;
    if (dir && !o->dry_run) {
        st->scratch_dirs += tl_compact_sweep_scratch(dir, age, now_ms);
        st->staging += tl_store_fs_sweep_staging(dir, age, now_ms);
    }
    free(dir);
    /* and the streams' temp folders beside the tables */
    char *tmp = rc == 0 && !o->dry_run ? tl_store_local_path(s, "_tmp") : NULL;
    if (tmp)
        st->tmp_dirs += tl_store_fs_sweep_tmp_dirs(tmp, age, now_ms);
    free(tmp);
    if (rc)
        tl_errorf("vacuum", TL_FIELDS(TL_LS("table", table), TL_LI("deleted", deleted)), "%s: %s",
                  table, err && err->msg[0] ? err->msg : "failed");
out:
    for (size_t i = 0; i < nc; i++)
        free(c[i].key);
    free(c);
    tl_lake_snapshot_free(snap);
    return rc;
}
