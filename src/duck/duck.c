/* duck: opening a database, running SQL, errors, quoting. Result streaming is
 * in duck_stream.c, value rendering in duck_text.c, the printers in
 * duck_print.c and the Parquet tick writer in duck_write.c. */
#include "duck/duck_int.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

/* Copy s into out with whitespace runs collapsed to one space, truncated with
 * "..." so error messages stay one readable line. */
static void one_line(const char *s, char *out, size_t cap) {
    size_t n = 0;
    int space = 0;
    if (!s)
        s = "";
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    for (; *s && n + 1 < cap; s++) {
        if (isspace((unsigned char)*s)) {
            space = 1;
            continue;
        }
        if (space && n + 2 < cap)
            out[n++] = ' ';
        space = 0;
        out[n++] = *s;
    }
    out[n] = '\0';
    if (*s && cap > 4)
        memcpy(out + cap - 4, "...", 4);
}

int tl_duck__fail(tl_err *err, duckdb_error_type type, const char *what, const char *msg,
                  const char *sql) {
    char m[360], q[100];
    one_line(msg ? msg : "unknown DuckDB error", m, sizeof m);
    one_line(sql, q, sizeof q);
    tl_err_code code = type == DUCKDB_ERROR_IO ? TL_ERR_IO : TL_ERR_DUCKDB;
    return tl_err_set(err, code, "%s: %s [sql: %s]", what, m, q);
}

/* memory_limit and threads as o sets them (unset: DuckDB's own); and
 * jemalloc's background threads, which give memory a finished query freed
 * back to the system within seconds instead of keeping it for the next
 * allocation (a long-lived process like `up` runs a big sort every few
 * minutes and should not keep its peak). */
static int limit_config(duckdb_config cfg, const tl_duck_opts *o, tl_err *err) {
    char v[32];
    if (o->memory_limit > 0) {
        snprintf(v, sizeof v, "%lldKiB", (long long)((o->memory_limit + 1023) / 1024));
        if (duckdb_set_config(cfg, "memory_limit", v) == DuckDBError)
            return tl_err_set(err, TL_ERR_DUCKDB, "duck: cannot set memory_limit to %s", v);
    }
    if (o->threads > 0) {
        snprintf(v, sizeof v, "%lld", (long long)o->threads);
        if (duckdb_set_config(cfg, "threads", v) == DuckDBError)
            return tl_err_set(err, TL_ERR_DUCKDB, "duck: cannot set threads to %s", v);
    }
    if (duckdb_set_config(cfg, "allocator_background_threads", "true") == DuckDBError)
        return tl_err_set(err, TL_ERR_DUCKDB, "duck: cannot enable allocator_background_threads");
    return 0;
}

/* Where an in-memory database spills (big sorts, joins, aggregates): DuckDB's
 * default is ".tmp" in the working folder, which may be read-only (systemd's
 * ProtectSystem) or someone's project folder, and is shared by every handle
 * of the process. One folder per handle under $TMPDIR (or /tmp) instead;
 * DuckDB creates it on the first spill and removes it at close. */
static void spill_dir(char *out, size_t cap) {
    static atomic_uint next;
    const char *tmp = getenv("TMPDIR");
    snprintf(out, cap, "%s/ticklake-duckdb-%ld-%u", tmp && *tmp ? tmp : "/tmp", (long)getpid(),
             atomic_fetch_add(&next, 1));
}

static int open_config(duckdb_config *cfg, const char *path, int read_only, const tl_duck_opts *o,
                       tl_err *err) {
    if (duckdb_create_config(cfg) == DuckDBError)
        return tl_err_set(err, TL_ERR_NOMEM, "duck: cannot create a DuckDB config");
    int rc = limit_config(*cfg, o, err);
    if (rc)
        return rc;
    char spill[4096];
    if (!path) {
        spill_dir(spill, sizeof spill);
        if (duckdb_set_config(*cfg, "temp_directory", spill) == DuckDBError)
            return tl_err_set(err, TL_ERR_DUCKDB, "duck: cannot set the temp directory %s", spill);
    }
    /* No internet here: an extension DuckDB does not have built in must fail
     * at once instead of trying to download. */
    if (duckdb_set_config(*cfg, "autoinstall_known_extensions", "false") == DuckDBError)
        return tl_err_set(err, TL_ERR_DUCKDB, "duck: cannot disable extension autoinstall");
#ifdef TL_TSAN
    /* The ThreadSanitizer build (make tsan): DuckDB is not instrumented, so
     * TSan cannot see the hand-offs between its worker threads (which call
     * our table functions and read our rows); with one thread every query
     * runs on the thread that made it, where our own locks are seen. */
    if (duckdb_set_config(*cfg, "threads", "1") == DuckDBError)
        return tl_err_set(err, TL_ERR_DUCKDB, "duck: cannot set threads");
#endif
    if (read_only && duckdb_set_config(*cfg, "access_mode", "READ_ONLY") == DuckDBError)
        return tl_err_set(err, TL_ERR_DUCKDB, "duck: cannot set read-only access mode");
    return 0;
}

tl_duck *tl_duck_open(const char *path, int read_only, const tl_duck_opts *opts, tl_err *err) {
    duckdb_config cfg = NULL;
    char *open_err = NULL;
    const char *shown = path ? path : ":memory:";
    tl_duck *d = calloc(1, sizeof *d);
    if (!d) {
        tl_err_set(err, TL_ERR_NOMEM, "duck: out of memory opening %s", shown);
        return NULL;
    }
    if (opts) /* unset (<= 0) is 0 from here on */
        d->opts = (tl_duck_opts){.memory_limit = opts->memory_limit > 0 ? opts->memory_limit : 0,
                                 .threads = opts->threads > 0 ? opts->threads : 0,
                                 .parquet_version = opts->parquet_version == 2 ? 2 : 1};
    else
        d->opts.parquet_version = 1;
    if (open_config(&cfg, path, read_only, &d->opts, err) != 0)
        goto fail;
    if (duckdb_open_ext(path, &d->db, cfg, &open_err) == DuckDBError) {
        tl_err_set(err, TL_ERR_DUCKDB, "duck: cannot open database %s: %s", shown,
                   open_err ? open_err : "unknown error");
        goto fail;
    }
    if (duckdb_connect(d->db, &d->con) == DuckDBError) {
        tl_err_set(err, TL_ERR_DUCKDB, "duck: cannot connect to database %s", shown);
        goto fail;
    }
    /* Lake timestamps are UTC; render TIMESTAMPTZ and bucket by hour/day in
     * UTC whatever the machine's zone, so output is the same everywhere. */
    if (tl_duck_exec(d, "SET TimeZone = 'UTC'", err) != 0)
        goto fail;
    duckdb_destroy_config(&cfg);
    /* the limits in the log: which settings a command's databases got */
    tl_debug("duck", "opened %s%s (memory_limit %lld bytes, threads %lld; 0 = DuckDB's default)",
             shown, read_only ? " read-only" : "", (long long)d->opts.memory_limit,
             (long long)d->opts.threads);
    return d;
fail:
    if (open_err)
        duckdb_free(open_err);
    if (cfg)
        duckdb_destroy_config(&cfg);
    tl_duck_close(d);
    return NULL;
}

const tl_duck_opts *tl_duck_limits(const tl_duck *d) {
    return d ? &d->opts : NULL;
}

const char *tl_duck_parquet_format(const tl_duck *d) {
    return d && d->opts.parquet_version == 2
               ? "FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION V2"
               : "FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION V1";
}

void tl_duck_close(tl_duck *d) {
    if (!d)
        return;
    tl_duck__writer_free(d);
    if (d->con)
        duckdb_disconnect(&d->con);
    if (d->db)
        duckdb_close(&d->db);
    free(d);
}

int tl_duck_exec(tl_duck *d, const char *sql, tl_err *err) {
    duckdb_result res;
    if (!d || !sql)
        return tl_err_set(err, TL_ERR_INVALID, "duck: exec needs a handle and SQL");
    int rc = 0;
    if (duckdb_query(d->con, sql, &res) == DuckDBError)
        rc = tl_duck__fail(err, duckdb_result_error_type(&res), "duck: exec",
                           duckdb_result_error(&res), sql);
    duckdb_destroy_result(&res);
    return rc;
}

/* Adapts tl_duck_row_fn to the internal sink (which also passes lengths). */
typedef struct each_ctx {
    tl_duck_row_fn fn;
    void *ud;
} each_ctx;

static int each_row(void *ud, int ncols, const char *const *values, const size_t *lens) {
    (void)lens;
    each_ctx *c = ud;
    return c->fn(c->ud, ncols, values);
}

int tl_duck_query_each(tl_duck *d, const char *sql, tl_duck_row_fn fn, void *ud, tl_err *err) {
    if (!d || !sql || !fn)
        return tl_err_set(err, TL_ERR_INVALID, "duck: query_each needs a handle, SQL and fn");
    each_ctx c = {fn, ud};
    tl_duck_sink sink = {NULL, each_row, &c};
    return tl_duck__stream(d, sql, &sink, err);
}

int tl_duck_quote(const char *s, char *out, size_t cap) {
    size_t n = 0;
    if (!s || !out || cap == 0)
        return TL_ERR_INVALID;
    for (; *s; s++) {
        size_t need = *s == '\'' ? 2 : 1;
        if (n + need >= cap) {
            out[0] = '\0';
            return TL_ERR_INVALID;
        }
        out[n++] = *s;
        if (*s == '\'')
            out[n++] = '\'';
    }
    out[n] = '\0';
    return 0;
}
