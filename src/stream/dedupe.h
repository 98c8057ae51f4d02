/* dedupe — remembers (symbol, seq) pairs for the watermark horizon, so a tick
 * sent twice lands once. State is bounded: entries are evicted as event time
 * moves on, so memory follows the horizon, not the stream's length. */
#ifndef TL_STREAM_DEDUPE_H
#define TL_STREAM_DEDUPE_H

#include <stddef.h>
#include <stdint.h>

typedef struct tl_dedupe tl_dedupe;

tl_dedupe *tl_dedupe_new(void);
void tl_dedupe_destroy(tl_dedupe *d);

/* 1 if (symbol, seq) is already remembered (a duplicate), else remember it
 * until event time keep_until_us falls out of the horizon and return 0.
 * -1 when out of memory. */
int tl_dedupe_seen(tl_dedupe *d, const char *symbol, int64_t seq, int64_t keep_until_us);

/* Forget every pair whose keep_until_us < horizon_us. */
void tl_dedupe_evict(tl_dedupe *d, int64_t horizon_us);

size_t tl_dedupe_count(const tl_dedupe *d);

#endif
