/* tl_tick_format: a tick as one JSON object that tl_tick_parse accepts back.
 * Written by hand into the caller's buffer (no allocation), snprintf-style. */
#include "tick/tick.h"

#include <string.h>

typedef struct out {
    char *buf;
    size_t cap, len; /* len counts every byte, also those past cap */
} out;

static void put(out *o, const char *s, size_t n) {
    if (o->len < o->cap) {
        size_t room = o->cap - o->len;
        memcpy(o->buf + o->len, s, n < room ? n : room);
    }
    o->len += n;
}

static void put_str(out *o, const char *s) {
    put(o, s, strlen(s));
}

static void put_int(out *o, int64_t v) {
    char tmp[24], *end = tmp + sizeof tmp, *p = end;
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + mag % 10);
        mag /= 10;
    } while (mag);
    if (v < 0)
        *--p = '-';
    put(o, p, (size_t)(end - p));
}

static void put_decimal(out *o, int64_t micros) {
    char tmp[32];
    put(o, tmp, tl_decimal_format(micros, tmp, sizeof tmp));
}

/* A JSON string: quotes, backslashes and control bytes escaped; other bytes
 * (UTF-8, as the parser guarantees) pass through. */
static void put_json_string(out *o, const char *s) {
    static const char hex[] = "0123456789abcdef";
    put(o, "\"", 1);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\') {
            char esc[2] = {'\\', (char)*c};
            put(o, esc, 2);
        } else if (*c < 0x20 || *c == 0x7f) {
            char esc[6] = {'\\', 'u', '0', '0', hex[*c >> 4], hex[*c & 15]};
            put(o, esc, 6);
        } else {
            put(o, (const char *)c, 1);
        }
    }
    put(o, "\"", 1);
}

size_t tl_tick_format(const tl_tick *t, char *buf, size_t cap) {
    out o = {buf, cap ? cap - 1 : 0, 0};
    char ts[40];
    put_str(&o, "{\"symbol\":");
    put_json_string(&o, t->symbol);
    put_str(&o, ",\"ts\":\"");
    put(&o, ts, tl_rfc3339_format(t->ts_us, ts, sizeof ts));
    put_str(&o, "\",\"price\":");
    put_decimal(&o, t->price);
    if (t->has & TL_TICK_HAS_SIZE) {
        put_str(&o, ",\"size\":");
        put_int(&o, t->size);
    }
    if (t->has & TL_TICK_HAS_BID) {
        put_str(&o, ",\"bid\":");
        put_decimal(&o, t->bid);
    }
    if (t->has & TL_TICK_HAS_ASK) {
        put_str(&o, ",\"ask\":");
        put_decimal(&o, t->ask);
    }
    if (t->has & TL_TICK_HAS_EXCHANGE) {
        put_str(&o, ",\"exchange\":");
        put_json_string(&o, t->exchange);
    }
    if (t->has & TL_TICK_HAS_SEQ) {
        put_str(&o, ",\"seq\":");
        put_int(&o, t->seq);
    }
    put(&o, "}", 1);
    if (cap > 0)
        buf[o.len < cap - 1 ? o.len : cap - 1] = '\0';
    return o.len;
}
