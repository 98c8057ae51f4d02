/* One log event as one line: text for people, JSON (util/json_out, on
 * yajl_gen) for machines. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "util/log.h"
#include "util/json_out.h"

static const char *const level_names[] = {"error", "warn", "info", "debug"};

const char *tl_log_level_name(tl_log_level level) {
    return level >= TL_LOG_ERROR && level <= TL_LOG_DEBUG ? level_names[level] : "info";
}

static void format_time(char out[32], int64_t time_us) {
    time_t secs = (time_t)(time_us / 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    /* 24 bytes for years 0-9999; a time beyond that prints an empty stamp */
    int n = snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (int)(time_us % 1000000 / 1000));
    if (n < 0 || n >= 32)
        out[0] = '\0';
}

static void format_message(char *text, size_t cap, const tl_log_event *ev) {
    if (ev->repeated)
        snprintf(text, cap, "%s (repeated %llu times)", ev->message ? ev->message : "",
                 (unsigned long long)ev->repeated);
    else
        snprintf(text, cap, "%s", ev->message ? ev->message : "");
}

/* util/json_out does the escaping, and writes a byte that is not UTF-8 (a
 * Kafka key, a path) as a character, so the line always decodes. */
static int render_json(tl_buf *out, const tl_log_event *ev) {
    tl_json *j = tl_json_new(out);
    if (!j)
        return -1;
    char when[32], text[2100];
    format_time(when, ev->time_us);
    format_message(text, sizeof text, ev);
    tl_json_obj_begin(j);
    tl_json_kv_str(j, "time", when);
    tl_json_kv_str(j, "level", tl_log_level_name(ev->level));
    tl_json_kv_str(j, "component", ev->component ? ev->component : "ticklake");
    tl_json_kv_str(j, "message", text);
    for (size_t i = 0; i < ev->nfields; i++) {
        const tl_log_field *f = &ev->fields[i];
        if (f->type == TL_LF_INT)
            tl_json_kv_int(j, f->key, f->i);
        else
            tl_json_kv_str(j, f->key, f->s);
    }
    if (ev->repeated)
        tl_json_kv_int(j, "repeated", (int64_t)ev->repeated);
    tl_json_obj_end(j);
    int rc = tl_json_end_line(j);
    tl_json_free(j);
    return rc ? -1 : 0;
}

/* Text is for people, and for the scripts that read the lines as they have
 * always been: the message carries the ids it needs in words, so the fields
 * (a machine's copy of them) are left to the JSON format. */
static int render_text(tl_buf *out, const tl_log_event *ev) {
    int rc = 0;
    if (!ev->plain) {
        char when[32];
        format_time(when, ev->time_us);
        rc |= tl_buf_printf(out, "%s %-5s %s: ", when, tl_log_level_name(ev->level),
                            ev->component ? ev->component : "ticklake");
    }
    rc |= tl_buf_puts(out, ev->message ? ev->message : "");
    if (ev->repeated)
        rc |= tl_buf_printf(out, " (repeated %llu times)", (unsigned long long)ev->repeated);
    rc |= tl_buf_append(out, "\n", 1);
    return rc ? -1 : 0;
}

int tl_log_render(tl_buf *out, tl_log_format fmt, const tl_log_event *ev) {
    return fmt == TL_LOG_JSON ? render_json(out, ev) : render_text(out, ev);
}
