/* The tick JSON codec: tl_tick_parse reason codes and messages, unknown and
 * nested fields, reuse, limits, and tl_tick_format round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tick/tick.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
/* A message with the required fields, then whatever the case adds. */
#define BASE "\"symbol\":\"AAPL\",\"ts\":\"2026-11-24T20:15:03Z\",\"price\":189.25"
#define MSG(extra) "{" BASE extra "}"

static int setup(void **state) {
    *state = tl_tick_parser_new(TL_TS_UNIT_MS, 4096);
    return *state ? 0 : -1;
}

static int teardown(void **state) {
    tl_tick_parser_destroy(*state);
    return 0;
}

static int parse(void *p, const char *json, tl_tick *t, tl_tick_error *e) {
    return tl_tick_parse(p, json, strlen(json), t, e);
}

static void test_full_tick(void **state) {
    tl_tick t;
    tl_tick_error e;
    const char *json = "{\"symbol\":\"BRK.B\",\"ts\":\"2026-11-24T20:15:03.123456Z\","
                       "\"price\":189.25,\"size\":100,\"bid\":189.24,\"ask\":189.26,"
                       "\"exchange\":\"XNAS\",\"seq\":42}";
    assert_int_equal(parse(*state, json, &t, &e), 0);
    assert_string_equal(t.symbol, "BRK.B");
    assert_int_equal(t.ts_us, 1795551303123456LL);
    assert_int_equal(t.price, 189250000);
    assert_int_equal(t.size, 100);
    assert_int_equal(t.bid, 189240000);
    assert_int_equal(t.ask, 189260000);
    assert_string_equal(t.exchange, "XNAS");
    assert_int_equal(t.seq, 42);
    assert_int_equal(t.has, TL_TICK_HAS_SIZE | TL_TICK_HAS_BID | TL_TICK_HAS_ASK |
                                TL_TICK_HAS_EXCHANGE | TL_TICK_HAS_SEQ);
}

static void test_required_only(void **state) {
    tl_tick t;
    tl_tick_error e;
    assert_int_equal(parse(*state, MSG(""), &t, &e), 0);
    assert_int_equal(t.has, 0);
    assert_string_equal(t.exchange, "");
    assert_int_equal(e.reason, TL_TICK_OK);
}

typedef struct {
    const char *json;
    tl_tick_reason reason;
    const char *code;
    const char *msg_part; /* a piece the human message must contain */
} reject_case;

static const reject_case rejects[] = {
    /* not JSON */
    {"{", TL_TICK_NOT_JSON, "not_json", "byte 1 of 1"},
    {"", TL_TICK_NOT_JSON, "not_json", "empty"},
    {"   \n", TL_TICK_NOT_JSON, "not_json", "not JSON"},
    {"{" BASE ",}", TL_TICK_NOT_JSON, "not_json", "not JSON"},
    {"{" BASE, TL_TICK_NOT_JSON, "not_json", "premature EOF"}, /* truncated */
    {"{\"symbol\":\"AAPL\",\"ts\":\"2026-11-24T20:15", TL_TICK_NOT_JSON, "not_json", ""},
    {MSG("") "x", TL_TICK_NOT_JSON, "not_json", "trailing garbage"},
    {MSG("") "{}", TL_TICK_NOT_JSON, "not_json", ""}, /* two objects */
    {"{'symbol':'AAPL'}", TL_TICK_NOT_JSON, "not_json", ""},
    {MSG(",\"size\":NaN"), TL_TICK_NOT_JSON, "not_json", ""},
    {MSG(",\"x\":00.1"), TL_TICK_NOT_JSON, "not_json", ""},
    {"{\"symbol\":\"AAPL\",\"ts\":1,\"price\":00.1}", TL_TICK_NOT_JSON, "not_json", ""},
    {MSG(",\"x\":\"\xff\""), TL_TICK_NOT_JSON, "not_json", ""}, /* invalid UTF-8 */
    {MSG("/* c */"), TL_TICK_NOT_JSON, "not_json", ""},
    /* not_json outranks a bad field seen before the syntax error */
    {"{\"price\":\"abc\",", TL_TICK_NOT_JSON, "not_json", ""},
    /* not an object */
    {"[1]", TL_TICK_NOT_OBJECT, "not_object", "an array"},
    {"\"x\"", TL_TICK_NOT_OBJECT, "not_object", "a string"},
    {"1", TL_TICK_NOT_OBJECT, "not_object", "a number"},
    {"null", TL_TICK_NOT_OBJECT, "not_object", "null"},
    {"true", TL_TICK_NOT_OBJECT, "not_object", "a boolean"},
    {"[" MSG("") "]", TL_TICK_NOT_OBJECT, "not_object", "an array"},
    /* missing (null counts as absent) */
    {"{\"ts\":1,\"price\":1}", TL_TICK_MISSING_FIELD, "missing_field:symbol", "\"symbol\""},
    {"{\"symbol\":\"A\",\"price\":1}", TL_TICK_MISSING_FIELD, "missing_field:ts", "\"ts\""},
    {"{\"symbol\":\"A\",\"ts\":1}", TL_TICK_MISSING_FIELD, "missing_field:price", "\"price\""},
    {"{\"symbol\":\"A\",\"ts\":1,\"price\":null}", TL_TICK_MISSING_FIELD, "missing_field:price",
     ""},
    {"{}", TL_TICK_MISSING_FIELD, "missing_field:symbol", ""},
    {"{\"Price\":1,\"symbol\":\"A\",\"ts\":1}", TL_TICK_MISSING_FIELD, "missing_field:price",
     ""}, /* keys are case-sensitive */
    /* wrong JSON type */
    {"{\"symbol\":\"A\",\"ts\":1,\"price\":\"abc\"}", TL_TICK_BAD_TYPE, "bad_type:price",
     "price \"abc\" is a string, expected a number"},
    {"{\"symbol\":42,\"ts\":1,\"price\":1}", TL_TICK_BAD_TYPE, "bad_type:symbol",
     "symbol 42 is a number, expected a string"},
    {"{\"symbol\":\"A\",\"ts\":true,\"price\":1}", TL_TICK_BAD_TYPE, "bad_type:ts",
     "ts true is a boolean"},
    {"{\"symbol\":\"A\",\"ts\":{\"s\":1},\"price\":1}", TL_TICK_BAD_TYPE, "bad_type:ts",
     "is an object"},
    {MSG(",\"size\":\"100\""), TL_TICK_BAD_TYPE, "bad_type:size", "size \"100\" is a string"},
    {MSG(",\"bid\":{}"), TL_TICK_BAD_TYPE, "bad_type:bid", "bid is an object"},
    {MSG(",\"ask\":[1]"), TL_TICK_BAD_TYPE, "bad_type:ask", "ask is an array"},
    {MSG(",\"exchange\":1"), TL_TICK_BAD_TYPE, "bad_type:exchange", "exchange 1 is a number"},
    {MSG(",\"seq\":\"1\""), TL_TICK_BAD_TYPE, "bad_type:seq", ""},
    {MSG(",\"seq\":false"), TL_TICK_BAD_TYPE, "bad_type:seq", "seq false"},
    /* symbol */
    {"{\"symbol\":\"aapl\",\"ts\":1,\"price\":1}", TL_TICK_BAD_SYMBOL, "bad_symbol", "\"aapl\""},
    {"{\"symbol\":\"\",\"ts\":1,\"price\":1}", TL_TICK_BAD_SYMBOL, "bad_symbol", ""},
    {"{\"symbol\":\"ABCDEFGHIJKLM\",\"ts\":1,\"price\":1}", TL_TICK_BAD_SYMBOL, "bad_symbol", ""},
    {"{\"symbol\":\"A B\",\"ts\":1,\"price\":1}", TL_TICK_BAD_SYMBOL, "bad_symbol", ""},
    {"{\"symbol\":\"A\\u0000\",\"ts\":1,\"price\":1}", TL_TICK_BAD_SYMBOL, "bad_symbol",
     "\"A\\x00\""},
    {"{\"symbol\":\"\xc3\xa9\",\"ts\":1,\"price\":1}", TL_TICK_BAD_SYMBOL, "bad_symbol",
     "\\xc3\\xa9"},
    /* ts */
    {"{\"symbol\":\"A\",\"ts\":\"2023-02-29T00:00:00Z\",\"price\":1}", TL_TICK_BAD_TS, "bad_ts",
     "2023-02-29"},
    {"{\"symbol\":\"A\",\"ts\":\"yesterday\",\"price\":1}", TL_TICK_BAD_TS, "bad_ts", ""},
    {"{\"symbol\":\"A\",\"ts\":1.5,\"price\":1}", TL_TICK_BAD_TS, "bad_ts", "epoch in ms"},
    {"{\"symbol\":\"A\",\"ts\":1e3,\"price\":1}", TL_TICK_BAD_TS, "bad_ts", ""},
    {"{\"symbol\":\"A\",\"ts\":9223372036854775807,\"price\":1}", TL_TICK_BAD_TS, "bad_ts", ""},
    {"{\"symbol\":\"A\",\"ts\":99999999999999999999,\"price\":1}", TL_TICK_BAD_TS, "bad_ts", ""},
    /* price */
    {"{\"symbol\":\"A\",\"ts\":1,\"price\":0}", TL_TICK_BAD_PRICE, "bad_price", "must be > 0"},
    {"{\"symbol\":\"A\",\"ts\":1,\"price\":-0}", TL_TICK_BAD_PRICE, "bad_price", "price -0"},
    {"{\"symbol\":\"A\",\"ts\":1,\"price\":-1.5}", TL_TICK_BAD_PRICE, "bad_price", ""},
    {"{\"symbol\":\"A\",\"ts\":1,\"price\":1.0000001}", TL_TICK_BAD_PRICE, "bad_price",
     "price 1.0000001 is not exact"},
    {"{\"symbol\":\"A\",\"ts\":1,\"price\":1e13}", TL_TICK_BAD_PRICE, "bad_price", ""},
    {"{\"symbol\":\"A\",\"ts\":1,\"price\":9223372036854.775808}", TL_TICK_BAD_PRICE, "bad_price",
     ""},
    {"{\"symbol\":\"A\",\"ts\":1,\"price\":1e-7}", TL_TICK_BAD_PRICE, "bad_price", ""},
    /* beyond DECIMAL(18,6), though within int64 micro-units (issue 10, item 6) */
    {"{\"symbol\":\"A\",\"ts\":1,\"price\":1000000000000}", TL_TICK_BAD_PRICE, "bad_price",
     "the most DECIMAL(18,6) holds"},
    {"{\"symbol\":\"A\",\"ts\":1,\"price\":9223372036854.775807}", TL_TICK_BAD_PRICE,
     "bad_price", ""},
    {MSG(",\"ask\":1000000000000.5"), TL_TICK_BAD_ASK, "bad_ask", "DECIMAL(18,6)"},
    /* size, seq: non-negative integers written as integers */
    {MSG(",\"size\":-1"), TL_TICK_BAD_SIZE, "bad_size", "size -1"},
    {MSG(",\"size\":1.5"), TL_TICK_BAD_SIZE, "bad_size", "without fraction or exponent"},
    {MSG(",\"size\":1e2"), TL_TICK_BAD_SIZE, "bad_size", ""},
    {MSG(",\"size\":100.0"), TL_TICK_BAD_SIZE, "bad_size", ""},
    {MSG(",\"size\":99999999999999999999"), TL_TICK_BAD_SIZE, "bad_size", ""},
    {MSG(",\"seq\":-5"), TL_TICK_BAD_SEQ, "bad_seq", "seq -5"},
    {MSG(",\"seq\":1.0"), TL_TICK_BAD_SEQ, "bad_seq", ""},
    /* bid, ask */
    {MSG(",\"bid\":0"), TL_TICK_BAD_BID, "bad_bid", "bid 0 must be > 0"},
    {MSG(",\"bid\":1.0000001"), TL_TICK_BAD_BID, "bad_bid", ""},
    {MSG(",\"ask\":-1"), TL_TICK_BAD_ASK, "bad_ask", "ask -1"},
    {MSG(",\"bid\":10.5,\"ask\":10.49"), TL_TICK_CROSSED_QUOTE, "crossed_quote",
     "bid 10.5 is above ask 10.49"},
    /* exchange */
    {MSG(",\"exchange\":\"ABCDEFGHIJKLMNOPQ\""), TL_TICK_BAD_EXCHANGE, "bad_exchange",
     "ABCDEFGHIJKLMNOPQ"},
    {MSG(",\"exchange\":\"X\\u0000\""), TL_TICK_BAD_EXCHANGE, "bad_exchange", ""},
    /* strings that are not strict UTF-8: the writer and every reader refuse
     * them, so they are dead-lettered here, per record (issue 10, item 1) */
    {MSG(",\"exchange\":\"\\udc00x\""), TL_TICK_BAD_UTF8, "bad_utf8:exchange",
     "exchange \"\\xed\\xb0\\x80x\" is not valid UTF-8"},
    {MSG(",\"exchange\":\"\xc0\xafX\""), TL_TICK_BAD_UTF8, "bad_utf8:exchange", ""}, /* overlong */
    {MSG(",\"exchange\":\"\xed\xa0\x80\""), TL_TICK_BAD_UTF8, "bad_utf8:exchange", ""},
    {MSG(",\"exchange\":\"\xf4\x90\x80\x80\""), TL_TICK_BAD_UTF8, "bad_utf8:exchange",
     ""}, /* above U+10FFFF */
    {"{\"symbol\":\"\\udc00\",\"ts\":1,\"price\":1}", TL_TICK_BAD_UTF8, "bad_utf8:symbol", ""},
    {"{\"symbol\":\"A\",\"ts\":\"\xc0\xaf\",\"price\":1}", TL_TICK_BAD_UTF8, "bad_utf8:ts", ""},
    /* duplicates: also when one of them is null */
    {MSG(",\"price\":189.25"), TL_TICK_DUP_FIELD, "duplicate_field:price", "\"price\""},
    {MSG(",\"size\":null,\"size\":1"), TL_TICK_DUP_FIELD, "duplicate_field:size", ""},
    {MSG(",\"exchange\":\"A\",\"exchange\":\"B\""), TL_TICK_DUP_FIELD, "duplicate_field:exchange",
     ""},
    {"{\"symbol\":\"A\",\"ts\":1,\"price\":1,\"pr\\u0069ce\":2}", TL_TICK_DUP_FIELD,
     "duplicate_field:price", ""}, /* the key as decoded, not as written */
    /* the first bad field in message order wins */
    {"{\"price\":\"x\",\"symbol\":\"a\",\"ts\":1}", TL_TICK_BAD_TYPE, "bad_type:price", ""},
    {"{\"symbol\":\"a\",\"price\":\"x\",\"ts\":1}", TL_TICK_BAD_SYMBOL, "bad_symbol", ""},
    /* a field error outranks missing fields and a crossed quote */
    {"{\"bid\":2,\"ask\":1,\"size\":-1}", TL_TICK_BAD_SIZE, "bad_size", ""},
};

static void test_reject_table(void **state) {
    for (size_t i = 0; i < N(rejects); i++) {
        const reject_case *c = &rejects[i];
        tl_tick t;
        tl_tick_error e;
        if (parse(*state, c->json, &t, &e) != -1 || e.reason != c->reason ||
            strcmp(e.code, c->code) != 0 || !strstr(e.msg, c->msg_part))
            fail_msg("case %zu %s:\n got %s (%d) \"%s\"\nwant %s (%d) containing \"%s\"", i,
                     c->json, e.code, (int)e.reason, e.msg, c->code, (int)c->reason, c->msg_part);
        /* the code's stem is the reason's name */
        const char *stem = tl_tick_reason_name(e.reason);
        assert_memory_equal(e.code, stem, strlen(stem));
        assert_true(e.code[strlen(stem)] == '\0' || e.code[strlen(stem)] == ':');
    }
}

/* Every reason code in the enum is produced by at least one case above. */
static void test_every_reason_covered(void **state) {
    (void)state;
    bool seen[TL_TICK_REASON_COUNT] = {false};
    seen[TL_TICK_OK] = true;
    seen[TL_TICK_TOO_LARGE] = true; /* test_too_large */
    seen[TL_TICK_UNKNOWN_FIELD] = true; /* test_tick_ext: needs schema.unknown_fields */
    for (size_t i = 0; i < N(rejects); i++)
        seen[rejects[i].reason] = true;
    for (int r = 0; r < TL_TICK_REASON_COUNT; r++)
        if (!seen[r])
            fail_msg("no case produces %s", tl_tick_reason_name((tl_tick_reason)r));
}

/* The largest price DECIMAL(18,6) holds is accepted and kept exactly. */
static void test_max_price(void **state) {
    tl_tick t;
    tl_tick_error e;
    assert_int_equal(parse(*state, "{\"symbol\":\"A\",\"ts\":1,\"price\":999999999999.999999}", &t, &e),
                     0);
    assert_true(t.price == TL_MONEY_MAX_MICROS);
}

static void test_too_large(void **state) {
    (void)state;
    const char *json = MSG("");
    size_t len = strlen(json);
    tl_tick_parser *p = tl_tick_parser_new(TL_TS_UNIT_MS, len);
    tl_tick t;
    tl_tick_error e;
    assert_int_equal(tl_tick_parse(p, json, len, &t, &e), 0); /* exactly the limit */
    char *bigger = malloc(len + 2);
    memcpy(bigger, json, len);
    memcpy(bigger + len, " ", 2);
    assert_int_equal(tl_tick_parse(p, bigger, len + 1, &t, &e), -1);
    assert_int_equal(e.reason, TL_TICK_TOO_LARGE);
    assert_string_equal(e.code, "too_large");
    assert_non_null(strstr(e.msg, "limit"));
    free(bigger);
    tl_tick_parser_destroy(p);
}

static void test_null_optional_is_absent(void **state) {
    tl_tick t;
    tl_tick_error e;
    assert_int_equal(parse(*state,
                           MSG(",\"size\":null,\"bid\":null,\"ask\":null,\"exchange\":null,"
                               "\"seq\":null"),
                           &t, &e),
                     0);
    assert_int_equal(t.has, 0);
}

static void test_unknown_and_nested_fields_ignored(void **state) {
    tl_tick t;
    tl_tick_error e;
    const char *json =
        "{\"meta\":{\"price\":\"x\",\"symbol\":[1,2,{\"ts\":null}],\"deep\":{\"a\":{\"b\":[]}}},"
        "\"symbol\":\"MSFT\",\"venue\":\"lit\",\"tags\":[1,[2,[3,{\"size\":-1}]]],"
        "\"ts\":1700000000000,\"flag\":true,\"none\":null,\"n\":1e400,\"price\":1,"
        "\"meta\":{},\"size\":7}";
    assert_int_equal(parse(*state, json, &t, &e), 0);
    assert_string_equal(t.symbol, "MSFT");
    assert_int_equal(t.price, 1000000);
    assert_int_equal(t.size, 7);
    assert_int_equal(t.ts_us, 1700000000000000LL);
    assert_int_equal(t.has, TL_TICK_HAS_SIZE);
}

/* Deep nesting and long escaped strings under unknown keys outgrow the
 * parser's arena and spill into the heap; they must still parse and free. */
static void test_spill_beyond_arena(void **state) {
    (void)state;
    enum { DEPTH = 20000, STR = 30000 };
    tl_tick_parser *p = tl_tick_parser_new(TL_TS_UNIT_MS, 0);
    char *json = malloc(DEPTH * 2 + STR * 2 + 256);
    size_t n = (size_t)sprintf(json, "{" BASE ",\"deep\":");
    for (int i = 0; i < DEPTH; i++)
        json[n++] = '[';
    for (int i = 0; i < DEPTH; i++)
        json[n++] = ']';
    n += (size_t)sprintf(json + n, ",\"s\":\"");
    for (int i = 0; i < STR; i++) {
        json[n++] = '\\';
        json[n++] = 'n';
    }
    n += (size_t)sprintf(json + n, "\",\"seq\":3}");
    tl_tick t;
    tl_tick_error e;
    for (int round = 0; round < 3; round++) { /* reuse after spilling */
        assert_int_equal(tl_tick_parse(p, json, n, &t, &e), 0);
        assert_int_equal(t.seq, 3);
        assert_int_equal(tl_tick_parse(p, json, n - 1, &t, &e), -1);
        assert_int_equal(e.reason, TL_TICK_NOT_JSON);
    }
    free(json);
    tl_tick_parser_destroy(p);
}

static void test_embedded_nul(void **state) {
    tl_tick t;
    tl_tick_error e;
    static const char inside[] = "{\"symbol\":\"AA\0PL\",\"ts\":1,\"price\":1}";
    assert_int_equal(tl_tick_parse(*state, inside, sizeof inside - 1, &t, &e), -1);
    assert_string_equal(e.code, "not_json");
    static const char after[] = "{\"symbol\":\"A\",\"ts\":1,\"price\":1}\0";
    assert_int_equal(tl_tick_parse(*state, after, sizeof after - 1, &t, &e), -1);
    assert_string_equal(e.code, "not_json");
    static const char between[] = "{\"symbol\":\"A\",\0\"ts\":1,\"price\":1}";
    assert_int_equal(tl_tick_parse(*state, between, sizeof between - 1, &t, &e), -1);
    assert_string_equal(e.code, "not_json");
}

/* The parser reads exactly len bytes: an exact-size heap copy (ASan checks
 * the bound) and a prefix of a longer buffer both parse. */
static void test_reads_only_len(void **state) {
    tl_tick t;
    tl_tick_error e;
    const char *json = MSG("");
    size_t len = strlen(json);
    char *exact = malloc(len);
    memcpy(exact, json, len); /* no NUL terminator */
    assert_int_equal(tl_tick_parse(*state, exact, len, &t, &e), 0);
    free(exact);
    char longer[256];
    snprintf(longer, sizeof longer, "%s,\"garbage", json);
    assert_int_equal(tl_tick_parse(*state, longer, len, &t, &e), 0);
    /* a truncated view of the same bytes is truncated input */
    assert_int_equal(tl_tick_parse(*state, json, len - 1, &t, &e), -1);
    assert_string_equal(e.code, "not_json");
}

/* Nothing carries over between messages on a reused parser. */
static void test_reuse_has_no_stale_state(void **state) {
    tl_tick t;
    tl_tick_error e;
    assert_int_equal(parse(*state, MSG(",\"size\":5,\"exchange\":\"XNYS\",\"seq\":9"), &t, &e), 0);
    assert_int_equal(parse(*state, "{\"symbol\":\"A\",\"ts\":1,\"price\":\"x\"}", &t, &e), -1);
    assert_int_equal(parse(*state, "{\"symbol\":\"B\",\"ts\":2,\"price\":3}", &t, &e), 0);
    assert_int_equal(t.has, 0);
    assert_string_equal(t.exchange, "");
    assert_string_equal(t.symbol, "B");
    assert_int_equal(e.reason, TL_TICK_OK);
    assert_string_equal(e.code, "");
}

static void test_null_err_allowed(void **state) {
    tl_tick t;
    assert_int_equal(tl_tick_parse(*state, "[", 1, &t, NULL), -1);
    assert_int_equal(tl_tick_parse(*state, "{}", 2, &t, NULL), -1);
}

/* Rejection leaves *out untouched. */
static void test_out_untouched_on_reject(void **state) {
    tl_tick t, before;
    tl_tick_error e;
    memset(&t, 0xab, sizeof t);
    before = t;
    assert_int_equal(parse(*state, "{\"symbol\":\"A\",\"ts\":1}", &t, &e), -1);
    assert_memory_equal(&t, &before, sizeof t);
}

static void test_epoch_units(void **state) {
    (void)state;
    static const struct {
        tl_ts_unit unit;
        const char *ts;
    } same[] = {
        {TL_TS_UNIT_S, "1700000000"},
        {TL_TS_UNIT_MS, "1700000000000"},
        {TL_TS_UNIT_US, "1700000000000000"},
        {TL_TS_UNIT_NS, "1700000000000000999"}, /* sub-µs truncated */
    };
    for (size_t i = 0; i < N(same); i++) {
        tl_tick_parser *p = tl_tick_parser_new(same[i].unit, 0);
        char json[128];
        snprintf(json, sizeof json, "{\"symbol\":\"A\",\"ts\":%s,\"price\":1}", same[i].ts);
        tl_tick t;
        tl_tick_error e;
        assert_int_equal(parse(p, json, &t, &e), 0);
        assert_int_equal(t.ts_us, 1700000000000000LL);
        tl_tick_parser_destroy(p);
    }
    /* the same number means different instants in different units */
    tl_tick_parser *s = tl_tick_parser_new(TL_TS_UNIT_S, 0);
    tl_tick t;
    tl_tick_error e;
    assert_int_equal(parse(s, "{\"symbol\":\"A\",\"ts\":1700000000000,\"price\":1}", &t, &e), -1);
    assert_string_equal(e.code, "bad_ts"); /* year 55840 */
    assert_non_null(strstr(e.msg, "epoch in s"));
    tl_tick_parser_destroy(s);
}

static void test_long_value_truncated_in_message(void **state) {
    tl_tick t;
    tl_tick_error e;
    char json[2048];
    char big[1001];
    memset(big, 'z', 1000);
    big[1000] = '\0';
    snprintf(json, sizeof json, "{\"symbol\":\"A\",\"ts\":1,\"price\":\"%s\"}", big);
    assert_int_equal(parse(*state, json, &t, &e), -1);
    assert_string_equal(e.code, "bad_type:price");
    assert_non_null(strstr(e.msg, "zzz...\" is a string"));
    assert_true(strlen(e.msg) < 100);
}

typedef struct {
    const char *in;
    const char *canonical; /* what tl_tick_format writes for it */
} format_case;

static const format_case formats[] = {
    {"{\"symbol\":\"AAPL\",\"ts\":\"2026-11-24T20:15:03.123456Z\",\"price\":189.25,\"size\":100,"
     "\"bid\":189.24,\"ask\":189.26,\"exchange\":\"XNAS\",\"seq\":42}",
     "{\"symbol\":\"AAPL\",\"ts\":\"2026-11-24T20:15:03.123456Z\",\"price\":189.25,\"size\":100,"
     "\"bid\":189.24,\"ask\":189.26,\"exchange\":\"XNAS\",\"seq\":42}"},
    {" {\"seq\":0,\"price\":1e2,\"ts\":\"2026-11-25T01:45:03.1234569+05:30\",\"symbol\":\"X\"}\n",
     "{\"symbol\":\"X\",\"ts\":\"2026-11-24T20:15:03.123456Z\",\"price\":100,\"seq\":0}"},
    {"{\"symbol\":\"A-1\",\"ts\":-1,\"price\":0.000001,\"ask\":999999999999.999999}",
     "{\"symbol\":\"A-1\",\"ts\":\"1969-12-31T23:59:59.999000Z\",\"price\":0.000001,"
     "\"ask\":999999999999.999999}"},
    {"{\"symbol\":\"A\",\"ts\":0,\"price\":1.5E-3,\"bid\":1.5e-3,\"ask\":0.0015,"
     "\"exchange\":\"q\\\"b\\\\s\\u0001\\u00e9\"}",
     "{\"symbol\":\"A\",\"ts\":\"1970-01-01T00:00:00.000000Z\",\"price\":0.0015,\"bid\":0.0015,"
     "\"ask\":0.0015,\"exchange\":\"q\\\"b\\\\s\\u0001\xc3\xa9\"}"},
    {"{\"symbol\":\"A\",\"ts\":1,\"price\":1,\"exchange\":\"\"}",
     "{\"symbol\":\"A\",\"ts\":\"1970-01-01T00:00:00.001000Z\",\"price\":1,\"exchange\":\"\"}"},
};

static void assert_same_tick(const tl_tick *a, const tl_tick *b) {
    assert_string_equal(a->symbol, b->symbol);
    assert_string_equal(a->exchange, b->exchange);
    assert_int_equal(a->ts_us, b->ts_us);
    assert_int_equal(a->price, b->price);
    assert_int_equal(a->has, b->has);
    assert_int_equal(a->size, b->size);
    assert_int_equal(a->bid, b->bid);
    assert_int_equal(a->ask, b->ask);
    assert_int_equal(a->seq, b->seq);
}

static void test_format_round_trip(void **state) {
    for (size_t i = 0; i < N(formats); i++) {
        tl_tick t, back;
        tl_tick_error e;
        char out[512];
        if (parse(*state, formats[i].in, &t, &e) != 0)
            fail_msg("case %zu rejected: %s", i, e.msg);
        size_t n = tl_tick_format(&t, out, sizeof out);
        assert_int_equal(n, strlen(out));
        assert_string_equal(out, formats[i].canonical);
        assert_int_equal(tl_tick_parse(*state, out, n, &back, &e), 0);
        assert_same_tick(&t, &back);
    }
}

static void test_format_truncates_like_snprintf(void **state) {
    tl_tick t;
    tl_tick_error e;
    char full[512], small[20];
    assert_int_equal(parse(*state, formats[0].in, &t, &e), 0);
    size_t n = tl_tick_format(&t, full, sizeof full);
    memset(small, 'Q', sizeof small);
    assert_int_equal(tl_tick_format(&t, small, sizeof small), n);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_memory_equal(small, full, sizeof small - 1);
    assert_int_equal(tl_tick_format(&t, NULL, 0), n);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_full_tick, setup, teardown),
        cmocka_unit_test_setup_teardown(test_required_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reject_table, setup, teardown),
        cmocka_unit_test(test_every_reason_covered),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test_setup_teardown(test_max_price, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_optional_is_absent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_and_nested_fields_ignored, setup, teardown),
        cmocka_unit_test(test_spill_beyond_arena),
        cmocka_unit_test_setup_teardown(test_embedded_nul, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reads_only_len, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reuse_has_no_stale_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_err_allowed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_untouched_on_reject, setup, teardown),
        cmocka_unit_test(test_epoch_units),
        cmocka_unit_test_setup_teardown(test_long_value_truncated_in_message, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_truncates_like_snprintf, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
