/* store_fs — the local filesystem backend.
 *
 * Keys map to files under the root directory. Writes never expose partial
 * files: data goes to a hidden temp file in the destination directory
 * (".tl-tmp.*", skipped by list), is fsync'ed, then renamed (put) or
 * hard-linked (put_if_absent) into place, and the directory is fsync'ed.
 *
 * put_file MOVES the local file into the store when it is on the same
 * filesystem (rename), otherwise copies it and then deletes the source: the
 * caller must treat local_path as consumed either way (other backends may
 * leave it, so callers should unlink it afterwards, ignoring ENOENT).
 *
 * Threading: all operations are safe to call from several threads and
 * processes at once; put_if_absent picks exactly one winner per key. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"

#define TMP_PREFIX ".tl-tmp."

typedef struct fs_store {
    tl_store base;
    char *root;
} fs_store;

static const char *errtext(int e, char *buf, size_t cap) {
    return strerror_r(e, buf, cap);
}

static int io_fail(tl_err *err, const char *what, const char *path) {
    int e = errno;
    char eb[128];
    tl_err_code code = e == ENOENT ? TL_ERR_NOT_FOUND : e == ENOMEM ? TL_ERR_NOMEM : TL_ERR_IO;
    return tl_err_set(err, code, "store fs: %s '%s': %s", what, path, errtext(e, eb, sizeof eb));
}

/* Keys are relative, '/'-separated, and may not climb out of the root. */
static int check_key(const char *key, tl_err *err) {
    if (!key || !*key || key[0] == '/')
        return tl_err_set(err, TL_ERR_INVALID,
                          "store fs: key '%s' must be a non-empty relative path",
                          key ? key : "(null)");
    for (const char *p = key; *p;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if ((n == 2 && p[0] == '.' && p[1] == '.') || (n == 0 && e))
            return tl_err_set(err, TL_ERR_INVALID,
                              "store fs: key '%s' has an empty or '..' segment", key);
        p += n + (e ? 1 : 0);
    }
    return 0;
}

static char *join(const char *root, const char *key) {
    char *p = NULL;
    if (asprintf(&p, "%s/%s", root, key) < 0)
        return NULL;
    return p;
}

static char *full_path(tl_store *s, const char *key, tl_err *err) {
    if (check_key(key, err) != 0)
        return NULL;
    char *p = join(((fs_store *)s)->root, key);
    if (!p)
        tl_err_set(err, TL_ERR_NOMEM, "store fs: out of memory for key '%s'", key);
    return p;
}

/* mkdir -p of the directory part of path (everything before the last '/'). */
static int mkdir_parents(const char *path, tl_err *err) {
    char *d = strdup(path);
    if (!d)
        return tl_err_set(err, TL_ERR_NOMEM, "store fs: out of memory");
    char *slash = strrchr(d, '/');
    if (slash && slash != d)
        *slash = '\0';
    else {
        free(d);
        return 0;
    }
    for (char *p = d + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(d, 0755) != 0 && errno != EEXIST) {
                int rc = io_fail(err, "create directory", d);
                free(d);
                return rc;
            }
            *p = c;
            if (c == '\0')
                break;
        }
    }
    free(d);
    return 0;
}

static int fsync_parent_dir(const char *path) {
    char *d = strdup(path);
    if (!d)
        return -1;
    char *slash = strrchr(d, '/');
    if (slash)
        *(slash == d ? slash + 1 : slash) = '\0';
    int fd = open(slash ? d : ".", O_RDONLY | O_DIRECTORY);
    free(d);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* A unique hidden temp name next to final: pid + a process-wide counter. */
static char *temp_path_for(const char *final) {
    static unsigned long counter;
    unsigned long n = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
    const char *slash = strrchr(final, '/');
    int dirlen = slash ? (int)(slash - final + 1) : 0;
    char *p = NULL;
    if (asprintf(&p, "%.*s" TMP_PREFIX "%s.%ld.%lu", dirlen, final, final + dirlen, (long)getpid(),
                 n) < 0)
        return NULL;
    return p;
}

static int write_all(int fd, const void *data, size_t len) {
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static int copy_fd(int in, int out) {
    char buf[1 << 16];
    for (;;) {
        ssize_t r = read(in, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            return 0;
        if (write_all(out, buf, (size_t)r) != 0)
            return -1;
    }
}

/* Write data (or the contents of src_fd when data is NULL) to a new temp
 * file next to final and fsync it. Returns the temp path or NULL. */
static char *write_temp(const char *final, const void *data, size_t len, int src_fd, tl_err *err) {
    char *tmp = temp_path_for(final);
    if (!tmp) {
        tl_err_set(err, TL_ERR_NOMEM, "store fs: out of memory");
        return NULL;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        io_fail(err, "create temp file", tmp);
        free(tmp);
        return NULL;
    }
    int rc = data || src_fd < 0 ? write_all(fd, data, len) : copy_fd(src_fd, fd);
    if (rc != 0 || fsync(fd) != 0) {
        io_fail(err, "write", tmp);
        close(fd);
        unlink(tmp);
        free(tmp);
        return NULL;
    }
    if (close(fd) != 0) {
        io_fail(err, "close", tmp);
        unlink(tmp);
        free(tmp);
        return NULL;
    }
    return tmp;
}

/* The first half of every put: the object's full path, its folders, and
 * the data written and fsynced to a temp file beside it. */
static int stage(tl_store *s, const char *key, const void *data, size_t len, char **path,
                 char **tmp, tl_err *err) {
    *tmp = NULL;
    if (!(*path = full_path(s, key, err)))
        return err ? err->code : TL_ERR_INVALID;
    int rc = mkdir_parents(*path, err);
    if (rc == 0 && !(*tmp = write_temp(*path, data ? data : "", len, -1, err)))
        rc = err ? err->code : TL_ERR_IO;
    return rc;
}

static int fs_put(tl_store *s, const char *key, const void *data, size_t len, tl_err *err) {
    char *path, *tmp;
    int rc = stage(s, key, data, len, &path, &tmp, err);
    if (rc)
        goto out;
    if (rename(tmp, path) != 0) {
        rc = io_fail(err, "rename into place", path);
        unlink(tmp);
        goto out;
    }
    fsync_parent_dir(path);
out:
    free(tmp);
    free(path);
    return rc;
}

static int fs_put_file(tl_store *s, const char *key, const char *local_path, tl_err *err) {
    int rc, src = -1;
    char *path = full_path(s, key, err), *tmp = NULL;
    if (!path)
        return err ? err->code : TL_ERR_INVALID;
    if ((src = open(local_path, O_RDONLY | O_CLOEXEC)) < 0) {
        rc = io_fail(err, "open local file", local_path);
        goto out;
    }
    if ((rc = mkdir_parents(path, err)) != 0)
        goto out;
    /* The data must be durable before the name that exposes it is. */
    if (fsync(src) != 0) {
        rc = io_fail(err, "fsync", local_path);
        goto out;
    }
    if (rename(local_path, path) != 0) {
        if (errno != EXDEV) {
            rc = io_fail(err, "move into place", path);
            goto out;
        }
        /* Another filesystem: copy beside the target, then rename. */
        if (!(tmp = write_temp(path, NULL, 0, src, err))) {
            rc = err ? err->code : TL_ERR_IO;
            goto out;
        }
        if (rename(tmp, path) != 0) {
            rc = io_fail(err, "rename into place", path);
            unlink(tmp);
            goto out;
        }
        unlink(local_path);
    }
    fsync_parent_dir(path);
    rc = 0;
out:
    if (src >= 0)
        close(src);
    free(tmp);
    free(path);
    return rc;
}

/* Publish tmp as path only if path does not exist. link() fails with
 * EEXIST atomically; filesystems without hard links get renameat2's
 * RENAME_NOREPLACE, which has the same guarantee. */
static int publish_exclusive(const char *tmp, const char *path) {
    if (link(tmp, path) == 0)
        return 0;
    if (errno == EPERM || errno == ENOTSUP || errno == ENOSYS || errno == EMLINK)
        return renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE);
    return -1;
}

static int fs_put_if_absent(tl_store *s, const char *key, const void *data, size_t len,
                            tl_err *err) {
    char *path, *tmp;
    int rc = stage(s, key, data, len, &path, &tmp, err);
    if (rc)
        goto out;
    if (publish_exclusive(tmp, path) != 0) {
        if (errno == EEXIST)
            rc = tl_err_set(err, TL_ERR_CONFLICT, "store fs: '%s' already exists", path);
        else
            rc = io_fail(err, "link into place", path);
        unlink(tmp);
        goto out;
    }
    unlink(tmp); /* no-op error after a renameat2 fallback: tmp is gone */
    fsync_parent_dir(path);
out:
    free(tmp);
    free(path);
    return rc;
}

static int open_existing(const char *path, tl_err *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return tl_err_set(err, TL_ERR_NOT_FOUND, "store fs: '%s' does not exist", path);
        return io_fail(err, "open", path);
    }
    return fd;
}

static int fs_get(tl_store *s, const char *key, tl_buf *out, tl_err *err) {
    char *path = full_path(s, key, err);
    if (!path)
        return err ? err->code : TL_ERR_INVALID;
    int rc = 0, fd = open_existing(path, err);
    if (fd < 0) {
        rc = fd;
        goto out;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size > 0 && tl_buf_reserve(out, (size_t)st.st_size) != 0) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "store fs: out of memory reading '%s'", path);
        goto out;
    }
    for (;;) {
        if (tl_buf_reserve(out, 65536) != 0) {
            rc = tl_err_set(err, TL_ERR_NOMEM, "store fs: out of memory reading '%s'", path);
            goto out;
        }
        ssize_t r = read(fd, out->data + out->len, out->cap - out->len - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = io_fail(err, "read", path);
            goto out;
        }
        if (r == 0)
            break;
        out->len += (size_t)r;
        out->data[out->len] = '\0';
    }
out:
    if (fd >= 0)
        close(fd);
    free(path);
    return rc;
}

static int fs_get_file(tl_store *s, const char *key, const char *local_path, tl_err *err) {
    char *path = full_path(s, key, err);
    if (!path)
        return err ? err->code : TL_ERR_INVALID;
    int rc = 0, out = -1, in = open_existing(path, err);
    if (in < 0) {
        rc = in;
        goto done;
    }
    if ((out = open(local_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
        rc = io_fail(err, "create", local_path);
        goto done;
    }
    if (copy_fd(in, out) != 0) {
        rc = io_fail(err, "copy to", local_path);
        goto done;
    }
    if (close(out) != 0) {
        out = -1;
        rc = io_fail(err, "close", local_path);
        goto done;
    }
    out = -1;
done:
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    free(path);
    return rc;
}

static int fs_head(tl_store *s, const char *key, tl_store_entry *out, tl_err *err) {
    char *path = full_path(s, key, err);
    if (!path)
        return err ? err->code : TL_ERR_INVALID;
    struct stat st;
    int rc = 0;
    int sr = stat(path, &st);
    if (sr != 0 && errno != ENOENT && errno != ENOTDIR)
        rc = io_fail(err, "stat", path);
    else if (sr != 0 || !S_ISREG(st.st_mode)) /* absent, or a directory */
        rc = tl_err_set(err, TL_ERR_NOT_FOUND, "store fs: '%s' does not exist", path);
    if (rc != 0) {
        free(path);
        return rc;
    }
    free(path);
    out->key = strdup(key);
    if (!out->key)
        return tl_err_set(err, TL_ERR_NOMEM, "store fs: out of memory");
    out->size = st.st_size;
    out->mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    return 0;
}

typedef struct entry_vec {
    tl_store_entry *v;
    size_t n, cap;
} entry_vec;

static int vec_push(entry_vec *ev, const char *key, const struct stat *st) {
    if (ev->n == ev->cap) {
        size_t ncap = ev->cap ? ev->cap * 2 : 64;
        tl_store_entry *nv = realloc(ev->v, ncap * sizeof *nv);
        if (!nv)
            return -1;
        ev->v = nv;
        ev->cap = ncap;
    }
    char *k = strdup(key);
    if (!k)
        return -1;
    ev->v[ev->n++] = (tl_store_entry){.key = k,
                                      .size = st->st_size,
                                      .mtime_ms = (int64_t)st->st_mtim.tv_sec * 1000 +
                                                  st->st_mtim.tv_nsec / 1000000};
    return 0;
}

/* Does any key under directory rel ("a/b/") possibly start with prefix? */
static int dir_may_match(const char *rel_slash, const char *prefix) {
    size_t a = strlen(rel_slash), b = strlen(prefix);
    return strncmp(rel_slash, prefix, a < b ? a : b) == 0;
}

static int walk(fs_store *fs, const char *rel, const char *prefix, entry_vec *ev, tl_err *err) {
    char *dirpath = *rel ? join(fs->root, rel) : strdup(fs->root);
    if (!dirpath)
        return tl_err_set(err, TL_ERR_NOMEM, "store fs: out of memory");
    int rc = 0;
    DIR *d = opendir(dirpath);
    if (!d) {
        if (errno != ENOENT && errno != ENOTDIR)
            rc = io_fail(err, "list", dirpath);
        free(dirpath);
        return rc;
    }
    struct dirent *de;
    while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        if (!strcmp(name, ".") || !strcmp(name, "..") ||
            !strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX)))
            continue;
        char *key = NULL, *abs = NULL;
        struct stat st;
        if (asprintf(&key, "%s%s%s", rel, *rel ? "/" : "", name) < 0 ||
            !(abs = join(fs->root, key))) {
            free(key);
            rc = tl_err_set(err, TL_ERR_NOMEM, "store fs: out of memory");
            break;
        }
        if (lstat(abs, &st) != 0) {
            if (errno != ENOENT) /* vanished between readdir and stat: skip */
                rc = io_fail(err, "stat", abs);
        } else if (S_ISDIR(st.st_mode)) {
            char *ks = NULL;
            if (asprintf(&ks, "%s/", key) < 0)
                rc = tl_err_set(err, TL_ERR_NOMEM, "store fs: out of memory");
            else if (dir_may_match(ks, prefix))
                rc = walk(fs, key, prefix, ev, err);
            free(ks);
        } else if (S_ISREG(st.st_mode) && strncmp(key, prefix, strlen(prefix)) == 0) {
            if (vec_push(ev, key, &st) != 0)
                rc = tl_err_set(err, TL_ERR_NOMEM, "store fs: out of memory");
        }
        free(key);
        free(abs);
    }
    if (rc == 0 && errno != 0 && !de)
        rc = io_fail(err, "read directory", dirpath);
    closedir(d);
    free(dirpath);
    return rc;
}

static int cmp_entry(const void *a, const void *b) {
    return strcmp(((const tl_store_entry *)a)->key, ((const tl_store_entry *)b)->key);
}

static int fs_list(tl_store *s, const char *prefix, tl_store_entry **out, size_t *n, tl_err *err) {
    fs_store *fs = (fs_store *)s;
    *out = NULL;
    *n = 0;
    if (!prefix)
        prefix = "";
    if (prefix[0] == '/' || strstr(prefix, ".."))
        return tl_err_set(err, TL_ERR_INVALID, "store fs: bad list prefix '%s'", prefix);
    /* Start at the deepest directory the prefix names, not at the root. */
    char *start = strdup(prefix);
    if (!start)
        return tl_err_set(err, TL_ERR_NOMEM, "store fs: out of memory");
    char *slash = strrchr(start, '/');
    if (slash)
        *slash = '\0';
    else
        start[0] = '\0';
    entry_vec ev = {0};
    int rc = walk(fs, start, prefix, &ev, err);
    free(start);
    if (rc != 0) {
        tl_store_entries_free(ev.v, ev.n);
        return rc;
    }
    if (ev.n)
        qsort(ev.v, ev.n, sizeof *ev.v, cmp_entry);
    *out = ev.v;
    *n = ev.n;
    return 0;
}

static int fs_del(tl_store *s, const char *key, tl_err *err) {
    char *path = full_path(s, key, err);
    if (!path)
        return err ? err->code : TL_ERR_INVALID;
    int rc = 0;
    if (unlink(path) != 0 && errno != ENOENT && errno != ENOTDIR)
        rc = io_fail(err, "delete", path);
    free(path);
    return rc;
}

static char *fs_local_path(tl_store *s, const char *key) {
    if (check_key(key, NULL) != 0)
        return NULL;
    return join(((fs_store *)s)->root, key);
}

static void fs_destroy(tl_store *s) {
    fs_store *fs = (fs_store *)s;
    free(fs->root);
    free(fs->base.uri);
    free(fs);
}

static const tl_store_ops fs_ops = {
    .name = "fs",
    .put = fs_put,
    .put_file = fs_put_file,
    .put_if_absent = fs_put_if_absent,
    .get = fs_get,
    .get_file = fs_get_file,
    .head = fs_head,
    .list = fs_list,
    .del = fs_del,
    .local_path = fs_local_path,
    .destroy = fs_destroy,
};

tl_store *tl_store_fs_new(const char *root, tl_err *err) {
    if (!root || !*root) {
        tl_err_set(err, TL_ERR_INVALID, "store fs: root directory is empty");
        return NULL;
    }
    fs_store *fs = calloc(1, sizeof *fs);
    if (!fs || !(fs->root = strdup(root)) || !(fs->base.uri = strdup(root))) {
        tl_err_set(err, TL_ERR_NOMEM, "store fs: out of memory");
        goto fail;
    }
    /* "/data/lake/" and "/data/lake" are the same root. */
    for (size_t l = strlen(fs->root); l > 1 && fs->root[l - 1] == '/'; l--)
        fs->root[l - 1] = '\0';
    fs->base.ops = &fs_ops;
    char *probe = join(fs->root, "x");
    if (!probe || mkdir_parents(probe, err) != 0) {
        if (!probe)
            tl_err_set(err, TL_ERR_NOMEM, "store fs: out of memory");
        free(probe);
        goto fail;
    }
    free(probe);
    struct stat st;
    if (stat(fs->root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        tl_err_set(err, TL_ERR_INVALID, "store fs: root '%s' is not a directory", fs->root);
        goto fail;
    }
    return &fs->base;
fail:
    if (fs) {
        free(fs->root);
        free(fs->base.uri);
        free(fs);
    }
    return NULL;
}
