/* The tick-specialised fast path (tick/tick_fast.c) against the yajl path:
 * crafted records through both. For each: whether the fast path takes it,
 * and that tl_tick_parse gives the same outcome with the fast path on and
 * off (the same tick field by field, or the same code and message), which
 * is the expected one. fuzz/fuzz_tick_fast.c does the same on any bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tick/tick.h"
#include "tick/tick_fast.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define SYM "\"symbol\":\"AAPL\""
#define TS "\"ts\":\"2026-11-24T20:15:03.123456Z\""
#define TS_US 1795551303123456LL
#define HEAD "{" SYM "," TS ","

typedef struct both {
    tl_tick_parser *fast, *yajl;
} both;

static int setup(void **state) {
    both *b = calloc(1, sizeof *b);
    if (!b || !(b->fast = tl_tick_parser_new(TL_TS_UNIT_MS, 4096)) ||
        !(b->yajl = tl_tick_parser_new(TL_TS_UNIT_MS, 4096)))
        return -1;
    tl_tick_parser_set_fast(b->yajl, false);
    *state = b;
    return 0;
}

static int teardown(void **state) {
    both *b = *state;
    tl_tick_parser_destroy(b->fast);
    tl_tick_parser_destroy(b->yajl);
    free(b);
    return 0;
}

static void assert_same_tick(const tl_tick *a, const tl_tick *b) {
    assert_memory_equal(a->symbol, b->symbol, sizeof a->symbol);
    assert_memory_equal(a->exchange, b->exchange, sizeof a->exchange);
    assert_int_equal(a->ts_us, b->ts_us);
    assert_int_equal(a->price, b->price);
    assert_int_equal(a->size, b->size);
    assert_int_equal(a->bid, b->bid);
    assert_int_equal(a->ask, b->ask);
    assert_int_equal(a->seq, b->seq);
    assert_int_equal(a->has, b->has);
}

/* Parses json with both parsers; asserts whether the fast path takes it
 * and that both agree. Returns the outcome (rc), tick and error. */
static int parse_both(both *b, const char *json, bool fast_takes, tl_tick *t, tl_tick_error *e) {
    size_t len = strlen(json);
    tl_tick ft, yt;
    tl_tick_error ye;
    bool took = tl_tick_fast_parse(json, len, TL_TS_UNIT_MS, &ft);
    if (took != fast_takes)
        fail_msg("fast path %s %s", took ? "took" : "declined", json);
    int rc = tl_tick_parse(b->fast, json, len, t, e);
    int ry = tl_tick_parse(b->yajl, json, len, &yt, &ye);
    assert_int_equal(rc, ry);
    if (rc == 0) {
        assert_same_tick(t, &yt);
        if (took)
            assert_same_tick(&ft, &yt);
    } else {
        assert_int_equal(e->reason, ye.reason);
        assert_string_equal(e->code, ye.code);
        assert_string_equal(e->msg, ye.msg);
    }
    return rc;
}

/* Accepted: the price in micro-units. */
typedef struct money_case {
    const char *json;
    bool fast;
    int64_t price;
} money_case;

static void test_exact_decimals(void **state) {
    static const money_case cases[] = {
        {HEAD "\"price\":750.440000}", true, 750440000},
        {HEAD "\"price\":750.44}", true, 750440000},
        {HEAD "\"price\":0.000001}", true, 1},
        {HEAD "\"price\":0.5}", true, 500000},
        {HEAD "\"price\":189}", true, 189000000},
        {HEAD "\"price\":999999999999.999999}", true, TL_MONEY_MAX_MICROS},
        {HEAD "\"price\":999999999999}", true, 999999999999000000LL},
        {HEAD "\"price\":100000000000.1}", true, 100000000000100000LL},
        /* exact, but beyond what the fast path reads: yajl's */
        {HEAD "\"price\":1.2300000}", false, 1230000},
        {HEAD "\"price\":1e2}", false, 100000000},
        {HEAD "\"price\":12.5E-1}", false, 1250000},
    };
    for (size_t i = 0; i < N(cases); i++) {
        tl_tick t;
        tl_tick_error e;
        assert_int_equal(parse_both(*state, cases[i].json, cases[i].fast, &t, &e), 0);
        assert_int_equal(t.price, cases[i].price);
        assert_string_equal(t.symbol, "AAPL");
        assert_int_equal(t.ts_us, TS_US);
    }
}

/* Rejected: the fast path declines, the yajl path gives the reason. */
typedef struct reject_case {
    const char *json;
    const char *code;
} reject_case;

static void test_every_reason_unchanged(void **state) {
    static const reject_case cases[] = {
        {"", "not_json"},
        {"{\"symbol\":", "not_json"},
        {HEAD "\"price\":007}", "not_json"},         /* leading zeros */
        {HEAD "\"price\":1.}", "not_json"},          /* a point without digits */
        {HEAD "\"price\":1},", "not_json"},          /* trailing garbage */
        {HEAD "\"price\":1,}", "not_json"},          /* trailing comma */
        {HEAD "\"price\":1}/**/", "not_json"},       /* comments are not JSON */
        {HEAD "\"price\":1", "not_json"},            /* cut off */
        {"[" HEAD "\"price\":1}]", "not_object"},
        {"\"AAPL\"", "not_object"},
        {"{" SYM "," TS "}", "missing_field:price"},
        {"{" SYM ",\"price\":1}", "missing_field:ts"},
        {"{" TS ",\"price\":1}", "missing_field:symbol"},
        {HEAD "\"price\":null}", "missing_field:price"},
        {HEAD "\"price\":\"1.5\"}", "bad_type:price"},
        {HEAD "\"price\":true}", "bad_type:price"},
        {HEAD "\"price\":[1]}", "bad_type:price"},
        {"{\"symbol\":1," TS ",\"price\":1}", "bad_type:symbol"},
        {HEAD "\"price\":1,\"exchange\":{}}", "bad_type:exchange"},
        {HEAD "\"price\":-1.5}", "bad_price"},
        {HEAD "\"price\":-0.000001}", "bad_price"},
        {HEAD "\"price\":0}", "bad_price"},
        {HEAD "\"price\":0.000000}", "bad_price"},
        {HEAD "\"price\":0.0000001}", "bad_price"},
        {HEAD "\"price\":1000000000000}", "bad_price"}, /* above DECIMAL(18,6) */
        {HEAD "\"price\":1000000000000.000000}", "bad_price"},
        {HEAD "\"price\":9223372036854.775807}", "bad_price"},
        {HEAD "\"price\":1,\"bid\":-1}", "bad_bid"},
        {HEAD "\"price\":1,\"ask\":1.0000001}", "bad_ask"},
        {HEAD "\"price\":1,\"bid\":2,\"ask\":1}", "crossed_quote"},
        {HEAD "\"price\":1,\"size\":-1}", "bad_size"},
        {HEAD "\"price\":1,\"size\":1.0}", "bad_size"},
        {HEAD "\"price\":1,\"size\":1e3}", "bad_size"},
        {HEAD "\"price\":1,\"seq\":9223372036854775808}", "bad_seq"},
        {"{\"symbol\":\"aapl\"," TS ",\"price\":1}", "bad_symbol"},
        {"{\"symbol\":\"\"," TS ",\"price\":1}", "bad_symbol"},
        {"{\"symbol\":\"ABCDEFGHIJKLM\"," TS ",\"price\":1}", "bad_symbol"},
        {"{" SYM ",\"ts\":\"2026-02-30T20:15:03Z\",\"price\":1}", "bad_ts"},
        {"{" SYM ",\"ts\":\"2026-11-24 20:15:03Z\",\"price\":1}", "bad_ts"},
        {"{" SYM ",\"ts\":1.5,\"price\":1}", "bad_ts"},
        {"{" SYM ",\"ts\":253402300800000,\"price\":1}", "bad_ts"},
        {HEAD "\"price\":1,\"exchange\":\"0123456789abcdefg\"}", "bad_exchange"},
        {HEAD "\"price\":1,\"exchange\":\"a\\u0000\"}", "bad_exchange"},
        {HEAD "\"price\":1,\"exchange\":\"\xc0\xaf\"}", "bad_utf8:exchange"}, /* overlong */
        {HEAD "\"price\":1,\"exchange\":\"\\udc00\"}", "bad_utf8:exchange"},  /* lone surrogate */
        {HEAD "\"price\":1,\"exchange\":\"a\x01\"}", "not_json"},            /* a control byte */
        {HEAD "\"price\":1,\"price\":2}", "duplicate_field:price"},
        {HEAD "\"price\":1,\"size\":null,\"size\":2}", "duplicate_field:size"},
        {HEAD "\"price\":1,\"\\u0070rice\":2}", "duplicate_field:price"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        tl_tick t;
        tl_tick_error e;
        assert_int_equal(parse_both(*state, cases[i].json, false, &t, &e), -1);
        if (strcmp(e.code, cases[i].code) != 0)
            fail_msg("%s: %s, expected %s", cases[i].json, e.code, cases[i].code);
    }
}

static void test_keys_in_any_order(void **state) {
    static const char *const orders[] = {
        "{\"symbol\":\"BRK.B\",\"ts\":1795551303123,\"price\":189.25,\"size\":100,"
        "\"bid\":189.24,\"ask\":189.26,\"exchange\":\"XNAS\",\"seq\":42}",
        "{\"seq\":42,\"exchange\":\"XNAS\",\"ask\":189.26,\"bid\":189.24,\"size\":100,"
        "\"price\":189.25,\"ts\":1795551303123,\"symbol\":\"BRK.B\"}",
        "{\"price\":189.25,\"bid\":189.24,\"symbol\":\"BRK.B\",\"seq\":42,\"ts\":1795551303123,"
        "\"exchange\":\"XNAS\",\"size\":100,\"ask\":189.26}",
        " \r\n\t{ \"ask\" : 189.26 ,\"bid\":189.24 , \"exchange\":\"XNAS\",\n\"price\"\t:189.25,"
        "\"seq\": 42, \"size\" :100,\"symbol\":\"BRK.B\",\"ts\":1795551303123 } \n",
    };
    tl_tick first;
    for (size_t i = 0; i < N(orders); i++) {
        tl_tick t;
        tl_tick_error e;
        assert_int_equal(parse_both(*state, orders[i], true, &t, &e), 0);
        assert_string_equal(t.symbol, "BRK.B");
        assert_int_equal(t.ts_us, 1795551303123000LL);
        assert_int_equal(t.price, 189250000);
        assert_int_equal(t.bid, 189240000);
        assert_int_equal(t.ask, 189260000);
        assert_int_equal(t.size, 100);
        assert_int_equal(t.seq, 42);
        assert_string_equal(t.exchange, "XNAS");
        if (i == 0)
            first = t;
        assert_same_tick(&t, &first);
    }
}

/* Accepted by yajl but not plain enough for the fast path: same tick. */
static void test_declined_but_valid(void **state) {
    static const char *const cases[] = {
        HEAD "\"price\":1,\"bid\":null}",             /* null = absent */
        HEAD "\"price\":1,\"venue\":\"X\"}",          /* unknown keys (ignored) */
        HEAD "\"price\":1,\"x\":{\"a\":[1,2]}}",      /* nested values */
        "{\"symbol\":\"\\u0041APL\"," TS ",\"price\":1}", /* an escape */
        HEAD "\"price\":1,\"size\":-0}",              /* -0 is 0 */
        HEAD "\"price\":1,\"seq\":9223372036854775807}", /* 19 digits */
        "{" SYM ",\"ts\":-1,\"price\":1}",            /* before 1970 */
        HEAD "\"price\":1}\f",                        /* whitespace yajl also takes */
    };
    for (size_t i = 0; i < N(cases); i++) {
        tl_tick t;
        tl_tick_error e;
        if (parse_both(*state, cases[i], false, &t, &e) != 0)
            fail_msg("%s: %s", cases[i], e.code);
    }
}

static void test_plain_values(void **state) {
    tl_tick t;
    tl_tick_error e;
    /* UTF-8 in one pass; an empty exchange is present and empty */
    assert_int_equal(
        parse_both(*state, HEAD "\"price\":1,\"exchange\":\"caf\xc3\xa9\xf0\x9d\x84\x9e\"}", true,
                   &t, &e),
        0);
    assert_string_equal(t.exchange, "caf\xc3\xa9\xf0\x9d\x84\x9e");
    assert_int_equal(parse_both(*state, HEAD "\"price\":1,\"exchange\":\"\"}", true, &t, &e), 0);
    assert_int_equal(t.has, TL_TICK_HAS_EXCHANGE);
    assert_string_equal(t.exchange, "");
    /* counts: 0 and the 18 digits the fast path reads */
    assert_int_equal(
        parse_both(*state, HEAD "\"price\":1,\"size\":0,\"seq\":999999999999999999}", true, &t, &e),
        0);
    assert_int_equal(t.size, 0);
    assert_int_equal(t.seq, 999999999999999999LL);
    /* RFC 3339 with an offset, nanoseconds, lower case */
    assert_int_equal(
        parse_both(*state, "{" SYM ",\"ts\":\"2026-11-24t21:15:03.123456789+01:00\",\"price\":1}",
                   true, &t, &e),
        0);
    assert_int_equal(t.ts_us, TS_US);
    assert_int_equal(parse_both(*state, HEAD "\"price\":1,\"bid\":1,\"ask\":1}", true, &t, &e), 0);
}

/* Strings are scanned eight bytes at a time: each kind of byte at every
 * position of a 0..20-byte exchange (so in every lane of a word and in the
 * tail) gives the same outcome both ways, and the plain ones are taken. */
static void test_string_bytes_every_position(void **state) {
    static const struct {
        const char *bytes;
        bool plain; /* the fast path takes it */
    } kinds[] = {
        {" ", true},
        {"\x7f", true},
        {"~", true},
        {"\xc3\xa9", true},
        {"\xf0\x9d\x84\x9e", true},
        {"\"", false},
        {"\\\\", false}, /* an escape */
        {"\x1f", false},
        {"\x01", false},
        {"\xc3", false},         /* a cut sequence */
        {"\xff", false},
        {"\xed\xa0\x80", false}, /* a surrogate */
    };
    for (size_t k = 0; k < N(kinds); k++)
        for (size_t len = 0; len <= 20; len++)
            for (size_t at = 0; at < len; at++) {
                char ex[64], json[160];
                size_t blen = strlen(kinds[k].bytes), o = 0;
                for (size_t i = 0; i < len; i++)
                    if (i == at) {
                        memcpy(ex + o, kinds[k].bytes, blen);
                        o += blen;
                    } else
                        ex[o++] = (char)('A' + i);
                ex[o] = '\0';
                snprintf(json, sizeof json, HEAD "\"price\":1,\"exchange\":\"%s\",\"seq\":1}", ex);
                bool fits = o <= TL_EXCHANGE_MAX;
                tl_tick t;
                tl_tick_error e;
                int rc = parse_both(*state, json, kinds[k].plain && fits, &t, &e);
                if (kinds[k].plain && fits) {
                    assert_int_equal(rc, 0);
                    assert_string_equal(t.exchange, ex);
                }
            }
}

/* The epoch unit of the parser applies on the fast path too. */
static void test_epoch_units(void **state) {
    (void)state;
    static const struct {
        tl_ts_unit unit;
        const char *ts;
        int64_t us;
    } cases[] = {{TL_TS_UNIT_S, "1795551303", 1795551303000000LL},
                 {TL_TS_UNIT_MS, "1795551303123", 1795551303123000LL},
                 {TL_TS_UNIT_US, "1795551303123456", 1795551303123456LL},
                 {TL_TS_UNIT_NS, "1795551303123456789", 0}, /* 19 digits: yajl's */
                 {TL_TS_UNIT_NS, "179555130312345678", 179555130312345LL},
                 {TL_TS_UNIT_S, "0", 0}};
    for (size_t i = 0; i < N(cases); i++) {
        char json[128];
        snprintf(json, sizeof json, "{" SYM ",\"ts\":%s,\"price\":1}", cases[i].ts);
        tl_tick t, y;
        tl_tick_parser *p = tl_tick_parser_new(cases[i].unit, 0);
        assert_non_null(p);
        bool took = tl_tick_fast_parse(json, strlen(json), cases[i].unit, &t);
        assert_int_equal(took, strlen(cases[i].ts) < 19);
        tl_tick_parser_set_fast(p, false);
        assert_int_equal(tl_tick_parse(p, json, strlen(json), &y, NULL), 0);
        if (took) {
            assert_int_equal(t.ts_us, cases[i].us);
            assert_same_tick(&t, &y);
        }
        tl_tick_parser_destroy(p);
    }
}

/* too_large comes before either path. */
static void test_too_large_first(void **state) {
    (void)state;
    const char *json = HEAD "\"price\":1}";
    tl_tick_parser *p = tl_tick_parser_new(TL_TS_UNIT_MS, strlen(json) - 1);
    tl_tick t;
    tl_tick_error e;
    assert_non_null(p);
    assert_int_equal(tl_tick_parse(p, json, strlen(json), &t, &e), -1);
    assert_string_equal(e.code, "too_large");
    tl_tick_parser_destroy(p);
}

/* The fast path never reads past len: every prefix of a record, from an
 * exact-size heap copy (ASan sees an over-read), is declined. */
static void test_prefixes_declined(void **state) {
    (void)state;
    const char *json = HEAD "\"price\":189.25,\"size\":100,\"exchange\":\"XNAS\",\"seq\":42}";
    size_t n = strlen(json);
    tl_tick t;
    for (size_t k = 0; k < n; k++) {
        char *copy = malloc(k ? k : 1);
        assert_non_null(copy);
        memcpy(copy, json, k);
        assert_false(tl_tick_fast_parse(copy, k, TL_TS_UNIT_MS, &t));
        free(copy);
    }
    assert_true(tl_tick_fast_parse(json, n, TL_TS_UNIT_MS, &t));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_decimals),       cmocka_unit_test(test_every_reason_unchanged),
        cmocka_unit_test(test_keys_in_any_order),    cmocka_unit_test(test_declined_but_valid),
        cmocka_unit_test(test_plain_values),         cmocka_unit_test(test_epoch_units),
        cmocka_unit_test(test_too_large_first),      cmocka_unit_test(test_prefixes_declined),
        cmocka_unit_test(test_string_bytes_every_position),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
