/* Flushing: every buffer becomes one Parquet file, then one Delta commit to
 * the dead-letter table (if anything was rejected) and one to the ticks
 * table, each carrying the source positions they cover.
 *
 * A flush is a batch: the buffers and positions taken at one moment
 * (tl_stream_seal). Writing its files (Parquet encoding is the expensive
 * part) touches only the batch, so it may run on a worker thread
 * (stream_writers.c keeps several in flight); committing it
 * (tl_stream_batch_commit) runs on the stream's thread, in epoch order. */
#include "stream/stream_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tables/tables.h"
#include "util/base64.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/json_out.h"
#include "util/log.h"
#include "util/random.h"
#include "util/signals.h"

/* Remember a key this batch put in the store (see discard_published). */
static int note_published(tl_batch *bt, const char *full, bool dead_table) {
    struct tl_published *p = realloc(bt->published, (bt->npublished + 1) * sizeof *p);
    if (!p)
        return -1;
    bt->published = p;
    if (!(p[bt->npublished].key = strdup(full)))
        return -1;
    p[bt->npublished++].dead_table = dead_table;
    return 0;
}

/* Move a finished local file into the store at table/key and describe it in
 * tx. The key carries the batch's attempt id, so it is new: nothing
 * committed is ever written over. */
static int publish(tl_stream *s, tl_batch *bt, const char *table, const char *key,
                   const char *local, const tl_lake_kv *pv, size_t npv, const char *stats,
                   tl_lake_tx *tx, int64_t size, tl_err *err) {
    char full[1024];
    snprintf(full, sizeof full, "%s/%s", table, key);
    int rc = tl_store_put_file(s->store, full, local, err);
    unlink(local); /* gone already when put_file moved it */
    if (rc)
        return rc;
    if (note_published(bt, full, strcmp(table, TL_DEADLETTER_TABLE) == 0) != 0)
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory (published keys)");
    tl_lake_file f = {.path = key,
                      .partition_values = pv,
                      .n_partition_values = npv,
                      .size = size,
                      .modification_time = tl_now_us() / 1000,
                      .deletion_timestamp = -1,
                      .data_change = true,
                      .stats = stats};
    return tl_lake_tx_add(tx, &f, err);
}

static int write_bucket(tl_stream *s, tl_batch *bt, tl_bucket *b, tl_lake_tx *tx, tl_buf *stats,
                        tl_err *err) {
    int64_t first = b->rows[0].src_offset, last = first;
    for (size_t i = 1; i < b->n; i++) {
        if (b->rows[i].src_offset < first)
            first = b->rows[i].src_offset;
        if (b->rows[i].src_offset > last)
            last = b->rows[i].src_offset;
    }
    char src[256], key[512], local[1280], vals[4][8];
    tl_stream_src_name(s, b->partition, src, sizeof src);
    tl_ticks_file_name(src, b->hour_us, first, last, bt->attempt, key, sizeof key);
    snprintf(local, sizeof local, "%s/ticks-%d-%" PRIu64 ".parquet", s->tmp_dir, (int)getpid(),
             bt->epoch);
    int64_t size = 0;
    /* the native writer knows the built-in columns only: added ones
     * (schema evolution) go through DuckDB */
    int rc = bt->pq && s->schema->table.ncols == tl_ticks_table.ncols
                 ? tl_pq_write_ticks(bt->pq, b->rows, b->n, local, &size, err)
                 : tl_duck_write_ticks_as(bt->duck, &s->schema->table, b->rows, b->n, local,
                                          &size, err);
    if (rc)
        return tl_err_wrap(err, rc, "writing %s", key);
    tl_buf_reset(stats);
    if (tl_ticks_stats_json(b->rows, b->n, stats) != 0)
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory (stats)");
    tl_ticks_partition_values(b->hour_us, vals);
    tl_lake_kv pv[4];
    for (int i = 0; i < 4; i++)
        pv[i] = (tl_lake_kv){tl_ticks_table.parts[i].name, vals[i]};
    rc = publish(s, bt, TL_TICKS_TABLE, key, local, pv, 4, stats->data, tx, size, err);
    if (rc == 0) {
        bt->files++;
        bt->bytes += (uint64_t)size;
    }
    return rc;
}

/* ---- dead letters ---------------------------------------------------------- */

static void dead_date(const tl_dead *d, char *out, size_t cap) {
    tl_civil c = tl_civil_from_us(d->received_us);
    snprintf(out, cap, "%04d-%02d-%02d", c.year, c.month, c.day);
}

/* One JSONL line per dead letter, loaded by DuckDB into Parquet; scratch
 * holds the base64 of the raw bytes. 0, or the writer's error. */
static int dead_jsonl(tl_stream *s, const tl_dead *d, tl_json *j, tl_buf *scratch) {
    char src[256], ts[40];
    tl_stream_src_name(s, d->partition, src, sizeof src);
    tl_rfc3339_format(d->received_us, ts, sizeof ts);
    tl_buf_reset(scratch);
    if (tl_buf_base64(scratch, d->raw, d->raw_len) != 0)
        return TL_ERR_NOMEM;
    tl_json_obj_begin(j);
    tl_json_kv_str(j, "reason", d->code);
    tl_json_kv_str(j, "message", d->msg);
    tl_json_key(j, "raw"); /* bytes that are not UTF-8 become U+00XX; raw_base64 is exact */
    tl_json_strn(j, d->raw, d->raw_len);
    tl_json_key(j, "raw_base64");
    tl_json_strn(j, scratch->data ? scratch->data : "", scratch->len);
    tl_json_kv_str(j, "source", src);
    tl_json_kv_int(j, "src_partition", d->partition);
    tl_json_kv_int(j, "src_offset", d->offset);
    tl_json_kv_str(j, "received_ts", ts);
    tl_json_obj_end(j);
    return tl_json_end_line(j);
}

/* {"numRecords":n}: a dead-letter file's statistics. */
static int dead_stats(size_t n, tl_buf *out) {
    tl_json *j = tl_json_new(out);
    if (!j)
        return TL_ERR_NOMEM;
    tl_json_obj_begin(j);
    tl_json_kv_int(j, "numRecords", (int64_t)n);
    tl_json_obj_end(j);
    int rc = tl_json_finish(j, NULL);
    tl_json_free(j);
    return rc;
}

/* The whole of data into a new file at path; the error names the cause
 * (ENOSPC above all: a full disk must say so). */
static int write_file(const char *path, const void *data, size_t len, tl_err *err) {
    FILE *f = fopen(path, "wb");
    if (!f)
        return tl_err_set(err, TL_ERR_IO, "cannot create %s: %s", path, strerror(errno));
    bool ok = fwrite(data, 1, len, f) == len;
    int e = ok ? 0 : errno;
    if (fclose(f) != 0 && ok) { /* a delayed write error shows at close */
        ok = false;
        e = errno;
    }
    if (!ok)
        return tl_err_set(err, TL_ERR_IO, "cannot write %s: %s", path, strerror(e));
    return 0;
}

static int write_dead_group(tl_stream *s, tl_batch *bt, size_t from, size_t to, tl_lake_tx *tx,
                            tl_err *err) {
    const tl_dead *d0 = &bt->dead[from];
    char date[16], src[256], key[512], json[1280], local[1280];
    dead_date(d0, date, sizeof date);
    tl_stream_src_name(s, d0->partition, src, sizeof src);
    int64_t first = d0->offset, last = bt->dead[to - 1].offset;
    tl_deadletter_file_name(src, date, first, last, bt->attempt, key, sizeof key);
    snprintf(json, sizeof json, "%s/dead-%d-%" PRIu64 ".jsonl", s->tmp_dir, (int)getpid(),
             bt->epoch);
    snprintf(local, sizeof local, "%s/dead-%d-%" PRIu64 ".parquet", s->tmp_dir, (int)getpid(),
             bt->epoch);

    tl_buf lines = TL_BUF_INIT, sql = TL_BUF_INIT, stats = TL_BUF_INIT, scratch = TL_BUF_INIT;
    tl_json *j = tl_json_new(&lines);
    int rc = j ? 0 : TL_ERR_NOMEM;
    for (size_t i = from; i < to && rc == 0; i++)
        rc = dead_jsonl(s, &bt->dead[i], j, &scratch);
    if (!rc)
        rc = dead_stats(to - from, &stats);
    if (rc) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory (dead letters)");
        goto out;
    }
    if ((rc = write_file(json, lines.data, lines.len, err)) != 0)
        goto out;
    char qjson[2600], qlocal[2600];
    if (tl_duck_quote(json, qjson, sizeof qjson) != 0 ||
        tl_duck_quote(local, qlocal, sizeof qlocal) != 0) {
        rc = tl_err_set(err, TL_ERR_INVALID, "temp path too long: %s", json);
        goto out;
    }
    /* the columns and their types come from the table's definition */
    /* a statement cut short by out of memory must not reach DuckDB */
    if (tl_buf_puts(&sql, "COPY (SELECT ") ||
        tl_table_column_list(&tl_deadletter_table, false, &sql) ||
        tl_buf_printf(&sql, " FROM read_json('%s', format='newline_delimited', columns=", qjson) ||
        tl_table_json_columns(&tl_deadletter_table, &sql) ||
        tl_buf_printf(&sql, ")) TO '%s' (%s)", qlocal, tl_duck_parquet_format(bt->duck))) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory (dead-letter SQL)");
        goto out;
    }
    if ((rc = tl_duck_exec(bt->duck, sql.data, err)))
        goto out;
    unlink(json);
    struct stat st;
    if (stat(local, &st) != 0) {
        rc = tl_err_set(err, TL_ERR_IO, "DuckDB did not write %s", local);
        goto out;
    }
    tl_lake_kv pv[1] = {{"date", date}};
    rc = publish(s, bt, TL_DEADLETTER_TABLE, key, local, pv, 1, stats.data, tx,
                 (int64_t)st.st_size, err);
    if (rc == 0)
        bt->dl_files++;
out:
    unlink(json);
    tl_json_free(j);
    tl_buf_free(&lines);
    tl_buf_free(&sql);
    tl_buf_free(&stats);
    tl_buf_free(&scratch);
    return rc;
}

static int dead_cmp(const void *a, const void *b) {
    const tl_dead *x = a, *y = b;
    if (x->partition != y->partition)
        return x->partition < y->partition ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* One file per source partition and received date: sort by (partition,
 * offset), then cut where the partition or the date changes. */
static int write_dead(tl_stream *s, tl_batch *bt, tl_lake_tx *tx, tl_err *err) {
    qsort(bt->dead, bt->ndead, sizeof *bt->dead, dead_cmp);
    size_t from = 0;
    for (size_t i = 1; i <= bt->ndead; i++) {
        char a[16], b[16];
        bool split = i == bt->ndead || bt->dead[i].partition != bt->dead[from].partition;
        if (!split) {
            dead_date(&bt->dead[i], a, sizeof a);
            dead_date(&bt->dead[from], b, sizeof b);
            split = strcmp(a, b) != 0;
        }
        if (split) {
            int rc = write_dead_group(s, bt, from, i, tx, err);
            if (rc)
                return rc;
            from = i;
        }
    }
    return 0;
}

/* ---- batches ---------------------------------------------------------------- */

void tl_stream_batch_free(tl_batch *bt) {
    if (!bt)
        return;
    for (size_t i = 0; i < bt->nbuckets; i++) {
        /* a pass over every row (~15 MB a full bucket, out of cache) only
         * when some row has extra fields: 1.6% of a backfill's CPU */
        if (bt->buckets[i].n_ext)
            tl_stream_rows_free_ext(bt->buckets[i].rows, bt->buckets[i].n);
        tl_stream_rows_release(bt->owner, bt->buckets[i].rows, bt->buckets[i].cap);
    }
    free(bt->buckets);
    for (size_t i = 0; i < bt->ndead; i++)
        tl_stream_dead_free(&bt->dead[i]);
    free(bt->dead);
    free(bt->upto);
    for (size_t i = 0; i < bt->npublished; i++)
        free(bt->published[i].key);
    free(bt->published);
    tl_lake_tx_destroy(bt->ticks_tx);
    tl_lake_tx_destroy(bt->dl_tx);
    free(bt);
}

/* Take the buffers and the positions they reach; the stream starts afresh. */
tl_batch *tl_stream_seal(tl_stream *s, tl_err *err) {
    tl_batch *bt = calloc(1, sizeof *bt);
    if (!bt || !(bt->upto = malloc((s->nparts ? s->nparts : 1) * sizeof *bt->upto))) {
        free(bt);
        tl_err_set(err, TL_ERR_NOMEM, "out of memory (flush)");
        return NULL;
    }
    bt->owner = s;
    bt->epoch = ++s->flush_epoch;
    tl_random_id(bt->attempt);
    bt->buckets = s->buckets;
    bt->nbuckets = s->nbuckets;
    bt->dead = s->dead;
    bt->ndead = s->ndead;
    bt->nparts = s->nparts;
    bt->mem = s->buffered_bytes;
    for (size_t i = 0; i < s->nparts; i++) {
        tl_part *p = &s->parts[i];
        bt->upto[i] = p->known && p->consumed > p->sealed ? p->consumed : -2;
        if (p->known)
            p->sealed = p->consumed;
    }
    s->buckets = NULL;
    s->nbuckets = s->cap_buckets = 0;
    s->dead = NULL;
    s->ndead = s->cap_dead = 0;
    s->buffered = 0;
    s->buffered_bytes = 0;
    s->last_flush_ms = tl_mono_ms();
    return bt;
}

int tl_stream_batch_write(tl_stream *s, tl_batch *bt) {
    tl_buf stats = TL_BUF_INIT;
    tl_err *err = &bt->err;
    int rc = 0;
    if (!(bt->ticks_tx = tl_lake_tx_new("STREAMING UPDATE", &s->commit_opts, err)) ||
        (bt->ndead && !(bt->dl_tx = tl_lake_tx_new("STREAMING UPDATE", &s->commit_opts, err)))) {
        rc = err->code ? err->code : TL_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < bt->nbuckets && rc == 0; i++)
        rc = write_bucket(s, bt, &bt->buckets[i], bt->ticks_tx, &stats, err);
    if (rc == 0 && bt->ndead)
        rc = write_dead(s, bt, bt->dl_tx, err);
out:
    tl_buf_free(&stats);
    bt->rc = rc;
    atomic_store(&bt->done, true);
    return rc;
}

static int set_txns(tl_stream *s, const tl_batch *bt, tl_lake_tx *tx, bool dead_table,
                    tl_err *err) {
    for (size_t i = 0; i < bt->nparts; i++) {
        tl_part *p = &s->parts[i];
        int64_t have = dead_table ? p->dl_in_lake : p->in_lake;
        if (bt->upto[i] < 0 || bt->upto[i] <= have)
            continue;
        char app[512];
        tl_stream_app_id(s, (int32_t)i - 1, app, sizeof app);
        int rc = tl_lake_tx_set_txn(tx, app, bt->upto[i], err);
        if (rc)
            return rc;
    }
    return 0;
}

static int commit(tl_stream *s, const tl_batch *bt, const char *table, tl_lake_tx *tx,
                  int64_t *version, tl_err *err) {
    char epoch[32];
    snprintf(epoch, sizeof epoch, "%" PRIu64, bt->epoch);
    tl_lake_tx_param(tx, "outputMode", "Append", err);
    tl_lake_tx_param(tx, "epochId", epoch, err);
    int64_t t0 = tl_mono_us();
    int rc = tl_lake_commit(s->store, table, tx, *version, version, err);
    if (rc)
        return tl_err_wrap(err, rc, "committing to %s", table);
    uint64_t took = (uint64_t)(tl_mono_us() - t0);
    /* the commit is visible now; its checkpoint (if due) is optional */
    if (tl_lake_checkpointer_offer(s->ckpt, table, *version) < 0)
        tl_warn("stream", "no memory to queue the checkpoint of %s", table);
    s->c.commits++;
    s->c.commit_us_total += took;
    s->c.commit_us_last = took;
    if (took > s->c.commit_us_max)
        s->c.commit_us_max = took;
    return 0;
}

/* The fence: no one else may have advanced a partition we are about to
 * commit (a consumer that held it before a rebalance, a zombie). Compares
 * the log's txn versions with what we believe is in the lake. */
static int check_fence(tl_stream *s, const tl_batch *bt, tl_err *err) {
    int rc = tl_lake_snapshot_refresh(s->store, s->ticks_snap, err);
    if (rc)
        return tl_err_wrap(err, rc, "re-reading the ticks log before a commit");
    if (tl_lake_snapshot_version(s->ticks_snap) > s->ticks_version)
        s->ticks_version = tl_lake_snapshot_version(s->ticks_snap);
    for (size_t i = 0; i < bt->nparts; i++) {
        if (bt->upto[i] < 0)
            continue;
        char app[512];
        tl_stream_app_id(s, (int32_t)i - 1, app, sizeof app);
        int64_t have = tl_lake_snapshot_txn_version(s->ticks_snap, app);
        if (have != s->parts[i].in_lake)
            return tl_err_set(err, TL_ERR_CONFLICT,
                              "%s: the lake holds offset %lld but this stream expected %lld: "
                              "another writer committed this partition (a rebalance or a "
                              "second stream); stopping without committing",
                              app, (long long)have, (long long)s->parts[i].in_lake);
    }
    return 0;
}

/* Take back the files of a batch that will not be committed: only its own
 * (their keys carry its attempt id), and only when it is certain that no
 * commit references them — a failed write, the fence, or a conflict (the
 * commit file was never created). After an ambiguous commit error (a
 * timeout) they stay: vacuum removes them if they are not in the log. */
void tl_stream_discard_published(tl_stream *s, const tl_batch *bt, bool ticks_only) {
    for (size_t i = 0; i < bt->npublished; i++) {
        if (ticks_only && bt->published[i].dead_table)
            continue;
        tl_err e = {0};
        if (tl_store_del(s->store, bt->published[i].key, &e) != 0)
            tl_warnf("stream",
                     TL_FIELDS(TL_LS("topic", s->topic), TL_LS("file", bt->published[i].key)),
                     "cannot remove uncommitted %s: %s (vacuum will)", bt->published[i].key, e.msg);
    }
}

/* A commit that failed with a conflict created nothing; other errors may
 * have landed (an S3 timeout after the PUT succeeded). */
static bool surely_not_committed(int rc) {
    return rc == TL_ERR_CONFLICT;
}

/* The ticks files just committed: the dedupe state holds their rows. */
static void note_own_files(tl_stream *s, const tl_batch *bt) {
    size_t plen = strlen(TL_TICKS_TABLE);
    for (size_t i = 0; i < bt->npublished; i++) {
        const char *k = bt->published[i].key;
        if (!bt->published[i].dead_table && strncmp(k, TL_TICKS_TABLE, plen) == 0 && k[plen] == '/')
            tl_stream_note_own_file(s, k + plen + 1);
    }
}

/* Commit a written batch (dead letters first), then tell the source. */
int tl_stream_batch_commit(tl_stream *s, tl_batch *bt, tl_err *err) {
    if (bt->rc) {
        if (err)
            *err = bt->err;
        tl_stream_discard_published(s, bt, false);
        tl_stream_fail(s, &bt->err);
        return bt->rc;
    }
    int rc = check_fence(s, bt, err);
    if (rc) {
        tl_stream_discard_published(s, bt, false);
        tl_stream_fail(s, err);
        return rc;
    }
    s->c.files_written += bt->files;
    s->c.bytes_written += bt->bytes;
    s->c.dl_files_written += bt->dl_files;
    if (bt->dl_tx && ((rc = set_txns(s, bt, bt->dl_tx, true, err)) ||
                      (rc = commit(s, bt, TL_DEADLETTER_TABLE, bt->dl_tx, &s->dl_version, err)))) {
        if (surely_not_committed(rc))
            tl_stream_discard_published(s, bt, false);
        tl_stream_fail(s, err);
        return rc;
    }
    if ((rc = set_txns(s, bt, bt->ticks_tx, false, err)) ||
        (rc = commit(s, bt, TL_TICKS_TABLE, bt->ticks_tx, &s->ticks_version, err))) {
        if (surely_not_committed(rc))
            tl_stream_discard_published(s, bt, true);
        tl_stream_fail(s, err);
        return rc;
    }
    s->c.last_commit_version = s->ticks_version;
    s->c.last_commit_unix_ms = tl_now_us() / 1000;
    note_own_files(s, bt);
    for (size_t i = 0; i < bt->nparts; i++) {
        tl_part *p = &s->parts[i];
        if (bt->upto[i] < 0 || bt->upto[i] <= p->in_lake)
            continue;
        tl_debugf("stream",
                  TL_FIELDS(TL_LS("topic", s->topic), TL_LI("partition", (int)i - 1),
                            TL_LI("from_offset", p->in_lake + 1), TL_LI("to_offset", bt->upto[i]),
                            TL_LI("version", s->ticks_version)),
                  "partition %d committed up to offset %" PRId64, (int)i - 1, bt->upto[i]);
        p->in_lake = bt->upto[i];
        if (p->dl_in_lake < p->in_lake)
            p->dl_in_lake = p->in_lake;
        if (s->committed_fn)
            s->committed_fn(s->committed_ud, (int32_t)i - 1, p->in_lake);
    }
    if (s->frontier_us != INT64_MIN)
        tl_dedupe_evict(s->dedupe, tl_stream_watermark(s) - tl_stream_dedupe_horizon(s),
                        tl_stream_dedupe_horizon(s) / 16);
    tl_debugf("stream",
              TL_FIELDS(TL_LS("topic", s->topic), TL_LI("version", s->ticks_version),
                        TL_LI("epoch", bt->epoch), TL_LI("files", bt->files),
                        TL_LI("bytes", bt->bytes), TL_LI("deadletter_files", bt->dl_files)),
              "committed epoch %" PRIu64 " as version %" PRId64, bt->epoch, s->ticks_version);
    return 0;
}

bool tl_stream_has_work(const tl_stream *s) {
    return s->buffered > 0 || tl_stream_positions_moved(s);
}

int tl_stream_flush(tl_stream *s, tl_err *err) {
    if (s->failed)
        return tl_stream_failed_err(s, err);
    int rc = tl_stream_finish_inflight(s, err);
    if (rc || !tl_stream_has_work(s)) {
        s->last_flush_ms = tl_mono_ms();
        return rc;
    }
    if (s->want_kept_col && (rc = tl_stream_add_kept_column(s, err)) != 0) {
        tl_stream_fail(s, err);
        return rc;
    }
    tl_batch *bt = tl_stream_seal(s, err);
    if (!bt)
        return TL_ERR_NOMEM;
    bt->duck = s->writers[0]; /* nothing in flight: every writer is free */
    bt->pq = s->pq[0];
    tl_stream_batch_write(s, bt);
    rc = tl_stream_batch_commit(s, bt, err);
    tl_stream_batch_free(bt);
    return rc;
}
