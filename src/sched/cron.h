/* cron — when a scheduled job fires: 5-field cron expressions, evaluated in
 * UTC, and a few shortcuts.
 *
 *   minute hour day-of-month month day-of-week
 *   "0-59/5 * * * *"   "0 2 * * mon-fri"   "30 0 1,15 * *"   "0 0-23/6 1 jan-jun *"
 *
 * Each field is a comma list of items; an item is a star (all values), a
 * value, or a range a-b, and may carry a step /n after any of them: a star
 * with /15 is every 15th value from the lowest, 0-30/10 is 0,10,20,30, and
 * 5/20 is 5-max/20 (as cronie reads it). Months take jan..dec, days of
 * week sun..sat (case-insensitive); day of week 7 is Sunday like 0.
 *
 * Day of month and day of week combine as in Vixie cron: when both are
 * restricted (neither field starts with a star) a day matching EITHER
 * fires; otherwise both must match (a lone star matches every day).
 *
 * Shortcuts: @yearly (@annually), @monthly, @weekly, @daily (@midnight),
 * @hourly, and @every DURATION ("@every 30s", "@every 5m", "@every 1h"):
 * a fixed interval counted from an anchor (the scheduler's start), not
 * aligned to the calendar.
 *
 * Times are Unix milliseconds; calendar expressions fire on whole minutes. */
#ifndef TL_SCHED_CRON_H
#define TL_SCHED_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct tl_cron {
    uint64_t minute;         /* bit m set: minute m (0-59) fires */
    uint32_t hour;           /* bits 0-23 */
    uint32_t dom;            /* bits 1-31 */
    uint16_t month;          /* bits 1-12 */
    uint8_t dow;             /* bits 0-6, Sunday = 0 */
    bool dom_star, dow_star; /* the field started with '*' (the OR rule is off) */
    int64_t every_ms;        /* @every: the interval; 0 for calendar expressions */
} tl_cron;

/* Parse expr into *out. TL_ERR_INVALID with a message that quotes the
 * expression and names the field and the bad part, e.g.
 * `"61 * * * *": minute: 61 is out of range 0-59`. Expressions that can
 * never fire ("0 0 30 2 *") are rejected too. */
int tl_cron_parse(const char *expr, tl_cron *out, tl_err *err);

/* The first fire time strictly after after_ms; anchor_ms is where @every
 * intervals count from (fires at anchor + k * every, k >= 1) and is
 * ignored by calendar expressions. -1 when there is none (only for
 * expressions tl_cron_parse would reject). */
int64_t tl_cron_next(const tl_cron *c, int64_t anchor_ms, int64_t after_ms);

/* ms -> "2026-11-24T10:05:00Z" (seconds precision, UTC). */
void tl_cron_format_time(int64_t ms, char *buf, size_t cap);

#endif
