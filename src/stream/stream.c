/* The stream engine: state, ingest, flush triggers. */
#include "stream/stream_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tables/tables.h"
#include "util/clock.h"
#include "util/log.h"

/* A temp folder of this process's own (several streams may share a lake,
 * even with the same pid in different containers): on the lake's file
 * system when it has one, so put_file is a rename. */
static int make_tmp_dir(tl_stream *s, tl_err *err) {
    char *local = tl_store_local_path(s->store, "_tmp");
    char base[900], host[64] = "host";
    if (local) {
        snprintf(base, sizeof base, "%s", local);
        free(local);
    } else {
        const char *t = getenv("TMPDIR");
        snprintf(base, sizeof base, "%s/ticklake-tmp", t && *t ? t : "/tmp");
    }
    if (mkdir(base, 0755) != 0 && errno != EEXIST)
        return tl_err_set(err, TL_ERR_IO, "cannot create temp folder %s: %s", base,
                          strerror(errno));
    /* what killed streams left (partial Parquet files) */
    size_t swept = tl_store_fs_sweep_tmp_dirs(base, TL_STORE_LEFTOVER_AGE_MS, tl_now_us() / 1000);
    if (swept)
        tl_info("stream", "removed %zu temp folder(s) of stopped streams from %s", swept, base);
    gethostname(host, sizeof host - 1);
    snprintf(s->tmp_dir, sizeof s->tmp_dir, "%s/%s-%d-XXXXXX", base, host, (int)getpid());
    if (!mkdtemp(s->tmp_dir)) {
        int e = errno;
        s->tmp_dir[0] = '\0';
        return tl_err_set(err, TL_ERR_IO, "cannot create a temp folder under %s: %s", base,
                          strerror(e));
    }
    return 0;
}

static tl_ext_type ext_type(tl_col_type t) {
    switch (t) {
    case TL_COL_LONG:
    case TL_COL_INT: return TL_EXT_INT64;
    case TL_COL_DECIMAL: return TL_EXT_DECIMAL;
    case TL_COL_TIMESTAMP: return TL_EXT_TIMESTAMP;
    case TL_COL_BOOL: return TL_EXT_BOOL;
    case TL_COL_LIST: return TL_EXT_LIST;
    case TL_COL_STRING: break;
    }
    return TL_EXT_STRING;
}

/* The parser fills the schema's added columns (the unknown-fields column
 * aside) in their order, which is the order the writer reads them in. */
static int setup_parser(tl_stream *s, tl_err *err) {
    const tl_table *t = &s->schema->table;
    size_t n = 0;
    for (size_t i = tl_ticks_table.ncols; i < t->ncols; i++) {
        if (strcmp(t->cols[i].name, TL_EXTRA_COLUMN) == 0)
            continue;
        if (n == TL_EXT_MAX)
            return tl_err_set(err, TL_ERR_INVALID, "the ticks table has more than %d added columns",
                              TL_EXT_MAX);
        s->xnames[n] = t->cols[i].name;
        s->xtypes[n++] = ext_type(t->cols[i].type);
    }
    s->nx = n;
    s->ext_on = n > 0 || s->opts.unknown_fields != TL_UNKNOWN_IGNORE;
    if (s->ext_on)
        tl_tick_parser_set_extra(s->parser, s->xnames, s->xtypes, n, s->opts.unknown_fields);
    return 0;
}

/* The ticks table's schema: the built-in columns and schema.extra_columns,
 * merged with the lake's (tl_table_evolve). */
static int open_ticks(tl_stream *s, const tl_table *extra, tl_err *err) {
    tl_schema *want = tl_schema_new(extra ? extra : &tl_ticks_table);
    int rc = want ? 0 : tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    if (rc == 0 && !extra && s->opts.extra_columns)
        rc = tl_schema_add_spec(want, s->opts.extra_columns, err);
    tl_schema *now = NULL;
    if (rc == 0)
        rc = tl_table_evolve(s->store, s->opts.lake, &tl_ticks_table, &want->table, &now, err);
    tl_schema_free(want);
    if (rc)
        return rc;
    tl_schema_free(s->schema);
    s->schema = now;
    return setup_parser(s, err);
}

int tl_stream_add_kept_column(tl_stream *s, tl_err *err) {
    s->want_kept_col = false;
    if (tl_schema_find(&s->schema->table, TL_EXTRA_COLUMN) >= 0)
        return 0;
    tl_schema *want = tl_schema_new(&s->schema->table);
    int rc = want ? tl_schema_add(want, TL_EXTRA_COLUMN, TL_COL_STRING, err)
                  : tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    if (rc == 0)
        rc = open_ticks(s, &want->table, err);
    tl_schema_free(want);
    if (rc == 0 && (rc = tl_lake_snapshot_refresh(s->store, s->ticks_snap, err)) == 0 &&
        tl_lake_snapshot_version(s->ticks_snap) > s->ticks_version)
        s->ticks_version = tl_lake_snapshot_version(s->ticks_snap);
    return tl_err_wrap(err, rc, "adding the unknown-fields column '%s'", TL_EXTRA_COLUMN);
}

static int open_tables(tl_stream *s, tl_err *err) {
    int rc = open_ticks(s, NULL, err);
    if (rc == 0)
        rc = tl_table_create(s->store, &tl_deadletter_table, tl_lake_opts_duck(s->opts.lake), err);
    if (rc == 0)
        rc = tl_lake_snapshot_load(s->store, TL_TICKS_TABLE, tl_lake_opts_duck(s->opts.lake),
                                   &s->ticks_snap, err);
    /* the evolve path reads the schema only: the writer protocol (features
     * such as inCommitTimestamp another engine may have turned on) is
     * checked here, before anything is written */
    if (rc == 0)
        rc = tl_lake_snapshot_check_writable(s->ticks_snap, err);
    if (rc == 0)
        rc = tl_lake_snapshot_load(s->store, TL_DEADLETTER_TABLE, tl_lake_opts_duck(s->opts.lake),
                                   &s->dl_snap, err);
    if (rc)
        return rc;
    /* refreshed before every commit for the fence; only its txns and live
     * files are read, so the files compaction removes need not stay */
    tl_lake_snapshot_drop_tombstones(s->ticks_snap);
    tl_lake_snapshot_drop_tombstones(s->dl_snap);
    s->ticks_version = tl_lake_snapshot_version(s->ticks_snap);
    s->c.last_commit_version = s->ticks_version;
    s->dl_version = tl_lake_snapshot_version(s->dl_snap);
    return 0;
}

/* One consumer group per topic per lake: a second group would write every
 * tick again, under the same file names. */
static int check_single_group(tl_stream *s, tl_err *err) {
    size_t n = tl_lake_snapshot_num_txns(s->ticks_snap), tlen = strlen(s->topic);
    for (size_t i = 0; i < n; i++) {
        const char *app;
        int64_t version, updated;
        tl_lake_snapshot_txn(s->ticks_snap, i, &app, &version, &updated);
        const char *slash = strchr(app, '/'); /* "<group>/<topic>/<partition>" */
        if (!slash || strncmp(app, "file/", 5) == 0)
            continue;
        size_t glen = (size_t)(slash - app);
        bool same_topic = strncmp(slash + 1, s->topic, tlen) == 0 && slash[1 + tlen] == '/';
        bool same_group = glen == strlen(s->group) && strncmp(app, s->group, glen) == 0;
        if (same_topic && !same_group)
            return tl_err_set(err, TL_ERR_INVALID,
                              "the lake already holds topic '%s' from consumer group '%.*s'; "
                              "group '%s' would write every tick again. Use --group %.*s, or "
                              "another lake",
                              s->topic, (int)glen, app, s->group, (int)glen, app);
    }
    return 0;
}

/* A bucket's array starts small: a late tick opens a bucket for its hour
 * and partition, and in a catch-up run over many hours most buckets of a
 * flush hold a handful of rows (3,136 buckets of 1,024 rows took 206 MB
 * of a 1M-tick run's 254 MB heap). Doubling keeps the pushes cheap. */
#define BUCKET_MIN_ROWS 16

/* The bytes the kept row arrays may take (SIZE_MAX: no memory cap): a
 * quarter of max_buffered_bytes, or one full bucket's array (flush_rows
 * rows, as doubling from BUCKET_MIN_ROWS reaches them) when that is more
 * and at most half the cap. They are memory the stream holds between
 * flushes, too, but a backfill's buckets are full ones, and without one
 * kept its every batch faulted in a fresh array (a 1M-tick backfill 9%
 * slower at a cap of 48 MiB, where a quarter is below one). Never more than
 * half: a bucket given a kept array counts all of it, and one as big as the
 * cap sealed a batch after every few rows (integration/0021: 117 files
 * where the row cap makes 3). */
static size_t spare_budget(const tl_stream_opts *o) {
    if (o->max_buffered_bytes <= 0)
        return SIZE_MAX;
    size_t cap = (size_t)o->max_buffered_bytes, rows = BUCKET_MIN_ROWS;
    while (rows < (size_t)o->flush_rows && rows < SIZE_MAX / 2 / sizeof(tl_tick_row))
        rows *= 2;
    size_t full = rows * sizeof(tl_tick_row);
    return full > cap / 4 && full <= cap / 2 ? full : cap / 4;
}

tl_stream *tl_stream_new(tl_store *store, const tl_stream_opts *opts, tl_err *err) {
    tl_stream *s = calloc(1, sizeof *s);
    if (!s) {
        tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    s->store = store;
    s->opts = *opts;
    s->spare_budget = spare_budget(opts);
    s->topic = opts->topic ? strdup(opts->topic) : NULL;
    s->group = opts->group ? strdup(opts->group) : NULL;
    s->source_id = opts->source_id ? strdup(opts->source_id) : NULL;
    if ((opts->topic && !s->topic) || (opts->group && !s->group) ||
        (opts->source_id && !s->source_id)) {
        tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        goto fail;
    }
    s->frontier_us = INT64_MIN;
    s->c.watermark_us = INT64_MIN;
    s->c.last_commit_version = -1;
    s->last_flush_ms = s->batch_now_ms = tl_mono_ms();
    s->parser = tl_tick_parser_new(opts->ts_unit, opts->max_message_bytes);
    s->dedupe = tl_dedupe_new();
    if (!s->parser || !s->dedupe) {
        tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (!(s->duck = tl_duck_open(NULL, 0, tl_lake_opts_duck(s->opts.lake), err)))
        goto fail;
    s->commit_opts = opts->lake ? *opts->lake : tl_lake_opts_default();
    if (!(s->ckpt = tl_lake_checkpointer_new(store, &s->commit_opts, err)))
        goto fail;
    s->commit_opts.checkpoint_interval = 0; /* ckpt writes them */
    if (make_tmp_dir(s, err) || open_tables(s, err) || (s->topic && check_single_group(s, err)) ||
        tl_stream_recover(s, err) || tl_stream_writers_open(s, err))
        goto fail;
    return s;
fail:
    tl_stream_destroy(s);
    return NULL;
}

void tl_stream_rows_free_ext(tl_tick_row *rows, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(rows[i].ext);
        rows[i].ext = NULL;
    }
}

void tl_stream_dead_free(tl_dead *d) {
    free(d->msg);
    free(d->raw);
}

void tl_stream_rows_release(tl_stream *s, tl_tick_row *rows, size_t cap) {
    if (rows && s->nspare < sizeof s->spare / sizeof s->spare[0] &&
        s->spare_bytes + cap * sizeof *rows <= s->spare_budget) {
        s->spare[s->nspare].rows = rows;
        s->spare[s->nspare].cap = cap;
        s->spare_bytes += cap * sizeof *rows;
        s->nspare++;
    } else {
        free(rows);
    }
}

void tl_stream_destroy(tl_stream *s) {
    if (!s)
        return;
    tl_stream_abandon_inflight(s);
    tl_lake_checkpointer_destroy(s->ckpt); /* the last due checkpoint lands first */
    for (size_t i = 0; i < s->nbuckets; i++) {
        if (s->buckets[i].n_ext)
            tl_stream_rows_free_ext(s->buckets[i].rows, s->buckets[i].n);
        free(s->buckets[i].rows);
    }
    free(s->buckets);
    for (size_t i = 0; i < s->nspare; i++)
        free(s->spare[i].rows);
    for (size_t i = 0; i < s->ndead; i++)
        tl_stream_dead_free(&s->dead[i]);
    free(s->dead);
    free(s->parts);
    tl_lake_snapshot_free(s->ticks_snap);
    tl_lake_snapshot_free(s->dl_snap);
    tl_stream_folded_free(s);
    tl_schema_free(s->schema);
    tl_duck_close(s->duck);
    tl_stream_writers_close(s);
    tl_dedupe_destroy(s->dedupe);
    tl_tick_parser_destroy(s->parser);
    if (s->tmp_dir[0])
        rmdir(s->tmp_dir); /* ours alone; only succeeds when empty, as it should be */
    free(s->topic);
    free(s->group);
    free(s->source_id);
    free(s);
}

/* ---- naming ------------------------------------------------------------------ */

void tl_stream_app_id(const tl_stream *s, int32_t partition, char *out, size_t cap) {
    if (s->topic)
        snprintf(out, cap, "%s/%s/%d", s->group, s->topic, (int)partition);
    else
        snprintf(out, cap, "file/%s", s->source_id);
}

void tl_stream_src_name(const tl_stream *s, int32_t partition, char *out, size_t cap) {
    if (s->topic)
        snprintf(out, cap, "%s-%d", s->topic, (int)partition);
    else
        snprintf(out, cap, "%s", s->source_id);
}

/* ---- partitions ---------------------------------------------------------------- */

/* Load a partition's position from the lake (refreshing the snapshot, so
 * it sees what other consumers committed meanwhile). A lake that cannot be
 * read makes the stream fail: resuming from an old position would write
 * ticks twice. */
static int part_load(tl_stream *s, tl_part *p, int32_t partition) {
    char app[512];
    tl_err err;
    tl_stream_app_id(s, partition, app, sizeof app);
    int rc = tl_lake_snapshot_refresh(s->store, s->ticks_snap, &err);
    if (rc == 0)
        rc = tl_lake_snapshot_refresh(s->store, s->dl_snap, &err);
    if (rc != 0) {
        tl_err_wrap(&err, rc, "reading partition %d's position from the lake", (int)partition);
        tl_stream_fail(s, &err);
        return rc;
    }
    p->in_lake = tl_lake_snapshot_txn_version(s->ticks_snap, app);
    p->dl_in_lake = tl_lake_snapshot_txn_version(s->dl_snap, app);
    if (p->dl_in_lake < p->in_lake)
        p->dl_in_lake = p->in_lake; /* dead letters commit first: covered */
    p->consumed = p->sealed = p->in_lake;
    p->last_msg_ms = tl_mono_ms();
    p->known = true;
    if (tl_lake_snapshot_version(s->ticks_snap) > s->ticks_version)
        s->ticks_version = tl_lake_snapshot_version(s->ticks_snap);
    s->c.last_commit_version = s->ticks_version;
    if (tl_lake_snapshot_version(s->dl_snap) > s->dl_version)
        s->dl_version = tl_lake_snapshot_version(s->dl_snap);
    return 0;
}

/* The state of a partition, its position loaded from the lake the first
 * time it is seen. NULL when out of memory or the lake cannot be read. */
tl_part *tl_stream_part(tl_stream *s, int32_t partition) {
    size_t idx = (size_t)(partition + 1);
    if (partition < -1)
        return NULL;
    if (idx >= s->nparts) {
        size_t n = idx + 16;
        tl_part *p = realloc(s->parts, n * sizeof *p);
        if (!p)
            return NULL;
        memset(p + s->nparts, 0, (n - s->nparts) * sizeof *p);
        for (size_t i = s->nparts; i < n; i++)
            p[i].max_event_us = INT64_MIN;
        s->parts = p;
        s->nparts = n;
    }
    tl_part *p = &s->parts[idx];
    if (!p->known && part_load(s, p, partition) != 0)
        return NULL;
    return p;
}

int64_t tl_stream_assign_partition(tl_stream *s, int32_t partition) {
    size_t idx = (size_t)(partition + 1);
    if (idx < s->nparts && s->parts[idx].known && s->parts[idx].consumed == s->parts[idx].sealed &&
        s->parts[idx].sealed == s->parts[idx].in_lake)
        s->parts[idx].known = false; /* nothing of ours in flight: re-read the lake */
    int64_t resume = tl_stream_resume_offset(s, partition);
    if (s->failed)
        return resume;
    /* The previous owner may have committed ticks whose resends are still
     * to come from here: the dedupe state must hold them before the first
     * message of the partition is ingested. */
    tl_err err = {0};
    int rc = tl_stream_catch_up(s, &err);
    if (rc) {
        tl_err_wrap(&err, rc, "partition %d assigned: folding what other consumers committed "
                              "into the dedupe state", (int)partition);
        tl_stream_fail(s, &err);
        return -1;
    }
    return resume;
}

void tl_stream_fail(tl_stream *s, const tl_err *err) {
    if (s->failed)
        return;
    s->failed = true;
    s->fail_err = *err;
    tl_errorf("stream", TL_FIELDS(TL_LS("topic", s->topic), TL_LI("version", s->ticks_version)),
              "stopping: %s", err->msg);
}

int64_t tl_stream_resume_offset(tl_stream *s, int32_t partition) {
    tl_part *p = tl_stream_part(s, partition); /* NULL: the stream has failed */
    return p && p->in_lake >= 0 ? p->in_lake + 1 : -1;
}

void tl_stream_forget_partition(tl_stream *s, int32_t partition) {
    size_t w = 0;
    for (size_t i = 0; i < s->nbuckets; i++) {
        if (s->buckets[i].partition == partition) {
            s->buffered -= s->buckets[i].n;
            if (s->buckets[i].n_ext)
                tl_stream_rows_free_ext(s->buckets[i].rows, s->buckets[i].n);
            free(s->buckets[i].rows);
        } else {
            s->buckets[w++] = s->buckets[i];
        }
    }
    s->nbuckets = w;
    w = 0;
    for (size_t i = 0; i < s->ndead; i++) {
        if (s->dead[i].partition == partition) {
            tl_stream_dead_free(&s->dead[i]);
            s->buffered--;
        } else {
            s->dead[w++] = s->dead[i];
        }
    }
    s->ndead = w;
    if ((size_t)(partition + 1) < s->nparts)
        s->parts[partition + 1].known = false; /* reload from the lake if it comes back */
}

/* ---- ingest -------------------------------------------------------------------- */

int64_t tl_stream_dedupe_horizon(const tl_stream *s) {
    return s->opts.dedupe_horizon_us > 0 ? s->opts.dedupe_horizon_us : s->opts.allowed_lateness_us;
}

int64_t tl_stream_watermark(const tl_stream *s) {
    return s->frontier_us == INT64_MIN ? INT64_MIN : s->frontier_us - s->opts.allowed_lateness_us;
}

void tl_stream_frontier_update(tl_stream *s) {
    int64_t now = tl_mono_ms(), active = INT64_MAX, any = INT64_MIN;
    for (size_t i = 0; i < s->nparts; i++) {
        const tl_part *p = &s->parts[i];
        if (!p->known || p->max_event_us == INT64_MIN)
            continue;
        if (p->max_event_us > any)
            any = p->max_event_us;
        if (now - p->last_msg_ms < TL_IDLE_MS && p->max_event_us < active)
            active = p->max_event_us;
    }
    /* all idle: nothing holds event time back. A partition that joins
     * behind the others may pull the frontier back: its ticks are judged by
     * its own progress, not by the others'. */
    s->frontier_us = active != INT64_MAX ? active : any;
}

static tl_bucket *bucket_for(tl_stream *s, int64_t hour_us, int32_t partition) {
    for (size_t i = s->nbuckets; i-- > 0;) /* newest first: usually the current hour */
        if (s->buckets[i].hour_us == hour_us && s->buckets[i].partition == partition)
            return &s->buckets[i];
    if (s->nbuckets == s->cap_buckets) {
        size_t n = s->cap_buckets ? s->cap_buckets * 2 : 8;
        tl_bucket *b = realloc(s->buckets, n * sizeof *b);
        if (!b)
            return NULL;
        s->buckets = b;
        s->cap_buckets = n;
    }
    tl_bucket *b = &s->buckets[s->nbuckets++];
    memset(b, 0, sizeof *b);
    if (s->nspare > 0) {
        s->nspare--;
        b->rows = s->spare[s->nspare].rows;
        b->cap = s->spare[s->nspare].cap;
        s->spare_bytes -= b->cap * sizeof *b->rows;
        s->buffered_bytes += b->cap * sizeof *b->rows;
    }
    b->hour_us = hour_us;
    b->partition = partition;
    return b;
}

static int bucket_push(tl_stream *s, tl_bucket *b, const tl_tick_row *row) {
    if (b->n == b->cap) {
        size_t n = b->cap ? b->cap * 2 : BUCKET_MIN_ROWS;
        tl_tick_row *r = realloc(b->rows, n * sizeof *r);
        if (!r)
            return -1;
        s->buffered_bytes += (n - b->cap) * sizeof *r;
        b->rows = r;
        b->cap = n;
    }
    b->rows[b->n++] = *row;
    b->n_ext += row->ext != NULL;
    return 0;
}

static int dead_push(tl_stream *s, int32_t partition, int64_t offset, const char *code,
                     const char *msg, const char *data, size_t len) {
    if (s->ndead == s->cap_dead) {
        size_t n = s->cap_dead ? s->cap_dead * 2 : 64;
        tl_dead *d = realloc(s->dead, n * sizeof *d);
        if (!d)
            return -1;
        s->buffered_bytes += (n - s->cap_dead) * sizeof *d;
        s->dead = d;
        s->cap_dead = n;
    }
    tl_dead *d = &s->dead[s->ndead];
    d->partition = partition;
    d->offset = offset;
    d->received_us = tl_now_us();
    snprintf(d->code, sizeof d->code, "%s", code);
    d->msg = strdup(msg);
    d->raw = malloc(len ? len : 1);
    if (!d->msg || !d->raw) {
        tl_stream_dead_free(d);
        return -1;
    }
    memcpy(d->raw, data, len);
    d->raw_len = len;
    s->ndead++;
    s->buffered++;
    s->buffered_bytes += strlen(d->msg) + 1 + len;
    return 0;
}

static int reject(tl_stream *s, tl_part *p, int32_t partition, int64_t offset, int reason,
                  const char *code, const char *msg, const char *data, size_t len) {
    s->c.rejected++;
    s->c.rejected_by_reason[reason]++;
    if (offset <= p->dl_in_lake)
        return 0; /* already in the dead-letter table from before a restart */
    return dead_push(s, partition, offset, code, msg, data, len);
}

/* Where partition stands before a message of it is parsed: 1 when the
 * lake already holds offset (skipped, counted), 0 to go on, <0 on error. */
static int ingest_begin(tl_stream *s, int32_t partition, int64_t offset, tl_part **out,
                        tl_err *err) {
    if (s->failed)
        return tl_stream_failed_err(s, err);
    tl_part *p = tl_stream_part(s, partition);
    if (!p)
        return s->failed
                   ? tl_stream_failed_err(s, err)
                   : tl_err_set(err, TL_ERR_NOMEM, "out of memory (partition %d)", (int)partition);
    p->last_msg_ms = s->batch_now_ms;
    if (offset <= p->in_lake) {
        s->c.skipped++;
        return 1;
    }
    if (offset > p->consumed)
        p->consumed = offset;
    s->c.received++;
    *out = p;
    return 0;
}

void tl_stream_parse_msg(tl_tick_parser *parser, bool ext_on, const char *data, size_t len,
                         tl_stream_parsed *out, tl_tick_error *terr) {
    out->ext = NULL;
    out->dropped = 0;
    if (tl_tick_parse(parser, data, len, &out->tick, terr) != 0) {
        out->status = TL_PARSED_REJECT;
        return;
    }
    out->status = TL_PARSED_TICK;
    if (ext_on) { /* fields beyond the built-in ones */
        bool oom;
        out->dropped = (uint32_t)tl_tick_parser_dropped(parser);
        out->ext = tl_tick_parser_take_ext(parser, &oom);
        if (oom)
            out->status = TL_PARSED_NOMEM;
    }
}

/* Everything after the parse, in source order: future skew, event time,
 * dedupe, the bucket. Takes pr->ext (freed or handed to the bucket). */
static int ingest_parsed(tl_stream *s, tl_part *p, int32_t partition, int64_t offset,
                         const char *data, size_t len, tl_stream_parsed *pr,
                         const tl_tick_error *terr, tl_err *err) {
    tl_tick_row row;
    int rc = 0;
    row.tick = pr->tick;
    row.ext = pr->ext;
    pr->ext = NULL;
    if (pr->status == TL_PARSED_REJECT) {
        rc = reject(s, p, partition, offset, terr->reason, terr->code, terr->msg, data, len);
        goto out;
    }
    if (s->ext_on) {
        s->c.unknown_dropped += pr->dropped;
        if (pr->status == TL_PARSED_NOMEM)
            return tl_err_set(err, TL_ERR_NOMEM, "out of memory (extra fields)");
        if (row.ext && row.ext->extra_len && !s->want_kept_col &&
            tl_schema_find(&s->schema->table, TL_EXTRA_COLUMN) < 0)
            s->want_kept_col = true;
    }
    int64_t now = s->batch_now_us ? s->batch_now_us : tl_now_us();
    if (row.tick.ts_us > now + s->opts.max_future_skew_us) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "ts is %" PRId64 " s ahead of the wall clock (limit %" PRId64 " s)",
                 (row.tick.ts_us - now) / 1000000, s->opts.max_future_skew_us / 1000000);
        rc = reject(s, p, partition, offset, TL_REASON_FUTURE, "future_ts", msg, data, len);
        goto out;
    }
    /* a tick that moves its partition's event time forward is not late;
     * others, and a partition's first tick, are judged by the watermark */
    int64_t wm = tl_stream_watermark(s);
    bool advances = p->max_event_us != INT64_MIN && row.tick.ts_us > p->max_event_us;
    row.late = !advances && wm != INT64_MIN && row.tick.ts_us < wm;
    if (row.tick.has & TL_TICK_HAS_SEQ) {
        /* a late tick is remembered for one horizon from now, not from its
         * own (old) event time, so its resend is caught too */
        int64_t keep = wm != INT64_MIN && row.tick.ts_us < wm ? wm : row.tick.ts_us;
        int seen = tl_dedupe_seen(s->dedupe, row.tick.symbol, row.tick.seq, keep);
        if (seen < 0) {
            free(row.ext);
            return tl_err_set(err, TL_ERR_NOMEM, "out of memory (dedupe state)");
        }
        if (seen) {
            s->c.duplicates++;
            goto out;
        }
    }
    if (row.tick.ts_us > p->max_event_us) {
        int64_t before = p->max_event_us;
        p->max_event_us = row.tick.ts_us;
        if (before == INT64_MIN || before <= s->frontier_us)
            tl_stream_frontier_update(s); /* this partition may have held it back */
    }
    row.src_partition = partition;
    row.src_offset = offset;
    row.ingest_ts_us = now;
    tl_bucket *b = bucket_for(s, tl_hour_floor_us(row.tick.ts_us), partition);
    if (!b || bucket_push(s, b, &row) != 0) {
        free(row.ext);
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory (buffering rows)");
    }
    if (row.ext) /* about: its values' strings are not counted */
        s->buffered_bytes +=
            sizeof *row.ext + row.ext->nvals * sizeof *row.ext->vals + row.ext->extra_len;
    row.ext = NULL; /* the bucket owns it now */
    s->buffered++;
    s->c.accepted++;
    s->c.late += row.late;
    if (s->row_fn)
        s->row_fn(s->row_ud, &row);
out:
    free(row.ext);
    if (rc)
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory (dead letter)");
    return 0;
}

void tl_stream_batch_begin(tl_stream *s) {
    s->batch_now_us = tl_now_us();
}

int tl_stream_ingest(tl_stream *s, int32_t partition, int64_t offset, const char *data, size_t len,
                     tl_err *err) {
    tl_part *p = NULL;
    int rc = ingest_begin(s, partition, offset, &p, err);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    tl_stream_parsed pr;
    tl_tick_error terr;
    tl_stream_parse_msg(s->parser, s->ext_on, data, len, &pr, &terr);
    return ingest_parsed(s, p, partition, offset, data, len, &pr, &terr, err);
}

int tl_stream_ingest_parsed(tl_stream *s, int32_t partition, int64_t offset, const char *data,
                            size_t len, tl_stream_parsed *pr, const tl_tick_error *terr,
                            tl_err *err) {
    tl_part *p = NULL;
    int rc = ingest_begin(s, partition, offset, &p, err);
    if (rc != 0) { /* skipped, or the stream cannot take it: the parse is dropped */
        free(pr->ext);
        pr->ext = NULL;
        return rc < 0 ? rc : 0;
    }
    return ingest_parsed(s, p, partition, offset, data, len, pr, terr, err);
}

/* ---- flush triggers ----------------------------------------------------------- */

bool tl_stream_positions_moved(const tl_stream *s) {
    for (size_t i = 0; i < s->nparts; i++)
        if (s->parts[i].known && s->parts[i].consumed > s->parts[i].sealed)
            return true;
    return false;
}

int tl_stream_failed_err(const tl_stream *s, tl_err *err) {
    if (err)
        *err = s->fail_err;
    return s->fail_err.code ? s->fail_err.code : TL_ERR_IO;
}

int tl_stream_maybe_flush(tl_stream *s, tl_err *err) {
    if (s->failed)
        return tl_stream_failed_err(s, err);
    s->batch_now_ms = tl_mono_ms();
    s->batch_now_us = 0; /* the batch is over */
    tl_stream_frontier_update(s); /* partitions fall idle with time, too */
    int committed = tl_stream_poll_inflight(s, err);
    if (committed < 0)
        return committed;
    bool due = s->buffered >= (size_t)s->opts.max_buffered_rows ||
               (s->opts.max_buffered_bytes > 0 &&
                s->buffered_bytes >= (size_t)s->opts.max_buffered_bytes);
    for (size_t i = 0; !due && i < s->nbuckets; i++)
        due = s->buckets[i].n >= (size_t)s->opts.flush_rows;
    if (!due && s->opts.flush_interval_ms >= 0 &&
        tl_mono_ms() - s->last_flush_ms >= s->opts.flush_interval_ms)
        due = s->buffered > 0 || tl_stream_positions_moved(s);
    if (!due)
        return committed;
    int rc = tl_stream_flush_async(s, err);
    return rc < 0 ? rc : 1;
}

void tl_stream_on_committed(tl_stream *s, tl_stream_committed_fn fn, void *ud) {
    s->committed_fn = fn;
    s->committed_ud = ud;
}

void tl_stream_on_row(tl_stream *s, tl_stream_row_fn fn, void *ud) {
    s->row_fn = fn;
    s->row_ud = ud;
}

size_t tl_stream_lake_tombstones(const tl_stream *s) {
    return (s->ticks_snap ? tl_lake_snapshot_num_tombstones(s->ticks_snap) : 0) +
           (s->dl_snap ? tl_lake_snapshot_num_tombstones(s->dl_snap) : 0);
}

const tl_stream_counters *tl_stream_counters_get(const tl_stream *s) {
    tl_stream_counters *c = (tl_stream_counters *)&s->c;
    c->watermark_us = tl_stream_watermark(s);
    c->buffered_rows = s->buffered;
    c->dedupe_entries = tl_dedupe_count(s->dedupe);
    return &s->c;
}
