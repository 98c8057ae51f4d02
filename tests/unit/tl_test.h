/* Helpers shared by the unit tests: a temp folder with a store on it, and
 * its removal. Header-only, so each test program stays one file. */
#ifndef TL_TESTS_TL_TEST_H
#define TL_TESTS_TL_TEST_H

#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"

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
    char cmd[300];
    tl_store_destroy(s);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
