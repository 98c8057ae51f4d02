/* web: response helpers and request parameter parsing. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tick/tick.h"
#include "util/clock.h"
#include "web/web_int.h"

#define DAY_US 86400000000LL

void tl_web_json(tl_web_resp *r, int status) {
    r->status = status;
    r->content_type = "application/json; charset=utf-8";
    r->cache_control = "no-store";
}

static int error_doc(tl_json *j, void *ud) {
    tl_json_obj_begin(j);
    tl_json_kv_str(j, "error", ud);
    return tl_json_obj_end(j);
}

void tl_web_error(tl_web_resp *r, int status, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    tl_buf_reset(&r->body);
    tl_json_doc(&r->body, error_doc, msg, NULL); /* out of memory: an empty body */
    tl_web_json(r, status);
}

int tl_web_symbol_arg(const tl_web_req *req, tl_web_resp *r, const char **out) {
    const char *s = tl_web_arg(req, "symbol");
    if (!s || !*s) {
        tl_web_error(r, 400, "symbol= is required, e.g. symbol=AAPL");
        return -1;
    }
    size_t n = strlen(s);
    bool ok = n <= TL_SYMBOL_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)s[i]) || s[i] == '.' || s[i] == '-' || s[i] == '_';
    if (!ok) {
        tl_web_error(r, 400, "symbol=%.40s: expected 1-%d letters, digits, '.', '-' or '_'", s,
                     TL_SYMBOL_MAX);
        return -1;
    }
    *out = s;
    return 0;
}

/* Unix seconds (optionally negative) or RFC 3339. */
static int parse_time(const char *s, int64_t *us) {
    size_t n = strlen(s);
    if (n == 0)
        return -1;
    size_t i = s[0] == '-' ? 1 : 0;
    bool digits = n > i && n - i <= 12;
    for (size_t k = i; digits && k < n; k++)
        digits = isdigit((unsigned char)s[k]);
    if (digits) {
        *us = strtoll(s, NULL, 10) * 1000000;
        return 0;
    }
    return tl_rfc3339_parse(s, n, us);
}

int tl_web_range_args(const tl_web_req *req, tl_web_resp *r, int64_t default_span_us,
                      int64_t *from_us, int64_t *to_us) {
    const char *from = tl_web_arg(req, "from"), *to = tl_web_arg(req, "to");
    *to_us = tl_now_us();
    if (to && parse_time(to, to_us) != 0) {
        tl_web_error(r, 400, "to=%.64s: expected Unix seconds or an RFC 3339 time", to);
        return -1;
    }
    *from_us = *to_us - default_span_us;
    if (from && parse_time(from, from_us) != 0) {
        tl_web_error(r, 400, "from=%.64s: expected Unix seconds or an RFC 3339 time", from);
        return -1;
    }
    if (*from_us >= *to_us) {
        tl_web_error(r, 400, "from must be before to");
        return -1;
    }
    if (*to_us - *from_us > 400 * DAY_US) {
        tl_web_error(r, 400, "from..to spans more than 400 days");
        return -1;
    }
    return 0;
}

int tl_web_interval_arg(const tl_web_req *req, tl_web_resp *r, int64_t *secs) {
    const char *s = tl_web_arg(req, "interval");
    *secs = 60;
    if (!s)
        return 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    int64_t unit = 1;
    if (end && *end) {
        unit = !strcmp(end, "s")   ? 1
               : !strcmp(end, "m") ? 60
               : !strcmp(end, "h") ? 3600
               : !strcmp(end, "d") ? 86400
                                   : 0;
    }
    if (end == s || unit == 0 || v <= 0 || v > 86400 || v * unit % 60 != 0 || v * unit > 86400) {
        tl_web_error(r, 400,
                     "interval=%.32s: expected a whole number of minutes up to a day, e.g. 60, "
                     "1m, 5m, 1h, 1d",
                     s);
        return -1;
    }
    *secs = v * unit;
    return 0;
}
