/* RFC 3339 timestamps and integer epochs (tick/rfc3339.c, tick/epoch.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tick/tick.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

typedef struct {
    const char *text;
    int rc;
    int64_t us;
} ts_case;

/* Expected values were computed independently (Python's datetime). */
static const ts_case parse_cases[] = {
    {"1970-01-01T00:00:00Z", 0, 0},
    {"2026-11-24T20:15:03.123456Z", 0, 1795551303123456LL},
    {"2024-02-29T12:00:00Z", 0, 1709208000000000LL}, /* leap day */
    {"2000-02-29T00:00:00Z", 0, 951782400000000LL},  /* divisible by 400: leap */
    {"1969-07-20T20:17:40Z", 0, -14182940000000LL},  /* before the epoch */
    {"0001-01-01T00:00:00Z", 0, -62135596800000000LL},
    {"0000-01-01T00:00:00Z", 0, TL_TS_MIN_US},
    {"9999-12-31T23:59:59.999999Z", 0, TL_TS_MAX_US},
    {"2026-11-24T20:15:03.5Z", 0, 1795551303500000LL},
    {"2026-11-24T20:15:03.123456789Z", 0, 1795551303123456LL}, /* ns truncated */
    {"1969-12-31T23:59:59.9999999Z", 0, -1},                   /* truncated toward the past */
    {"2026-11-24t20:15:03z", 0, 1795551303000000LL},
    {"2026-11-24T20:15:03+05:30", 0, 1795531503000000LL}, /* = 14:45:03Z */
    {"2026-11-24T12:15:03-08:00", 0, 1795551303000000LL}, /* = 20:15:03Z */
    {"2026-11-25T01:45:03.123456+05:30", 0, 1795551303123456LL},
    {"2023-02-29T00:00:00Z", -1, 0},
    {"1900-02-29T00:00:00Z", -1, 0}, /* divisible by 100: not leap */
    {"2100-02-29T00:00:00Z", -1, 0},
    {"2024-04-31T00:00:00Z", -1, 0},
    {"2024-01-32T00:00:00Z", -1, 0},
    {"2024-00-10T00:00:00Z", -1, 0},
    {"2024-13-10T00:00:00Z", -1, 0},
    {"2024-01-00T00:00:00Z", -1, 0},
    {"2024-01-01T24:00:00Z", -1, 0},
    {"2024-01-01T23:60:00Z", -1, 0},
    {"2016-12-31T23:59:60Z", -1, 0},            /* leap second: rejected, see rfc3339.c */
    {"2024-01-01T00:00:00.1234567890Z", -1, 0}, /* 10 fraction digits */
    {"2024-01-01T00:00:00.Z", -1, 0},
    {"2024-01-01T00:00:00+24:00", -1, 0},
    {"2024-01-01T00:00:00+05:60", -1, 0},
    {"2024-01-01T00:00:00+0530", -1, 0},
    {"2024-01-01T00:00:00+05", -1, 0},
    {"2024-01-01T00:00:00", -1, 0}, /* no offset */
    {"2024-01-01 00:00:00Z", -1, 0},
    {"2024-1-01T00:00:00Z", -1, 0},
    {"2024-01-01T00:00:00ZZ", -1, 0},
    {" 2024-01-01T00:00:00Z", -1, 0},
    {"+2024-01-01T00:00:00Z", -1, 0},
    {"2024-01-01T00:00:00UTC", -1, 0},
    {"2024-01-01", -1, 0},
    {"", -1, 0},
    {"0000-01-01T00:00:00+00:01", -1, 0}, /* before year 0000 in UTC */
    {"9999-12-31T23:59:59-00:01", -1, 0}, /* after year 9999 in UTC */
};

static void test_rfc3339_parse_table(void **state) {
    (void)state;
    for (size_t i = 0; i < N(parse_cases); i++) {
        const ts_case *c = &parse_cases[i];
        int64_t us = 4242;
        int rc = tl_rfc3339_parse(c->text, strlen(c->text), &us);
        if (rc != c->rc || (rc == 0 && us != c->us))
            fail_msg("tl_rfc3339_parse(\"%s\") = %d, %lld; want %d, %lld", c->text, rc,
                     (long long)us, c->rc, (long long)c->us);
    }
}

/* The same instant written with different offsets and letter cases. */
static void test_rfc3339_equal_instants(void **state) {
    (void)state;
    static const char *const same[] = {
        "2026-11-24T20:15:03.250Z",     "2026-11-24T20:15:03.250+00:00",
        "2026-11-24T20:15:03.25-00:00", "2026-11-24t20:15:03.250000z",
        "2026-11-25T01:45:03.25+05:30", "2026-11-24T12:15:03.250000000-08:00",
        "2026-11-25T00:00:03.25+03:45", "2026-11-23T23:15:03.25-21:00",
    };
    int64_t first, us;
    assert_int_equal(tl_rfc3339_parse(same[0], strlen(same[0]), &first), 0);
    for (size_t i = 1; i < N(same); i++) {
        assert_int_equal(tl_rfc3339_parse(same[i], strlen(same[i]), &us), 0);
        assert_int_equal(us, first);
    }
}

static void test_rfc3339_format_known(void **state) {
    (void)state;
    char buf[40];
    assert_int_equal(tl_rfc3339_format(0, buf, sizeof buf), 27);
    assert_string_equal(buf, "1970-01-01T00:00:00.000000Z");
    tl_rfc3339_format(-1, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31T23:59:59.999999Z");
    tl_rfc3339_format(1795551303123456LL, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-24T20:15:03.123456Z");
    tl_rfc3339_format(TL_TS_MIN_US, buf, sizeof buf);
    assert_string_equal(buf, "0000-01-01T00:00:00.000000Z");
    tl_rfc3339_format(TL_TS_MAX_US, buf, sizeof buf);
    assert_string_equal(buf, "9999-12-31T23:59:59.999999Z");
    tl_rfc3339_format(1709208000000000LL, buf, sizeof buf);
    assert_string_equal(buf, "2024-02-29T12:00:00.000000Z");
    char small[11];
    assert_int_equal(tl_rfc3339_format(0, small, sizeof small), 27);
    assert_string_equal(small, "1970-01-01");
}

/* Random instants over the whole range: format agrees with libc's gmtime_r
 * (an independent calendar) and parse(format(us)) == us. */
static void test_rfc3339_sweep_against_libc(void **state) {
    (void)state;
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 100000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t span = TL_TS_MAX_US - TL_TS_MIN_US + 1;
        int64_t us = TL_TS_MIN_US + (int64_t)(x % (uint64_t)span);
        char buf[40], want[64];
        size_t n = tl_rfc3339_format(us, buf, sizeof buf);
        int64_t back;
        if (tl_rfc3339_parse(buf, n, &back) != 0 || back != us)
            fail_msg("round trip of %lld via %s failed", (long long)us, buf);
        time_t secs = (time_t)((us - (((us % 1000000) + 1000000) % 1000000)) / 1000000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (int)(((us % 1000000) + 1000000) % 1000000));
        if (strcmp(buf, want) != 0)
            fail_msg("format(%lld) = %s, libc says %s", (long long)us, buf, want);
    }
}

static void test_ts_unit_parse(void **state) {
    (void)state;
    static const struct {
        const char *name;
        tl_ts_unit unit;
    } ok[] = {
        {"s", TL_TS_UNIT_S}, {"ms", TL_TS_UNIT_MS}, {"us", TL_TS_UNIT_US}, {"ns", TL_TS_UNIT_NS}};
    for (size_t i = 0; i < N(ok); i++) {
        tl_ts_unit u = (tl_ts_unit)-1;
        assert_int_equal(tl_ts_unit_parse(ok[i].name, &u), 0);
        assert_int_equal(u, ok[i].unit);
    }
    static const char *const bad[] = {"", "MS", "sec", "msx", "µs"};
    for (size_t i = 0; i < N(bad); i++) {
        tl_ts_unit u;
        assert_int_equal(tl_ts_unit_parse(bad[i], &u), -1);
    }
    tl_ts_unit u;
    assert_int_equal(tl_ts_unit_parse(NULL, &u), -1);
}

typedef struct {
    int64_t v;
    tl_ts_unit unit;
    int rc;
    int64_t us;
} epoch_case;

static const epoch_case epoch_cases[] = {
    {1700000000, TL_TS_UNIT_S, 0, 1700000000000000LL},
    {1700000000123LL, TL_TS_UNIT_MS, 0, 1700000000123000LL},
    {1700000000123456LL, TL_TS_UNIT_US, 0, 1700000000123456LL},
    {1700000000123456789LL, TL_TS_UNIT_NS, 0, 1700000000123456LL},
    {-1, TL_TS_UNIT_NS, 0, -1}, /* floored, like extra RFC 3339 digits */
    {-1000, TL_TS_UNIT_NS, 0, -1},
    {-1001, TL_TS_UNIT_NS, 0, -2},
    {INT64_MAX, TL_TS_UNIT_NS, 0, INT64_MAX / 1000},
    {-1, TL_TS_UNIT_S, 0, -1000000},
    {253402300799LL, TL_TS_UNIT_S, 0, 253402300799000000LL},
    {253402300800LL, TL_TS_UNIT_S, -1, 0}, /* year 10000 */
    {-62167219200LL, TL_TS_UNIT_S, 0, TL_TS_MIN_US},
    {-62167219201LL, TL_TS_UNIT_S, -1, 0},
    {-62167219200000LL, TL_TS_UNIT_MS, 0, TL_TS_MIN_US},
    {-62167219200001LL, TL_TS_UNIT_MS, -1, 0},
    {INT64_MAX, TL_TS_UNIT_S, -1, 0}, /* multiplication overflows */
    {INT64_MIN, TL_TS_UNIT_MS, -1, 0},
    {INT64_MAX, TL_TS_UNIT_US, -1, 0}, /* no overflow, but past year 9999 */
    {0, (tl_ts_unit)9, -1, 0},
};

static void test_ts_from_epoch_table(void **state) {
    (void)state;
    for (size_t i = 0; i < N(epoch_cases); i++) {
        const epoch_case *c = &epoch_cases[i];
        int64_t us = 99;
        int rc = tl_ts_from_epoch(c->v, c->unit, &us);
        if (rc != c->rc || (rc == 0 && us != c->us))
            fail_msg("tl_ts_from_epoch(%lld, %d) = %d, %lld; want %d, %lld", (long long)c->v,
                     (int)c->unit, rc, (long long)us, c->rc, (long long)c->us);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc3339_parse_table),
        cmocka_unit_test(test_rfc3339_equal_instants),
        cmocka_unit_test(test_rfc3339_format_known),
        cmocka_unit_test(test_rfc3339_sweep_against_libc),
        cmocka_unit_test(test_ts_unit_parse),
        cmocka_unit_test(test_ts_from_epoch_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
