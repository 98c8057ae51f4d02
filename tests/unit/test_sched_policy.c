/* The scheduler's run policies on a fake clock: retries with exponential
 * backoff and a cap, a downstream job waiting for its upstream's retry,
 * timeouts through the job's cancel token, and a coordinator (a lease
 * stand-in) that hands a fire time to another process or knows the last
 * one handled, for catch-up on and off. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sched/sched.h"
#include "util/civil.h"

static int64_t T(int h, int mi, int s) {
    return ((tl_days_from_civil(2026, 11, 24) * 24 + h) * 3600 + mi * 60 + s) * 1000LL;
}

typedef struct rec_event {
    char job[16];
    tl_sched_result result;
    int64_t due, start, end, next;
    int attempt;
    bool retry;
    char detail[160];
} rec_event;

typedef struct world {
    int64_t now, stop_at;
    tl_sched *s;
    rec_event ev[512];
    size_t nev;
} world;

static int64_t fake_clock(void *ud) {
    return ((world *)ud)->now;
}

static void fake_sleep(void *ud, int64_t ms) {
    world *w = ud;
    w->now += ms;
    if (w->now >= w->stop_at)
        tl_sched_stop(w->s);
}

static void record(void *ud, const tl_sched_event *e) {
    world *w = ud;
    if (e->result == TL_SCHED_RUNNING)
        return;
    assert_true(w->nev < sizeof w->ev / sizeof w->ev[0]);
    rec_event *r = &w->ev[w->nev++];
    snprintf(r->job, sizeof r->job, "%s", e->job);
    snprintf(r->detail, sizeof r->detail, "%s", e->detail);
    r->result = e->result;
    r->due = e->due_ms;
    r->start = e->start_ms;
    r->end = e->end_ms;
    r->next = e->next_ms;
    r->attempt = e->attempt;
    r->retry = e->retry;
}

static tl_sched *new_world(world *w, int64_t start, const tl_sched_coord *coord, bool catchup) {
    memset(w, 0, sizeof *w);
    w->now = start;
    tl_sched_opts o = {.clock = fake_clock,
                       .clock_ud = w,
                       .sleep = fake_sleep,
                       .sleep_ud = w,
                       .on_event = record,
                       .event_ud = w,
                       .coord = coord,
                       .catchup = catchup};
    w->s = tl_sched_new(&o);
    assert_non_null(w->s);
    return w->s;
}

/* A job: takes `cost` ms of fake time in `steps` slices, asking its cancel
 * token between them (its safe points); fails while fails > 0. */
typedef struct fake_job {
    world *w;
    int64_t cost;
    int steps;
    int fails;
    int calls, cancelled;
    int64_t dues[128];
} fake_job;

static int fake_run(void *ud, tl_sched_run *run, tl_err *err) {
    fake_job *j = ud;
    j->dues[j->calls++ % 128] = run->due_ms;
    int steps = j->steps > 0 ? j->steps : 1;
    for (int i = 0; i < steps; i++) {
        j->w->now += j->cost / steps;
        if (tl_cancel_check(run->cancel, "fake", err) != 0) {
            j->cancelled++;
            return err->code;
        }
    }
    if (j->fails > 0) {
        j->fails--;
        return tl_err_set(err, TL_ERR_IO, "store away (call %d)", j->calls);
    }
    run->sum.rows = 7;
    snprintf(run->out, sizeof run->out, "did %d", j->calls);
    return 0;
}

static void add(tl_sched *s, tl_sched_job def, fake_job *j) {
    def.run = fake_run;
    def.ud = j;
    tl_err err = {0};
    if (tl_sched_add(s, &def, &err) != 0)
        fail_msg("add %s: %s", def.name, err.msg);
}

static size_t select_ev(const world *w, const char *job, const rec_event **out, size_t cap) {
    size_t n = 0;
    for (size_t i = 0; i < w->nev; i++)
        if (!strcmp(w->ev[i].job, job) && n < cap)
            out[n++] = &w->ev[i];
    return n;
}

/* ---- retries ---------------------------------------------------------------- */

static void test_retry_backoff_then_success(void **state) {
    (void)state;
    world w;
    tl_sched *s = new_world(&w, T(10, 0, 0), NULL, false);
    fake_job a = {.w = &w, .cost = 2000, .fails = 3};
    add(s,
        (tl_sched_job){.name = "a",
                       .schedule = "*/5 * * * *",
                       .retries = 4,
                       .retry_delay_ms = 10000,
                       .retry_max_ms = 25000},
        &a);
    w.stop_at = T(10, 9, 0);
    tl_sched_loop(s);

    const rec_event *e[16];
    size_t n = select_ev(&w, "a", e, 16);
    assert_int_equal(n, 4);
    /* 10:05:00 fails; retries 10 s, 20 s, then 25 s (capped) after each end */
    static const int64_t gap[] = {0, 10000, 20000, 25000};
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(e[i]->due, T(10, 5, 0)); /* every attempt is for the same fire time */
        assert_int_equal(e[i]->attempt, (int)i + 1);
        if (i > 0)
            assert_int_equal(e[i]->start, e[i - 1]->end + gap[i]);
        assert_int_equal(e[i]->result, i < 3 ? TL_SCHED_FAILED : TL_SCHED_OK);
        assert_int_equal(e[i]->retry, i < 3);
        if (i < 3)
            assert_int_equal(e[i]->next, e[i]->end + gap[i + 1]);
    }
    assert_string_equal(e[0]->detail, "store away (call 1)");
    assert_int_equal(e[3]->next, T(10, 10, 0)); /* back on its schedule */
    tl_sched_job_info info;
    assert_int_equal(tl_sched_job_get(s, 0, &info), 0);
    assert_int_equal(info.runs, 4);
    assert_int_equal(info.failures, 3);
    assert_int_equal(info.retries, 3);
    tl_sched_destroy(s);
}

static void test_retries_spent_wait_for_next_fire(void **state) {
    (void)state;
    world w;
    tl_sched *s = new_world(&w, T(10, 0, 0), NULL, false);
    fake_job a = {.w = &w, .cost = 1000, .fails = 3}, b = {.w = &w};
    add(s,
        (tl_sched_job){
            .name = "a", .schedule = "*/5 * * * *", .retries = 2, .retry_delay_ms = 1000},
        &a);
    add(s, (tl_sched_job){.name = "b", .schedule = "*/5 * * * *", .after = "a"}, &b);
    w.stop_at = T(10, 11, 0);
    tl_sched_loop(s);
    const rec_event *e[16];
    size_t n = select_ev(&w, "a", e, 16);
    assert_int_equal(n, 4); /* three attempts for 10:05, then 10:10 ok */
    assert_int_equal(e[2]->attempt, 3);
    assert_false(e[2]->retry);
    assert_int_equal(e[2]->next, T(10, 10, 0));
    assert_int_equal(e[3]->due, T(10, 10, 0));
    assert_int_equal(e[3]->attempt, 1);
    assert_int_equal(e[3]->result, TL_SCHED_OK);
    /* b waited through a's retries, was skipped once they were spent, and
     * ran after a's 10:10 success */
    n = select_ev(&w, "b", e, 16);
    assert_int_equal(n, 2);
    assert_int_equal(e[0]->result, TL_SCHED_SKIPPED);
    assert_int_equal(e[0]->due, T(10, 5, 0));
    assert_non_null(strstr(e[0]->detail, "'a' failed"));
    assert_int_equal(e[1]->result, TL_SCHED_OK);
    assert_int_equal(b.calls, 1);
    tl_sched_destroy(s);
}

static void test_downstream_waits_for_retry(void **state) {
    (void)state;
    world w;
    tl_sched *s = new_world(&w, T(10, 0, 0), NULL, false);
    fake_job a = {.w = &w, .cost = 1000, .fails = 1}, b = {.w = &w};
    add(s,
        (tl_sched_job){
            .name = "a", .schedule = "*/5 * * * *", .retries = 1, .retry_delay_ms = 30000},
        &a);
    add(s, (tl_sched_job){.name = "b", .schedule = "*/5 * * * *", .after = "a"}, &b);
    w.stop_at = T(10, 6, 0);
    tl_sched_loop(s);
    const rec_event *ea[4], *eb[4];
    assert_int_equal(select_ev(&w, "a", ea, 4), 2);
    assert_int_equal(select_ev(&w, "b", eb, 4), 1);
    assert_int_equal(eb[0]->result, TL_SCHED_OK); /* not skipped: it waited */
    assert_int_equal(eb[0]->due, T(10, 5, 0));
    assert_true(eb[0]->start >= ea[1]->end);
    assert_int_equal(ea[1]->result, TL_SCHED_OK);
    tl_sched_destroy(s);
}

/* ---- timeouts --------------------------------------------------------------- */

static void test_timeout_cancels_at_safe_point(void **state) {
    (void)state;
    world w;
    tl_sched *s = new_world(&w, T(10, 0, 0), NULL, false);
    /* 10 min of work in 10 slices, timeout 3 min, one retry 1 min later */
    fake_job a = {.w = &w, .cost = 600000, .steps = 10};
    add(s,
        (tl_sched_job){.name = "a",
                       .schedule = "0 * * * *",
                       .retries = 1,
                       .retry_delay_ms = 60000,
                       .timeout_ms = 180000},
        &a);
    w.stop_at = T(11, 10, 0);
    tl_sched_loop(s);
    const rec_event *e[8];
    assert_int_equal(select_ev(&w, "a", e, 8), 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(e[i]->result, TL_SCHED_TIMED_OUT);
        assert_int_equal(e[i]->end - e[i]->start, 180000); /* stopped at the first safe point past it */
        assert_non_null(strstr(e[i]->detail, "cancelled: timed out after 180.0 s"));
    }
    assert_true(e[0]->retry);
    assert_int_equal(e[1]->start, e[0]->end + 60000);
    assert_false(e[1]->retry);
    assert_int_equal(e[1]->next, T(12, 0, 0));
    assert_int_equal(a.cancelled, 2);
    tl_sched_job_info info;
    assert_int_equal(tl_sched_job_get(s, 0, &info), 0);
    assert_int_equal(info.timeouts, 2);
    assert_int_equal(info.failures, 2);
    tl_sched_destroy(s);
}

/* ---- coordination ----------------------------------------------------------- */

typedef struct fake_coord {
    int64_t last_due; /* job "a"'s; -1 = never ran */
    int64_t last_other; /* any other job's (0 = never ran) */
    int hold_after;   /* after this many runs of "a" another process holds its lease; 0 = never */
    int acquired, renewed, released, handled;
} fake_coord;

static int c_acquire(void *ud, const char *job, int64_t due, int64_t now, tl_err *err) {
    (void)now;
    fake_coord *c = ud;
    if (!strcmp(job, "a") && c->hold_after && c->acquired >= c->hold_after)
        return tl_err_set(err, TL_ERR_CONFLICT, "held by another");
    if (due <= (strcmp(job, "a") ? c->last_other : c->last_due))
        return tl_err_set(err, TL_ERR_CONFLICT, "handled by another");
    c->acquired++;
    return 0;
}

static int c_renew(void *ud, const char *job, int64_t now, tl_err *err) {
    (void)job, (void)now, (void)err;
    ((fake_coord *)ud)->renewed++;
    return 0;
}

static void c_release(void *ud, const char *job, int64_t due, tl_sched_result r, bool handled,
                      int64_t now) {
    (void)now, (void)r;
    fake_coord *c = ud;
    c->released++;
    if (handled) {
        c->handled++;
        *(strcmp(job, "a") ? &c->last_other : &c->last_due) = due;
    }
}

static int64_t c_last(void *ud, const char *job) {
    const fake_coord *c = ud;
    return strcmp(job, "a") ? c->last_other - 1 : c->last_due;
}

static tl_sched_coord coord_of(fake_coord *c) {
    return (tl_sched_coord){.acquire = c_acquire,
                            .renew = c_renew,
                            .release = c_release,
                            .last_due = c_last,
                            .owner = "me",
                            .renew_ms = 20000,
                            .ud = c};
}

static void test_lease_renewed_and_elsewhere(void **state) {
    (void)state;
    world w;
    fake_coord fc = {.last_due = -1, .hold_after = 1};
    tl_sched_coord co = coord_of(&fc);
    tl_sched *s = new_world(&w, T(10, 0, 30), &co, false);
    fake_job a = {.w = &w, .cost = 100000, .steps = 10}, b = {.w = &w};
    add(s, (tl_sched_job){.name = "a", .schedule = "* * * * *"}, &a);
    add(s, (tl_sched_job){.name = "b", .schedule = "* * * * *", .after = "a"}, &b);
    w.stop_at = T(10, 5, 0);
    tl_sched_loop(s);
    /* 100 s of work, renewed each 20 s at its safe points */
    assert_int_equal(a.calls, 1);
    assert_int_equal(fc.renewed, 5); /* at 20, 40, 60, 80, 100 s */
    assert_int_equal(fc.released, 2); /* a's, then b's */
    /* then another process holds a's lease: a is not run, and neither is b */
    assert_int_equal(b.calls, 1);
    const rec_event *e[16];
    size_t n = select_ev(&w, "b", e, 16);
    assert_int_equal(e[n - 1]->result, TL_SCHED_ELSEWHERE);
    assert_non_null(strstr(e[n - 1]->detail, "'a' ran in another process"));
    tl_sched_job_info info;
    assert_int_equal(tl_sched_job_get(s, 0, &info), 0);
    assert_true(info.elsewhere >= 2);
    assert_int_equal(info.runs, 1);
    tl_sched_destroy(s);
}

static void test_catchup_on(void **state) {
    (void)state;
    world w;
    fake_coord fc = {.last_due = T(9, 40, 0)}; /* the last run anyone did */
    tl_sched_coord co = coord_of(&fc);
    tl_sched *s = new_world(&w, T(10, 2, 0), &co, true);
    fake_job a = {.w = &w, .cost = 1000};
    add(s, (tl_sched_job){.name = "a", .schedule = "*/5 * * * *"}, &a);
    w.stop_at = T(10, 6, 0);
    tl_sched_loop(s);
    /* 9:45 .. 10:00 missed while down: each run once, oldest first, then 10:05 */
    assert_int_equal(a.calls, 5);
    static const int mins[] = {45, 50, 55, 60, 65};
    for (int i = 0; i < 5; i++)
        assert_int_equal(a.dues[i], T(9, mins[i], 0));
    assert_int_equal(fc.last_due, T(10, 5, 0));
    tl_sched_destroy(s);
}

static void test_catchup_off(void **state) {
    (void)state;
    world w;
    fake_coord fc = {.last_due = T(9, 40, 0)};
    tl_sched_coord co = coord_of(&fc);
    tl_sched *s = new_world(&w, T(10, 2, 0), &co, false);
    fake_job a = {.w = &w, .cost = 1000};
    add(s, (tl_sched_job){.name = "a", .schedule = "*/5 * * * *"}, &a);
    tl_sched_job_info info;
    assert_int_equal(tl_sched_job_get(s, 0, &info), 0);
    assert_int_equal(info.next_ms, T(10, 5, 0));
    w.stop_at = T(10, 6, 0);
    tl_sched_loop(s);
    assert_int_equal(a.calls, 1); /* only 10:05 */
    assert_int_equal(a.dues[0], T(10, 5, 0));
    tl_sched_destroy(s);
}

static void test_catchup_capped_and_every(void **state) {
    (void)state;
    world w;
    /* @every 1m down for 5 hours: the newest TL_SCHED_MAX_CATCHUP only,
     * counted from the last run (the phase survives the restart) */
    fake_coord fc = {.last_due = T(5, 0, 30)};
    tl_sched_coord co = coord_of(&fc);
    tl_sched *s = new_world(&w, T(10, 0, 45), &co, true);
    fake_job a = {.w = &w, .cost = 100};
    add(s, (tl_sched_job){.name = "a", .schedule = "@every 1m"}, &a);
    w.stop_at = T(10, 1, 40);
    tl_sched_loop(s);
    assert_int_equal(a.calls, TL_SCHED_MAX_CATCHUP + 1); /* + 10:01:30 */
    assert_int_equal(a.dues[0], T(10, 0, 30) - (TL_SCHED_MAX_CATCHUP - 1) * 60000LL);
    assert_int_equal(fc.last_due, T(10, 1, 30));
    tl_sched_destroy(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_backoff_then_success),
        cmocka_unit_test(test_retries_spent_wait_for_next_fire),
        cmocka_unit_test(test_downstream_waits_for_retry),
        cmocka_unit_test(test_timeout_cancels_at_safe_point),
        cmocka_unit_test(test_lease_renewed_and_elsewhere),
        cmocka_unit_test(test_catchup_on),
        cmocka_unit_test(test_catchup_off),
        cmocka_unit_test(test_catchup_capped_and_every),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
