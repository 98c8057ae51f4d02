/* Graceful stop on SIGINT/SIGTERM, and a "dump counters" request on SIGUSR1.
 * Handlers only set flags; loops poll them. */
#ifndef TL_UTIL_SIGNALS_H
#define TL_UTIL_SIGNALS_H

#include <signal.h>
#include <stdbool.h>

void tl_signals_install(void);
bool tl_stop_requested(void);
/* The flag itself, for modules that take a stop flag as an option (the
 * Kafka wrapper): non-zero once a stop was requested. */
const volatile sig_atomic_t *tl_stop_flag(void);
void tl_request_stop(void);
/* True once per SIGUSR1 received (the flag is cleared by the call). */
bool tl_take_usr1(void);
/* Sleep up to ms milliseconds, waking early when a stop is requested. */
void tl_sleep_ms(long ms);

#endif
