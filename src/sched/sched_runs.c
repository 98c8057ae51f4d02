/* The run history's objects in the lake (see sched_runs.h). */
#define _GNU_SOURCE
#include "sched/sched_runs.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "util/clock.h"
#include "util/log.h"
#include "util/random.h"

#define DAY_MS (86400LL * 1000)
/* Past this many days a --since lists the whole history once instead of
 * one listing per day. */
#define MAX_DAY_LISTINGS 62

void tl_sched_runs_time(int64_t ms, char *out, size_t cap) {
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms - (int64_t)t * 1000));
}

static void day_of(int64_t ms, char *out, size_t cap) {
    char t[40];
    tl_sched_runs_time(ms, t, sizeof t);
    snprintf(out, cap, "%.10s", t);
}

static const char *status_name(tl_sched_result r) {
    switch (r) {
    case TL_SCHED_OK: return "success";
    case TL_SCHED_FAILED: return "failed";
    case TL_SCHED_SKIPPED: return "skipped";
    case TL_SCHED_TIMED_OUT: return "timed_out";
    default: return NULL;
    }
}

int tl_sched_runs_from_event(const tl_sched_event *ev, tl_sched_run_rec *out) {
    const char *st = status_name(ev->result);
    if (!st)
        return -1;
    memset(out, 0, sizeof *out);
    snprintf(out->job, sizeof out->job, "%s", ev->job);
    snprintf(out->status, sizeof out->status, "%s", st);
    out->due_ms = ev->due_ms;
    out->start_ms = ev->start_ms;
    out->end_ms = ev->end_ms;
    out->attempt = ev->attempt > 0 ? ev->attempt : 1;
    if (ev->result == TL_SCHED_OK || ev->result == TL_SCHED_SKIPPED)
        snprintf(out->detail, sizeof out->detail, "%s", ev->detail ? ev->detail : "");
    else
        snprintf(out->error, sizeof out->error, "%s", ev->detail ? ev->detail : "");
    out->sum = ev->sum ? *ev->sum : (tl_sched_summary){-1, -1, -1, -1, -1};
    snprintf(out->owner, sizeof out->owner, "%s", ev->owner ? ev->owner : "");
    return 0;
}

/* ---- JSON ----------------------------------------------------------------------- */

static void kv_count(tl_json *j, const char *key, int64_t v) {
    tl_json_key(j, key);
    if (v < 0)
        tl_json_null(j);
    else
        tl_json_int(j, v);
}

static void kv_time(tl_json *j, const char *key, int64_t ms) {
    char t[40], k[32];
    tl_sched_runs_time(ms, t, sizeof t);
    tl_json_kv_str(j, key, t);
    snprintf(k, sizeof k, "%s_ms", key);
    tl_json_kv_int(j, k, ms);
}

int tl_sched_runs_json(tl_json *j, const tl_sched_run_rec *r) {
    tl_json_obj_begin(j);
    tl_json_kv_str(j, "run_id", r->run_id);
    tl_json_kv_str(j, "job", r->job);
    kv_time(j, "scheduled", r->due_ms);
    kv_time(j, "start", r->start_ms);
    kv_time(j, "end", r->end_ms);
    tl_json_kv_int(j, "duration_ms", r->end_ms - r->start_ms);
    tl_json_kv_int(j, "attempt", r->attempt);
    tl_json_kv_str(j, "status", r->status);
    tl_json_kv_str(j, "error", r->error[0] ? r->error : NULL);
    tl_json_kv_str(j, "detail", r->detail);
    tl_json_key(j, "summary");
    tl_json_obj_begin(j);
    kv_count(j, "files_in", r->sum.files_in);
    kv_count(j, "files_out", r->sum.files_out);
    kv_count(j, "rows", r->sum.rows);
    kv_count(j, "models", r->sum.models);
    kv_count(j, "tests_failed", r->sum.tests_failed);
    tl_json_obj_end(j);
    tl_json_kv_str(j, "owner", r->owner);
    return tl_json_obj_end(j);
}

static int64_t num_at(yajl_val root, const char *a, const char *b, int64_t dflt) {
    const char *path[] = {a, b, NULL};
    yajl_val v = yajl_tree_get(root, path, yajl_t_number);
    return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : dflt;
}

static void str_at(yajl_val root, const char *name, char *out, size_t cap) {
    const char *path[] = {name, NULL};
    yajl_val v = yajl_tree_get(root, path, yajl_t_string);
    snprintf(out, cap, "%s", v ? YAJL_GET_STRING(v) : "");
}

static int parse_rec(const char *key, const char *text, tl_sched_run_rec *r, tl_err *err) {
    char ebuf[128];
    yajl_val root = yajl_tree_parse(text, ebuf, sizeof ebuf);
    if (!YAJL_IS_OBJECT(root)) {
        yajl_tree_free(root);
        return tl_err_set(err, TL_ERR_CORRUPT, "run record %s is not a JSON object", key);
    }
    memset(r, 0, sizeof *r);
    str_at(root, "run_id", r->run_id, sizeof r->run_id);
    str_at(root, "job", r->job, sizeof r->job);
    str_at(root, "status", r->status, sizeof r->status);
    str_at(root, "error", r->error, sizeof r->error);
    str_at(root, "detail", r->detail, sizeof r->detail);
    str_at(root, "owner", r->owner, sizeof r->owner);
    r->due_ms = num_at(root, "scheduled_ms", NULL, -1);
    r->start_ms = num_at(root, "start_ms", NULL, -1);
    r->end_ms = num_at(root, "end_ms", NULL, -1);
    r->attempt = (int)num_at(root, "attempt", NULL, 1);
    r->sum.files_in = num_at(root, "summary", "files_in", -1);
    r->sum.files_out = num_at(root, "summary", "files_out", -1);
    r->sum.rows = num_at(root, "summary", "rows", -1);
    r->sum.models = num_at(root, "summary", "models", -1);
    r->sum.tests_failed = num_at(root, "summary", "tests_failed", -1);
    yajl_tree_free(root);
    if (!r->job[0] || !r->status[0] || r->start_ms < 0)
        return tl_err_set(err, TL_ERR_CORRUPT, "run record %s lacks job, status or start", key);
    return 0;
}

/* ---- writing ---------------------------------------------------------------------- */

int tl_sched_runs_put(tl_store *s, tl_sched_run_rec *r, tl_err *err) {
    char t[40], stamp[32], day[16], id[17], key[256];
    tl_sched_runs_time(r->start_ms, t, sizeof t);
    /* "2026-12-02T05:59:59.123Z" -> "20261202T055959123Z": sorts by start */
    snprintf(stamp, sizeof stamp, "%.4s%.2s%.2sT%.2s%.2s%.2s%.3sZ", t, t + 5, t + 8, t + 11,
             t + 14, t + 17, t + 20);
    day_of(r->start_ms, day, sizeof day);
    tl_random_id(id);
    snprintf(r->run_id, sizeof r->run_id, "%s-%s-%d-%.8s", stamp, r->job, r->attempt, id);
    snprintf(key, sizeof key, TL_SCHED_RUNS_PREFIX "%s/%s.json", day, r->run_id);
    tl_buf b = TL_BUF_INIT;
    tl_json *j = tl_json_new(&b);
    int rc = j ? 0 : tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    if (rc == 0) {
        tl_sched_runs_json(j, r);
        rc = tl_json_finish(j, err);
    }
    if (rc == 0 && tl_buf_puts(&b, "\n") != 0)
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    if (rc == 0)
        rc = tl_store_put_if_absent(s, key, b.data, b.len, err);
    tl_json_free(j);
    tl_buf_free(&b);
    return tl_err_wrap(err, rc, "recording the run %s", key);
}

/* ---- reading ---------------------------------------------------------------------- */

typedef struct keyvec {
    char **k;
    size_t n, cap;
} keyvec;

static void keyvec_free(keyvec *v) {
    for (size_t i = 0; i < v->n; i++)
        free(v->k[i]);
    free(v->k);
}

/* Whether a key's name passes the query's filters before reading it:
 * ".../<stamp>-<job>-<attempt>-<rand>.json", stamp >= since's. */
static bool key_matches(const char *key, const tl_sched_runs_query *q, const char *since_stamp) {
    const char *b = strrchr(key, '/');
    b = b ? b + 1 : key;
    size_t len = strlen(b);
    if (len < 26 || strcmp(b + len - 5, ".json") != 0 || b[19] != '-')
        return false;
    if (since_stamp[0] && strncmp(b, since_stamp, 19) < 0)
        return false;
    if (!q->job)
        return true;
    size_t jl = strlen(q->job);
    return !strncmp(b + 20, q->job, jl) && b[20 + jl] == '-' &&
           strspn(b + 21 + jl, "0123456789") > 0;
}

static int collect_keys(tl_store *s, const char *prefix, const tl_sched_runs_query *q,
                        const char *since_stamp, keyvec *v, tl_err *err) {
    tl_store_entry *e = NULL;
    size_t n = 0;
    int rc = tl_store_list(s, prefix, &e, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!key_matches(e[i].key, q, since_stamp))
            continue;
        if (v->n == v->cap) {
            size_t cap = v->cap ? 2 * v->cap : 64;
            char **k = realloc(v->k, cap * sizeof *k);
            if (!k) {
                rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
                break;
            }
            v->k = k;
            v->cap = cap;
        }
        if (!(v->k[v->n] = strdup(e[i].key)))
            rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        else
            v->n++;
    }
    tl_store_entries_free(e, n);
    return rc;
}

static int cmp_base(const void *a, const void *b) {
    const char *x = strrchr(*(char *const *)a, '/'), *y = strrchr(*(char *const *)b, '/');
    return strcmp(x ? x : *(char *const *)a, y ? y : *(char *const *)b);
}

int tl_sched_runs_list(tl_store *s, const tl_sched_runs_query *q, tl_sched_run_rec **out,
                       size_t *n, tl_err *err) {
    *out = NULL;
    *n = 0;
    keyvec v = {0};
    char since_stamp[32] = "";
    int rc = 0;
    int64_t now = tl_now_us() / 1000;
    if (q->since_ms > 0) {
        char t[40];
        tl_sched_runs_time(q->since_ms, t, sizeof t);
        snprintf(since_stamp, sizeof since_stamp, "%.4s%.2s%.2sT%.2s%.2s%.2s%.3s", t, t + 5, t + 8,
                 t + 11, t + 14, t + 17, t + 20);
    }
    if (q->since_ms > 0 && (now - q->since_ms) / DAY_MS < MAX_DAY_LISTINGS) {
        /* one listing per day, to tomorrow (a host whose clock runs ahead) */
        for (int64_t d = q->since_ms - q->since_ms % DAY_MS; d <= now + DAY_MS && rc == 0;
             d += DAY_MS) {
            char day[16], prefix[64];
            day_of(d, day, sizeof day);
            snprintf(prefix, sizeof prefix, TL_SCHED_RUNS_PREFIX "%s/", day);
            rc = collect_keys(s, prefix, q, since_stamp, &v, err);
        }
    } else {
        rc = collect_keys(s, TL_SCHED_RUNS_PREFIX, q, since_stamp, &v, err);
    }
    if (rc)
        goto out;
    qsort(v.k, v.n, sizeof *v.k, cmp_base);
    size_t from = q->limit && v.n > q->limit ? v.n - q->limit : 0;
    if (v.n > from && !(*out = calloc(v.n - from, sizeof **out))) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = from; i < v.n && rc == 0; i++) {
        tl_buf b = TL_BUF_INIT;
        tl_err e2 = {0};
        int r2 = tl_store_get(s, v.k[i], &b, &e2);
        if (r2 == 0)
            r2 = parse_rec(v.k[i], b.data ? b.data : "", &(*out)[*n], &e2);
        tl_buf_free(&b);
        if (r2 == 0)
            (*n)++;
        else if (r2 == TL_ERR_CORRUPT || r2 == TL_ERR_NOT_FOUND)
            tl_warn("runs", "skipping %s: %s", v.k[i], e2.msg);
        else
            rc = tl_err_set(err, (tl_err_code)r2, "%s", e2.msg);
    }
out:
    keyvec_free(&v);
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- trimming ---------------------------------------------------------------------- */

/* ms -> "20261202T055959123": the first 18 characters of a record's name. */
static void stamp_of(int64_t ms, char *out, size_t cap) {
    char t[40];
    tl_sched_runs_time(ms, t, sizeof t);
    snprintf(out, cap, "%.4s%.2s%.2sT%.2s%.2s%.2s%.3s", t, t + 5, t + 8, t + 11, t + 14, t + 17,
             t + 20);
}

/* Best effort: a day folder left empty on a local lake (S3 has none). */
static void drop_day_dirs(tl_store *s, const keyvec *v) {
    for (size_t i = 0; i < v->n; i++) {
        const char *slash = strrchr(v->k[i], '/');
        if (!slash || (i + 1 < v->n && !strncmp(v->k[i], v->k[i + 1], (size_t)(slash - v->k[i]))))
            continue; /* a day's keys are usually adjacent; a second rmdir is harmless */
        char dir[256];
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - v->k[i]), v->k[i]);
        char *path = tl_store_local_path(s, dir);
        if (path)
            rmdir(path); /* fails, harmlessly, while it holds newer records */
        free(path);
    }
}

int tl_sched_runs_trim(tl_store *s, int64_t cutoff_ms, size_t *deleted, tl_err *err) {
    *deleted = 0;
    char cutoff[32];
    stamp_of(cutoff_ms, cutoff, sizeof cutoff);
    tl_store_entry *e = NULL;
    size_t n = 0;
    keyvec v = {0};
    int rc = tl_store_list(s, TL_SCHED_RUNS_PREFIX, &e, &n, err);
    tl_sched_runs_query all = {0};
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *b = strrchr(e[i].key, '/');
        b = b ? b + 1 : e[i].key;
        if (!key_matches(e[i].key, &all, "") || strncmp(b, cutoff, strlen(cutoff)) >= 0)
            continue;
        if (v.n == v.cap) {
            size_t cap = v.cap ? 2 * v.cap : 64;
            char **k = realloc(v.k, cap * sizeof *k);
            if (!k) {
                rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
                break;
            }
            v.k = k;
            v.cap = cap;
        }
        if (!(v.k[v.n] = strdup(e[i].key)))
            rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        else
            v.n++;
    }
    tl_store_entries_free(e, n);
    if (rc == 0 && v.n > 0)
        rc = tl_store_del_many(s, (const char *const *)v.k, v.n, err);
    if (rc == 0) {
        *deleted = v.n;
        drop_day_dirs(s, &v);
    }
    keyvec_free(&v);
    return rc ? tl_err_wrap(err, rc, "trimming the run history") : 0;
}
