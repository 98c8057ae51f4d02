/* The logger: JSON lines that parse back to what went in (escapes, control
 * bytes, invalid UTF-8), text lines without the fields, the rate limit of
 * repeated identical events on a driven clock, and the whole path through
 * tl_logf into stderr with a secret blanked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "util/buf.h"
#include "util/log.h"
#include "util/log_limit.h"

static yajl_val parse_line(const char *line) {
    char errbuf[256];
    yajl_val v = yajl_tree_parse(line, errbuf, sizeof errbuf);
    if (!v)
        fail_msg("not JSON (%s): %s", errbuf, line);
    return v;
}

static const char *get_str(yajl_val obj, const char *key) {
    const char *path[] = {key, NULL};
    yajl_val v = yajl_tree_get(obj, path, yajl_t_string);
    return v ? YAJL_GET_STRING(v) : NULL;
}

static long long get_int(yajl_val obj, const char *key) {
    const char *path[] = {key, NULL};
    yajl_val v = yajl_tree_get(obj, path, yajl_t_number);
    assert_non_null(v);
    return YAJL_GET_INTEGER(v);
}

static void test_json_escapes(void **state) {
    (void)state;
    const char *msg = "say \"hi\"\\ then\nnew line\ttab \x01 bell, and a bad byte \xff end";
    tl_log_field f[] = {TL_LS("file", "a \"b\"\n\x02"), TL_LI("partition", -3),
                        TL_LS("nothing", NULL)};
    tl_log_event ev = {.time_us = 1764000000123456LL,
                       .level = TL_LOG_WARN,
                       .component = "stream",
                       .message = msg,
                       .fields = f,
                       .nfields = 3};
    tl_buf b = TL_BUF_INIT;
    assert_int_equal(tl_log_render(&b, TL_LOG_JSON, &ev), 0);
    assert_true(b.len > 0 && b.data[b.len - 1] == '\n');
    assert_null(memchr(b.data, '\n', b.len - 1)); /* one line */
    yajl_val v = parse_line(b.data);
    assert_string_equal(get_str(v, "time"), "2025-11-24T16:00:00.123Z");
    assert_string_equal(get_str(v, "level"), "warn");
    assert_string_equal(get_str(v, "component"), "stream");
    assert_string_equal(get_str(v, "message"), "say \"hi\"\\ then\nnew line\ttab \x01 bell, "
                                               "and a bad byte \xc3\xbf end");
    assert_string_equal(get_str(v, "file"), "a \"b\"\n\x02");
    assert_int_equal(get_int(v, "partition"), -3);
    const char *np[] = {"nothing", NULL};
    assert_true(YAJL_IS_NULL(yajl_tree_get(v, np, yajl_t_any)));
    yajl_tree_free(v);
    tl_buf_free(&b);
}

static void test_json_repeated(void **state) {
    (void)state;
    tl_log_event ev = {.level = TL_LOG_ERROR, .component = "kafka", .message = "broker away",
                       .repeated = 57};
    tl_buf b = TL_BUF_INIT;
    assert_int_equal(tl_log_render(&b, TL_LOG_JSON, &ev), 0);
    yajl_val v = parse_line(b.data);
    assert_string_equal(get_str(v, "message"), "broker away (repeated 57 times)");
    assert_int_equal(get_int(v, "repeated"), 57);
    yajl_tree_free(v);
    tl_buf_free(&b);
}

static void test_text_line(void **state) {
    (void)state;
    tl_log_field f[] = {TL_LS("topic", "ticks"), TL_LI("partition", 3),
                        TL_LS("file", "a b=c"), TL_LS("empty", "")};
    tl_log_event ev = {.time_us = 1764000000123456LL,
                       .level = TL_LOG_INFO,
                       .component = "stream",
                       .message = "committed",
                       .fields = f,
                       .nfields = 4,
                       .repeated = 2};
    tl_buf b = TL_BUF_INIT;
    assert_int_equal(tl_log_render(&b, TL_LOG_TEXT, &ev), 0);
    /* the fields are JSON's: a text line reads as it always did */
    assert_string_equal(b.data, "2025-11-24T16:00:00.123Z info  stream: committed (repeated 2 "
                                "times)\n");
    tl_buf_reset(&b);
    tl_log_event plain = {.level = TL_LOG_ERROR, .component = "query",
                          .message = "ticklake query: no lake", .plain = 1};
    assert_int_equal(tl_log_render(&b, TL_LOG_TEXT, &plain), 0);
    assert_string_equal(b.data, "ticklake query: no lake\n");
    tl_buf_free(&b);
}

/* ---- the rate limit ------------------------------------------------------ */

typedef struct {
    int n;
    uint64_t last_repeated;
    char last_message[64];
} seen;

static void record(const tl_log_event *ev, void *ctx) {
    seen *s = ctx;
    s->n++;
    s->last_repeated = ev->repeated;
    snprintf(s->last_message, sizeof s->last_message, "%s", ev->message);
}

static tl_log_event error_event(const char *msg, const tl_log_field *f, size_t nf) {
    return (tl_log_event){.level = TL_LOG_ERROR, .component = "s3", .message = msg,
                          .fields = f, .nfields = nf};
}

static void test_limit_counts_repeats(void **state) {
    (void)state;
    tl_log_limit l;
    tl_log_limit_init(&l, 10000);
    seen s = {0};
    tl_log_field f[] = {TL_LI("partition", 1)};
    int written = 0;
    for (int i = 0; i < 58; i++) { /* 58 within the window: 1 written, 57 held */
        tl_log_event ev = error_event("GET x: 503", f, 1);
        if (tl_log_limit_admit(&l, &ev, 1000 + i * 10, record, &s)) {
            written++;
            assert_int_equal(ev.repeated, 0);
        }
    }
    assert_int_equal(written, 1);
    assert_int_equal(s.n, 0);
    /* the same error once the window passed: written, with the count */
    tl_log_event ev = error_event("GET x: 503", f, 1);
    assert_true(tl_log_limit_admit(&l, &ev, 1000 + 10000, record, &s));
    assert_int_equal(ev.repeated, 57);
    /* a different field value is a different event */
    tl_log_field g[] = {TL_LI("partition", 2)};
    tl_log_event other = error_event("GET x: 503", g, 1);
    assert_true(tl_log_limit_admit(&l, &other, 1000 + 10001, record, &s));
    assert_int_equal(other.repeated, 0);
    tl_log_limit_free(&l);
}

static void test_limit_reports_held_count_alone(void **state) {
    (void)state;
    tl_log_limit l;
    tl_log_limit_init(&l, 10000);
    seen s = {0};
    for (int i = 0; i < 5; i++) {
        tl_log_event ev = error_event("broker away", NULL, 0);
        tl_log_limit_admit(&l, &ev, 0, record, &s);
    }
    tl_log_limit_expire(&l, 9999, false, record, &s); /* window not over: nothing */
    assert_int_equal(s.n, 0);
    tl_log_limit_expire(&l, 10000, false, record, &s);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.last_repeated, 4);
    assert_string_equal(s.last_message, "broker away");
    tl_log_limit_expire(&l, 30000, false, record, &s); /* reported once */
    assert_int_equal(s.n, 1);
    /* flush_all reports what is held at exit, whatever the clock */
    for (int i = 0; i < 3; i++) {
        tl_log_event ev = error_event("disk full", NULL, 0);
        tl_log_limit_admit(&l, &ev, 40000, record, &s);
    }
    tl_log_limit_expire(&l, 40001, true, record, &s);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.last_repeated, 2);
    tl_log_limit_free(&l);
}

static void test_limit_eviction_reports(void **state) {
    (void)state;
    tl_log_limit l;
    tl_log_limit_init(&l, 10000);
    seen s = {0};
    char msg[32];
    tl_log_event first = error_event("event 0", NULL, 0);
    assert_true(tl_log_limit_admit(&l, &first, 0, record, &s));
    tl_log_event again = error_event("event 0", NULL, 0);
    assert_false(tl_log_limit_admit(&l, &again, 1, record, &s));
    /* more distinct events than slots: the oldest is evicted, its count reported */
    for (int i = 1; i <= TL_LOG_LIMIT_SLOTS; i++) {
        snprintf(msg, sizeof msg, "event %d", i);
        tl_log_event ev = error_event(msg, NULL, 0);
        assert_true(tl_log_limit_admit(&l, &ev, 2 + i, record, &s));
    }
    assert_int_equal(s.n, 1);
    assert_string_equal(s.last_message, "event 0");
    assert_int_equal(s.last_repeated, 1);
    tl_log_limit_free(&l);
}

/* ---- through stderr -------------------------------------------------------- */

static void test_logf_to_stderr(void **state) {
    (void)state;
    char path[] = "/tmp/tl-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);

    tl_log_set_format(TL_LOG_JSON);
    tl_log_set_level(TL_LOG_INFO);
    tl_log_add_secret("hunter2-secret");
    tl_infof("stream", TL_FIELDS(TL_LS("topic", "ticks"), TL_LI("version", 12)),
             "committed version %d", 12);
    tl_errorf("s3", TL_FIELDS(TL_LS("file", "s3://b/k?token=hunter2-secret")),
              "auth failed with hunter2-secret and hunter2-secret");
    for (int i = 0; i < 5; i++)
        tl_error("kafka", "broker away");
    tl_debug("stream", "not shown at info");
    tl_log_line(TL_LOG_ERROR, "query", "ticklake query: no lake");
    tl_log_flush();

    dup2(saved, STDERR_FILENO);
    close(saved);
    FILE *f = fdopen(fd, "r");
    assert_non_null(f);
    rewind(f);
    char line[4096];
    int n = 0, repeated = 0;
    while (fgets(line, sizeof line, f)) {
        n++;
        assert_null(strstr(line, "hunter2"));
        yajl_val v = parse_line(line);
        assert_non_null(get_str(v, "time"));
        assert_non_null(get_str(v, "level"));
        assert_non_null(get_str(v, "component"));
        const char *m = get_str(v, "message");
        assert_non_null(m);
        if (n == 1) {
            assert_string_equal(m, "committed version 12");
            assert_string_equal(get_str(v, "topic"), "ticks");
            assert_int_equal(get_int(v, "version"), 12);
        }
        if (n == 2) {
            assert_string_equal(m, "auth failed with *** and ***");
            assert_string_equal(get_str(v, "file"), "***");
        }
        if (strcmp(m, "broker away (repeated 4 times)") == 0)
            repeated++;
        if (strcmp(m, "ticklake query: no lake") == 0)
            assert_string_equal(get_str(v, "component"), "query");
        yajl_tree_free(v);
    }
    fclose(f);
    unlink(path);
    /* committed, auth, broker away, the plain line, the count at flush */
    assert_int_equal(n, 5);
    assert_int_equal(repeated, 1);
    tl_log_set_format(TL_LOG_TEXT);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_escapes),
        cmocka_unit_test(test_json_repeated),
        cmocka_unit_test(test_text_line),
        cmocka_unit_test(test_limit_counts_repeats),
        cmocka_unit_test(test_limit_reports_held_count_alone),
        cmocka_unit_test(test_limit_eviction_reports),
        cmocka_unit_test(test_logf_to_stderr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
