/* The tick parser's schema evolution: extra columns typed by the
 * configuration, unknown fields kept as sent / dropped with a count /
 * rejected, and type conflicts rejected with a reason naming the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tick/tick.h"

#define BASE "\"symbol\":\"AAPL\",\"ts\":\"2026-11-24T20:15:03Z\",\"price\":1.5"

static const char *const names[] = {"venue", "trade_id", "px", "exch_ts", "odd", "conds"};
static const tl_ext_type types[] = {TL_EXT_STRING, TL_EXT_INT64,  TL_EXT_DECIMAL,
                                    TL_EXT_TIMESTAMP, TL_EXT_BOOL, TL_EXT_LIST};

static tl_tick_parser *parser(tl_unknown_mode mode) {
    tl_tick_parser *p = tl_tick_parser_new(TL_TS_UNIT_MS, 0);
    assert_non_null(p);
    assert_int_equal(tl_tick_parser_set_extra(p, names, types, 6, mode), 0);
    return p;
}

/* Parse; on success the ext (may be NULL), on failure NULL with err set. */
static tl_tick_ext *parse(tl_tick_parser *p, const char *json, int want_rc, tl_tick_error *err) {
    tl_tick t;
    bool oom;
    assert_int_equal(tl_tick_parse(p, json, strlen(json), &t, err), want_rc);
    tl_tick_ext *x = tl_tick_parser_take_ext(p, &oom);
    assert_false(oom);
    return x;
}

static void test_plain_tick_has_no_ext(void **state) {
    (void)state;
    tl_tick_parser *p = parser(TL_UNKNOWN_KEEP);
    tl_tick_error err;
    assert_null(parse(p, "{" BASE ",\"size\":3}", 0, &err));
    tl_tick_parser_destroy(p);
}

static void test_every_type(void **state) {
    (void)state;
    tl_tick_parser *p = parser(TL_UNKNOWN_KEEP);
    tl_tick_error err;
    tl_tick_ext *x = parse(p,
                           "{" BASE ",\"venue\":\"XN\\u0041S\",\"trade_id\":-42,\"px\":12.25,"
                           "\"exch_ts\":\"1970-01-01T00:00:01Z\",\"odd\":true,"
                           "\"conds\":[\"@\",\"F\",\"\"]}",
                           0, &err);
    assert_non_null(x);
    assert_int_equal(x->nvals, 6);
    assert_int_equal(x->extra_len, 0);
    assert_true(x->vals[0].present);
    assert_int_equal(x->vals[0].len, 4);
    assert_memory_equal(x->data + x->vals[0].off, "XNAS", 4);
    assert_int_equal(x->vals[1].i, -42);
    assert_int_equal(x->vals[2].i, 12250000);
    assert_int_equal(x->vals[3].i, 1000000);
    assert_int_equal(x->vals[4].i, 1);
    assert_int_equal(x->vals[5].i, 3);
    uint32_t pos = 0, len;
    const char *item = tl_tick_ext_list_item(x, &x->vals[5], &pos, &len);
    assert_int_equal(len, 1);
    assert_memory_equal(item, "@", 1);
    item = tl_tick_ext_list_item(x, &x->vals[5], &pos, &len);
    assert_memory_equal(item, "F", 1);
    tl_tick_ext_list_item(x, &x->vals[5], &pos, &len);
    assert_int_equal(len, 0);
    free(x);
    /* an epoch timestamp in the parser's unit, null = absent */
    x = parse(p, "{" BASE ",\"exch_ts\":1500,\"venue\":null}", 0, &err);
    assert_non_null(x);
    assert_false(x->vals[0].present);
    assert_int_equal(x->vals[3].i, 1500000);
    free(x);
    /* the next message starts clean */
    x = parse(p, "{" BASE ",\"odd\":false}", 0, &err);
    assert_false(x->vals[1].present);
    assert_true(x->vals[4].present);
    assert_int_equal(x->vals[4].i, 0);
    free(x);
    tl_tick_parser_destroy(p);
}

static void expect_reject(tl_tick_parser *p, const char *json, const char *code,
                          const char *in_msg) {
    tl_tick_error err;
    assert_null(parse(p, json, -1, &err));
    assert_string_equal(err.code, code);
    if (in_msg && !strstr(err.msg, in_msg))
        fail_msg("'%s' not in: %s", in_msg, err.msg);
}

static void test_type_conflicts_name_the_field(void **state) {
    (void)state;
    tl_tick_parser *p = parser(TL_UNKNOWN_KEEP);
    expect_reject(p, "{" BASE ",\"trade_id\":\"12\"}", "bad_type:trade_id", "an integer");
    expect_reject(p, "{" BASE ",\"trade_id\":1.5}", "bad_type:trade_id", "1.5");
    expect_reject(p, "{" BASE ",\"venue\":7}", "bad_type:venue", "a string");
    expect_reject(p, "{" BASE ",\"px\":\"1\"}", "bad_type:px", NULL);
    expect_reject(p, "{" BASE ",\"px\":0.0000001}", "bad_type:px", NULL);
    expect_reject(p, "{" BASE ",\"exch_ts\":\"yesterday\"}", "bad_type:exch_ts", NULL);
    expect_reject(p, "{" BASE ",\"odd\":1}", "bad_type:odd", "true or false");
    expect_reject(p, "{" BASE ",\"conds\":\"@\"}", "bad_type:conds", "an array of strings");
    expect_reject(p, "{" BASE ",\"conds\":[\"@\",1]}", "bad_type:conds", NULL);
    expect_reject(p, "{" BASE ",\"conds\":[[\"@\"]]}", "bad_type:conds", "an array");
    expect_reject(p, "{" BASE ",\"venue\":{\"a\":1}}", "bad_type:venue", "an object");
    expect_reject(p, "{" BASE ",\"venue\":\"a\",\"venue\":\"b\"}", "duplicate_field:venue", NULL);
    /* not_json still outranks a field error */
    expect_reject(p, "{" BASE ",\"venue\":7", "not_json", NULL);
    tl_tick_parser_destroy(p);
}

static void test_unknown_kept_as_sent(void **state) {
    (void)state;
    tl_tick_parser *p = parser(TL_UNKNOWN_KEEP);
    tl_tick_error err;
    tl_tick_ext *x = parse(p,
                           "{\"cond\" : 1.50e2 ," BASE ",\"venue\":\"X\",\"nested\":{\"a\":[1,"
                           "{\"b\":null}]} , \"s\":\"\\u00e9\\\"\",\"n\":null,\"arr\":[]}",
                           0, &err);
    assert_non_null(x);
    assert_string_equal(x->data + x->extra_off,
                        "{\"cond\":1.50e2,\"nested\":{\"a\":[1,{\"b\":null}]},"
                        "\"s\":\"\\u00e9\\\"\",\"n\":null,\"arr\":[]}");
    assert_int_equal(x->extra_len, strlen(x->data + x->extra_off));
    assert_true(x->vals[0].present);
    free(x);
    tl_tick_parser_destroy(p);
}

static void test_unknown_dropped_and_counted(void **state) {
    (void)state;
    tl_tick_parser *p = parser(TL_UNKNOWN_DROP);
    tl_tick_error err;
    assert_null(parse(p, "{" BASE ",\"a\":1,\"b\":[1,2]}", 0, &err));
    assert_int_equal(tl_tick_parser_dropped(p), 2);
    assert_null(parse(p, "{" BASE "}", 0, &err));
    assert_int_equal(tl_tick_parser_dropped(p), 0);
    tl_tick_parser_destroy(p);
}

static void test_unknown_dead_lettered(void **state) {
    (void)state;
    tl_tick_parser *p = parser(TL_UNKNOWN_DEADLETTER);
    expect_reject(p, "{" BASE ",\"venue\":\"X\",\"mystery\":1}", "unknown_field:mystery",
                  "mystery");
    tl_tick_parser_destroy(p);
}

/* Without set_extra the parser ignores unknown fields, as it always did. */
static void test_default_ignores(void **state) {
    (void)state;
    tl_tick_parser *p = tl_tick_parser_new(TL_TS_UNIT_MS, 0);
    tl_tick_error err;
    assert_null(parse(p, "{" BASE ",\"venue\":\"X\",\"a\":{}}", 0, &err));
    tl_tick_parser_destroy(p);
}

/* A message cut off right after a kept field's number: yajl hands that
 * number over while finishing the parse, when its byte count is not the
 * message's. It is not_json, and nothing past the message is read (an
 * exact-size heap copy, so ASan sees any over-read). fuzz_tick_fast found it. */
static void test_kept_number_at_the_cut(void **state) {
    (void)state;
    tl_tick_parser *p = parser(TL_UNKNOWN_KEEP);
    static const char *const cut[] = {"{" BASE ",\"mystery\":1", "{" BASE ",\"mystery\":-12.5e3",
                                      "{\"mystery\":7"};
    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        size_t n = strlen(cut[i]);
        char *msg = malloc(n);
        assert_non_null(msg);
        memcpy(msg, cut[i], n);
        tl_tick t;
        tl_tick_error err;
        assert_int_equal(tl_tick_parse(p, msg, n, &t, &err), -1);
        assert_string_equal(err.code, "not_json");
        free(msg);
    }
    tl_tick_parser_destroy(p);
}

/* A plain tick after one with kept fields carries no ext of its own (the
 * plain one takes the fast path, which must leave the parser as clean as
 * the yajl path does). */
static void test_plain_after_kept(void **state) {
    (void)state;
    tl_tick_parser *p = parser(TL_UNKNOWN_KEEP);
    tl_tick_error err;
    tl_tick_ext *x = parse(p, "{" BASE ",\"mystery\":[1],\"venue\":\"X\"}", 0, &err);
    assert_non_null(x);
    free(x);
    assert_null(parse(p, "{" BASE "}", 0, &err));
    assert_int_equal(tl_tick_parser_dropped(p), 0);
    tl_tick_parser_destroy(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_tick_has_no_ext),
        cmocka_unit_test(test_every_type),
        cmocka_unit_test(test_type_conflicts_name_the_field),
        cmocka_unit_test(test_unknown_kept_as_sent),
        cmocka_unit_test(test_unknown_dropped_and_counted),
        cmocka_unit_test(test_unknown_dead_lettered),
        cmocka_unit_test(test_default_ignores),
        cmocka_unit_test(test_kept_number_at_the_cut),
        cmocka_unit_test(test_plain_after_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
