/* tick_fast — a parser specialised for the common tick record, in front of
 * the general one (tick_parse.c, on yajl).
 *
 * It takes one flat JSON object whose keys are the built-in tick fields (any
 * order, each at most once), with plain values: strings without escapes,
 * non-negative numbers without exponent (money at most 6 decimals, integers
 * at most 18 digits), and only JSON whitespace between tokens. Numbers go
 * straight from the digits into int64 (micro-units for money), strings are
 * checked for strict UTF-8 in the same pass that finds their end.
 *
 * It never decides a rejection: for anything it does not fully handle
 * (escapes, unknown keys, null, nested values, negative numbers, exponents,
 * duplicates, any failed check...) it says "not mine" and the record goes to
 * the yajl parser. So every outcome, tick or reason, is the one the yajl
 * path defines; fuzz/fuzz_tick_fast.c holds the two to that. */
#ifndef TL_TICK_TICK_FAST_H
#define TL_TICK_TICK_FAST_H

#include <stdbool.h>
#include <stddef.h>

#include "tick/tick.h"

/* true: *out is the tick tl_tick_parse's yajl path returns for these bytes
 * (epoch integers in unit). false: not mine, *out untouched. Never reads
 * past buf+len; no allocation; thread-safe (no state). */
bool tl_tick_fast_parse(const char *buf, size_t len, tl_ts_unit unit, tl_tick *out);

#endif
