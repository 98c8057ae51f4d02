/* store — opening a store by URI and the backend-independent helpers. */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

tl_store *tl_store_open(const char *uri, tl_err *err) {
    if (!uri || !*uri) {
        tl_err_set(err, TL_ERR_INVALID, "store URI is empty");
        return NULL;
    }
    if (strncmp(uri, "s3://", 5) == 0) {
        /* store_s3.c plugs in here once it exists. */
        tl_err_set(err, TL_ERR_INVALID, "store URI '%s': S3 support is not built yet", uri);
        return NULL;
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
