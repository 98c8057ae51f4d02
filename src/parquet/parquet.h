/* parquet — a Parquet writer specialised for the lake's tick rows.
 *
 * The stream's flush threads encode every batch into Parquet; DuckDB's
 * generic writer (src/duck/duck_write.c) spent most of its time hashing
 * and analysing values through a table function. This one reads the
 * tl_tick_row array directly and writes the same file DuckDB would
 * (the same schema, encodings DuckDB's reader and every reader the tests
 * use know, zstd level 1, column statistics), for the 12 built-in columns
 * and Parquet format 1 only: tables with added columns and
 * lake.parquet_version 2 keep DuckDB's writer (stream_flush.c chooses).
 *
 * One handle per thread: it keeps its buffers and its zstd context from
 * file to file, so a file costs no allocation once the buffers have grown
 * to the largest batch. */
#ifndef TL_PARQUET_PARQUET_H
#define TL_PARQUET_PARQUET_H

#include <stddef.h>
#include <stdint.h>

#include "tick/tick.h"
#include "util/err.h"

typedef struct tl_pq_writer tl_pq_writer;

#define TL_PQ_GROUP_ROWS 122880 /* rows in a row group: DuckDB's default */
#define TL_PQ_PAGE_ROWS 65536   /* rows in a data page: <= 512 KiB of int64 values */

/* NULL when out of memory. */
tl_pq_writer *tl_pq_writer_new(void);
void tl_pq_writer_destroy(tl_pq_writer *w);

/* Smaller pages and row groups than the defaults above (0 keeps one), so
 * tests can write files of several pages and groups from few rows. */
void tl_pq_writer_set_limits(tl_pq_writer *w, size_t page_rows, size_t group_rows);

/* rows[0..n) -> a new zstd Parquet file at path (replaced if it exists),
 * columns in tl_ticks_table's order. *size_out (if non-NULL) gets the
 * file's size. 0, or a tl_err code with a message naming path: an invalid
 * row (a symbol or exchange not NUL-terminated or not UTF-8), I/O, out of
 * memory. A failed write leaves no file behind. */
int tl_pq_write_ticks(tl_pq_writer *w, const tl_tick_row *rows, size_t n, const char *path,
                      int64_t *size_out, tl_err *err);

#endif
