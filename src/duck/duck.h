/* duck — the only module that talks to DuckDB's C API (duckdb.h is included
 * by duck.c alone). Everything Parquet and SQL goes through here.
 *
 * Threading: a tl_duck handle is one database + one connection; use it from
 * one thread at a time. Open one handle per thread that needs one. */
#ifndef TL_DUCK_DUCK_H
#define TL_DUCK_DUCK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tick/tick.h"
#include "util/err.h"

typedef struct tl_duck tl_duck;

/* path NULL or ":memory:" = an in-memory database. read_only opens a file
 * database without taking the write lock (readers during model runs). */
tl_duck *tl_duck_open(const char *path, int read_only, tl_err *err);
void tl_duck_close(tl_duck *d);

/* Run SQL that returns nothing of interest (DDL, COPY, ...). */
int tl_duck_exec(tl_duck *d, const char *sql, tl_err *err);

/* Run SQL and call fn once per row with the row's values rendered as text
 * (NULL for SQL NULL), ncols of them; fn returning non-zero stops early and
 * that value is returned. */
typedef int (*tl_duck_row_fn)(void *ud, int ncols, const char *const *values);
int tl_duck_query_each(tl_duck *d, const char *sql, tl_duck_row_fn fn, void *ud, tl_err *err);

/* Run SQL and print the whole result to out: table (aligned, with a header
 * and a row count), csv (RFC 4180, header row) or json (one JSON array of
 * objects; numbers unquoted, DECIMAL printed exactly). */
typedef enum { TL_DUCK_FMT_TABLE, TL_DUCK_FMT_CSV, TL_DUCK_FMT_JSON } tl_duck_format;
int tl_duck_query_print(tl_duck *d, const char *sql, tl_duck_format fmt, FILE *out, tl_err *err);

/* Write rows as one zstd Parquet file at local path `path` (overwritten),
 * with the lake's tick schema, in this column order:
 *   symbol VARCHAR, ts TIMESTAMPTZ (µs), price DECIMAL(18,6), size BIGINT,
 *   bid DECIMAL(18,6), ask DECIMAL(18,6), exchange VARCHAR, seq BIGINT,
 *   late BOOLEAN, src_partition INTEGER, src_offset BIGINT, ingest_ts TIMESTAMPTZ
 * Absent optional fields (see tl_tick.has) are NULL. Appends whole data
 * chunks (duckdb_append_data_chunk), not value by value. Row-group stats on.
 * The file size in bytes is stored in *size_out when non-NULL. */
int tl_duck_write_ticks(tl_duck *d, const tl_tick_row *rows, size_t n, const char *path,
                        int64_t *size_out, tl_err *err);

/* Escape s as a SQL string literal body (doubles single quotes) into out. */
int tl_duck_quote(const char *s, char *out, size_t cap);

#endif
