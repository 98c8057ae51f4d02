/* Errors as values: a code, a human message naming the input and the place,
 * and whether a retry can help (librdkafka's rd_kafka_error_t in spirit).
 *
 * Functions that can fail take a `tl_err *err` (may be NULL) and return
 * 0 on success or a negative tl_err_code. */
#ifndef TL_UTIL_ERR_H
#define TL_UTIL_ERR_H

#include <stdbool.h>

typedef enum {
    TL_OK = 0,
    TL_ERR_IO = -1,        /* file or network I/O failed */
    TL_ERR_INVALID = -2,   /* bad input or argument */
    TL_ERR_CONFLICT = -3,  /* put-if-absent lost a race; re-read and retry */
    TL_ERR_NOT_FOUND = -4, /* object or key does not exist */
    TL_ERR_NOMEM = -5,
    TL_ERR_CORRUPT = -6, /* data on disk does not parse */
    TL_ERR_KAFKA = -7,
    TL_ERR_DUCKDB = -8,
    TL_ERR_STOPPED = -9, /* interrupted by a signal / shutdown request */
    TL_ERR_END = -10,    /* the input is exhausted (end of file, --until-end): not a failure */
    TL_ERR_HELP = -11,   /* --help was printed: exit 0 without running; not a failure */
} tl_err_code;

typedef struct tl_err {
    tl_err_code code;
    bool retriable;
    char msg[512];
} tl_err;

/* Set err (if non-NULL) and return code, so `return tl_err_set(err, ...)` works. */
int tl_err_set(tl_err *err, tl_err_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int tl_err_set_retriable(tl_err *err, tl_err_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Add context to a failure a callee reported: rc is what the callee returned
 * and what this returns, err or no err, so the cause's code (a conflict, an
 * out of memory) reaches the caller unchanged: `return tl_err_wrap(err, rc,
 * "committing to %s", table);`. The message becomes "<context>: <callee's
 * message>" (or "<context>: <code name>" when the callee left none); err->code
 * is set to rc and retriable is kept. rc 0 returns 0 and touches nothing. */
int tl_err_wrap(tl_err *err, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void tl_err_clear(tl_err *err);
const char *tl_err_code_name(tl_err_code code);

#endif
