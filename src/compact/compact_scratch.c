/* compact_scratch — removing the scratch folders of compactions that were
 * killed before they could clean up (".tl-tmp.compact-*": invisible to the
 * store's listings, so vacuum's orphan sweep cannot see them). */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compact/compact_int.h"
#include "store/store.h"

size_t tl_compact_sweep_scratch(const char *parent, int64_t older_than_ms, int64_t now_ms) {
    DIR *d = parent ? opendir(parent) : NULL;
    size_t n = 0;
    if (!d)
        return 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, COMPACT_SCRATCH, strlen(COMPACT_SCRATCH)) != 0)
            continue;
        char *p;
        struct stat sb;
        if (asprintf(&p, "%s/%s", parent, de->d_name) < 0)
            continue;
        /* the folder's mtime moves with every file written into it */
        if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode) &&
            (int64_t)sb.st_mtime * 1000 < now_ms - older_than_ms &&
            tl_store_fs_remove_flat_dir(p) == 0)
            n++;
        free(p);
    }
    closedir(d);
    return n;
}
