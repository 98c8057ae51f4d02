/* Integer epochs in a configured unit, and the unit's name. */
#include "tick/tick.h"

#include <string.h>

int tl_ts_unit_parse(const char *name, tl_ts_unit *out) {
    static const struct {
        const char *name;
        tl_ts_unit unit;
    } units[] = {
        {"s", TL_TS_UNIT_S}, {"ms", TL_TS_UNIT_MS}, {"us", TL_TS_UNIT_US}, {"ns", TL_TS_UNIT_NS}};
    for (size_t i = 0; name && i < sizeof units / sizeof units[0]; i++)
        if (strcmp(name, units[i].name) == 0) {
            *out = units[i].unit;
            return 0;
        }
    return -1;
}

int tl_ts_from_epoch(int64_t v, tl_ts_unit unit, int64_t *us) {
    int64_t r;
    switch (unit) {
    case TL_TS_UNIT_S:
        if (__builtin_mul_overflow(v, (int64_t)1000000, &r))
            return -1;
        break;
    case TL_TS_UNIT_MS:
        if (__builtin_mul_overflow(v, (int64_t)1000, &r))
            return -1;
        break;
    case TL_TS_UNIT_US: r = v; break;
    case TL_TS_UNIT_NS:
        /* Floor, like the RFC 3339 parser: extra digits truncate toward the past. */
        r = v / 1000 - (v % 1000 < 0);
        break;
    default: return -1;
    }
    if (r < TL_TS_MIN_US || r > TL_TS_MAX_US)
        return -1;
    *us = r;
    return 0;
}
