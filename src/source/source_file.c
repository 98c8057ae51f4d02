/* JSONL input (a backfill file or stdin): one message per line, the line
 * number as offset, partition -1. Reads in large blocks and hands out lines
 * in place, without copying them. Blank lines are not messages and are
 * skipped; a final line without a newline is one. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "source/source.h"

#define BLOCK (1 << 20)
#define FILL_INTERRUPTED (-1000) /* not a tl_err_code */

typedef struct file_source {
    tl_source base;
    int fd;
    bool own_fd, eof;
    char *path;
    char *buf;
    size_t cap, start, end; /* unread bytes: buf[start..end) */
    int64_t line;
    size_t max_line; /* a longer line is cut here: the codec rejects it as too_large */
    bool skipping;   /* dropping the rest of a line that was cut */
    bool mapped;     /* buf is the whole file, mmap'ed: no read copies */
    /* Not a regular file (stdin, a pipe, a named FIFO, a socket): a read may
     * wait for the writer as long as it likes, so poll first and let the
     * stream flush and commit meanwhile. (A named FIFO opened by path once
     * blocked in read() with written batches left uncommitted.) */
    bool may_stall;
} file_source;

void tl_source_file_id(const char *path, char *out, size_t cap) {
    if (strcmp(path, "-") == 0) {
        struct timeval tv;
        gettimeofday(&tv, NULL);
        snprintf(out, cap, "stdin-%lld", (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000);
        return;
    }
    char abs[PATH_MAX];
    if (!realpath(path, abs))
        snprintf(abs, sizeof abs, "%s", path);
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)abs; *p; p++)
        h = (h ^ *p) * 16777619u;
    const char *base = strrchr(abs, '/');
    base = base ? base + 1 : abs;
    size_t n = 0;
    char name[64];
    for (const char *p = base; *p && n < sizeof name - 1; p++) /* keep file names tame */
        name[n++] = (isalnum((unsigned char)*p) || *p == '.' || *p == '_') ? *p : '_';
    name[n] = '\0';
    snprintf(out, cap, "%s-%08x", name, h);
}

/* Read more bytes, moving the unread tail to the front first. 0 at EOF. */
static ssize_t fill(file_source *f, tl_err *err) {
    if (f->start > 0) {
        memmove(f->buf, f->buf + f->start, f->end - f->start);
        f->end -= f->start;
        f->start = 0;
    }
    if (f->end == f->cap) { /* a line longer than the buffer: grow */
        char *nb = realloc(f->buf, f->cap * 2);
        if (!nb)
            return tl_err_set(err, TL_ERR_NOMEM, "out of memory reading %s", f->path);
        f->buf = nb;
        f->cap *= 2;
    }
    for (;;) {
        ssize_t n = read(f->fd, f->buf + f->end, f->cap - f->end);
        if (n >= 0) {
            f->end += (size_t)n;
            return n;
        }
        if (errno == EINTR && f->may_stall)
            return FILL_INTERRUPTED; /* a signal on a pipe: the caller checks for stop */
        if (errno != EINTR)
            return tl_err_set(err, TL_ERR_IO, "cannot read %s: %s", f->path, strerror(errno));
    }
}

static bool blank(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return false;
    return true;
}

static int file_read(tl_source *src, tl_source_msg *out, size_t max, int timeout_ms, tl_err *err) {
    file_source *f = (file_source *)src;
    size_t n = 0;
    for (;;) {
        while (n < max && f->start < f->end) {
            char *p = f->buf + f->start;
            char *nl = memchr(p, '\n', f->end - f->start);
            if (f->skipping) { /* the tail of a cut line: already dead-lettered */
                f->start = nl ? (size_t)(nl - f->buf) + 1 : f->end;
                f->skipping = !nl;
                continue;
            }
            if (!nl && !f->eof && f->end - f->start <= f->max_line)
                break; /* incomplete line: read more */
            size_t len = nl ? (size_t)(nl - p) : f->end - f->start;
            if (len > f->max_line) { /* bounded memory whatever the input */
                len = f->max_line + 1;
                f->start += len;
                f->skipping = !nl || (size_t)(nl - p) >= len;
                f->line++;
                out[n++] = (tl_source_msg){-1, f->line, p, len};
                continue;
            }
            f->start += len + (nl ? 1 : 0);
            f->line++;
            if (len && p[len - 1] == '\r')
                len--;
            if (blank(p, len))
                continue;
            out[n++] = (tl_source_msg){-1, f->line, p, len};
        }
        if (n > 0)
            return (int)n;
        if (f->eof)
            return TL_ERR_END;
        if (f->may_stall) { /* a pipe may stay quiet: let the stream flush meanwhile */
            struct pollfd pfd = {f->fd, POLLIN, 0};
            int ready = poll(&pfd, 1, timeout_ms);
            if (ready == 0 || (ready < 0 && errno == EINTR))
                return 0; /* quiet, or a signal: back to the loop, which checks for stop */
        }
        ssize_t got = fill(f, err);
        if (got == FILL_INTERRUPTED)
            return 0;
        if (got < 0)
            return (int)got;
        if (got == 0)
            f->eof = true;
    }
}

static void file_release(tl_source *src) {
    (void)src;
}
static void file_committed(tl_source *src, int32_t p, int64_t last) {
    (void)src, (void)p, (void)last; /* the lake's txn is the only record */
}
static void file_close(tl_source *src) {
    (void)src;
}

static void file_destroy(tl_source *src) {
    file_source *f = (file_source *)src;
    if (f->own_fd && f->fd >= 0)
        close(f->fd);
    if (f->mapped)
        munmap(f->buf, f->cap);
    else
        free(f->buf);
    free(f->path);
    free(f);
}

/* A regular file is mapped whole: lines are handed out in place and the
 * kernel pages it in, without copying every byte through read(). */
static void try_map(file_source *f) {
    struct stat st;
    if (fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0)
        return;
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, f->fd, 0);
    if (m == MAP_FAILED)
        return; /* fall back to read() */
    madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
    free(f->buf);
    f->buf = m;
    f->cap = f->end = (size_t)st.st_size;
    f->eof = true; /* everything is in the buffer already */
    f->mapped = true;
}

static const tl_source_ops file_ops = {"file",         file_read,  file_release,
                                       file_committed, file_close, file_destroy};

tl_source *tl_source_file_new(const char *path, size_t max_line, tl_err *err) {
    file_source *f = calloc(1, sizeof *f);
    if (!f || !(f->buf = malloc(BLOCK)) || !(f->path = strdup(path))) {
        tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        goto fail;
    }
    f->base = (tl_source){&file_ops};
    f->cap = BLOCK;
    f->max_line = max_line ? max_line : SIZE_MAX / 4;
    if (strcmp(path, "-") == 0) {
        f->fd = STDIN_FILENO;
    } else if ((f->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        tl_err_set(err, TL_ERR_IO, "cannot open %s: %s", path, strerror(errno));
        goto fail;
    } else {
        f->own_fd = true;
        try_map(f);
    }
    struct stat st;
    f->may_stall = fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode);
    return &f->base;
fail:
    if (f) {
        free(f->buf);
        free(f->path);
        free(f);
    }
    return NULL;
}
