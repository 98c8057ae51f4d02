/* Flushing: every buffer becomes one Parquet file, then one Delta commit to
 * the dead-letter table (if anything was rejected) and one to the ticks
 * table, each carrying the source positions they cover. */
#include "stream/stream_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tables/tables.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/signals.h"

/* Move a finished local file into the store at table/key and describe it in tx. */
static int publish(tl_stream *s, const char *table, const char *key, const char *local,
                   const tl_lake_kv *pv, size_t npv, const char *stats, tl_lake_tx *tx,
                   int64_t size, tl_err *err) {
    char full[1024];
    snprintf(full, sizeof full, "%s/%s", table, key);
    int rc = tl_store_put_file(s->store, full, local, err);
    unlink(local); /* gone already when put_file moved it */
    if (rc)
        return rc;
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

static int write_bucket(tl_stream *s, tl_bucket *b, tl_lake_tx *tx, tl_buf *stats, tl_err *err) {
    int64_t first = b->rows[0].src_offset, last = first;
    for (size_t i = 1; i < b->n; i++) {
        if (b->rows[i].src_offset < first)
            first = b->rows[i].src_offset;
        if (b->rows[i].src_offset > last)
            last = b->rows[i].src_offset;
    }
    char src[256], key[512], local[1280], vals[4][8];
    tl_stream_src_name(s, b->partition, src, sizeof src);
    tl_ticks_file_name(src, b->hour_us, first, last, key, sizeof key);
    snprintf(local, sizeof local, "%s/ticks-%d-%" PRId64 ".parquet", s->tmp_dir, (int)getpid(),
             s->flush_epoch);
    int64_t size = 0;
    int rc = tl_duck_write_ticks(s->duck, b->rows, b->n, local, &size, err);
    if (rc)
        return tl_err_wrap(err, "writing %s", key);
    tl_buf_reset(stats);
    if (tl_ticks_stats_json(b->rows, b->n, stats) != 0)
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory (stats)");
    tl_ticks_partition_values(b->hour_us, vals);
    tl_lake_kv pv[4];
    for (int i = 0; i < 4; i++)
        pv[i] = (tl_lake_kv){tl_ticks_partition_columns[i], vals[i]};
    rc = publish(s, TL_TICKS_TABLE, key, local, pv, 4, stats->data, tx, size, err);
    if (rc == 0) {
        s->c.files_written++;
        s->c.bytes_written += (uint64_t)size;
    }
    return rc;
}

/* ---- dead letters ---------------------------------------------------------- */

static void b64(tl_buf *out, const unsigned char *p, size_t n) {
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    tl_buf_reserve(out, (n + 2) / 3 * 4 + 2);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        char q[4] = {tbl[v >> 18 & 63], tbl[v >> 12 & 63], i + 1 < n ? tbl[v >> 6 & 63] : '=',
                     i + 2 < n ? tbl[v & 63] : '='};
        tl_buf_append(out, q, 4);
    }
}

static void dead_date(const tl_dead *d, char *out, size_t cap) {
    tl_civil c = tl_civil_from_us(d->received_us);
    snprintf(out, cap, "%04d-%02d-%02d", c.year, c.month, c.day);
}

/* One JSONL line per dead letter, loaded by DuckDB into Parquet. */
static int dead_jsonl(tl_stream *s, const tl_dead *d, tl_buf *out) {
    char src[256], ts[40];
    tl_stream_src_name(s, d->partition, src, sizeof src);
    tl_rfc3339_format(d->received_us, ts, sizeof ts);
    int rc = tl_buf_puts(out, "{\"reason\":");
    rc |= tl_buf_json_string(out, d->code, strlen(d->code));
    rc |= tl_buf_puts(out, ",\"message\":");
    rc |= tl_buf_json_string(out, d->msg, strlen(d->msg));
    rc |= tl_buf_puts(out, ",\"raw\":");
    rc |= tl_buf_json_string(out, d->raw, d->raw_len);
    rc |= tl_buf_puts(out, ",\"raw_base64\":\"");
    b64(out, (const unsigned char *)d->raw, d->raw_len);
    rc |= tl_buf_puts(out, "\",\"source\":");
    rc |= tl_buf_json_string(out, src, strlen(src));
    rc |= tl_buf_printf(
        out, ",\"src_partition\":%d,\"src_offset\":%" PRId64 ",\"received_ts\":\"%s\"}\n",
        (int)d->partition, d->offset, ts);
    return rc ? -1 : 0;
}

static int write_dead_group(tl_stream *s, size_t from, size_t to, tl_lake_tx *tx, tl_err *err) {
    const tl_dead *d0 = &s->dead[from];
    char date[16], src[256], key[512], json[1280], local[1280];
    dead_date(d0, date, sizeof date);
    tl_stream_src_name(s, d0->partition, src, sizeof src);
    int64_t first = d0->offset, last = s->dead[to - 1].offset;
    tl_deadletter_file_name(src, date, first, last, key, sizeof key);
    snprintf(json, sizeof json, "%s/dead-%d.jsonl", s->tmp_dir, (int)getpid());
    snprintf(local, sizeof local, "%s/dead-%d.parquet", s->tmp_dir, (int)getpid());

    tl_buf lines = TL_BUF_INIT, sql = TL_BUF_INIT, stats = TL_BUF_INIT;
    int rc = 0;
    for (size_t i = from; i < to && rc == 0; i++)
        rc = dead_jsonl(s, &s->dead[i], &lines);
    FILE *f = rc ? NULL : fopen(json, "wb");
    if (!f || fwrite(lines.data, 1, lines.len, f) != lines.len || fclose(f) != 0) {
        rc = tl_err_set(err, TL_ERR_IO, "cannot write %s", json);
        goto out;
    }
    tl_buf_printf(&sql,
                  "COPY (SELECT reason, message, raw, raw_base64, source, src_partition, "
                  "src_offset, received_ts FROM read_json('%s', format='newline_delimited', "
                  "columns={reason:'VARCHAR', message:'VARCHAR', raw:'VARCHAR', "
                  "raw_base64:'VARCHAR', source:'VARCHAR', src_partition:'INTEGER', "
                  "src_offset:'BIGINT', received_ts:'TIMESTAMPTZ'})) TO '%s' "
                  "(FORMAT parquet, COMPRESSION zstd)",
                  json, local);
    if ((rc = tl_duck_exec(s->duck, sql.data, err)))
        goto out;
    unlink(json);
    struct stat st;
    if (stat(local, &st) != 0) {
        rc = tl_err_set(err, TL_ERR_IO, "DuckDB did not write %s", local);
        goto out;
    }
    tl_buf_printf(&stats, "{\"numRecords\":%zu}", to - from);
    tl_lake_kv pv[1] = {{"date", date}};
    rc = publish(s, TL_DEADLETTER_TABLE, key, local, pv, 1, stats.data, tx, (int64_t)st.st_size,
                 err);
    if (rc == 0)
        s->c.dl_files_written++;
out:
    unlink(json);
    tl_buf_free(&lines);
    tl_buf_free(&sql);
    tl_buf_free(&stats);
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
static int write_dead(tl_stream *s, tl_lake_tx *tx, tl_err *err) {
    qsort(s->dead, s->ndead, sizeof *s->dead, dead_cmp);
    size_t from = 0;
    for (size_t i = 1; i <= s->ndead; i++) {
        char a[16], b[16];
        bool split = i == s->ndead || s->dead[i].partition != s->dead[from].partition;
        if (!split) {
            dead_date(&s->dead[i], a, sizeof a);
            dead_date(&s->dead[from], b, sizeof b);
            split = strcmp(a, b) != 0;
        }
        if (split) {
            int rc = write_dead_group(s, from, i, tx, err);
            if (rc)
                return rc;
            from = i;
        }
    }
    return 0;
}

/* ---- commit ----------------------------------------------------------------- */

static int set_txns(tl_stream *s, tl_lake_tx *tx, bool dead_table, tl_err *err) {
    for (size_t i = 0; i < s->nparts; i++) {
        tl_part *p = &s->parts[i];
        int64_t have = dead_table ? p->dl_in_lake : p->in_lake;
        if (!p->known || p->consumed <= have)
            continue;
        char app[512];
        tl_stream_app_id(s, (int32_t)i - 1, app, sizeof app);
        int rc = tl_lake_tx_set_txn(tx, app, p->consumed, err);
        if (rc)
            return rc;
    }
    return 0;
}

static int commit(tl_stream *s, const char *table, tl_lake_tx *tx, int64_t *version, tl_err *err) {
    char epoch[32];
    snprintf(epoch, sizeof epoch, "%" PRIu64, s->flush_epoch);
    tl_lake_tx_param(tx, "outputMode", "Append", err);
    tl_lake_tx_param(tx, "epochId", epoch, err);
    int64_t t0 = tl_mono_us();
    int rc = tl_lake_commit(s->store, table, tx, *version, version, err);
    if (rc)
        return tl_err_wrap(err, "committing to %s", table);
    uint64_t took = (uint64_t)(tl_mono_us() - t0);
    s->c.commits++;
    s->c.commit_us_total += took;
    s->c.commit_us_last = took;
    if (took > s->c.commit_us_max)
        s->c.commit_us_max = took;
    return 0;
}

static void clear_buffers(tl_stream *s) {
    for (size_t i = 0; i < s->nbuckets; i++)
        free(s->buckets[i].rows);
    s->nbuckets = 0;
    for (size_t i = 0; i < s->ndead; i++) {
        free(s->dead[i].msg);
        free(s->dead[i].raw);
    }
    s->ndead = 0;
    s->buffered = 0;
}

int tl_stream_flush(tl_stream *s, tl_err *err) {
    int rc = 0;
    tl_lake_tx *ticks_tx = NULL, *dl_tx = NULL;
    tl_buf stats = TL_BUF_INIT;
    s->last_flush_ms = tl_mono_ms();
    if (s->buffered == 0 && !tl_stream_positions_moved(s))
        return 0;
    s->flush_epoch++;
    if (!(ticks_tx = tl_lake_tx_new("STREAMING UPDATE", err)))
        return err ? err->code : TL_ERR_NOMEM;
    for (size_t i = 0; i < s->nbuckets && rc == 0; i++)
        rc = write_bucket(s, &s->buckets[i], ticks_tx, &stats, err);
    if (rc)
        goto out;
    if (s->ndead > 0) {
        if (!(dl_tx = tl_lake_tx_new("STREAMING UPDATE", err)) || write_dead(s, dl_tx, err) ||
            set_txns(s, dl_tx, true, err) ||
            commit(s, TL_DEADLETTER_TABLE, dl_tx, &s->dl_version, err)) {
            rc = err ? err->code : TL_ERR_IO;
            goto out;
        }
    }
    if ((rc = set_txns(s, ticks_tx, false, err)) ||
        (rc = commit(s, TL_TICKS_TABLE, ticks_tx, &s->ticks_version, err)))
        goto out;
    s->c.last_commit_version = s->ticks_version;
    s->c.last_commit_unix_ms = tl_now_us() / 1000;
    for (size_t i = 0; i < s->nparts; i++) {
        tl_part *p = &s->parts[i];
        if (!p->known || p->consumed <= p->in_lake)
            continue;
        p->in_lake = p->consumed;
        if (p->dl_in_lake < p->consumed)
            p->dl_in_lake = p->consumed;
        if (s->committed_fn)
            s->committed_fn(s->committed_ud, (int32_t)i - 1, p->in_lake);
    }
    clear_buffers(s);
    if (s->max_event_us != INT64_MIN) /* horizon: one more lateness behind the watermark */
        tl_dedupe_evict(s->dedupe, tl_stream_watermark(s) - s->opts.allowed_lateness_us);
    tl_debug("stream", "flushed epoch %" PRIu64 " as version %" PRId64, s->flush_epoch,
             s->ticks_version);
out:
    tl_lake_tx_destroy(ticks_tx);
    tl_lake_tx_destroy(dl_tx);
    tl_buf_free(&stats);
    return rc;
}
