/* store — opening a store by URI and the backend-independent helpers. */
#include "store/store.h"

#include "store/store_s3.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

tl_store *tl_store_open(const char *uri, tl_err *err) {
    if (!uri || !*uri) {
        tl_err_set(err, TL_ERR_INVALID, "store URI is empty");
        return NULL;
    }
    if (strncmp(uri, "s3://", 5) == 0) {
        tl_store_s3_options o;
        tl_store_s3_options_from_env(&o);
        return tl_store_s3_new(uri, &o, err);
    }
    const char *path = uri;
    if (strncmp(uri, "file://", 7) == 0)
        path = uri + 7;
    else if (strstr(uri, "://")) {
        tl_err_set(err, TL_ERR_INVALID,
                   "store URI '%s': unknown scheme (use a local path, file:// or s3://)", uri);
        return NULL;
    }
    return tl_store_fs_new(path, err);
}

tl_store *tl_store_open_opts(const tl_store_opts *o, tl_err *err) {
    bool s3 = o->uri && strncmp(o->uri, "s3://", 5) == 0;
    struct stat st;
    if (o->must_exist && o->uri && !s3 && stat(o->uri, &st) != 0 && errno == ENOENT) {
        tl_err_set(err, TL_ERR_NOT_FOUND,
                   "no lake at %s: the folder does not exist (check --lake / "
                   "TICKLAKE_LAKE_PATH; `ticklake stream` or `ticklake up` creates a lake)",
                   o->uri);
        return NULL;
    }
    if (s3 && o->s3)
        return tl_store_s3_new(o->uri, o->s3, err);
    return tl_store_open(o->uri, err);
}

int tl_store_get_range(tl_store *s, const char *key, int64_t offset, int64_t len, tl_buf *out,
                       tl_err *err) {
    if (s->ops->get_range)
        return s->ops->get_range(s, key, offset, len, out, err);
    tl_buf all = TL_BUF_INIT;
    int rc = tl_store_get(s, key, &all, err);
    if (rc == 0 && offset >= 0 && (size_t)offset < all.len) {
        size_t n = all.len - (size_t)offset;
        if (len >= 0 && (size_t)len < n)
            n = (size_t)len;
        if (tl_buf_append(out, all.data + offset, n) != 0)
            rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory reading %s", key);
    } else if (rc == 0 && offset < 0) {
        rc = tl_err_set(err, TL_ERR_INVALID, "negative range offset for %s", key);
    }
    tl_buf_free(&all);
    return rc;
}

int tl_store_del_many(tl_store *s, const char *const *keys, size_t n, tl_err *err) {
    if (s->ops->del_many)
        return s->ops->del_many(s, keys, n, err);
    for (size_t i = 0; i < n; i++) {
        int rc = tl_store_del(s, keys[i], err);
        if (rc)
            return rc;
    }
    return 0;
}

int tl_store_any(tl_store *s, const char *prefix, bool *found, tl_err *err) {
    *found = false;
    if (s->ops->any)
        return s->ops->any(s, prefix, found, err);
    tl_store_entry *e = NULL;
    size_t n = 0;
    int rc = tl_store_list(s, prefix, &e, &n, err);
    *found = rc == 0 && n > 0;
    tl_store_entries_free(e, n);
    return rc;
}

/* Backends own their whole struct, s->uri included: destroy frees it all. */
void tl_store_destroy(tl_store *s) {
    if (s)
        s->ops->destroy(s);
}

void tl_store_entries_free(tl_store_entry *e, size_t n) {
    if (!e)
        return;
    for (size_t i = 0; i < n; i++)
        free(e[i].key);
    free(e);
}

/* Make every folder of path's parent. */
static int mkdirs_for(char *path) {
    for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
        *p = '\0';
        int rc = mkdir(path, 0755);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

/* The ETag of a cached copy lives next to it in "<file>.etag". */
static bool etag_matches(const char *path, const char *etag) {
    char side[4200], got[80] = {0};
    snprintf(side, sizeof side, "%s.etag", path);
    FILE *f = fopen(side, "rb");
    if (!f)
        return false;
    size_t n = fread(got, 1, sizeof got - 1, f);
    fclose(f);
    got[n] = '\0';
    return strcmp(got, etag) == 0;
}

static void etag_save(const char *path, const char *etag) {
    char side[4200], tmp[4300];
    snprintf(side, sizeof side, "%s.etag", path);
    snprintf(tmp, sizeof tmp, "%s.part-%d", side, (int)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return; /* only a cache: the next reader downloads again */
    bool ok = fputs(etag, f) >= 0;
    if (fclose(f) != 0 || !ok || rename(tmp, side) != 0)
        unlink(tmp);
}

char *tl_store_local_copy(tl_store *s, const char *key, const char *cache_dir, tl_err *err) {
    char *local = tl_store_local_path(s, key);
    if (local)
        return local;
    tl_store_entry head = {0};
    if (tl_store_head(s, key, &head, err) != 0)
        return NULL;
    free(head.key);
    /* the key's folders are kept, so hive-style partition folders survive */
    size_t n = strlen(cache_dir) + strlen(key) + 64;
    char *path = malloc(n);
    if (!path) {
        tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    snprintf(path, n, "%s/%s", cache_dir, key);
    struct stat st;
    if (stat(path, &st) == 0 && st.st_size == head.size &&
        (head.etag[0] ? etag_matches(path, head.etag)
                      : (int64_t)st.st_mtime * 1000 >= head.mtime_ms - 999))
        return path; /* cached copy is current */
    char *tmp = malloc(n + 32);
    if (!tmp || mkdirs_for(path) != 0) {
        tl_err_set(err, TL_ERR_IO, "cannot create cache folders for %s: %s", path, strerror(errno));
        goto fail;
    }
    snprintf(tmp, n + 32, "%s.part-%d", path, (int)getpid());
    if (tl_store_get_file(s, key, tmp, err) != 0)
        goto fail;
    if (rename(tmp, path) != 0) {
        tl_err_set(err, TL_ERR_IO, "cannot move %s into place: %s", tmp, strerror(errno));
        unlink(tmp);
        goto fail;
    }
    if (head.etag[0])
        etag_save(path, head.etag); /* after the data: a torn pair only re-downloads */
    free(tmp);
    return path;
fail:
    free(tmp);
    free(path);
    return NULL;
}

void tl_store_default_cache_dir(const tl_store *s, char *out, size_t cap) {
    const char *env = getenv("TICKLAKE_CACHE_DIR");
    if (env && *env) {
        snprintf(out, cap, "%s", env);
        return;
    }
    uint32_t h = 2166136261u; /* FNV-1a of the URI: one cache per lake */
    for (const unsigned char *p = (const unsigned char *)s->uri; p && *p; p++)
        h = (h ^ *p) * 16777619u;
    const char *tmp = getenv("TMPDIR");
    snprintf(out, cap, "%s/ticklake-cache/%08x", tmp && *tmp ? tmp : "/tmp", h);
}
