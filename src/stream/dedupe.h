/* dedupe — remembers which (symbol, seq) pairs the lake holds, so a tick sent
 * twice lands once.
 *
 * Per symbol, the seen seqs are kept as a sorted set of ranges [lo, hi]: a
 * feed whose seq rises per symbol (the usual case) is one range per symbol
 * however long it runs, plus one per gap (a seq that never came, or has not
 * come yet). Each range carries the newest event time that touched it; a
 * range untouched for the dedupe horizon is forgotten. So:
 *  - within the horizon, dedupe is exact: a pair seen is never admitted again;
 *  - beyond it, a pair inside a range that is still being extended (the
 *    contiguous run up to the symbol's newest seq) is still caught: for a
 *    rising seq, dedupe stays exact far past the horizon;
 *  - a pair never seen is always admitted, however old: nothing is dropped
 *    because it is old, only because it is a repeat.
 * Memory: one 24-byte range per run of consecutive seqs per symbol (plus a
 * small per-symbol header), not per tick. Feeds without rising seqs degrade
 * to one range per tick within the horizon. */
#ifndef TL_STREAM_DEDUPE_H
#define TL_STREAM_DEDUPE_H

#include <stddef.h>
#include <stdint.h>

typedef struct tl_dedupe tl_dedupe;

tl_dedupe *tl_dedupe_new(void);
void tl_dedupe_destroy(tl_dedupe *d);

/* 1 if (symbol, seq) is already remembered (a duplicate; its range is kept
 * until keep_us too), else remember it until event time keep_us falls out of
 * the horizon and return 0. -1 when out of memory (nothing changed). */
int tl_dedupe_seen(tl_dedupe *d, const char *symbol, int64_t seq, int64_t keep_us);

/* Remember every seq in [lo, hi] (recovery from the lake). 0, or -1 when out
 * of memory. */
int tl_dedupe_add_range(tl_dedupe *d, const char *symbol, int64_t lo, int64_t hi, int64_t keep_us);

/* Forget every range whose keep_us < horizon_us, but only once some range is
 * older than horizon_us - slack_us: a pass over the whole state then runs
 * at most once per slack of event time, and a range lives at most slack
 * longer than the horizon (never shorter). */
void tl_dedupe_evict(tl_dedupe *d, int64_t horizon_us, int64_t slack_us);

size_t tl_dedupe_count(const tl_dedupe *d);   /* ranges held */
size_t tl_dedupe_symbols(const tl_dedupe *d); /* symbols with at least one range */
size_t tl_dedupe_bytes(const tl_dedupe *d);   /* heap bytes held */

#endif
