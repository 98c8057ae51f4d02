/* The scheduler's loop on a fake clock: jobs fire at their cron times,
 * runs never overlap (a long run coalesces the fire times it covered),
 * downstream jobs of a failure are skipped in that round and say why, a
 * failure is recorded and retried at the next fire time; --once order;
 * bad job definitions; stopping waits for the running job. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#ifdef __GLIBC__
#include <malloc.h> /* mallinfo2 */
#endif
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define UNDER_VALGRIND() RUNNING_ON_VALGRIND
#endif
#endif
#ifndef UNDER_VALGRIND
#define UNDER_VALGRIND() 0
#endif

#include "sched/sched.h"
#include "util/civil.h"

static int64_t T(int h, int mi, int s) {
    return ((tl_days_from_civil(2026, 11, 24) * 24 + h) * 3600 + mi * 60 + s) * 1000LL;
}

/* ---- fake clock, event recorder, jobs -------------------------------------- */

typedef struct rec_event {
    char job[16];
    tl_sched_result result;
    int64_t due, start, end, next;
    size_t missed;
    char detail[128];
} rec_event;

typedef struct world {
    int64_t now, stop_at;
    tl_sched *s;
    int64_t max_sleep;
    rec_event ev[256];
    size_t nev;
} world;

static int64_t fake_clock(void *ud) {
    return ((world *)ud)->now;
}

static void fake_sleep(void *ud, int64_t ms) {
    world *w = ud;
    assert_true(ms > 0);
    if (ms > w->max_sleep)
        w->max_sleep = ms;
    w->now += ms;
    if (w->now >= w->stop_at)
        tl_sched_stop(w->s);
}

static void record(void *ud, const tl_sched_event *e) {
    world *w = ud;
    assert_true(w->nev < sizeof w->ev / sizeof w->ev[0]);
    rec_event *r = &w->ev[w->nev++];
    snprintf(r->job, sizeof r->job, "%s", e->job);
    snprintf(r->detail, sizeof r->detail, "%s", e->detail);
    r->result = e->result;
    r->due = e->due_ms;
    r->start = e->start_ms;
    r->end = e->end_ms;
    r->next = e->next_ms;
    r->missed = e->missed;
}

static tl_sched *new_world(world *w, int64_t start) {
    memset(w, 0, sizeof *w);
    w->now = start;
    tl_sched_opts o = {.clock = fake_clock,
                       .clock_ud = w,
                       .sleep = fake_sleep,
                       .sleep_ud = w,
                       .on_event = record,
                       .event_ud = w};
    w->s = tl_sched_new(&o);
    assert_non_null(w->s);
    return w->s;
}

/* A job: takes `cost` ms of fake time, fails while fails > 0. */
typedef struct fake_job {
    world *w;
    int64_t cost;
    int fails;
    int calls;
    bool running; /* overlap detector */
} fake_job;

static int fake_run(void *ud, tl_sched_run *run, tl_err *err) {
    fake_job *j = ud;
    assert_false(j->running);
    j->running = true;
    j->calls++;
    j->w->now += j->cost;
    j->running = false;
    if (j->fails > 0) {
        j->fails--;
        return tl_err_set(err, TL_ERR_IO, "disk on fire (call %d)", j->calls);
    }
    snprintf(run->out, sizeof run->out, "did %d", j->calls);
    return 0;
}

static void add(tl_sched *s, const char *name, const char *sched, const char *after, fake_job *j) {
    tl_sched_job def = {.name = name, .schedule = sched, .after = after, .run = fake_run, .ud = j};
    tl_err err = {0};
    if (tl_sched_add(s, &def, &err) != 0)
        fail_msg("add %s: %s", name, err.msg);
}

/* The events of one job with one result, in order. */
static size_t select_ev(const world *w, const char *job, tl_sched_result r, const rec_event **out,
                        size_t cap) {
    size_t n = 0;
    for (size_t i = 0; i < w->nev; i++)
        if (!strcmp(w->ev[i].job, job) && w->ev[i].result == r && n < cap)
            out[n++] = &w->ev[i];
    return n;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_fires_on_time(void **state) {
    (void)state;
    world w;
    tl_sched *s = new_world(&w, T(10, 2, 30));
    fake_job a = {.w = &w}, b = {.w = &w}, off = {.w = &w};
    add(s, "five", "*/5 * * * *", NULL, &a);
    add(s, "every", "@every 7m", NULL, &b);
    add(s, "off", "", NULL, &off);
    w.stop_at = T(10, 31, 0);
    tl_sched_loop(s);

    const rec_event *e[16];
    size_t n = select_ev(&w, "five", TL_SCHED_OK, e, 16);
    assert_int_equal(n, 6); /* 10:05 ... 10:30 */
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(e[i]->due, T(10, 5 + 5 * (int)i, 0));
        assert_int_equal(e[i]->start, e[i]->due); /* the loop woke exactly then */
        assert_int_equal(e[i]->next, T(10, 10 + 5 * (int)i, 0));
        char want[32];
        snprintf(want, sizeof want, "did %zu", i + 1); /* the job's own summary */
        assert_string_equal(e[i]->detail, want);
    }
    /* @every counts from the scheduler's start, not the calendar */
    n = select_ev(&w, "every", TL_SCHED_OK, e, 16);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(e[i]->due, T(10, 2, 30) + (int64_t)(i + 1) * 7 * 60000);
    assert_int_equal(off.calls, 0);
    assert_true(w.max_sleep <= 1000); /* never sleeps past a stop check */

    tl_sched_job_info info;
    assert_int_equal(tl_sched_job_count(s), 3);
    assert_int_equal(tl_sched_job_get(s, 0, &info), 0);
    assert_int_equal(info.runs, 6);
    assert_int_equal(info.failures, 0);
    assert_int_equal(info.last, TL_SCHED_OK);
    assert_int_equal(info.next_ms, T(10, 35, 0));
    assert_int_equal(tl_sched_job_get(s, 2, &info), 0);
    assert_false(info.enabled);
    assert_int_equal(info.next_ms, -1);
    assert_int_equal(tl_sched_job_get(s, 3, &info), -1);
    tl_sched_destroy(s);
}

static void test_no_overlap_coalesces(void **state) {
    (void)state;
    world w;
    tl_sched *s = new_world(&w, T(10, 0, 30));
    fake_job slow = {.w = &w, .cost = 150000}; /* 2.5 min, every minute */
    add(s, "slow", "* * * * *", NULL, &slow);
    w.stop_at = T(10, 8, 0);
    tl_sched_loop(s);

    const rec_event *e[16];
    size_t n = select_ev(&w, "slow", TL_SCHED_OK, e, 16);
    assert_int_equal(n, 3);
    static const int starts[] = {1, 4, 7};
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(e[i]->start, T(10, starts[i], 0));
        assert_int_equal(e[i]->end, e[i]->start + 150000);
        assert_int_equal(e[i]->missed, 2); /* e.g. 10:02 and 10:03 passed during 10:01's run */
        if (i > 0)
            assert_true(e[i]->start >= e[i - 1]->end);
    }
    assert_int_equal(slow.calls, 3);
    tl_sched_destroy(s);
}

static void test_failure_skips_downstream(void **state) {
    (void)state;
    world w;
    tl_sched *s = new_world(&w, T(10, 0, 0));
    fake_job up = {.w = &w, .cost = 1000, .fails = 1}, down = {.w = &w}, other = {.w = &w},
             last = {.w = &w};
    add(s, "up", "*/5 * * * *", NULL, &up);
    add(s, "down", "*/5 * * * *", "up", &down);
    add(s, "other", "*/5 * * * *", NULL, &other);
    add(s, "last", "*/5 * * * *", "other, down", &last);
    w.stop_at = T(10, 11, 0);
    tl_sched_loop(s);

    /* 10:05: up failed, down and last skipped (and say why), other ran */
    assert_int_equal(w.ev[0].result, TL_SCHED_RUNNING);
    const rec_event *e[16];
    assert_int_equal(select_ev(&w, "up", TL_SCHED_FAILED, e, 16), 1);
    assert_int_equal(e[0]->due, T(10, 5, 0));
    assert_string_equal(e[0]->detail, "disk on fire (call 1)");
    assert_int_equal(e[0]->next, T(10, 10, 0)); /* retried at its next fire time, not sooner */
    assert_int_equal(select_ev(&w, "down", TL_SCHED_SKIPPED, e, 16), 1);
    assert_int_equal(e[0]->due, T(10, 5, 0));
    assert_non_null(strstr(e[0]->detail, "'up' failed"));
    assert_int_equal(select_ev(&w, "last", TL_SCHED_SKIPPED, e, 16), 1);
    assert_non_null(strstr(e[0]->detail, "'down' was skipped"));
    assert_int_equal(select_ev(&w, "other", TL_SCHED_OK, e, 16), 2);

    /* 10:10: up retried and ok, then down and last ran, in that order */
    assert_int_equal(up.calls, 2);
    assert_int_equal(down.calls, 1);
    assert_int_equal(last.calls, 1);
    assert_int_equal(select_ev(&w, "down", TL_SCHED_OK, e, 16), 1);
    const rec_event *u[4];
    assert_int_equal(select_ev(&w, "up", TL_SCHED_OK, u, 4), 1);
    assert_true(e[0]->start >= u[0]->end);
    assert_true(e[0] > u[0]); /* recorded after */

    tl_sched_job_info info;
    assert_int_equal(tl_sched_job_get(s, 0, &info), 0);
    assert_int_equal(info.runs, 2);
    assert_int_equal(info.failures, 1);
    assert_int_equal(info.last, TL_SCHED_OK);
    assert_int_equal(tl_sched_job_get(s, 1, &info), 0);
    assert_int_equal(info.skips, 1);
    assert_int_equal(info.runs, 1);
    assert_string_equal(info.after, "up");
    tl_sched_destroy(s);
}

static void test_downstream_alone_runs(void **state) {
    (void)state;
    /* down is due at 10:03 while up is not: up's failure at 10:02 was an
     * earlier round and does not block it */
    world w;
    tl_sched *s = new_world(&w, T(10, 0, 0));
    fake_job up = {.w = &w, .fails = 100}, down = {.w = &w};
    add(s, "up", "2 * * * *", NULL, &up);
    add(s, "down", "3 * * * *", "up", &down);
    w.stop_at = T(10, 4, 0);
    tl_sched_loop(s);
    assert_int_equal(up.calls, 1);
    assert_int_equal(down.calls, 1);
    tl_sched_destroy(s);
}

static void test_run_all(void **state) {
    (void)state;
    world w;
    tl_sched *s = new_world(&w, T(10, 0, 0));
    fake_job a = {.w = &w, .fails = 1}, b = {.w = &w}, c = {.w = &w}, d = {.w = &w},
             off = {.w = &w};
    add(s, "a", "@daily", NULL, &a);
    add(s, "b", "@hourly", "a", &b);
    add(s, "off", NULL, NULL, &off);
    add(s, "c", "@yearly", "b", &c);
    add(s, "d", "@every 1h", NULL, &d);
    assert_int_equal(tl_sched_run_all(s), 3); /* a failed, b and c skipped */
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls + c.calls + off.calls, 0);
    assert_int_equal(d.calls, 1);
    assert_int_equal(tl_sched_run_all(s), 0); /* a ok now: everything runs */
    assert_int_equal(b.calls, 1);
    assert_int_equal(c.calls, 1);
    assert_int_equal(off.calls, 0);
    /* in order: a, b, c, d */
    const char *order[8];
    size_t n = 0;
    for (size_t i = 0; i < w.nev; i++)
        if (w.ev[i].result == TL_SCHED_OK && n < 8)
            order[n++] = w.ev[i].job;
    assert_int_equal(n, 5); /* d's first run, then a, b, c, d */
    assert_string_equal(order[1], "a");
    assert_string_equal(order[2], "b");
    assert_string_equal(order[3], "c");
    assert_string_equal(order[4], "d");

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    tl_sched_print(s, f);
    fclose(f);
    assert_non_null(strstr(buf, "(disabled)"));
    assert_non_null(strstr(buf, "2026-11-25T00:00:00Z")); /* a's next: @daily */
    free(buf);
    tl_sched_destroy(s);
}

static int freed;
static void count_free(void *ud) {
    (void)ud;
    freed++;
}

static void test_bad_jobs(void **state) {
    (void)state;
    world w;
    tl_sched *s = new_world(&w, T(10, 0, 0));
    fake_job j = {.w = &w};
    tl_err err = {0};
    add(s, "a", "@hourly", NULL, &j);
    tl_sched_job dup = {.name = "a", .schedule = "@daily", .run = fake_run, .ud = &j};
    assert_int_equal(tl_sched_add(s, &dup, &err), TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "'a' is defined twice"));
    tl_sched_job unk = {.name = "b",
                        .schedule = "@daily",
                        .after = "a,zz",
                        .run = fake_run,
                        .ud = &j,
                        .free_ud = count_free};
    assert_int_equal(tl_sched_add(s, &unk, &err), TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "job 'b': upstream job 'zz' does not exist"));
    assert_int_equal(freed, 1); /* handed over, so freed on failure */
    tl_sched_job self = {.name = "c", .schedule = "@daily", .after = "c", .run = fake_run};
    assert_int_equal(tl_sched_add(s, &self, &err), TL_ERR_INVALID);
    tl_sched_job bad = {.name = "d", .schedule = "0 25 * * *", .run = fake_run};
    assert_int_equal(tl_sched_add(s, &bad, &err), TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "job 'd': \"0 25 * * *\": hour: '25' is out of range"));
    tl_sched_job norun = {.name = "e", .schedule = "@daily"};
    assert_int_equal(tl_sched_add(s, &norun, &err), TL_ERR_INVALID);
    assert_int_equal(tl_sched_job_count(s), 1);
    tl_sched_job owned = {
        .name = "f", .schedule = "@daily", .run = fake_run, .ud = &j, .free_ud = count_free};
    assert_int_equal(tl_sched_add(s, &owned, &err), 0);
    tl_sched_destroy(s);
    assert_int_equal(freed, 2);
}

/* On a real thread and clock: a stop while a job runs lets it finish, and
 * no run starts after. */
typedef struct gate {
    atomic_int started, release, finished;
} gate;

static int gated_run(void *ud, tl_sched_run *run, tl_err *err) {
    (void)run, (void)err;
    gate *g = ud;
    atomic_fetch_add(&g->started, 1);
    while (!atomic_load(&g->release)) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    atomic_fetch_add(&g->finished, 1);
    return 0;
}

static void quiet(void *ud, const tl_sched_event *e) {
    (void)ud, (void)e;
}

static void test_stop_waits_for_running_job(void **state) {
    (void)state;
    gate g = {0};
    tl_sched_opts o = {.on_event = quiet};
    tl_sched *s = tl_sched_new(&o);
    tl_err err = {0};
    tl_sched_job def = {.name = "g", .schedule = "@every 10ms", .run = gated_run, .ud = &g};
    assert_int_equal(tl_sched_add(s, &def, &err), 0);
    assert_int_equal(tl_sched_start(s, &err), 0);
    assert_int_equal(tl_sched_start(s, &err), TL_ERR_INVALID);
    while (!atomic_load(&g.started)) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    tl_sched_stop(s);
    atomic_store(&g.release, 1);
    tl_sched_destroy(s); /* joins */
    assert_int_equal(atomic_load(&g.started), 1);
    assert_int_equal(atomic_load(&g.finished), 1);
}

static void test_stop_while_idle(void **state) {
    (void)state;
    tl_sched_opts o = {.on_event = quiet};
    tl_sched *s = tl_sched_new(&o);
    gate g = {0};
    tl_err err = {0};
    tl_sched_job def = {.name = "h", .schedule = "@yearly", .run = gated_run, .ud = &g};
    assert_int_equal(tl_sched_add(s, &def, &err), 0);
    assert_int_equal(tl_sched_start(s, &err), 0);
    tl_sched_destroy(s); /* the sleep is interrupted: returns */
    assert_int_equal(atomic_load(&g.started), 0);
}

/* A scheduler pins glibc's mmap threshold: after a job freed a big block, a
 * block above TL_SCHED_MMAP_THRESHOLD is still mapped on its own (and goes
 * back to the system when freed) instead of staying in a thread's arena,
 * which raised `up`'s RSS floor every job round. (Without the pin, freeing
 * the 8 MiB block raised the threshold to 8 MiB and the 1 MiB block came
 * from the arena.) Not with a sanitizer's or valgrind's allocator, which is
 * not glibc's. */
static void test_pins_mmap_threshold(void **state) {
    (void)state;
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    if (UNDER_VALGRIND())
        return;
    tl_sched *s = tl_sched_new(NULL);
    assert_non_null(s);
    char *big = malloc(8u << 20);
    assert_non_null(big);
    memset(big, 1, 8u << 20);
    free(big);
    int before = mallinfo2().hblks;
    char *mid = malloc(1u << 20);
    assert_non_null(mid);
    memset(mid, 1, 1u << 20);
    assert_int_equal(mallinfo2().hblks, before + 1); /* mapped on its own */
    free(mid);
    assert_int_equal(mallinfo2().hblks, before);
    tl_sched_destroy(s);
#endif
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pins_mmap_threshold),
        cmocka_unit_test(test_fires_on_time),
        cmocka_unit_test(test_no_overlap_coalesces),
        cmocka_unit_test(test_failure_skips_downstream),
        cmocka_unit_test(test_downstream_alone_runs),
        cmocka_unit_test(test_run_all),
        cmocka_unit_test(test_bad_jobs),
        cmocka_unit_test(test_stop_waits_for_running_job),
        cmocka_unit_test(test_stop_while_idle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
