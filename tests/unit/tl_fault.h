/* In-process fault injection for the test_faults_* programs, in SQLite's
 * manner (its test_malloc.c fails the Nth allocation; a test repeats an
 * operation for N = 1, 2, ... until it runs without reaching the fault).
 *
 * Two fault sources:
 *
 * - A malloc shim. The test_faults_* programs are linked with
 *   -Wl,--wrap=malloc,--wrap=calloc,... (CMakeLists.txt), so every call to
 *   those functions from a statically linked object — ticklake_core's and
 *   the test's — goes to __wrap_<name> below, while the shared libraries
 *   (DuckDB, librdkafka, libcurl, yajl, libc itself) keep the real
 *   allocator: a failure is always one of OUR allocations, the ones whose
 *   error branches the sweep is meant to reach. The code has no tl_alloc
 *   indirection to hook instead, and adding one would touch ~250 call sites
 *   for the benefit of tests alone; the linker does it for free. free() is
 *   not wrapped: the shim only ever returns real blocks or NULL.
 *
 * - A store wrapper (tl_fault_store_new) around a real store that fails the
 *   Nth operation of a chosen set with a chosen error code, either before
 *   the operation (nothing happened) or after it (it happened, but the
 *   caller is told it failed: an S3 timeout after a PUT landed). An
 *   optional hook runs before every operation (a concurrent writer can
 *   commit "in between").
 *
 * Counters are atomic (the malloc shim) or under the store's lock: the
 * stream's writer threads allocate and use the store too, several at once.
 * Header-only and included by exactly one test program each (it defines
 * the __wrap_ symbols) after cmocka.h. */
#ifndef TL_TESTS_TL_FAULT_H
#define TL_TESTS_TL_FAULT_H

#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lake/lake.h"
#include "store/store.h"

/* ---- the malloc shim ------------------------------------------------------ */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
int __wrap_asprintf(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static atomic_long tl_fault_malloc_left; /* allocations until the failing one; 0 = off */
static atomic_long tl_fault_malloc_seen; /* allocations since arming */
static atomic_bool tl_fault_malloc_fired;

/* Fail the nth allocation from now on (1 = the next one), once. 0: off. */
static inline void tl_fault_malloc_arm(long n) {
    atomic_store(&tl_fault_malloc_seen, 0);
    atomic_store(&tl_fault_malloc_fired, false);
    atomic_store(&tl_fault_malloc_left, n);
}
/* Stop failing; true when the armed fault fired. */
static inline bool tl_fault_malloc_disarm(void) {
    atomic_store(&tl_fault_malloc_left, 0);
    return atomic_load(&tl_fault_malloc_fired);
}
/* Allocations made since the last arm (how long a sweep will be). */
static inline long tl_fault_malloc_count(void) {
    return atomic_load(&tl_fault_malloc_seen);
}

/* true: this allocation is the one to fail. */
static inline bool tl_fault_malloc_fail_now(void) {
    long left = atomic_load(&tl_fault_malloc_left);
    if (left <= 0)
        return false;
    atomic_fetch_add(&tl_fault_malloc_seen, 1);
    /* only the thread that takes the counter from 1 to 0 fails */
    while (left > 0 && !atomic_compare_exchange_weak(&tl_fault_malloc_left, &left, left - 1))
        ;
    if (left != 1)
        return false;
    atomic_store(&tl_fault_malloc_fired, true);
    if (getenv("TL_FAULT_TRACE")) { /* where the failing allocation is (debugging a sweep) */
        void *frames[32];
        backtrace_symbols_fd(frames, backtrace(frames, 32), 2);
    }
    errno = ENOMEM;
    return true;
}

void *__wrap_malloc(size_t n) {
    return tl_fault_malloc_fail_now() ? NULL : __real_malloc(n);
}
void *__wrap_calloc(size_t n, size_t size) {
    return tl_fault_malloc_fail_now() ? NULL : __real_calloc(n, size);
}
void *__wrap_realloc(void *p, size_t n) {
    /* realloc(p, 0) frees: never "fails" */
    return n && tl_fault_malloc_fail_now() ? NULL : __real_realloc(p, n);
}
char *__wrap_strdup(const char *s) {
    return tl_fault_malloc_fail_now() ? NULL : __real_strdup(s);
}
char *__wrap_strndup(const char *s, size_t n) {
    return tl_fault_malloc_fail_now() ? NULL : __real_strndup(s, n);
}
int __wrap_asprintf(char **out, const char *fmt, ...) {
    if (tl_fault_malloc_fail_now())
        return -1; /* *out undefined, as glibc documents */
    va_list ap;
    va_start(ap, fmt);
    int rc = vasprintf(out, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- the store wrapper ----------------------------------------------------- */

typedef enum {
    TL_FAULT_PUT = 1 << 0,
    TL_FAULT_PUT_FILE = 1 << 1,
    TL_FAULT_PUT_IF_ABSENT = 1 << 2,
    TL_FAULT_GET = 1 << 3,
    TL_FAULT_GET_FILE = 1 << 4,
    TL_FAULT_HEAD = 1 << 5,
    TL_FAULT_LIST = 1 << 6,
    TL_FAULT_DEL = 1 << 7,
    TL_FAULT_GET_RANGE = 1 << 8,
    TL_FAULT_DEL_MANY = 1 << 9,
} tl_fault_op;
#define TL_FAULT_ALL_OPS 0x3ff
#define TL_FAULT_WRITES                                                                            \
    (TL_FAULT_PUT | TL_FAULT_PUT_FILE | TL_FAULT_PUT_IF_ABSENT | TL_FAULT_DEL | TL_FAULT_DEL_MANY)

typedef void (*tl_fault_hook_fn)(void *ud, tl_fault_op op, const char *key);

typedef struct tl_fault_store {
    tl_store base; /* first: a tl_fault_store* is a tl_store* */
    tl_store *inner;
    bool own_inner;
    unsigned mask;    /* operations that count */
    long left;        /* counted operations until the failing one; 0 = off */
    long seen;        /* counted operations since arming */
    bool after;       /* fail after doing the operation */
    tl_err_code code; /* the error to report */
    bool fired;
    char fired_key[512]; /* the key of the failed operation */
    tl_fault_op fired_op;
    tl_fault_hook_fn hook;
    void *hook_ud;
    pthread_mutex_t lock; /* the counters and the fired state: writers run at once */
} tl_fault_store;

static inline tl_fault_store *tl_fault_of(tl_store *s) {
    return (tl_fault_store *)s;
}

/* Fail the nth operation in mask from now (1 = the next), once, with code;
 * after: do it first, then report the failure. n 0: off. */
static inline void tl_fault_store_arm(tl_store *s, long n, unsigned mask, tl_err_code code,
                                      bool after) {
    tl_fault_store *f = tl_fault_of(s);
    pthread_mutex_lock(&f->lock);
    f->mask = mask;
    f->left = n;
    f->seen = 0;
    f->after = after;
    f->code = code;
    f->fired = false;
    f->fired_key[0] = '\0';
    pthread_mutex_unlock(&f->lock);
}
/* Stop failing; true when the armed fault fired. */
static inline bool tl_fault_store_disarm(tl_store *s) {
    tl_fault_store *f = tl_fault_of(s);
    pthread_mutex_lock(&f->lock);
    f->left = 0;
    bool fired = f->fired;
    pthread_mutex_unlock(&f->lock);
    return fired;
}
/* Counted operations since the last arm. */
static inline long tl_fault_store_count(tl_store *s) {
    tl_fault_store *f = tl_fault_of(s);
    pthread_mutex_lock(&f->lock);
    long seen = f->seen;
    pthread_mutex_unlock(&f->lock);
    return seen;
}
static inline void tl_fault_store_hook(tl_store *s, tl_fault_hook_fn fn, void *ud) {
    tl_fault_of(s)->hook = fn;
    tl_fault_of(s)->hook_ud = ud;
}

/* Before an operation: run the hook (outside the lock: it may wait for
 * another thread's operation); 1 when this one is to fail. */
static inline int tl_fault_store_due(tl_fault_store *f, tl_fault_op op, const char *key) {
    if (f->hook)
        f->hook(f->hook_ud, op, key);
    int due = 0;
    pthread_mutex_lock(&f->lock);
    if (f->left > 0 && (f->mask & (unsigned)op)) {
        f->seen++;
        if (--f->left == 0) {
            f->fired = true;
            f->fired_op = op;
            snprintf(f->fired_key, sizeof f->fired_key, "%s", key ? key : "");
            due = 1;
        }
    }
    pthread_mutex_unlock(&f->lock);
    return due;
}

static inline int tl_fault_store_err(tl_fault_store *f, const char *what, const char *key,
                                     tl_err *err) {
    return tl_err_set(err, f->code, "injected fault: %s %s%s", what, key,
                      f->after ? " (after doing it)" : "");
}

/* The operation of one wrapper: fail before, or do it and fail after. */
#define TL_FAULT_DO(f, op, what, key, call)                                                        \
    do {                                                                                           \
        int due_ = tl_fault_store_due(f, op, key);                                                 \
        if (due_ && !(f)->after)                                                                   \
            return tl_fault_store_err(f, what, key, err);                                          \
        int rc_ = (call);                                                                          \
        if (due_ && rc_ == 0)                                                                      \
            return tl_fault_store_err(f, what, key, err);                                          \
        return rc_;                                                                                \
    } while (0)

static int tl_fault_put(tl_store *s, const char *key, const void *data, size_t len, tl_err *err) {
    tl_fault_store *f = tl_fault_of(s);
    TL_FAULT_DO(f, TL_FAULT_PUT, "put", key, tl_store_put(f->inner, key, data, len, err));
}
static int tl_fault_put_file(tl_store *s, const char *key, const char *path, tl_err *err) {
    tl_fault_store *f = tl_fault_of(s);
    TL_FAULT_DO(f, TL_FAULT_PUT_FILE, "put_file", key, tl_store_put_file(f->inner, key, path, err));
}
static int tl_fault_put_if_absent(tl_store *s, const char *key, const void *data, size_t len,
                                  tl_err *err) {
    tl_fault_store *f = tl_fault_of(s);
    TL_FAULT_DO(f, TL_FAULT_PUT_IF_ABSENT, "put_if_absent", key,
                tl_store_put_if_absent(f->inner, key, data, len, err));
}
static int tl_fault_get(tl_store *s, const char *key, tl_buf *out, tl_err *err) {
    tl_fault_store *f = tl_fault_of(s);
    TL_FAULT_DO(f, TL_FAULT_GET, "get", key, tl_store_get(f->inner, key, out, err));
}
static int tl_fault_get_file(tl_store *s, const char *key, const char *path, tl_err *err) {
    tl_fault_store *f = tl_fault_of(s);
    TL_FAULT_DO(f, TL_FAULT_GET_FILE, "get_file", key, tl_store_get_file(f->inner, key, path, err));
}
static int tl_fault_head(tl_store *s, const char *key, tl_store_entry *out, tl_err *err) {
    tl_fault_store *f = tl_fault_of(s);
    TL_FAULT_DO(f, TL_FAULT_HEAD, "head", key, tl_store_head(f->inner, key, out, err));
}
static int tl_fault_list(tl_store *s, const char *prefix, tl_store_entry **out, size_t *n,
                         tl_err *err) {
    tl_fault_store *f = tl_fault_of(s);
    int due = tl_fault_store_due(f, TL_FAULT_LIST, prefix);
    if (due && !f->after)
        return tl_fault_store_err(f, "list", prefix, err);
    int rc = tl_store_list(f->inner, prefix, out, n, err);
    if (due && rc == 0) {
        tl_store_entries_free(*out, *n); /* the caller gets nothing on error */
        *out = NULL;
        *n = 0;
        return tl_fault_store_err(f, "list", prefix, err);
    }
    return rc;
}
static int tl_fault_del(tl_store *s, const char *key, tl_err *err) {
    tl_fault_store *f = tl_fault_of(s);
    TL_FAULT_DO(f, TL_FAULT_DEL, "del", key, tl_store_del(f->inner, key, err));
}
static char *tl_fault_local_path(tl_store *s, const char *key) {
    return tl_store_local_path(tl_fault_of(s)->inner, key);
}
static void tl_fault_destroy(tl_store *s) {
    tl_fault_store *f = tl_fault_of(s);
    if (f->own_inner)
        tl_store_destroy(f->inner);
    pthread_mutex_destroy(&f->lock);
    free(f->base.uri);
    free(f);
}
static int tl_fault_get_range(tl_store *s, const char *key, int64_t offset, int64_t len,
                              tl_buf *out, tl_err *err) {
    tl_fault_store *f = tl_fault_of(s);
    TL_FAULT_DO(f, TL_FAULT_GET_RANGE, "get_range", key,
                tl_store_get_range(f->inner, key, offset, len, out, err));
}
static int tl_fault_del_many(tl_store *s, const char *const *keys, size_t n, tl_err *err) {
    tl_fault_store *f = tl_fault_of(s);
    TL_FAULT_DO(f, TL_FAULT_DEL_MANY, "del_many", n ? keys[0] : "",
                tl_store_del_many(f->inner, keys, n, err));
}

static const tl_store_ops tl_fault_ops = {
    .name = "fault",
    .put = tl_fault_put,
    .put_file = tl_fault_put_file,
    .put_if_absent = tl_fault_put_if_absent,
    .get = tl_fault_get,
    .get_file = tl_fault_get_file,
    .head = tl_fault_head,
    .list = tl_fault_list,
    .del = tl_fault_del,
    .local_path = tl_fault_local_path,
    .destroy = tl_fault_destroy,
    .get_range = tl_fault_get_range,
    .del_many = tl_fault_del_many,
};

/* A store that passes everything to inner until armed. own: destroying
 * the wrapper destroys inner. Allocated with the real allocator, so
 * creating it never consumes an armed malloc fault. */
static inline tl_store *tl_fault_store_new(tl_store *inner, bool own) {
    tl_fault_store *f = __real_calloc(1, sizeof *f);
    if (!f)
        return NULL;
    pthread_mutex_init(&f->lock, NULL);
    f->base.ops = &tl_fault_ops;
    f->base.uri = __real_strdup(inner->uri);
    f->inner = inner;
    f->own_inner = own;
    return &f->base;
}

/* ---- what a fresh reader sees ------------------------------------------------ */

/* A table as a fresh reader replays it through the real store (no faults):
 * the checks after every injected failure compare two of these. */
typedef struct tl_fault_picture {
    int64_t version;
    size_t nfiles;
    int64_t rows; /* the sum of the files' numRecords */
    tl_buf files; /* the live paths, one a line, sorted */
    tl_buf txns;  /* "app=version" lines */
} tl_fault_picture;

/* Load table from s (the real store, not the wrapper) and check that every
 * live file exists: a log entry naming a missing file is a half commit. */
static inline void tl_fault_picture_take(tl_store *s, const char *table, tl_fault_picture *p) {
    memset(p, 0, sizeof *p);
    tl_lake_snapshot *snap = NULL;
    tl_err err = {0};
    if (tl_lake_snapshot_load(s, table, NULL, &snap, &err) != 0)
        fail_msg("a fresh reader cannot load %s: %s", table, err.msg);
    p->version = tl_lake_snapshot_version(snap);
    p->nfiles = tl_lake_snapshot_num_files(snap);
    for (size_t i = 0; i < p->nfiles; i++) {
        const tl_lake_file *f = tl_lake_snapshot_file(snap, i);
        tl_buf_printf(&p->files, "%s\n", f->path);
        const char *nr = f->stats ? strstr(f->stats, "\"numRecords\":") : NULL;
        p->rows += nr ? strtoll(nr + 13, NULL, 10) : 0;
        char key[1024];
        snprintf(key, sizeof key, "%s/%s", table, f->path);
        tl_store_entry e;
        if (tl_store_head(s, key, &e, &err) != 0)
            fail_msg("half commit: version %lld of %s names %s, which does not exist (%s)",
                     (long long)p->version, table, f->path, err.msg);
        free(e.key); /* head fills it */
        if (e.size != f->size)
            fail_msg("%s: size %lld in the log, %lld in the store", key, (long long)f->size,
                     (long long)e.size);
    }
    for (size_t i = 0; i < tl_lake_snapshot_num_txns(snap); i++) {
        const char *app;
        int64_t v, at;
        tl_lake_snapshot_txn(snap, i, &app, &v, &at);
        tl_buf_printf(&p->txns, "%s=%lld\n", app, (long long)v);
    }
    tl_lake_snapshot_free(snap);
}

static inline void tl_fault_picture_free(tl_fault_picture *p) {
    tl_buf_free(&p->files);
    tl_buf_free(&p->txns);
}

static inline bool tl_fault_picture_same(const tl_fault_picture *a, const tl_fault_picture *b) {
    return a->version == b->version && a->nfiles == b->nfiles && a->rows == b->rows &&
           strcmp(a->files.data ? a->files.data : "", b->files.data ? b->files.data : "") == 0 &&
           strcmp(a->txns.data ? a->txns.data : "", b->txns.data ? b->txns.data : "") == 0;
}

/* After an operation that reported rc: a clean error (the code expected,
 * a message), never a success that did not happen. */
static inline void tl_fault_check_error(long n, int rc, const tl_err *err, int want_code,
                                        bool fired) {
    if (rc == 0)
        return;
    if (!fired)
        fail_msg("N=%ld: failed without the fault firing: %d %s", n, rc, err->msg);
    if (rc != want_code || err->code != rc)
        fail_msg("N=%ld: wrong error: returned %d (%s), err->code %d, want %d (%s): %s", n, rc,
                 tl_err_code_name((tl_err_code)rc), err->code, want_code,
                 tl_err_code_name((tl_err_code)want_code), err->msg);
    if (!err->msg[0])
        fail_msg("N=%ld: error %d without a message", n, rc);
}

/* ---- sweeps ------------------------------------------------------------------ */

/* The step between the Ns a sweep tries. A run of an operation costs
 * milliseconds (tens through DuckDB) and the paths make hundreds to
 * thousands of allocations, so `make test` tries about TL_FAULT_BUDGET
 * (default 60) evenly spread Ns per sweep, the first and the last
 * included, which keeps each sweep within seconds even on a loaded
 * machine; TL_FAULT_BUDGET=0 tries every N (total: what a fault-free run
 * counted). Whatever the step, the sweep goes on until a run no longer
 * reaches the fault. */
static inline long tl_fault_step(long total) {
    const char *b = getenv("TL_FAULT_BUDGET");
    long budget = b && *b ? strtol(b, NULL, 10) : 60;
    if (budget <= 0 || total <= budget)
        return 1;
    return (total + budget - 1) / budget;
}

/* The N after n: steps of `step` up to total (the last one included),
 * then one by one until a run no longer reaches the fault. */
static inline long tl_fault_next(long n, long step, long total) {
    if (n >= total)
        return n + 1;
    return n + step > total ? total : n + step;
}

/* The first N (TL_FAULT_FROM=N starts there: to rerun one failure with
 * TL_FAULT_TRACE=1, which prints where the failing allocation was made). */
static inline long tl_fault_first(void) {
    const char *f = getenv("TL_FAULT_FROM");
    long n = f && *f ? strtol(f, NULL, 10) : 1;
    return n > 0 ? n : 1;
}

/* How far past the counted total a sweep may go before that is an error
 * (a run that needs more than the fault-free run did is nondeterministic). */
#define TL_FAULT_SLACK 50

/* A fresh folder for a sweep's lake: on tmpfs when there is one (the fs
 * store syncs every put; thousands of runs on a disk take minutes). */
static inline int tl_fault_tmpdir(char *out, size_t cap, const char *tag) {
    struct stat st;
    snprintf(out, cap, "%s/tl-%s-XXXXXX",
             stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp", tag);
    return mkdtemp(out) ? 0 : -1;
}

/* One sweep's fault source: our allocations, any store operation, or a
 * store write that happens and then reports failure (an S3 timeout after the
 * PUT landed). */
typedef enum { TL_FAULT_MALLOC, TL_FAULT_STORE, TL_FAULT_STORE_AFTER } tl_fault_mode;

static inline void tl_fault_arm(tl_store *fault, tl_fault_mode m, long n) {
    if (m == TL_FAULT_MALLOC)
        tl_fault_malloc_arm(n);
    else if (m == TL_FAULT_STORE)
        tl_fault_store_arm(fault, n, TL_FAULT_ALL_OPS, TL_ERR_IO, false);
    else
        tl_fault_store_arm(fault, n, TL_FAULT_WRITES, TL_ERR_IO, true);
}

/* true when the armed fault was reached */
static inline bool tl_fault_disarm(tl_store *fault, tl_fault_mode m) {
    return m == TL_FAULT_MALLOC ? tl_fault_malloc_disarm() : tl_fault_store_disarm(fault);
}

static inline long tl_fault_count(tl_store *fault, tl_fault_mode m) {
    return m == TL_FAULT_MALLOC ? tl_fault_malloc_count() : tl_fault_store_count(fault);
}

#endif
