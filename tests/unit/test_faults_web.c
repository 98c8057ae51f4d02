/* Out of memory while building text: tl_buf is sticky (after a failed
 * append every later one fails, so a text never misses a piece from its
 * middle), and the web answers built on it are whole or a 500, never a
 * 200 with part of the JSON missing. A sweep fails the Nth allocation of
 * each JSON endpoint's request, for N = 1, 2, ... until one runs clean. */
#define _GNU_SOURCE
#include <ctype.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "live/live.h"
#include "tl_fault.h"
#include "util/buf.h"
#include "util/log.h"
#include "web/web.h"

static const int64_t T0 = 1795550400LL * 1000000; /* 2026-11-24 20:00:00 UTC */

static void test_buf_failure_is_sticky(void **state) {
    (void)state;
    tl_buf b = TL_BUF_INIT;
    assert_int_equal(tl_buf_puts(&b, "SELECT "), 0);
    assert_int_equal(tl_buf_failed(&b), 0);
    /* more than the first block holds: the append must grow, and fails */
    char big[200];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    tl_fault_malloc_arm(1);
    assert_int_equal(tl_buf_puts(&b, big), -1);
    assert_true(tl_fault_malloc_disarm());
    assert_int_equal(tl_buf_failed(&b), -1);
    /* a short piece would fit, but must not land after the lost one */
    assert_int_equal(tl_buf_puts(&b, "1"), -1);
    assert_int_equal(tl_buf_printf(&b, "%d", 2), -1);
    assert_int_equal(tl_buf_json_string(&b, "a", 1), -1);
    assert_string_equal(b.data, "SELECT ");
    /* a reset starts a new text */
    tl_buf_reset(&b);
    assert_int_equal(tl_buf_failed(&b), 0);
    assert_int_equal(tl_buf_puts(&b, "ok"), 0);
    assert_string_equal(b.data, "ok");
    tl_buf_free(&b);
    assert_int_equal(tl_buf_failed(&b), 0);
}

typedef struct fx {
    tl_live *live;
    tl_web *web;
} fx;

static int setup(void **state) {
    fx *f = calloc(1, sizeof *f);
    if (!f || !(f->live = tl_live_new(NULL)))
        return -1;
    tl_live_set_since(f->live, T0);
    const char *syms[] = {"AAPL", "BRK.B", "MSFT", "NVDA", "TSLA", "XOM"};
    for (int i = 0; i < 600; i++) /* enough rows that answers grow their buffers */
        tl_live_add(f->live, syms[i % 6], T0 + (int64_t)i * 1000000, 10000000 + i * 1000, 100);
    tl_web_opts o = {.listen = "127.0.0.1:0", .live = f->live};
    tl_err err = {0};
    f->web = tl_web_new(&o, &err);
    *state = f;
    return f->web ? 0 : -1;
}

static int teardown(void **state) {
    fx *f = *state;
    tl_web_destroy(f->web);
    tl_live_destroy(f->live);
    free(f);
    return 0;
}

/* The response's body as a string (static or built), every run of digits
 * as one 0: answers carry the wall clock (now_ms), and a slow run (ASan,
 * valgrind) is a millisecond later than the clean one. A missing piece
 * still shows. */
static char *body_of(const tl_web_resp *r) {
    const char *s = r->static_body ? (const char *)r->static_body : r->body.data;
    size_t n = r->static_body ? r->static_len : r->body.len;
    char *out = __real_malloc(n + 1), *o = out;
    assert_non_null(out);
    for (size_t i = 0; i < n; i++) {
        bool digit = isdigit((unsigned char)s[i]);
        if (!digit || i == 0 || !isdigit((unsigned char)s[i - 1])) /* a run's first digit */
            *o++ = digit ? '0' : s[i];
    }
    *o = '\0';
    return out;
}

static void sweep(fx *f, const char *url) {
    tl_web_resp r;
    tl_fault_malloc_arm(LONG_MAX);
    tl_web_handle(f->web, "GET", url, NULL, &r);
    long total = tl_fault_malloc_count();
    tl_fault_malloc_disarm();
    assert_int_equal(r.status, 200);
    char *want = body_of(&r);
    tl_web_resp_free(&r);
    long n, runs = 0, failed = 0;
    for (n = tl_fault_first();; n++, runs++) {
        if (n > total + TL_FAULT_SLACK)
            fail_msg("%s: N=%ld still reaches a fault past the %ld allocations counted", url, n,
                     total);
        tl_fault_malloc_arm(n);
        tl_web_handle(f->web, "GET", url, NULL, &r);
        bool fired = tl_fault_malloc_disarm();
        char *got = body_of(&r);
        if (r.status == 200) {
            /* whole, byte for byte (the live state does not change here) */
            if (strcmp(got, want) != 0)
                fail_msg("%s: N=%ld: a 200 with a body that differs from the clean one:\n%s",
                         url, n, got);
        } else if (r.status == 500) {
            if (!fired || !strstr(got, "out of memory"))
                fail_msg("%s: N=%ld: 500 '%s' (fault fired: %d)", url, n, got, fired);
            failed++;
        } else {
            fail_msg("%s: N=%ld: status %d: %s", url, n, r.status, got);
        }
        free(got);
        tl_web_resp_free(&r);
        if (!fired)
            break;
    }
    printf("%s: %ld allocations, %ld runs, %ld answered 500\n", url, total, runs, failed);
    free(want);
}

static void test_web_answers_whole_or_500(void **state) {
    fx *f = *state;
    sweep(f, "/api/symbols");
    sweep(f, "/api/stats?symbol=AAPL&from=1795550400&to=1795551000");
    sweep(f, "/api/bars?symbol=MSFT&from=1795550400&to=1795551000");
    sweep(f, "/api/health");
    sweep(f, "/metrics");
}

int main(void) {
    tl_log_set_level(TL_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_failure_is_sticky),
        cmocka_unit_test_setup_teardown(test_web_answers_whole_or_500, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
