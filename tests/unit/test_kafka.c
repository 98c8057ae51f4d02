/* kafka: producer, group consumer and the development broker, against a real
 * librdkafka mock cluster in this process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kafka/kafka.h"
#include "kafka/kafka_int.h"
#include "util/clock.h"
#include "util/log.h"
#include "source/source_kafka_check.h"

#define NPART 4
#define NMSG 2000
#define NKEYS 37

static tl_kafka_mock *mock;

/* What each partition held after the producer ran, learnt by a consumer
 * reading from the beginning. */
static int64_t part_count[NPART];

typedef struct seen {
    int64_t first_offset[NPART]; /* -1 = none seen */
    int64_t next_offset[NPART];  /* last seen + 1 */
    int64_t eof[NPART];          /* last on_eof offset, -1 = none */
    int revoked[NPART];
    int64_t start[NPART]; /* what the start callback returns */
    int start_calls;
    size_t total;
    int key_partition[NKEYS]; /* partition each key landed in, -1 = unseen */
} seen;

static void seen_init(seen *s) {
    memset(s, 0, sizeof *s);
    for (int p = 0; p < NPART; p++) {
        s->first_offset[p] = -1;
        s->eof[p] = -1;
        s->start[p] = TL_KAFKA_OFFSET_STORED;
    }
    for (int k = 0; k < NKEYS; k++)
        s->key_partition[k] = -1;
}

static int64_t start_cb(void *ud, int32_t part) {
    seen *s = ud;
    s->start_calls++;
    return s->start[part];
}
static void revoke_cb(void *ud, int32_t part) {
    ((seen *)ud)->revoked[part]++;
}
static void eof_cb(void *ud, int32_t part, int64_t off) {
    ((seen *)ud)->eof[part] = off;
}

/* The mock cluster delays a rejoin after a member left by the session timeout
 * minus a second, so tests use the smallest session timeout Kafka allows. */
static tl_kv props[4];

static tl_kafka_opts make_cfg(const char *group, const char *key, const char *value) {
    tl_kafka_opts cfg = {0};
    cfg.brokers = tl_kafka_mock_bootstraps(mock);
    cfg.topic = "t";
    cfg.group = group;
    size_t n = 0;
    props[n++] = (tl_kv){(char *)"session.timeout.ms", (char *)"6000"};
    if (key)
        props[n++] = (tl_kv){(char *)key, (char *)value};
    if (getenv("TL_TEST_KAFKA_DEBUG")) /* e.g. cgrp,fetch */
        props[n++] = (tl_kv){(char *)"debug", getenv("TL_TEST_KAFKA_DEBUG")};
    cfg.props = props;
    cfg.n_props = n;
    return cfg;
}

/* Consume until every partition reported EOF at `until[p]` (or 20 s pass),
 * checking each message: key "k<N>", payload "k<N>:<i>", offsets contiguous
 * within a partition, a key always in the same partition. */
static void consume_all(tl_kafka_consumer *c, seen *s, const int64_t *until) {
    tl_kafka_msg msgs[256];
    tl_err err;
    for (int round = 0; round < 400; round++) {
        int done = 1;
        for (int p = 0; p < NPART; p++)
            done &= s->eof[p] >= until[p];
        if (done)
            return;
        int n = tl_kafka_consume(c, msgs, 256, 50, &err);
        assert_true(n >= 0);
        for (int i = 0; i < n; i++) {
            tl_kafka_msg *m = &msgs[i];
            assert_true(m->partition >= 0 && m->partition < NPART);
            if (s->first_offset[m->partition] < 0)
                s->first_offset[m->partition] = m->offset;
            else
                assert_int_equal(m->offset, s->next_offset[m->partition]);
            s->next_offset[m->partition] = m->offset + 1;
            char key[16] = {0};
            assert_true(m->key && m->key_len < sizeof key);
            memcpy(key, m->key, m->key_len);
            int k = atoi(key + 1);
            assert_true(key[0] == 'k' && k >= 0 && k < NKEYS);
            if (s->key_partition[k] < 0)
                s->key_partition[k] = m->partition;
            assert_int_equal(s->key_partition[k], m->partition);
            assert_true(m->len > m->key_len && !memcmp(m->payload, key, m->key_len) &&
                        ((const char *)m->payload)[m->key_len] == ':');
            assert_true(m->timestamp_ms > 0);
            s->total++;
        }
        tl_kafka_msgs_release(msgs, (size_t)n);
    }
    for (int p = 0; p < NPART; p++)
        fprintf(stderr, "partition %d: eof at %lld, want %lld; first %lld next %lld\n", p,
                (long long)s->eof[p], (long long)until[p], (long long)s->first_offset[p],
                (long long)s->next_offset[p]);
    fail_msg("consumer did not reach the end of every partition in time");
}

/* Serve the consumer until no commit is pending (bounded: 400 x 50 ms). */
static void serve_commits(tl_kafka_consumer *c) {
    tl_kafka_msg msgs[64];
    tl_err err;
    for (int round = 0; round < 400 && tl_kafka_consumer_commit_pending(c); round++) {
        int n = tl_kafka_consume(c, msgs, 64, 50, &err);
        assert_true(n >= 0);
        tl_kafka_msgs_release(msgs, (size_t)n);
    }
    assert_false(tl_kafka_consumer_commit_pending(c));
}

static int setup(void **state) {
    (void)state;
    tl_err err;
    mock = tl_kafka_mock_new("127.0.0.1:0", NPART, "t", &err);
    if (!mock) {
        fprintf(stderr, "mock: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    tl_kafka_mock_destroy(mock);
    return 0;
}

static void test_mock_listen_rules(void **state) {
    (void)state;
    tl_err err;
    tl_kafka_mock *m = tl_kafka_mock_new("127.0.0.1:9092", 1, "x", &err);
    assert_null(m);
    assert_int_equal(err.code, TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "127.0.0.1:9092"));
    assert_null(tl_kafka_mock_new("0.0.0.0:0", 1, "x", &err));
    assert_null(tl_kafka_mock_new("127.0.0.1:0", 0, "x", &err));
    assert_non_null(strstr(err.msg, "partitions"));
    assert_non_null(strstr(tl_kafka_mock_bootstraps(mock), "127.0.0.1:"));
}

static void test_bad_property_named(void **state) {
    (void)state;
    tl_err err;
    tl_kafka_opts cfg = make_cfg("g", "no.such.property", "1");
    assert_null(tl_kafka_producer_new(&cfg, &err));
    assert_int_equal(err.code, TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "no.such.property"));
    cfg = make_cfg("g", "linger.ms", "not-a-number");
    tl_kafka_consumer_cbs cbs = {0};
    assert_null(tl_kafka_consumer_new(&cfg, &cbs, &err));
    assert_non_null(strstr(err.msg, "linger.ms"));
}

/* The stop flag comes from the caller (no process global): a produce that
 * waits for room in a full queue gives up when it is set. linger.ms keeps
 * the first message queued, so the second finds the queue full. */
static void test_stop_flag_ends_a_full_queue_wait(void **state) {
    (void)state;
    tl_err err;
    volatile sig_atomic_t stop = 1;
    tl_kafka_opts o = make_cfg("g-stop", "queue.buffering.max.messages", "1");
    props[o.n_props++] = (tl_kv){(char *)"linger.ms", (char *)"60000"};
    o.topic = "t-stop";
    o.stop = &stop;
    tl_kafka_producer *p = tl_kafka_producer_new(&o, &err);
    assert_non_null(p);
    assert_int_equal(tl_kafka_produce(p, "k", 1, "a", 1, &err), 0);
    assert_int_equal(tl_kafka_produce(p, "k", 1, "b", 1, &err), TL_ERR_STOPPED);
    tl_kafka_producer_stats st;
    tl_kafka_producer_stats_get(p, &st);
    assert_int_equal(st.produced, 1);
    assert_int_equal(tl_kafka_producer_flush(p, 10000, &err), 0); /* flush ignores linger */
    tl_kafka_producer_destroy(p);
}

/* Runs first: fills the topic the other tests read. */
static void test_produce_and_consume_from_beginning(void **state) {
    (void)state;
    tl_err err;
    /* A tiny queue, so that producing runs into QUEUE_FULL and must wait. */
    tl_kafka_opts cfg = make_cfg("g-all", "queue.buffering.max.messages", "100");
    tl_kafka_producer *p = tl_kafka_producer_new(&cfg, &err);
    assert_non_null(p);
    for (int i = 0; i < NMSG; i++) {
        char key[16], val[32];
        int kl = snprintf(key, sizeof key, "k%d", i % NKEYS);
        int vl = snprintf(val, sizeof val, "%s:%d", key, i);
        assert_int_equal(tl_kafka_produce(p, key, (size_t)kl, val, (size_t)vl, &err), 0);
    }
    assert_int_equal(tl_kafka_producer_flush(p, 10000, &err), 0);
    tl_kafka_producer_stats st;
    tl_kafka_producer_stats_get(p, &st);
    assert_int_equal(st.produced, NMSG);
    assert_int_equal(st.delivered, NMSG);
    assert_int_equal(st.failed, 0);
    tl_kafka_producer_destroy(p);

    cfg = make_cfg("g-all", NULL, NULL);
    seen s;
    seen_init(&s);
    tl_kafka_consumer_cbs cbs = {start_cb, revoke_cb, eof_cb, &s, false};
    tl_kafka_consumer *c = tl_kafka_consumer_new(&cfg, &cbs, &err);
    assert_non_null(c);
    int64_t until[NPART];
    for (int q = 0; q < NPART; q++)
        until[q] = 0; /* any EOF: the end is checked against the watermarks below */
    consume_all(c, &s, until);
    /* EOF can come before all data when a partition is empty; the totals say. */
    assert_int_equal(s.total, NMSG);
    assert_int_equal(s.start_calls, NPART);
    int32_t parts[NPART + 1];
    assert_int_equal(tl_kafka_consumer_assignment(c, parts, NPART + 1), NPART);
    for (int q = 0; q < NPART; q++) {
        int64_t lo, hi;
        assert_int_equal(parts[q], q);
        assert_int_equal(tl_kafka_consumer_watermarks(c, q, &lo, &hi, 5000, &err), 0);
        assert_int_equal(lo, 0);
        assert_int_equal(hi, s.next_offset[q]);
        assert_int_equal(s.eof[q], hi);
        assert_int_equal(s.first_offset[q], 0);
        part_count[q] = hi;
    }
    tl_kafka_consumer_close(c);
    for (int q = 0; q < NPART; q++)
        assert_int_equal(s.revoked[q], 1);
    assert_int_equal(tl_kafka_consumer_assignment(c, parts, NPART), 0);
    tl_kafka_consumer_destroy(c);
}

/* Commit half of each partition, leave, rejoin: the group resumes there. */
static void test_commit_and_resume(void **state) {
    (void)state;
    tl_err err;
    tl_kafka_opts cfg = make_cfg("g-resume", NULL, NULL);
    seen s;
    seen_init(&s);
    tl_kafka_consumer_cbs cbs = {start_cb, revoke_cb, eof_cb, &s, false};
    tl_kafka_consumer *c = tl_kafka_consumer_new(&cfg, &cbs, &err);
    assert_non_null(c);
    consume_all(c, &s, part_count);
    int64_t committed_total = 0;
    for (int q = 0; q < NPART; q++) {
        int64_t half = part_count[q] / 2 + 1;
        assert_int_equal(tl_kafka_consumer_commit(c, q, half, &err), 0);
        committed_total += half;
    }
    /* asynchronous: the results come in while the consumer is served */
    serve_commits(c);
    for (int q = 0; q < NPART; q++) {
        int64_t got;
        assert_int_equal(tl_kafka_consumer_committed(c, q, &got, 5000, &err), 0);
        assert_int_equal(got, part_count[q] / 2 + 1);
    }
    tl_kafka_consumer_destroy(c);

    seen_init(&s);
    c = tl_kafka_consumer_new(&cfg, &cbs, &err);
    assert_non_null(c);
    consume_all(c, &s, part_count);
    for (int q = 0; q < NPART; q++)
        assert_int_equal(s.first_offset[q], part_count[q] / 2 + 1);
    assert_int_equal(s.total, NMSG - committed_total);
    tl_kafka_consumer_destroy(c);
}

/* The start callback overrides whatever the group committed. */
static void test_start_offset_callback(void **state) {
    (void)state;
    tl_err err;
    tl_kafka_opts cfg = make_cfg("g-resume", NULL, NULL); /* has committed offsets from above */
    seen s;
    seen_init(&s);
    int64_t expect = 0;
    for (int q = 0; q < NPART; q++) {
        s.start[q] = q == 3 ? TL_KAFKA_OFFSET_END : q * 7;
        expect += q == 3 ? 0 : part_count[q] - q * 7;
    }
    tl_kafka_consumer_cbs cbs = {start_cb, revoke_cb, eof_cb, &s, false};
    tl_kafka_consumer *c = tl_kafka_consumer_new(&cfg, &cbs, &err);
    assert_non_null(c);
    consume_all(c, &s, part_count);
    for (int q = 0; q < 3; q++)
        assert_int_equal(s.first_offset[q], q * 7);
    assert_int_equal(s.first_offset[3], -1);
    assert_int_equal(s.total, expect);
    tl_kafka_consumer_destroy(c);
}

/* The debug log (ours and librdkafka's, both on stderr) captured into a
 * temporary file, for a test that reads it back in order. */
typedef struct log_capture {
    int fd, saved;
} log_capture;

static log_capture log_capture_begin(void) {
    char path[] = "/tmp/tl-kafka-log-XXXXXX";
    log_capture cap = {mkstemp(path), -1};
    assert_true(cap.fd >= 0);
    unlink(path);
    fflush(stderr);
    cap.saved = dup(STDERR_FILENO);
    assert_int_equal(dup2(cap.fd, STDERR_FILENO), STDERR_FILENO);
    tl_log_set_level(TL_LOG_DEBUG);
    return cap;
}

/* stderr back as it was; the captured log, read from its start. */
static FILE *log_capture_end(log_capture *cap) {
    tl_log_flush();
    tl_log_set_level(TL_LOG_INFO);
    dup2(cap->saved, STDERR_FILENO);
    close(cap->saved);
    FILE *f = fdopen(cap->fd, "r");
    assert_non_null(f);
    rewind(f);
    return f;
}

/* A group member's assigned partitions start fetching at once. librdkafka
 * 2.0.2 puts off the start-offset query of a partition whose leader it does
 * not know yet by 500 ms ("no current leader for partition" in its topic
 * debug log). Partitions first created by the group's assignment learn their
 * leader only when the leader's broker thread takes them ("joining broker"),
 * which raced the fetch start and, against a real broker, often lost. The
 * consumer holds its topic from the start now, so every partition has joined
 * its leader before the group assigns it: before the start callback runs.
 * Read from librdkafka's own debug log, captured from stderr, in order. */
static int64_t leaders_start_cb(void *ud, int32_t part) {
    ((seen *)ud)->start_calls++;
    tl_info("test", "MARK start callback, partition %d", (int)part);
    return TL_KAFKA_OFFSET_BEGINNING; /* as the stream starts an empty lake */
}

static void test_group_start_knows_leaders(void **state) {
    (void)state;
    tl_err err;
    log_capture cap = log_capture_begin();

    tl_kafka_opts cfg = make_cfg("g-leaders", "debug", "topic");
    seen s;
    seen_init(&s);
    tl_kafka_consumer_cbs cbs = {leaders_start_cb, revoke_cb, eof_cb, &s, false};
    tl_kafka_consumer *c = tl_kafka_consumer_new(&cfg, &cbs, &err);
    assert_non_null(c);
    consume_all(c, &s, part_count);
    tl_kafka_consumer_destroy(c);

    FILE *f = log_capture_end(&cap);
    assert_int_equal(s.total, NMSG);
    assert_int_equal(s.start_calls, NPART);
    char line[4096];
    int joined_before = 0, started = 0, deferred = 0;
    bool assigned = false;
    while (fgets(line, sizeof line, f)) {
        assigned |= strstr(line, "MARK start callback") != NULL;
        if (!assigned && strstr(line, "Topic t [") && strstr(line, "joining broker"))
            joined_before++;
        started += strstr(line, "Start fetch for t [") != NULL;
        if (strstr(line, "no current leader for partition")) {
            deferred++;
            fprintf(stderr, "%s", line);
        }
    }
    fclose(f);
    assert_true(assigned);
    assert_int_equal(started, NPART); /* librdkafka's debug log was captured */
    assert_int_equal(joined_before, NPART);
    assert_int_equal(deferred, 0);
}

/* Cooperative assignment goes through incremental assign/unassign. */
static void test_cooperative(void **state) {
    (void)state;
    tl_err err;
    tl_kafka_opts cfg = make_cfg("g-coop", "partition.assignment.strategy", "cooperative-sticky");
    seen s;
    seen_init(&s);
    s.start[1] = 5;
    tl_kafka_consumer_cbs cbs = {start_cb, revoke_cb, eof_cb, &s, false};
    tl_kafka_consumer *c = tl_kafka_consumer_new(&cfg, &cbs, &err);
    assert_non_null(c);
    consume_all(c, &s, part_count);
    assert_int_equal(s.first_offset[1], 5);
    assert_int_equal(s.total, NMSG - 5);
    tl_kafka_consumer_destroy(c);
    for (int q = 0; q < NPART; q++)
        assert_int_equal(s.revoked[q], 1);
}

/* assign_all: every partition directly, no group join, start offsets from
 * the callback, no revoke (there is no rebalance). */
static void test_assign_all(void **state) {
    (void)state;
    tl_err err;
    tl_kafka_opts cfg = make_cfg("g-assign", NULL, NULL);
    seen s;
    seen_init(&s);
    s.start[2] = 7;
    tl_kafka_consumer_cbs cbs = {start_cb, revoke_cb, eof_cb, &s, true};
    tl_kafka_consumer *c = tl_kafka_consumer_new(&cfg, &cbs, &err);
    assert_non_null(c);
    consume_all(c, &s, part_count);
    assert_int_equal(s.first_offset[2], 7);
    assert_int_equal(s.total, NMSG - 7);
    int32_t parts[NPART];
    assert_int_equal(tl_kafka_consumer_assignment(c, parts, NPART), NPART);
    tl_kafka_consumer_destroy(c);
    for (int q = 0; q < NPART; q++)
        assert_int_equal(s.revoked[q], 0);
}

/* The start callback's watermark queries are answered from one read of all
 * the assigned partitions before the callbacks run (two ListOffsets requests
 * per leader), not one round trip each inside them. Read from librdkafka's
 * protocol debug log, captured from stderr in order: no ListOffsets request
 * is sent from the first start callback to the assignment's log line, and
 * every partition's watermarks are right (low 0, high what it holds). */
typedef struct wm_probe {
    tl_kafka_consumer *c;
    int calls, answered;
    int64_t low[NPART], high[NPART];
} wm_probe;

static int64_t wm_start_cb(void *ud, int32_t part) {
    wm_probe *w = ud;
    w->calls++;
    tl_info("test", "MARK start callback, partition %d", (int)part);
    tl_err err;
    if (tl_kafka_consumer_watermarks(w->c, part, &w->low[part], &w->high[part], 10000, &err) == 0)
        w->answered++;
    return TL_KAFKA_OFFSET_END; /* read nothing */
}

static void test_watermarks_read_at_once(void **state) {
    (void)state;
    tl_err err;
    log_capture cap = log_capture_begin();

    tl_kafka_opts cfg = make_cfg("g-watermarks", "debug", "protocol");
    wm_probe w = {0};
    tl_kafka_consumer_cbs cbs = {wm_start_cb, NULL, NULL, &w, true};
    tl_kafka_consumer *c = tl_kafka_consumer_new(&cfg, &cbs, &err);
    assert_non_null(c);
    w.c = c;
    tl_kafka_msg msgs[8];
    int n = tl_kafka_consume(c, msgs, 8, 100, &err); /* assigns, calling the callbacks */
    assert_true(n >= 0);
    tl_kafka_msgs_release(msgs, (size_t)n);
    tl_kafka_consumer_destroy(c);

    FILE *f = log_capture_end(&cap);
    assert_int_equal(w.calls, NPART);
    assert_int_equal(w.answered, NPART);
    for (int q = 0; q < NPART; q++) {
        assert_int_equal(w.low[q], 0);
        assert_int_equal(w.high[q], part_count[q]);
    }
    char line[4096];
    int before = 0, during = 0, phase = 0; /* 0: before the callbacks, 1: in them, 2: after */
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, "MARK start callback") && phase == 0)
            phase = 1;
        else if (strstr(line, "rebalance: t gains") && phase == 1)
            phase = 2;
        if (strstr(line, "Sent ListOffsetsRequest")) {
            before += phase == 0;
            during += phase == 1;
            if (phase == 1)
                fprintf(stderr, "%s", line);
        }
    }
    fclose(f);
    assert_int_equal(phase, 2);
    assert_true(before >= 2); /* the debug log was captured: earliest and latest, at least */
    assert_int_equal(during, 0);
}

/* Broker loss. With the only broker down: an offset commit returns at once
 * (it used to wait for the broker and fail ~10 s later) and stays pending,
 * the brokers are reported unreachable once the timeout passed, naming them
 * and librdkafka's error; back up, the pending commit reaches the group.
 * Then, down again, close still runs the final revoke (the caller's flush)
 * and returns. */
static void test_broker_down(void **state) {
    (void)state;
    tl_err err = {0};
    tl_kafka_opts cfg = make_cfg("g-down", NULL, NULL);
    seen s;
    seen_init(&s);
    tl_kafka_consumer_cbs cbs = {start_cb, revoke_cb, eof_cb, &s, false};
    tl_kafka_consumer *c = tl_kafka_consumer_new(&cfg, &cbs, &err);
    assert_non_null(c);
    consume_all(c, &s, part_count);
    assert_int_equal(tl_kafka_consumer_check_brokers(c, 1, &err), 0);

    tl_kafka_mock_set_up(mock, false);
    assert_int_equal(tl_kafka_consumer_commit(c, 0, 3, &err), 0);
    assert_int_equal(tl_kafka_consumer_commit(c, 1, 4, &err), 0);
    assert_true(tl_kafka_consumer_commit_pending(c));
    tl_kafka_msg msgs[16];
    int rc = 0;
    for (int round = 0; round < 200 && rc == 0; round++) { /* bounded: 200 x 50 ms */
        int n = tl_kafka_consume(c, msgs, 16, 50, &err);
        assert_true(n >= 0);
        tl_kafka_msgs_release(msgs, (size_t)n);
        rc = tl_kafka_consumer_check_brokers(c, 300, &err);
    }
    assert_int_equal(rc, TL_ERR_KAFKA);
    assert_non_null(strstr(err.msg, tl_kafka_mock_bootstraps(mock)));
    assert_non_null(strstr(err.msg, "unreachable"));
    assert_non_null(strstr(err.msg, "last librdkafka error: "));
    assert_null(strstr(err.msg, "(none)"));
    assert_int_equal(tl_kafka_consumer_check_brokers(c, 0, &err), 0); /* 0 = wait for ever */

    tl_kafka_mock_set_up(mock, true);
    serve_commits(c);
    int64_t got;
    assert_int_equal(tl_kafka_consumer_committed(c, 0, &got, 5000, &err), 0);
    assert_int_equal(got, 3);
    assert_int_equal(tl_kafka_consumer_committed(c, 1, &got, 5000, &err), 0);
    assert_int_equal(got, 4);
    assert_int_equal(tl_kafka_consumer_check_brokers(c, 1, &err), 0); /* alive again */

    /* if the session timed out while down, a rebalance revoked and
     * reassigned: wait until everything is assigned again */
    int32_t parts[NPART];
    for (int round = 0; round < 400 && tl_kafka_consumer_assignment(c, parts, NPART) < NPART;
         round++) {
        int n = tl_kafka_consume(c, msgs, 16, 50, &err);
        assert_true(n >= 0);
        tl_kafka_msgs_release(msgs, (size_t)n);
    }
    assert_int_equal(tl_kafka_consumer_assignment(c, parts, NPART), NPART);
    int revoked_before[NPART];
    memcpy(revoked_before, s.revoked, sizeof revoked_before);
    tl_kafka_mock_set_up(mock, false);
    assert_int_equal(tl_kafka_consumer_commit(c, 0, 5, &err), 0);
    tl_kafka_consumer_close(c); /* bounded: TL_KAFKA_CLOSE_WAIT_MS */
    for (int q = 0; q < NPART; q++)
        assert_int_equal(s.revoked[q], revoked_before[q] + 1);
    /* up again before destroy, so that the handle is freed before the
     * process exits (leak checkers); destroy is bounded either way */
    tl_kafka_mock_set_up(mock, true);
    tl_kafka_consumer_destroy(c);
}

/* Closing while fetched messages still wait in the consumer's queue: they
 * are dropped (the caller resumes from its own positions), the final revoke
 * runs, nothing aborts in librdkafka's queue serving. */
static void test_close_with_messages_queued(void **state) {
    (void)state;
    tl_err err;
    tl_kafka_opts cfg = make_cfg("g-queued", NULL, NULL);
    seen s;
    seen_init(&s);
    for (int q = 0; q < NPART; q++)
        s.start[q] = TL_KAFKA_OFFSET_BEGINNING;
    tl_kafka_consumer_cbs cbs = {start_cb, revoke_cb, eof_cb, &s, false};
    tl_kafka_consumer *c = tl_kafka_consumer_new(&cfg, &cbs, &err);
    assert_non_null(c);
    tl_kafka_msg msgs[8];
    int n = 0;
    for (int round = 0; round < 400 && n == 0; round++) /* bounded: 400 x 50 ms */
        n = tl_kafka_consume(c, msgs, 8, 50, &err);
    assert_true(n > 0);
    tl_kafka_msgs_release(msgs, (size_t)n);
    assert_int_equal(tl_kafka_consumer_commit(c, msgs[0].partition, 1, &err), 0);
    tl_kafka_consumer_close(c);
    for (int q = 0; q < NPART; q++)
        assert_int_equal(s.revoked[q], 1);
    tl_kafka_consumer_destroy(c);
}

/* tl_kafka_consumer_fetch reads a range apart from the group: exactly those
 * offsets, in order, and stops at the partition's end. */
typedef struct fetched {
    int64_t offsets[64];
    int n;
} fetched;

static int on_fetched(void *ud, const tl_kafka_msg *m) {
    fetched *f = ud;
    assert_true(f->n < 64);
    assert_true(m->len > 2 && ((const char *)m->payload)[0] == 'k');
    f->offsets[f->n++] = m->offset;
    return 0;
}

static void test_fetch_range(void **state) {
    (void)state;
    tl_err err;
    tl_kafka_opts cfg = make_cfg("g-fetch", NULL, NULL);
    tl_kafka_consumer_cbs cbs = {0};
    tl_kafka_consumer *c = tl_kafka_consumer_new(&cfg, &cbs, &err);
    assert_non_null(c);
    fetched f = {0};
    assert_int_equal(tl_kafka_consumer_fetch(c, 2, 5, 9, on_fetched, &f, 10000, &err), 0);
    assert_int_equal(f.n, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(f.offsets[i], 5 + i);
    memset(&f, 0, sizeof f);
    int64_t end = part_count[1];
    assert_int_equal(tl_kafka_consumer_fetch(c, 1, end - 2, end + 10, on_fetched, &f, 10000, &err),
                     0);
    assert_int_equal(f.n, 2);
    assert_int_equal(f.offsets[1], end - 1);
    tl_kafka_consumer_destroy(c);
}

/* The identities the recreated-topic check compares: a tick by (symbol,
 * seq), by (symbol, ts) without a seq, a record the codec rejects by its
 * bytes, as the lake's rows give them. */
static void test_topic_check_keys(void **state) {
    (void)state;
    tl_topic_check_opts co = {.topic = "t",
                              .group = "g-keys",
                              .ts_unit = TL_TS_UNIT_MS,
                              .max_message_bytes = 65536};
    tl_topic_check *tc = tl_topic_check_new(&co);
    assert_non_null(tc);
    char want[256], got[256], *dead = NULL;
    const char *t1 = "{\"symbol\":\"AAPL\",\"ts\":\"2026-11-24T20:15:03.123456Z\",\"price\":189.25,"
                     "\"seq\":17}";
    assert_int_equal(tl_topic_check_msg_keys(tc, t1, strlen(t1), got, sizeof got, &dead), 0);
    tl_topic_check_tick_key("AAPL", "17", "1795551303123456", want, sizeof want);
    assert_string_equal(got, want);
    free(dead);
    const char *t2 = "{\"symbol\":\"AAPL\",\"ts\":1795551303123,\"price\":189.25}";
    assert_int_equal(tl_topic_check_msg_keys(tc, t2, strlen(t2), got, sizeof got, &dead), 0);
    tl_topic_check_tick_key("AAPL", NULL, "1795551303123000", want, sizeof want);
    assert_string_equal(got, want);
    tl_topic_check_tick_key("AAPL", "", "1795551303123000", want, sizeof want); /* NULL seq */
    assert_string_equal(got, want);
    free(dead);
    const char *bad = "not a tick";
    assert_int_equal(tl_topic_check_msg_keys(tc, bad, strlen(bad), got, sizeof got, &dead), 0);
    assert_string_equal(got, "");
    assert_string_equal(dead, "Dbm90IGEgdGljaw==");
    free(dead);
    tl_topic_check_destroy(tc);
}

/* The message of a rejected login names the mechanism, the user and the
 * broker (in librdkafka's reason), and for SCRAM on a librdkafka before
 * 2.6.1 says that the library, not the password, is the problem. */
static void test_auth_message(void **state) {
    (void)state;
    char m[512];
    const char *reason = "sasl_plaintext://127.0.0.1:9/bootstrap: SASL authentication error";
    tl_kafka_auth_message(m, sizeof m, reason, "PLAIN", "alice", 0x020002ff);
    assert_non_null(strstr(m, "SASL mechanism PLAIN"));
    assert_non_null(strstr(m, "user 'alice'"));
    assert_non_null(strstr(m, "127.0.0.1:9"));
    assert_null(strstr(m, "2.6.1"));
    tl_kafka_auth_message(m, sizeof m, reason, "SCRAM-SHA-256", "alice", 0x020002ff);
    assert_non_null(strstr(m, "librdkafka 2.0.2 (before 2.6.1) cannot use SCRAM"));
    assert_non_null(strstr(m, "127.0.0.1:9"));
    tl_kafka_auth_message(m, sizeof m, reason, "SCRAM-SHA-512", "alice", 0x020601ff);
    assert_null(strstr(m, "2.6.1"));
}

/* A login the broker refuses (the mock broker knows no SASL at all, which
 * librdkafka reports as the same authentication error as a wrong password)
 * fails the producer's flush and the consumer's consume with that message,
 * instead of librdkafka retrying until the timeout. */
static tl_kv sasl_props[4];

static tl_kafka_opts sasl_cfg(const char *group) {
    tl_kafka_opts cfg = make_cfg(group, NULL, NULL);
    sasl_props[0] = (tl_kv){(char *)"security.protocol", (char *)"SASL_PLAINTEXT"};
    sasl_props[1] = (tl_kv){(char *)"sasl.mechanisms", (char *)"PLAIN"};
    sasl_props[2] = (tl_kv){(char *)"sasl.username", (char *)"alice"};
    sasl_props[3] = (tl_kv){(char *)"sasl.password", (char *)"wrong"};
    cfg.props = sasl_props;
    cfg.n_props = 4;
    return cfg;
}

static void test_auth_failure_ends_the_wait(void **state) {
    (void)state;
    tl_err err = {0};
    tl_kafka_opts cfg = sasl_cfg("g-auth");
    tl_kafka_producer *p = tl_kafka_producer_new(&cfg, &err);
    assert_non_null(p);
    assert_int_equal(tl_kafka_produce(p, "k", 1, "k:1", 3, &err), 0);
    /* a long timeout: without the auth check this returns "still
     * undelivered" only after it, with no word of the mechanism */
    assert_int_equal(tl_kafka_producer_flush(p, 120000, &err), TL_ERR_KAFKA);
    assert_non_null(strstr(err.msg, "authentication failed"));
    assert_non_null(strstr(err.msg, "SASL mechanism PLAIN"));
    assert_non_null(strstr(err.msg, "127.0.0.1:"));
    memset(&err, 0, sizeof err);
    assert_int_equal(tl_kafka_produce(p, "k", 1, "k:2", 3, &err), TL_ERR_KAFKA);
    assert_non_null(strstr(err.msg, "SASL mechanism PLAIN"));
    tl_kafka_producer_destroy(p);

    tl_kafka_consumer_cbs cbs = {0};
    tl_kafka_consumer *c = tl_kafka_consumer_new(&cfg, &cbs, &err);
    assert_non_null(c);
    tl_kafka_msg msgs[16];
    int n = 0;
    for (int round = 0; round < 1200 && n >= 0; round++) /* bounded: 1200 x 100 ms */
        n = tl_kafka_consume(c, msgs, 16, 100, &err);
    assert_int_equal(n, TL_ERR_KAFKA);
    assert_non_null(strstr(err.msg, "SASL mechanism PLAIN"));
    assert_non_null(strstr(err.msg, "user 'alice'"));
    tl_kafka_consumer_destroy(c);
}

/* A pacer's sub-millisecond idle lets the time pass: it was a poll of 0
 * ms, which returns at once, and up's simulator spun on a core at 100k
 * ticks/s. A lower bound only (a sleep lasts at least what it asks for),
 * never a speed threshold. */
static void test_producer_idle_lets_time_pass(void **state) {
    (void)state;
    tl_err err = {0};
    tl_kafka_opts cfg = make_cfg("unused", NULL, NULL);
    cfg.topic = "idle";
    tl_kafka_producer *p = tl_kafka_producer_new(&cfg, &err);
    assert_non_null(p);
    int64_t t0 = tl_mono_us();
    for (int i = 0; i < 20; i++)
        tl_kafka_producer_idle(p, 500);
    assert_true(tl_mono_us() - t0 >= 20 * 500);
    tl_kafka_producer_destroy(p);
}

/* The dev broker holds an empty fetch for the consumer's whole
 * fetch.wait.max.ms, so a consumer that finds it asks for a short one;
 * anything else (a user's -X, brokers elsewhere, nobody answering) keeps
 * what it had. */
static void test_dev_broker_fetch_wait(void **state) {
    (void)state;
    tl_err err = {0};
    assert_true(tl_kafka_brokers_loopback("127.0.0.1:9092"));
    assert_true(tl_kafka_brokers_loopback("localhost:1, 127.0.0.1:2"));
    assert_true(tl_kafka_brokers_loopback("PLAINTEXT://127.0.0.1:9092"));
    assert_false(tl_kafka_brokers_loopback("127.0.0.1:9092,kafka.example:9092"));
    assert_false(tl_kafka_brokers_loopback("127.0.0.10:9092"));
    assert_false(tl_kafka_brokers_loopback("127.0.0.1"));
    assert_false(tl_kafka_brokers_loopback("127.0.0.1:"));
    assert_false(tl_kafka_brokers_loopback(""));
    assert_false(tl_kafka_brokers_loopback(NULL));
    assert_true(tl_kafka_cluster_id_is_dev("mockCluster15834221bca8"));
    assert_false(tl_kafka_cluster_id_is_dev("5L6g3nShT-eMCtK--X86sw"));
    assert_false(tl_kafka_cluster_id_is_dev(NULL));

    tl_kafka_consumer_cbs cbs = {0};
    tl_kafka_opts cfg = make_cfg("g-fetch-wait", NULL, NULL);
    tl_kafka_consumer *c = tl_kafka_consumer_new(&cfg, &cbs, &err);
    assert_non_null(c);
    assert_int_equal(tl_kafka_consumer_fetch_wait_ms(c), atoi(TL_KAFKA_MOCK_FETCH_WAIT_MS));
    tl_kafka_consumer_destroy(c);

    cfg = make_cfg("g-fetch-wait", "fetch.wait.max.ms", "250"); /* the user's wins */
    assert_non_null(c = tl_kafka_consumer_new(&cfg, &cbs, &err));
    assert_int_equal(tl_kafka_consumer_fetch_wait_ms(c), 250);
    tl_kafka_consumer_destroy(c);

    cfg = make_cfg("g-fetch-wait", NULL, NULL);
    cfg.brokers = "127.0.0.1:1"; /* nothing there: librdkafka's default stays */
    assert_non_null(c = tl_kafka_consumer_new(&cfg, &cbs, &err));
    assert_int_equal(tl_kafka_consumer_fetch_wait_ms(c), 500);
    tl_kafka_consumer_destroy(c);
}

/* A consumer catching up faster than its fetcher: librdkafka 2.0.2 stops
 * fetching when the queue holds queued.max.messages.kbytes and, with no
 * fetch in flight, looks again only when its broker thread wakes, up to a
 * second later. The consumer wakes it when it finds the queue empty while the
 * partition has more at the broker (kafka_nudge.c). Here the queue holds 64
 * KB, the topic 2 MB, and the test takes 8 KB every 5 ms: the queue fills
 * again and again (librdkafka's fetch debug log says so), the consumer wakes
 * the fetcher, and every message comes once, in order. Without the wake-up the count stays 0 (and the test
 * takes ~30 s of those waits). Caught up, it sends nothing more. */
#define NUDGE_MSGS 2000
#define NUDGE_PARTS 64

static int64_t from_beginning_cb(void *ud, int32_t part) {
    (void)ud;
    (void)part;
    return TL_KAFKA_OFFSET_BEGINNING;
}

static void test_full_queue_wakes_fetcher(void **state) {
    (void)state;
    tl_err err;
    tl_kafka_opts cfg = make_cfg("g-nudge", NULL, NULL);
    cfg.topic = "t-nudge";
    tl_kafka_producer *p = tl_kafka_producer_new(&cfg, &err);
    assert_non_null(p);
    char val[1000];
    memset(val, 'x', sizeof val);
    for (int i = 0; i < NUDGE_MSGS; i++) {
        int vl = snprintf(val, sizeof val, "%d:", i);
        val[vl] = 'x';
        assert_int_equal(tl_kafka_produce(p, "k", 1, val, sizeof val, &err), 0);
    }
    assert_int_equal(tl_kafka_producer_flush(p, 10000, &err), 0);
    tl_kafka_producer_destroy(p);

    log_capture cap = log_capture_begin();
    cfg = make_cfg("g-nudge", "queued.max.messages.kbytes", "64");
    props[cfg.n_props++] = (tl_kv){(char *)"fetch.message.max.bytes", (char *)"65536"};
    props[cfg.n_props++] = (tl_kv){(char *)"debug", (char *)"fetch"};
    cfg.topic = "t-nudge";
    tl_kafka_consumer_cbs cbs = {from_beginning_cb, NULL, NULL, NULL, true};
    tl_kafka_consumer *c = tl_kafka_consumer_new(&cfg, &cbs, &err);
    assert_non_null(c);
    int64_t next[NUDGE_PARTS] = {0};
    int got = 0;
    tl_kafka_msg msgs[256];
    for (int round = 0; round < 4000 && got < NUDGE_MSGS; round++) {
        /* 8 KB every 5 ms: slower than the fetcher, so the queue fills */
        int n = tl_kafka_consume(c, msgs, 8, 50, &err);
        usleep(5000);
        assert_true(n >= 0);
        for (int i = 0; i < n; i++) {
            assert_true(msgs[i].partition >= 0 && msgs[i].partition < NUDGE_PARTS);
            assert_int_equal(msgs[i].offset, next[msgs[i].partition]++);
            assert_int_equal(atoi(msgs[i].payload), got++); /* one key: one partition, in order */
        }
        tl_kafka_msgs_release(msgs, (size_t)n);
    }
    unsigned nudges = tl_kafka_consumer_nudges(c);
    for (int i = 0; i < 5; i++) { /* caught up: the queue is empty, nothing is behind */
        int n = tl_kafka_consume(c, msgs, 256, 60, &err);
        assert_int_equal(n, 0);
    }
    unsigned after = tl_kafka_consumer_nudges(c);
    tl_kafka_consumer_destroy(c);

    FILE *f = log_capture_end(&cap);
    char line[4096];
    int full = 0;
    while (fgets(line, sizeof line, f))
        full += strstr(line, "not fetchable: queued.max.messages.kbytes exceeded") != NULL;
    fclose(f);
    assert_int_equal(got, NUDGE_MSGS);
    assert_true(full >= 2); /* the queue did fill, more than once */
    assert_true(nudges >= 1);
    assert_int_equal(after, nudges);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mock_listen_rules),
        cmocka_unit_test(test_bad_property_named),
        cmocka_unit_test(test_auth_message),
        cmocka_unit_test(test_dev_broker_fetch_wait),
        cmocka_unit_test(test_producer_idle_lets_time_pass),
        cmocka_unit_test(test_auth_failure_ends_the_wait),
        cmocka_unit_test(test_produce_and_consume_from_beginning),
        cmocka_unit_test(test_stop_flag_ends_a_full_queue_wait),
        cmocka_unit_test(test_commit_and_resume),
        cmocka_unit_test(test_start_offset_callback),
        cmocka_unit_test(test_group_start_knows_leaders),
        cmocka_unit_test(test_cooperative),
        cmocka_unit_test(test_assign_all), /* after the produce test filled the topic */
        cmocka_unit_test(test_watermarks_read_at_once),
        cmocka_unit_test(test_full_queue_wakes_fetcher),
        cmocka_unit_test(test_fetch_range),
        cmocka_unit_test(test_close_with_messages_queued),
        cmocka_unit_test(test_broker_down),
        cmocka_unit_test(test_topic_check_keys),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
