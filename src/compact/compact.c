/* compact — the run loop: plan from the snapshot, rewrite each chosen
 * partition, commit it as one OPTIMIZE commit, retry on conflicts.
 *
 * Order within one partition: write outputs locally, upload them under new
 * unique names, then commit. Until the commit lands the outputs are
 * invisible (not in the log); if anything fails they are deleted again, and
 * if the process dies they stay as orphans for vacuum. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compact/compact_int.h"
#include "tables/tables.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/random.h"

#define DEFAULT_ATTEMPTS 5

typedef struct run_ctx {
    tl_store *s;
    const char *table;
    const compact_layout *l;
    const tl_compact_opts *o;
    tl_duck *d;
    char cache_dir[2048];
    tl_compact_stats *st;
    tl_buf head; /* typed empty SELECT of an evolved schema's data columns, or empty */
} run_ctx;

int tl_compact_parse_partition(const char *spec, int64_t *hour_us, tl_err *err) {
    static const char *const keys[4] = {"year", "month", "day", "hour"};
    int v[4] = {-1, -1, -1, -1};
    const char *p = spec ? spec : "";
    while (*p) {
        size_t klen = strcspn(p, "=");
        int k = -1;
        for (int i = 0; i < 4; i++)
            if (strlen(keys[i]) == klen && !strncmp(p, keys[i], klen))
                k = i;
        char *end;
        long n = p[klen] == '=' ? strtol(p + klen + 1, &end, 10) : -1;
        if (k < 0 || p[klen] != '=' || end == p + klen + 1 || (*end && *end != ',' && *end != '/'))
            return tl_err_set(err, TL_ERR_INVALID,
                              "compact: bad partition '%s' (want year=Y,month=M,day=D,hour=H)",
                              spec ? spec : "");
        v[k] = (int)n;
        p = *end ? end + 1 : end;
    }
    if (v[0] < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] < 0 || v[3] > 23)
        return tl_err_set(err, TL_ERR_INVALID,
                          "compact: partition '%s' needs year, month (1-12), day (1-31) and "
                          "hour (0-23)",
                          spec ? spec : "");
    *hour_us = tl_us_from_civil((tl_civil){v[0], v[1], v[2], v[3]});
    return 0;
}

/* A fresh scratch directory: inside the table for local stores (same
 * filesystem, so uploads are renames; ".tl-tmp." names are never listed),
 * else in the cache directory. */
static char *make_tmp_dir(run_ctx *c, tl_err *err) {
    char uuid[17], key[512];
    tl_random_id(uuid);
    snprintf(key, sizeof key, "%s/" COMPACT_SCRATCH "%s", c->table, uuid);
    char *dir = tl_store_local_path(c->s, key);
    if (!dir && asprintf(&dir, "%s/" COMPACT_SCRATCH "%s", c->cache_dir, uuid) < 0)
        dir = NULL;
    if (!dir) {
        tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (mkdir(dir, 0755) != 0) {
        /* the cache directory itself may not exist yet (its parent does
         * or the error below says so) */
        (void)mkdir(c->cache_dir, 0755);
        if (mkdir(dir, 0755) != 0) {
            tl_err_set(err, TL_ERR_IO, "compact: cannot create '%s': %s", dir, strerror(errno));
            free(dir);
            return NULL;
        }
    }
    return dir;
}

/* "['a.parquet','b.parquet']" of local copies of the inputs. */
static int inputs_list(run_ctx *c, const compact_part *p, tl_buf *out, tl_err *err) {
    int rc = tl_buf_puts(out, "[");
    for (size_t i = 0; i < p->n && !rc; i++) {
        char key[4096];
        snprintf(key, sizeof key, "%s/%s", c->table, p->in[i]->path);
        char *local = tl_store_local_copy(c->s, key, c->cache_dir, err);
        if (!local)
            return err ? err->code : TL_ERR_IO;
        size_t cap = strlen(local) * 2 + 1;
        char *q = malloc(cap);
        rc = !q || tl_duck_quote(local, q, cap) || tl_buf_printf(out, "%s'%s'", i ? "," : "", q);
        free(q);
        free(local);
    }
    return rc || tl_buf_puts(out, "]") ? tl_err_set(err, TL_ERR_NOMEM, "out of memory") : 0;
}

/* Outputs uploaded in one attempt, deleted again if it does not commit. */
typedef struct uploaded {
    char **keys;
    size_t n;
} uploaded;

static bool snapshot_has(const tl_lake_snapshot *snap, const char *path) {
    size_t lo = 0, hi = tl_lake_snapshot_num_files(snap);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(tl_lake_snapshot_file(snap, mid)->path, path);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* After a failed commit: delete the outputs, unless the log references
 * them after all (a commit whose reply was lost, e.g. an S3 timeout, may
 * still have landed). When in doubt they stay, for vacuum. */
static void uploaded_undo(run_ctx *c, uploaded *u, bool failed) {
    tl_lake_snapshot *snap = NULL;
    if (failed && u->n &&
        tl_lake_snapshot_load(c->s, c->table, tl_lake_opts_duck(c->o->lake), &snap, NULL) != 0)
        snap = NULL;
    size_t tlen = strlen(c->table) + 1;
    for (size_t i = 0; i < u->n; i++) {
        if (failed && snap && !snapshot_has(snap, u->keys[i] + tlen) &&
            tl_store_del(c->s, u->keys[i], NULL) != 0)
            tl_warnf("compact", TL_FIELDS(TL_LS("table", c->table), TL_LS("file", u->keys[i])),
                     "could not delete uncommitted output %s (vacuum will)", u->keys[i]);
        free(u->keys[i]);
    }
    tl_lake_snapshot_free(snap);
    free(u->keys);
    memset(u, 0, sizeof *u);
}

/* Stats, upload and the add action of output k. */
static int add_output(run_ctx *c, const compact_part *p, const char *local, const char *run_id,
                      size_t k, tl_lake_tx *tx, uploaded *u, int64_t *bytes, int64_t *rows,
                      tl_err *err) {
    struct stat sb;
    if (stat(local, &sb) != 0)
        return tl_err_set(err, TL_ERR_IO, "compact: output '%s' is missing", local);
    tl_buf stats = TL_BUF_INIT;
    char rel[512], key[4096];
    int rc = tl_compact_file_stats(c->d, local, c->l->no_minmax, &stats, rows, err);
    if (rc)
        goto out;
    snprintf(rel, sizeof rel, "%s/" COMPACT_PREFIX "%s-%zu.zstd.parquet", p->dir, run_id, k);
    snprintf(key, sizeof key, "%s/%s", c->table, rel);
    if (!(u->keys[u->n] = strdup(key))) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        goto out;
    }
    u->n++; /* counted before the upload: a half-done upload is undone too */
    if ((rc = tl_store_put_file(c->s, key, local, err)) != 0)
        goto out;
    unlink(local);
    tl_lake_file f = {
        .path = rel,
        .partition_values = p->in[0]->partition_values,
        .n_partition_values = p->in[0]->n_partition_values,
        .size = (int64_t)sb.st_size,
        .modification_time = tl_now_us() / 1000,
        .deletion_timestamp = -1,
        .data_change = false,
        .stats = stats.data,
    };
    rc = tl_lake_tx_add(tx, &f, err);
    *bytes = (int64_t)sb.st_size;
out:
    tl_buf_free(&stats);
    return rc;
}

/* Rewrite partition p of snapshot version `read_version` and commit. */
static int rewrite(run_ctx *c, const compact_part *p, int64_t read_version, int64_t *committed,
                   int64_t *out_bytes, size_t *out_files, int64_t *out_rows, tl_err *err) {
    tl_buf inputs = TL_BUF_INIT;
    char *tmpdir = NULL, **outs = NULL, run_id[64], uuid[17];
    size_t nout = 0;
    uploaded u = {0};
    tl_lake_tx *tx = NULL;
    int64_t bytes = 0, rows = 0;
    int rc = inputs_list(c, p, &inputs, err);
    if (rc || !(tmpdir = make_tmp_dir(c, err))) {
        rc = rc ? rc : (err ? err->code : TL_ERR_IO);
        goto out;
    }
    if ((rc = tl_compact_write_sorted(c->d, c->l, inputs.data, c->head.len ? c->head.data : NULL,
                                      p->bytes, c->o->target_file_size, tmpdir, &outs, &nout,
                                      err)) != 0)
        goto out;
    /* run id: the version planned from plus randomness, so concurrent or
     * repeated runs never pick the same names */
    tl_random_id(uuid);
    snprintf(run_id, sizeof run_id, "%" PRId64 "-%s", read_version, uuid);
    if (!(tx = tl_lake_tx_new("OPTIMIZE", c->o->lake, err)) || !(u.keys = calloc(nout, sizeof *u.keys))) {
        rc = tx ? tl_err_set(err, TL_ERR_NOMEM, "out of memory") : TL_ERR_NOMEM;
        goto out;
    }
    /* one deletion time for the whole rewrite: the removals of one OPTIMIZE
     * read back as one compaction (the dashboard counts the files of the
     * newest time); per file, a partition of hundreds spanned several ms */
    int64_t deleted_ms = tl_now_us() / 1000;
    for (size_t i = 0; i < p->n && !rc; i++)
        rc = tl_lake_tx_remove(tx, p->in[i], false, deleted_ms, err);
    for (size_t k = 0; k < nout && !rc; k++) {
        int64_t b = 0, r = 0;
        rc = add_output(c, p, outs[k], run_id, k, tx, &u, &b, &r, err);
        bytes += b;
        rows += r;
    }
    if (!rc && p->rows >= 0 && rows != p->rows)
        rc = tl_err_set(err, TL_ERR_CORRUPT,
                        "compact: %s: wrote %" PRId64 " rows but the inputs hold %" PRId64
                        "; nothing committed",
                        p->dir, rows, p->rows);
    if (!rc)
        rc = tl_lake_tx_param(tx, "predicate", p->dir, err);
    if (!rc) /* the last moment a cancel undoes everything of this partition */
        rc = tl_cancel_check(c->o->cancel, "compact", err);
    if (!rc)
        rc = tl_lake_commit(c->s, c->table, tx, read_version, committed, err);
out:
    uploaded_undo(c, &u, rc != 0);
    for (size_t k = 0; k < nout; k++) {
        unlink(outs[k]);
        free(outs[k]);
    }
    free(outs);
    if (tmpdir)
        rmdir(tmpdir);
    free(tmpdir);
    tl_lake_tx_destroy(tx);
    tl_buf_free(&inputs);
    *out_bytes = bytes;
    *out_files = nout;
    *out_rows = rows;
    return rc;
}

static void sweep_old_scratch(run_ctx *c) {
    int64_t now = tl_now_us() / 1000;
    char *dir = tl_store_local_path(c->s, c->table);
    tl_compact_sweep_scratch(dir, TL_VACUUM_ORPHAN_MIN_AGE_MS, now);
    tl_compact_sweep_scratch(c->cache_dir, TL_VACUUM_ORPHAN_MIN_AGE_MS, now);
    free(dir);
}

/* mkdir -p dir: 0 when it exists afterwards. */
static int make_dirs(const char *dir) {
    char p[2048];
    if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p)
        return -1;
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        int rc = mkdir(p, 0755);
        *s = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    return mkdir(p, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* DuckDB spills big sorts to disk: into the cache folder, not the cwd.
 * DuckDB creates only the spill folder itself, at the first spill, and the
 * cache folder is made only for a remote store's copies: a local lake's
 * compaction that spilled (under schedule.duckdb_memory_limit) failed with
 * "Failed to create directory" until the folders were made here. When they
 * cannot be, the spills stay in the database's own folder under $TMPDIR. */
static int open_duck(run_ctx *c, tl_err *err) {
    char q[4096], sql[4200];
    if (!(c->d = tl_duck_open(NULL, 0, tl_lake_opts_duck(c->o->lake), err)))
        return err ? err->code : TL_ERR_DUCKDB;
    if (tl_duck_quote(c->cache_dir, q, sizeof q) != 0)
        return 0; /* an odd path: keep DuckDB's default */
    if (make_dirs(c->cache_dir) != 0) {
        tl_debug("compact", "cannot create %s (%s): spills go to $TMPDIR", c->cache_dir,
                 strerror(errno));
        return 0;
    }
    snprintf(sql, sizeof sql, "SET temp_directory = '%s/duckdb-spill'", q);
    return tl_duck_exec(c->d, sql, err);
}

/* The ticks table's columns added by schema evolution, as of snap: the
 * outputs keep them all (c->head), so a compacted hour has the evolved
 * schema even when none of its inputs had the new columns. */
static int evolved_head(run_ctx *c, const tl_lake_snapshot *snap, tl_err *err) {
    const tl_lake_metadata *md = tl_lake_snapshot_metadata(snap);
    tl_schema *s = NULL;
    tl_buf_reset(&c->head);
    if (!md || strcmp(c->table, TL_TICKS_TABLE) != 0)
        return 0;
    int rc = tl_schema_from_delta(&tl_ticks_table, md->schema_string, &s, err);
    if (rc == 0 && s->table.ncols > tl_ticks_table.ncols) {
        s->table.nparts = 0; /* the files hold no partition columns */
        if (tl_table_empty_select(&s->table, &c->head) != 0)
            rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    }
    tl_schema_free(s);
    return rc;
}

/* Compact the partition starting at start_us from snap (refreshed as
 * commits land), retrying when a concurrent commit removed an input. */
static int compact_part_at(run_ctx *c, tl_lake_snapshot *snap, int64_t start_us, size_t done,
                           size_t total, tl_err *err) {
    tl_compact_opts one = *c->o;
    one.has_hour = true; /* "the partition holding hour_us", whatever its length */
    one.hour_us = start_us;
    int attempts = c->o->max_attempts > 0 ? c->o->max_attempts : DEFAULT_ATTEMPTS;
    int64_t now_ms = c->o->now_ms ? c->o->now_ms : tl_now_us() / 1000;
    tl_compact_stats *st = c->st;
    for (int attempt = 0;; attempt++) {
        compact_part *p = NULL;
        size_t np = 0;
        int rc = tl_compact_plan(snap, c->l, &one, now_ms, &p, &np, err);
        if (rc || np == 0) { /* nothing (left) to do: e.g. compacted by another run */
            tl_compact_plan_free(p, np);
            return rc;
        }
        if (c->o->progress)
            c->o->progress(c->o->progress_ud, done, total, p->dir, p->n, p->bytes);
        int64_t v = -1, bytes = 0, rows = 0;
        size_t files = 0;
        if (c->o->dry_run) {
            int64_t t = c->o->target_file_size;
            files = (size_t)((p->bytes + t / 2) / t);
            files = files ? files : 1;
            bytes = p->bytes;
            rows = p->rows;
        } else if ((rc = evolved_head(c, snap, err)) == 0) {
            rc = rewrite(c, p, tl_lake_snapshot_version(snap), &v, &bytes, &files, &rows, err);
        }
        if (rc == 0) {
            st->partitions++;
            st->files_before += p->n;
            st->bytes_before += p->bytes;
            st->files_after += files;
            st->bytes_after += bytes;
            st->rows += rows > 0 ? rows : 0;
            if (v >= 0)
                st->version = v;
            tl_debugf("compact",
                      TL_FIELDS(TL_LS("table", c->table), TL_LS("partition", p->dir),
                                TL_LI("files_in", p->n), TL_LI("files_out", files),
                                TL_LI("rows", rows), TL_LI("version", v)),
                      "%s: %zu files into %zu%s", p->dir, p->n, files,
                      c->o->dry_run ? " (dry run)" : "");
        }
        tl_compact_plan_free(p, np); /* before the refresh frees what it points to */
        if (rc == TL_ERR_CONFLICT && attempt + 1 < attempts) {
            st->conflicts++;
            tl_infof("compact", TL_FIELDS(TL_LS("table", c->table), TL_LI("attempt", attempt + 1)),
                     "%s; retrying", err ? err->msg : "conflict");
            tl_err_clear(err);
        } else if (rc || c->o->dry_run) {
            return rc;
        }
        if ((rc = tl_lake_snapshot_refresh(c->s, snap, err)) != 0)
            return rc;
        if (v >= 0)
            return 0;
    }
}

int tl_compact_run(tl_store *s, const tl_compact_opts *o, tl_compact_stats *st, tl_err *err) {
    int64_t t0 = tl_mono_ms();
    memset(st, 0, sizeof *st);
    st->version = -1;
    if (o->target_file_size <= 0)
        return tl_err_set(err, TL_ERR_INVALID, "compact: target file size must be positive");
    run_ctx c = {.s = s, .table = o->table ? o->table : TL_TICKS_TABLE, .o = o, .st = st};
    if (!(c.l = tl_compact_layout(c.table)))
        return tl_err_set(err, TL_ERR_INVALID, "compact: no table '%s' to compact (ticks or %s)",
                          c.table, TL_DEADLETTER_TABLE);
    if (o->cache_dir)
        snprintf(c.cache_dir, sizeof c.cache_dir, "%s", o->cache_dir);
    else
        tl_store_default_cache_dir(s, c.cache_dir, sizeof c.cache_dir);
    tl_lake_snapshot *snap = NULL;
    compact_part *plan = NULL;
    int64_t *starts = NULL;
    size_t np = 0;
    int rc = tl_lake_snapshot_load(s, c.table, tl_lake_opts_duck(o->lake), &snap, err);
    if (!rc && !o->dry_run)
        rc = tl_lake_snapshot_check_writable(snap, err);
    if (rc)
        goto out;
    int64_t now_ms = o->now_ms ? o->now_ms : tl_now_us() / 1000;
    if (!o->dry_run) /* leftovers of killed runs, as vacuum would sweep them */
        sweep_old_scratch(&c);
    if ((rc = tl_compact_plan(snap, c.l, o, now_ms, &plan, &np, err)) != 0)
        goto out;
    /* Keep only the partitions' starts: the plan points into the snapshot,
     * which each commit's refresh changes. */
    if (np && !(starts = malloc(np * sizeof *starts))) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < np; i++)
        starts[i] = plan[i].start_us;
    tl_compact_plan_free(plan, np);
    plan = NULL;
    if (np && !o->dry_run && (rc = open_duck(&c, err)) != 0)
        goto out;
    for (size_t i = 0; i < np && rc == 0; i++)
        if ((rc = tl_cancel_check(o->cancel, "compact", err)) == 0)
            rc = compact_part_at(&c, snap, starts[i], i, np, err);
    if (rc == 0 && o->progress && np)
        o->progress(o->progress_ud, np, np, NULL, 0, 0);
out:
    tl_compact_plan_free(plan, np);
    free(starts);
    tl_duck_close(c.d);
    tl_buf_free(&c.head);
    tl_lake_snapshot_free(snap);
    st->duration_ms = tl_mono_ms() - t0;
    return rc;
}

const char *const tl_compact_tables[TL_COMPACT_NTABLES] = {TL_TICKS_TABLE, TL_DEADLETTER_TABLE};

int tl_compact_lake(tl_store *s, const tl_compact_opts *o, tl_compact_stats st[TL_COMPACT_NTABLES],
                    tl_err *err) {
    int rc = 0;
    for (size_t i = 0; i < TL_COMPACT_NTABLES; i++) {
        memset(&st[i], 0, sizeof st[i]);
        st[i].version = -1;
    }
    /* --partition names an hour of the ticks table: that table alone */
    size_t ntables = o->has_hour ? 1 : TL_COMPACT_NTABLES;
    for (size_t i = 0; i < ntables && rc == 0; i++) {
        tl_compact_opts one = *o;
        one.table = tl_compact_tables[i];
        /* the ticks table's errors read as they always have */
        if ((rc = tl_compact_run(s, &one, &st[i], err)) != 0 && i > 0)
            rc = tl_err_wrap(err, rc, "table %s", tl_compact_tables[i]);
    }
    return rc;
}
