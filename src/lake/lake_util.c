/* lake_util — small pieces the log reader and writer share: path
 * encoding, log key names, time and UUIDs. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "lake/lake_internal.h"
#include "util/buf.h"

/* RFC 2396 path characters that stay literal: unreserved ("-_.!~*'()" and
 * alphanumerics) plus the pchar extras ";:@&=+$," and the separator '/'.
 * This is what Hadoop's Path.toUri (and so Spark's Delta writer) produces
 * for ASCII; everything else, '%' and non-ASCII bytes included, is %XX. */
static int path_char_literal(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c && strchr("-_.!~*'();:@&=+$,/", c) != NULL;
}

char *tl_lake_path_encode(const char *path) {
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(path);
    char *out = malloc(n * 3 + 1), *o = out;
    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (path_char_literal(*p)) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

/* '+' is not a space in a URI path (that is form encoding): kept as is. */
char *tl_lake_path_decode(const char *uri_path) {
    size_t n = strlen(uri_path);
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    for (const char *p = uri_path; *p; p++) {
        if (*p != '%') {
            *o++ = *p;
            continue;
        }
        int hi = tl_hex_value(p[1]), lo = hi < 0 ? -1 : tl_hex_value(p[2]);
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(out);
            errno = EINVAL; /* tells a bad escape from out of memory (ENOMEM) */
            return NULL;
        }
        *o++ = (char)(hi * 16 + lo);
        p += 2;
    }
    *o = '\0';
    return out;
}

int tl_lake_log_key(const char *table, int64_t version, char *out, size_t cap) {
    int n = snprintf(out, cap, "%s/" LAKE_LOG_DIR "/%020" PRId64 ".json", table, version);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int tl_lake_log_prefix(tl_buf *out, const char *table) {
    tl_buf_reset(out);
    return tl_buf_printf(out, "%s/" LAKE_LOG_DIR "/", table);
}

int64_t tl_lake_commit_name_version(const char *name) {
    int64_t v = 0;
    for (int i = 0; i < 20; i++) {
        if (name[i] < '0' || name[i] > '9')
            return -1;
        v = v * 10 + (name[i] - '0');
    }
    return strcmp(name + 20, ".json") == 0 ? v : -1;
}

int64_t tl_lake_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tl_lake_uuid(char out[37]) {
    unsigned char b[16];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t r = getrandom(b + got, sizeof b - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    if (got < sizeof b) { /* no entropy source: still unique enough per process */
        uint64_t x = (uint64_t)tl_lake_now_ms() ^ ((uint64_t)clock() << 32) ^ (uintptr_t)out;
        for (size_t i = got; i < sizeof b; i++, x = x * 6364136223846793005ULL + 1)
            b[i] = (unsigned char)(x >> 56);
    }
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80); /* RFC 4122 variant */
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}
