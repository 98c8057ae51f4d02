/* tl_tick_parse: one JSON object -> tl_tick, or a stable reason code.
 *
 * Built on yajl's callback parser with the yajl_number callback, so every
 * number arrives as its raw text and is converted exactly (tick/decimal.c);
 * yajl never turns a price into a double.
 *
 * yajl has no way to reset a handle, so each message gets a fresh one. To keep
 * malloc off the hot path, the handle allocates from an arena inside the
 * parser that is rewound before every message; only unusual messages (deep
 * nesting, long escaped strings) spill into malloc'd blocks, freed at the next
 * rewind or at destroy.
 *
 * Parsing never stops at the first bad field: the whole message must still
 * be valid JSON, because not_json takes precedence over field errors.
 *
 * The common record (a flat object of built-in fields with plain values)
 * never gets here: tick_fast.c parses it first and declines everything
 * else, so this file alone defines every rejection and every tick. */
#include "tick/tick.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "tick/tick_fast.h"
#include "util/buf.h"
#include "util/utf8.h"

#define ARENA_BYTES 8192 /* a fresh yajl handle for a ~100-byte tick takes < 5 KiB */
#define VALUE_SHOWN 24   /* bytes of an offending value quoted in a message */

typedef enum {
    F_SYMBOL,
    F_TS,
    F_PRICE,
    F_SIZE,
    F_BID,
    F_ASK,
    F_EXCHANGE,
    F_SEQ,
    F_COUNT,
    F_NONE = -1, /* an unknown key, or no key pending */
} field_id;

enum { X_NONE = -1, X_UNKNOWN = -2 };

static const char *const field_names[F_COUNT] = {"symbol", "ts",  "price",    "size",
                                                 "bid",    "ask", "exchange", "seq"};

/* A block that did not fit the arena; doubly linked so realloc and free can
 * unlink it (yajl's state stack grows by realloc as nesting deepens). */
typedef struct spill {
    struct spill *prev, *next;
    size_t size;
    max_align_t data[];
} spill;

/* Every arena block is preceded by its size, so realloc knows what to copy. */
typedef struct arena_hdr {
    size_t size;
    size_t spilled; /* 1: the block lives in a spill, not in the arena */
} arena_hdr;

typedef enum { TOP_NONE, TOP_OBJECT, TOP_OTHER } top_kind;

struct tl_tick_parser {
    tl_ts_unit unit;
    size_t max_bytes;
    bool fast; /* try tick_fast.c first (the default) */
    yajl_callbacks callbacks;
    yajl_alloc_funcs alloc;

    /* per message */
    tl_tick t;
    tl_tick_error *err;
    size_t depth;
    top_kind top;
    const char *top_type; /* "an array", "a string"... when top == TOP_OTHER */
    field_id pending;     /* key just read at depth 1, waiting for its value */
    unsigned seen;        /* keys met, by field_id bit */
    unsigned present;     /* fields with a non-null value */
    bool failed;          /* err holds the first field error */

    /* schema evolution (tl_tick_parser_set_extra); per message state is
     * touched only once a key that is not built-in is met */
    const char *const *xnames;
    tl_ext_type xtypes[TL_EXT_MAX];
    size_t xn;
    tl_unknown_mode unknown;
    yajl_handle h;       /* to find where an unknown field's value starts and ends */
    const char *buf;     /* the message */
    size_t len;          /* its length */
    bool finishing;      /* in yajl_complete_parse: yajl then counts bytes of its own " " */
    bool xany;           /* this message has extra values or kept fields */
    int xpending;        /* X_NONE, X_UNKNOWN or the extra column of the key just read */
    int xlist;           /* the list column whose array is open, or X_NONE */
    bool xcapture;       /* an unknown field's object/array is open */
    size_t xstart;       /* where that field's value starts in buf */
    uint64_t xseen;      /* extra columns met, by bit */
    size_t dropped;      /* unknown fields dropped */
    tl_ext_val xvals[TL_EXT_MAX];
    tl_buf xdata;  /* strings and list items of the extra columns */
    tl_buf xextra; /* the kept unknown fields: "{"k":v,..." without the closing brace */

    spill *spills;
    size_t arena_used;
    _Alignas(max_align_t) unsigned char arena[ARENA_BYTES];
};

/* ---- arena allocator handed to yajl ---------------------------------------- */

static size_t round_up(size_t n) {
    size_t a = _Alignof(max_align_t);
    return (n + a - 1) / a * a;
}

static void *arena_malloc(void *ctx, size_t size) {
    tl_tick_parser *p = ctx;
    size_t need = round_up(sizeof(arena_hdr)) + round_up(size);
    arena_hdr *h;
    if (need <= ARENA_BYTES - p->arena_used) {
        h = (arena_hdr *)(p->arena + p->arena_used);
        p->arena_used += need;
        h->spilled = 0;
    } else {
        spill *s = malloc(sizeof *s + round_up(sizeof(arena_hdr)) + size);
        if (!s)
            return NULL;
        s->prev = NULL;
        s->next = p->spills;
        if (p->spills)
            p->spills->prev = s;
        p->spills = s;
        h = (arena_hdr *)s->data;
        h->spilled = 1;
    }
    h->size = size;
    return (unsigned char *)h + round_up(sizeof(arena_hdr));
}

static arena_hdr *hdr_of(void *ptr) {
    return (arena_hdr *)((unsigned char *)ptr - round_up(sizeof(arena_hdr)));
}

static spill *spill_of(arena_hdr *h) {
    return (spill *)((unsigned char *)h - offsetof(spill, data));
}

static void arena_free(void *ctx, void *ptr) {
    tl_tick_parser *p = ctx;
    if (!ptr || !hdr_of(ptr)->spilled)
        return; /* arena blocks go at the next rewind */
    spill *s = spill_of(hdr_of(ptr));
    if (s->prev)
        s->prev->next = s->next;
    else
        p->spills = s->next;
    if (s->next)
        s->next->prev = s->prev;
    free(s);
}

static void *arena_realloc(void *ctx, void *ptr, size_t size) {
    if (!ptr)
        return arena_malloc(ctx, size);
    size_t old = hdr_of(ptr)->size;
    void *n = arena_malloc(ctx, size);
    if (!n)
        return NULL;
    memcpy(n, ptr, old < size ? old : size);
    arena_free(ctx, ptr);
    return n;
}

static void arena_rewind(tl_tick_parser *p) {
    while (p->spills) {
        spill *s = p->spills;
        p->spills = s->next;
        free(s);
    }
    p->arena_used = 0;
}

/* ---- errors ---------------------------------------------------------------- */

const char *tl_tick_reason_name(tl_tick_reason reason) {
    static const char *const names[] = {
        [TL_TICK_OK] = "ok",
        [TL_TICK_NOT_JSON] = "not_json",
        [TL_TICK_NOT_OBJECT] = "not_object",
        [TL_TICK_TOO_LARGE] = "too_large",
        [TL_TICK_MISSING_FIELD] = "missing_field",
        [TL_TICK_BAD_TYPE] = "bad_type",
        [TL_TICK_BAD_SYMBOL] = "bad_symbol",
        [TL_TICK_BAD_TS] = "bad_ts",
        [TL_TICK_BAD_PRICE] = "bad_price",
        [TL_TICK_BAD_SIZE] = "bad_size",
        [TL_TICK_BAD_BID] = "bad_bid",
        [TL_TICK_BAD_ASK] = "bad_ask",
        [TL_TICK_CROSSED_QUOTE] = "crossed_quote",
        [TL_TICK_BAD_EXCHANGE] = "bad_exchange",
        [TL_TICK_BAD_SEQ] = "bad_seq",
        [TL_TICK_DUP_FIELD] = "duplicate_field",
        [TL_TICK_BAD_UTF8] = "bad_utf8",
        [TL_TICK_UNKNOWN_FIELD] = "unknown_field",
    };
    if ((unsigned)reason >= sizeof names / sizeof names[0])
        return "unknown";
    return names[reason];
}

/* Records the first error: the code (with ":<field>" for the reasons that
 * name one) and a printf-style human message. Later errors are ignored. */
static void vfail(tl_tick_parser *p, tl_tick_reason reason, const char *name, const char *fmt,
                  va_list ap) {
    p->failed = true;
    tl_tick_error *e = p->err;
    e->reason = reason;
    bool named = reason == TL_TICK_MISSING_FIELD || reason == TL_TICK_BAD_TYPE ||
                 reason == TL_TICK_DUP_FIELD || reason == TL_TICK_BAD_UTF8 ||
                 reason == TL_TICK_UNKNOWN_FIELD;
    if (named && name)
        snprintf(e->code, sizeof e->code, "%s:%s", tl_tick_reason_name(reason), name);
    else
        snprintf(e->code, sizeof e->code, "%s", tl_tick_reason_name(reason));
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
}

__attribute__((format(printf, 4, 5))) static int fail(tl_tick_parser *p, tl_tick_reason reason,
                                                      field_id field, const char *fmt, ...) {
    if (p->failed)
        return 1;
    va_list ap;
    va_start(ap, fmt);
    vfail(p, reason, field != F_NONE ? field_names[field] : NULL, fmt, ap);
    va_end(ap);
    return 1; /* yajl goes on: the rest must still be valid JSON */
}

/* The same for a field known by name only (extra columns, unknown keys). */
__attribute__((format(printf, 4, 5))) static int fail_name(tl_tick_parser *p,
                                                           tl_tick_reason reason, const char *name,
                                                           const char *fmt, ...) {
    if (p->failed)
        return 1;
    va_list ap;
    va_start(ap, fmt);
    vfail(p, reason, name, fmt, ap);
    va_end(ap);
    return 1;
}

/* A value for a message: at most VALUE_SHOWN bytes, optionally in quotes,
 * with anything unprintable as \xNN so the message stays one clean line. */
static const char *show(char *dst, size_t cap, const void *v, size_t len, bool quoted) {
    const unsigned char *s = v;
    size_t o = 0, i, n = len < VALUE_SHOWN ? len : VALUE_SHOWN;
    if (quoted)
        dst[o++] = '"';
    for (i = 0; i < n && o + 8 < cap; i++) { /* 8: room for \xNN, "...", '"' and NUL */
        if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
            dst[o++] = (char)s[i];
        else
            o += (size_t)snprintf(dst + o, cap - o, "\\x%02x", s[i]);
    }
    if (i < len)
        o += (size_t)snprintf(dst + o, cap - o, "...");
    if (quoted)
        dst[o++] = '"';
    dst[o] = '\0';
    return dst;
}

#define SHOWN_CAP (VALUE_SHOWN * 4 + 8)

static const char *expected_type(field_id f) {
    return f == F_SYMBOL || f == F_EXCHANGE ? "a string"
           : f == F_TS                      ? "a string or an integer"
                                            : "a number";
}

static int fail_type(tl_tick_parser *p, field_id f, const char *shown, const char *type) {
    return fail(p, TL_TICK_BAD_TYPE, f, "%s %s%sis %s, expected %s", field_names[f], shown,
                *shown ? " " : "", type, expected_type(f));
}

/* ---- fields ------------------------------------------------------------------ */

static bool symbol_ok(const unsigned char *s, size_t len) {
    if (len < 1 || len > TL_SYMBOL_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return false;
    }
    return true;
}

static int on_string_field(tl_tick_parser *p, field_id f, const unsigned char *s, size_t len) {
    char shown[SHOWN_CAP];
    /* yajl lets through overlong forms and lone surrogates ("\udc00"), which
     * the Parquet writer and every reader refuse: such a record must be
     * dead-lettered here, never reach a batch it would poison. */
    if (!tl_utf8_valid(s, len))
        return fail(p, TL_TICK_BAD_UTF8, f, "%s %s is not valid UTF-8", field_names[f],
                    show(shown, sizeof shown, s, len, true));
    switch (f) {
    case F_SYMBOL:
        if (!symbol_ok(s, len))
            return fail(p, TL_TICK_BAD_SYMBOL, f,
                        "symbol %s must be 1-12 characters of A-Z, 0-9, '.', '-'",
                        show(shown, sizeof shown, s, len, true));
        memcpy(p->t.symbol, s, len);
        p->t.symbol[len] = '\0';
        break;
    case F_EXCHANGE:
        if (len > TL_EXCHANGE_MAX || memchr(s, '\0', len))
            return fail(p, TL_TICK_BAD_EXCHANGE, f,
                        "exchange %s must be at most 16 bytes with no NUL",
                        show(shown, sizeof shown, s, len, true));
        memcpy(p->t.exchange, s, len);
        p->t.exchange[len] = '\0';
        p->t.has |= TL_TICK_HAS_EXCHANGE;
        break;
    case F_TS:
        if (tl_rfc3339_parse((const char *)s, len, &p->t.ts_us) != 0)
            return fail(p, TL_TICK_BAD_TS, f,
                        "ts %s is not an RFC 3339 time in years 0000-9999 "
                        "(YYYY-MM-DDTHH:MM:SS[.f](Z|+HH:MM))",
                        show(shown, sizeof shown, s, len, true));
        break;
    default: return fail_type(p, f, show(shown, sizeof shown, s, len, true), "a string");
    }
    p->present |= 1u << f;
    return 1;
}

static bool has_fraction_or_exponent(const char *s, size_t len) {
    return memchr(s, '.', len) || memchr(s, 'e', len) || memchr(s, 'E', len);
}

/* size, seq: a non-negative JSON integer. */
static int on_count(tl_tick_parser *p, field_id f, const char *s, size_t len, int64_t *dst,
                    unsigned has) {
    char shown[SHOWN_CAP];
    tl_tick_reason r = f == F_SIZE ? TL_TICK_BAD_SIZE : TL_TICK_BAD_SEQ;
    int64_t v;
    if (tl_integer_parse(s, len, &v) != 0 || v < 0)
        return fail(p, r, f, "%s %s must be an integer from 0 to 9223372036854775807%s",
                    field_names[f], show(shown, sizeof shown, s, len, false),
                    has_fraction_or_exponent(s, len) ? " without fraction or exponent" : "");
    *dst = v;
    p->t.has |= has;
    p->present |= 1u << f;
    return 1;
}

/* price, bid, ask: > 0, exact in micro-units, within the lake's DECIMAL(18,6). */
static int on_money(tl_tick_parser *p, field_id f, const char *s, size_t len, int64_t *dst,
                    unsigned has) {
    char shown[SHOWN_CAP];
    tl_tick_reason r = f == F_PRICE ? TL_TICK_BAD_PRICE
                       : f == F_BID ? TL_TICK_BAD_BID
                                    : TL_TICK_BAD_ASK;
    int64_t v;
    if (tl_decimal_parse(s, len, &v) != 0)
        return fail(p, r, f, "%s %s is not exact to 6 decimal places within int64 micro-units",
                    field_names[f], show(shown, sizeof shown, s, len, false));
    if (v <= 0)
        return fail(p, r, f, "%s %s must be > 0", field_names[f],
                    show(shown, sizeof shown, s, len, false));
    if (v > TL_MONEY_MAX_MICROS)
        return fail(p, r, f, "%s %s is above 999999999999.999999, the most DECIMAL(18,6) holds",
                    field_names[f], show(shown, sizeof shown, s, len, false));
    *dst = v;
    p->t.has |= has;
    p->present |= 1u << f;
    return 1;
}

static const char *unit_name(tl_ts_unit u) {
    static const char *const names[] = {"s", "ms", "us", "ns"};
    return (unsigned)u < 4 ? names[u] : "?";
}

static int on_number_field(tl_tick_parser *p, field_id f, const char *s, size_t len) {
    char shown[SHOWN_CAP];
    int64_t v;
    switch (f) {
    case F_PRICE: return on_money(p, f, s, len, &p->t.price, 0);
    case F_BID: return on_money(p, f, s, len, &p->t.bid, TL_TICK_HAS_BID);
    case F_ASK: return on_money(p, f, s, len, &p->t.ask, TL_TICK_HAS_ASK);
    case F_SIZE: return on_count(p, f, s, len, &p->t.size, TL_TICK_HAS_SIZE);
    case F_SEQ: return on_count(p, f, s, len, &p->t.seq, TL_TICK_HAS_SEQ);
    case F_TS:
        if (tl_integer_parse(s, len, &v) != 0 || tl_ts_from_epoch(v, p->unit, &p->t.ts_us) != 0)
            return fail(p, TL_TICK_BAD_TS, f,
                        "ts %s is not an integer epoch in %s within years 0000-9999",
                        show(shown, sizeof shown, s, len, false), unit_name(p->unit));
        p->present |= 1u << f;
        return 1;
    default: return fail_type(p, f, show(shown, sizeof shown, s, len, false), "a number");
    }
}

/* ---- schema evolution: extra columns and unknown fields --------------------- */

static const char *const ext_expected[] = {
    [TL_EXT_STRING] = "a string",
    [TL_EXT_INT64] = "an integer",
    [TL_EXT_DECIMAL] = "a number exact to 6 decimal places within DECIMAL(18,6)",
    [TL_EXT_TIMESTAMP] = "an RFC 3339 string or an integer epoch",
    [TL_EXT_BOOL] = "true or false",
    [TL_EXT_LIST] = "an array of strings",
};

static int ext_oom(tl_tick_parser *p, const char *name) {
    return fail_name(p, TL_TICK_TOO_LARGE, NULL, "out of memory keeping field %s", name);
}

/* kind: 's' string, 'n' number, 'b' boolean, 'z' null, 'o' object, 'a' array */
static int ext_bad(tl_tick_parser *p, int col, char kind, const char *s, size_t len) {
    char shown[SHOWN_CAP];
    const char *what = kind == 'o' ? "an object" : kind == 'a' ? "an array" : kind == 'z' ? "null" : "";
    if (!*what)
        what = show(shown, sizeof shown, s, len, kind == 's');
    return fail_name(p, TL_TICK_BAD_TYPE, p->xnames[col], "%s %s is not %s", p->xnames[col], what,
                     ext_expected[p->xtypes[col]]);
}

static int ext_set(tl_tick_parser *p, int col, int64_t i, const char *s, size_t len) {
    tl_ext_val *v = &p->xvals[col];
    *v = (tl_ext_val){i, (uint32_t)p->xdata.len, (uint32_t)len, true};
    if (len && tl_buf_append(&p->xdata, s, len) != 0)
        return ext_oom(p, p->xnames[col]);
    p->xany = true;
    return 1;
}

static int on_ext_scalar(tl_tick_parser *p, int col, char kind, const char *s, size_t len) {
    int64_t v = 0;
    bool ok = false;
    if (kind == 'z')
        return 1; /* null = absent, as for the built-in fields */
    switch (p->xtypes[col]) {
    case TL_EXT_STRING:
        if (kind == 's' && !tl_utf8_valid(s, len)) {
            char shown[SHOWN_CAP];
            return fail_name(p, TL_TICK_BAD_UTF8, p->xnames[col], "%s %s is not valid UTF-8",
                             p->xnames[col], show(shown, sizeof shown, s, len, true));
        }
        if (kind == 's')
            return ext_set(p, col, 0, s, len);
        break;
    case TL_EXT_INT64: ok = kind == 'n' && tl_integer_parse(s, len, &v) == 0; break;
    case TL_EXT_DECIMAL:
        ok = kind == 'n' && tl_decimal_parse(s, len, &v) == 0 && v <= TL_MONEY_MAX_MICROS &&
             v >= -TL_MONEY_MAX_MICROS;
        break;
    case TL_EXT_TIMESTAMP:
        ok = (kind == 's' && tl_rfc3339_parse(s, len, &v) == 0) ||
             (kind == 'n' && tl_integer_parse(s, len, &v) == 0 &&
              tl_ts_from_epoch(v, p->unit, &v) == 0);
        break;
    case TL_EXT_BOOL:
        ok = kind == 'b';
        v = ok && s[0] == 't';
        break;
    case TL_EXT_LIST: break;
    }
    return ok ? ext_set(p, col, v, NULL, 0) : ext_bad(p, col, kind, s, len);
}

/* An item of an open list column: a string, appended as [u32 len][bytes]. */
static int on_list_item(tl_tick_parser *p, char kind, const char *s, size_t len) {
    int col = p->xlist;
    if (kind != 's')
        return ext_bad(p, col, kind, s, len);
    if (!tl_utf8_valid(s, len)) {
        char shown[SHOWN_CAP];
        return fail_name(p, TL_TICK_BAD_UTF8, p->xnames[col], "%s item %s is not valid UTF-8",
                         p->xnames[col], show(shown, sizeof shown, s, len, true));
    }
    uint32_t n = (uint32_t)len;
    if (tl_buf_append(&p->xdata, &n, sizeof n) != 0 || tl_buf_append(&p->xdata, s, len) != 0)
        return ext_oom(p, p->xnames[col]);
    p->xvals[col].i++;
    return 1;
}

static bool json_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The kept unknown field's value ends where yajl stands: its text as sent
 * (numbers keep their digits, strings their escapes). */
static int keep_raw(tl_tick_parser *p) {
    /* A number that ends the message arrives during yajl_complete_parse,
     * which parses a " " of its own: its bytes consumed are not ours, and
     * the value runs to the end of the message (which cannot be valid JSON:
     * not_json follows, but the bytes must not be read past). */
    size_t end = p->finishing ? p->len : yajl_get_bytes_consumed(p->h), at = p->xstart;
    if (at > end)
        at = end;
    while (at < end && (json_space(p->buf[at]) || p->buf[at] == ':'))
        at++;
    if (!tl_utf8_valid(p->buf + at, end - at))
        return fail_name(p, TL_TICK_BAD_UTF8, "extra", "an unknown field's value is not valid UTF-8");
    if (tl_buf_append(&p->xextra, p->buf + at, end - at) != 0)
        return ext_oom(p, "extra");
    return 1;
}

/* A value at depth 1 for a key that is not built-in, or an item of a list. */
static int on_ext(tl_tick_parser *p, char kind, const char *s, size_t len) {
    if (p->depth == 2 && p->xlist != X_NONE)
        return on_list_item(p, kind, s, len);
    if (p->depth != 1 || p->xpending == X_NONE)
        return 1;
    int x = p->xpending;
    p->xpending = X_NONE;
    return x == X_UNKNOWN ? keep_raw(p) : on_ext_scalar(p, x, kind, s, len);
}

/* An object or array opens: a kept field's value, a list, or a bad type. */
static void ext_open(tl_tick_parser *p, char kind) {
    if (p->depth == 2 && p->xlist != X_NONE) {
        ext_bad(p, p->xlist, kind, NULL, 0);
        return;
    }
    if (p->depth != 1 || p->xpending == X_NONE)
        return;
    int x = p->xpending;
    p->xpending = X_NONE;
    if (x == X_UNKNOWN)
        p->xcapture = true;
    else if (kind == 'a' && p->xtypes[x] == TL_EXT_LIST) {
        p->xlist = x;
        p->xvals[x] = (tl_ext_val){0, (uint32_t)p->xdata.len, 0, false};
    } else
        ext_bad(p, x, kind, NULL, 0);
}

/* After an object or array closed, back at depth 1. */
static void ext_close(tl_tick_parser *p) {
    if (p->xcapture) {
        p->xcapture = false;
        keep_raw(p);
    } else if (p->xlist != X_NONE) {
        tl_ext_val *v = &p->xvals[p->xlist];
        v->len = (uint32_t)(p->xdata.len - v->off);
        v->present = true;
        p->xany = true;
        p->xlist = X_NONE;
    }
}

/* A key at depth 1 that is not built-in: an extra column's, or unknown. */
static int on_other_key(tl_tick_parser *p, const unsigned char *key, size_t len) {
    char shown[SHOWN_CAP];
    for (size_t i = 0; i < p->xn; i++) {
        if (strncmp(p->xnames[i], (const char *)key, len) != 0 || p->xnames[i][len] != '\0')
            continue;
        if (p->xseen & (1ull << i))
            return fail_name(p, TL_TICK_DUP_FIELD, p->xnames[i],
                             "field \"%s\" appears more than once", p->xnames[i]);
        p->xseen |= 1ull << i;
        p->xpending = (int)i;
        return 1;
    }
    switch (p->unknown) {
    case TL_UNKNOWN_IGNORE: return 1;
    case TL_UNKNOWN_DROP: p->dropped++; return 1;
    case TL_UNKNOWN_DEADLETTER:
        show(shown, sizeof shown, key, len, false);
        return fail_name(p, TL_TICK_UNKNOWN_FIELD, shown,
                         "field \"%s\" is not in the schema (schema.unknown_fields: deadletter)",
                         shown);
    case TL_UNKNOWN_KEEP: break;
    }
    if (!tl_utf8_valid(key, len))
        return fail_name(p, TL_TICK_BAD_UTF8, "extra", "an unknown field's name %s is not UTF-8",
                         show(shown, sizeof shown, key, len, true));
    if (tl_buf_puts(&p->xextra, p->xextra.len ? "," : "{") != 0 ||
        tl_buf_json_string(&p->xextra, (const char *)key, len) != 0 ||
        tl_buf_puts(&p->xextra, ":") != 0)
        return ext_oom(p, "extra");
    p->xpending = X_UNKNOWN;
    p->xstart = yajl_get_bytes_consumed(p->h);
    p->xany = true;
    return 1;
}

int tl_tick_parser_set_extra(tl_tick_parser *p, const char *const *names, const tl_ext_type *types,
                             size_t n, tl_unknown_mode unknown) {
    if (n > TL_EXT_MAX)
        return -1;
    p->xnames = names;
    for (size_t i = 0; i < n; i++)
        p->xtypes[i] = types[i];
    p->xn = n;
    p->unknown = unknown;
    return 0;
}

size_t tl_tick_parser_dropped(const tl_tick_parser *p) {
    return p->dropped;
}

tl_tick_ext *tl_tick_parser_take_ext(tl_tick_parser *p, bool *oom) {
    *oom = false;
    if (!p->xany || p->failed)
        return NULL;
    size_t hdr = round_up(sizeof(tl_tick_ext)), vb = round_up(p->xn * sizeof(tl_ext_val));
    size_t kept = p->xextra.len ? p->xextra.len + 1 : 0;
    tl_tick_ext *x = malloc(hdr + vb + p->xdata.len + kept + 1);
    if (!x) {
        *oom = true;
        return NULL;
    }
    x->nvals = (uint32_t)p->xn;
    x->vals = (tl_ext_val *)((unsigned char *)x + hdr);
    x->data = (char *)x + hdr + vb;
    for (size_t i = 0; i < p->xn; i++)
        x->vals[i] = (p->xseen & (1ull << i)) && p->xvals[i].present ? p->xvals[i]
                                                                       : (tl_ext_val){0};
    if (p->xdata.len)
        memcpy(x->data, p->xdata.data, p->xdata.len);
    x->extra_off = (uint32_t)p->xdata.len;
    x->extra_len = (uint32_t)kept;
    if (kept) {
        memcpy(x->data + x->extra_off, p->xextra.data, p->xextra.len);
        x->data[x->extra_off + p->xextra.len] = '}';
    }
    x->data[x->extra_off + kept] = '\0';
    return x;
}

const char *tl_tick_ext_list_item(const tl_tick_ext *x, const tl_ext_val *v, uint32_t *pos,
                                  uint32_t *len) {
    const char *at = x->data + v->off + *pos;
    memcpy(len, at, sizeof *len);
    *pos += (uint32_t)sizeof *len + *len;
    return at + sizeof *len;
}

/* ---- yajl callbacks ---------------------------------------------------------- */

/* The field a value belongs to, or F_NONE for values under unknown keys and
 * inside nested containers. Sets the top-level kind for a value at depth 0. */
static field_id take_field(tl_tick_parser *p, const char *type) {
    if (p->depth == 0) {
        p->top = TOP_OTHER;
        p->top_type = type;
        return F_NONE;
    }
    if (p->depth != 1 || p->top != TOP_OBJECT)
        return F_NONE;
    field_id f = p->pending;
    p->pending = F_NONE;
    return f;
}

/* A value that no built-in field takes: work only once a key that is not
 * built-in was met (or inside a list column's array). */
static bool ext_waiting(const tl_tick_parser *p) {
    return p->xpending != X_NONE || p->xlist != X_NONE;
}

static int cb_null(void *ctx) {
    tl_tick_parser *p = ctx;
    field_id f = take_field(p, "null"); /* null = absent */
    return f == F_NONE && ext_waiting(p) ? on_ext(p, 'z', "null", 4) : 1;
}

static int cb_boolean(void *ctx, int b) {
    tl_tick_parser *p = ctx;
    field_id f = take_field(p, "a boolean");
    if (f == F_NONE)
        return ext_waiting(p) ? on_ext(p, 'b', b ? "true" : "false", b ? 4 : 5) : 1;
    return fail_type(p, f, b ? "true" : "false", "a boolean");
}

static int cb_number(void *ctx, const char *s, size_t len) {
    tl_tick_parser *p = ctx;
    field_id f = take_field(p, "a number");
    if (f == F_NONE)
        return ext_waiting(p) ? on_ext(p, 'n', s, len) : 1;
    return on_number_field(p, f, s, len);
}

static int cb_string(void *ctx, const unsigned char *s, size_t len) {
    tl_tick_parser *p = ctx;
    field_id f = take_field(p, "a string");
    if (f == F_NONE)
        return ext_waiting(p) ? on_ext(p, 's', (const char *)s, len) : 1;
    return on_string_field(p, f, s, len);
}

static int cb_start_map(void *ctx) {
    tl_tick_parser *p = ctx;
    if (p->depth == 0)
        p->top = TOP_OBJECT;
    else {
        field_id f = take_field(p, "an object");
        if (f != F_NONE)
            fail_type(p, f, "", "an object");
        else if (ext_waiting(p))
            ext_open(p, 'o');
    }
    p->depth++;
    return 1;
}

static int cb_start_array(void *ctx) {
    tl_tick_parser *p = ctx;
    field_id f = take_field(p, "an array");
    if (f != F_NONE)
        fail_type(p, f, "", "an array");
    else if (ext_waiting(p))
        ext_open(p, 'a');
    p->depth++;
    return 1;
}

static int cb_end(void *ctx) {
    tl_tick_parser *p = ctx;
    if (--p->depth == 1 && (p->xcapture || p->xlist != X_NONE))
        ext_close(p);
    return 1;
}

/* Called for every key of every message: compare by length first. */
static field_id lookup_field(const unsigned char *key, size_t len) {
    static const unsigned char lens[F_COUNT] = {6, 2, 5, 4, 3, 3, 8, 3};
    for (int f = 0; f < F_COUNT; f++)
        if (lens[f] == len && key[0] == (unsigned char)field_names[f][0] &&
            memcmp(field_names[f], key, len) == 0)
            return (field_id)f;
    return F_NONE;
}

static int cb_map_key(void *ctx, const unsigned char *key, size_t len) {
    tl_tick_parser *p = ctx;
    if (p->depth != 1 || p->top != TOP_OBJECT)
        return 1;
    field_id f = lookup_field(key, len);
    p->pending = f;
    if (f == F_NONE)
        return p->xn || p->unknown != TL_UNKNOWN_IGNORE ? on_other_key(p, key, len) : 1;
    if (p->seen & (1u << f)) {
        p->pending = F_NONE; /* the first value stands; this one is only checked as JSON */
        return fail(p, TL_TICK_DUP_FIELD, f, "field \"%s\" appears more than once", field_names[f]);
    }
    p->seen |= 1u << f;
    return 1;
}

/* ---- the parser -------------------------------------------------------------- */

tl_tick_parser *tl_tick_parser_new(tl_ts_unit epoch_unit, size_t max_bytes) {
    tl_tick_parser *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->unit = epoch_unit;
    p->max_bytes = max_bytes;
    p->fast = true;
    p->callbacks = (yajl_callbacks){
        .yajl_null = cb_null,
        .yajl_boolean = cb_boolean,
        .yajl_number = cb_number, /* raw text: integer/double callbacks stay unused */
        .yajl_string = cb_string,
        .yajl_start_map = cb_start_map,
        .yajl_map_key = cb_map_key,
        .yajl_end_map = cb_end,
        .yajl_start_array = cb_start_array,
        .yajl_end_array = cb_end,
    };
    p->alloc = (yajl_alloc_funcs){arena_malloc, arena_realloc, arena_free, p};
    p->xpending = p->xlist = X_NONE;
    return p;
}

void tl_tick_parser_set_fast(tl_tick_parser *p, bool on) {
    p->fast = on;
}

void tl_tick_parser_destroy(tl_tick_parser *p) {
    if (!p)
        return;
    arena_rewind(p);
    tl_buf_free(&p->xdata);
    tl_buf_free(&p->xextra);
    free(p);
}

static void reset_message(tl_tick_parser *p, tl_tick_error *err) {
    memset(&p->t, 0, sizeof p->t);
    p->err = err;
    p->depth = 0;
    p->top = TOP_NONE;
    p->top_type = NULL;
    p->pending = F_NONE;
    p->seen = p->present = 0;
    p->failed = false;
    err->reason = TL_TICK_OK;
    err->code[0] = err->msg[0] = '\0';
    arena_rewind(p);
    p->xany = p->xcapture = false;
    p->xpending = p->xlist = X_NONE;
    p->dropped = 0;
    for (uint64_t seen = p->xseen; seen; seen &= seen - 1)
        p->xvals[__builtin_ctzll(seen)].present = false;
    p->xseen = 0;
    p->xdata.len = p->xextra.len = 0;
}

/* at: the byte yajl stopped at; a premature end is reported at len. */
static int fail_not_json(tl_tick_parser *p, yajl_handle h, const char *buf, size_t len, size_t at) {
    unsigned char *text = yajl_get_error(h, 0, (const unsigned char *)buf, len);
    char why[96] = "invalid JSON";
    if (text) {
        snprintf(why, sizeof why, "%s", (const char *)text);
        why[strcspn(why, "\r\n")] = '\0';
        yajl_free_error(h, text);
    }
    p->failed = false; /* not_json outranks any field error seen before */
    if (len == 0)
        return fail(p, TL_TICK_NOT_JSON, F_NONE, "message is empty");
    return fail(p, TL_TICK_NOT_JSON, F_NONE, "not JSON at byte %zu of %zu: %s", at, len, why);
}

/* Checks that need the whole object: required fields, then bid <= ask. */
static void check_object(tl_tick_parser *p) {
    static const field_id required[] = {F_SYMBOL, F_TS, F_PRICE};
    char bid[32], ask[32];
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!(p->present & (1u << required[i])))
            fail(p, TL_TICK_MISSING_FIELD, required[i], "missing required field \"%s\"",
                 field_names[required[i]]);
    if ((p->t.has & TL_TICK_HAS_BID) && (p->t.has & TL_TICK_HAS_ASK) && p->t.bid > p->t.ask) {
        tl_decimal_format(p->t.bid, bid, sizeof bid);
        tl_decimal_format(p->t.ask, ask, sizeof ask);
        fail(p, TL_TICK_CROSSED_QUOTE, F_NONE, "bid %s is above ask %s", bid, ask);
    }
}

int tl_tick_parse(tl_tick_parser *p, const char *buf, size_t len, tl_tick *out,
                  tl_tick_error *err) {
    tl_tick_error scratch;
    reset_message(p, err ? err : &scratch);
    if (p->max_bytes && len > p->max_bytes) {
        fail(p, TL_TICK_TOO_LARGE, F_NONE, "message is %zu bytes, the limit is %zu", len,
             p->max_bytes);
        return -1;
    }
    /* The common record never reaches yajl; the fast path declines anything
     * else, so what follows still defines every outcome. */
    if (p->fast && tl_tick_fast_parse(buf, len, p->unit, out))
        return 0;
    /* No yajl_free: the handle lives in the arena, rewound per message. */
    yajl_handle h = yajl_alloc(&p->callbacks, &p->alloc, p);
    p->h = h;
    p->buf = buf;
    p->len = len;
    p->finishing = false;
    if (!h) {
        fail(p, TL_TICK_TOO_LARGE, F_NONE, "out of memory parsing a %zu-byte message", len);
        return -1;
    }
    size_t at = len;
    yajl_status st = yajl_parse(h, (const unsigned char *)buf, len);
    if (st != yajl_status_ok)
        at = yajl_get_bytes_consumed(h);
    else {
        p->finishing = true;
        st = yajl_complete_parse(h);
    }
    if (st != yajl_status_ok || p->top == TOP_NONE) {
        fail_not_json(p, h, buf, len, at);
        return -1;
    }
    if (p->top != TOP_OBJECT) {
        p->failed = false;
        fail(p, TL_TICK_NOT_OBJECT, F_NONE, "message is %s, expected a JSON object", p->top_type);
        return -1;
    }
    check_object(p);
    if (p->failed)
        return -1;
    *out = p->t;
    return 0;
}
