/* RFC 3339 timestamps <-> µs since the Unix epoch, UTC: the one ISO-8601
 * codec, used for tick times, S3's LastModified, run results and the
 * dashboard's query parameters. */
#ifndef TL_UTIL_RFC3339_H
#define TL_UTIL_RFC3339_H

#include <stddef.h>
#include <stdint.h>

/* The times the codec covers: 0000-01-01T00:00:00Z through
 * 9999-12-31T23:59:59.999999Z, the years RFC 3339's four digits can write. */
#define TL_TS_MIN_US (-62167219200000000LL)
#define TL_TS_MAX_US 253402300799999999LL

/* Parse: YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM); 't' and 'z' accepted;
 * digits beyond µs are truncated toward the past. 0 ok, -1 otherwise. */
int tl_rfc3339_parse(const char *s, size_t len, int64_t *us);
/* ...T..:..:...ffffffZ; clamps us to TL_TS_MIN_US..TL_TS_MAX_US, which
 * parse never leaves. Returns the length (as snprintf does). */
size_t tl_rfc3339_format(int64_t us, char *buf, size_t cap);

#endif
