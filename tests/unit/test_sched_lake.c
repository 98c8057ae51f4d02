/* The scheduler on a real lake, local and on S3 (moto_server, started by
 * tests/tools/moto.sh): leases in the lake (taken, refused while held,
 * taken over once expired, also from a SIGKILLed holder; a lost renewal),
 * the run history (records, filters, trimming), catch-up on and off from the
 * lease's last handled fire time, a timed-out compaction that leaves
 * the snapshot as it was, and two scheduler processes racing for the same
 * 50 fire times whose runs, as the history records them, never overlap.
 *
 * moto runs serially (MOTO_SERIAL=1): threaded, its put-if-absent checks
 * and writes without a lock, and two racers can both "create" one lease
 * generation; S3's conditional PUT is atomic.
 *
 * Clocks are injected: explicit times for the lease calls, a stepping
 * clock for the timeout, and for the race one clock both processes share
 * (the monotonic clock sped up, so 50 minutes of schedule pass in seconds). */
#define _GNU_SOURCE
#include <inttypes.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "compact/compact.h"
#include "conf/conf.h"
#include "duck/duck.h"
#include "lake/lake.h"
#include "sched/sched.h"
#include "sched/sched_conf.h"
#include "sched/sched_lease.h"
#include "sched/sched_runs.h"
#include "store/store.h"
#include "store/store_s3.h"
#include "tl_test.h"
#include "tl_test_lake.h"
#include "util/civil.h"
#include "util/clock.h"

static int64_t T(int h, int mi, int s) {
    return ((tl_days_from_civil(2026, 11, 24) * 24 + h) * 3600 + mi * 60 + s) * 1000LL;
}

/* ---- stores: a local folder, or a fresh prefix of moto's bucket ------------ */

static char moto_dir[256], moto_url[128];
static bool have_moto;

static int sh(const char *fmt, const char *a, const char *b) {
    const char *src = getenv("TL_SOURCE_DIR") ? getenv("TL_SOURCE_DIR") : ".";
    char script[600], cmd[1400];
    snprintf(script, sizeof script, "%s/tests/tools/moto.sh", src);
    snprintf(cmd, sizeof cmd, fmt, script, a, b);
    return system(cmd);
}

static int group_setup(void **state) {
    (void)state;
    snprintf(moto_dir, sizeof moto_dir, "/tmp/tl-sched-moto-XXXXXX");
    if (!mkdtemp(moto_dir))
        return -1;
    /* one request at a time: a threaded moto's put-if-absent is not atomic
     * (see moto.sh), S3's is, and the leases rely on it */
    if (sh("MOTO_SERIAL=1 '%s' start '%s' > /dev/null", moto_dir, "") != 0) {
        fprintf(stderr, "cannot start moto_server (scripts/pyenv tools installs it)\n");
        return -1;
    }
    char path[300];
    snprintf(path, sizeof path, "%s/moto.url", moto_dir);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(moto_url, sizeof moto_url, f))
        return -1;
    fclose(f);
    moto_url[strcspn(moto_url, "\n")] = '\0';
    have_moto = sh("'%s' mb '%s' '%s'", moto_url, "sched") == 0;
    return have_moto ? 0 : -1;
}

static int group_teardown(void **state) {
    (void)state;
    sh("'%s' stop '%s' %s", moto_dir, "");
    return tl_test_rm_tree(moto_dir);
}

typedef struct lake {
    bool s3;
    char uri[256]; /* the folder, or s3://sched/<prefix>/ */
} lake;

static void lake_init(lake *l, bool s3) {
    static int n;
    memset(l, 0, sizeof *l);
    l->s3 = s3;
    if (s3) {
        snprintf(l->uri, sizeof l->uri, "s3://sched/t%d-%d/", (int)getpid(), n++);
    } else {
        snprintf(l->uri, sizeof l->uri, "/tmp/tl-sched-lake-XXXXXX");
        assert_non_null(mkdtemp(l->uri));
    }
}

static void lake_free(lake *l) {
    if (!l->s3)
        tl_test_rm_tree(l->uri);
}

/* A store on the lake: each process opens its own. */
static tl_store *lake_open(const lake *l) {
    tl_err err = {0};
    tl_store *s;
    if (l->s3) {
        tl_store_s3_options o = {.endpoint = moto_url,
                                 .region = "us-east-1",
                                 .path_style = 1,
                                 .access_key_id = "testing",
                                 .secret_access_key = "testing"};
        s = tl_store_s3_new(l->uri, &o, &err);
    } else {
        s = tl_store_open(l->uri, &err);
    }
    if (!s)
        fail_msg("open %s: %s", l->uri, err.msg);
    return s;
}

/* ---- leases ------------------------------------------------------------------ */

static void lease_rules(bool s3) {
    lake lk;
    lake_init(&lk, s3);
    tl_store *st = lake_open(&lk);
    tl_sched_lease *a = tl_sched_lease_new(st, 60000, "host-a:1:aa");
    tl_sched_lease *b = tl_sched_lease_new(st, 60000, "host-b:2:bb");
    const tl_sched_coord *ca = tl_sched_lease_coord(a), *cb = tl_sched_lease_coord(b);
    tl_err err = {0};
    int64_t t = T(10, 5, 0);
    assert_int_equal(ca->last_due(ca->ud, "compact"), -1); /* never ran on this lake */
    assert_int_equal(ca->acquire(ca->ud, "compact", t, t, &err), 0);
    /* b: held, and says by whom and until when */
    assert_int_equal(cb->acquire(cb->ud, "compact", t, t + 1000, &err), TL_ERR_CONFLICT);
    assert_non_null(strstr(err.msg, "held by host-a:1:aa until 2026-11-24T10:06:00Z"));
    /* another job's lease is independent */
    assert_int_equal(cb->acquire(cb->ud, "vacuum", t, t, &err), 0);
    /* a renews at 20 s: b still cannot take it at 70 s */
    assert_int_equal(ca->renew(ca->ud, "compact", t + 20000, &err), 0);
    assert_int_equal(cb->acquire(cb->ud, "compact", t, t + 70000, &err), TL_ERR_CONFLICT);
    /* a stalls: past 80 s b takes it over; a's renewal then fails */
    assert_int_equal(cb->acquire(cb->ud, "compact", t, t + 80001, &err), 0);
    assert_int_equal(ca->renew(ca->ud, "compact", t + 85000, &err), TL_ERR_CONFLICT);
    assert_non_null(strstr(err.msg, "taken over by host-b:2:bb"));
    cb->release(cb->ud, "compact", t, TL_SCHED_OK, true, t + 90000);
    /* the fire time is handled: nobody runs it again; the next one is free */
    assert_int_equal(ca->acquire(ca->ud, "compact", t, t + 91000, &err), TL_ERR_CONFLICT);
    assert_non_null(strstr(err.msg, "already handled up to 2026-11-24T10:05:00Z by host-b:2:bb"));
    assert_int_equal(ca->last_due(ca->ud, "compact"), t);
    int64_t t2 = T(10, 10, 0);
    assert_int_equal(ca->acquire(ca->ud, "compact", t2, t2, &err), 0);
    ca->release(ca->ud, "compact", t2, TL_SCHED_TIMED_OUT, false, t2 + 5000);
    /* not handled (a retry follows): the same fire time may be taken again */
    assert_int_equal(cb->acquire(cb->ud, "compact", t2, t2 + 6000, &err), 0);
    cb->release(cb->ud, "compact", t2, TL_SCHED_OK, true, t2 + 9000);

    tl_sched_lease_state s;
    assert_int_equal(tl_sched_lease_read(st, "compact", &s, &err), 0);
    assert_false(s.held);
    assert_string_equal(s.owner, "host-b:2:bb");
    assert_int_equal(s.last_due_ms, t2);
    assert_int_equal(s.last_success_ms, t2 + 9000);
    assert_string_equal(s.last_status, "success");
    assert_int_equal(s.runs, 3);
    assert_int_equal(s.failures, 1);
    assert_int_equal(s.timeouts, 1);
    /* old generations are deleted by whoever wrote the next */
    tl_store_entry *e = NULL;
    size_t n = 0;
    assert_int_equal(tl_store_list(st, TL_SCHED_LEASE_PREFIX "compact/", &e, &n, &err), 0);
    assert_true(n <= 2);
    tl_store_entries_free(e, n);
    tl_sched_lease_destroy(a);
    tl_sched_lease_destroy(b);
    tl_store_destroy(st);
    lake_free(&lk);
}

static void test_lease_rules_local(void **state) {
    (void)state;
    lease_rules(false);
}

static void test_lease_rules_s3(void **state) {
    (void)state;
    lease_rules(true);
}

/* The holder is SIGKILLed while it holds the lease: nobody gets it before
 * it expires, the first asker after does. */
static void sigkilled_holder(bool s3) {
    lake lk;
    lake_init(&lk, s3);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    int64_t t = T(11, 0, 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        tl_store *st = lake_open(&lk);
        tl_sched_lease *l = tl_sched_lease_new(st, 60000, "victim");
        const tl_sched_coord *c = tl_sched_lease_coord(l);
        tl_err err = {0};
        char ok = c->acquire(c->ud, "compact", t, t, &err) == 0 ? 'y' : 'n';
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
    assert_int_equal(kill(pid, SIGKILL), 0);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    tl_store *st = lake_open(&lk);
    tl_sched_lease *l = tl_sched_lease_new(st, 60000, "heir");
    const tl_sched_coord *c = tl_sched_lease_coord(l);
    tl_err err = {0};
    assert_int_equal(c->acquire(c->ud, "compact", t, t + 59999, &err), TL_ERR_CONFLICT);
    assert_non_null(strstr(err.msg, "held by victim"));
    assert_int_equal(c->acquire(c->ud, "compact", t, t + 60000, &err), 0); /* expired */
    tl_sched_lease_state s;
    assert_int_equal(tl_sched_lease_read(st, "compact", &s, &err), 0);
    assert_string_equal(s.owner, "heir");
    assert_true(s.held);
    assert_int_equal(s.expires_ms, t + 120000);
    tl_sched_lease_destroy(l);
    tl_store_destroy(st);
    lake_free(&lk);
}

static void test_sigkilled_holder_local(void **state) {
    (void)state;
    sigkilled_holder(false);
}

static void test_sigkilled_holder_s3(void **state) {
    (void)state;
    sigkilled_holder(true);
}

/* ---- the run history ---------------------------------------------------------- */

static void put_run(tl_store *st, const char *job, int64_t start, const char *status) {
    tl_sched_run_rec r = {.due_ms = start, .start_ms = start, .end_ms = start + 1500, .attempt = 1};
    snprintf(r.job, sizeof r.job, "%s", job);
    snprintf(r.status, sizeof r.status, "%s", status);
    snprintf(!strcmp(status, "success") ? r.detail : r.error, sizeof r.error, "%s \"quoted\"\n",
             status);
    r.sum = (tl_sched_summary){4, 1, 1000, -1, -1};
    snprintf(r.owner, sizeof r.owner, "me");
    tl_err err = {0};
    if (tl_sched_runs_put(st, &r, &err) != 0)
        fail_msg("%s", err.msg);
}

static void test_history_query(void **state) {
    (void)state;
    lake lk;
    lake_init(&lk, false);
    tl_store *st = lake_open(&lk);
    int64_t now = tl_now_us() / 1000;
    int64_t day = 86400LL * 1000;
    put_run(st, "compact", now - 3 * day, "success");
    put_run(st, "models", now - 2 * day, "failed");
    put_run(st, "compact", now - day, "timed_out");
    put_run(st, "compact", now - 60000, "success");
    put_run(st, "vacuum", now - 30000, "skipped");
    tl_sched_run_rec *r = NULL;
    size_t n = 0;
    tl_err err = {0};
    tl_sched_runs_query q = {0};
    assert_int_equal(tl_sched_runs_list(st, &q, &r, &n, &err), 0);
    assert_int_equal(n, 5);
    for (size_t i = 1; i < n; i++)
        assert_true(r[i].start_ms > r[i - 1].start_ms); /* oldest first */
    assert_string_equal(r[1].job, "models");
    assert_string_equal(r[1].status, "failed");
    assert_string_equal(r[1].error, "failed \"quoted\"\n"); /* escaped and back */
    assert_string_equal(r[0].detail, "success \"quoted\"\n");
    assert_int_equal(r[0].sum.files_in, 4);
    assert_int_equal(r[0].sum.models, -1);
    assert_int_equal(r[0].end_ms - r[0].start_ms, 1500);
    free(r);
    q = (tl_sched_runs_query){.job = "compact", .since_ms = now - day - 1000};
    assert_int_equal(tl_sched_runs_list(st, &q, &r, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].status, "timed_out");
    free(r);
    q = (tl_sched_runs_query){.limit = 2};
    assert_int_equal(tl_sched_runs_list(st, &q, &r, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(r[1].job, "vacuum"); /* the newest two */
    free(r);
    tl_store_destroy(st);
    lake_free(&lk);
}

/* Trimming deletes the records that started before the cutoff, and only
 * those; `ticklake runs` then lists the rest as before. */
static void history_trim(bool s3) {
    lake lk;
    lake_init(&lk, s3);
    tl_store *st = lake_open(&lk);
    int64_t now = tl_now_us() / 1000, day = 86400LL * 1000;
    put_run(st, "compact", now - 40 * day, "success");
    put_run(st, "models", now - 31 * day, "failed");
    put_run(st, "compact", now - 30 * day + 60000, "success");
    put_run(st, "vacuum", now - 3600 * 1000, "success");
    size_t deleted = 99;
    tl_err err = {0};
    assert_int_equal(tl_sched_runs_trim(st, now - 30 * day, &deleted, &err), 0);
    assert_int_equal(deleted, 2);
    tl_sched_run_rec *r = NULL;
    size_t n = 0;
    tl_sched_runs_query q = {0};
    assert_int_equal(tl_sched_runs_list(st, &q, &r, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(r[0].start_ms, now - 30 * day + 60000);
    assert_string_equal(r[1].job, "vacuum");
    free(r);
    assert_int_equal(tl_sched_runs_trim(st, now - 30 * day, &deleted, &err), 0);
    assert_int_equal(deleted, 0); /* nothing left to trim */
    if (!s3) { /* the emptied day folders went too, the others stay */
        char t[40], path[400];
        tl_sched_runs_time(now - 40 * day, t, sizeof t);
        snprintf(path, sizeof path, "%s/" TL_SCHED_RUNS_PREFIX "%.10s", lk.uri, t);
        assert_int_not_equal(access(path, F_OK), 0);
        tl_sched_runs_time(now - 3600 * 1000, t, sizeof t);
        snprintf(path, sizeof path, "%s/" TL_SCHED_RUNS_PREFIX "%.10s", lk.uri, t);
        assert_int_equal(access(path, F_OK), 0);
    }
    tl_store_destroy(st);
    lake_free(&lk);
}

static void test_history_trim_local(void **state) {
    (void)state;
    history_trim(false);
}

static void test_history_trim_s3(void **state) {
    (void)state;
    history_trim(true);
}

/* ---- catch-up through the lake's leases ------------------------------------------- */

/* A scheduler process on an injected clock: its runs' fire times. */
typedef struct cu_world {
    int64_t now, stop_at;
    tl_sched *s;
    int64_t dues[16];
    int n;
} cu_world;

static int64_t cu_clock(void *ud) {
    return ((cu_world *)ud)->now;
}

static void cu_sleep(void *ud, int64_t ms) {
    cu_world *w = ud;
    w->now += ms;
    if (w->now >= w->stop_at)
        tl_sched_stop(w->s);
}

static int cu_job(void *ud, tl_sched_run *run, tl_err *err) {
    (void)err;
    cu_world *w = ud;
    if (w->n < 16)
        w->dues[w->n++] = run->due_ms;
    w->now += 1000; /* a second of work */
    return 0;
}

/* One scheduler from start to stop_at, with its own lease and catch-up
 * setting, on the lake; returns how many runs it made (fire times in w). */
static int cu_run(const lake *lk, const char *owner, bool catchup, int64_t start, int64_t stop_at,
                  cu_world *w) {
    memset(w, 0, sizeof *w);
    w->now = start;
    w->stop_at = stop_at;
    tl_store *st = lake_open(lk);
    tl_sched_lease *l = tl_sched_lease_new(st, 60000, owner);
    tl_sched_opts o = {.clock = cu_clock,
                       .clock_ud = w,
                       .sleep = cu_sleep,
                       .sleep_ud = w,
                       .on_event = NULL,
                       .coord = tl_sched_lease_coord(l),
                       .catchup = catchup};
    w->s = tl_sched_new(&o);
    assert_non_null(w->s);
    tl_err err = {0};
    tl_sched_job job = {.name = "compact", .schedule = "*/5 * * * *", .run = cu_job, .ud = w};
    assert_int_equal(tl_sched_add(w->s, &job, &err), 0);
    tl_sched_loop(w->s);
    tl_sched_destroy(w->s);
    tl_sched_lease_destroy(l);
    tl_store_destroy(st);
    return w->n;
}

/* The fire times missed while no scheduler ran on the lake are run, oldest
 * first, by the next scheduler with catch-up on — it learns the last one
 * handled from the lease in the lake, whoever ran it — and skipped with it
 * off. */
static void catchup(bool s3) {
    lake lk;
    lake_init(&lk, s3);
    cu_world w;
    /* a first scheduler runs 9:45, then goes down */
    assert_int_equal(cu_run(&lk, "first", false, T(9, 43, 0), T(9, 46, 0), &w), 1);
    assert_int_equal(w.dues[0], T(9, 45, 0));
    /* another, catch-up on, starts at 10:02: 9:50, 9:55, 10:00, then 10:05 */
    assert_int_equal(cu_run(&lk, "second", true, T(10, 2, 0), T(10, 6, 0), &w), 4);
    static const int mins[] = {50, 55, 60, 65};
    for (int i = 0; i < 4; i++)
        assert_int_equal(w.dues[i], T(9, mins[i], 0));
    /* catch-up off, from 10:22: 10:10 .. 10:20 are skipped, 10:25 runs */
    assert_int_equal(cu_run(&lk, "third", false, T(10, 22, 0), T(10, 26, 0), &w), 1);
    assert_int_equal(w.dues[0], T(10, 25, 0));
    /* and the lake says so */
    tl_store *st = lake_open(&lk);
    tl_sched_lease_state ls;
    tl_err err = {0};
    assert_int_equal(tl_sched_lease_read(st, "compact", &ls, &err), 0);
    assert_int_equal(ls.last_due_ms, T(10, 25, 0));
    assert_int_equal(ls.runs, 6);
    tl_store_destroy(st);
    lake_free(&lk);
}

static void test_catchup_local(void **state) {
    (void)state;
    catchup(false);
}

static void test_catchup_s3(void **state) {
    (void)state;
    catchup(true);
}

/* ---- a timed-out compaction --------------------------------------------------- */

typedef struct step_clock {
    int64_t now, step;
} step_clock;

static int64_t step_read(void *ud) {
    step_clock *c = ud;
    c->now += c->step;
    return c->now;
}

static void no_sleep(void *ud, int64_t ms) {
    (void)ud, (void)ms;
}

static void test_timeout_leaves_snapshot(void **state) {
    (void)state;
    lake lk;
    lake_init(&lk, false);
    tl_store *st = lake_open(&lk);
    tl_err err = {0};
    tl_duck *d = tl_duck_open(NULL, 0, NULL, &err);
    assert_non_null(d);
    assert_int_equal(tl_table_create(st, &tl_ticks_table, NULL, &err), 0);
    int64_t seq = 0, v0 = -1;
    for (int i = 0; i < 4; i++)
        v0 = tl_test_commit_ticks(st, d, lk.uri, T(10, 0, 0) * 1000, 30, &seq, &err);
    assert_true(v0 >= 0);
    tl_duck_close(d);

    tl_config cfg = {0};
    cfg.lake = lk.uri;
    cfg.min_files = 2;
    cfg.target_file_size = 64 << 20;
    cfg.allowed_lateness_ms = 10000;
    cfg.lease_ttl_ms = 60000;
    cfg.compact_timeout_ms = 30000;
    cfg.retry_delay_ms = 1000;
    /* each read of the clock is 20 s later: the compaction's first safe
     * point (before the partition) is inside the timeout, the second
     * (before its commit) past it */
    step_clock clk = {.now = T(12, 0, 0), .step = 20000};
    tl_sched_opts base = {.clock = step_read, .clock_ud = &clk, .sleep = no_sleep};
    tl_sched_lake_conf sc;
    tl_sched_lake_opts *o = tl_sched_lake_conf_fill(&sc, &cfg, st, NULL);
    o->compact = "@hourly";
    o->owner = "unit";
    tl_sched *s = tl_sched_lake_new(o, &base, &err);
    assert_non_null(s);
    assert_int_equal(tl_sched_run_all(s), 1);
    tl_sched_job_info info;
    assert_int_equal(tl_sched_job_get(s, 0, &info), 0);
    assert_int_equal(info.last, TL_SCHED_TIMED_OUT);
    assert_non_null(strstr(info.last_detail, "compact: cancelled: timed out after 30.0 s"));
    tl_sched_destroy(s);

    tl_lake_snapshot *snap = NULL;
    assert_int_equal(tl_lake_snapshot_load(st, TL_TICKS_TABLE, NULL, &snap, &err), 0);
    assert_int_equal(tl_lake_snapshot_version(snap), v0);
    assert_int_equal(tl_lake_snapshot_num_files(snap), 4);
    tl_lake_snapshot_free(snap);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "test -z \"$(find '%s/ticks' -name 'part-compact*')\"", lk.uri);
    assert_int_equal(system(cmd), 0); /* its uploaded outputs are gone */

    tl_sched_run_rec *r = NULL;
    size_t n = 0;
    tl_sched_runs_query q = {.job = "compact"};
    assert_int_equal(tl_sched_runs_list(st, &q, &r, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(r[0].status, "timed_out");
    assert_non_null(strstr(r[0].error, "timed out"));
    assert_string_equal(r[0].owner, "unit");
    free(r);
    tl_sched_lease_state ls;
    assert_int_equal(tl_sched_lease_read(st, "compact", &ls, &err), 0);
    assert_int_equal(ls.timeouts, 1);
    assert_false(ls.held);
    tl_store_destroy(st);
    lake_free(&lk);
}

/* ---- two schedulers racing ------------------------------------------------------ */

#define RACE_FIRES 50

typedef struct race {
    int64_t base_ms, scale, stop_ms;
    /* the monotonic time at base_ms, shared with the parent: it sets it
     * once both racers are ready, so a racer that was slow to start (a
     * loaded machine) does not begin past the first fire time */
    volatile int64_t *mono0_ms;
    int64_t work_ms, work_span_ms; /* a run's work, in schedule time */
    tl_sched *s;
    tl_store *st;
    unsigned seed;
    int *missed; /* shared with the parent: fire times coalesced by this racer's runs */
} race;

static int64_t race_clock(void *ud) {
    const race *r = ud;
    return r->base_ms + (tl_mono_ms() - *r->mono0_ms) * r->scale;
}

static void race_sleep(void *ud, int64_t ms) {
    race *r = ud;
    int64_t real_us = ms * 1000 / r->scale;
    struct timespec ts = {0, (long)(real_us > 500 ? real_us : 500) * 1000};
    nanosleep(&ts, NULL);
    if (race_clock(r) >= r->stop_ms)
        tl_sched_stop(r->s);
}

static void race_record(void *ud, const tl_sched_event *ev) {
    race *r = ud;
    *r->missed += (int)ev->missed;
    if (race_clock(r) >= r->stop_ms) /* also when busy: a loop of runs never sleeps */
        tl_sched_stop(r->s);
    tl_sched_run_rec rec;
    tl_err err = {0};
    if (tl_sched_runs_from_event(ev, &rec) == 0 && tl_sched_runs_put(r->st, &rec, &err) != 0)
        fprintf(stderr, "race: history: %s\n", err.msg);
}

/* Work of work_ms plus up to work_span_ms of schedule time, asking its
 * cancel token every 2 s. */
static int race_job(void *ud, tl_sched_run *run, tl_err *err) {
    race *r = ud;
    int64_t end = race_clock(r) + r->work_ms + (int64_t)(rand_r(&r->seed) % r->work_span_ms);
    while (race_clock(r) < end) {
        struct timespec ts = {0, (long)(2000 * 1000 / r->scale) * 1000};
        nanosleep(&ts, NULL);
        if (tl_cancel_check(run->cancel, "race", err) != 0)
            return err->code;
    }
    snprintf(run->out, sizeof run->out, "raced");
    return 0;
}

static void race_child(const lake *lk, race r, int id, int *missed, int ready_fd, int go_fd) {
    r.st = lake_open(lk);
    r.missed = missed;
    r.seed = (unsigned)id * 7919u;
    char owner[32], c = 'r';
    snprintf(owner, sizeof owner, "racer-%d", id);
    /* An hour of schedule time: 12 s of real time at scale 300. With the 10
     * minutes of production (2 s real here) a racer that the loaded CI
     * machine stalled for 2 s between the end of its run and giving the
     * lease back lost it to the other, which ran the same fire time again —
     * what a lease allows after expiry, not what this test is about. */
    tl_sched_lease *l = tl_sched_lease_new(r.st, 3600000, owner);
    /* ready; the schedule's clock starts when the parent says go */
    if (write(ready_fd, &c, 1) != 1 || read(go_fd, &c, 1) != 1)
        _exit(4);
    tl_sched_opts o = {.clock = race_clock,
                       .clock_ud = &r,
                       .sleep = race_sleep,
                       .sleep_ud = &r,
                       .on_event = race_record,
                       .event_ud = &r,
                       .coord = tl_sched_lease_coord(l)};
    r.s = tl_sched_new(&o);
    tl_err err = {0};
    tl_sched_job job = {.name = "compact", .schedule = "* * * * *", .run = race_job, .ud = &r};
    if (!r.s || tl_sched_add(r.s, &job, &err) != 0)
        _exit(3);
    tl_sched_loop(r.s);
    tl_sched_destroy(r.s);
    tl_sched_lease_destroy(l);
    tl_store_destroy(r.st);
    _exit(0);
}

static void race_two(bool s3, int64_t scale, int64_t work_ms, int64_t work_span_ms) {
    lake lk;
    lake_init(&lk, s3);
    volatile int64_t *mono0 = mmap(NULL, sizeof *mono0, PROT_READ | PROT_WRITE,
                                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(mono0 != MAP_FAILED);
    *mono0 = tl_mono_ms();
    race r = {.base_ms = T(10, 0, 30),
              .mono0_ms = mono0,
              .scale = scale,
              .work_ms = work_ms,
              .work_span_ms = work_span_ms};
    r.stop_ms = T(10, RACE_FIRES, 40); /* fire times 10:01 .. 10:50 */
    int *missed = mmap(NULL, 2 * sizeof *missed, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                       -1, 0);
    assert_true(missed != MAP_FAILED);
    missed[0] = missed[1] = 0;
    pid_t pids[2];
    int ready[2], go[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    for (int i = 0; i < 2; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0)
            race_child(&lk, r, i, &missed[i], ready[1], go[0]);
    }
    close(ready[1]);
    close(go[0]);
    char c[2];
    for (int got = 0; got < 2;) { /* bounded: a racer that died never says ready */
        struct pollfd pf = {.fd = ready[0], .events = POLLIN};
        if (poll(&pf, 1, 60000) != 1) {
            kill(pids[0], SIGKILL);
            kill(pids[1], SIGKILL);
            fail_msg("the racers were not ready within 60 s");
        }
        ssize_t k = read(ready[0], c, 2 - (size_t)got);
        assert_true(k > 0);
        got += (int)k;
    }
    *mono0 = tl_mono_ms(); /* the clock reads 10:00:30 now */
    assert_int_equal(write(go[1], "gg", 2), 2);
    close(ready[0]);
    close(go[1]);
    /* bounded: the schedule takes 50 min / scale of real time */
    int64_t deadline = tl_mono_ms() + 60000 * (RACE_FIRES + 5) / scale + 60000;
    for (int i = 0; i < 2; i++) {
        int status = 0;
        pid_t got = 0;
        while ((got = waitpid(pids[i], &status, WNOHANG)) == 0 && tl_mono_ms() < deadline) {
            struct timespec ts = {0, 20 * 1000000};
            nanosleep(&ts, NULL);
        }
        if (got == 0) {
            kill(pids[0], SIGKILL);
            kill(pids[1], SIGKILL);
            fail_msg("a racer did not finish in time");
        }
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    tl_store *st = lake_open(&lk);
    tl_sched_run_rec *rec = NULL;
    size_t n = 0;
    tl_err err = {0};
    tl_sched_runs_query q = {0};
    assert_int_equal(tl_sched_runs_list(st, &q, &rec, &n, &err), 0);
    /* Every fire time ran once, by one racer or the other, or was
     * coalesced into the run that outlasted it (when requests were slow):
     * none twice, none lost. */
    int by[2] = {0, 0}, in_range = 0;
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(rec[i].status, "success");
        /* a racer busy with runs may pass its stop time by a fire or two */
        assert_true(rec[i].due_ms >= T(10, 1, 0) && rec[i].due_ms <= T(10, RACE_FIRES + 5, 0));
        in_range += rec[i].due_ms <= T(10, RACE_FIRES, 0);
        assert_int_equal(rec[i].due_ms % 60000, 0);
        if (i > 0 && rec[i].due_ms <= rec[i - 1].due_ms)
            fail_msg("fire time run twice or out of order: %s due %" PRId64 " [%" PRId64
                     ", %" PRId64 "] then %s due %" PRId64 " [%" PRId64 ", %" PRId64 "]",
                     rec[i - 1].owner, rec[i - 1].due_ms, rec[i - 1].start_ms, rec[i - 1].end_ms,
                     rec[i].owner, rec[i].due_ms, rec[i].start_ms, rec[i].end_ms);
        assert_true(rec[i].end_ms > rec[i].start_ms);
        /* sorted by start: never one run before the previous one ended */
        if (i > 0 && rec[i].start_ms < rec[i - 1].end_ms)
            fail_msg("runs overlap: %s [%" PRId64 ", %" PRId64 "] and %s [%" PRId64 ", %" PRId64
                     "]",
                     rec[i - 1].owner, rec[i - 1].start_ms, rec[i - 1].end_ms, rec[i].owner,
                     rec[i].start_ms, rec[i].end_ms);
        by[!strcmp(rec[i].owner, "racer-1")]++;
    }
    assert_true(in_range + missed[0] + missed[1] >= RACE_FIRES);
    fprintf(stderr, "race on %s: racer-0 ran %d, racer-1 ran %d, %d coalesced, of %d fire times\n",
            s3 ? "s3" : "a local lake", by[0], by[1], missed[0] + missed[1], RACE_FIRES);
    munmap(missed, 2 * sizeof *missed);
    munmap((void *)mono0, sizeof *mono0);
    free(rec);
    tl_store_destroy(st);
    lake_free(&lk);
}

static void test_race_local(void **state) {
    (void)state;
    race_two(false, 300, 6000, 24000); /* a minute of schedule in 200 ms; runs of 6-30 s */
}

static void test_race_s3(void **state) {
    (void)state;
    /* moto's requests take milliseconds, each ~10 s of schedule time at
     * this speed: shorter runs, so a run and its lease and history
     * requests stay inside its minute (else fire times coalesce) */
    race_two(true, 150, 2000, 6000);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lease_rules_local),
        cmocka_unit_test(test_lease_rules_s3),
        cmocka_unit_test(test_sigkilled_holder_local),
        cmocka_unit_test(test_sigkilled_holder_s3),
        cmocka_unit_test(test_history_query),
        cmocka_unit_test(test_history_trim_local),
        cmocka_unit_test(test_history_trim_s3),
        cmocka_unit_test(test_catchup_local),
        cmocka_unit_test(test_catchup_s3),
        cmocka_unit_test(test_timeout_leaves_snapshot),
        cmocka_unit_test(test_race_local),
        cmocka_unit_test(test_race_s3),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
