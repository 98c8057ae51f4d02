/* A growable byte buffer (Redis's sds, much smaller). Always NUL-terminated.
 *
 * Out of memory is sticky: once an append fails, every later append fails
 * too (until tl_buf_reset or tl_buf_free), so a builder may append a whole
 * text and check once, with tl_buf_failed, before using it. A text is thus
 * never used with a piece missing from its middle (an SQL file list without
 * one file, a JSON answer without a field). */
#ifndef TL_UTIL_BUF_H
#define TL_UTIL_BUF_H

#include <stddef.h>

typedef struct tl_buf {
    char *data;
    size_t len, cap;
    int failed; /* an append ran out of memory since the last reset */
} tl_buf;

#define TL_BUF_INIT                                                                                \
    { NULL, 0, 0, 0 }

int tl_buf_reserve(tl_buf *b, size_t extra); /* 0 ok, -1 out of memory */
int tl_buf_append(tl_buf *b, const void *p, size_t n);
int tl_buf_puts(tl_buf *b, const char *s);
int tl_buf_printf(tl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append s as a JSON string literal, quotes included; bytes that are not valid
 * UTF-8 are written as \u00XX so the output is always valid JSON. */
int tl_buf_json_string(tl_buf *b, const char *s, size_t n);
/* Empty b (keeping its memory) and forget a failed append. */
void tl_buf_reset(tl_buf *b);
/* The bytes of b into dst like snprintf: at most cap - 1 of them and a NUL
 * (nothing when cap is 0); returns b->len, the length it needs. */
size_t tl_buf_copy_out(const tl_buf *b, char *dst, size_t cap);
/* -1 when an append failed since the last reset or free, else 0. */
static inline int tl_buf_failed(const tl_buf *b) {
    return b->failed ? -1 : 0;
}

/* The value of one hex digit, or -1 (percent-decoding of paths and URLs). */
static inline int tl_hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
void tl_buf_free(tl_buf *b);

#endif
