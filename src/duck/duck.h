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

#include "duck/duck_opts.h"
#include "tick/tick.h"
#include "util/err.h"

typedef struct tl_duck tl_duck;

/* path NULL or ":memory:" = an in-memory database. read_only opens a file
 * database without taking the write lock (readers during model runs).
 * The session TimeZone is set to UTC, so TIMESTAMPTZ prints as
 * "2026-11-24 20:15:03.123456+00" (always UTC in query output, even after a
 * SET TimeZone) and date_trunc buckets by UTC hours/days.
 * DuckDB will not try to download extensions (parquet, json, icu are built in).
 * opts (copied; NULL = DuckDB's defaults) are the database's memory limit
 * and threads (duck_opts.h). */
tl_duck *tl_duck_open(const char *path, int read_only, const tl_duck_opts *opts, tl_err *err);
void tl_duck_close(tl_duck *d);

/* The limits d was opened with, for a module that opens a helper database
 * on d's behalf (the lake's checkpoint reader under a query's views). */
const tl_duck_opts *tl_duck_limits(const tl_duck *d);

/* The COPY options of a data file d writes (a stream's ticks and dead
 * letters, a compaction's outputs): Parquet with zstd, in the format of d's
 * opts' parquet_version. Checkpoints keep DuckDB's default format. */
const char *tl_duck_parquet_format(const tl_duck *d);

/* Errors: TL_ERR_DUCKDB with DuckDB's message and a short form of the SQL, or
 * TL_ERR_IO when DuckDB reports an I/O error (file missing, directory absent). */

/* Run SQL that returns nothing of interest (DDL, COPY, ...); may hold several
 * statements separated by ';'. */
int tl_duck_exec(tl_duck *d, const char *sql, tl_err *err);

/* Run SQL and call fn once per row with the row's values rendered as text
 * (NULL for SQL NULL), ncols of them; fn returning non-zero stops early and
 * that value is returned. The text is DuckDB's own CAST(x AS VARCHAR) form
 * ("189.250000" for DECIMAL(18,6), "true", "[1, 2]"); values are valid only
 * during the call. The result streams (chunk by chunk), so fn must not use
 * the same handle. With several statements, all but the last run first and
 * the last one's rows are returned. BIT and BIGNUM values are an error (cast
 * them to VARCHAR). */
typedef int (*tl_duck_row_fn)(void *ud, int ncols, const char *const *values);
int tl_duck_query_each(tl_duck *d, const char *sql, tl_duck_row_fn fn, void *ud, tl_err *err);

/* Run SQL and print the whole result to out:
 *  table: header, a -+- rule, rows ("NULL" for NULL), numbers right-aligned,
 *         then "(N rows)" / "(1 row)". Widths come from the first 10000 rows;
 *         later rows stream with those widths.
 *  csv:   header row, RFC 4180 quoting, "\n" line ends; NULL is an empty field
 *         and an empty string is "".
 *  json:  one array of objects, one object per line ("[]" when empty); numbers
 *         (integers, DECIMAL exactly, finite floats) unquoted, booleans as
 *         true/false, NULL as null, everything else (timestamps, nested
 *         values, inf/nan) as JSON strings. */
typedef enum { TL_DUCK_FMT_TABLE, TL_DUCK_FMT_CSV, TL_DUCK_FMT_JSON } tl_duck_format;
int tl_duck_query_print(tl_duck *d, const char *sql, tl_duck_format fmt, FILE *out, tl_err *err);
/* The same for a script: every statement runs in order; each one that returns
 * rows (SELECT, EXPLAIN, PRAGMA, CALL), and the last, has its result printed
 * (a blank line between two tables or CSV blocks; JSON: one array each);
 * ATTACH, SET, CREATE... before the last print nothing. Stops at the first failing statement, after printing the
 * results of those before it. */
int tl_duck_query_print_all(tl_duck *d, const char *sql, tl_duck_format fmt, FILE *out,
                            tl_err *err);

/* Write rows as one zstd Parquet file at local path `path` (overwritten, not
 * atomically: write to a temporary name and rename),
 * with the lake's tick schema, in this column order:
 *   symbol VARCHAR, ts TIMESTAMPTZ (µs), price DECIMAL(18,6), size BIGINT,
 *   bid DECIMAL(18,6), ask DECIMAL(18,6), exchange VARCHAR, seq BIGINT,
 *   late BOOLEAN, src_partition INTEGER, src_offset BIGINT, ingest_ts TIMESTAMPTZ
 * Absent optional fields (see tl_tick.has) are NULL. Hands DuckDB whole data
 * chunks (vectors filled directly) through a table function, not value by
 * value, and stores nothing in the database. Row-group stats on.
 * The file size in bytes is stored in *size_out when non-NULL.
 * n == 0 writes a valid file with the schema and no rows. Symbol and exchange
 * must be UTF-8 (TL_ERR_INVALID otherwise, nothing written). Works inside
 * or outside a caller's transaction. A failed write leaves the handle ready
 * for the next. Not reentrant: one write at a time per handle. */
int tl_duck_write_ticks(tl_duck *d, const tl_tick_row *rows, size_t n, const char *path,
                        int64_t *size_out, tl_err *err);

/* The same with the columns of t: the ticks table's, or an evolved schema
 * of it (src/tables/schema.c): its first columns are the built-in ones
 * above, then added columns filled from each row's ext (NULL where a row
 * has none): the column named "extra" from the kept unknown fields, the
 * others from ext values in their order. */
struct tl_table;
int tl_duck_write_ticks_as(tl_duck *d, const struct tl_table *t, const tl_tick_row *rows,
                           size_t n, const char *path, int64_t *size_out, tl_err *err);

/* Escape s as a SQL string literal body (doubles single quotes) into out.
 * 0, or TL_ERR_INVALID (out set to "") when it does not fit in cap bytes. */
int tl_duck_quote(const char *s, char *out, size_t cap);

#endif
