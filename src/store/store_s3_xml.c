/* store_s3_xml — just enough XML for S3's answers: find an element by
 * name, decode its text, escape ours. S3 documents are flat, generated and
 * namespace-free in their element names, so a tag scanner suffices; no
 * general XML parser is needed (nor linked). Dates live here too. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_s3_int.h"
#include "util/rfc3339.h"

/* The next "<tag>" or "<tag attr...>" or "<tag/>" in [p, end). */
static const char *find_open(const char *p, const char *end, const char *tag, bool *empty) {
    size_t n = strlen(tag);
    while (p < end && (p = memchr(p, '<', (size_t)(end - p)))) {
        const char *q = p + 1;
        if ((size_t)(end - q) > n && memcmp(q, tag, n) == 0 &&
            (q[n] == '>' || q[n] == ' ' || q[n] == '/')) {
            const char *gt = memchr(q, '>', (size_t)(end - q));
            if (!gt)
                return NULL;
            *empty = gt[-1] == '/';
            return gt + 1;
        }
        p = q;
    }
    return NULL;
}

int tl_store_s3_xml_find(const char *p, const char *end, const char *tag, const char **in_start,
                         const char **in_end) {
    bool empty = false;
    const char *s = p ? find_open(p, end, tag, &empty) : NULL;
    if (!s)
        return -1;
    if (empty) {
        *in_start = *in_end = s;
        return 0;
    }
    char close[80];
    int cn = snprintf(close, sizeof close, "</%s>", tag);
    const char *e = memmem(s, (size_t)(end - s), close, (size_t)cn);
    if (!e)
        return -1;
    *in_start = s;
    *in_end = e;
    return 0;
}

static size_t put_utf8(char *o, unsigned long cp) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decode entities of [s, e) into a new string (never longer than the input). */
static char *decode(const char *s, const char *e) {
    char *out = malloc((size_t)(e - s) + 1), *o = out;
    if (!out)
        return NULL;
    static const struct {
        const char *name;
        char c;
    } ents[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
    while (s < e) {
        if (*s != '&') {
            *o++ = *s++;
            continue;
        }
        const char *semi = memchr(s, ';', (size_t)(e - s));
        size_t matched = 0;
        for (size_t i = 0; !matched && i < sizeof ents / sizeof ents[0]; i++) {
            size_t n = strlen(ents[i].name);
            if ((size_t)(e - s - 1) >= n && memcmp(s + 1, ents[i].name, n) == 0) {
                *o++ = ents[i].c;
                matched = n + 1;
            }
        }
        if (!matched && semi && s[1] == '#' && semi - s < 12) {
            char *endp;
            unsigned long cp = s[2] == 'x' ? strtoul(s + 3, &endp, 16) : strtoul(s + 2, &endp, 10);
            if (endp == semi && cp > 0 && cp <= 0x10FFFF && (size_t)(semi + 1 - s) >= 4) {
                o += put_utf8(o, cp); /* at most 4 bytes from at least 4 input bytes */
                matched = (size_t)(semi + 1 - s);
            }
        }
        if (!matched) {
            *o++ = *s;
            matched = 1;
        }
        s += matched;
    }
    *o = '\0';
    return out;
}

char *tl_store_s3_xml_get(const char *p, const char *end, const char *tag, const char **next) {
    const char *a, *b;
    if (tl_store_s3_xml_find(p, end, tag, &a, &b) != 0)
        return NULL;
    if (next)
        *next = b;
    return decode(a, b);
}

static void get_into(const char *p, const char *end, const char *tag, char *out, size_t cap) {
    char *v = tl_store_s3_xml_get(p, end, tag, NULL);
    snprintf(out, cap, "%s", v ? v : "");
    free(v);
}

void tl_store_s3_xml_error(const char *xml, size_t len, char *code, size_t ccap, char *msg,
                           size_t mcap, char *rid, size_t rcap) {
    code[0] = msg[0] = rid[0] = '\0';
    if (!xml || !len)
        return;
    const char *a, *b;
    if (tl_store_s3_xml_find(xml, xml + len, "Error", &a, &b) != 0)
        return;
    get_into(a, b, "Code", code, ccap);
    get_into(a, b, "Message", msg, mcap);
    get_into(a, b, "RequestId", rid, rcap);
}

int tl_store_s3_xml_escape(tl_buf *b, const char *s) {
    for (; *s; s++) {
        const char *r = NULL;
        switch (*s) {
        case '&': r = "&amp;"; break;
        case '<': r = "&lt;"; break;
        case '>': r = "&gt;"; break;
        case '"': r = "&quot;"; break;
        case '\'': r = "&apos;"; break;
        case '\r': r = "&#13;"; break;
        }
        if (r ? tl_buf_puts(b, r) : tl_buf_append(b, s, 1))
            return -1;
    }
    return 0;
}

int64_t tl_store_s3_parse_iso8601_ms(const char *s) {
    int64_t us;
    if (!s || tl_rfc3339_parse(s, strlen(s), &us) != 0)
        return -1;
    return us >= 0 ? us / 1000 : -((-us + 999) / 1000); /* floor to the millisecond */
}

int64_t tl_store_s3_parse_http_date_ms(const char *s) {
    struct tm tm = {0};
    const char *rest = s ? strptime(s, "%a, %d %b %Y %H:%M:%S", &tm) : NULL;
    if (!rest)
        return -1;
    return (int64_t)timegm(&tm) * 1000;
}
