#include "util/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/clock.h"
#include "util/log_limit.h"

#define REPEAT_WINDOW_MS 10000
#define MAX_SECRETS 16

static tl_log_level current_level = TL_LOG_INFO;
static int level_from_env_done;
static tl_log_format current_format = TL_LOG_TEXT;
static int format_from_env_done;

/* Everything below is guarded by lock: the limiter, the secrets, the line. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static tl_log_limit limiter = {.window_ms = REPEAT_WINDOW_MS};
static char *secrets[MAX_SECRETS];
static size_t nsecrets;

static const char *const format_names[] = {"text", "json"};

int tl_log_level_parse(const char *name, tl_log_level *out) {
    for (int i = 0; i <= TL_LOG_DEBUG; i++) {
        if (strcmp(name, tl_log_level_name((tl_log_level)i)) == 0) {
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

int tl_log_format_parse(const char *name, tl_log_format *out) {
    for (int i = 0; i <= TL_LOG_JSON; i++) {
        if (strcmp(name, format_names[i]) == 0) {
            *out = (tl_log_format)i;
            return 0;
        }
    }
    return -1;
}

void tl_log_set_format(tl_log_format format) {
    current_format = format;
    format_from_env_done = 1;
}

/* Before the settings are loaded (a usage error) the environment decides. */
tl_log_format tl_log_get_format(void) {
    if (!format_from_env_done) {
        const char *env = getenv("TICKLAKE_LOG_FORMAT");
        tl_log_format f;
        if (env && tl_log_format_parse(env, &f) == 0)
            current_format = f;
        format_from_env_done = 1;
    }
    return current_format;
}

void tl_log_add_secret(const char *s) {
    if (!s || strlen(s) < 8)
        return;
    pthread_mutex_lock(&lock);
    int known = 0;
    for (size_t i = 0; i < nsecrets; i++)
        known |= strcmp(secrets[i], s) == 0;
    if (!known && nsecrets < MAX_SECRETS) {
        char *copy = strdup(s);
        if (copy)
            secrets[nsecrets++] = copy;
    }
    pthread_mutex_unlock(&lock);
}

/* Blank every registered secret in s, in place ("***" is never longer than a
 * secret). Whether any was found. Called with lock held. */
static int redact(char *s) {
    int found = 0;
    for (size_t i = 0; i < nsecrets; i++) {
        size_t n = strlen(secrets[i]);
        for (char *p = strstr(s, secrets[i]); p; p = strstr(p + 3, secrets[i])) {
            memcpy(p, "***", 3);
            memmove(p + 3, p + n, strlen(p + n) + 1);
            found = 1;
        }
    }
    return found;
}

static int has_secret(const char *s) {
    for (size_t i = 0; s && i < nsecrets; i++)
        if (strstr(s, secrets[i]))
            return 1;
    return 0;
}

/* Render and write one event; lock held. Out of memory: the line is lost,
 * logging must never fail its caller. */
static void write_event(const tl_log_event *ev, void *ctx) {
    (void)ctx;
    tl_log_event e = *ev;
    if (!e.time_us)
        e.time_us = tl_now_us();
    tl_buf line = TL_BUF_INIT;
    if (tl_log_render(&line, tl_log_get_format(), &e) == 0)
        fwrite(line.data, 1, line.len, stderr);
    tl_buf_free(&line);
}

static void write_held(const tl_log_event *ev, void *ctx) {
    tl_log_event e = *ev;
    e.time_us = tl_now_us(); /* the count is news now, not when the first copy went out */
    write_event(&e, ctx);
}

/* Redacted copies of the string fields that hold a secret; *owned gets the
 * allocation to free (NULL when no field needed one). */
static const tl_log_field *redact_fields(const tl_log_field *f, size_t n, tl_log_field **owned) {
    *owned = NULL;
    int any = 0;
    for (size_t i = 0; i < n; i++)
        any |= f[i].type == TL_LF_STR && has_secret(f[i].s);
    if (!any)
        return f;
    tl_log_field *copy = calloc(n, sizeof *copy);
    if (!copy)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        copy[i] = f[i];
        if (f[i].type == TL_LF_STR && has_secret(f[i].s)) {
            copy[i].s = "***"; /* a field holding a secret says nothing else worth keeping */
        }
    }
    *owned = copy;
    return copy;
}

static void emit(tl_log_level level, const char *component, const tl_log_field *fields,
                 size_t nfields, int plain, const char *fmt, va_list ap) {
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    pthread_mutex_lock(&lock);
    redact(msg);
    tl_log_field *owned = NULL;
    const tl_log_field *f = redact_fields(fields, nfields, &owned);
    if (!f)
        nfields = 0;
    tl_log_event ev = {.time_us = tl_now_us(),
                       .level = level,
                       .component = component,
                       .message = msg,
                       .fields = f,
                       .nfields = nfields,
                       .plain = plain};
    int64_t now = tl_mono_ms();
    /* only warnings and errors repeat in storms (a broker away, a bad file) */
    if (level > TL_LOG_WARN || tl_log_limit_admit(&limiter, &ev, now, write_held, NULL))
        write_event(&ev, NULL);
    tl_log_limit_expire(&limiter, now, false, write_held, NULL);
    pthread_mutex_unlock(&lock);
    free(owned);
}

void tl_log(tl_log_level level, const char *component, const char *fmt, ...) {
    if (!tl_log_enabled(level))
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(level, component, NULL, 0, 0, fmt, ap);
    va_end(ap);
}

void tl_logf(tl_log_level level, const char *component, const tl_log_field *fields,
             size_t nfields, const char *fmt, ...) {
    if (!tl_log_enabled(level))
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(level, component, fields, nfields, 0, fmt, ap);
    va_end(ap);
}

void tl_log_line(tl_log_level level, const char *component, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    emit(level, component, NULL, 0, 1, fmt, ap);
    va_end(ap);
}

void tl_log_linef(tl_log_level level, const char *component, const tl_log_field *fields,
                  size_t nfields, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    emit(level, component, fields, nfields, 1, fmt, ap);
    va_end(ap);
}

void tl_log_flush(void) {
    pthread_mutex_lock(&lock);
    tl_log_limit_expire(&limiter, tl_mono_ms(), true, write_held, NULL);
    pthread_mutex_unlock(&lock);
    fflush(stderr);
}
