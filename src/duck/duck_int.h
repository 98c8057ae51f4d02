/* duck internals shared by duck*.c only. This header (and so duckdb.h) must not
 * be included outside src/duck/. */
#ifndef TL_DUCK_DUCK_INT_H
#define TL_DUCK_DUCK_INT_H

/* duckdb.h declares some functions as f() rather than f(void). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <duckdb.h>
#pragma GCC diagnostic pop

#include "duck/duck.h"
#include "util/buf.h"

/* The tick writer's reusable state: a temp table, an appender on it and one
 * data chunk, all prepared on the first write and kept for the handle's life. */
typedef struct tl_duck_writer {
    int fn_ready;            /* the tl_tick_rows() table function is registered */
    const tl_tick_row *rows; /* the rows being written, read by tl_tick_rows() */
    const struct tl_table *table; /* their columns: the ticks table, maybe evolved */
    size_t n, pos;
} tl_duck_writer;

struct tl_duck {
    duckdb_database db;
    duckdb_connection con;
    tl_duck_writer w;
    tl_duck_opts opts; /* the limits it opened with (tl_duck_limits) */
};

/* How a column's text should be treated by the printers. */
typedef enum { TL_DUCK_KIND_TEXT, TL_DUCK_KIND_NUMBER, TL_DUCK_KIND_BOOL } tl_duck_kind;

/* A streamed result, row by row, all values rendered as text (DuckDB's own
 * text form). Callbacks return non-zero to stop; that value is returned. */
typedef struct tl_duck_sink {
    int (*header)(void *ud, int ncols, const char *const *names, const tl_duck_kind *kinds);
    /* values[i] NULL for SQL NULL; lens[i] its length in bytes (may contain NUL) */
    int (*row)(void *ud, int ncols, const char *const *values, const size_t *lens);
    void *ud;
} tl_duck_sink;

/* Runs every statement of sql; the last one's result streams into sink. */
int tl_duck__stream(tl_duck *d, const char *sql, const tl_duck_sink *sink, tl_err *err);
/* Runs every statement in order and streams the results that are rows
 * (SELECT, EXPLAIN, PRAGMA, CALL, EXECUTE) and the last statement's into
 * sink; each(sink->ud, k, false) runs before the k-th printed result and
 * each(sink->ud, k, true) after it. */
int tl_duck__stream_all(tl_duck *d, const char *sql, const tl_duck_sink *sink,
                        int (*each)(void *ud, size_t k, bool end), tl_err *err);

/* Set err from a DuckDB failure: "<what>: <duckdb message> [sql: <short sql>]".
 * An I/O error type maps to TL_ERR_IO, the rest to TL_ERR_DUCKDB. */
int tl_duck__fail(tl_err *err, duckdb_error_type type, const char *what, const char *msg,
                  const char *sql);

/* Render one cell (row of vec, whose type is type) as DuckDB's text into out.
 * Returns 0, or TL_ERR_* for a type that cannot be rendered. */
int tl_duck__render(duckdb_vector vec, duckdb_logical_type type, idx_t row, tl_buf *out,
                    tl_err *err);
tl_duck_kind tl_duck__kind(duckdb_logical_type type);

/* Writer teardown, called by tl_duck_close. */
void tl_duck__writer_free(tl_duck *d);

#endif
