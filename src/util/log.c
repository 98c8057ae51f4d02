#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static tl_log_level current_level = TL_LOG_INFO;
static int level_from_env_done;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int tl_log_level_parse(const char *name, tl_log_level *out) {
    for (int i = 0; i <= TL_LOG_DEBUG; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (tl_log_level)i;
            return 0;
        }
    }
    return -1;
}

void tl_log_set_level(tl_log_level level) {
    current_level = level;
    level_from_env_done = 1;
}

int tl_log_enabled(tl_log_level level) {
    if (!level_from_env_done) {
        const char *env = getenv("TICKLAKE_LOG_LEVEL");
        tl_log_level l;
        if (env && tl_log_level_parse(env, &l) == 0)
            current_level = l;
        level_from_env_done = 1;
    }
    return level <= current_level;
}

void tl_log(tl_log_level level, const char *module, const char *fmt, ...) {
    if (!tl_log_enabled(level))
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s: %s\n", tm.tm_year + 1900,
            tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000,
            level_names[level], module, msg);
}
