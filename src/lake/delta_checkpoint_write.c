/* delta_checkpoint_write — writing V1 checkpoints ("Checkpoints" in
 * PROTOCOL.md) so snapshot replay starts near the end of the log.
 *
 * The snapshot's actions are rendered as Delta log lines into a temporary
 * JSONL file; DuckDB reads it with an explicit struct schema (objects
 * become structs and MAP<string,string>) and writes the Parquet. That keeps
 * every DuckDB call in the duck module and gives Spark's column layout
 * (txn, add, remove, metaData, protocol) without appending value by value. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "duck/duck.h"
#include "lake/delta_render.h"
#include "lake/lake_internal.h"
#include "util/log.h"

#define DAY_MS (24LL * 3600 * 1000)

tl_lake_opts tl_lake_opts_default(void) {
    return (tl_lake_opts){.checkpoint_interval = TL_LAKE_CHECKPOINT_INTERVAL,
                          .log_retention_ms = TL_LAKE_LOG_RETENTION_MS};
}

/* ---- rendering actions as log lines -------------------------------------- */

/* Write b to f and empty it; -1 on a write error. */
static int flush_buf(FILE *f, tl_buf *b) {
    int rc = b->len && fwrite(b->data, 1, b->len, f) != b->len ? -1 : 0;
    tl_buf_reset(b);
    return rc;
}

/* Write b to f and empty it: 0, or TL_ERR_IO on a write error. */
static int flush_rows(FILE *f, tl_buf *b) {
    return flush_buf(f, b) ? TL_ERR_IO : 0;
}

/* A renderer's error is the writer's: out of memory (its only failure on
 * well-formed actions). */
static int render_rc(int rc) {
    return rc ? TL_ERR_NOMEM : 0;
}

int tl_lake_checkpoint_rows(FILE *f, const tl_lake_snapshot *snap, int64_t tomb_cutoff_ms,
                            size_t *rows) {
    tl_buf b = TL_BUF_INIT;
    size_t n = 2;
    tl_json *j = tl_json_new(&b);
    int rc = j ? 0 : TL_ERR_NOMEM;
    if (!rc)
        rc = render_rc(tl_lake_render_protocol(j, tl_lake_snapshot_protocol(snap)) ||
                       tl_lake_render_metadata(j, tl_lake_snapshot_metadata(snap)));
    for (size_t i = 0; i < tl_lake_snapshot_num_txns(snap) && !rc; i++, n++) {
        const char *app;
        int64_t v, upd;
        tl_lake_snapshot_txn(snap, i, &app, &v, &upd);
        rc = render_rc(tl_lake_render_txn(j, app, v, upd));
    }
    for (size_t i = 0; i < tl_lake_snapshot_num_files(snap) && !rc; i++, n++) {
        rc = render_rc(tl_lake_render_add(j, tl_lake_snapshot_file(snap, i)));
        if (!rc && b.len > (1u << 20))
            rc = flush_rows(f, &b);
    }
    for (size_t i = 0; i < tl_lake_snapshot_num_tombstones(snap) && !rc; i++) {
        const tl_lake_file *t = tl_lake_snapshot_tombstone(snap, i);
        if (t->deletion_timestamp >= 0 && t->deletion_timestamp < tomb_cutoff_ms)
            continue; /* expired: vacuum may already have deleted the file */
        rc = render_rc(tl_lake_render_remove(j, t));
        n++;
        if (!rc && b.len > (1u << 20))
            rc = flush_rows(f, &b);
    }
    if (!rc)
        rc = flush_rows(f, &b);
    tl_json_free(j);
    tl_buf_free(&b);
    *rows = n;
    return rc;
}

/* ---- the Parquet file ---------------------------------------------------- */

#define MAP_SS "MAP(VARCHAR, VARCHAR)"
static const char checkpoint_columns[] =
    "{txn: 'STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)', "
    "add: 'STRUCT(path VARCHAR, partitionValues " MAP_SS ", size BIGINT, "
    "modificationTime BIGINT, dataChange BOOLEAN, tags " MAP_SS ", stats VARCHAR)', "
    "remove: 'STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, "
    "extendedFileMetadata BOOLEAN, partitionValues " MAP_SS ", size BIGINT)', "
    "metaData: 'STRUCT(id VARCHAR, name VARCHAR, description VARCHAR, "
    "format STRUCT(provider VARCHAR, options " MAP_SS "), schemaString VARCHAR, "
    "partitionColumns VARCHAR[], configuration " MAP_SS ", createdTime BIGINT)', "
    "protocol: 'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER)'}";

/* Rows per row group of a checkpoint (see jsonl_to_parquet). */
#define CHECKPOINT_ROW_GROUP 2048

static int jsonl_to_parquet(const char *jsonl, const char *parquet, const tl_duck_opts *duck,
                            tl_err *err) {
    char qj[4096], qp[4096];
    if (tl_duck_quote(jsonl, qj, sizeof qj) || tl_duck_quote(parquet, qp, sizeof qp))
        return tl_err_set(err, TL_ERR_INVALID, "lake: temp path too long for a checkpoint");
    tl_buf sql = TL_BUF_INIT;
    tl_duck *d = NULL;
    /* One line is one action (an add with its stats, the metaData with the
     * schema): 16 MiB is far above any. read_json buffers twice this per
     * thread, so a 1 GiB maximum failed under duckdb.memory_limit. */
    /* Memory, not speed: a checkpoint runs beside a stream (on its
     * checkpointer thread) and its peak is the stream's peak. On a
     * 40,000-file table it added 134 MB over the loaded snapshot with
     * DuckDB's defaults (a read_json buffer per thread, the whole table in
     * one row group), 67 MB with one thread and row groups of 2,048 rows. */
    int rc = tl_buf_printf(&sql,
                           "COPY (SELECT txn, add, remove, metaData, protocol FROM read_json('%s', "
                           "format='newline_delimited', maximum_object_size=16777216, "
                           "columns=%s)) TO '%s' (FORMAT parquet, ROW_GROUP_SIZE %d)",
                           qj, checkpoint_columns, qp, CHECKPOINT_ROW_GROUP)
                 ? tl_err_set(err, TL_ERR_NOMEM, "out of memory")
                 : 0;
    tl_duck_opts one = tl_duck_opts_one_thread(duck);
    if (!rc && !(d = tl_duck_open(NULL, 0, &one, err)))
        rc = err ? err->code : TL_ERR_DUCKDB;
    if (!rc)
        rc = tl_duck_exec(d, sql.data, err);
    tl_duck_close(d);
    tl_buf_free(&sql);
    return rc;
}

/* A temp file "<tmpdir>/ticklake-ckpt-XXXXXX<suffix>"; NULL on failure. */
static char *temp_file(const char *suffix, tl_err *err) {
    const char *dir = getenv("TMPDIR");
    char *p = NULL;
    if (asprintf(&p, "%s/ticklake-ckpt-XXXXXX%s", dir && *dir ? dir : "/tmp", suffix) < 0) {
        tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    int fd = mkstemps(p, (int)strlen(suffix));
    if (fd < 0) {
        tl_err_set(err, TL_ERR_IO, "lake: cannot create temp file '%s'", p);
        free(p);
        return NULL;
    }
    close(fd);
    return p;
}

static int read_last_checkpoint_version(tl_store *s, const char *key, int64_t *v) {
    tl_buf b = TL_BUF_INIT;
    *v = -1;
    if (tl_store_get(s, key, &b, NULL) == 0 && b.data) {
        const char *p = strstr(b.data, "\"version\":");
        if (p)
            *v = strtoll(p + 10, NULL, 10);
    }
    tl_buf_free(&b);
    return 0;
}

static int write_last_checkpoint(tl_store *s, const char *table, int64_t version, size_t rows,
                                 tl_err *err) {
    char key[4096];
    snprintf(key, sizeof key, "%s/" LAKE_LOG_DIR "/_last_checkpoint", table);
    int64_t have;
    read_last_checkpoint_version(s, key, &have);
    if (have > version)
        return 0; /* a newer checkpoint was recorded meanwhile */
    tl_buf body = TL_BUF_INIT;
    tl_json *j = tl_json_new(&body);
    int rc = j ? 0 : TL_ERR_NOMEM;
    if (!rc) {
        tl_json_obj_begin(j);
        tl_json_kv_int(j, "version", version);
        tl_json_key(j, "size");
        tl_json_uint(j, rows);
        tl_json_obj_end(j);
        rc = tl_json_end_line(j);
    }
    rc = rc ? tl_err_set(err, rc, "lake: cannot render _last_checkpoint")
            : tl_store_put(s, key, body.data, body.len, err);
    tl_json_free(j);
    tl_buf_free(&body);
    return rc;
}

int tl_lake_checkpoint_write(tl_store *s, const tl_lake_snapshot *snap, int64_t tombstone_ms,
                             const tl_duck_opts *duck, tl_err *err) {
    const char *table = tl_lake_snapshot_table(snap);
    int64_t version = tl_lake_snapshot_version(snap);
    const tl_lake_protocol *p = tl_lake_snapshot_protocol(snap);
    if (version < 0 || !tl_lake_snapshot_metadata(snap))
        return tl_err_set(err, TL_ERR_INVALID, "lake: table '%s' has no version to checkpoint",
                          table);
    if (p->min_reader_version > 1 || p->min_writer_version > 2)
        return tl_err_set(err, TL_ERR_INVALID,
                          "lake: table '%s' uses protocol %d/%d; ticklake checkpoints 1/2 only",
                          table, p->min_reader_version, p->min_writer_version);
    char key[4096];
    snprintf(key, sizeof key, "%s/" LAKE_LOG_DIR "/%020" PRId64 ".checkpoint.parquet", table,
             version);
    char *jsonl = NULL, *parquet = NULL;
    size_t rows = 0;
    int rc = 0;
    if (!(jsonl = temp_file(".jsonl", err)) || !(parquet = temp_file(".parquet", err))) {
        rc = err ? err->code : TL_ERR_IO;
        goto out;
    }
    FILE *f = fopen(jsonl, "w");
    if (!f) {
        rc = tl_err_set(err, TL_ERR_IO, "lake: cannot open '%s'", jsonl);
        goto out;
    }
    int wrc = tl_lake_checkpoint_rows(f, snap, tl_lake_now_ms() - tombstone_ms, &rows);
    if (fclose(f) != 0 && wrc == 0)
        wrc = TL_ERR_IO;
    if (wrc == TL_ERR_NOMEM) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "lake: out of memory rendering checkpoint rows");
        goto out;
    }
    if (wrc != 0) {
        rc = tl_err_set(err, TL_ERR_IO, "lake: cannot write checkpoint rows to '%s'", jsonl);
        goto out;
    }
    if ((rc = jsonl_to_parquet(jsonl, parquet, duck, err)) != 0 ||
        (rc = tl_store_put_file(s, key, parquet, err)) != 0 ||
        (rc = write_last_checkpoint(s, table, version, rows, err)) != 0) {
        tl_err_wrap(err, rc, "writing checkpoint %" PRId64 " of '%s'", version, table);
        goto out;
    }
    tl_debug("lake", "wrote %s (%zu actions)", key, rows);
out:
    if (jsonl)
        unlink(jsonl);
    if (parquet)
        unlink(parquet); /* put_file may have moved it: ENOENT is fine */
    free(jsonl);
    free(parquet);
    return rc;
}

int tl_lake_maybe_checkpoint(tl_store *s, const char *table, int64_t version,
                             const tl_lake_opts *o, tl_err *err) {
    tl_lake_opts d = tl_lake_opts_default();
    if (!o)
        o = &d;
    if (o->checkpoint_interval <= 0 || version <= 0 || version % o->checkpoint_interval != 0)
        return 0;
    tl_lake_snapshot *snap = NULL;
    int rc = tl_lake_snapshot_load(s, table, &o->duck, &snap, err);
    /* The snapshot may already be past version: its checkpoint is as good. */
    if (rc == 0)
        rc = tl_lake_checkpoint_write(s, snap, 7 * DAY_MS, &o->duck, err);
    tl_lake_snapshot_free(snap);
    if (rc == 0)
        rc = tl_lake_log_cleanup(s, table, o->log_retention_ms < 0 ? 0 : o->log_retention_ms,
                                 NULL, err);
    return rc;
}
