/* libFuzzer target, differential: the tick parser (tl_tick_parse, yajl's
 * callback API with exact decimals) against a second check written here
 * from the rules documented in src/tick/tick.h, on yajl's tree API
 * (yajl_tree_parse) and with its own UTF-8, RFC 3339, decimal and integer
 * code. For every input and every epoch unit (s, ms, us, ns) the outcome
 * must agree: accepted with the same field values, or rejected with the
 * same code ("bad_price", "missing_field:ts", "bad_utf8:exchange"...).
 * A parser with max_bytes 192 must say too_large exactly for longer inputs.
 *
 * Then an accepted record must survive the writer: every 64th accepted
 * input goes through tl_duck_write_ticks into a Parquet file and is read
 * back with tl_duck_query_each; every column must come back equal.
 *
 * Restrictions of the second check (inputs it skips, counted and printed
 * at exit; the parser still runs on them and the crash/leak checks hold):
 *  - inputs holding the six bytes \u0000: the tree API returns keys and
 *    strings as C strings, so a NUL from that escape would be lost;
 *  - nothing else. Comments, which yajl_tree_parse allows and the tick
 *    parser does not, are found by a scan for '/' outside strings (never
 *    valid JSON there), and a raw NUL byte anywhere makes the input
 *    not_json (it is never valid JSON either). */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "duck/duck.h"
#include "tick/tick.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SMALL_MAX 192
#define WRITE_EVERY 64

static const char *const names[] = {"symbol", "ts", "price", "size", "bid", "ask", "exchange", "seq"};
enum { SYMBOL, TS, PRICE, SIZE, BID, ASK, EXCHANGE, SEQ, NFIELDS };

typedef struct expect {
    int ok;
    char code[48];
    tl_tick t;
} expect;

static const uint8_t *cur_data;
static size_t cur_size;
static unsigned long n_inputs, n_skipped, n_accepted, n_written;

static void die(const char *what) {
    fprintf(stderr, "fuzz_tick_diff: %s; input of %zu bytes: %.*s\n", what, cur_size,
            (int)cur_size, (const char *)cur_data);
    abort();
}

/* ---- the second check's own scalar rules --------------------------------- */

/* RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF. */
static int utf8_ok(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t need;
        unsigned lo = 0x80, hi = 0xBF;
        if (c <= 0x7F) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF)
            need = 1;
        else if (c == 0xE0)
            need = 2, lo = 0xA0;
        else if (c == 0xED)
            need = 2, hi = 0x9F;
        else if (c >= 0xE1 && c <= 0xEF)
            need = 2;
        else if (c == 0xF0)
            need = 3, lo = 0x90;
        else if (c == 0xF4)
            need = 3, hi = 0x8F;
        else if (c >= 0xF1 && c <= 0xF3)
            need = 3;
        else
            return 0;
        if (n - i - 1 < need)
            return 0; /* the sequence is cut off */
        if ((unsigned)s[i + 1] < lo || (unsigned)s[i + 1] > hi)
            return 0;
        for (size_t k = 2; k <= need; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
        i += need + 1;
    }
    return 1;
}

static int dig2(const char *s) {
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return -1;
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* Days from 0000-01-01 to y-01-01 (proleptic Gregorian, year 0 is leap). */
static long long days_before_year(long long y) {
    if (y == 0)
        return 0;
    return 365 * y + (y - 1) / 4 - (y - 1) / 100 + (y - 1) / 400 + 1;
}

static int leap(int y) {
    return y % 400 == 0 || (y % 4 == 0 && y % 100 != 0);
}

/* YYYY-MM-DD(T|t)HH:MM:SS[.1-9 digits](Z|z|+HH:MM|-HH:MM), years 0000-9999
 * after the offset; digits beyond µs are dropped (toward the past). */
static int rfc3339(const char *s, size_t n, int64_t *us) {
    static const int cum[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (n < 20)
        return -1;
    int y1 = dig2(s), y2 = dig2(s + 2);
    if (y1 < 0 || y2 < 0 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
        s[13] != ':' || s[16] != ':')
        return -1;
    int y = y1 * 100 + y2, mo = dig2(s + 5), d = dig2(s + 8), h = dig2(s + 11),
        mi = dig2(s + 14), sec = dig2(s + 17);
    if (mo < 1 || mo > 12 || d < 1 || d > dim[mo - 1] + (mo == 2 && leap(y)) || h < 0 || h > 23 ||
        mi < 0 || mi > 59 || sec < 0 || sec > 59)
        return -1;
    size_t i = 19;
    long long frac = 0;
    if (s[i] == '.') {
        size_t nd = 0;
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, nd++)
            if (nd < 6)
                frac = frac * 10 + (s[i] - '0');
        if (nd < 1 || nd > 9)
            return -1;
        for (; nd < 6; nd++)
            frac *= 10;
    }
    long long off;
    if (n - i == 1 && (s[i] == 'Z' || s[i] == 'z'))
        off = 0;
    else if (n - i == 6 && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh = dig2(s + i + 1), om = dig2(s + i + 4);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return -1;
        off = (s[i] == '-' ? -1 : 1) * (oh * 3600LL + om * 60LL);
    } else
        return -1;
    long long days = days_before_year(y) - days_before_year(1970) + cum[mo - 1] +
                     (mo > 2 && leap(y)) + (d - 1);
    __int128 v = ((__int128)days * 86400 + h * 3600 + mi * 60 + sec - off) * 1000000 + frac;
    /* 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999Z */
    __int128 lo = (__int128)(days_before_year(0) - days_before_year(1970)) * 86400 * 1000000;
    __int128 hi = (__int128)(days_before_year(10000) - days_before_year(1970)) * 86400 * 1000000 - 1;
    if (v < lo || v > hi)
        return -1;
    *us = (int64_t)v;
    return 0;
}

/* A JSON integer (yajl checked the grammar) fitting int64; -1 if it has a
 * fraction or exponent or does not fit. */
static int json_int(const char *r, int64_t *out) {
    if (strpbrk(r, ".eE"))
        return -1;
    int neg = *r == '-';
    const char *d = r + neg;
    size_t nd = strlen(d);
    if (nd > 19)
        return -1;
    __int128 v = 0;
    for (size_t i = 0; i < nd; i++)
        v = v * 10 + (d[i] - '0');
    if (neg)
        v = -v;
    if (v > INT64_MAX || v < INT64_MIN)
        return -1;
    *out = (int64_t)v;
    return 0;
}

/* A JSON number as micro-units within 1..999999999999999999 (DECIMAL(18,6),
 * > 0, exact to 6 decimals); -1 otherwise. */
static int money(const char *r, int64_t *out) {
    int neg = *r == '-';
    const char *p = r + neg;
    char digits[8192];
    size_t nd = 0;
    long long exp10 = 0; /* value = digits * 10^exp10 */
    for (; *p >= '0' && *p <= '9'; p++)
        if (nd < sizeof digits)
            digits[nd++] = *p;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, exp10--)
            if (nd < sizeof digits)
                digits[nd++] = *p;
    if (*p == 'e' || *p == 'E') {
        p++;
        int eneg = *p == '-';
        if (*p == '+' || *p == '-')
            p++;
        long long e = 0;
        for (; *p >= '0' && *p <= '9'; p++)
            if (e < 100000000)
                e = e * 10 + (*p - '0');
        exp10 += eneg ? -e : e;
    }
    size_t first = 0;
    while (first < nd && digits[first] == '0')
        first++;
    while (nd > first && digits[nd - 1] == '0') {
        nd--;
        exp10++;
    }
    if (first == nd || neg)
        return -1; /* zero or negative: not > 0 */
    long long k = exp10 + 6; /* the value in micro-units is digits * 10^k */
    if (k < 0 || (long long)(nd - first) + k > 18)
        return -1; /* more than 6 decimals, or above 999999999999.999999 */
    int64_t v = 0;
    for (size_t i = first; i < nd; i++)
        v = v * 10 + (digits[i] - '0');
    for (; k > 0; k--)
        v *= 10;
    *out = v;
    return 0;
}

static int symbol_ok(const char *s) {
    size_t n = strlen(s);
    if (n < 1 || n > 12)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
              s[i] == '-'))
            return 0;
    return 1;
}

/* ---- the second check: the documented rules on yajl's tree ---------------- */

/* '/' outside a string: a comment, which only the tree parser allows. */
static int has_comment(const uint8_t *d, size_t n) {
    int in_str = 0;
    for (size_t i = 0; i < n; i++) {
        if (in_str) {
            if (d[i] == '\\')
                i++;
            else if (d[i] == '"')
                in_str = 0;
        } else if (d[i] == '"')
            in_str = 1;
        else if (d[i] == '/')
            return 1;
    }
    return 0;
}

static void set_code(expect *x, const char *stem, int field) {
    if (x->code[0])
        return; /* the first problem in message order stands */
    if (field >= 0)
        snprintf(x->code, sizeof x->code, "%s:%s", stem, names[field]);
    else
        snprintf(x->code, sizeof x->code, "%s", stem);
}

static const char *bad_code(int f) {
    static const char *const c[] = {"bad_symbol", "bad_ts",       "bad_price", "bad_size",
                                    "bad_bid",    "bad_ask",      "bad_exchange", "bad_seq"};
    return c[f];
}

static void field_value(expect *x, int f, yajl_val v, tl_ts_unit unit, unsigned *present) {
    int64_t n;
    if (YAJL_IS_NULL(v))
        return; /* absent */
    if (YAJL_IS_STRING(v)) {
        const char *s = v->u.string;
        size_t len = strlen(s);
        if (!utf8_ok((const unsigned char *)s, len))
            return set_code(x, "bad_utf8", f);
        switch (f) {
        case SYMBOL:
            if (!symbol_ok(s))
                return set_code(x, "bad_symbol", -1);
            memcpy(x->t.symbol, s, len + 1);
            break;
        case EXCHANGE:
            if (len > 16)
                return set_code(x, "bad_exchange", -1);
            memcpy(x->t.exchange, s, len + 1);
            x->t.has |= TL_TICK_HAS_EXCHANGE;
            break;
        case TS:
            if (rfc3339(s, len, &x->t.ts_us) != 0)
                return set_code(x, "bad_ts", -1);
            break;
        default: return set_code(x, "bad_type", f);
        }
        *present |= 1u << f;
        return;
    }
    if (!YAJL_IS_NUMBER(v))
        return set_code(x, "bad_type", f); /* true, false, object, array */
    const char *r = v->u.number.r;
    switch (f) {
    case SYMBOL:
    case EXCHANGE: return set_code(x, "bad_type", f);
    case PRICE:
    case BID:
    case ASK:
        if (money(r, &n) != 0)
            return set_code(x, bad_code(f), -1);
        if (f == PRICE)
            x->t.price = n;
        else if (f == BID)
            x->t.bid = n, x->t.has |= TL_TICK_HAS_BID;
        else
            x->t.ask = n, x->t.has |= TL_TICK_HAS_ASK;
        break;
    case SIZE:
    case SEQ:
        if (json_int(r, &n) != 0 || n < 0)
            return set_code(x, bad_code(f), -1);
        if (f == SIZE)
            x->t.size = n, x->t.has |= TL_TICK_HAS_SIZE;
        else
            x->t.seq = n, x->t.has |= TL_TICK_HAS_SEQ;
        break;
    case TS: {
        static const long long per_unit[] = {1000000, 1000, 1, 0};
        if (json_int(r, &n) != 0)
            return set_code(x, "bad_ts", -1);
        __int128 us;
        if (unit == TL_TS_UNIT_NS)
            us = n >= 0 ? n / 1000 : -((-(__int128)n + 999) / 1000); /* floor */
        else
            us = (__int128)n * per_unit[unit];
        if (us < TL_TS_MIN_US || us > TL_TS_MAX_US)
            return set_code(x, "bad_ts", -1);
        x->t.ts_us = (int64_t)us;
        break;
    }
    }
    *present |= 1u << f;
}

/* 0 = an expectation in *x; -1 = outside the restricted grammar (skip). */
static int second_check(const uint8_t *data, size_t size, tl_ts_unit unit, expect *x) {
    memset(x, 0, sizeof *x);
    if (memmem(data, size, "\\u0000", 6))
        return -1;
    if (memchr(data, 0, size)) {
        set_code(x, "not_json", -1);
        return 0;
    }
    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    yajl_val root = yajl_tree_parse(text, NULL, 0);
    free(text);
    if (!root || has_comment(data, size)) {
        yajl_tree_free(root);
        set_code(x, "not_json", -1);
        return 0;
    }
    if (!YAJL_IS_OBJECT(root)) {
        yajl_tree_free(root);
        set_code(x, "not_object", -1);
        return 0;
    }
    unsigned seen = 0, present = 0;
    for (size_t i = 0; i < root->u.object.len; i++) {
        int f = -1;
        for (int k = 0; k < NFIELDS; k++)
            if (strcmp(root->u.object.keys[i], names[k]) == 0)
                f = k;
        if (f < 0)
            continue;
        if (seen & (1u << f)) {
            set_code(x, "duplicate_field", f);
            continue;
        }
        seen |= 1u << f;
        field_value(x, f, root->u.object.values[i], unit, &present);
    }
    yajl_tree_free(root);
    static const int required[] = {SYMBOL, TS, PRICE};
    for (size_t i = 0; i < 3; i++)
        if (!(present & (1u << required[i])))
            set_code(x, "missing_field", required[i]);
    if ((x->t.has & TL_TICK_HAS_BID) && (x->t.has & TL_TICK_HAS_ASK) && x->t.bid > x->t.ask)
        set_code(x, "crossed_quote", -1);
    x->ok = x->code[0] == '\0';
    return 0;
}

/* ---- the writer check -------------------------------------------------------- */

static tl_duck *duck;
static char parquet_path[128];

static void print_stats(void) {
    fprintf(stderr,
            "fuzz_tick_diff: %lu inputs, %lu outside the second check's grammar, %lu accepted, "
            "%lu written and read back\n",
            n_inputs, n_skipped, n_accepted, n_written);
    if (parquet_path[0])
        unlink(parquet_path);
}

static void money_text(int64_t v, char *out, size_t cap) {
    snprintf(out, cap, "%lld.%06lld", (long long)(v / 1000000), (long long)(v % 1000000));
}

typedef struct readback {
    const char *want[12];
    int rows;
} readback;

static int on_row(void *ud, int ncols, const char *const *values) {
    readback *rb = ud;
    if (ncols != 12)
        die("writer check: wrong column count");
    for (int i = 0; i < 12; i++) {
        const char *w = rb->want[i], *g = values[i];
        if ((w == NULL) != (g == NULL) || (w && strcmp(w, g) != 0)) {
            fprintf(stderr, "fuzz_tick_diff: column %d read back as %s, wrote %s\n", i,
                    g ? g : "NULL", w ? w : "NULL");
            die("writer check: a value changed through Parquet");
        }
    }
    rb->rows++;
    return 0;
}

static void writer_check(const tl_tick *t) {
    tl_err err = {0};
    if (!duck) {
        if (!(duck = tl_duck_open(NULL, 0, NULL, &err)))
            die(err.msg);
        const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(parquet_path, sizeof parquet_path, "%s/fuzz_tick_diff.%d.parquet", dir,
                 (int)getpid());
    }
    tl_tick_row row = {.tick = *t,
                       .late = n_written % 2,
                       .src_partition = (int32_t)(n_written % 7) - 1,
                       .src_offset = (int64_t)n_accepted,
                       .ingest_ts_us = t->ts_us};
    int64_t size = 0;
    if (tl_duck_write_ticks(duck, &row, 1, parquet_path, &size, &err) != 0 || size <= 0) {
        fprintf(stderr, "fuzz_tick_diff: write failed: %s\n", err.msg);
        die("writer check: an accepted record was refused by the writer");
    }
    char ts[32], price[32], bid[32], ask[32], sz[32], seq[32], part[16], off[32];
    snprintf(ts, sizeof ts, "%lld", (long long)t->ts_us);
    money_text(t->price, price, sizeof price);
    money_text(t->bid, bid, sizeof bid);
    money_text(t->ask, ask, sizeof ask);
    snprintf(sz, sizeof sz, "%lld", (long long)t->size);
    snprintf(seq, sizeof seq, "%lld", (long long)t->seq);
    snprintf(part, sizeof part, "%d", (int)row.src_partition);
    snprintf(off, sizeof off, "%lld", (long long)row.src_offset);
    readback rb = {{t->symbol, ts, price, t->has & TL_TICK_HAS_SIZE ? sz : NULL,
                    t->has & TL_TICK_HAS_BID ? bid : NULL, t->has & TL_TICK_HAS_ASK ? ask : NULL,
                    t->has & TL_TICK_HAS_EXCHANGE ? t->exchange : NULL,
                    t->has & TL_TICK_HAS_SEQ ? seq : NULL, row.late ? "true" : "false", part, off,
                    ts},
                   0};
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT symbol, epoch_us(ts), CAST(price AS VARCHAR), size, CAST(bid AS VARCHAR), "
             "CAST(ask AS VARCHAR), exchange, seq, late, src_partition, src_offset, "
             "epoch_us(ingest_ts) FROM read_parquet('%s')",
             parquet_path);
    if (tl_duck_query_each(duck, sql, on_row, &rb, &err) != 0) {
        fprintf(stderr, "fuzz_tick_diff: read back failed: %s\n", err.msg);
        die("writer check: the written file does not read back");
    }
    if (rb.rows != 1)
        die("writer check: not exactly one row read back");
    n_written++;
}

/* ---- the target ------------------------------------------------------------- */

static int same_tick(const tl_tick *a, const tl_tick *b) {
    return strcmp(a->symbol, b->symbol) == 0 && strcmp(a->exchange, b->exchange) == 0 &&
           a->ts_us == b->ts_us && a->price == b->price && a->has == b->has &&
           (!(a->has & TL_TICK_HAS_SIZE) || a->size == b->size) &&
           (!(a->has & TL_TICK_HAS_BID) || a->bid == b->bid) &&
           (!(a->has & TL_TICK_HAS_ASK) || a->ask == b->ask) &&
           (!(a->has & TL_TICK_HAS_SEQ) || a->seq == b->seq);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static tl_tick_parser *p[4], *small;
    if (!small) {
        for (int u = 0; u < 4; u++)
            if (!(p[u] = tl_tick_parser_new((tl_ts_unit)u, 0)))
                abort();
        if (!(small = tl_tick_parser_new(TL_TS_UNIT_MS, SMALL_MAX)))
            abort();
        atexit(print_stats);
    }
    cur_data = data;
    cur_size = size;
    n_inputs++;
    tl_tick t, accepted;
    tl_tick_error e;
    int any_accepted = 0;
    for (int u = 0; u < 4; u++) {
        int rc = tl_tick_parse(p[u], (const char *)data, size, &t, &e);
        if (rc != 0 && (e.reason == TL_TICK_OK || !e.code[0] || !e.msg[0]))
            die("rejection without reason, code or message");
        expect x;
        if (second_check(data, size, (tl_ts_unit)u, &x) != 0) {
            n_skipped += u == 0;
            continue;
        }
        if ((rc == 0) != x.ok || (rc != 0 && strcmp(e.code, x.code) != 0)) {
            fprintf(stderr, "fuzz_tick_diff: unit %d: parser says %s, second check says %s\n", u,
                    rc == 0 ? "ok" : e.code, x.ok ? "ok" : x.code);
            die("the two checks disagree");
        }
        if (rc == 0 && !same_tick(&t, &x.t)) {
            char a[512], b[512];
            tl_tick_format(&t, a, sizeof a);
            tl_tick_format(&x.t, b, sizeof b);
            fprintf(stderr, "fuzz_tick_diff: unit %d: parser %s\n  second check %s\n", u, a, b);
            die("accepted values differ");
        }
        if (rc == 0 && !any_accepted) {
            accepted = t;
            any_accepted = 1;
        }
    }
    int rc_small = tl_tick_parse(small, (const char *)data, size, &t, &e);
    if (size > SMALL_MAX) {
        if (rc_small == 0 || strcmp(e.code, "too_large") != 0)
            die("a message over max_bytes was not too_large");
    } else {
        tl_tick t_ms;
        tl_tick_error e_ms;
        int rc_ms = tl_tick_parse(p[TL_TS_UNIT_MS], (const char *)data, size, &t_ms, &e_ms);
        if (rc_small != rc_ms || (rc_ms != 0 && strcmp(e.code, e_ms.code) != 0) ||
            (rc_ms == 0 && !same_tick(&t, &t_ms)))
            die("max_bytes changed the outcome of a message within the limit");
    }
    if (any_accepted && n_accepted++ % WRITE_EVERY == 0)
        writer_check(&accepted);
    return 0;
}
