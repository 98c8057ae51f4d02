/* The fast path for the common tick record (see tick_fast.h): one forward
 * pass over the bytes, no allocation, no callbacks. Every helper returns
 * the position after what it read, or NULL for "not mine"; the caller then
 * hands the record to the yajl parser, which defines every outcome. So a
 * check here may be narrower than the rule it stands for (it declines
 * more), never wider. */
#include "tick/tick_fast.h"

#include <stdint.h>
#include <string.h>

#include "util/utf8.h"

typedef const unsigned char *pos;

enum { K_SYMBOL, K_TS, K_PRICE, K_SIZE, K_BID, K_ASK, K_EXCHANGE, K_SEQ, K_NONE };

#define MONEY_INT_DIGITS 12 /* DECIMAL(18,6): 12 digits before the point */
#define MONEY_FRAC_DIGITS 6
#define COUNT_DIGITS 18 /* 18 digits always fit int64; 19 go to yajl */

static bool is_digit(unsigned char c) {
    return c >= '0' && c <= '9';
}

/* JSON's four whitespace bytes only; yajl takes a few more, which then
 * simply go to yajl. Every token boundary passes here, so the usual case
 * (no whitespace) costs one comparison. */
static pos skip_ws(pos s, pos end) {
    while (s < end && *s <= ' ' && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t'))
        s++;
    return s;
}

/* The key at s (its opening quote), if it is a built-in one: compared
 * whole, quotes included, against the text it must be, so "pricey",
 * "Price" and "pr\u0069ce" are K_NONE. *klen: its length with the quotes. */
static int key_at(pos s, size_t avail, size_t *klen) {
#define KEY(lit, id)                                                                               \
    (avail >= sizeof lit - 1 && memcmp(s, lit, sizeof lit - 1) == 0                                \
         ? (*klen = sizeof lit - 1, (id))                                                          \
         : K_NONE)
    if (avail < 4 || s[0] != '"') /* 4: the shortest, "ts" */
        return K_NONE;
    switch (s[1]) {
    case 's':
        return s[2] == 'y'   ? KEY("\"symbol\"", K_SYMBOL)
               : s[2] == 'i' ? KEY("\"size\"", K_SIZE)
                             : KEY("\"seq\"", K_SEQ);
    case 't': return KEY("\"ts\"", K_TS);
    case 'p': return KEY("\"price\"", K_PRICE);
    case 'b': return KEY("\"bid\"", K_BID);
    case 'a': return KEY("\"ask\"", K_ASK);
    case 'e': return KEY("\"exchange\"", K_EXCHANGE);
    default: return K_NONE;
    }
#undef KEY
}

/* "key" then ':' (s at the opening quote); anything but a built-in key
 * (an escape, UTF-8, an unknown key) is not mine. */
static pos scan_key(pos s, pos end, int *id) {
    size_t klen = 0;
    if ((*id = key_at(s, (size_t)(end - s), &klen)) == K_NONE)
        return NULL;
    s = skip_ws(s + klen, end);
    return s < end && *s == ':' ? skip_ws(s + 1, end) : NULL;
}

/* A byte a string holds as it is: printable ASCII but the quote and the
 * backslash. */
static bool plain_byte(unsigned char c) {
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* The top bit of each byte of w (little-endian: the first byte lowest)
 * that is not plain_byte. The terms: the classic "has a zero byte" test on
 * w xor '"' and w xor '\\', "below 0x20", and the byte's own top bit
 * (UTF-8). A term may also flag bytes above its first true hit (borrows),
 * never below one, so the lowest bit set marks exactly the first byte that
 * is not plain. */
static uint64_t non_plain(uint64_t w) {
    uint64_t q = w ^ (ONES * '"'), b = w ^ (ONES * '\\');
    return (((q - ONES) & ~q) | ((b - ONES) & ~b) | ((w - ONES * 0x20) & ~w) | w) & HIGHS;
}
#endif

/* The first byte at or after s that is not plain_byte, or end: eight
 * bytes at a time where the machine allows. */
static pos skip_plain(pos s, pos end) {
#ifdef ONES
    while (end - s >= 8) {
        uint64_t w;
        memcpy(&w, s, sizeof w);
        uint64_t m = non_plain(w);
        if (m)
            return s + __builtin_ctzll(m) / 8;
        s += 8;
    }
#endif
    while (s < end && plain_byte(*s))
        s++;
    return s;
}

/* A string without escapes or control bytes, strict UTF-8 (s at the
 * opening quote); its bytes in *str, *n. */
static pos scan_string(pos s, pos end, pos *str, size_t *n) {
    if (s >= end || *s != '"')
        return NULL;
    pos b = ++s;
    for (;;) {
        s = skip_plain(s, end);
        if (s >= end)
            return NULL;
        if (*s == '"') {
            *str = b;
            *n = (size_t)(s - b);
            return s + 1;
        }
        if (*s < 0x80)
            return NULL; /* a backslash (an escape) or a control byte */
        size_t k = tl_utf8_seq_len(s, (size_t)(end - s));
        if (k == 0)
            return NULL;
        s += k;
    }
}

/* A non-negative JSON integer of at most 18 digits: 0|[1-9][0-9]*. A
 * fraction or exponent after it ends the value where the caller expects
 * ',' or '}', so those are not mine either. */
static pos scan_count(pos s, pos end, int64_t *out) {
    if (s >= end || !is_digit(*s))
        return NULL;
    if (*s == '0') {
        *out = 0;
        return s + 1 < end && is_digit(s[1]) ? NULL : s + 1; /* "01" is not JSON */
    }
    pos b = s;
    int64_t v = 0;
    while (s < end && is_digit(*s)) {
        if (s - b == COUNT_DIGITS)
            return NULL;
        v = v * 10 + (*s++ - '0');
    }
    *out = v;
    return s;
}

/* price, bid, ask: a positive number, at most 12 integer digits and 6
 * decimals (so within DECIMAL(18,6)), straight into micro-units. */
static pos scan_money(pos s, pos end, int64_t *out) {
    static const int64_t scale[MONEY_FRAC_DIGITS + 1] = {1000000, 100000, 10000, 1000, 100, 10, 1};
    int64_t v = 0;
    if (s >= end || !is_digit(*s))
        return NULL;
    if (*s == '0') {
        if (++s < end && is_digit(*s))
            return NULL;
    } else {
        pos b = s;
        while (s < end && is_digit(*s)) {
            if (s - b == MONEY_INT_DIGITS)
                return NULL;
            v = v * 10 + (*s++ - '0');
        }
    }
    int frac = 0;
    if (s < end && *s == '.') {
        for (s++; s < end && is_digit(*s); s++) {
            if (frac == MONEY_FRAC_DIGITS)
                return NULL; /* "1.0000000" is exact, but yajl's path says so */
            v = v * 10 + (*s - '0');
            frac++;
        }
        if (frac == 0)
            return NULL;
    }
    v *= scale[frac];
    if (v <= 0)
        return NULL; /* zero: bad_price, the yajl path's to say */
    *out = v;
    return s;
}

static bool symbol_chars_ok(pos s, size_t n) {
    if (n < 1 || n > TL_SYMBOL_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || is_digit(s[i]) || s[i] == '.' || s[i] == '-'))
            return false;
    return true;
}

/* ts: an RFC 3339 string or a non-negative integer epoch in unit. */
static pos scan_ts(pos s, pos end, tl_ts_unit unit, int64_t *us) {
    pos str;
    size_t n;
    int64_t v;
    if (s < end && *s == '"') {
        s = scan_string(s, end, &str, &n);
        return s && tl_rfc3339_parse((const char *)str, n, us) == 0 ? s : NULL;
    }
    s = scan_count(s, end, &v);
    return s && tl_ts_from_epoch(v, unit, us) == 0 ? s : NULL;
}

/* One value for field id into t. */
static pos scan_value(pos s, pos end, int id, tl_ts_unit unit, tl_tick *t) {
    pos str;
    size_t n;
    switch (id) {
    case K_SYMBOL:
        s = scan_string(s, end, &str, &n);
        if (!s || !symbol_chars_ok(str, n))
            return NULL;
        memcpy(t->symbol, str, n);
        return s;
    case K_EXCHANGE:
        s = scan_string(s, end, &str, &n); /* no NUL: it would have been an escape */
        if (!s || n > TL_EXCHANGE_MAX)
            return NULL;
        memcpy(t->exchange, str, n);
        t->has |= TL_TICK_HAS_EXCHANGE;
        return s;
    case K_TS: return scan_ts(s, end, unit, &t->ts_us);
    case K_PRICE: return scan_money(s, end, &t->price);
    case K_BID: t->has |= TL_TICK_HAS_BID; return scan_money(s, end, &t->bid);
    case K_ASK: t->has |= TL_TICK_HAS_ASK; return scan_money(s, end, &t->ask);
    case K_SIZE: t->has |= TL_TICK_HAS_SIZE; return scan_count(s, end, &t->size);
    case K_SEQ: t->has |= TL_TICK_HAS_SEQ; return scan_count(s, end, &t->seq);
    default: return NULL;
    }
}

/* What the yajl path checks once the object is complete. */
static bool whole_ok(const tl_tick *t, unsigned seen) {
    unsigned required = 1u << K_SYMBOL | 1u << K_TS | 1u << K_PRICE;
    if ((seen & required) != required)
        return false;
    return !(t->has & TL_TICK_HAS_BID) || !(t->has & TL_TICK_HAS_ASK) || t->bid <= t->ask;
}

bool tl_tick_fast_parse(const char *buf, size_t len, tl_ts_unit unit, tl_tick *out) {
    pos s = (pos)buf, end = s + len;
    tl_tick t;
    unsigned seen = 0;
    int id;
    memset(&t, 0, sizeof t); /* as the yajl path: absent fields are 0, strings "" */
    s = skip_ws(s, end);
    if (s >= end || *s++ != '{')
        return false;
    for (;;) {
        s = scan_key(skip_ws(s, end), end, &id);
        if (!s || (seen & (1u << id)))
            return false; /* a duplicate key is duplicate_field: the yajl path says so */
        seen |= 1u << id;
        s = scan_value(s, end, id, unit, &t);
        if (!s || (s = skip_ws(s, end)) >= end)
            return false;
        if (*s == '}')
            break;
        if (*s++ != ',')
            return false;
    }
    if (skip_ws(s + 1, end) != end || !whole_ok(&t, seen))
        return false;
    *out = t;
    return true;
}
