/* The proleptic Gregorian calendar in integer arithmetic: days since
 * 1970-01-01 <-> year, month, day. No timegm, time zone or locale, so the
 * results are the same on every machine (used by the RFC 3339 codec and
 * the lake's hour partitions). */
#ifndef TL_UTIL_CIVIL_H
#define TL_UTIL_CIVIL_H

#include <stdint.h>

int64_t tl_days_from_civil(int64_t y, int m, int d);
void tl_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

#endif
