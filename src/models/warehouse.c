#include "models/warehouse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "models/project_int.h"
#include "util/log.h"

/* Create the folders above path (the default warehouse lives in the lake's
 * _ticklake/ or a state folder that may not exist yet). */
static int mkdir_parents(const char *path, tl_err *err) {
    char *dir = strdup(path);
    int rc = 0;
    if (!dir)
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    for (char *p = dir + 1; *p && rc == 0; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0777) != 0 && errno != EEXIST)
            rc = tl_err_set(err, TL_ERR_IO, "%s: cannot create the folder: %m", dir);
        *p = '/';
    }
    free(dir);
    return rc;
}

int tl_warehouse_lock(tl_warehouse *w, const char *path, tl_err *err) {
    memset(w, 0, sizeof *w);
    w->lock_fd = -1;
    if (!(w->path = strdup(path)) || !(w->lock_path = tl_strdup_printf("%s.lock", path)) ||
        !(w->staged = tl_strdup_printf("%s.tmp-%ld", path, (long)getpid())))
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    if (mkdir_parents(path, err) != 0)
        return err->code;
    w->lock_fd = open(w->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (w->lock_fd < 0)
        return tl_err_set(err, TL_ERR_IO, "%s: cannot open: %m", w->lock_path);
    if (flock(w->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK)
            return tl_err_set(err, TL_ERR_IO, "%s: cannot lock: %m", w->lock_path);
        tl_info("models", "another models run holds %s; waiting", w->lock_path);
        if (flock(w->lock_fd, LOCK_EX) != 0)
            return tl_err_set(err, TL_ERR_IO, "%s: cannot lock: %m", w->lock_path);
    }
    return 0;
}

/* Copy src to dst (created, truncated); 0, 1 when src does not exist. */
static int copy_file(const char *src, const char *dst, tl_err *err) {
    int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, rc = 0;
    char buf[1 << 16];
    ssize_t n;
    if (in < 0)
        return errno == ENOENT ? 1 : tl_err_set(err, TL_ERR_IO, "%s: cannot open: %m", src);
    out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (out < 0) {
        rc = tl_err_set(err, TL_ERR_IO, "%s: cannot create: %m", dst);
        goto out;
    }
    while ((n = read(in, buf, sizeof buf)) > 0) {
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0) {
                rc = tl_err_set(err, TL_ERR_IO, "%s: write failed: %m", dst);
                goto out;
            }
            off += w;
        }
    }
    if (n < 0)
        rc = tl_err_set(err, TL_ERR_IO, "%s: read failed: %m", src);
out:
    if (out >= 0 && close(out) != 0 && rc == 0)
        rc = tl_err_set(err, TL_ERR_IO, "%s: write failed: %m", dst);
    close(in);
    return rc;
}

int tl_warehouse_stage(tl_warehouse *w, tl_err *err) {
    char *wal = tl_strdup_printf("%s.wal", w->path);
    char *staged_wal = tl_strdup_printf("%s.wal", w->staged);
    int rc = 0;
    if (!wal || !staged_wal) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        goto out;
    }
    tl_warehouse_discard(w);
    rc = copy_file(w->path, w->staged, err);
    if (rc == 1) { /* no warehouse yet: DuckDB creates the staged file */
        rc = 0;
        goto out;
    }
    /* a WAL left by a writer that did not shut down belongs with its file */
    if (rc == 0 && (rc = copy_file(wal, staged_wal, err)) == 1)
        rc = 0; /* no WAL */
out:
    free(wal);
    free(staged_wal);
    return rc;
}

int tl_warehouse_publish(tl_warehouse *w, tl_err *err) {
    int fd = open(w->staged, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        errno = e;
        return tl_err_set(err, TL_ERR_IO, "%s: cannot sync: %m", w->staged);
    }
    close(fd);
    char *staged_wal = tl_strdup_printf("%s.wal", w->staged);
    char *wal = tl_strdup_printf("%s.wal", w->path);
    struct stat st;
    int rc = 0;
    if (!wal || !staged_wal)
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    else if (stat(staged_wal, &st) == 0) /* the build was checkpointed: there is none */
        rc = tl_err_set(err, TL_ERR_IO, "%s: still has a WAL after checkpoint", w->staged);
    else {
        /* A WAL of the old file was folded into the copy; left behind, it
         * would be replayed onto the new file. */
        unlink(wal);
        if (rename(w->staged, w->path) != 0)
            rc = tl_err_set(err, TL_ERR_IO, "renaming %s to %s: %m", w->staged, w->path);
    }
    free(wal);
    free(staged_wal);
    return rc;
}

void tl_warehouse_discard(tl_warehouse *w) {
    if (!w->staged)
        return;
    char *wal = tl_strdup_printf("%s.wal", w->staged);
    unlink(w->staged);
    if (wal)
        unlink(wal);
    free(wal);
}

void tl_warehouse_release(tl_warehouse *w) {
    tl_warehouse_discard(w);
    if (w->lock_fd >= 0)
        close(w->lock_fd); /* releases the flock */
    free(w->path);
    free(w->staged);
    free(w->lock_path);
    memset(w, 0, sizeof *w);
    w->lock_fd = -1;
}
