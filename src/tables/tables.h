/* tables — the lake's two Delta tables: their columns (one definition each,
 * from which the Delta schema, DuckDB's types, the views and the readers are
 * all derived: table.c) and how their files are laid out.
 *
 *   <lake>/ticks/year=YYYY/month=MM/day=DD/hour=HH/part-<src>-<first>-<last>-<attempt>.zstd.parquet
 *   <lake>/deadletter/date=YYYY-MM-DD/dl-<src>-<first>-<last>-<attempt>.zstd.parquet
 *
 * <src> is "<topic>-<partition>" for Kafka and "<source id>" for file input
 * (first/last are then line numbers); <attempt> is random per flush. */
#ifndef TL_TABLES_TABLES_H
#define TL_TABLES_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lake/lake.h"
#include "tick/tick.h"
#include "util/buf.h"

#define TL_TICKS_TABLE "ticks"
#define TL_DEADLETTER_TABLE "deadletter"

/* Column types, each with its Delta and DuckDB spelling. */
typedef enum tl_col_type {
    TL_COL_STRING,
    TL_COL_TIMESTAMP, /* µs, UTC: Delta timestamp, DuckDB TIMESTAMPTZ */
    TL_COL_DECIMAL,   /* DECIMAL(18,6): exact prices */
    TL_COL_LONG,
    TL_COL_INT,
    TL_COL_BOOL,
    TL_COL_LIST, /* list<string>: Delta array of string, DuckDB VARCHAR[] */
} tl_col_type;

typedef struct tl_column {
    const char *name;
    tl_col_type type;
    bool nullable;
} tl_column;

typedef struct tl_table {
    const char *name;       /* folder under the lake, view name */
    const tl_column *cols;  /* the data files' columns, in file order */
    size_t ncols;
    const tl_column *parts; /* partition columns: folder names and the log only */
    size_t nparts;
} tl_table;

extern const tl_table tl_ticks_table;      /* partitions: year, month, day, hour */
extern const tl_table tl_deadletter_table; /* partition: date */

const char *tl_col_delta_type(tl_col_type t); /* "decimal(18,6)"; "array<string>" for a list */
const char *tl_col_duck_type(tl_col_type t);  /* "DECIMAL(18,6)" */
/* The name schema.extra_columns and error messages use: string, int64,
 * decimal(18,6), timestamp, bool, list<string> (int32 for INT columns). */
const char *tl_col_type_name(tl_col_type t);
/* A type of schema.extra_columns by that name (INT is not one). 0, or -1. */
int tl_col_type_parse(const char *name, tl_col_type *out);

/* Everything derived from a definition (each appends to out; 0, or -1 when
 * out of memory). */
int tl_table_schema_json(const tl_table *t, tl_buf *out); /* Delta schemaString */
/* "symbol, ts, ..., ingest_ts" and, with partitions, "..., year, month, day, hour" */
int tl_table_column_list(const tl_table *t, bool with_partitions, tl_buf *out);
/* SELECT NULL::VARCHAR AS symbol, ... WHERE false: the view of a table without files. */
int tl_table_empty_select(const tl_table *t, tl_buf *out);
int tl_table_hive_types(const tl_table *t, tl_buf *out);   /* {'year': INTEGER, ...} */
int tl_table_json_columns(const tl_table *t, tl_buf *out); /* read_json's {reason:'VARCHAR', ...} */
/* Create the table's log (version 0) unless it exists (tl_lake_create;
 * duck limits the checkpoint reader, NULL = DuckDB's defaults). */
int tl_table_create(tl_store *s, const tl_table *t, const tl_duck_opts *duck, tl_err *err);

/* The UTC hour an event time falls in, as µs at the start of the hour. */
static inline int64_t tl_hour_floor_us(int64_t ts_us) {
    const int64_t hour = 3600LL * 1000000;
    return ts_us >= 0 ? ts_us - ts_us % hour : ts_us - ((ts_us % hour) + hour) % hour;
}

/* Civil UTC fields of a µs timestamp. */
typedef struct tl_civil {
    int year, month, day, hour;
} tl_civil;
tl_civil tl_civil_from_us(int64_t ts_us);
int64_t tl_us_from_civil(tl_civil c); /* start of that hour, µs */
/* The hour of a ticks file from its partition values; 0 ok, -1 if absent/bad. */
int tl_ticks_file_hour(const tl_lake_kv *pv, size_t n, int64_t *hour_us);

/* "year=2026/month=11/day=24/hour=20" (zero-padded folder names). */
void tl_ticks_partition_dir(int64_t hour_us, char *out, size_t cap);
/* partitionValues for the Delta add action: {"year":"2026","month":"11",...}
 * as parallel key/value arrays (values written into vals, 8 bytes each). */
void tl_ticks_partition_values(int64_t hour_us, char vals[4][8]);

/* Data file key relative to the table root: the source, its offset range and
 * the writer attempt (a random id per flush), so two writers of the same
 * range (a fenced zombie, a rebalance, a second `stream --from`) never write
 * over each other's bytes; only the one whose commit lands is referenced. */
void tl_ticks_file_name(const char *src, int64_t hour_us, int64_t first, int64_t last,
                        const char *attempt, char *out, size_t cap);
void tl_deadletter_file_name(const char *src, const char *date, int64_t first, int64_t last,
                             const char *attempt, char *out, size_t cap);
/* The UTC day (µs at its start) of a dead-letter file from its partition
 * value date=YYYY-MM-DD; 0 ok, -1 if absent/bad. */
int tl_deadletter_file_day(const tl_lake_kv *pv, size_t n, int64_t *day_us);
/* "date=2026-11-24" for the day starting at day_us. */
void tl_deadletter_partition_dir(int64_t day_us, char *out, size_t cap);

/* Delta per-file statistics (numRecords, minValues, maxValues, nullCount)
 * of rows, as a JSON object appended to out. 0 ok, -1 out of memory. */
int tl_ticks_stats_json(const tl_tick_row *rows, size_t n, tl_buf *out);

/* ---- schemas that evolve (schema.c) ------------------------------------ */

/* The unknown-fields column the stream adds when it first keeps one. */
#define TL_EXTRA_COLUMN "extra"

/* A table's columns as a lake's log or the configuration has them: a
 * built-in definition plus nullable data columns added since, before the
 * partition columns. Owns its names; table.cols points into it. */
typedef struct tl_schema {
    tl_table table;
    tl_column *cols;
    size_t cap;
} tl_schema;

/* A copy of a built-in definition. NULL when out of memory. */
tl_schema *tl_schema_new(const tl_table *base);
void tl_schema_free(tl_schema *s);
/* Append a nullable data column. 0, TL_ERR_INVALID naming it when the name
 * is taken or not [A-Za-z_][A-Za-z0-9_]{0,63}, TL_ERR_NOMEM. */
int tl_schema_add(tl_schema *s, const char *name, tl_col_type type, tl_err *err);
/* Index of a data column by name, or -1. */
int tl_schema_find(const tl_table *t, const char *name);
/* A lake's schemaString read against base (which gives the partition
 * columns; they must all be there). TL_ERR_CORRUPT when it is not a
 * struct, TL_ERR_INVALID naming a column of a type ticklake cannot write. */
int tl_schema_from_delta(const tl_table *base, const char *schema_string, tl_schema **out,
                         tl_err *err);
/* The merge rule between the lake's columns and the ones a configuration
 * wants: every lake column must be wanted with the same type (a column
 * missing is a removal, or a rename when a new one of the same type takes
 * its place; a different type is a retype: all refused, TL_ERR_INVALID
 * naming the column and both types); wanted columns the lake lacks are
 * appended, nullable. *out: the lake's columns then the added ones;
 * *added: how many were added (0: the schemas agree). */
int tl_schema_merge(const tl_table *lake, const tl_table *want, tl_schema **out, size_t *added,
                    tl_err *err);
/* Append the columns of a schema.extra_columns value, "name:type[,...]"
 * (types as tl_col_type_parse; spaces around names and types allowed).
 * TL_ERR_INVALID naming the entry; "extra" is reserved for unknown fields. */
int tl_schema_add_spec(tl_schema *s, const char *spec, tl_err *err);

/* Bring the lake's table to want's columns (evolve.c): create it with
 * base's columns if it does not exist, then merge (tl_schema_merge; the
 * unknown-fields column is kept when the lake has it) and, when columns are
 * added, commit a metaData action with the new schema (operation "ADD
 * COLUMNS") under lo (NULL: the defaults), re-deciding after a lost race.
 * *out: the table's schema now. */
int tl_table_evolve(tl_store *s, const tl_lake_opts *lo, const tl_table *base, const tl_table *want,
                    tl_schema **out, tl_err *err);

/* One metaData action in a table's log (history.c). */
typedef struct tl_schema_change {
    int64_t version;
    int64_t timestamp_ms;   /* the commit's commitInfo time, -1 when absent */
    const tl_table *before; /* NULL for the first one the log holds */
    const tl_table *after;
    bool cleaned; /* the first one held, but the log before it was cleaned up */
} tl_schema_change;
typedef int (*tl_schema_change_fn)(void *ud, const tl_schema_change *c);
/* Each metaData of the JSON commits the log holds, oldest first; fn's
 * non-zero return stops and is returned. */
int tl_table_schema_history(tl_store *s, const tl_table *base, tl_schema_change_fn fn, void *ud,
                            tl_err *err);

#endif
