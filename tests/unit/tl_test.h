/* Helpers shared by the unit tests: files under a temp folder, a store on
 * one, and their removal. Header-only, so each test program stays one file. */
#ifndef TL_TESTS_TL_TEST_H
#define TL_TESTS_TL_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store.h"

/* rm -rf dir. 0 ok. */
static inline int tl_test_rm_tree(const char *dir) {
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Write dir/rel, creating the folders in between. 0 ok, -1 on failure. */
static inline int tl_test_write_file(const char *dir, const char *rel, const char *text) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    for (char *s = strchr(path + strlen(dir) + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(path, 0777);
        *s = '/';
    }
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int rc = fputs(text, f) < 0 ? -1 : 0;
    return fclose(f) == 0 ? rc : -1;
}

/* mkdtemp /tmp/tl-<tag>-XXXXXX into root and open a store on it. 0 ok. */
static inline int tl_test_store(char *root, size_t cap, const char *tag, tl_store **out) {
    snprintf(root, cap, "/tmp/tl-%s-XXXXXX", tag);
    if (!mkdtemp(root))
        return -1;
    tl_err err = {0};
    *out = tl_store_open(root, &err);
    return *out ? 0 : -1;
}

/* Destroy the store and remove its folder. 0 ok. */
static inline int tl_test_store_free(char *root, tl_store *s) {
    tl_store_destroy(s);
    return tl_test_rm_tree(root);
}

#endif
