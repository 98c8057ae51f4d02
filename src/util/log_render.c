/* One log event as one line: text for people, JSON (yajl_gen) for machines. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_gen.h>

#include "util/buf.h"
#include "util/log.h"
#include "util/utf8.h"

static const char *const level_names[] = {"error", "warn", "info", "debug"};

const char *tl_log_level_name(tl_log_level level) {
    return level >= TL_LOG_ERROR && level <= TL_LOG_DEBUG ? level_names[level] : "info";
}

static void format_time(char out[32], int64_t time_us) {
    time_t secs = (time_t)(time_us / 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(time_us % 1000000 / 1000));
}

/* s with every byte that is not valid UTF-8 replaced by U+FFFD, so that a
 * JSON line always decodes (a Kafka key or a path may hold any bytes). */
static int valid_utf8(tl_buf *out, const char *s) {
    size_t n = strlen(s);
    tl_buf_reset(out);
    for (size_t i = 0; i < n;) {
        size_t k = tl_utf8_seq_len((const unsigned char *)s + i, n - i);
        if (k == 0) {
            if (tl_buf_append(out, "\xef\xbf\xbd", 3))
                return -1;
            i++;
        } else {
            if (tl_buf_append(out, s + i, k))
                return -1;
            i += k;
        }
    }
    return tl_buf_reserve(out, 1);
}

static int gen_str(yajl_gen g, tl_buf *scratch, const char *s) {
    if (!s)
        return yajl_gen_null(g) == yajl_gen_status_ok ? 0 : -1;
    if (valid_utf8(scratch, s))
        return -1;
    return yajl_gen_string(g, (const unsigned char *)(scratch->data ? scratch->data : ""),
                           scratch->len) == yajl_gen_status_ok
               ? 0
               : -1;
}

static int gen_message(yajl_gen g, tl_buf *scratch, const tl_log_event *ev) {
    char text[2100];
    if (ev->repeated)
        snprintf(text, sizeof text, "%s (repeated %llu times)", ev->message ? ev->message : "",
                 (unsigned long long)ev->repeated);
    else
        snprintf(text, sizeof text, "%s", ev->message ? ev->message : "");
    return gen_str(g, scratch, text);
}

static int render_json(tl_buf *out, const tl_log_event *ev) {
    int rc = -1;
    tl_buf scratch = TL_BUF_INIT;
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return -1;
    char when[32];
    format_time(when, ev->time_us);
    if (yajl_gen_map_open(g) != yajl_gen_status_ok || gen_str(g, &scratch, "time") ||
        gen_str(g, &scratch, when) || gen_str(g, &scratch, "level") ||
        gen_str(g, &scratch, tl_log_level_name(ev->level)) || gen_str(g, &scratch, "component") ||
        gen_str(g, &scratch, ev->component ? ev->component : "ticklake") ||
        gen_str(g, &scratch, "message") || gen_message(g, &scratch, ev))
        goto out;
    for (size_t i = 0; i < ev->nfields; i++) {
        const tl_log_field *f = &ev->fields[i];
        if (gen_str(g, &scratch, f->key))
            goto out;
        if (f->type == TL_LF_INT ? yajl_gen_integer(g, f->i) != yajl_gen_status_ok
                                 : gen_str(g, &scratch, f->s) != 0)
            goto out;
    }
    if (ev->repeated &&
        (gen_str(g, &scratch, "repeated") ||
         yajl_gen_integer(g, (long long)ev->repeated) != yajl_gen_status_ok))
        goto out;
    if (yajl_gen_map_close(g) != yajl_gen_status_ok)
        goto out;
    const unsigned char *text;
    size_t len;
    yajl_gen_get_buf(g, &text, &len);
    if (tl_buf_append(out, text, len) || tl_buf_append(out, "\n", 1))
        goto out;
    rc = 0;
out:
    yajl_gen_free(g);
    tl_buf_free(&scratch);
    return rc;
}

/* A value goes bare unless a reader could misread it: empty, or holding a
 * space, '=', a quote, a backslash or a control byte; then as a JSON string. */
static int needs_quotes(const char *s) {
    if (!*s)
        return 1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == '=' || *p == '"' || *p == '\\' || *p == 0x7f)
            return 1;
    return 0;
}

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
    for (size_t i = 0; !ev->plain && i < ev->nfields; i++) { /* plain: the line as written */
        const tl_log_field *f = &ev->fields[i];
        rc |= tl_buf_printf(out, " %s=", f->key);
        if (f->type == TL_LF_INT)
            rc |= tl_buf_printf(out, "%lld", f->i);
        else if (!f->s)
            rc |= tl_buf_puts(out, "null");
        else if (needs_quotes(f->s))
            rc |= tl_buf_json_string(out, f->s, strlen(f->s));
        else
            rc |= tl_buf_puts(out, f->s);
    }
    rc |= tl_buf_append(out, "\n", 1);
    return rc ? -1 : 0;
}

int tl_log_render(tl_buf *out, tl_log_format fmt, const tl_log_event *ev) {
    return fmt == TL_LOG_JSON ? render_json(out, ev) : render_text(out, ev);
}
