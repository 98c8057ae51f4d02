/* table: the one definition of each Delta table's columns, and everything
 * derived from it — the Delta schemaString, DuckDB's column types for the
 * writer, the query views' column list and typed empty SELECT, the hive
 * partition types and read_json's column spec. Adding a column is one line
 * in ticks.c or deadletter.c (and the code that fills its values). */
#include <stdlib.h>
#include <string.h>

#include "tables/tables.h"
#include "util/json_out.h"

static const char *const delta_types[] = {
    [TL_COL_STRING] = "string",         [TL_COL_TIMESTAMP] = "timestamp",
    [TL_COL_DECIMAL] = "decimal(18,6)", [TL_COL_LONG] = "long",
    [TL_COL_INT] = "integer",           [TL_COL_BOOL] = "boolean",
    [TL_COL_LIST] = "array<string>",
};

static const char *const duck_types[] = {
    [TL_COL_STRING] = "VARCHAR",        [TL_COL_TIMESTAMP] = "TIMESTAMPTZ",
    [TL_COL_DECIMAL] = "DECIMAL(18,6)", [TL_COL_LONG] = "BIGINT",
    [TL_COL_INT] = "INTEGER",           [TL_COL_BOOL] = "BOOLEAN",
    [TL_COL_LIST] = "VARCHAR[]",
};

static const char *const type_names[] = {
    [TL_COL_STRING] = "string",
    [TL_COL_TIMESTAMP] = "timestamp",
    [TL_COL_DECIMAL] = "decimal(18,6)",
    [TL_COL_LONG] = "int64",
    [TL_COL_INT] = "int32",
    [TL_COL_BOOL] = "bool",
    [TL_COL_LIST] = "list<string>",
};

const char *tl_col_delta_type(tl_col_type t) {
    return delta_types[t];
}

const char *tl_col_duck_type(tl_col_type t) {
    return duck_types[t];
}

const char *tl_col_type_name(tl_col_type t) {
    return type_names[t];
}

int tl_col_type_parse(const char *name, tl_col_type *out) {
    for (size_t i = 0; i < sizeof type_names / sizeof *type_names; i++)
        if (i != TL_COL_INT && strcmp(name, type_names[i]) == 0) {
            *out = (tl_col_type)i;
            return 0;
        }
    return -1;
}

/* Column i of the table counting the partition columns after the data ones. */
static const tl_column *col_at(const tl_table *t, size_t i) {
    return i < t->ncols ? &t->cols[i] : &t->parts[i - t->ncols];
}

static int schema_doc(tl_json *j, void *ud) {
    const tl_table *t = ud;
    tl_json_obj_begin(j);
    tl_json_kv_str(j, "type", "struct");
    tl_json_key(j, "fields");
    tl_json_arr_begin(j);
    for (size_t i = 0; i < t->ncols + t->nparts; i++) {
        const tl_column *c = col_at(t, i);
        tl_json_obj_begin(j);
        tl_json_kv_str(j, "name", c->name);
        tl_json_key(j, "type");
        if (c->type == TL_COL_LIST) { /* an object: Delta's array of nullable strings */
            tl_json_obj_begin(j);
            tl_json_kv_str(j, "type", "array");
            tl_json_kv_str(j, "elementType", "string");
            tl_json_kv_bool(j, "containsNull", true);
            tl_json_obj_end(j);
        } else {
            tl_json_str(j, tl_col_delta_type(c->type));
        }
        tl_json_kv_bool(j, "nullable", c->nullable);
        tl_json_key(j, "metadata");
        tl_json_obj_begin(j);
        tl_json_obj_end(j);
        tl_json_obj_end(j);
    }
    tl_json_arr_end(j);
    return tl_json_obj_end(j);
}

int tl_table_schema_json(const tl_table *t, tl_buf *out) {
    return tl_json_doc(out, schema_doc, (void *)t, NULL) ? -1 : 0;
}

int tl_table_create(tl_store *s, const tl_table *t, const tl_duck_opts *duck, tl_err *err) {
    tl_buf schema = TL_BUF_INIT;
    const char *parts[8];
    if (t->nparts > sizeof parts / sizeof parts[0] || tl_table_schema_json(t, &schema) != 0) {
        tl_buf_free(&schema);
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory (schema of %s)", t->name);
    }
    for (size_t i = 0; i < t->nparts; i++)
        parts[i] = t->parts[i].name;
    int rc = tl_lake_create(s, t->name, schema.data, parts, t->nparts, duck, err);
    tl_buf_free(&schema);
    return rc;
}

int tl_table_column_list(const tl_table *t, bool with_partitions, tl_buf *out) {
    int rc = 0;
    for (size_t i = 0; i < t->ncols + (with_partitions ? t->nparts : 0); i++)
        rc |= tl_buf_printf(out, "%s%s", i ? ", " : "", col_at(t, i)->name);
    return rc ? -1 : 0;
}

int tl_table_empty_select(const tl_table *t, tl_buf *out) {
    int rc = tl_buf_puts(out, "SELECT ");
    for (size_t i = 0; i < t->ncols + t->nparts; i++) {
        const tl_column *c = col_at(t, i);
        rc |= tl_buf_printf(out, "%sNULL::%s AS %s", i ? ", " : "", tl_col_duck_type(c->type),
                            c->name);
    }
    return rc | tl_buf_puts(out, " WHERE false") ? -1 : 0;
}

int tl_table_hive_types(const tl_table *t, tl_buf *out) {
    int rc = tl_buf_puts(out, "{");
    for (size_t i = 0; i < t->nparts; i++)
        rc |= tl_buf_printf(out, "%s'%s': %s", i ? ", " : "", t->parts[i].name,
                            tl_col_duck_type(t->parts[i].type));
    return rc | tl_buf_puts(out, "}") ? -1 : 0;
}

int tl_table_json_columns(const tl_table *t, tl_buf *out) {
    int rc = tl_buf_puts(out, "{");
    for (size_t i = 0; i < t->ncols; i++)
        rc |= tl_buf_printf(out, "%s%s:'%s'", i ? ", " : "", t->cols[i].name,
                            tl_col_duck_type(t->cols[i].type));
    return rc | tl_buf_puts(out, "}") ? -1 : 0;
}
