/* Typed value parsing for configuration values (durations, sizes, bools). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/conf.h"

static int parse_int64(const char *s, int64_t *out, char **end) {
    errno = 0;
    long long v = strtoll(s, end, 10);
    if (errno || *end == s || *s == '+' || isspace((unsigned char)*s))
        return -1;
    *out = v;
    return 0;
}

static int scaled(int64_t v, int64_t mult, int64_t *out) {
    if (v < 0 || (mult && v > INT64_MAX / mult))
        return -1;
    *out = v * mult;
    return 0;
}

typedef struct unit {
    const char *suffix;
    int64_t mult;
} unit;

/* An integer followed by exactly one of the suffixes, scaled. */
static int parse_with_units(const char *s, const unit *units, size_t n, int64_t *out) {
    char *end;
    int64_t v;
    if (parse_int64(s, &v, &end))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(end, units[i].suffix) == 0)
            return scaled(v, units[i].mult, out);
    return -1;
}

int tl_conf_parse_duration_ms(const char *s, int64_t *out) {
    static const unit units[] = {{"ms", 1},      {"s", 1000},     {"m", 60000},
                                 {"h", 3600000}, {"d", 86400000}, {"", 1000}};
    return parse_with_units(s, units, sizeof units / sizeof units[0], out);
}

int tl_conf_parse_size(const char *s, int64_t *out) {
    static const unit units[] = {{"", 1},          {"B", 1},           {"KiB", 1024},
                                 {"MiB", 1 << 20}, {"GiB", 1 << 30},   {"KB", 1000},
                                 {"MB", 1000000},  {"GB", 1000000000}, {"K", 1024},
                                 {"M", 1 << 20},   {"G", 1 << 30}};
    return parse_with_units(s, units, sizeof units / sizeof units[0], out);
}

int tl_conf_parse_bool(const char *s, bool *out) {
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return *out = true, 0;
        if (strcasecmp(s, no[i]) == 0)
            return *out = false, 0;
    }
    return -1;
}
