/* store — one object-store interface, several backends (store_fs.c now,
 * store_s3.c later), as Fluent Bit's output plugins fill one descriptor.
 *
 * Keys are relative paths with '/' separators ("ticks/_delta_log/000...0.json").
 * All lake file access goes through a tl_store so the lake works on S3 too. */
#ifndef TL_STORE_STORE_H
#define TL_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

typedef struct tl_store tl_store;

typedef struct tl_store_entry {
    char *key; /* relative to the store root */
    int64_t size;
    int64_t mtime_ms; /* last modification, ms since the epoch */
    char etag[64];    /* the object's ETag, quotes included ("" when the backend has none) */
} tl_store_entry;

typedef struct tl_store_ops {
    const char *name; /* "fs", "s3" */
    /* Write data at key, replacing any object there; atomic for readers. */
    int (*put)(tl_store *s, const char *key, const void *data, size_t len, tl_err *err);
    /* Upload a local file to key (large data files; no whole copy in memory).
     * May move or consume local_path (fs: a rename); callers unlink it
     * afterwards and ignore ENOENT. */
    int (*put_file)(tl_store *s, const char *key, const char *local_path, tl_err *err);
    /* Create key only if absent: TL_ERR_CONFLICT if it exists. */
    int (*put_if_absent)(tl_store *s, const char *key, const void *data, size_t len, tl_err *err);
    /* Read the whole object into out (appended). TL_ERR_NOT_FOUND if absent. */
    int (*get)(tl_store *s, const char *key, tl_buf *out, tl_err *err);
    /* Download key to a local file (for DuckDB, which reads local files). */
    int (*get_file)(tl_store *s, const char *key, const char *local_path, tl_err *err);
    /* Size and mtime of key; TL_ERR_NOT_FOUND if absent. */
    int (*head)(tl_store *s, const char *key, tl_store_entry *out, tl_err *err);
    /* Every key starting with prefix, in lexicographic order. Caller frees
     * with tl_store_entries_free(). */
    int (*list)(tl_store *s, const char *prefix, tl_store_entry **out, size_t *n, tl_err *err);
    /* Delete key; deleting an absent key is not an error. */
    int (*del)(tl_store *s, const char *key, tl_err *err);
    /* A local path for key if this backend has one (fs), else NULL. Lets
     * DuckDB read lake files in place. Returned string is owned by caller. */
    char *(*local_path)(tl_store *s, const char *key);
    /* Frees everything, the tl_store struct and its uri included. */
    void (*destroy)(tl_store *s);

    /* Optional (NULL: the wrappers below fall back to get / del). */
    /* Append bytes [offset, offset+len) of key to out; len < 0 = to the end. */
    int (*get_range)(tl_store *s, const char *key, int64_t offset, int64_t len, tl_buf *out,
                     tl_err *err);
    /* Delete many keys in few requests (S3 DeleteObjects); absent keys are fine. */
    int (*del_many)(tl_store *s, const char *const *keys, size_t n, tl_err *err);
    /* Whether any key starts with prefix, in one request (S3: a list of at
     * most one key); NULL: a whole list. */
    int (*any)(tl_store *s, const char *prefix, bool *found, tl_err *err);
} tl_store_ops;

struct tl_store {
    const tl_store_ops *ops;
    char *uri; /* as given: "/data/lake" or "s3://bucket/prefix" */
};

/* Open by URI: a local directory (created if missing) or s3://bucket/prefix
 * (S3 settings from the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, AWS_REGION). */
tl_store *tl_store_open(const char *uri, tl_err *err);
/* What opening a lake's store takes. The command layer fills it from the
 * settings (store/store_conf.h); a module that opens a store is handed one. */
struct tl_store_s3_options;
typedef struct tl_store_opts {
    const char *uri; /* a local folder, file://... or s3://bucket/prefix */
    /* s3:// only; NULL: everything from the AWS_* environment (tl_store_open) */
    const struct tl_store_s3_options *s3;
    /* for commands that only read or maintain a lake: a local lake folder
     * that does not exist is an error (TL_ERR_NOT_FOUND), not created, so a
     * mistyped path fails loudly instead of compacting nothing */
    bool must_exist;
} tl_store_opts;
tl_store *tl_store_open_opts(const tl_store_opts *o, tl_err *err);
void tl_store_destroy(tl_store *s);
void tl_store_entries_free(tl_store_entry *e, size_t n);

/* Backends */
tl_store *tl_store_fs_new(const char *root, tl_err *err);

/* Leftovers of killed writers on a local lake (store_fs_sweep.c). Each
 * returns how many it removed. A writer that has not finished yet leaves
 * the same traces, so nobody else's are touched before this age (flushes
 * and compactions finish well within it). */
#define TL_STORE_LEFTOVER_AGE_MS (3600LL * 1000)
/* Staging files (".tl-tmp.*") anywhere under dir, last modified more than
 * older_than_ms before now_ms. */
size_t tl_store_fs_sweep_staging(const char *dir, int64_t older_than_ms, int64_t now_ms);
/* The streams' per-process temp folders in tmp_base ("<host>-<pid>-XXXXXX"):
 * at once when the process ran on this host and is gone, else once
 * untouched for older_than_ms. */
size_t tl_store_fs_sweep_tmp_dirs(const char *tmp_base, int64_t older_than_ms, int64_t now_ms);
/* Delete the files in dir, then dir (temp and scratch folders are flat). */
int tl_store_fs_remove_flat_dir(const char *dir);
/* tl_store_s3_new and its options: store/store_s3.h */

/* A local file with the content of key, for readers that need one (DuckDB):
 * the file itself when the backend has local paths, else a copy downloaded
 * into cache_dir (kept and reused while the object's size and ETag match,
 * or size and mtime when the backend has no ETags; lake data files are
 * immutable). NULL with err set on failure. Caller
 * frees the string. */
char *tl_store_local_copy(tl_store *s, const char *key, const char *cache_dir, tl_err *err);
/* $TICKLAKE_CACHE_DIR, else ${TMPDIR:-/tmp}/ticklake-cache/<hash of the store URI>. */
void tl_store_default_cache_dir(const tl_store *s, char *out, size_t cap);

/* Convenience wrappers */
static inline int tl_store_put(tl_store *s, const char *k, const void *d, size_t n, tl_err *e) {
    return s->ops->put(s, k, d, n, e);
}
static inline int tl_store_put_file(tl_store *s, const char *k, const char *p, tl_err *e) {
    return s->ops->put_file(s, k, p, e);
}
static inline int tl_store_put_if_absent(tl_store *s, const char *k, const void *d, size_t n,
                                         tl_err *e) {
    return s->ops->put_if_absent(s, k, d, n, e);
}
static inline int tl_store_get(tl_store *s, const char *k, tl_buf *out, tl_err *e) {
    return s->ops->get(s, k, out, e);
}
static inline int tl_store_get_file(tl_store *s, const char *k, const char *p, tl_err *e) {
    return s->ops->get_file(s, k, p, e);
}
static inline int tl_store_head(tl_store *s, const char *k, tl_store_entry *out, tl_err *e) {
    return s->ops->head(s, k, out, e);
}
static inline int tl_store_list(tl_store *s, const char *prefix, tl_store_entry **out, size_t *n,
                                tl_err *e) {
    return s->ops->list(s, prefix, out, n, e);
}
static inline int tl_store_del(tl_store *s, const char *k, tl_err *e) {
    return s->ops->del(s, k, e);
}
static inline char *tl_store_local_path(tl_store *s, const char *k) {
    return s->ops->local_path ? s->ops->local_path(s, k) : NULL;
}
/* Bytes [offset, offset+len) of key (len < 0: to the end), appended to out. */
int tl_store_get_range(tl_store *s, const char *key, int64_t offset, int64_t len, tl_buf *out,
                       tl_err *err);
/* Delete n keys (batched where the backend can); stops at the first error. */
int tl_store_del_many(tl_store *s, const char *const *keys, size_t n, tl_err *err);
/* *found: whether any key starts with prefix ("" = anything in the store). */
int tl_store_any(tl_store *s, const char *prefix, bool *found, tl_err *err);

#endif
