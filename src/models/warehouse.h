/* warehouse — building a new version of the warehouse file beside the
 * current one and swapping it in, so readers are never blocked:
 *   lock     flock on <file>.lock: one run at a time
 *   stage    copy <file> (and a leftover <file>.wal) to <file>.tmp-<pid>
 *   publish  fsync the staged copy, rename it over <file>
 *   discard  remove the staged copy after a fatal error */
#ifndef TL_MODELS_WAREHOUSE_H
#define TL_MODELS_WAREHOUSE_H

#include "util/err.h"

typedef struct tl_warehouse {
    char *path, *staged, *lock_path;
    int lock_fd;
} tl_warehouse;

int tl_warehouse_lock(tl_warehouse *w, const char *path, tl_err *err);
int tl_warehouse_stage(tl_warehouse *w, tl_err *err);
int tl_warehouse_publish(tl_warehouse *w, tl_err *err);
void tl_warehouse_discard(tl_warehouse *w);
/* Unlock and free (discarding a staged copy that was not published). */
void tl_warehouse_release(tl_warehouse *w);

#endif
