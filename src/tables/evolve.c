/* evolve: bring a lake table's schema to what a configuration wants, as
 * Delta does it — one commit whose metaData carries the new schemaString
 * (same table id, partitioning and configuration), appending nullable
 * columns. Files written before simply lack them: every reader (DuckDB
 * with union_by_name, Spark, delta-rs) reads them as NULL. */
#include <string.h>

#include "tables/tables.h"
#include "util/log.h"

#define EVOLVE_ATTEMPTS 20 /* each retry means another writer changed the schema */

/* want, plus the unknown-fields column when the lake has it: no
 * configuration has to name it, and a lake never loses it. */
static int want_with_kept(const tl_table *lake, const tl_table *want, tl_schema **out,
                          tl_err *err) {
    *out = NULL;
    if (tl_schema_find(lake, TL_EXTRA_COLUMN) < 0 || tl_schema_find(want, TL_EXTRA_COLUMN) >= 0)
        return 0;
    tl_schema *w = tl_schema_new(want);
    if (!w)
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory (table schema)");
    int rc = tl_schema_add(w, TL_EXTRA_COLUMN, TL_COL_STRING, err);
    if (rc)
        tl_schema_free(w);
    else
        *out = w;
    return rc;
}

/* The metaData commit that appends merged's new columns. */
static int commit_added(tl_store *s, const tl_lake_opts *lo, const tl_lake_snapshot *snap,
                        const tl_schema *merged, size_t added, int64_t *version, tl_err *err) {
    tl_buf schema = TL_BUF_INIT, names = TL_BUF_INIT;
    int rc = 0;
    tl_lake_tx *tx = tl_lake_tx_new("ADD COLUMNS", lo, err);
    if (!tx)
        return TL_ERR_NOMEM;
    const tl_table *t = &merged->table;
    for (size_t i = t->ncols - added; i < t->ncols; i++)
        rc |= tl_buf_printf(&names, "%s%s %s", names.len ? ", " : "", t->cols[i].name,
                            tl_col_type_name(t->cols[i].type));
    if (rc || tl_table_schema_json(t, &schema) != 0) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory (schema of %s)", t->name);
        goto out;
    }
    if ((rc = tl_lake_tx_set_metadata(tx, tl_lake_snapshot_metadata(snap), schema.data, err)) ||
        (rc = tl_lake_tx_param(tx, "columns", names.data, err)) ||
        (rc = tl_lake_commit(s, t->name, tx, tl_lake_snapshot_version(snap), version, err)))
        goto out;
    tl_info("schema", "%s: added column(s) %s as version %lld", t->name, names.data,
            (long long)*version);
out:
    tl_buf_free(&schema);
    tl_buf_free(&names);
    tl_lake_tx_destroy(tx);
    return rc;
}

/* One attempt: 1 when the schema was settled (*out set), 0 to retry after
 * a lost race, <0 on error. */
static int evolve_once(tl_store *s, const tl_lake_opts *lo, const tl_table *base, const tl_table *want, tl_schema **out,
                       tl_err *err) {
    tl_lake_snapshot *snap = NULL;
    tl_schema *lake = NULL, *kept = NULL, *merged = NULL;
    size_t added = 0;
    int64_t version = -1;
    const tl_duck_opts *duck = tl_lake_opts_duck(lo);
    int rc = tl_lake_snapshot_load(s, base->name, duck, &snap, err);
    if (rc == 0 && tl_lake_snapshot_version(snap) < 0) {
        rc = tl_table_create(s, base, duck, err); /* a new lake starts with the built-in columns */
        tl_lake_snapshot_free(snap);
        snap = NULL;
        if (rc == 0)
            rc = tl_lake_snapshot_load(s, base->name, duck, &snap, err);
    }
    if (rc == 0 && !tl_lake_snapshot_metadata(snap))
        rc = tl_err_set(err, TL_ERR_CORRUPT, "the %s table has no metaData", base->name);
    if (rc == 0)
        rc = tl_schema_from_delta(base, tl_lake_snapshot_metadata(snap)->schema_string, &lake,
                                  err);
    if (rc == 0)
        rc = want_with_kept(&lake->table, want, &kept, err);
    if (rc == 0)
        rc = tl_schema_merge(&lake->table, kept ? &kept->table : want, &merged, &added, err);
    if (rc == 0 && added > 0)
        rc = commit_added(s, lo, snap, merged, added, &version, err);
    if (rc == TL_ERR_CONFLICT && added > 0) {
        tl_err_clear(err); /* another writer changed the schema first: decide again */
        rc = 0;
    } else if (rc == 0) {
        *out = merged;
        merged = NULL;
        rc = 1;
    }
    tl_schema_free(lake);
    tl_schema_free(kept);
    tl_schema_free(merged);
    tl_lake_snapshot_free(snap);
    return rc;
}

int tl_table_evolve(tl_store *s, const tl_lake_opts *lo, const tl_table *base, const tl_table *want,
                    tl_schema **out, tl_err *err) {
    *out = NULL;
    for (int attempt = 0; attempt < EVOLVE_ATTEMPTS; attempt++) {
        int rc = evolve_once(s, lo, base, want, out, err);
        if (rc != 0)
            return rc < 0 ? rc : 0;
    }
    return tl_err_set_retriable(err, TL_ERR_CONFLICT,
                                "the %s table's schema kept changing under this writer (%d tries)",
                                base->name, EVOLVE_ATTEMPTS);
}
