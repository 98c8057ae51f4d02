/* Cron expressions: next fire times from a table (steps, ranges, lists,
 * names, month ends, leap days, the day-of-month / day-of-week OR rule,
 * shortcuts, @every), a minute-by-minute cross-check against libc's
 * calendar, and bad expressions with messages naming the field. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "sched/cron.h"
#include "util/civil.h"

static int64_t T(int y, int mo, int d, int h, int mi, int s) {
    return ((tl_days_from_civil(y, mo, d) * 24 + h) * 3600 + mi * 60 + s) * 1000LL;
}

typedef struct next_case {
    const char *expr;
    int64_t after, want;
} next_case;

static void check_next(const next_case *c, size_t n) {
    for (size_t i = 0; i < n; i++) {
        tl_cron cron;
        tl_err err = {0};
        if (tl_cron_parse(c[i].expr, &cron, &err) != 0)
            fail_msg("'%s' did not parse: %s", c[i].expr, err.msg);
        int64_t got = tl_cron_next(&cron, 0, c[i].after);
        if (got != c[i].want) {
            char a[32], g[32], w[32];
            tl_cron_format_time(c[i].after, a, sizeof a);
            tl_cron_format_time(got, g, sizeof g);
            tl_cron_format_time(c[i].want, w, sizeof w);
            fail_msg("'%s' after %s: got %s, want %s", c[i].expr, a, g, w);
        }
    }
}

static void test_next_basic(void **state) {
    (void)state;
    const next_case c[] = {
        /* steps; strictly after; seconds do not matter */
        {"*/5 * * * *", T(2026, 11, 24, 10, 2, 30), T(2026, 11, 24, 10, 5, 0)},
        {"*/5 * * * *", T(2026, 11, 24, 10, 5, 0), T(2026, 11, 24, 10, 10, 0)},
        {"*/5 * * * *", T(2026, 11, 24, 10, 4, 59), T(2026, 11, 24, 10, 5, 0)},
        {"*/5 * * * *", T(2026, 11, 24, 23, 58, 0), T(2026, 11, 25, 0, 0, 0)},
        {"* * * * *", T(2026, 11, 24, 10, 0, 0), T(2026, 11, 24, 10, 1, 0)},
        {"0 * * * *", T(2026, 11, 24, 10, 0, 0), T(2026, 11, 24, 11, 0, 0)},
        {"30 2 * * *", T(2026, 11, 24, 3, 0, 0), T(2026, 11, 25, 2, 30, 0)},
        {"30 2 * * *", T(2026, 11, 24, 2, 29, 59), T(2026, 11, 24, 2, 30, 0)},
        /* ranges with steps, lists */
        {"10-30/10 8-10 * * *", T(2026, 11, 24, 8, 30, 0), T(2026, 11, 24, 9, 10, 0)},
        {"10-30/10 8-10 * * *", T(2026, 11, 24, 10, 30, 0), T(2026, 11, 25, 8, 10, 0)},
        {"5/20 * * * *", T(2026, 11, 24, 10, 45, 0), T(2026, 11, 24, 11, 5, 0)},
        {"0 0-23/6 * * *", T(2026, 11, 24, 6, 0, 0), T(2026, 11, 24, 12, 0, 0)},
        {"0,30 9,17 * * mon-fri", T(2026, 11, 27, 17, 30, 0), T(2026, 11, 30, 9, 0, 0)},
        {"15,45 * * * *", T(2026, 11, 24, 10, 16, 0), T(2026, 11, 24, 10, 45, 0)},
        /* month ends, year end, leap days */
        {"0 0 31 * *", T(2026, 11, 1, 0, 0, 0), T(2026, 12, 31, 0, 0, 0)},
        {"0 0 31 * *", T(2026, 1, 31, 0, 0, 0), T(2026, 3, 31, 0, 0, 0)},
        {"0 0 30 * *", T(2026, 2, 1, 0, 0, 0), T(2026, 3, 30, 0, 0, 0)},
        {"0 0 29 2 *", T(2026, 3, 1, 0, 0, 0), T(2028, 2, 29, 0, 0, 0)},
        {"0 0 29 2 *", T(2096, 3, 1, 0, 0, 0), T(2104, 2, 29, 0, 0, 0)}, /* 2100: no leap */
        {"0 0 1 1 *", T(2026, 11, 24, 0, 0, 0), T(2027, 1, 1, 0, 0, 0)},
        {"59 23 31 12 *", T(2026, 12, 31, 23, 59, 0), T(2027, 12, 31, 23, 59, 0)},
        /* names, case-insensitive; 7 is Sunday */
        {"0 0 1 jan,JUL *", T(2026, 11, 24, 0, 0, 0), T(2027, 1, 1, 0, 0, 0)},
        {"0 0 1 jan,JUL *", T(2027, 1, 1, 0, 0, 0), T(2027, 7, 1, 0, 0, 0)},
        {"0 12 * * 7", T(2026, 11, 24, 0, 0, 0), T(2026, 11, 29, 12, 0, 0)},
        {"0 12 * * 0", T(2026, 11, 24, 0, 0, 0), T(2026, 11, 29, 12, 0, 0)},
        {"0 12 * * Sun", T(2026, 11, 24, 0, 0, 0), T(2026, 11, 29, 12, 0, 0)},
        {"0 12 * * 5-7", T(2026, 11, 24, 0, 0, 0), T(2026, 11, 27, 12, 0, 0)},
        {"0 12 * * 6-7", T(2026, 11, 24, 0, 0, 0), T(2026, 11, 28, 12, 0, 0)},
        /* day of month OR day of week when both are restricted ... */
        {"0 12 13 * fri", T(2026, 11, 14, 0, 0, 0), T(2026, 11, 20, 12, 0, 0)},
        {"0 12 13 * mon", T(2026, 11, 10, 0, 0, 0), T(2026, 11, 13, 12, 0, 0)},
        {"0 12 13 * mon", T(2026, 11, 13, 12, 0, 0), T(2026, 11, 16, 12, 0, 0)},
        /* ... AND when one starts with '*' (Vixie cron) */
        {"0 12 */2 * fri", T(2026, 11, 1, 0, 0, 0), T(2026, 11, 13, 12, 0, 0)},
        {"0 12 * * fri", T(2026, 11, 1, 0, 0, 0), T(2026, 11, 6, 12, 0, 0)},
        {"0 12 13 * *", T(2026, 11, 14, 0, 0, 0), T(2026, 12, 13, 12, 0, 0)},
        /* shortcuts */
        {"@hourly", T(2026, 11, 24, 10, 0, 0), T(2026, 11, 24, 11, 0, 0)},
        {"@daily", T(2026, 11, 24, 10, 0, 0), T(2026, 11, 25, 0, 0, 0)},
        {"@midnight", T(2026, 11, 24, 10, 0, 0), T(2026, 11, 25, 0, 0, 0)},
        {"@weekly", T(2026, 11, 24, 10, 0, 0), T(2026, 11, 29, 0, 0, 0)},
        {"@monthly", T(2026, 11, 24, 10, 0, 0), T(2026, 12, 1, 0, 0, 0)},
        {"@yearly", T(2026, 11, 24, 10, 0, 0), T(2027, 1, 1, 0, 0, 0)},
        {"@annually", T(2026, 11, 24, 10, 0, 0), T(2027, 1, 1, 0, 0, 0)},
        {"  @HOURLY  ", T(2026, 11, 24, 10, 0, 0), T(2026, 11, 24, 11, 0, 0)},
        /* before the epoch too (floor, not truncation) */
        {"0 0 * * *", T(1969, 12, 31, 12, 0, 0), T(1970, 1, 1, 0, 0, 0)},
    };
    check_next(c, sizeof c / sizeof c[0]);
}

static void test_every(void **state) {
    (void)state;
    tl_cron c;
    tl_err err = {0};
    assert_int_equal(tl_cron_parse("@every 30s", &c, &err), 0);
    assert_int_equal(c.every_ms, 30000);
    int64_t a = T(2026, 11, 24, 10, 0, 7);
    assert_int_equal(tl_cron_next(&c, a, a), a + 30000);
    assert_int_equal(tl_cron_next(&c, a, a + 29999), a + 30000);
    assert_int_equal(tl_cron_next(&c, a, a + 30000), a + 60000);
    assert_int_equal(tl_cron_next(&c, a, a + 45000), a + 60000);
    assert_int_equal(tl_cron_next(&c, a, a - 100000), a + 30000);
    assert_int_equal(tl_cron_next(&c, a, a + 3600000), a + 3630000);
    assert_int_equal(tl_cron_parse("@every 5m", &c, &err), 0);
    assert_int_equal(c.every_ms, 300000);
    assert_int_equal(tl_cron_parse("@every 250ms", &c, &err), 0);
    assert_int_equal(c.every_ms, 250);
    assert_int_equal(tl_cron_parse("@every 2", &c, &err), 0); /* bare number: seconds */
    assert_int_equal(c.every_ms, 2000);
}

/* libc's gmtime as an independent calendar: the fire time must be the
 * first minute after `after` whose fields are all in the sets. */
static bool day_ok(const tl_cron *c, const struct tm *tm) {
    bool dom = c->dom >> tm->tm_mday & 1, dow = c->dow >> tm->tm_wday & 1;
    bool day = (c->dom_star || c->dow_star) ? dom && dow : dom || dow;
    return (c->month >> (tm->tm_mon + 1) & 1) && day;
}

static bool matches_tm(const tl_cron *c, int64_t ms) {
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    return (c->minute >> tm.tm_min & 1) && (c->hour >> tm.tm_hour & 1) && day_ok(c, &tm);
}

/* Nothing fires in (after, got): minute by minute within the first and the
 * last day, whole days in between (every day that matches has a fire, as
 * the minute and hour sets are never empty). */
static void assert_none_between(const char *expr, const tl_cron *c, int64_t after, int64_t got) {
    const int64_t min = 60000, day = 86400000;
    int64_t first_day_end = (after / day + 1) * day, last_day = got / day * day;
    for (int64_t m = (after / min + 1) * min; m < got && m < first_day_end; m += min)
        if (matches_tm(c, m))
            fail_msg("'%s': %lld matches before %lld", expr, (long long)m, (long long)got);
    for (int64_t d = first_day_end; d < last_day; d += day) {
        time_t t = (time_t)(d / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        if (day_ok(c, &tm))
            fail_msg("'%s': day %lld matches before %lld", expr, (long long)d, (long long)got);
    }
    for (int64_t m = last_day > after ? last_day : got; m < got; m += min)
        if (matches_tm(c, m))
            fail_msg("'%s': %lld matches before %lld", expr, (long long)m, (long long)got);
}

static void test_next_against_libc(void **state) {
    (void)state;
    static const char *const exprs[] = {
        "*/7 */5 * * *",
        "0 0 * * 1-5",
        "13 13 13 * 5",
        "0 9 1-7 * 1",
        "1,2,3 4 */3 */2 *",
        "59 23 28-31 2 *",
        "0 6 */10 jan-mar sat,sun",
        "0 0 29 2 *",
        "*/20 1 * * *",
    };
    int64_t start = T(2027, 12, 28, 0, 0, 0);
    for (size_t e = 0; e < sizeof exprs / sizeof exprs[0]; e++) {
        tl_cron c;
        tl_err err = {0};
        assert_int_equal(tl_cron_parse(exprs[e], &c, &err), 0);
        int64_t after = start;
        for (int k = 0; k < 30; k++) {
            int64_t got = tl_cron_next(&c, 0, after);
            assert_true(got > after);
            assert_true(matches_tm(&c, got));
            assert_none_between(exprs[e], &c, after, got);
            after = got + (k % 3) * 17000; /* sometimes mid-minute */
        }
    }
}

typedef struct bad_case {
    const char *expr;
    const char *want; /* in the message */
} bad_case;

static void test_bad(void **state) {
    (void)state;
    static const bad_case cases[] = {
        {"", "expected 5 fields"},
        {"* * * *", "got 4 fields"},
        {"* * * * * *", "got 6 fields"},
        {"60 * * * *", "minute: '60' is out of range 0-59"},
        {"* 24 * * *", "hour: '24' is out of range 0-23"},
        {"* * 0 * *", "day-of-month: '0' is out of range 1-31"},
        {"* * 32 * *", "day-of-month: '32' is out of range 1-31"},
        {"* * * 13 *", "month: '13' is out of range 1-12"},
        {"* * * * 8", "day-of-week: '8' is out of range 0-7"},
        {"*/0 * * * *", "minute: '*/0' has a bad step"},
        {"*/ * * * *", "has a bad step"},
        {"5-1 * * * *", "minute: '5-1' is a range that runs backwards"},
        {"22-2 * * * *", "wrap-around"},
        {"a * * * *", "minute: 'a' is not a number or name"},
        {"* * * foo *", "month: 'foo' is not a number or name"},
        {"* * * * mon-", "day-of-week: 'mon-' has a bad range end"},
        {"* * * jan *x", "day-of-week: '*x' is not a number or name"},
        {"1,,2 * * * *", "minute: '1,,2' has an empty list item"},
        {"1, * * * *", "has an empty list item"},
        {"-1 * * * *", "minute: '-1' is not a number or name"},
        {"0 0 30 2 *", "never fires"},
        {"0 0 31 4,6,9,11 *", "never fires"},
        {"@every", "@every needs a positive duration"},
        {"@every 0s", "@every needs a positive duration"},
        {"@every soon", "@every needs a positive duration"},
        {"@reboot", "unknown shortcut"},
        {"@hourly 5", "unknown shortcut"},
        {"99999999999 * * * *", "minute: '99999999999' is not a number or name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tl_cron c;
        tl_err err = {0};
        int rc = tl_cron_parse(cases[i].expr, &c, &err);
        if (rc != TL_ERR_INVALID)
            fail_msg("'%s' was accepted (rc %d)", cases[i].expr, rc);
        if (!strstr(err.msg, cases[i].want))
            fail_msg("'%s': message '%s' lacks '%s'", cases[i].expr, err.msg, cases[i].want);
        char quoted[64];
        snprintf(quoted, sizeof quoted, "\"%s\"", cases[i].expr);
        if (!strstr(err.msg, quoted))
            fail_msg("'%s': message '%s' does not quote the expression", cases[i].expr, err.msg);
    }
    tl_cron c;
    tl_err err = {0};
    assert_int_equal(tl_cron_parse(NULL, &c, &err), TL_ERR_INVALID);
}

static void test_format(void **state) {
    (void)state;
    char b[32];
    tl_cron_format_time(T(2026, 11, 24, 10, 5, 7) + 999, b, sizeof b);
    assert_string_equal(b, "2026-11-24T10:05:07Z");
    tl_cron_format_time(T(1969, 12, 31, 23, 59, 59), b, sizeof b);
    assert_string_equal(b, "1969-12-31T23:59:59Z");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_next_basic),
        cmocka_unit_test(test_every),
        cmocka_unit_test(test_next_against_libc),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
