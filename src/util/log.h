/* Logging to stderr with a level and a module tag.
 *
 * tl_log(TL_LOG_INFO, "stream", "committed version %lld", v);
 * Level from TICKLAKE_LOG_LEVEL (error|warn|info|debug) or tl_log_set_level().
 * Thread-safe: one fprintf per line. */
#ifndef TL_UTIL_LOG_H
#define TL_UTIL_LOG_H

typedef enum { TL_LOG_ERROR = 0, TL_LOG_WARN, TL_LOG_INFO, TL_LOG_DEBUG } tl_log_level;

void tl_log_set_level(tl_log_level level);
int tl_log_level_parse(const char *name, tl_log_level *out); /* 0 ok, -1 unknown */
int tl_log_enabled(tl_log_level level);
void tl_log(tl_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define tl_error(mod, ...) tl_log(TL_LOG_ERROR, mod, __VA_ARGS__)
#define tl_warn(mod, ...) tl_log(TL_LOG_WARN, mod, __VA_ARGS__)
#define tl_info(mod, ...) tl_log(TL_LOG_INFO, mod, __VA_ARGS__)
#define tl_debug(mod, ...)                                                                         \
    do {                                                                                           \
        if (tl_log_enabled(TL_LOG_DEBUG))                                                          \
            tl_log(TL_LOG_DEBUG, mod, __VA_ARGS__);                                                \
    } while (0)

#endif
