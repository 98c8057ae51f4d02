/* Rate limit of repeated identical log events (same level, component,
 * message and fields): the first is written, the next ones within the window
 * are counted, and the count goes out with the first repeat after the window
 * ("... (repeated 57 times)"), or by itself once the window passed.
 * Not thread-safe: the logger holds its lock around every call. The clock is
 * the caller's (monotonic ms), so tests drive it. */
#ifndef TL_UTIL_LOG_LIMIT_H
#define TL_UTIL_LOG_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "util/log.h"

#define TL_LOG_LIMIT_SLOTS 64

typedef struct tl_log_limit_slot {
    uint64_t hash;           /* 0 = free */
    int64_t window_start_ms; /* when the last written copy went out */
    uint64_t held;           /* copies held back since */
    tl_log_event *copy;      /* owned deep copy, to report the count by itself */
} tl_log_limit_slot;

typedef struct tl_log_limit {
    int64_t window_ms;
    tl_log_limit_slot slots[TL_LOG_LIMIT_SLOTS];
} tl_log_limit;

/* Receives an event to write: a held count reported by itself (copy of the
 * event, repeated > 0). */
typedef void (*tl_log_limit_emit_fn)(const tl_log_event *ev, void *ctx);

void tl_log_limit_init(tl_log_limit *l, int64_t window_ms);
void tl_log_limit_free(tl_log_limit *l);
/* Whether ev should be written now; sets ev->repeated to the copies held
 * since the last written one. A slot taken from another event reports that
 * one's count through emit first. Out of memory: writes (never loses). */
bool tl_log_limit_admit(tl_log_limit *l, tl_log_event *ev, int64_t now_ms,
                        tl_log_limit_emit_fn emit, void *ctx);
/* Report through emit every count whose window ended by now_ms (all of them
 * when flush_all), and forget those events. */
void tl_log_limit_expire(tl_log_limit *l, int64_t now_ms, bool flush_all,
                         tl_log_limit_emit_fn emit, void *ctx);

#endif
