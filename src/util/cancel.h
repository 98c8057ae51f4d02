/* cancel — cooperative cancellation of long library calls (a scheduled
 * compaction, models run or vacuum that outlived its timeout, or whose
 * lease another scheduler took over).
 *
 * The caller hands a tl_cancel to the call; the call asks it at safe
 * points only — before a commit, before publishing a warehouse, between
 * models, between deletions — and on a yes undoes its uncommitted work and
 * returns TL_ERR_STOPPED. So a cancelled run leaves every commit it made
 * whole and makes none half: work between two safe points (one partition's
 * sort, one model's SQL) is not interrupted. */
#ifndef TL_UTIL_CANCEL_H
#define TL_UTIL_CANCEL_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

typedef struct tl_cancel {
    /* true = stop now; why (cap bytes) says why ("timed out after 30 s").
     * May do work itself (the scheduler renews its lease here). */
    bool (*requested)(void *ud, char *why, size_t cap);
    void *ud;
} tl_cancel;

/* 0, or TL_ERR_STOPPED with "<what>: cancelled: <why>" in err. c may be NULL. */
static inline int tl_cancel_check(const tl_cancel *c, const char *what, tl_err *err) {
    char why[256] = "";
    if (!c || !c->requested || !c->requested(c->ud, why, sizeof why))
        return 0;
    return tl_err_set(err, TL_ERR_STOPPED, "%s: cancelled: %s", what, why[0] ? why : "requested");
}

#endif
