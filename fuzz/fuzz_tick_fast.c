/* libFuzzer target, differential: the tick-specialised fast path
 * (tl_tick_fast_parse, tick/tick_fast.c) against the yajl parser
 * (tl_tick_parse with the fast path off) on the same bytes, for every epoch
 * unit. Whenever the fast path takes a record, the yajl path must accept it
 * with the very same tick, field by field (also the bytes after the
 * strings' NUL and the fields a tick does not have); otherwise the fast
 * path declined and nothing is compared. A mismatch aborts.
 *
 * Then the entry point as shipped (fast path on) must give exactly what the
 * yajl path gives: the same tick, or the same code and message. That is
 * checked for the plain parsers and for a pair set up for schema evolution
 * (two extra columns, unknown fields kept), which also must agree on the
 * extra values, the kept fields and the dropped count; these parsers live
 * across inputs, so a fast record after a yajl one with extras is covered.
 * Counts are printed at exit. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tick/tick.h"
#include "tick/tick_fast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *cur_data;
static size_t cur_size;
static unsigned long n_inputs, n_made, n_fast, n_yajl_ok;

static void die(const char *what) {
    fprintf(stderr, "fuzz_tick_fast: %s; input of %zu bytes: %.*s\n", what, cur_size,
            (int)cur_size, (const char *)cur_data);
    abort();
}

static void print_stats(void) {
    fprintf(stderr,
            "fuzz_tick_fast: %lu records (%lu made from the inputs), %lu accepted by the yajl "
            "path (ms), %lu taken by the fast path (ms)\n",
            n_inputs, n_made, n_yajl_ok, n_fast);
}

/* Every field, whether the tick has it or not, and the whole string buffers. */
static bool identical(const tl_tick *a, const tl_tick *b) {
    return memcmp(a->symbol, b->symbol, sizeof a->symbol) == 0 &&
           memcmp(a->exchange, b->exchange, sizeof a->exchange) == 0 && a->ts_us == b->ts_us &&
           a->price == b->price && a->size == b->size && a->bid == b->bid && a->ask == b->ask &&
           a->seq == b->seq && a->has == b->has;
}

static void show_ticks(const char *what, const tl_tick *a, const tl_tick *b) {
    char x[512], y[512];
    tl_tick_format(a, x, sizeof x);
    tl_tick_format(b, y, sizeof y);
    fprintf(stderr, "fuzz_tick_fast: %s\n  fast: %s\n  yajl: %s\n", what, x, y);
}

/* The same outcome: both accepted the same tick, or both rejected with the
 * same code and message. */
static void same_outcome(int rc_a, const tl_tick *ta, const tl_tick_error *ea, int rc_b,
                         const tl_tick *tb, const tl_tick_error *eb, const char *what) {
    if (rc_a != rc_b) {
        fprintf(stderr, "fuzz_tick_fast: %s: %s vs %s\n", what, rc_a ? ea->code : "ok",
                rc_b ? eb->code : "ok");
        die("the entry point and the yajl path disagree");
    }
    if (rc_a == 0 && !identical(ta, tb)) {
        show_ticks(what, ta, tb);
        die("the entry point and the yajl path accepted different ticks");
    }
    if (rc_a != 0 && (ea->reason != eb->reason || strcmp(ea->code, eb->code) != 0 ||
                      strcmp(ea->msg, eb->msg) != 0)) {
        fprintf(stderr, "fuzz_tick_fast: %s: %s (%s) vs %s (%s)\n", what, ea->code, ea->msg,
                eb->code, eb->msg);
        die("the entry point and the yajl path rejected differently");
    }
}

static bool same_ext(const tl_tick_ext *a, const tl_tick_ext *b) {
    if (!a || !b)
        return a == b;
    if (a->nvals != b->nvals || a->extra_off != b->extra_off || a->extra_len != b->extra_len)
        return false;
    size_t data_len = a->extra_off + a->extra_len;
    for (uint32_t i = 0; i < a->nvals; i++) {
        const tl_ext_val *x = &a->vals[i], *y = &b->vals[i];
        if (x->present != y->present || x->i != y->i || x->off != y->off || x->len != y->len)
            return false;
    }
    return memcmp(a->data, b->data, data_len) == 0;
}

/* The schema-evolution pair: fast path on and off, same settings. */
static void check_extra(tl_tick_parser *on, tl_tick_parser *off) {
    tl_tick ta, tb;
    tl_tick_error ea, eb;
    int ra = tl_tick_parse(on, (const char *)cur_data, cur_size, &ta, &ea);
    int rb = tl_tick_parse(off, (const char *)cur_data, cur_size, &tb, &eb);
    same_outcome(ra, &ta, &ea, rb, &tb, &eb, "extra columns, unknown kept");
    if (tl_tick_parser_dropped(on) != tl_tick_parser_dropped(off))
        die("dropped counts differ");
    if (ra != 0)
        return;
    bool oa, ob;
    tl_tick_ext *xa = tl_tick_parser_take_ext(on, &oa), *xb = tl_tick_parser_take_ext(off, &ob);
    if (oa || ob)
        die("out of memory taking the extra values");
    bool same = same_ext(xa, xb);
    free(xa);
    free(xb);
    if (!same)
        die("the extra values differ between the entry point and the yajl path");
}

static tl_tick_parser *new_parser(tl_ts_unit unit, bool fast) {
    tl_tick_parser *p = tl_tick_parser_new(unit, 0);
    if (!p)
        abort();
    tl_tick_parser_set_fast(p, fast);
    return p;
}

static void check_bytes(const uint8_t *data, size_t size) {
    static const char *const xnames[] = {"venue", "trade_id"};
    static const tl_ext_type xtypes[] = {TL_EXT_STRING, TL_EXT_INT64};
    static tl_tick_parser *yajl[4], *entry[4], *x_on, *x_off;
    if (!x_off) {
        for (int u = 0; u < 4; u++) {
            yajl[u] = new_parser((tl_ts_unit)u, false);
            entry[u] = new_parser((tl_ts_unit)u, true);
        }
        x_on = new_parser(TL_TS_UNIT_MS, true);
        x_off = new_parser(TL_TS_UNIT_MS, false);
        if (tl_tick_parser_set_extra(x_on, xnames, xtypes, 2, TL_UNKNOWN_KEEP) != 0 ||
            tl_tick_parser_set_extra(x_off, xnames, xtypes, 2, TL_UNKNOWN_KEEP) != 0)
            abort();
        atexit(print_stats);
    }
    cur_data = data;
    cur_size = size;
    n_inputs++;
    for (int u = 0; u < 4; u++) {
        tl_tick ft, yt, et;
        tl_tick_error ye, ee;
        bool fast = tl_tick_fast_parse((const char *)data, size, (tl_ts_unit)u, &ft);
        int ry = tl_tick_parse(yajl[u], (const char *)data, size, &yt, &ye);
        if (u == TL_TS_UNIT_MS) {
            n_fast += fast;
            n_yajl_ok += ry == 0;
        }
        if (fast && ry != 0) {
            fprintf(stderr, "fuzz_tick_fast: unit %d: the yajl path says %s (%s)\n", u, ye.code,
                    ye.msg);
            die("the fast path took a record the yajl path rejects");
        }
        if (fast && !identical(&ft, &yt)) {
            show_ticks("different ticks", &ft, &yt);
            die("the fast path and the yajl path parsed different ticks");
        }
        int re = tl_tick_parse(entry[u], (const char *)data, size, &et, &ee);
        same_outcome(re, &et, &ee, ry, &yt, &ye, "entry point vs yajl path");
    }
    check_extra(x_on, x_off);
}

/* ---- records made from the input's bytes ------------------------------------
 * Raw mutations rarely keep a record valid, and the fast path only matters
 * for valid ones; so every input is also read as a recipe: each byte picks
 * the next key, value shape, digit or whitespace of a record that is mostly
 * a tick, with every kind of deviation (null, wrong types, signs, leading
 * zeros, exponents, long fractions, escapes, unknown and duplicate keys,
 * odd whitespace, raw bytes in strings). */

#define MADE_MAX 1024

typedef struct recipe {
    const uint8_t *d;
    size_t n, i;
    char out[MADE_MAX];
    size_t len;
} recipe;

static unsigned pick(recipe *r, unsigned m) {
    return r->i < r->n ? r->d[r->i++] % m : 0;
}

static void emit(recipe *r, const char *s) {
    size_t n = strlen(s);
    if (r->len + n <= MADE_MAX) {
        memcpy(r->out + r->len, s, n);
        r->len += n;
    }
}

static void emit_char(recipe *r, char c) {
    char s[2] = {c, 0};
    emit(r, s);
}

static void emit_ws(recipe *r) {
    static const char *const ws[] = {" ", "\n\t ", "\r", "\f", "\v"};
    unsigned k = pick(r, 64);
    if (k >= 59)
        emit(r, ws[k - 59]);
}

static void emit_digits(recipe *r, unsigned count) {
    for (unsigned k = 0; k < count; k++)
        emit_char(r, (char)('0' + pick(r, 10)));
}

/* -?digits(.digits)?(e[+-]?digits)? with every part's length chosen. */
static void emit_number(recipe *r) {
    if (pick(r, 32) == 31)
        emit_char(r, '-');
    unsigned nint = pick(r, 24); /* 0..12: 1..13 digits, 13..22 more, 23: "0" */
    if (nint == 23)
        emit_char(r, '0');
    else {
        emit_char(r, (char)('1' + pick(r, 9)));
        emit_digits(r, nint);
    }
    unsigned frac = pick(r, 10); /* 0: none, 1..8: 1..8 decimals, 9: "." alone */
    if (frac > 0) {
        emit_char(r, '.');
        emit_digits(r, frac % 9);
    }
    if (pick(r, 16) == 15) {
        static const char *const e[] = {"e", "E", "e+", "e-"};
        emit(r, e[pick(r, 4)]);
        emit_digits(r, pick(r, 3));
    }
}

/* A string's body: one of a few, or raw bytes of the input. Choice 0 of
 * every pick is the plain one, so an input that runs out of bytes still
 * makes a record the fast path takes. */
static void emit_string(recipe *r, const char *const *some, unsigned nsome) {
    emit_char(r, '"');
    unsigned k = pick(r, nsome + 1);
    if (k < nsome)
        emit(r, some[k]);
    else
        for (unsigned len = pick(r, 24); len > 0 && r->i < r->n; len--) {
            char c = (char)r->d[r->i++];
            if (r->len < MADE_MAX)
                r->out[r->len++] = c;
        }
    emit_char(r, '"');
}

static void emit_value(recipe *r, unsigned key) {
    static const char *const symbols[] = {"AAPL", "BRK.B", "A", "SPY-W", "ABCDEFGHIJKL", "aapl", "",
                                          "ABCDEFGHIJKLM", "\\u0041PL", "A\\\""};
    static const char *const times[] = {
        "2026-11-24T20:15:03.123456Z", "2026-11-24T20:15:03Z", "2026-11-24t21:15:03.1+01:00",
        "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "2026-02-29T00:00:00Z",
        "2024-02-29T23:59:60Z", "1969-12-31T23:59:59.5-00:30", "2026-11-24 20:15:03Z"};
    static const char *const exchanges[] = {"XNAS", "", "caf\xc3\xa9", "0123456789abcdef",
                                            "0123456789abcdefg", "\\u0000", "\xf0\x9d\x84\x9e",
                                            "\xed\xa0\x80", "a\x7f"};
    static const char *const odd[] = {"null", "true", "false", "{}", "[1]", "{\"a\":[null]}"};
    unsigned shape = pick(r, 64);
    if (shape >= 58) {
        emit(r, odd[shape - 58]);
        return;
    }
    if (shape == 57 || key > 7) { /* the other type, or any value for other keys */
        if (pick(r, 2))
            emit_number(r);
        else
            emit_string(r, symbols, 10);
        return;
    }
    switch (key) {
    case 0: emit_string(r, symbols, 10); break;
    case 1:
        if (pick(r, 3))
            emit_string(r, times, 9);
        else
            emit_number(r);
        break;
    case 6: emit_string(r, exchanges, 9); break;
    default: emit_number(r); break;
    }
}

static size_t make_record(recipe *r) {
    static const char *const keys[] = {"symbol",   "ts",  "price", "size",        "bid",
                                       "ask",      "exchange", "seq", "venue", "pr\\u0069ce",
                                       "trade_id", "Price"};
    r->len = 0;
    emit_ws(r);
    emit_char(r, pick(r, 64) != 63 ? '{' : '[');
    /* the three required fields first, in a chosen order, unless left out */
    unsigned order = pick(r, 6), nfields = 3 + pick(r, 8);
    static const unsigned orders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                          {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    for (unsigned f = 0; f < nfields; f++) {
        if (f >= 3 && r->i >= r->n)
            break; /* out of bytes: no more optional fields */
        unsigned key = f < 3 ? orders[order][f] : pick(r, 12);
        if (f < 3 && pick(r, 32) == 31)
            key = pick(r, 12);
        if (f)
            emit_char(r, pick(r, 64) != 63 ? ',' : ' ');
        emit_ws(r);
        emit_char(r, '"');
        emit(r, keys[key]);
        emit_char(r, '"');
        emit_ws(r);
        emit_char(r, ':');
        emit_ws(r);
        emit_value(r, key);
        emit_ws(r);
    }
    emit(r, pick(r, 64) != 63 ? "}" : pick(r, 2) ? "}," : "");
    emit_ws(r);
    return r->len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static recipe r;
    check_bytes(data, size);
    r = (recipe){.d = data, .n = size};
    size_t n = make_record(&r);
    n_made++;
    check_bytes((const uint8_t *)r.out, n);
    return 0;
}
