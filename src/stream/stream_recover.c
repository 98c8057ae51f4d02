/* The stream's state from the lake: the watermark and the dedupe state are
 * rebuilt from the rows the lake holds, so a restart neither lets a resent
 * tick through nor forgets how far event time had come; and when a
 * partition is handed over (a rebalance, a consumer killed), what the other
 * members of the group committed since is folded in too, or the resend of a
 * tick the previous owner committed would land twice (0601 once found one).
 *
 * Start and handover share one path, fold(): it reads the files of the
 * dedupe horizon that the state does not hold yet. The horizon: files in
 * the newest hours (event time) and files added within it (processing
 * time, for late ticks that landed in old hours; compaction keeps both
 * hours and rows, so its outputs count the same). What the state holds:
 * the horizon's files of the last fold (their paths, sorted) plus the files
 * this stream committed since (their rows went through its dedupe state on
 * the way in). A file rewritten by compaction is new by path and read
 * again: harmless, adding known (symbol, seq) runs is idempotent.
 *
 * DuckDB folds the files' (symbol, seq) pairs into runs of consecutive
 * seqs, the dedupe state's own shape, so a fold loads one row per run, not
 * one per tick.
 *
 * A horizon file that cannot be read is an error, at start and at a
 * handover alike: skipping it would let its ticks' resends through as new
 * rows, silently. The stream stops instead; a restart reads the lake
 * again. */
#include "stream/stream_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "tables/tables.h"
#include "util/buf.h"
#include "util/log.h"

#define HOUR_US (3600LL * 1000000)
#define OWN_MAX 16384 /* own committed paths remembered between folds */

typedef struct fold_ctx {
    tl_stream *s;
    bool load_parts; /* at start: every partition's position is loaded */
    int64_t max_ts;
    uint64_t loaded;
} fold_ctx;

/* One row per source partition: its newest event time in the files read. */
static int on_max(void *ud, int ncols, const char *const *v) {
    fold_ctx *r = ud;
    if (ncols < 2 || !v[0] || !v[1])
        return 0;
    int32_t partition = (int32_t)strtol(v[0], NULL, 10);
    if (partition < -1 || (partition < 0) != (r->s->topic == NULL))
        return 0; /* rows from the other kind of source, or another engine's */
    int64_t t = strtoll(v[1], NULL, 10);
    tl_part *p = NULL;
    if (r->load_parts) {
        if (!(p = tl_stream_part(r->s, partition)))
            return -1; /* out of memory: see fold_query */
    } else if ((size_t)(partition + 1) < r->s->nparts && r->s->parts[partition + 1].known) {
        /* at a handover, only partitions whose position is loaded: the
         * others load theirs (and this) when they come to this stream */
        p = &r->s->parts[partition + 1];
    }
    if (p && t > p->max_event_us)
        p->max_event_us = t;
    if (t > r->max_ts)
        r->max_ts = t;
    return 0;
}

/* One run of consecutive seqs of a symbol: symbol, first, last, keep. */
static int on_run(void *ud, int ncols, const char *const *v) {
    fold_ctx *r = ud;
    if (ncols < 4 || !v[0] || !v[1] || !v[2] || !v[3])
        return 0;
    if (tl_dedupe_add_range(r->s->dedupe, v[0], strtoll(v[1], NULL, 10),
                            strtoll(v[2], NULL, 10), strtoll(v[3], NULL, 10)) < 0)
        return -1;
    r->loaded++;
    return 0;
}

/* ---- which files ---------------------------------------------------------------- */

typedef struct window {
    int64_t min_hour, min_mod;
} window;

/* The dedupe horizon in the snapshot's own terms: its newest hour and
 * newest modification time, less the horizon (and an hour's rounding; two
 * minutes of processing time at least). */
static window horizon_window(const tl_stream *s) {
    const tl_lake_snapshot *snap = s->ticks_snap;
    size_t n = tl_lake_snapshot_num_files(snap);
    int64_t max_hour = INT64_MIN, max_mod = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        const tl_lake_file *f = tl_lake_snapshot_file(snap, i);
        int64_t h;
        if (tl_ticks_file_hour(f->partition_values, f->n_partition_values, &h) == 0 && h > max_hour)
            max_hour = h;
        if (f->modification_time > max_mod)
            max_mod = f->modification_time;
    }
    int64_t horizon_us = tl_stream_dedupe_horizon(s) + s->opts.allowed_lateness_us;
    if (max_hour == INT64_MIN) /* no file with hour partition values */
        max_hour = 0;
    window w;
    w.min_hour = tl_hour_floor_us(max_hour - horizon_us) - HOUR_US;
    w.min_mod = max_mod - (horizon_us / 1000 > 120000 ? horizon_us / 1000 : 120000);
    return w;
}

static bool in_window(const window *w, const tl_lake_file *f) {
    int64_t h = INT64_MIN;
    tl_ticks_file_hour(f->partition_values, f->n_partition_values, &h);
    return h >= w->min_hour || f->modification_time >= w->min_mod;
}

static int cmp_path(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether the dedupe state holds path's rows (own sorted by the caller). */
static bool folded_already(const tl_stream *s, const char *path) {
    const tl_folded *fd = &s->folded;
    return (fd->n && bsearch(&path, fd->paths, fd->n, sizeof *fd->paths, cmp_path)) ||
           (fd->nown && bsearch(&path, fd->own, fd->nown, sizeof *fd->own, cmp_path));
}

static void free_paths(char **paths, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

/* The horizon's files: their paths into *all (sorted, as the snapshot
 * lists them), and the local copies of those not folded in yet into sql as
 * a DuckDB list, counted in *nnew. */
static int list_files(tl_stream *s, tl_buf *sql, char ***all, size_t *nall, size_t *nnew,
                      tl_err *err) {
    const tl_lake_snapshot *snap = s->ticks_snap;
    size_t n = tl_lake_snapshot_num_files(snap);
    window w = horizon_window(s);
    char cache[1024];
    tl_store_default_cache_dir(s->store, cache, sizeof cache);
    if (!(*all = malloc((n ? n : 1) * sizeof **all)))
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory listing the lake's recent files");
    *nall = *nnew = 0;
    tl_buf_puts(sql, "[");
    for (size_t i = 0; i < n; i++) {
        const tl_lake_file *f = tl_lake_snapshot_file(snap, i);
        if (!in_window(&w, f))
            continue;
        if (!((*all)[*nall] = strdup(f->path)))
            return tl_err_set(err, TL_ERR_NOMEM, "out of memory listing the lake's recent files");
        (*nall)++;
        if (folded_already(s, f->path))
            continue;
        char key[1024];
        snprintf(key, sizeof key, "%s/%s", TL_TICKS_TABLE, f->path);
        char *local = tl_store_local_copy(s->store, key, cache, err);
        if (!local)
            return tl_err_wrap(err, err && err->code ? err->code : TL_ERR_IO,
                               "reading %s for the dedupe state (a skipped file would let "
                               "its ticks' resends through)",
                               key);
        char quoted[2048];
        tl_duck_quote(local, quoted, sizeof quoted);
        tl_buf_printf(sql, "%s'%s'", *nnew ? "," : "", quoted);
        free(local);
        (*nnew)++;
    }
    tl_buf_puts(sql, "]");
    return tl_buf_failed(sql) ? tl_err_set(err, TL_ERR_NOMEM, "out of memory (file list)") : 0;
}

/* ---- reading them ---------------------------------------------------------------- */

/* tl_duck_query_each with the callbacks above, whose only stop (-1) is an
 * allocation failure: say so rather than leave err as it was. */
static int fold_query(tl_stream *s, const char *sql, tl_duck_row_fn fn, fold_ctx *r, tl_err *err) {
    int rc = tl_duck_query_each(s->duck, sql, fn, r, err);
    if (rc == -1)
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory recovering the stream's state");
    return rc;
}

/* Per-partition event times, then the (symbol, seq) runs of the files in
 * list (a DuckDB list of local paths). */
static int read_files(tl_stream *s, const char *list, fold_ctx *r, tl_err *err) {
    tl_buf sql = TL_BUF_INIT;
    int rc = 0;
    tl_buf_printf(&sql,
                  "SELECT src_partition, epoch_us(max(ts)) FROM read_parquet(%s) GROUP BY ALL",
                  list);
    if (tl_buf_failed(&sql)) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory (recovery query)");
        goto out;
    }
    if ((rc = fold_query(s, sql.data, on_max, r, err)) || r->max_ts == INT64_MIN)
        goto out;
    tl_stream_frontier_update(s);
    int64_t wm = tl_stream_watermark(s);
    if (wm == INT64_MIN) /* a handover before any partition of ours has event time */
        wm = r->max_ts - s->opts.allowed_lateness_us;
    /* Late rows are remembered from the watermark of their arrival, as
     * ingest does; the watermark now is at or past it, so they are kept at
     * least as long. seq - row_number() is constant along a run of
     * consecutive seqs (gaps and islands), so grouping by it yields the
     * runs. */
    tl_buf_reset(&sql);
    tl_buf_printf(&sql,
                  "SELECT symbol, min(seq), max(seq), max(keep) FROM ("
                  " SELECT symbol, seq, keep,"
                  "  seq - row_number() OVER (PARTITION BY symbol ORDER BY seq) AS run"
                  " FROM (SELECT symbol, seq,"
                  "  max(CASE WHEN late THEN %" PRId64 " ELSE epoch_us(ts) END) AS keep"
                  "  FROM read_parquet(%s) WHERE seq IS NOT NULL GROUP BY symbol, seq))"
                  " GROUP BY symbol, run",
                  wm, list);
    if (tl_buf_failed(&sql)) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory (recovery query)");
        goto out;
    }
    if ((rc = fold_query(s, sql.data, on_run, r, err)))
        goto out;
    tl_dedupe_evict(s->dedupe, wm - tl_stream_dedupe_horizon(s), 0); /* as a stream would */
out:
    tl_buf_free(&sql);
    return rc;
}

/* Fold the horizon's files the dedupe state does not hold into it (all of
 * them at start), then remember the horizon's files as held. */
static int fold(tl_stream *s, bool start, tl_err *err) {
    tl_folded *fd = &s->folded;
    tl_buf list = TL_BUF_INIT;
    char **all = NULL;
    size_t nall = 0, nnew = 0;
    int64_t version = tl_lake_snapshot_version(s->ticks_snap);
    fold_ctx r = {s, start, INT64_MIN, 0};
    if (fd->nown > 1)
        qsort(fd->own, fd->nown, sizeof *fd->own, cmp_path);
    int rc = list_files(s, &list, &all, &nall, &nnew, err);
    if (rc == 0 && nnew > 0)
        rc = read_files(s, list.data, &r, err);
    if (rc)
        goto out;
    free_paths(fd->paths, fd->n);
    fd->paths = all;
    fd->n = nall;
    all = NULL;
    nall = 0;
    free_paths(fd->own, fd->nown); /* in the snapshot now: among the paths if recent */
    fd->own = NULL;
    fd->nown = fd->cap_own = 0;
    fd->version = version;
    if (nnew == 0)
        goto out;
    if (start)
        tl_info("stream",
                "recovered from the lake: per-partition event times and %zu runs of (symbol, "
                "seq) of %zu symbols from %zu files (%" PRIu64 " runs read)",
                tl_dedupe_count(s->dedupe), tl_dedupe_symbols(s->dedupe), nnew, r.loaded);
    else
        tl_info("stream",
                "partition handover: folded %zu new file(s) of the lake (other consumers' "
                "commits, compaction) up to version %" PRId64 " into the dedupe state (%" PRIu64
                " runs of (symbol, seq) read; %zu runs of %zu symbols held)",
                nnew, version, r.loaded, tl_dedupe_count(s->dedupe),
                tl_dedupe_symbols(s->dedupe));
out:
    free_paths(all, nall);
    tl_buf_free(&list);
    return rc;
}

int tl_stream_recover(tl_stream *s, tl_err *err) {
    if (tl_lake_snapshot_num_files(s->ticks_snap) == 0) {
        s->folded.version = tl_lake_snapshot_version(s->ticks_snap);
        return 0;
    }
    return fold(s, true, err);
}

int tl_stream_catch_up(tl_stream *s, tl_err *err) {
    /* commit every batch in flight first, in order: their files then count
     * as our own, and the log re-read below is the one they advanced */
    int rc = tl_stream_finish_inflight(s, err);
    if (rc)
        return rc;
    if ((rc = tl_lake_snapshot_refresh(s->store, s->ticks_snap, err)))
        return tl_err_wrap(err, rc, "re-reading the ticks log at a partition handover");
    if (tl_lake_snapshot_version(s->ticks_snap) > s->ticks_version)
        s->ticks_version = tl_lake_snapshot_version(s->ticks_snap);
    if (tl_lake_snapshot_version(s->ticks_snap) == s->folded.version)
        return 0; /* nothing committed since the last fold */
    return fold(s, false, err);
}

void tl_stream_note_own_file(tl_stream *s, const char *path) {
    tl_folded *fd = &s->folded;
    if (fd->nown == OWN_MAX) {
        /* a stream with no handover for long: forget the oldest half (read
         * again at the next fold if still recent: slower, still right) */
        size_t half = OWN_MAX / 2;
        for (size_t i = 0; i < half; i++)
            free(fd->own[i]);
        memmove(fd->own, fd->own + half, (fd->nown - half) * sizeof *fd->own);
        fd->nown -= half;
    }
    if (fd->nown == fd->cap_own) {
        size_t cap = fd->cap_own ? fd->cap_own * 2 : 64;
        char **p = realloc(fd->own, cap * sizeof *p);
        if (!p)
            return; /* not remembered: read again at the next fold */
        fd->own = p;
        fd->cap_own = cap;
    }
    if ((fd->own[fd->nown] = strdup(path)))
        fd->nown++;
}

void tl_stream_folded_free(tl_stream *s) {
    free_paths(s->folded.paths, s->folded.n);
    free_paths(s->folded.own, s->folded.nown);
    memset(&s->folded, 0, sizeof s->folded);
}
