/* live_follow: the lake's new commits -> live state and health facts. */
#include "live/live_follow.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "duck/duck.h"
#include "lake/lake.h"
#include "tables/tables.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strmap.h"

#define HOUR_US 3600000000LL

struct tl_live_follow {
    tl_live *live;
    tl_store *store;
    bool feed;
    bool primed; /* the first feeding poll happened */
    int64_t window_us;
    tl_lake_snapshot *snap;
    tl_duck_opts duck_opts; /* its database's and the checkpoint reader's limits */
    tl_duck *duck;
    tl_strmap *seen; /* paths of the files already read or skipped */
    char cache[1024];
    const char *warehouse;  /* models' run history, or NULL */
    int64_t warehouse_mtime; /* of the last read */

    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    int64_t period_ms;
};

tl_live_follow *tl_live_follow_new(tl_live *live, tl_store *store, bool feed_ticks,
                                   const tl_duck_opts *duck, tl_err *err) {
    tl_live_follow *f = calloc(1, sizeof *f);
    if (!f) {
        tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    f->live = live;
    f->store = store;
    f->feed = feed_ticks;
    if (duck)
        f->duck_opts = *duck;
    f->window_us = HOUR_US; /* and the rest of that hour: up to two hours of ticks */
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    tl_store_default_cache_dir(store, f->cache, sizeof f->cache);
    if (!(f->seen = tl_strmap_new(NULL))) {
        tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (feed_ticks && !(f->duck = tl_duck_open(NULL, 0, &f->duck_opts, err)))
        goto fail;
    return f;
fail:
    tl_live_follow_destroy(f);
    return NULL;
}

static const char *pv(const tl_lake_file *file, const char *key) {
    for (size_t i = 0; i < file->n_partition_values; i++)
        if (!strcmp(file->partition_values[i].key, key))
            return file->partition_values[i].value;
    return NULL;
}

/* The file's hour partition as µs since the epoch, or INT64_MIN. */
static int64_t file_hour_us(const tl_lake_file *file, char *name, size_t cap) {
    const char *y = pv(file, "year"), *m = pv(file, "month"), *d = pv(file, "day"),
               *h = pv(file, "hour");
    if (!y || !m || !d || !h)
        return INT64_MIN;
    struct tm tm = {0};
    tm.tm_year = atoi(y) - 1900;
    tm.tm_mon = atoi(m) - 1;
    tm.tm_mday = atoi(d);
    tm.tm_hour = atoi(h);
    if (name)
        snprintf(name, cap, "%04d-%02d-%02dT%02d", atoi(y), atoi(m), atoi(d), atoi(h));
    return (int64_t)timegm(&tm) * 1000000;
}

/* The newest compaction, from the log: compaction's OPTIMIZE commits remove
 * files with dataChange=false, and the snapshot keeps those removals with
 * the commit's time. Only the newest compaction's stay (older ones are
 * dropped once it is noted): the log keeps tombstones a week, and the
 * snapshot, refreshed every second, held every file removed since the
 * dashboard started (~0.7 KB each, ~500 a minute at 10k ticks/s). */
static void note_compaction(tl_live_follow *f) {
    int64_t newest = 0;
    size_t files = 0;
    for (size_t i = 0; i < tl_lake_snapshot_num_tombstones(f->snap); i++) {
        const tl_lake_file *t = tl_lake_snapshot_tombstone(f->snap, i);
        if (t->data_change || t->deletion_timestamp <= 0)
            continue;
        if (t->deletion_timestamp > newest)
            newest = t->deletion_timestamp, files = 0;
        files += t->deletion_timestamp == newest;
    }
    if (newest > 0) {
        char status[160];
        snprintf(status, sizeof status, "ok: %zu file%s rewritten (OPTIMIZE in the lake's log)",
                 files, files == 1 ? "" : "s");
        tl_live_note_job(f->live, "compaction", newest, status);
    }
    tl_lake_snapshot_forget_tombstones(f->snap, newest > 0 ? newest : INT64_MAX);
}

static int run_row(void *ud, int ncols, const char *const *v) {
    tl_live_follow *f = ud;
    if (ncols < 3 || !v[0])
        return 0;
    long long n = strtoll(v[1], NULL, 10), failed = v[2] ? strtoll(v[2], NULL, 10) : 0;
    char status[160];
    if (failed)
        snprintf(status, sizeof status, "failed: %lld of %lld models (warehouse run history)",
                 failed, n);
    else
        snprintf(status, sizeof status, "ok: %lld models built (warehouse run history)", n);
    tl_live_note_job(f->live, "models", strtoll(v[0], NULL, 10), status);
    return 0;
}

/* The last models run, from the warehouse's ticklake_model_runs, when the
 * file changed since the last read. Read-only; a missing file is no run. */
static void note_models(tl_live_follow *f) {
    struct stat st;
    if (!f->warehouse || !f->duck || stat(f->warehouse, &st) != 0 ||
        (int64_t)st.st_mtime == f->warehouse_mtime)
        return;
    char quoted[2400], sql[3000];
    tl_duck_quote(f->warehouse, quoted, sizeof quoted);
    snprintf(sql, sizeof sql,
             "ATTACH '%s' AS tl_wh (READ_ONLY); "
             "SELECT epoch_ms(max(completed_at)), count(*), count(*) FILTER (WHERE status "
             "NOT IN ('success', 'pass')) FROM tl_wh.ticklake_model_runs WHERE invocation_id = "
             "(SELECT invocation_id FROM tl_wh.ticklake_model_runs ORDER BY completed_at DESC "
             "LIMIT 1)",
             quoted);
    tl_err err = {0};
    if (tl_duck_query_each(f->duck, sql, run_row, f, &err) != 0)
        tl_debug("live", "reading the model runs of %s: %s", f->warehouse, err.msg);
    else
        f->warehouse_mtime = (int64_t)st.st_mtime;
    tl_duck_exec(f->duck, "DETACH DATABASE IF EXISTS tl_wh", &err);
}

void tl_live_follow_set_warehouse(tl_live_follow *f, const char *path) {
    f->warehouse = path && *path ? path : NULL;
}

/* Files per hour partition (the newest), the days held, the newest add. */
static void publish_facts(tl_live_follow *f) {
    size_t n = tl_lake_snapshot_num_files(f->snap);
    char names[24][24], days[62][16];
    const char *name_ptrs[24], *day_ptrs[62];
    size_t counts[24] = {0}, nparts = 0, ndays = 0;
    int64_t newest_ms = 0;
    /* files are sorted by path, and paths start with year=/month=/day=/hour=,
     * so walking backwards visits the newest partitions first */
    for (size_t i = n; i-- > 0;) {
        const tl_lake_file *file = tl_lake_snapshot_file(f->snap, i);
        char name[24];
        if (file->modification_time > newest_ms)
            newest_ms = file->modification_time;
        if (file_hour_us(file, name, sizeof name) == INT64_MIN)
            continue;
        if (nparts && !strcmp(names[nparts - 1], name)) {
            counts[nparts - 1]++;
        } else if (nparts < 24) {
            snprintf(names[nparts], sizeof names[nparts], "%s", name);
            counts[nparts++] = 1;
        }
        if (ndays < 62 && (!ndays || strncmp(days[ndays - 1], name, 10) != 0))
            snprintf(days[ndays++], sizeof days[0], "%.10s", name);
    }
    for (size_t i = 0; i < nparts; i++)
        name_ptrs[i] = names[i];
    for (size_t i = 0; i < ndays; i++)
        day_ptrs[i] = days[i];
    tl_live_set_lake(f->live, tl_lake_snapshot_version(f->snap), newest_ms, n, name_ptrs, counts,
                     nparts);
    tl_live_set_days(f->live, day_ptrs, ndays);
}

static int feed_row(void *ud, int ncols, const char *const *v) {
    tl_live_follow *f = ud;
    int64_t price;
    if (ncols < 4 || !v[0] || !v[1] || !v[2] || tl_decimal_parse(v[2], strlen(v[2]), &price) != 0)
        return 0;
    int64_t ts = strtoll(v[1], NULL, 10), bid = TL_QUALITY_NO_QUOTE, ask = TL_QUALITY_NO_QUOTE;
    if (ncols >= 7) { /* history too: freshness and gaps are about the data */
        if (v[5] && tl_decimal_parse(v[5], strlen(v[5]), &bid) != 0)
            bid = TL_QUALITY_NO_QUOTE;
        if (v[6] && tl_decimal_parse(v[6], strlen(v[6]), &ask) != 0)
            ask = TL_QUALITY_NO_QUOTE;
        tl_quality_observe(tl_live_quality(f->live), v[0], ts,
                           v[4] ? strtoll(v[4], NULL, 10) : TL_QUALITY_NO_SEQ, price, bid, ask);
    }
    /* after quality (tl_live_health_sig): the first read is history, the
     * later ones new ticks */
    (f->primed ? tl_live_add : tl_live_load)(f->live, v[0], ts, price,
                                             v[3] ? strtoll(v[3], NULL, 10) : 0);
    return 0;
}

/* Read the listed files (keys relative to the store) into live, in arrival order. */
static int feed_files(tl_live_follow *f, const char *const *paths, size_t n, tl_err *err) {
    tl_buf sql = TL_BUF_INIT;
    int rc = 0;
    tl_buf_puts(&sql, "SELECT symbol, epoch_us(ts)::VARCHAR, price::VARCHAR, size::VARCHAR, "
                      "seq::VARCHAR, bid::VARCHAR, ask::VARCHAR FROM read_parquet([");
    for (size_t i = 0; i < n; i++) {
        char key[1200], quoted[2400];
        snprintf(key, sizeof key, "%s/%s", TL_TICKS_TABLE, paths[i]);
        char *local = tl_store_local_copy(f->store, key, f->cache, err);
        if (!local) {
            rc = err && err->code ? err->code : TL_ERR_IO;
            goto out;
        }
        tl_duck_quote(local, quoted, sizeof quoted);
        free(local);
        tl_buf_printf(&sql, "%s'%s'", i ? "," : "", quoted);
    }
    /* in the order the stream took them (per source partition, by offset),
     * as live ingest sees them: the quality figures (seq gaps, jumps) are
     * about arrival; by event time a late tick would look like a jump */
    tl_buf_puts(&sql, "]) ORDER BY src_partition, src_offset");
    rc = tl_duck_query_each(f->duck, sql.data, feed_row, f, err);
out:
    tl_buf_free(&sql);
    return rc;
}

/* The files to read now: new since the last poll, adding data, and (on the
 * first poll) inside the window. Every live file is remembered as seen. */
static int feed_new(tl_live_follow *f, tl_err *err) {
    size_t n = tl_lake_snapshot_num_files(f->snap), nread = 0;
    const char **todo = calloc(n ? n : 1, sizeof *todo);
    tl_strmap *seen = tl_strmap_new(NULL);
    int rc = 0;
    if (!todo || !seen) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        goto out;
    }
    int64_t since = (tl_now_us() - f->window_us) / HOUR_US * HOUR_US;
    for (size_t i = 0; i < n; i++) {
        const tl_lake_file *file = tl_lake_snapshot_file(f->snap, i);
        if (tl_strmap_put(seen, file->path, NULL) != 0) {
            rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
            goto out;
        }
        if (tl_strmap_has(f->seen, file->path))
            continue;
        if (!f->primed ? file_hour_us(file, NULL, 0) >= since : file->data_change)
            todo[nread++] = file->path;
    }
    if (nread)
        rc = feed_files(f, todo, nread, err);
    if (rc == 0) {
        if (!f->primed)
            tl_live_set_since(f->live, since);
        f->primed = true;
        tl_strmap_destroy(f->seen);
        f->seen = seen;
        seen = NULL;
    }
out:
    tl_strmap_destroy(seen);
    free(todo);
    return rc;
}

int tl_live_follow_poll(tl_live_follow *f, tl_err *err) {
    int rc = f->snap ? tl_lake_snapshot_refresh(f->store, f->snap, err)
                     : tl_lake_snapshot_load(f->store, TL_TICKS_TABLE, &f->duck_opts, &f->snap,
                                             err);
    if (rc)
        return rc;
    publish_facts(f);
    note_compaction(f);
    note_models(f);
    return f->feed ? feed_new(f, err) : 0;
}

static void *follow_main(void *arg) {
    tl_live_follow *f = arg;
    pthread_mutex_lock(&f->mu);
    while (!f->stop) {
        pthread_mutex_unlock(&f->mu);
        tl_err err = {0};
        if (tl_live_follow_poll(f, &err) != 0)
            tl_warn("live", "following the lake: %s", err.msg);
        pthread_mutex_lock(&f->mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ns = ts.tv_nsec + (f->period_ms % 1000) * 1000000;
        ts.tv_sec += f->period_ms / 1000 + ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        if (!f->stop)
            pthread_cond_timedwait(&f->cv, &f->mu, &ts);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

int tl_live_follow_start(tl_live_follow *f, int64_t period_ms, tl_err *err) {
    f->period_ms = period_ms > 0 ? period_ms : 1000;
    if (pthread_create(&f->thread, NULL, follow_main, f) != 0)
        return tl_err_set(err, TL_ERR_IO, "cannot start the lake follower thread");
    f->started = true;
    return 0;
}

size_t tl_live_follow_tombstones(const tl_live_follow *f) {
    return f->snap ? tl_lake_snapshot_num_tombstones(f->snap) : 0;
}

void tl_live_follow_destroy(tl_live_follow *f) {
    if (!f)
        return;
    if (f->started) {
        pthread_mutex_lock(&f->mu);
        f->stop = true;
        pthread_cond_signal(&f->cv);
        pthread_mutex_unlock(&f->mu);
        pthread_join(f->thread, NULL);
    }
    tl_lake_snapshot_free(f->snap);
    tl_duck_close(f->duck);
    tl_strmap_destroy(f->seen);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    free(f);
}
