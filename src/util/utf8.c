#include "util/utf8.h"

#include <stdint.h>

size_t tl_utf8_seq_len(const unsigned char *p, size_t n) {
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

bool tl_utf8_valid(const void *s, size_t n) {
    const unsigned char *p = s;
    size_t i = 0, sl;
    while (i < n) {
        if (p[i] < 0x80) { /* the common case: ASCII, one byte at a time */
            i++;
            continue;
        }
        if ((sl = tl_utf8_seq_len(p + i, n - i)) == 0)
            return false;
        i += sl;
    }
    return true;
}
