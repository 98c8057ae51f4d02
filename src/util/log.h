/* Logging to stderr: one event per line, as text or as JSON.
 *
 * tl_log(TL_LOG_INFO, "stream", "committed version %lld", v);
 * tl_infof("stream", TL_FIELDS(TL_LS("topic", t), TL_LI("partition", p), TL_LI("version", v)),
 *          "committed version %lld", v);
 *
 * An event has a time, a level, a component, a message and key/value fields
 * (the ids that matter: topic, partition, offsets, lake version, file, job,
 * run id). Text: "2026-11-24T14:30:00.123Z info  stream: message" (the
 * fields only in JSON, so text lines read as they always did);
 * JSON (--log-format json): {"time":..,"level":..,"component":..,"message":..,
 * "key":value} on one line, rendered with yajl.
 *
 * Level from TICKLAKE_LOG_LEVEL (error|warn|info|debug) or tl_log_set_level();
 * format from TICKLAKE_LOG_FORMAT (text|json) or tl_log_set_format().
 * Warnings and errors repeated identically within 10 s are held back and
 * reported once with a count ("... (repeated 57 times)"); tl_log_flush()
 * reports the ones still held (main calls it on exit).
 * Registered secrets (tl_log_add_secret) are replaced by "***" in every line.
 * Thread-safe: one lock and one write per line. */
#ifndef TL_UTIL_LOG_H
#define TL_UTIL_LOG_H

#include <stddef.h>
#include <stdint.h>

struct tl_buf;

typedef enum { TL_LOG_ERROR = 0, TL_LOG_WARN, TL_LOG_INFO, TL_LOG_DEBUG } tl_log_level;
typedef enum { TL_LOG_TEXT = 0, TL_LOG_JSON } tl_log_format;

typedef enum { TL_LF_STR, TL_LF_INT } tl_log_field_type;
typedef struct tl_log_field {
    const char *key;
    tl_log_field_type type;
    const char *s; /* TL_LF_STR; NULL is written as JSON null */
    long long i;   /* TL_LF_INT */
} tl_log_field;

#define TL_LS(k, v) ((tl_log_field){.key = (k), .type = TL_LF_STR, .s = (v)})
#define TL_LI(k, v) ((tl_log_field){.key = (k), .type = TL_LF_INT, .i = (long long)(v)})
/* Expands to two arguments: the array and its length. */
#define TL_FIELDS(...)                                                                             \
    (const tl_log_field[]){__VA_ARGS__},                                                           \
        sizeof((const tl_log_field[]){__VA_ARGS__}) / sizeof(tl_log_field)

void tl_log_set_level(tl_log_level level);
int tl_log_level_parse(const char *name, tl_log_level *out); /* 0 ok, -1 unknown */
int tl_log_enabled(tl_log_level level);
void tl_log_set_format(tl_log_format format);
int tl_log_format_parse(const char *name, tl_log_format *out); /* 0 ok, -1 unknown */
tl_log_format tl_log_get_format(void);

/* Replace s wherever it shows in a line by "***" (secrets of the
 * configuration: S3 key, SASL password, dashboard token). Copies s; ignores
 * strings shorter than 8 bytes (they would blank out ordinary words:
 * moto's "testing"). */
void tl_log_add_secret(const char *s);

void tl_log(tl_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tl_logf(tl_log_level level, const char *component, const tl_log_field *fields,
             size_t nfields, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A line meant for a person at a terminal ("ticklake stream: no such file"):
 * printed verbatim in text format, as an event of that component in JSON. */
void tl_log_line(tl_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same with fields, which only the JSON format shows. */
void tl_log_linef(tl_log_level level, const char *component, const tl_log_field *fields,
                  size_t nfields, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Report the repeats still held back; call before exit. */
void tl_log_flush(void);

#define tl_error(mod, ...) tl_log(TL_LOG_ERROR, mod, __VA_ARGS__)
#define tl_warn(mod, ...) tl_log(TL_LOG_WARN, mod, __VA_ARGS__)
#define tl_info(mod, ...) tl_log(TL_LOG_INFO, mod, __VA_ARGS__)
#define tl_debug(mod, ...)                                                                         \
    do {                                                                                           \
        if (tl_log_enabled(TL_LOG_DEBUG))                                                          \
            tl_log(TL_LOG_DEBUG, mod, __VA_ARGS__);                                                \
    } while (0)
/* With fields: tl_infof("stream", TL_FIELDS(TL_LS("topic", t)), "fmt", ...) */
#define tl_errorf(mod, ...) tl_logf(TL_LOG_ERROR, mod, __VA_ARGS__)
#define tl_warnf(mod, ...) tl_logf(TL_LOG_WARN, mod, __VA_ARGS__)
#define tl_infof(mod, ...) tl_logf(TL_LOG_INFO, mod, __VA_ARGS__)
#define tl_debugf(mod, ...)                                                                        \
    do {                                                                                           \
        if (tl_log_enabled(TL_LOG_DEBUG))                                                          \
            tl_logf(TL_LOG_DEBUG, mod, __VA_ARGS__);                                               \
    } while (0)

/* ---- the parts, for tests ------------------------------------------------ */

typedef struct tl_log_event {
    int64_t time_us; /* wall clock, µs since the epoch */
    tl_log_level level;
    const char *component;
    const char *message;
    const tl_log_field *fields;
    size_t nfields;
    uint64_t repeated; /* > 0: that many identical events were held back before this one */
    int plain;         /* text format: the message alone, verbatim (tl_log_line) */
} tl_log_event;

const char *tl_log_level_name(tl_log_level level);
/* Append ev as one line (with '\n') in format fmt. 0 ok, -1 out of memory. */
int tl_log_render(struct tl_buf *out, tl_log_format fmt, const tl_log_event *ev);

#endif
