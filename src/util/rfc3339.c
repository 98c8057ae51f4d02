/* RFC 3339 timestamps <-> µs since the Unix epoch, UTC.
 *
 * Integer arithmetic on the proleptic Gregorian calendar (days-from-civil),
 * so no timegm, time zone database or locale is involved and the result is
 * the same on every machine. Second 60 (a leap second) is rejected: POSIX
 * time has no place for it, and mapping it to :59 would invent a time the
 * producer did not send; such a record goes to the dead-letter area. */
#include "util/rfc3339.h"

#include <stdbool.h>
#include <string.h>

#include "util/civil.h"

#define US_PER_SEC 1000000LL
#define SEC_PER_DAY 86400LL

static bool is_leap(int y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m) {
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* n decimal digits at s, or -1 if any is not a digit. */
static int digits(const char *s, int n) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Parses the fraction (if any) and offset after "YYYY-MM-DDTHH:MM:SS";
 * *frac_us is the fraction truncated to µs. */
static int parse_tail(const char *s, size_t len, int64_t *frac_us, int64_t *offset_sec) {
    size_t i = 19;
    *frac_us = 0;
    if (i < len && s[i] == '.') {
        size_t start = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (i - start < 6)
                *frac_us = *frac_us * 10 + (s[i] - '0');
            i++;
        }
        size_t n = i - start;
        if (n < 1 || n > 9)
            return -1;
        for (; n < 6; n++)
            *frac_us *= 10;
    }
    if (i + 1 == len && (s[i] == 'Z' || s[i] == 'z')) {
        *offset_sec = 0;
        return 0;
    }
    if (i + 6 != len || (s[i] != '+' && s[i] != '-') || s[i + 3] != ':')
        return -1;
    int hh = digits(s + i + 1, 2), mm = digits(s + i + 4, 2);
    if (hh < 0 || hh > 23 || mm < 0 || mm > 59)
        return -1;
    *offset_sec = (s[i] == '-' ? -1 : 1) * (int64_t)(hh * 3600 + mm * 60);
    return 0;
}

int tl_rfc3339_parse(const char *s, size_t len, int64_t *us) {
    if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
        s[16] != ':')
        return -1;
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
    int h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h < 0 || h > 23 ||
        mi < 0 || mi > 59 || sec < 0 || sec > 59)
        return -1;
    int64_t frac_us, offset_sec;
    if (parse_tail(s, len, &frac_us, &offset_sec) != 0)
        return -1;
    int64_t secs = tl_days_from_civil(y, mo, d) * SEC_PER_DAY + h * 3600 + mi * 60 + sec;
    int64_t v = (secs - offset_sec) * US_PER_SEC + frac_us;
    /* An offset can move 0000-01-01 or 9999-12-31 out of the 4-digit years
     * that format can write back. */
    if (v < TL_TS_MIN_US || v > TL_TS_MAX_US)
        return -1;
    *us = v;
    return 0;
}

/* Writes v as exactly n digits, zero-padded. */
static char *put_digits(char *p, int64_t v, int n) {
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + n;
}

size_t tl_rfc3339_format(int64_t us, char *buf, size_t cap) {
    char tmp[32];
    int64_t day_us = SEC_PER_DAY * US_PER_SEC;
    us = us < TL_TS_MIN_US ? TL_TS_MIN_US : us > TL_TS_MAX_US ? TL_TS_MAX_US : us;
    int64_t days = us / day_us, rem = us % day_us;
    if (rem < 0) { /* floor, so times before 1970 count forward from midnight */
        rem += day_us;
        days--;
    }
    int64_t y, secs = rem / US_PER_SEC;
    int m, d;
    tl_civil_from_days(days, &y, &m, &d);
    char *p = put_digits(tmp, y, 4);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    p = put_digits(p, d, 2);
    *p++ = 'T';
    p = put_digits(p, secs / 3600, 2);
    *p++ = ':';
    p = put_digits(p, secs / 60 % 60, 2);
    *p++ = ':';
    p = put_digits(p, secs % 60, 2);
    *p++ = '.';
    p = put_digits(p, rem % US_PER_SEC, 6);
    *p++ = 'Z';
    size_t len = (size_t)(p - tmp);
    if (cap > 0) {
        size_t k = len < cap - 1 ? len : cap - 1;
        memcpy(buf, tmp, k);
        buf[k] = '\0';
    }
    return len;
}
