/* Exact decimal and integer parsing/formatting (tick/decimal.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tick/tick.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

typedef struct {
    const char *text;
    int rc;
    int64_t micros;
} dec_case;

static const dec_case decimal_cases[] = {
    {"0.000001", 0, 1},
    {"123456789.123456", 0, 123456789123456LL},
    {"189.25", 0, 189250000},
    {"1e2", 0, 100000000},
    {"1E+2", 0, 100000000},
    {"1.5E-3", 0, 1500},
    {"10e-7", 0, 1},
    {"1e12", 0, 1000000000000000000LL},
    {"-0", 0, 0},
    {"0", 0, 0},
    {"-0.000", 0, 0},
    {"0e999999999999999999", 0, 0}, /* zero is exact at any exponent */
    {"0.0e-999999999999999999", 0, 0},
    {"1.1000000", 0, 1100000}, /* trailing zeros are exact */
    {"1.10000000000000000000000000000", 0, 1100000},
    {"0.00000100", 0, 1},
    {"100000000000000000000e-20", 0, 1000000},
    {"0.000000000000000000001e21", 0, 1000000},
    {"-1.5", 0, -1500000},
    {"9223372036854.775807", 0, INT64_MAX},
    {"9.223372036854775807e12", 0, INT64_MAX},
    {"-9223372036854.775808", 0, INT64_MIN},
    {"9223372036854.775808", -1, 0}, /* one micro-unit past int64 */
    {"-9223372036854.775809", -1, 0},
    {"1e13", -1, 0},
    {"99999999999999999999", -1, 0},
    {"1e100000000000", -1, 0},
    {"1e-100000000000", -1, 0},
    {"1.0000001", -1, 0}, /* a 7th decimal that is not zero */
    {"0.0000001", -1, 0},
    {"1e-7", -1, 0},
    {"00.1", -1, 0}, /* leading zero: not a JSON number */
    {"01", -1, 0},
    {"-01", -1, 0},
    {"+1", -1, 0},
    {".5", -1, 0},
    {"1.", -1, 0},
    {"1.e2", -1, 0},
    {"1e", -1, 0},
    {"1e+", -1, 0},
    {"-", -1, 0},
    {"", -1, 0},
    {" 1", -1, 0},
    {"1 ", -1, 0},
    {"1.5x", -1, 0},
    {"0x10", -1, 0},
    {"NaN", -1, 0},
    {"Infinity", -1, 0},
    {"--1", -1, 0},
};

static void test_decimal_parse_table(void **state) {
    (void)state;
    for (size_t i = 0; i < N(decimal_cases); i++) {
        const dec_case *c = &decimal_cases[i];
        int64_t v = 12345;
        int rc = tl_decimal_parse(c->text, strlen(c->text), &v);
        if (rc != c->rc || (rc == 0 && v != c->micros))
            fail_msg("tl_decimal_parse(\"%s\") = %d, %lld; want %d, %lld", c->text, rc,
                     (long long)v, c->rc, (long long)c->micros);
    }
}

static void test_decimal_parse_respects_len(void **state) {
    (void)state;
    int64_t v;
    /* Only the first 4 bytes count: "1.25" and not the trailing digits. */
    assert_int_equal(tl_decimal_parse("1.259999", 4, &v), 0);
    assert_int_equal(v, 1250000);
    assert_int_equal(tl_decimal_parse("1.5", 2, &v), -1); /* "1." */
}

typedef struct {
    int64_t micros;
    const char *text;
} fmt_case;

static const fmt_case format_cases[] = {
    {1, "0.000001"},
    {189250000, "189.25"},
    {100000000, "100"},
    {0, "0"},
    {-1500, "-0.0015"},
    {123456789123456LL, "123456789.123456"},
    {INT64_MAX, "9223372036854.775807"},
    {INT64_MIN, "-9223372036854.775808"},
    {10, "0.00001"},
    {1000000, "1"},
};

static void test_decimal_format_table(void **state) {
    (void)state;
    for (size_t i = 0; i < N(format_cases); i++) {
        char buf[40];
        size_t n = tl_decimal_format(format_cases[i].micros, buf, sizeof buf);
        assert_string_equal(buf, format_cases[i].text);
        assert_int_equal(n, strlen(format_cases[i].text));
    }
}

static void test_decimal_format_truncates_like_snprintf(void **state) {
    (void)state;
    char buf[4] = "xxx";
    assert_int_equal(tl_decimal_format(189250000, buf, sizeof buf), 6);
    assert_string_equal(buf, "189");
    assert_int_equal(tl_decimal_format(189250000, NULL, 0), 6);
}

/* format then parse gives back every value, across the whole int64 range. */
static void test_decimal_round_trip_sweep(void **state) {
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t v = (int64_t)(x >> (i % 64)); /* every magnitude */
        if (i & 1)
            v = -v;
        char buf[40];
        int64_t back;
        size_t n = tl_decimal_format(v, buf, sizeof buf);
        if (tl_decimal_parse(buf, n, &back) != 0 || back != v)
            fail_msg("round trip of %lld via \"%s\" failed", (long long)v, buf);
    }
}

typedef struct {
    const char *text;
    int rc;
    int64_t v;
} int_case;

static const int_case integer_cases[] = {
    {"0", 0, 0},
    {"42", 0, 42},
    {"-1", 0, -1},
    {"-0", 0, 0},
    {"9223372036854775807", 0, INT64_MAX},
    {"-9223372036854775808", 0, INT64_MIN},
    {"9223372036854775808", -1, 0},
    {"-9223372036854775809", -1, 0},
    {"1.0", -1, 0}, /* a whole value, but not written as an integer */
    {"1e2", -1, 0},
    {"1E0", -1, 0},
    {"01", -1, 0},
    {"+1", -1, 0},
    {"", -1, 0},
    {"-", -1, 0},
    {"12a", -1, 0},
};

static void test_integer_parse_table(void **state) {
    (void)state;
    for (size_t i = 0; i < N(integer_cases); i++) {
        const int_case *c = &integer_cases[i];
        int64_t v = 777;
        int rc = tl_integer_parse(c->text, strlen(c->text), &v);
        if (rc != c->rc || (rc == 0 && v != c->v))
            fail_msg("tl_integer_parse(\"%s\") = %d, %lld; want %d, %lld", c->text, rc,
                     (long long)v, c->rc, (long long)c->v);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decimal_parse_table),
        cmocka_unit_test(test_decimal_parse_respects_len),
        cmocka_unit_test(test_decimal_format_table),
        cmocka_unit_test(test_decimal_format_truncates_like_snprintf),
        cmocka_unit_test(test_decimal_round_trip_sweep),
        cmocka_unit_test(test_integer_parse_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
