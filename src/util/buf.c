#include "util/buf.h"

#include "util/utf8.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tl_buf_reserve(tl_buf *b, size_t extra) {
    if (b->failed)
        return -1; /* sticky: nothing lands after a piece that did not */
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int tl_buf_append(tl_buf *b, const void *p, size_t n) {
    if (tl_buf_reserve(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int tl_buf_puts(tl_buf *b, const char *s) {
    return tl_buf_append(b, s, strlen(s));
}

int tl_buf_printf(tl_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return -1;
    }
    if (tl_buf_reserve(b, (size_t)n) != 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int tl_buf_json_string(tl_buf *b, const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    if (tl_buf_reserve(b, n + 2) != 0)
        return -1;
    b->data[b->len++] = '"';
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        size_t sl;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            if (tl_buf_append(b, esc, 2))
                return -1;
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            if (tl_buf_printf(b, "\\u%04x", c))
                return -1;
            i++;
        } else if ((sl = tl_utf8_seq_len(p + i, n - i)) == 0) {
            if (tl_buf_printf(b, "\\u%04x", c))
                return -1; /* raw byte as U+00XX */
            i++;
        } else {
            if (tl_buf_append(b, p + i, sl))
                return -1;
            i += sl;
        }
    }
    return tl_buf_append(b, "\"", 1);
}

void tl_buf_reset(tl_buf *b) {
    b->len = 0;
    b->failed = 0;
    if (b->data)
        b->data[0] = '\0';
}

void tl_buf_free(tl_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

size_t tl_buf_copy_out(const tl_buf *b, char *dst, size_t cap) {
    if (cap > 0) {
        size_t n = b->len < cap - 1 ? b->len : cap - 1;
        if (n)
            memcpy(dst, b->data, n);
        dst[n] = '\0';
    }
    return b->len;
}
