#include "util/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tl_buf_reserve(tl_buf *b, size_t extra) {
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -1;
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
    if (n < 0 || tl_buf_reserve(b, (size_t)n) != 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *p, size_t n) {
    unsigned char c = p[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if ((c & 0xE0) == 0xC0) {
        len = 2;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        cp = c & 0x07;
    } else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    static const uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
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
        } else if ((sl = utf8_seq_len(p + i, n - i)) == 0) {
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
    if (b->data)
        b->data[0] = '\0';
}

void tl_buf_free(tl_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
