/* The drive loop (tl_stream_run) against a real lake in a temp folder: a
 * JSONL file to its end, a stop before the first read, and a source that
 * fails after a batch (what was read is committed, the source's error is
 * returned, the source hears the commit and is closed). */
#define _GNU_SOURCE /* pthread_timedjoin_np */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "source/source.h"
#include "stream/stream.h"
#include "stream/stream_run.h"
#include "tl_test.h"
#include "util/clock.h"

typedef struct fixture {
    char dir[64];
    tl_store *store;
    tl_stream_opts opts;
    char path[128];
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (!f || tl_test_store(f->dir, sizeof f->dir, "stream-run", &f->store) != 0)
        return -1;
    f->opts = (tl_stream_opts){.source_id = "unit",
                               .ts_unit = TL_TS_UNIT_MS,
                               .max_message_bytes = 4096,
                               .flush_rows = 1000000,
                               .flush_interval_ms = 3600000,
                               .allowed_lateness_us = 10 * 1000000LL,
                               .max_future_skew_us = 60 * 1000000LL,
                               .max_buffered_rows = 1000000};
    snprintf(f->path, sizeof f->path, "%s/in.jsonl", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    int rc = tl_test_store_free(f->dir, f->store);
    free(f);
    return rc;
}

static void write_ticks(fixture *f, int n) {
    FILE *out = fopen(f->path, "w");
    assert_non_null(out);
    long long now = tl_now_us() / 1000;
    for (int i = 1; i <= n; i++)
        fprintf(out, "{\"symbol\":\"AAPL\",\"ts\":%lld,\"price\":1.5,\"seq\":%d}\n", now, i);
    assert_int_equal(fclose(out), 0);
}

static tl_source *file_source(fixture *f) {
    tl_err err;
    tl_source *src = tl_source_file_new(f->path, 4096, &err);
    assert_non_null(src);
    return src;
}

static void test_file_to_end(void **state) {
    fixture *f = *state;
    write_ticks(f, 5);
    for (int round = 0; round < 2; round++) { /* the second run skips what the lake has */
        tl_err err;
        tl_stream *st = tl_stream_new(f->store, &f->opts, &err);
        assert_non_null(st);
        tl_source *src = file_source(f);
        assert_int_equal(tl_stream_run(st, src, NULL, &err), 0);
        const tl_stream_counters *c = tl_stream_counters_get(st);
        assert_int_equal(c->accepted, round == 0 ? 5 : 0);
        assert_int_equal(c->skipped, round == 0 ? 0 : 5);
        assert_int_equal(c->commits, round == 0 ? 1 : 0);
        assert_int_equal(tl_stream_resume_offset(st, -1), 6);
        tl_source_destroy(src);
        tl_stream_destroy(st);
    }
}

static bool stop_now(void *ud) {
    (*(int *)ud)++;
    return true;
}

static void test_stop_before_reading(void **state) {
    fixture *f = *state;
    write_ticks(f, 3);
    tl_err err;
    tl_stream *st = tl_stream_new(f->store, &f->opts, &err);
    assert_non_null(st);
    tl_source *src = file_source(f);
    int asked = 0;
    tl_stream_run_opts o = {.stop = stop_now, .ud = &asked};
    assert_int_equal(tl_stream_run(st, src, &o, &err), 0);
    assert_int_equal(asked, 1);
    assert_int_equal(tl_stream_counters_get(st)->received, 0);
    assert_int_equal(tl_stream_resume_offset(st, -1), -1);
    tl_source_destroy(src);
    tl_stream_destroy(st);
}

/* A source that hands out two ticks of partition 0, then fails. */
typedef struct failing_source {
    tl_source base;
    int reads;
    char line[2][128];
    int32_t committed_partition;
    int64_t committed_last;
    int closed;
} failing_source;

static int failing_read(tl_source *src, tl_source_msg *out, size_t max, int timeout_ms,
                        tl_err *err) {
    failing_source *s = (failing_source *)src;
    if (s->reads++ > 0)
        return tl_err_set(err, TL_ERR_IO, "the input went away");
    assert_true(max >= 2);
    for (int i = 0; i < 2; i++)
        out[i] = (tl_source_msg){0, 10 + i, s->line[i], strlen(s->line[i])};
    return 2;
}
static void failing_release(tl_source *src) {
    (void)src;
}
static void failing_committed(tl_source *src, int32_t partition, int64_t last_offset) {
    failing_source *s = (failing_source *)src;
    s->committed_partition = partition;
    s->committed_last = last_offset;
}
static void failing_close(tl_source *src) {
    ((failing_source *)src)->closed++;
}
static void failing_destroy(tl_source *src) {
    (void)src;
}
static const tl_source_ops failing_ops = {"failing",         failing_read,  failing_release,
                                          failing_committed, failing_close, failing_destroy};

static void test_source_fails_after_a_batch(void **state) {
    fixture *f = *state;
    tl_err err;
    f->opts.source_id = NULL;
    f->opts.topic = "t";
    f->opts.group = "g";
    tl_stream *st = tl_stream_new(f->store, &f->opts, &err);
    assert_non_null(st);
    failing_source s = {.base = {&failing_ops}, .committed_partition = -9};
    long long now = tl_now_us() / 1000;
    for (int i = 0; i < 2; i++)
        snprintf(s.line[i], sizeof s.line[i],
                 "{\"symbol\":\"MSFT\",\"ts\":%lld,\"price\":2,\"seq\":%d}", now, i + 1);
    assert_int_equal(tl_stream_run(st, &s.base, NULL, &err), TL_ERR_IO);
    assert_string_equal(err.msg, "the input went away");
    assert_int_equal(tl_stream_counters_get(st)->commits, 1);
    assert_int_equal(tl_stream_resume_offset(st, 0), 12);
    assert_int_equal(s.committed_partition, 0);
    assert_int_equal(s.committed_last, 11);
    assert_int_equal(s.closed, 1);
    tl_stream_destroy(st);
}

static void ingest_line(tl_stream *st, int32_t partition, int64_t offset, int seq) {
    char line[128];
    tl_err err;
    int n = snprintf(line, sizeof line, "{\"symbol\":\"IBM\",\"ts\":%lld,\"price\":3,\"seq\":%d}",
                     (long long)(tl_now_us() / 1000), seq);
    assert_int_equal(tl_stream_ingest(st, partition, offset, line, (size_t)n, &err), 0);
}

/* The hooks the stream serves a Kafka source: revoke makes what was read
 * durable and forgets the partition, assign says where to resume from the
 * lake, fail stops every later ingest and commit. */
static void test_source_hooks(void **state) {
    fixture *f = *state;
    tl_err err;
    f->opts.source_id = NULL;
    f->opts.topic = "t";
    f->opts.group = "g";
    tl_stream *st = tl_stream_new(f->store, &f->opts, &err);
    assert_non_null(st);
    tl_source_hooks h;
    tl_stream_source_hooks(st, &h);
    assert_int_equal(h.assign(h.ud, 3), -1); /* nothing of it in the lake yet */
    ingest_line(st, 3, 0, 1);
    ingest_line(st, 3, 1, 2);
    h.revoke(h.ud, 3);
    assert_int_equal(tl_stream_counters_get(st)->commits, 1);
    assert_int_equal(tl_stream_counters_get(st)->buffered_rows, 0);
    assert_int_equal(h.assign(h.ud, 3), 2);
    tl_err_set(&err, TL_ERR_INVALID, "partition 3 refused");
    (h.fail)(h.ud, &err); /* parenthesised: cmocka defines a fail() macro */
    tl_err err2 = {0};
    const char *line = "{\"symbol\":\"IBM\",\"ts\":1,\"price\":3,\"seq\":3}";
    assert_true(tl_stream_ingest(st, 3, 2, line, strlen(line), &err2) < 0);
    assert_non_null(strstr(err2.msg, "partition 3 refused"));
    err2 = (tl_err){0};
    assert_true(tl_stream_flush(st, &err2) < 0);
    assert_non_null(strstr(err2.msg, "partition 3 refused"));
    assert_int_equal(tl_stream_counters_get(st)->commits, 1);
    tl_stream_destroy(st);
}

/* A named FIFO opened by path whose writer stays open and quiet: a read
 * comes back with nothing after its timeout, so the loop can flush and
 * commit meanwhile. (Regression: only stdin was polled; a FIFO by path
 * blocked in read() with written batches left uncommitted: 0103 in CI.)
 * The read runs on a thread joined with a deadline, so the old behaviour
 * fails the test instead of hanging it. */
typedef struct fifo_read {
    tl_source *src;
    int rc[2];
    size_t len;
} fifo_read;

static void *read_twice(void *arg) {
    fifo_read *r = arg;
    tl_source_msg msgs[8];
    tl_err err = {0};
    r->rc[0] = r->src->ops->read(r->src, msgs, 8, 50, &err);
    r->len = r->rc[0] > 0 ? msgs[0].len : 0;
    r->rc[1] = r->src->ops->read(r->src, msgs, 8, 50, &err); /* the writer is quiet */
    return NULL;
}

static void test_quiet_fifo_returns(void **state) {
    fixture *f = *state;
    char fifo[160];
    snprintf(fifo, sizeof fifo, "%s/in.fifo", f->dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    int w = open(fifo, O_RDWR | O_CLOEXEC); /* a writer that stays: no EOF */
    assert_true(w >= 0);
    const char *line = "{\"symbol\":\"IBM\",\"ts\":1,\"price\":3,\"seq\":1}\n";
    assert_int_equal(write(w, line, strlen(line)), (ssize_t)strlen(line));
    tl_err err = {0};
    fifo_read r = {.src = tl_source_file_new(fifo, 4096, &err), .rc = {-99, -99}};
    assert_non_null(r.src);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, read_twice, &r), 0);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 20; /* generous: the reads take ~50 ms */
    int joined = pthread_timedjoin_np(t, NULL, &until);
    if (joined != 0)
        fail_msg("a read of a quiet FIFO did not come back in 20 s: it blocked");
    assert_int_equal(r.rc[0], 1);
    assert_int_equal(r.len, strlen(line) - 1);
    assert_int_equal(r.rc[1], 0); /* quiet: back to the loop, not the end */
    r.src->ops->destroy(r.src);
    close(w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_file_to_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_before_reading, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_fails_after_a_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_hooks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quiet_fifo_returns, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
