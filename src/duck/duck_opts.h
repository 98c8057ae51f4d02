/* duck_opts — the limits a DuckDB database opens with, apart from duck.h so
 * that the option structs of other modules (tl_lake_opts, tl_web_opts,
 * tl_models_opts) can carry them without pulling in the duck API. */
#ifndef TL_DUCK_DUCK_OPTS_H
#define TL_DUCK_DUCK_OPTS_H

#include <stdbool.h>
#include <stdint.h>

/* The settings duckdb.memory_limit, duckdb.threads and lake.parquet_version, filled by the
 * command layer (tl_cmd_duck_opts) and handed to tl_duck_open through each
 * module's options. A field <= 0 is unset: DuckDB keeps its own default
 * (80% of the machine's memory; one thread per core), never a limit of 0.
 * A NULL tl_duck_opts* leaves both unset. The limit is per database: it
 * bounds DuckDB's buffer pool (a sort beyond it spills to a temporary
 * directory), not every allocation. */
typedef struct tl_duck_opts {
    int64_t memory_limit; /* bytes */
    int64_t threads;
    /* The Parquet format of the data files the database writes
     * (lake.parquet_version, tl_duck_parquet_format): 1 or 2; <= 0 = 1. */
    int parquet_version;
    /* Who encodes the stream's tick files (lake.parquet_writer): the
     * native writer (src/parquet/) or DuckDB's COPY. The native one writes
     * format 1 and the built-in columns only, so format 2 and tables with
     * added columns keep DuckDB's writer whatever this says. */
    bool parquet_duckdb;
} tl_duck_opts;

/* o (NULL: unset) with one DuckDB thread: for a database whose queries are
 * single-threaded pipelines (the stream's Parquet writers, checkpoints),
 * where a worker thread would only add hand-offs or per-thread buffers.
 * The memory limit stays the setting's. The one way to set a database's
 * threads: through the options it opens with, never a later SET. */
static inline tl_duck_opts tl_duck_opts_one_thread(const tl_duck_opts *o) {
    tl_duck_opts c = o ? *o : (tl_duck_opts){0};
    c.threads = 1;
    return c;
}

#endif
