/* Manual runs under a job's lease (sched_hold.h), on a local lake: a
 * manual hold keeps a scheduler's run out and is kept out by it; it moves
 * neither the handled fire time nor the counters; --wait takes the lease
 * once it is given back; a holder SIGKILLed on this machine (even before
 * it was reaped) is taken over at once by a manual run, never early by a
 * scheduler; a hold whose lease was taken over is told to stop.
 * (The same over S3, through the command line: integration test 0506.) */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sched/sched_hold.h"
#include "sched/sched_lease.h"
#include "store/store.h"
#include "tl_test.h"
#include "util/clock.h"

static int64_t now_ms(void) {
    return tl_now_us() / 1000;
}

typedef struct lake {
    char dir[64];
} lake;

static tl_store *lake_open(lake *lk) {
    tl_err err = {0};
    tl_store *s = tl_store_open(lk->dir, &err);
    if (!s)
        fail_msg("open %s: %s", lk->dir, err.msg);
    return s;
}

static void lake_init(lake *lk) {
    snprintf(lk->dir, sizeof lk->dir, "/tmp/tl-hold-XXXXXX");
    assert_non_null(mkdtemp(lk->dir));
}

static tl_sched_lease_state state_of(tl_store *st, const char *job) {
    tl_sched_lease_state s;
    tl_err err = {0};
    assert_int_equal(tl_sched_lease_read(st, job, &s, &err), 0);
    return s;
}

static void test_manual_and_scheduled_exclude(void **state) {
    (void)state;
    lake lk;
    lake_init(&lk);
    tl_store *st = lake_open(&lk);
    tl_sched_lease *a = tl_sched_lease_new(st, 60000, "host-a:1:aa");
    const tl_sched_coord *ca = tl_sched_lease_coord(a);
    tl_err err = {0};
    int64_t t = now_ms(), due = t - t % 60000;
    assert_int_equal(ca->acquire(ca->ud, "compact", due, t, &err), 0);
    ca->release(ca->ud, "compact", due, TL_SCHED_OK, true, t + 1);

    /* a manual run takes it: a scheduler's next fire time is kept out */
    tl_sched_hold *h = tl_sched_hold_take(st, "compact", 60000, 0, 0, &err);
    assert_non_null(h);
    tl_sched_lease_state s = state_of(st, "compact");
    assert_true(s.held);
    assert_int_equal(s.due_ms, -1);
    assert_string_equal(s.owner, tl_sched_hold_owner(h));
    assert_int_equal(s.pid, (int64_t)getpid());
    assert_int_equal(ca->acquire(ca->ud, "compact", due + 60000, now_ms(), &err), TL_ERR_CONFLICT);
    assert_non_null(strstr(err.msg, tl_sched_hold_owner(h)));
    assert_non_null(strstr(err.msg, "(a manual run)"));
    /* and a second manual run too (this process is alive) */
    tl_err e2 = {0};
    assert_null(tl_sched_hold_take(st, "compact", 60000, 0, 0, &e2));
    assert_int_equal(e2.code, TL_ERR_CONFLICT);
    assert_non_null(strstr(e2.msg, "job 'compact' is running elsewhere: held by "));
    /* the hold's cancel says go on while it holds the lease */
    assert_int_equal(tl_cancel_check(tl_sched_hold_cancel(h), "compact", &err), 0);
    tl_sched_hold_release(h);

    /* given back with the scheduled runs' state as it was */
    s = state_of(st, "compact");
    assert_false(s.held);
    assert_int_equal(s.last_due_ms, due);
    assert_int_equal(s.runs, 1);
    assert_int_equal(s.failures, 0);
    assert_string_equal(s.last_status, "success");
    assert_int_equal(s.last_success_ms, t + 1);
    /* the handled fire time stays handled, the next one is free */
    assert_int_equal(ca->acquire(ca->ud, "compact", due, now_ms(), &err), TL_ERR_CONFLICT);
    assert_int_equal(ca->acquire(ca->ud, "compact", due + 60000, now_ms(), &err), 0);
    /* held by the scheduler: a manual run is refused, saying who and until when */
    assert_null(tl_sched_hold_take(st, "compact", 60000, 0, 0, &e2));
    assert_non_null(strstr(e2.msg, "held by host-a:1:aa until "));
    tl_sched_lease_destroy(a);
    tl_store_destroy(st);
    tl_test_rm_tree(lk.dir);
}

/* ---- --wait ------------------------------------------------------------------- */

typedef struct releaser {
    lake *lk;
    tl_sched_lease *a;
} releaser;

static void *release_later(void *arg) {
    releaser *r = arg;
    usleep(200 * 1000);
    const tl_sched_coord *c = tl_sched_lease_coord(r->a);
    c->release(c->ud, "vacuum", 0, TL_SCHED_OK, false, now_ms());
    return NULL;
}

static void test_wait_for_release(void **state) {
    (void)state;
    lake lk;
    lake_init(&lk);
    tl_store *sa = lake_open(&lk), *sb = lake_open(&lk);
    tl_sched_lease *a = tl_sched_lease_new(sa, 60000, "host-a:1:aa");
    const tl_sched_coord *ca = tl_sched_lease_coord(a);
    tl_err err = {0};
    assert_int_equal(ca->acquire(ca->ud, "vacuum", 0, now_ms(), &err), 0);
    /* not waiting, or not long enough: refused */
    assert_null(tl_sched_hold_take(sb, "vacuum", 60000, 50, 10, &err));
    assert_int_equal(err.code, TL_ERR_CONFLICT);
    /* waiting (at most 30 s): taken once the scheduler gave it back */
    releaser r = {&lk, a};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, release_later, &r), 0);
    tl_sched_hold *h = tl_sched_hold_take(sb, "vacuum", 60000, 30000, 20, &err);
    pthread_join(th, NULL);
    assert_non_null(h);
    assert_string_equal(state_of(sb, "vacuum").owner, tl_sched_hold_owner(h));
    tl_sched_hold_release(h);
    tl_sched_lease_destroy(a);
    tl_store_destroy(sa);
    tl_store_destroy(sb);
    tl_test_rm_tree(lk.dir);
}

/* ---- a holder that died -------------------------------------------------------- */

static void test_killed_holder(void **state) {
    (void)state;
    lake lk;
    lake_init(&lk);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        tl_store *st = lake_open(&lk);
        tl_err err = {0};
        tl_sched_hold *h = tl_sched_hold_take(st, "compact", 600000, 0, 0, &err);
        char ok = h ? 'y' : 'n';
        if (write(fds[1], &ok, 1) != 1)
            _exit(3);
        for (;;)
            pause(); /* holding it, until the SIGKILL */
    }
    close(fds[1]);
    char got = 0;
    assert_int_equal(read(fds[0], &got, 1), 1);
    close(fds[0]);
    assert_int_equal(got, 'y');
    tl_store *st = lake_open(&lk);
    tl_err err = {0};
    /* alive: refused */
    assert_null(tl_sched_hold_take(st, "compact", 60000, 0, 0, &err));
    assert_int_equal(err.code, TL_ERR_CONFLICT);
    /* killed, not yet reaped (a zombie): a scheduler still waits for the
     * expiry, a manual run takes it over now */
    assert_int_equal(kill(pid, SIGKILL), 0);
    tl_sched_lease *a = tl_sched_lease_new(st, 60000, "host-a:1:aa");
    const tl_sched_coord *ca = tl_sched_lease_coord(a);
    int tries = 0;
    tl_sched_hold *h = NULL;
    /* the kill is delivered asynchronously: ask until the child is gone (bounded) */
    while (!h && tries++ < 500) {
        tl_err_clear(&err);
        assert_int_equal(ca->acquire(ca->ud, "compact", now_ms(), now_ms(), &err),
                         TL_ERR_CONFLICT);
        if (!(h = tl_sched_hold_take(st, "compact", 60000, 0, 0, &err)))
            usleep(10 * 1000);
    }
    assert_non_null(h);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    tl_sched_lease_state s = state_of(st, "compact");
    assert_true(s.held);
    assert_int_equal(s.pid, (int64_t)getpid());
    tl_sched_hold_release(h);
    tl_sched_lease_destroy(a);
    tl_store_destroy(st);
    tl_test_rm_tree(lk.dir);
}

/* ---- a lost lease --------------------------------------------------------------- */

static void test_lost_lease_cancels(void **state) {
    (void)state;
    lake lk;
    lake_init(&lk);
    tl_store *sh = lake_open(&lk), *sb = lake_open(&lk);
    tl_err err = {0};
    /* a short lease, renewed every 100 ms by the hold's watcher */
    tl_sched_hold *h = tl_sched_hold_take(sh, "compact", 300, 0, 0, &err);
    assert_non_null(h);
    /* a scheduler whose clock says the lease expired takes it over */
    tl_sched_lease *b = tl_sched_lease_new(sb, 60000, "host-b:2:bb");
    const tl_sched_coord *cb = tl_sched_lease_coord(b);
    int rc = -1;
    for (int i = 0; i < 100 && rc != 0; i++)
        rc = cb->acquire(cb->ud, "compact", now_ms() + 600000, now_ms() + 600000, &err);
    assert_int_equal(rc, 0);
    /* the hold's next renewal fails: its cancel says stop (bounded wait) */
    int code = 0;
    for (int i = 0; i < 1000 && code == 0; i++) {
        code = tl_cancel_check(tl_sched_hold_cancel(h), "compact", &err);
        if (code == 0)
            usleep(10 * 1000);
    }
    assert_int_equal(code, TL_ERR_STOPPED);
    assert_non_null(strstr(err.msg, "lease lost: taken over by host-b:2:bb"));
    tl_sched_hold_release(h);
    /* giving back a lost lease writes nothing: b still holds it */
    tl_sched_lease_state s = state_of(sb, "compact");
    assert_true(s.held);
    assert_string_equal(s.owner, "host-b:2:bb");
    tl_sched_lease_destroy(b);
    tl_store_destroy(sh);
    tl_store_destroy(sb);
    tl_test_rm_tree(lk.dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manual_and_scheduled_exclude),
        cmocka_unit_test(test_wait_for_release),
        cmocka_unit_test(test_killed_holder),
        cmocka_unit_test(test_lost_lease_cancels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
