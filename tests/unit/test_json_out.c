/* The JSON writer: exact output for every kind of value, string escaping
 * (quotes, backslash, control characters, valid and invalid UTF-8), numbers,
 * newline-delimited lines, and each misuse rejected with a sticky error that
 * leaves no half-written value behind it. Output is also re-parsed with yajl's
 * tree parser, so it is checked as JSON and not only as text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "util/json_out.h"

static tl_buf out;
static tl_json *j;

static int setup(void **state) {
    (void)state;
    tl_buf_reset(&out);
    j = tl_json_new(&out);
    return j ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    tl_json_free(j);
    tl_buf_free(&out);
    return 0;
}

/* The output parses as JSON (each line of it). */
static void assert_parses(const char *text) {
    char *copy = strdup(text), *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char msg[256];
        yajl_val v = yajl_tree_parse(line, msg, sizeof msg);
        if (!v)
            fail_msg("does not parse: %s (%s)", line, msg);
        yajl_tree_free(v);
    }
    free(copy);
}

static void test_object_of_every_kind(void **state) {
    (void)state;
    assert_int_equal(tl_json_obj_begin(j), 0);
    tl_json_kv_str(j, "s", "x");
    tl_json_kv_int(j, "i", -9223372036854775807LL - 1);
    tl_json_key(j, "u");
    tl_json_uint(j, UINT64_MAX);
    tl_json_kv_bool(j, "t", true);
    tl_json_kv_bool(j, "f", false);
    tl_json_key(j, "n");
    tl_json_null(j);
    tl_json_kv_str(j, "ns", NULL);
    tl_json_key(j, "a");
    tl_json_arr_begin(j);
    tl_json_int(j, 1);
    tl_json_obj_begin(j);
    tl_json_obj_end(j);
    tl_json_arr_begin(j);
    tl_json_arr_end(j);
    tl_json_arr_end(j);
    tl_json_obj_end(j);
    assert_int_equal(tl_json_finish(j, NULL), 0);
    assert_string_equal(out.data, "{\"s\":\"x\",\"i\":-9223372036854775808,"
                                  "\"u\":18446744073709551615,\"t\":true,\"f\":false,"
                                  "\"n\":null,\"ns\":null,\"a\":[1,{},[]]}");
    assert_parses(out.data);
}

static void test_string_escaping(void **state) {
    (void)state;
    const char s[] = "q\"b\\s/\n\r\t\b\f\x01\x1f\x7f"
                     "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
    assert_int_equal(tl_json_strn(j, s, sizeof s - 1), 0);
    assert_int_equal(tl_json_finish(j, NULL), 0);
    /* quote and backslash escaped, the short forms yajl knows, \u00XX for
     * the other controls, DEL and valid UTF-8 (2, 3 and 4 bytes) as they are */
    assert_string_equal(out.data, "\"q\\\"b\\\\s/\\n\\r\\t\\b\\f\\u0001\\u001F\x7f"
                                  "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
    assert_parses(out.data);
}

static void test_nul_and_invalid_utf8(void **state) {
    (void)state;
    /* an embedded NUL, a lone continuation byte, a truncated sequence, an
     * overlong form and a surrogate: each invalid byte becomes U+00XX */
    const char s[] = "a\0b\x80"
                     "c\xc3"
                     "d\xc0\xaf"
                     "e\xed\xa0\x80";
    assert_int_equal(tl_json_strn(j, s, sizeof s - 1), 0);
    assert_int_equal(tl_json_finish(j, NULL), 0);
    assert_string_equal(out.data, "\"a\\u0000b\xc2\x80"
                                  "c\xc3\x83"
                                  "d\xc3\x80\xc2\xaf"
                                  "e\xc3\xad\xc2\xa0\xc2\x80\"");
    assert_parses(out.data);
}

static void test_keys_are_escaped_too(void **state) {
    (void)state;
    tl_json_obj_begin(j);
    tl_json_kv_int(j, "k\"\n\xff", 1);
    tl_json_obj_end(j);
    assert_int_equal(tl_json_finish(j, NULL), 0);
    assert_string_equal(out.data, "{\"k\\\"\\n\xc3\xbf\":1}");
}

static void test_numbers(void **state) {
    (void)state;
    static const struct {
        int64_t micros;
        const char *text;
    } m[] = {{189250000, "189.25"},
             {1, "0.000001"},
             {-1, "-0.000001"},
             {3000000, "3"},
             {0, "0"},
             {-42000000, "-42"},
             {INT64_MIN, "-9223372036854.775808"},
             {INT64_MAX, "9223372036854.775807"}};
    tl_json_arr_begin(j);
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        assert_int_equal(tl_json_micros(j, m[i].micros), 0);
    tl_json_fixed(j, 1234, 3);
    tl_json_fixed(j, -1500, 3);
    tl_json_fixed(j, 2000, 3);
    tl_json_fixed(j, 7, 0);
    tl_json_double(j, 0.1);
    tl_json_double(j, 1.0 / 3.0);
    tl_json_double(j, -2.5e300);
    tl_json_number(j, "12345678901234567890123", 23);
    tl_json_number(j, "-0.5e-7", 7);
    tl_json_arr_end(j);
    assert_int_equal(tl_json_finish(j, NULL), 0);
    assert_string_equal(out.data,
                        "[189.25,0.000001,-0.000001,3,0,-42,-9223372036854.775808,"
                        "9223372036854.775807,1.234,-1.5,2,7,0.1,0.3333333333333333,-2.5e+300,"
                        "12345678901234567890123,-0.5e-7]");
    assert_parses(out.data);
}

static void test_bad_numbers_rejected(void **state) {
    (void)state;
    const char *bad[] = {"", "-", "01", "1.", ".5", "1e", "1e+", "+1", "0x10", "nan", "1 "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tl_buf_reset(&out);
        tl_json_free(j);
        j = tl_json_new(&out);
        assert_int_equal(tl_json_number(j, bad[i], strlen(bad[i])), TL_ERR_INVALID);
        assert_int_equal(out.len, 0);
    }
    tl_json_free(j);
    j = tl_json_new(&out);
    assert_int_equal(tl_json_double(j, 0.0 / 0.0), TL_ERR_INVALID);
    tl_json_free(j);
    j = tl_json_new(&out);
    assert_int_equal(tl_json_fixed(j, 1, 19), TL_ERR_INVALID);
}

/* Pretty output: two-space indent, "key": value, a final newline. */
static void test_pretty(void **state) {
    (void)state;
    tl_json *p = tl_json_new_pretty(&out);
    tl_json_obj_begin(p);
    tl_json_kv_str(p, "command", "run");
    tl_json_key(p, "results");
    tl_json_arr_begin(p);
    tl_json_int(p, 1);
    tl_json_arr_end(p);
    tl_json_obj_end(p);
    assert_int_equal(tl_json_finish(p, NULL), 0);
    tl_json_free(p);
    assert_string_equal(out.data, "{\n  \"command\": \"run\",\n  \"results\": [\n    1\n  ]\n}\n");
}

static void test_lines(void **state) {
    (void)state;
    for (int i = 0; i < 3; i++) {
        tl_json_obj_begin(j);
        tl_json_kv_int(j, "n", i);
        tl_json_obj_end(j);
        assert_int_equal(tl_json_end_line(j), 0);
    }
    assert_int_equal(tl_json_finish(j, NULL), 0);
    assert_string_equal(out.data, "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n");
    assert_parses(out.data);
}

/* Each misuse: the call fails with TL_ERR_INVALID, writes nothing, and the
 * error sticks to every later call and to tl_json_finish. */
static void expect_misuse(int rc, size_t len_before) {
    assert_int_equal(rc, TL_ERR_INVALID);
    assert_int_equal(out.len, len_before);
    assert_int_equal(tl_json_int(j, 1), TL_ERR_INVALID);
    assert_int_equal(tl_json_obj_end(j), TL_ERR_INVALID);
    assert_int_equal(out.len, len_before);
    tl_err err = {0};
    assert_int_equal(tl_json_finish(j, &err), TL_ERR_INVALID);
    assert_int_equal(err.code, TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "JSON writer"));
    tl_json_free(j);
    tl_buf_reset(&out);
    j = tl_json_new(&out);
}

static void test_nesting_errors(void **state) {
    (void)state;
    expect_misuse(tl_json_obj_end(j), 0); /* close with nothing open */
    tl_json_obj_begin(j);
    expect_misuse(tl_json_arr_end(j), 1); /* ] for { */
    tl_json_arr_begin(j);
    expect_misuse(tl_json_obj_end(j), 1); /* } for [ */
    tl_json_obj_begin(j);
    expect_misuse(tl_json_int(j, 1), 1); /* a value where a key is due */
    tl_json_obj_begin(j);
    expect_misuse(tl_json_str(j, "v"), 1); /* a string too */
    tl_json_obj_begin(j);
    tl_json_key(j, "k");
    expect_misuse(tl_json_key(j, "k2"), 4); /* two keys ({"k" so far) */
    tl_json_obj_begin(j);
    tl_json_key(j, "k");
    expect_misuse(tl_json_obj_end(j), 4); /* a key without its value */
    tl_json_arr_begin(j);
    expect_misuse(tl_json_key(j, "k"), 1); /* a key in an array */
    expect_misuse(tl_json_key(j, "k"), 0); /* a key at the top */
    tl_json_int(j, 1);
    expect_misuse(tl_json_int(j, 2), 1); /* a second top-level value */
    tl_json_arr_begin(j);
    expect_misuse(tl_json_end_line(j), 1); /* a line ended inside an array */
    expect_misuse(tl_json_end_line(j), 0); /* an empty line */
    for (int i = 0; i < TL_JSON_MAX_DEPTH; i++)
        assert_int_equal(tl_json_arr_begin(j), 0);
    expect_misuse(tl_json_arr_begin(j), TL_JSON_MAX_DEPTH); /* too deep */
}

static void test_unclosed_is_an_error(void **state) {
    (void)state;
    tl_json_obj_begin(j);
    tl_err err = {0};
    assert_int_equal(tl_json_finish(j, &err), TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "left open"));
}

/* The writer appends: what is in the buffer before stays. */
static void test_appends_to_buffer(void **state) {
    (void)state;
    tl_buf_puts(&out, "prefix ");
    tl_json_arr_begin(j);
    tl_json_arr_end(j);
    assert_int_equal(tl_json_finish(j, NULL), 0);
    assert_string_equal(out.data, "prefix []");
}

/* Integers and fixed decimals are formatted by hand: the extremes, and
 * %.Nf-style padded decimals, from integers without a double. */
static void test_integers_and_places(void **state) {
    (void)state;
    tl_json_arr_begin(j);
    tl_json_int(j, INT64_MIN);
    tl_json_int(j, INT64_MAX);
    tl_json_int(j, 0);
    tl_json_uint(j, 0);
    tl_json_fixed_places(j, 1000, 2);
    tl_json_fixed_places(j, -5, 2);
    tl_json_fixed_places(j, 0, 2);
    tl_json_fixed_places(j, 7, 0);
    tl_json_fixed_places(j, INT64_MIN, 18);
    tl_json_double_places(j, 12.345, 1);
    tl_json_double_places(j, -0.0, 2);
    tl_json_double_places(j, 2.0 / 3.0, 2);
    tl_json_arr_end(j);
    assert_int_equal(tl_json_finish(j, NULL), 0);
    assert_string_equal(out.data,
                        "[-9223372036854775808,9223372036854775807,0,0,10.00,-0.05,0.00,7,"
                        "-9.223372036854775808,12.3,0.00,0.67]");
    assert_parses(out.data);
    tl_json_free(j);
    j = tl_json_new(&out);
    assert_int_equal(tl_json_double_places(j, 1.0 / 0.0, 1), TL_ERR_INVALID);
}

static void test_kv_shorthands(void **state) {
    (void)state;
    tl_json_obj_begin(j);
    tl_json_kv_uint(j, "u", UINT64_MAX);
    tl_json_kv_micros(j, "p", 189250000);
    tl_json_kv_null(j, "n");
    tl_json_obj_end(j);
    assert_int_equal(tl_json_finish(j, NULL), 0);
    assert_string_equal(out.data, "{\"u\":18446744073709551615,\"p\":189.25,\"n\":null}");
}

/* A reset writer starts a new document, also after an error. */
static void test_reset(void **state) {
    (void)state;
    tl_json_obj_begin(j);
    assert_int_equal(tl_json_int(j, 1), TL_ERR_INVALID);
    tl_buf_reset(&out);
    tl_json_reset(j);
    tl_json_arr_begin(j);
    tl_json_int(j, 2);
    tl_json_arr_end(j);
    assert_int_equal(tl_json_finish(j, NULL), 0);
    assert_string_equal(out.data, "[2]");
    tl_buf_reset(&out);
    tl_json_reset(j);
    tl_json_obj_begin(j); /* no comma carried over from the last document */
    tl_json_kv_int(j, "a", 3);
    tl_json_obj_end(j);
    assert_int_equal(tl_json_finish(j, NULL), 0);
    assert_string_equal(out.data, "{\"a\":3}");
}

/* Never a negative zero (issue 14: the dashboard showed -0.00 %): a
 * negative that rounds to zero at the places asked is written as zero, and
 * -0 as 0; real negatives keep their sign. */
static void test_no_negative_zero(void **state) {
    (void)state;
    tl_json_arr_begin(j);
    tl_json_double_places(j, -0.004, 2);
    tl_json_double_places(j, -0.0049, 2);
    tl_json_double_places(j, -0.04, 1);
    tl_json_double_places(j, -0.4, 0);
    tl_json_double_places(j, -0.006, 2);
    tl_json_double_places(j, -1e-300, 3);
    tl_json_double_places(j, -10.001, 2);
    tl_json_double(j, -0.0);
    tl_json_double(j, -1e-300);
    tl_json_arr_end(j);
    assert_int_equal(tl_json_finish(j, NULL), 0);
    assert_string_equal(out.data, "[0.00,0.00,0.0,0,-0.01,0.000,-10.00,0,-1e-300]");
    assert_parses(out.data);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_object_of_every_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_string_escaping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nul_and_invalid_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys_are_escaped_too, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_numbers_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pretty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nesting_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unclosed_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_appends_to_buffer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_integers_and_places, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kv_shorthands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_negative_zero, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
