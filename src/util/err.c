#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A message longer than tl_err.msg keeps its start and says it was cut:
 * "...while committing version 7: cannot write s3://bucket/very/lo...". */
static void mark_cut(char *msg, size_t cap, int n) {
    if (n >= 0 && (size_t)n >= cap && cap > 4)
        memcpy(msg + cap - 4, "...", 4);
}

static int err_vset(tl_err *err, tl_err_code code, bool retriable, const char *fmt, va_list ap) {
    if (err) {
        err->code = code;
        err->retriable = retriable;
        mark_cut(err->msg, sizeof err->msg, vsnprintf(err->msg, sizeof err->msg, fmt, ap));
    }
    return code;
}

int tl_err_set(tl_err *err, tl_err_code code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = err_vset(err, code, false, fmt, ap);
    va_end(ap);
    return rc;
}

int tl_err_set_retriable(tl_err *err, tl_err_code code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = err_vset(err, code, true, fmt, ap);
    va_end(ap);
    return rc;
}

int tl_err_wrap(tl_err *err, int rc, const char *fmt, ...) {
    if (rc == 0 || !err)
        return rc;
    char prefix[256], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* a callee that returned a code without a message is described by the code */
    size_t n = strnlen(err->msg, sizeof err->msg - 1);
    if (n)
        snprintf(old, sizeof old, "%.*s", (int)n, err->msg);
    else
        snprintf(old, sizeof old, "%s", tl_err_code_name((tl_err_code)rc));
    err->code = (tl_err_code)rc;
    mark_cut(err->msg, sizeof err->msg, snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old));
    return rc;
}

void tl_err_clear(tl_err *err) {
    if (err) {
        err->code = TL_OK;
        err->retriable = false;
        err->msg[0] = '\0';
    }
}

const char *tl_err_code_name(tl_err_code code) {
    switch (code) {
    case TL_OK: return "ok";
    case TL_ERR_IO: return "io";
    case TL_ERR_INVALID: return "invalid";
    case TL_ERR_CONFLICT: return "conflict";
    case TL_ERR_NOT_FOUND: return "not_found";
    case TL_ERR_NOMEM: return "nomem";
    case TL_ERR_CORRUPT: return "corrupt";
    case TL_ERR_KAFKA: return "kafka";
    case TL_ERR_DUCKDB: return "duckdb";
    case TL_ERR_STOPPED: return "stopped";
    case TL_ERR_END: return "end";
    case TL_ERR_HELP: return "help";
    }
    return "unknown";
}
