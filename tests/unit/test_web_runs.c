/* GET /api/runs: the run history of a real (local) lake through the web
 * module's routing — newest first, every field of a record, a failure's
 * error text, ?job= and ?limit= and their 400s, the token, and a
 * dashboard without a lake. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "live/live.h"
#include "sched/sched_runs.h"
#include "store/store.h"
#include "tl_test.h"
#include "util/clock.h"
#include "web/web.h"

typedef struct fx {
    char dir[64];
    tl_store *store;
    tl_live *live;
    tl_web *web;
} fx;

static void put_run(tl_store *st, const char *job, int64_t start, const char *status,
                    const char *text, tl_sched_summary sum) {
    tl_sched_run_rec r = {.due_ms = start - start % 60000, .start_ms = start,
                          .end_ms = start + 2500, .attempt = 1, .sum = sum};
    snprintf(r.job, sizeof r.job, "%s", job);
    snprintf(r.status, sizeof r.status, "%s", status);
    snprintf(!strcmp(status, "failed") ? r.error : r.detail, sizeof r.error, "%s", text);
    snprintf(r.owner, sizeof r.owner, "host:1:ab");
    tl_err err = {0};
    if (tl_sched_runs_put(st, &r, &err) != 0)
        fail_msg("%s", err.msg);
}

static int setup(void **state) {
    fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/tl-webruns-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    tl_err err = {0};
    f->store = tl_store_open(f->dir, &err);
    f->live = tl_live_new(NULL);
    int64_t now = tl_now_us() / 1000;
    put_run(f->store, "compact", now - 8 * 86400000LL, "success", "too old to list",
            (tl_sched_summary){1, 1, 1, -1, -1});
    put_run(f->store, "compact", now - 300000, "success", "1 partition: 12 -> 1 files",
            (tl_sched_summary){12, 1, 5000, -1, -1});
    put_run(f->store, "models", now - 290000, "failed", "model 'broken': Parser Error: syntax",
            (tl_sched_summary){-1, -1, -1, 3, -1});
    put_run(f->store, "vacuum", now - 10000, "skipped", "upstream", (tl_sched_summary){-1, -1, -1, -1, -1});
    tl_web_opts o = {.listen = "127.0.0.1:0", .token = "tok", .live = f->live, .store = f->store};
    f->web = tl_web_new(&o, &err);
    *state = f;
    return f->store && f->web ? 0 : -1;
}

static int teardown(void **state) {
    fx *f = *state;
    tl_web_destroy(f->web);
    tl_live_destroy(f->live);
    tl_store_destroy(f->store);
    tl_test_rm_tree(f->dir);
    free(f);
    return 0;
}

static int get(tl_web *w, const char *url, tl_web_resp *r) {
    tl_web_handle(w, "GET", url, "Bearer tok", r);
    return r->status;
}

static const char *body(const tl_web_resp *r) {
    return r->body.data ? r->body.data : "";
}

static void test_runs_newest_first(void **state) {
    fx *f = *state;
    tl_web_resp r;
    assert_int_equal(get(f->web, "/api/runs", &r), 200);
    assert_string_equal(r.content_type, "application/json; charset=utf-8");
    const char *b = body(&r);
    const char *v = strstr(b, "\"job\":\"vacuum\""), *m = strstr(b, "\"job\":\"models\""),
               *c = strstr(b, "\"job\":\"compact\"");
    assert_true(v && m && c && v < m && m < c); /* newest first */
    assert_null(strstr(b, "too old to list"));  /* only the recent days */
    assert_non_null(strstr(b, "\"status\":\"failed\",\"error\":\"model 'broken': Parser Error: syntax\""));
    assert_non_null(strstr(b, "\"duration_ms\":2500"));
    assert_non_null(strstr(b, "\"summary\":{\"files_in\":12,\"files_out\":1,\"rows\":5000,"
                              "\"models\":null,\"tests_failed\":null}"));
    assert_non_null(strstr(b, "\"scheduled_ms\":"));
    assert_non_null(strstr(b, "\"start_ms\":"));
    assert_true(!strncmp(b, "{\"runs\":[{", 10));
    tl_web_resp_free(&r);
}

static void test_runs_filters(void **state) {
    fx *f = *state;
    tl_web_resp r;
    assert_int_equal(get(f->web, "/api/runs?job=models", &r), 200);
    assert_null(strstr(body(&r), "\"job\":\"compact\""));
    assert_non_null(strstr(body(&r), "\"job\":\"models\""));
    tl_web_resp_free(&r);
    assert_int_equal(get(f->web, "/api/runs?limit=1", &r), 200);
    assert_non_null(strstr(body(&r), "\"job\":\"vacuum\""));
    assert_null(strstr(body(&r), "\"job\":\"models\""));
    tl_web_resp_free(&r);
    static const char *const bad[] = {"/api/runs?limit=0", "/api/runs?limit=101",
                                      "/api/runs?limit=x", "/api/runs?job=../x", "/api/runs?job="};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (get(f->web, bad[i], &r) != 400)
            fail_msg("%s: %d %s", bad[i], r.status, body(&r));
        tl_web_resp_free(&r);
    }
    tl_web_handle(f->web, "GET", "/api/runs", NULL, &r); /* the token guards it */
    assert_int_equal(r.status, 401);
    tl_web_resp_free(&r);
}

static void test_runs_without_lake(void **state) {
    fx *f = *state;
    tl_err err = {0};
    tl_web_opts o = {.listen = "127.0.0.1:0", .live = f->live};
    tl_web *w = tl_web_new(&o, &err);
    assert_non_null(w);
    tl_web_resp r;
    tl_web_handle(w, "GET", "/api/runs", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(body(&r), "{\"runs\":[]}");
    tl_web_resp_free(&r);
    tl_web_destroy(w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_runs_newest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runs_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runs_without_lake, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
