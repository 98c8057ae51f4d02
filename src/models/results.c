/* Results of a run: target/run_results.json (dbt's layout, in spirit:
 * per node status, timing, rows affected) and the warehouse's run-history
 * table ticklake_model_runs, which keeps the lineage: which lake snapshot
 * version each model's data reflects. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "models/runner.h"
#include "util/json_out.h"
#include "util/rfc3339.h"

void tl_results_iso_time(int64_t us, char *out, size_t cap) {
    /* 2026-11-24T20:15:03.123456Z, by the one ISO-8601 codec */
    if (tl_rfc3339_format(us, out, cap) >= cap && cap)
        out[0] = '\0'; /* cap < 28: no stamp rather than a cut one */
}

/* An int member, or null when v is the "unknown" value none. */
static void kv_int_or_null(tl_json *j, const char *key, int64_t v, int64_t none) {
    tl_json_key(j, key);
    if (v == none)
        tl_json_null(j);
    else
        tl_json_int(j, v);
}

/* One node's entry; -1 when out of memory for its unique id. */
static int node_json(tl_json *j, tl_buf *scratch, const tl_session *s, const tl_node_result *r) {
    char start[40], end[40];
    const char *type = r->type == TL_NODE_MODEL ? "model" : "test";
    tl_results_iso_time(r->started_us, start, sizeof start);
    tl_results_iso_time(r->completed_us, end, sizeof end);
    tl_buf_reset(scratch);
    if (tl_buf_printf(scratch, "%s.%s.%s", type, s->p->name, r->name) != 0)
        return -1;
    tl_json_obj_begin(j);
    tl_json_kv_str(j, "unique_id", scratch->data);
    tl_json_kv_str(j, "name", r->name);
    tl_json_kv_str(j, "resource_type", type);
    tl_json_kv_str(j, "status", r->status);
    tl_json_key(j, "timing");
    tl_json_arr_begin(j);
    tl_json_obj_begin(j);
    tl_json_kv_str(j, "name", "execute");
    tl_json_kv_str(j, "started_at", start);
    tl_json_kv_str(j, "completed_at", end);
    tl_json_obj_end(j);
    tl_json_arr_end(j);
    tl_json_key(j, "execution_time"); /* seconds, exact to the microsecond */
    tl_json_micros(j, r->completed_us - r->started_us);
    tl_json_key(j, "adapter_response");
    tl_json_obj_begin(j);
    kv_int_or_null(j, "rows_affected", r->rows, -1);
    tl_json_obj_end(j);
    kv_int_or_null(j, "failures", r->failures, -1);
    tl_json_kv_str(j, "message", r->message[0] ? r->message : NULL);
    if (r->type == TL_NODE_MODEL) {
        tl_json_kv_str(j, "materialized", r->materialized);
        tl_json_kv_bool(j, "incremental", r->incremental);
        kv_int_or_null(j, "lake_ticks_version", r->lake_ver[0], -2);
        kv_int_or_null(j, "lake_deadletter_version", r->lake_ver[1], -2);
    }
    tl_json_obj_end(j);
    return 0;
}

/* The whole run_results.json into b. */
static int render_results(tl_buf *b, const tl_session *s, const char *command,
                          const char *invocation, const tl_node_result *r, size_t n,
                          int64_t started_us, int64_t end, tl_err *err) {
    char now[40];
    tl_buf scratch = TL_BUF_INIT;
    tl_json *j = tl_json_new_pretty(b);
    if (!j)
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory writing run_results.json");
    tl_results_iso_time(end, now, sizeof now);
    tl_json_obj_begin(j);
    tl_json_key(j, "metadata");
    tl_json_obj_begin(j);
    tl_json_kv_str(j, "generator", "ticklake");
    tl_json_kv_str(j, "generated_at", now);
    tl_json_kv_str(j, "invocation_id", invocation);
    tl_json_obj_end(j);
    tl_json_kv_str(j, "command", command);
    tl_json_key(j, "elapsed_time");
    tl_json_micros(j, end - started_us);
    tl_json_key(j, "lake");
    tl_json_obj_begin(j);
    kv_int_or_null(j, "ticks_version", s->lake_open ? s->lake.ticks_version : -2, -2);
    kv_int_or_null(j, "deadletter_version", s->lake_open ? s->lake.deadletter_version : -2, -2);
    tl_json_obj_end(j);
    tl_json_key(j, "results");
    tl_json_arr_begin(j);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        rc = node_json(j, &scratch, s, &r[i]);
    tl_json_arr_end(j);
    tl_json_obj_end(j);
    rc = rc ? tl_err_set(err, TL_ERR_NOMEM, "out of memory writing run_results.json")
            : tl_json_finish(j, err);
    tl_json_free(j);
    tl_buf_free(&scratch);
    return rc;
}

static int mkdir_p(const char *dir) {
    if (mkdir(dir, 0777) == 0 || errno == EEXIST)
        return 0;
    return -1;
}

int tl_results_write_json(const tl_session *s, const char *command, const char *invocation,
                          const tl_node_result *r, size_t n, int64_t started_us, tl_err *err) {
    tl_buf b = TL_BUF_INIT;
    char dir[4096], path[4200], tmp[4300];
    int64_t end = 0;
    for (size_t i = 0; i < n; i++)
        end = r[i].completed_us > end ? r[i].completed_us : end;
    if (end < started_us)
        end = started_us;
    int rc = render_results(&b, s, command, invocation, r, n, started_us, end, err);
    if (rc) {
        tl_buf_free(&b);
        return rc;
    }
    snprintf(dir, sizeof dir, "%s/target", s->p->dir);
    snprintf(path, sizeof path, "%s/run_results.json", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    FILE *f = NULL;
    if (mkdir_p(dir) != 0 || !(f = fopen(tmp, "wb"))) {
        rc = tl_err_set(err, TL_ERR_IO, "%s: cannot write: %m", tmp);
    } else {
        int bad = fwrite(b.data, 1, b.len, f) != b.len;
        bad |= fclose(f) != 0;
        if (bad || rename(tmp, path) != 0) {
            rc = tl_err_set(err, TL_ERR_IO, "%s: cannot write: %m", path);
            unlink(tmp);
        }
    }
    tl_buf_free(&b);
    return rc;
}

int tl_results_ensure_history(tl_duck *d, tl_err *err) {
    return tl_duck_exec(d,
                        "CREATE TABLE IF NOT EXISTS ticklake_model_runs ("
                        "invocation_id VARCHAR, model VARCHAR, status VARCHAR, "
                        "materialized VARCHAR, incremental BOOLEAN, started_at TIMESTAMPTZ, "
                        "completed_at TIMESTAMPTZ, rows_affected BIGINT, "
                        "lake_ticks_version BIGINT, lake_deadletter_version BIGINT, "
                        "message VARCHAR)",
                        err);
}

/* The SQL literal of s (NULL: NULL); non-zero when out of memory. */
static int sql_str(tl_buf *b, const char *s) {
    if (!s)
        return tl_buf_puts(b, "NULL");
    int rc = tl_buf_puts(b, "'");
    for (; *s && !rc; s++)
        rc = tl_buf_puts(b, *s == '\'' ? "''" : (char[]){*s, 0});
    return rc || tl_buf_puts(b, "'");
}

static int sql_int(tl_buf *b, int64_t v, int64_t none) {
    return v == none ? tl_buf_puts(b, "NULL") : tl_buf_printf(b, "%lld", (long long)v);
}

int tl_results_record(tl_duck *d, const char *invocation, const tl_node_result *r, size_t n,
                      tl_err *err) {
    tl_buf sql = TL_BUF_INIT;
    int oom = 0; /* a statement cut short must not reach DuckDB */
    for (size_t i = 0; i < n && !oom; i++) {
        oom |= tl_buf_puts(&sql, sql.len ? ",\n(" : "INSERT INTO ticklake_model_runs VALUES\n(");
        oom |= sql_str(&sql, invocation) || tl_buf_puts(&sql, ", ");
        oom |= sql_str(&sql, r[i].name) || tl_buf_puts(&sql, ", ");
        oom |= sql_str(&sql, r[i].status) || tl_buf_puts(&sql, ", ");
        oom |= sql_str(&sql, r[i].materialized);
        oom |= tl_buf_printf(&sql,
                             ", %s, make_timestamp(%lld::BIGINT), make_timestamp(%lld::BIGINT), ",
                             r[i].incremental ? "true" : "false", (long long)r[i].started_us,
                             (long long)r[i].completed_us);
        oom |= sql_int(&sql, r[i].rows, -1) || tl_buf_puts(&sql, ", ");
        oom |= sql_int(&sql, r[i].lake_ver[0], -2) || tl_buf_puts(&sql, ", ");
        oom |= sql_int(&sql, r[i].lake_ver[1], -2) || tl_buf_puts(&sql, ", ");
        oom |= sql_str(&sql, r[i].message[0] ? r[i].message : NULL) || tl_buf_puts(&sql, ")");
    }
    int rc = oom         ? tl_err_set(err, TL_ERR_NOMEM, "out of memory (run results)")
             : sql.len ? tl_duck_exec(d, sql.data, err)
                       : 0;
    tl_buf_free(&sql);
    return rc;
}

static int versions_cb(void *ud, int ncols, const char *const *values) {
    int64_t *ver = ud;
    for (int i = 0; i < ncols && i < 2; i++)
        ver[i] = values[i] ? strtoll(values[i], NULL, 10) : -2;
    return 0;
}

void tl_results_prior_versions(tl_duck *d, const char *name, int64_t ver[2]) {
    tl_buf sql = TL_BUF_INIT;
    ver[0] = ver[1] = -2;
    if (!tl_buf_puts(&sql, "SELECT lake_ticks_version, lake_deadletter_version FROM "
                           "ticklake_model_runs WHERE status = 'success' AND model = ") &&
        !sql_str(&sql, name) && !tl_buf_puts(&sql, " ORDER BY completed_at DESC LIMIT 1"))
        tl_duck_query_each(d, sql.data, versions_cb, ver, NULL); /* else: unknown (-2) */
    tl_buf_free(&sql);
}
