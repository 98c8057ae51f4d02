#include "query/views.h"

#include <stdlib.h>
#include <string.h>

#include "lake/lake.h"
#include "tables/tables.h"
#include "util/buf.h"

/* Rows of lake_files for one table's live files: table, path, size, mtime,
 * and the record count from the file's statistics. */
static int files_rows(tl_duck *d, const char *table, const tl_lake_snapshot *snap, tl_err *err) {
    size_t n = tl_lake_snapshot_num_files(snap);
    tl_buf sql = TL_BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const tl_lake_file *f = tl_lake_snapshot_file(snap, i);
        char quoted[2048];
        if (sql.len == 0)
            tl_buf_puts(&sql, "INSERT INTO lake_files VALUES ");
        else
            tl_buf_puts(&sql, ",");
        if (tl_duck_quote(f->path, quoted, sizeof quoted) != 0) {
            rc = tl_err_set(err, TL_ERR_INVALID, "%s: a file path too long to quote", table);
            break;
        }
        tl_buf_printf(&sql, "('%s','%s',%lld,make_timestamp(%lld::BIGINT * 1000),", table, quoted,
                      (long long)f->size, (long long)f->modification_time);
        size_t cap = f->stats ? 2 * strlen(f->stats) + 1 : 0;
        char *stats = f->stats ? malloc(cap) : NULL;
        if (stats && tl_duck_quote(f->stats, stats, cap) == 0) {
            tl_buf_printf(&sql, "TRY_CAST(json_extract('%s', '$.numRecords') AS BIGINT))", stats);
        } else {
            tl_buf_puts(&sql, "NULL)");
        }
        bool oom = f->stats && !stats;
        free(stats);
        if (oom || tl_buf_failed(&sql)) {
            rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory (lake_files of %s)", table);
            break;
        }
        if (sql.len > (1 << 20) || i + 1 == n) { /* insert in batches */
            rc = tl_duck_exec(d, sql.data, err);
            tl_buf_reset(&sql);
        }
    }
    tl_buf_free(&sql);
    return rc;
}

/* The table's columns as its log has them now: the definition plus the
 * columns schema evolution added (NULL *evolved when there are none, or
 * no table yet). */
static int lake_schema(const tl_table *def, const tl_lake_snapshot *snap, tl_schema **evolved,
                       tl_err *err) {
    const tl_lake_metadata *md = tl_lake_snapshot_metadata(snap);
    *evolved = NULL;
    if (!md)
        return 0;
    tl_schema *s = NULL;
    int rc = tl_schema_from_delta(def, md->schema_string, &s, err);
    if (rc)
        return tl_err_wrap(err, rc, "reading the %s table's schema", def->name);
    if (s->table.ncols > def->ncols)
        *evolved = s;
    else
        tl_schema_free(s);
    return 0;
}

/* The view's SQL over the snapshot's files that keep() accepts (all when
 * keep is NULL): its columns from the table's definition (and the columns
 * added since: files written before them lack them, so the files are read
 * by name after a typed empty SELECT of every column, and read as NULL
 * there), the files through read_parquet, or a typed empty SELECT when none
 * is kept. */
static int create_view(tl_duck *d, tl_store *store, const tl_table *def,
                       const tl_lake_snapshot *snap, tl_views_keep_fn keep, void *ud,
                       size_t *kept, tl_err *err) {
    tl_schema *evolved = NULL;
    tl_buf sql = TL_BUF_INIT;
    char cache[1024];
    tl_store_default_cache_dir(store, cache, sizeof cache);
    int rc = lake_schema(def, snap, &evolved, err);
    if (rc)
        return rc;
    const tl_table *v = evolved ? &evolved->table : def;
    size_t n = tl_lake_snapshot_num_files(snap), used = 0;
    tl_buf files = TL_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        const tl_lake_file *f = tl_lake_snapshot_file(snap, i);
        if (keep && !keep(f, ud))
            continue;
        char key[1024], quoted[2048];
        snprintf(key, sizeof key, "%s/%s", v->name, f->path);
        char *local = tl_store_local_copy(store, key, cache, err);
        if (!local) {
            rc = err ? err->code : TL_ERR_IO;
            goto out;
        }
        int qrc = tl_duck_quote(local, quoted, sizeof quoted);
        free(local);
        if (qrc != 0) {
            rc = tl_err_set(err, TL_ERR_INVALID, "%s: a local path too long to quote", key);
            goto out;
        }
        tl_buf_printf(&files, "%s'%s'", used++ ? "," : "", quoted);
    }
    tl_buf_printf(&sql, "CREATE OR REPLACE VIEW %s AS ", v->name);
    if (used == 0) {
        tl_table_empty_select(v, &sql);
    } else {
        tl_buf_puts(&sql, "SELECT ");
        tl_table_column_list(v, true, &sql);
        if (evolved) {
            tl_buf_puts(&sql, " FROM (");
            tl_table_empty_select(v, &sql);
            tl_buf_puts(&sql, " UNION ALL BY NAME SELECT *");
        }
        tl_buf_puts(&sql, " FROM read_parquet([");
        tl_buf_append(&sql, files.data, files.len);
        tl_buf_puts(&sql, "], hive_partitioning = true, hive_types = ");
        tl_table_hive_types(v, &sql);
        tl_buf_puts(&sql, evolved ? ", union_by_name = true))" : ")");
    }
    /* every append above is checked here, at once (tl_buf is sticky) */
    if (tl_buf_failed(&sql) || tl_buf_failed(&files) || !sql.data)
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory building the %s view", v->name);
    else
        rc = tl_duck_exec(d, sql.data, err);
    if (kept)
        *kept = used;
out:
    tl_buf_free(&files);
    tl_buf_free(&sql);
    tl_schema_free(evolved);
    return rc;
}

int tl_views_create(tl_duck *d, tl_store *store, const tl_table *def,
                    const tl_lake_snapshot *snap, tl_views_keep_fn keep, void *ud, size_t *kept,
                    tl_err *err) {
    return create_view(d, store, def, snap, keep, ud, kept, err);
}

/* One view per table over its current snapshot, and its files in
 * lake_files. */
static int register_one(tl_duck *d, tl_store *store, const tl_table *def, int64_t *version,
                        size_t *nfiles, tl_err *err) {
    tl_lake_snapshot *snap = NULL;
    /* a checkpoint is read under the limits of the database the view is for */
    int rc = tl_lake_snapshot_load(store, def->name, tl_duck_limits(d), &snap, err);
    if (rc)
        return tl_err_wrap(err, rc, "reading the %s table's log", def->name);
    *version = tl_lake_snapshot_version(snap);
    *nfiles = tl_lake_snapshot_num_files(snap);
    rc = create_view(d, store, def, snap, NULL, NULL, NULL, err);
    if (rc == 0)
        rc = files_rows(d, def->name, snap, err);
    tl_lake_snapshot_free(snap);
    return rc;
}

int tl_views_register(tl_duck *d, tl_store *store, tl_views_info *info, tl_err *err) {
    tl_views_info local;
    if (!info)
        info = &local;
    int rc = tl_duck_exec(d,
                          "SET TimeZone = 'UTC';"
                          "CREATE OR REPLACE TABLE lake_files (table_name VARCHAR, path VARCHAR, "
                          "size BIGINT, modification_time TIMESTAMP, num_records BIGINT)",
                          err);
    if (rc == 0)
        rc = register_one(d, store, &tl_ticks_table, &info->ticks_version, &info->ticks_files, err);
    if (rc == 0)
        rc = register_one(d, store, &tl_deadletter_table, &info->deadletter_version,
                          &info->deadletter_files, err);
    return rc;
}
