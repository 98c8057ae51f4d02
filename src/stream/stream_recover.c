/* Recovery at start: the watermark and the dedupe state are rebuilt from
 * the rows the lake already holds, so a restart neither lets a resent tick
 * through nor forgets how far event time had come. Only the files of the
 * dedupe horizon are read: those in the newest hours (event time) and those
 * added within the horizon (processing time, for late ticks that landed in
 * old hours; compaction keeps both hours and rows, so its outputs count the
 * same). DuckDB folds their (symbol, seq) pairs into runs of consecutive
 * seqs, the dedupe state's own shape, so a start loads one row per run, not
 * one per tick. */
#include "stream/stream_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "tables/tables.h"
#include "util/buf.h"
#include "util/log.h"

#define HOUR_US (3600LL * 1000000)

typedef struct recover_ctx {
    tl_stream *s;
    int64_t max_ts;
    uint64_t loaded;
} recover_ctx;

/* One row per source partition: its newest event time in the lake. */
static int on_max(void *ud, int ncols, const char *const *v) {
    recover_ctx *r = ud;
    if (ncols < 2 || !v[0] || !v[1])
        return 0;
    int32_t partition = (int32_t)strtol(v[0], NULL, 10);
    if (partition < -1 || (partition < 0) != (r->s->topic == NULL))
        return 0; /* rows from the other kind of source, or another engine's */
    tl_part *p = tl_stream_part(r->s, partition);
    if (!p)
        return -1; /* out of memory: see recover_query */
    p->max_event_us = strtoll(v[1], NULL, 10);
    if (p->max_event_us > r->max_ts)
        r->max_ts = p->max_event_us;
    return 0;
}

/* One run of consecutive seqs of a symbol: symbol, first, last, keep. */
static int on_run(void *ud, int ncols, const char *const *v) {
    recover_ctx *r = ud;
    if (ncols < 4 || !v[0] || !v[1] || !v[2] || !v[3])
        return 0;
    if (tl_dedupe_add_range(r->s->dedupe, v[0], strtoll(v[1], NULL, 10),
                            strtoll(v[2], NULL, 10), strtoll(v[3], NULL, 10)) < 0)
        return -1;
    r->loaded++;
    return 0;
}

/* Append the recent files' local paths to sql as a DuckDB list. Returns the
 * number of files. */
static size_t recent_files(tl_stream *s, tl_buf *sql) {
    const tl_lake_snapshot *snap = s->ticks_snap;
    size_t n = tl_lake_snapshot_num_files(snap), used = 0;
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
    int64_t min_hour = tl_hour_floor_us(max_hour - horizon_us) - HOUR_US;
    int64_t min_mod = max_mod - (horizon_us / 1000 > 120000 ? horizon_us / 1000 : 120000);
    char cache[1024];
    tl_store_default_cache_dir(s->store, cache, sizeof cache);
    tl_buf_puts(sql, "[");
    for (size_t i = 0; i < n; i++) {
        const tl_lake_file *f = tl_lake_snapshot_file(snap, i);
        int64_t h = INT64_MIN;
        tl_ticks_file_hour(f->partition_values, f->n_partition_values, &h);
        if (h < min_hour && f->modification_time < min_mod)
            continue;
        char key[1024];
        snprintf(key, sizeof key, "%s/%s", TL_TICKS_TABLE, f->path);
        char *local = tl_store_local_copy(s->store, key, cache, NULL);
        if (!local)
            continue; /* unreadable now: the dedupe state is best effort */
        char quoted[2048];
        tl_duck_quote(local, quoted, sizeof quoted);
        tl_buf_printf(sql, "%s'%s'", used ? "," : "", quoted);
        free(local);
        used++;
    }
    tl_buf_puts(sql, "]");
    return used;
}

/* tl_duck_query_each with the callbacks above, whose only stop (-1) is an
 * allocation failure: say so rather than leave err as it was. */
static int recover_query(tl_stream *s, const char *sql, tl_duck_row_fn fn, recover_ctx *r,
                         tl_err *err) {
    int rc = tl_duck_query_each(s->duck, sql, fn, r, err);
    if (rc == -1)
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory recovering the stream's state");
    return rc;
}

int tl_stream_recover(tl_stream *s, tl_err *err) {
    tl_buf files = TL_BUF_INIT, sql = TL_BUF_INIT;
    recover_ctx r = {s, INT64_MIN, 0};
    int rc = 0;
    if (tl_lake_snapshot_num_files(s->ticks_snap) == 0)
        goto out;
    size_t nfiles = recent_files(s, &files);
    if (nfiles == 0)
        goto out;
    tl_buf_printf(&sql,
                  "SELECT src_partition, epoch_us(max(ts)) FROM read_parquet(%s) GROUP BY ALL",
                  files.data);
    if ((rc = recover_query(s, sql.data, on_max, &r, err)))
        goto out;
    if (r.max_ts == INT64_MIN)
        goto out;
    tl_stream_frontier_update(s);
    int64_t wm = tl_stream_watermark(s);
    /* Late rows are remembered from the watermark of their arrival, as
     * ingest does. seq - row_number() is constant along a run of consecutive
     * seqs (gaps and islands), so grouping by it yields the runs. */
    tl_buf_reset(&sql);
    tl_buf_printf(&sql,
                  "SELECT symbol, min(seq), max(seq), max(keep) FROM ("
                  " SELECT symbol, seq, keep,"
                  "  seq - row_number() OVER (PARTITION BY symbol ORDER BY seq) AS run"
                  " FROM (SELECT symbol, seq,"
                  "  max(CASE WHEN late THEN %" PRId64 " ELSE epoch_us(ts) END) AS keep"
                  "  FROM read_parquet(%s) WHERE seq IS NOT NULL GROUP BY symbol, seq))"
                  " GROUP BY symbol, run",
                  wm, files.data);
    if ((rc = recover_query(s, sql.data, on_run, &r, err)))
        goto out;
    tl_dedupe_evict(s->dedupe, wm - tl_stream_dedupe_horizon(s), 0); /* as a stream would */
    tl_info("stream",
            "recovered from the lake: per-partition event times and %zu runs of (symbol, seq) "
            "of %zu symbols from %zu files (%" PRIu64 " runs read)",
            tl_dedupe_count(s->dedupe), tl_dedupe_symbols(s->dedupe), nfiles, r.loaded);
out:
    tl_buf_free(&files);
    tl_buf_free(&sql);
    return rc;
}
