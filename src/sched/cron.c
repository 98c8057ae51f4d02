/* Cron expressions: parsing into bit sets, and the next fire time by a
 * walk over days (months that do not match are skipped whole). */
#include "sched/cron.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/conf.h"
#include "util/civil.h"

#define MINUTE_MS 60000LL
#define DAY_MIN 1440LL
/* Search this many days ahead: a Feb 29 can be 8 years away (2096 ->
 * 2104), so 28 years is plenty for anything that fires at all. */
#define SEARCH_DAYS (28 * 366)

typedef struct field_spec {
    const char *name;
    int lo, hi;               /* accepted values (day of week: 0-7) */
    const char *const *names; /* names[i] is value lo + i, or NULL */
} field_spec;

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul",
                                          "aug", "sep", "oct", "nov", "dec", NULL};
static const char *const dow_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

static const field_spec fields[5] = {
    {"minute", 0, 59, NULL},          {"hour", 0, 23, NULL},
    {"day-of-month", 1, 31, NULL},    {"month", 1, 12, month_names},
    {"day-of-week", 0, 7, dow_names},
};

static const struct {
    const char *name, *expr;
} shortcuts[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* One value: digits or (where the field has them) a name. */
static int parse_value(const char *s, size_t len, const field_spec *f, int *out) {
    if (len == 0)
        return -1;
    if (isdigit((unsigned char)s[0])) {
        int v = 0;
        for (size_t i = 0; i < len; i++) {
            if (!isdigit((unsigned char)s[i]) || v > 1000)
                return -1;
            v = v * 10 + (s[i] - '0');
        }
        *out = v;
        return 0;
    }
    for (int i = 0; f->names && f->names[i]; i++)
        if (len == strlen(f->names[i]) && strncasecmp(s, f->names[i], len) == 0) {
            *out = f->lo + i;
            return 0;
        }
    return -1;
}

typedef struct parse_ctx {
    const char *expr;
    const field_spec *f;
    tl_err *err;
} parse_ctx;

static int bad(const parse_ctx *p, const char *item, size_t len, const char *why) {
    return tl_err_set(p->err, TL_ERR_INVALID, "\"%s\": %s: '%.*s' %s", p->expr, p->f->name,
                      (int)len, item, why);
}

static int check_range(const parse_ctx *p, const char *item, size_t len, int v) {
    if (v < p->f->lo || v > p->f->hi) {
        char why[64];
        snprintf(why, sizeof why, "is out of range %d-%d", p->f->lo, p->f->hi);
        return bad(p, item, len, why);
    }
    return 0;
}

/* One comma-separated item: '*', 'a', 'a-b', each with an optional '/n'. */
static int parse_item(const parse_ctx *p, const char *item, size_t len, uint64_t *bits) {
    const char *slash = memchr(item, '/', len);
    size_t blen = slash ? (size_t)(slash - item) : len;
    int a, b, step = 1;
    if (slash) {
        if (parse_value(slash + 1, len - blen - 1, &(field_spec){"", 0, 0, NULL}, &step) != 0 ||
            step < 1)
            return bad(p, item, len, "has a bad step (want /N with N >= 1)");
    }
    int max = p->f->hi == 7 ? 6 : p->f->hi; /* '*' for day of week is 0-6 */
    if (blen == 1 && item[0] == '*') {
        a = p->f->lo;
        b = max;
    } else {
        const char *dash = memchr(item, '-', blen);
        size_t alen = dash ? (size_t)(dash - item) : blen;
        if (parse_value(item, alen, p->f, &a) != 0)
            return bad(p, item, len, "is not a number or name");
        if (dash && parse_value(dash + 1, blen - alen - 1, p->f, &b) != 0)
            return bad(p, item, len, "has a bad range end");
        if (!dash)
            b = slash ? max : a; /* "5/20" = 5-max/20, as cronie reads it */
        int rc = check_range(p, item, len, a);
        if (rc || (rc = check_range(p, item, len, b)))
            return rc;
        if (a > b)
            return bad(p, item, len,
                       "is a range that runs backwards (wrap-around is not "
                       "supported: split it, e.g. 22-23,0-2)");
    }
    for (int v = a; v <= b; v += step)
        *bits |= 1ULL << v;
    return 0;
}

static int parse_field(const parse_ctx *p, const char *s, size_t len, uint64_t *bits) {
    *bits = 0;
    const char *field = s, *end = s + len;
    while (s <= end) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        size_t ilen = comma ? (size_t)(comma - s) : (size_t)(end - s);
        if (ilen == 0)
            return bad(p, field, len, "has an empty list item");
        int rc = parse_item(p, s, ilen, bits);
        if (rc)
            return rc;
        if (!comma)
            break;
        s = comma + 1;
    }
    return 0;
}

static int parse_every(const char *expr, const char *arg, tl_cron *out, tl_err *err) {
    while (isspace((unsigned char)*arg))
        arg++;
    if (!*arg || tl_conf_parse_duration_ms(arg, &out->every_ms) != 0 || out->every_ms <= 0)
        return tl_err_set(err, TL_ERR_INVALID,
                          "\"%s\": @every needs a positive duration such as 30s, 5m or 1h", expr);
    return 0;
}

static int parse_shortcut(const char *expr, const char *s, tl_cron *out, tl_err *err) {
    if (strncasecmp(s, "@every", 6) == 0 && (s[6] == '\0' || isspace((unsigned char)s[6])))
        return parse_every(expr, s + 6, out, err);
    size_t n = strcspn(s, " \t");
    if (s[n + strspn(s + n, " \t")] == '\0')
        for (size_t i = 0; i < sizeof shortcuts / sizeof shortcuts[0]; i++)
            if (strlen(shortcuts[i].name) == n && strncasecmp(s, shortcuts[i].name, n) == 0)
                return tl_cron_parse(shortcuts[i].expr, out, err);
    return tl_err_set(err, TL_ERR_INVALID,
                      "\"%s\": unknown shortcut (known: @yearly, @monthly, @weekly, @daily, "
                      "@hourly, @every DURATION)",
                      expr);
}

static int parse_fields(const char *expr, const char *s, tl_cron *out, tl_err *err) {
    const char *start[6];
    size_t len[6];
    int n = 0;
    while (*s) {
        while (isspace((unsigned char)*s))
            s++;
        if (!*s)
            break;
        size_t l = 0;
        while (s[l] && !isspace((unsigned char)s[l]))
            l++;
        if (n < 6) {
            start[n] = s;
            len[n] = l;
        }
        n++;
        s += l;
    }
    if (n != 5)
        return tl_err_set(err, TL_ERR_INVALID,
                          "\"%s\": expected 5 fields (minute hour day-of-month month "
                          "day-of-week) or a shortcut such as @hourly, got %d field%s",
                          expr, n, n == 1 ? "" : "s");
    uint64_t bits[5];
    for (int i = 0; i < 5; i++) {
        parse_ctx p = {expr, &fields[i], err};
        int rc = parse_field(&p, start[i], len[i], &bits[i]);
        if (rc)
            return rc;
    }
    out->minute = bits[0];
    out->hour = (uint32_t)bits[1];
    out->dom = (uint32_t)bits[2];
    out->month = (uint16_t)bits[3];
    out->dow = (uint8_t)((bits[4] | (bits[4] >> 7)) & 0x7f); /* 7 is Sunday too */
    out->dom_star = start[2][0] == '*';
    out->dow_star = start[4][0] == '*';
    return 0;
}

int tl_cron_parse(const char *expr, tl_cron *out, tl_err *err) {
    memset(out, 0, sizeof *out);
    if (!expr)
        return tl_err_set(err, TL_ERR_INVALID, "no schedule expression given");
    const char *s = expr;
    while (isspace((unsigned char)*s))
        s++;
    int rc = *s == '@' ? parse_shortcut(expr, s, out, err) : parse_fields(expr, s, out, err);
    if (rc)
        return rc;
    if (!out->every_ms && tl_cron_next(out, 0, 0) < 0)
        return tl_err_set(err, TL_ERR_INVALID,
                          "\"%s\": never fires (no date matches its day-of-month and month)", expr);
    return 0;
}

static bool day_matches(const tl_cron *c, int64_t day, int dom) {
    int dow = (int)(((day % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
    bool dom_ok = c->dom >> dom & 1, dow_ok = c->dow >> dow & 1;
    if (c->dom_star || c->dow_star)
        return dom_ok && dow_ok;
    return dom_ok || dow_ok;
}

/* The first matching minute of the day at or after minute `from`, or -1. */
static int first_minute(const tl_cron *c, int from) {
    for (int h = from / 60; h < 24; h++) {
        if (!(c->hour >> h & 1))
            continue;
        for (int m = h == from / 60 ? from % 60 : 0; m < 60; m++)
            if (c->minute >> m & 1)
                return h * 60 + m;
    }
    return -1;
}

static int64_t next_every(const tl_cron *c, int64_t anchor_ms, int64_t after_ms) {
    if (after_ms < anchor_ms + c->every_ms)
        return anchor_ms + c->every_ms;
    return anchor_ms + ((after_ms - anchor_ms) / c->every_ms + 1) * c->every_ms;
}

int64_t tl_cron_next(const tl_cron *c, int64_t anchor_ms, int64_t after_ms) {
    if (c->every_ms > 0)
        return next_every(c, anchor_ms, after_ms);
    int64_t t = floor_div(after_ms, MINUTE_MS) + 1; /* minutes since the epoch */
    int64_t day = floor_div(t, DAY_MIN), last = day + SEARCH_DAYS;
    int from = (int)(t - day * DAY_MIN);
    while (day <= last) {
        int64_t y;
        int m, d;
        tl_civil_from_days(day, &y, &m, &d);
        if (!(c->month >> m & 1)) { /* skip to the first of the next month */
            day = m == 12 ? tl_days_from_civil(y + 1, 1, 1) : tl_days_from_civil(y, m + 1, 1);
            from = 0;
            continue;
        }
        int min = day_matches(c, day, d) ? first_minute(c, from) : -1;
        if (min >= 0)
            return (day * DAY_MIN + min) * MINUTE_MS;
        day++;
        from = 0;
    }
    return -1;
}

void tl_cron_format_time(int64_t ms, char *buf, size_t cap) {
    int64_t day = floor_div(ms, 86400000LL), y;
    int64_t sec = floor_div(ms, 1000) - day * 86400;
    int m, d;
    tl_civil_from_days(day, &y, &m, &d);
    snprintf(buf, cap, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, m, d, (int)(sec / 3600),
             (int)(sec / 60 % 60), (int)(sec % 60));
}
