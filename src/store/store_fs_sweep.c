/* store_fs_sweep — leftovers of killed writers on a local lake: staging
 * files (".tl-tmp.*": a put interrupted between write and rename; the
 * store's listings never show them, so vacuum's orphan sweep cannot) and
 * the per-process temp folders of streams under <lake>/_tmp. On S3 there is
 * nothing to sweep: an interrupted PUT leaves no object (abort incomplete
 * multipart uploads with a bucket lifecycle rule). */
#define _GNU_SOURCE /* nftw's FTW_ACTIONRETVAL */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"

#define STAGING_PREFIX ".tl-tmp."

static struct {
    int64_t cutoff_ms;
    size_t removed;
} sweep;

static bool older(const struct stat *sb, int64_t cutoff_ms) {
    return (int64_t)sb->st_mtime * 1000 < cutoff_ms;
}

static int on_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
    const char *base = path + ftw->base;
    if (type == FTW_F && strncmp(base, STAGING_PREFIX, strlen(STAGING_PREFIX)) == 0 &&
        older(sb, sweep.cutoff_ms) && unlink(path) == 0)
        sweep.removed++;
    return FTW_CONTINUE;
}

size_t tl_store_fs_sweep_staging(const char *dir, int64_t older_than_ms, int64_t now_ms) {
    /* nftw has no user pointer: the sweep is not reentrant, which the
     * commands that call it (vacuum, one table at a time) do not need */
    sweep.cutoff_ms = now_ms - older_than_ms;
    sweep.removed = 0;
    nftw(dir, on_entry, 16, FTW_PHYS | FTW_ACTIONRETVAL);
    return sweep.removed;
}

int tl_store_fs_remove_flat_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char *p;
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (asprintf(&p, "%s/%s", dir, de->d_name) >= 0) {
            unlink(p);
            free(p);
        }
    }
    closedir(d);
    return rmdir(dir);
}

/* "<host>-<pid>-XXXXXX" of a process on this host that no longer runs. */
static bool owner_gone(const char *name, const char *host) {
    size_t hl = strlen(host);
    if (strncmp(name, host, hl) != 0 || name[hl] != '-')
        return false;
    char *end;
    long pid = strtol(name + hl + 1, &end, 10);
    if (end == name + hl + 1 || *end != '-' || pid <= 0)
        return false;
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

size_t tl_store_fs_sweep_tmp_dirs(const char *tmp_base, int64_t older_than_ms, int64_t now_ms) {
    DIR *d = opendir(tmp_base);
    size_t n = 0;
    if (!d)
        return 0;
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char *p;
        struct stat sb;
        if (asprintf(&p, "%s/%s", tmp_base, de->d_name) < 0)
            continue;
        /* a dead local owner's folder goes at once; another host's only
         * once untouched for the age (its writer may still be working) */
        if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode) &&
            (owner_gone(de->d_name, host) || older(&sb, now_ms - older_than_ms)) &&
            tl_store_fs_remove_flat_dir(p) == 0)
            n++;
        free(p);
    }
    closedir(d);
    return n;
}
