/* The parse workers (stream.parse_threads > 1) against the single thread:
 * the same input through tl_stream_run with 1, 2 and 3 parse threads, each
 * into its own lake, must give the same rows in the same order (late flags,
 * offsets, extra fields), the same counters, the same dead letters with the
 * same reasons, and the same files. A Kafka-like source that revokes and
 * reassigns its partitions in the middle of a read shows the hooks see the
 * stream as the single thread leaves it: everything read before the revoke
 * is in the lake, and the assignment resumes right after it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "duck/duck.h"
#include "query/views.h"
#include "source/source.h"
#include "stream/stream.h"
#include "stream/stream_run.h"
#include "tl_test.h"
#include "tl_test_query.h"
#include "util/clock.h"

#define NMODES 3
static const int modes[NMODES] = {1, 2, 3}; /* parse threads; 1 = the single thread */

typedef struct trace { /* what the row hook saw, one line per accepted row */
    char **rows;
    size_t n, cap;
} trace;

typedef struct fixture {
    char dir[NMODES][64];
    tl_store *store[NMODES];
    tl_stream_opts opts;
    char path[160];
    trace tr[NMODES];
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    for (int m = 0; m < NMODES; m++)
        if (tl_test_store(f->dir[m], sizeof f->dir[m], "stream-par", &f->store[m]) != 0)
            return -1;
    f->opts = (tl_stream_opts){.source_id = "unit",
                               .ts_unit = TL_TS_UNIT_MS,
                               .max_message_bytes = 300,
                               .flush_rows = 3000, /* flushes while workers parse */
                               .flush_interval_ms = 3600000,
                               .allowed_lateness_us = 10 * 1000000LL,
                               .max_future_skew_us = 60 * 1000000LL,
                               .max_buffered_rows = 1000000,
                               .extra_columns = "venue:string",
                               .unknown_fields = TL_UNKNOWN_KEEP};
    snprintf(f->path, sizeof f->path, "%s/in.jsonl", f->dir[0]);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    int rc = 0;
    for (int m = 0; m < NMODES; m++) {
        rc |= tl_test_store_free(f->dir[m], f->store[m]);
        for (size_t i = 0; i < f->tr[m].n; i++)
            free(f->tr[m].rows[i]);
        free(f->tr[m].rows);
    }
    free(f);
    return rc;
}

static void on_row(void *ud, const tl_tick_row *r) {
    trace *t = ud;
    char line[512];
    int n = snprintf(line, sizeof line, "%d:%lld %s %lld %lld %lld %lld late=%d", r->src_partition,
                     (long long)r->src_offset, r->tick.symbol, (long long)r->tick.ts_us,
                     (long long)r->tick.price, (long long)r->tick.seq, (long long)r->tick.size,
                     (int)r->late);
    if (r->ext) { /* the extra column's value and the kept unknown fields */
        const tl_ext_val *v = r->ext->nvals ? &r->ext->vals[0] : NULL;
        snprintf(line + n, sizeof line - (size_t)n, " venue=%.*s extra=%.*s",
                 v && v->present ? (int)v->len : 0, v && v->present ? r->ext->data + v->off : "",
                 (int)r->ext->extra_len, r->ext->data + r->ext->extra_off);
    }
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 1024;
        t->rows = realloc(t->rows, t->cap * sizeof *t->rows);
        assert_non_null(t->rows);
    }
    t->rows[t->n] = strdup(line);
    assert_non_null(t->rows[t->n]);
    t->n++;
}

/* Ticks of 3 symbols with, in between: malformed and invalid records,
 * resent ticks (duplicates), late ticks, ticks from the future, extra and
 * unknown fields, blank lines and a line over the size cap. */
static int write_input(fixture *f, int n) {
    FILE *out = fopen(f->path, "w");
    assert_non_null(out);
    long long now = tl_now_us() / 1000, t0 = now - 3600 * 1000;
    int seq[3] = {0};
    for (int i = 0; i < n; i++) {
        int s = i % 3;
        long long ts = t0 + i * 100LL; /* rising event time */
        const char *sym = s == 0 ? "AAPL" : s == 1 ? "MSFT" : "IBM";
        if (i % 7 == 3)
            fprintf(out, "%s\n",
                    i % 21 == 3    ? "not json {"
                    : i % 21 == 10 ? "{\"symbol\":\"AAPL\",\"ts\":1}"
                                   : "{\"symbol\":\"AAPL\",\"ts\":1,\"price\":-2}");
        else if (i % 11 == 5 && seq[s] > 0) /* a resend */
            fprintf(out, "{\"symbol\":\"%s\",\"ts\":%lld,\"price\":1.5,\"seq\":%d}\n", sym,
                    ts - 100, seq[s]);
        else if (i % 13 == 6) /* 60 s behind: late */
            fprintf(out, "{\"symbol\":\"%s\",\"ts\":%lld,\"price\":2.25,\"seq\":%d}\n", sym,
                    ts - 60000, ++seq[s]);
        else if (i % 97 == 50) /* from the future */
            fprintf(out, "{\"symbol\":\"%s\",\"ts\":%lld,\"price\":2,\"seq\":%d}\n", sym,
                    now + 3600000, ++seq[s]);
        else if (i % 17 == 8) /* an extra column and an unknown field */
            fprintf(out,
                    "{\"symbol\":\"%s\",\"ts\":%lld,\"price\":3.5,\"venue\":\"v%d\","
                    "\"note\":{\"k\":%d},\"seq\":%d}\n",
                    sym, ts, i, i, ++seq[s]);
        else if (i % 501 == 7)
            fprintf(out, "\n   \n{\"symbol\":\"%s\",\"ts\":%lld,\"price\":1,\"pad\":\"%0400d\"}\n",
                    sym, ts, 0); /* blank lines, then too_large */
        else
            fprintf(out,
                    "{\"symbol\":\"%s\",\"ts\":%lld,\"price\":%d.%02d,\"size\":%d,"
                    "\"seq\":%d}\n",
                    sym, ts, 100 + i % 50, i % 100, i % 300 + 1, ++seq[s]);
    }
    return fclose(out);
}

static void run_file(fixture *f, int m, tl_stream_counters *c) {
    tl_err err = {0};
    tl_stream_opts o = f->opts;
    o.parse_threads = modes[m];
    tl_stream *st = tl_stream_new(f->store[m], &o, &err);
    assert_non_null(st);
    tl_stream_on_row(st, on_row, &f->tr[m]);
    tl_source *src = tl_source_file_new(f->path, o.max_message_bytes, &err);
    assert_non_null(src);
    assert_int_equal(tl_stream_run(st, src, NULL, &err), 0);
    *c = *tl_stream_counters_get(st);
    tl_source_destroy(src);
    tl_stream_destroy(st);
}

/* The counters that depend on the input alone (not on the clock). */
static void assert_same_counters(const tl_stream_counters *a, const tl_stream_counters *b) {
    assert_int_equal(a->received, b->received);
    assert_int_equal(a->accepted, b->accepted);
    assert_int_equal(a->rejected, b->rejected);
    assert_memory_equal(a->rejected_by_reason, b->rejected_by_reason,
                        sizeof a->rejected_by_reason);
    assert_int_equal(a->late, b->late);
    assert_int_equal(a->duplicates, b->duplicates);
    assert_int_equal(a->skipped, b->skipped);
    assert_int_equal(a->files_written, b->files_written);
    assert_int_equal(a->dl_files_written, b->dl_files_written);
    assert_int_equal(a->commits, b->commits);
    assert_int_equal(a->watermark_us, b->watermark_us);
}

static const char *const lake_queries[] = {
    "SELECT * EXCLUDE (ingest_ts) FROM ticks ORDER BY src_partition, src_offset",
    "SELECT src_partition, src_offset, reason, raw FROM deadletter ORDER BY src_partition, "
    "src_offset",
    /* the files, named from their first and last offsets */
    "SELECT regexp_replace(regexp_extract(filename, '[^/]+/[^/]+$'), "
    "'-[0-9a-f]{16}\\.zstd\\.parquet$', '') AS f, count(*) "
    "FROM read_parquet('%s/ticks/*/*/*/*/*.parquet', filename = true) GROUP BY 1 ORDER BY 1",
};

static void assert_same_lakes(fixture *f, int a, int b) {
    for (size_t q = 0; q < sizeof lake_queries / sizeof *lake_queries; q++) {
        char sql[600];
        snprintf(sql, sizeof sql, lake_queries[q], f->dir[a]);
        char *ra = tl_test_query_csv(f->store[a], sql);
        snprintf(sql, sizeof sql, lake_queries[q], f->dir[b]);
        char *rb = tl_test_query_csv(f->store[b], sql);
        assert_true(strlen(ra) > 100);
        assert_string_equal(ra, rb);
        free(ra);
        free(rb);
    }
}

static void test_same_as_single_thread(void **state) {
    fixture *f = *state;
    assert_int_equal(write_input(f, 20000), 0); /* 5 reads of 4096 lines */
    tl_stream_counters c[NMODES];
    for (int m = 0; m < NMODES; m++)
        run_file(f, m, &c[m]);
    /* the input has every case in it */
    assert_true(c[0].accepted > 10000);
    assert_true(c[0].late > 100);
    assert_true(c[0].duplicates > 100);
    assert_true(c[0].rejected_by_reason[TL_TICK_NOT_JSON] > 0);
    assert_true(c[0].rejected_by_reason[TL_TICK_MISSING_FIELD] > 0);
    assert_true(c[0].rejected_by_reason[TL_TICK_BAD_PRICE] > 0);
    assert_true(c[0].rejected_by_reason[TL_TICK_TOO_LARGE] > 0);
    assert_true(c[0].rejected_by_reason[TL_TICK_REASON_COUNT] > 0); /* future_ts */
    assert_true(c[0].commits > 1);
    for (int m = 1; m < NMODES; m++) {
        assert_same_counters(&c[0], &c[m]);
        assert_int_equal(f->tr[m].n, f->tr[0].n);
        for (size_t i = 0; i < f->tr[0].n; i++)
            assert_string_equal(f->tr[m].rows[i], f->tr[0].rows[i]);
        assert_same_lakes(f, 0, m);
    }
    assert_true(tl_test_scalar(f->store[1], "SELECT count(*) FROM ticks WHERE extra IS NOT NULL") >
                100);
}

/* Read again: the lake holds all of it, every message is skipped (parsed
 * by the workers, dropped in order). */
static void test_rerun_skips(void **state) {
    fixture *f = *state;
    assert_int_equal(write_input(f, 9000), 0);
    for (int m = 0; m < NMODES; m++) {
        tl_stream_counters c1, c2;
        run_file(f, m, &c1);
        run_file(f, m, &c2);
        assert_int_equal(c2.received, 0);
        assert_int_equal(c2.skipped, c1.received);
        assert_int_equal(c2.commits, 0);
    }
}

/* A partitioned source: reads hand out messages of partitions 0 and 1 in
 * turn; inside its 4th read both partitions are revoked and assigned again
 * (an eager rebalance), then reading goes on where the assignment says. */
typedef struct group_source {
    tl_source base;
    tl_source_hooks hooks;
    int reads;
    int64_t next[2];
    int64_t resumed[2]; /* what the assignment said, -9 before */
    long long t0;       /* event time of offset 0, ms: the same for every run */
    char buf[4096][96];
    int32_t committed_last[2];
} group_source;

static int group_read(tl_source *src, tl_source_msg *out, size_t max, int timeout_ms,
                      tl_err *err) {
    group_source *g = (group_source *)src;
    if (g->reads == 8)
        return TL_ERR_END;
    if (++g->reads == 4) {
        for (int32_t p = 0; p < 2; p++)
            g->hooks.revoke(g->hooks.ud, p);
        for (int32_t p = 0; p < 2; p++) {
            g->resumed[p] = g->hooks.assign(g->hooks.ud, p);
            g->next[p] = g->resumed[p];
        }
    }
    size_t n = max < 1000 ? max : 1000;
    for (size_t i = 0; i < n; i++) {
        int32_t p = (int32_t)(i % 2);
        int64_t off = g->next[p]++;
        if (off % 50 == 7)
            snprintf(g->buf[i], sizeof g->buf[i], "{\"symbol\":\"X\",\"price\":1}");
        else
            snprintf(g->buf[i], sizeof g->buf[i],
                     "{\"symbol\":\"P%d\",\"ts\":%lld,\"price\":1.25,\"seq\":%lld}", (int)p,
                     g->t0 + off, (long long)off);
        out[i] = (tl_source_msg){p, off, g->buf[i], strlen(g->buf[i])};
    }
    return (int)n;
}
static void group_release(tl_source *src) {
    (void)src;
}
static void group_committed(tl_source *src, int32_t partition, int64_t last_offset) {
    ((group_source *)src)->committed_last[partition] = (int32_t)last_offset;
}
static void group_close(tl_source *src) {
    (void)src;
}
static void group_destroy(tl_source *src) {
    (void)src;
}
static const tl_source_ops group_ops = {"group",         group_read,  group_release,
                                        group_committed, group_close, group_destroy};

static void test_revoke_in_a_read(void **state) {
    fixture *f = *state;
    tl_stream_counters c[NMODES];
    long long t0 = tl_now_us() / 1000 - 10000;
    for (int m = 0; m < NMODES; m++) {
        tl_err err = {0};
        tl_stream_opts o = f->opts;
        o.source_id = NULL;
        o.topic = "t";
        o.group = "g";
        o.parse_threads = modes[m];
        tl_stream *st = tl_stream_new(f->store[m], &o, &err);
        assert_non_null(st);
        group_source *g = calloc(1, sizeof *g);
        assert_non_null(g);
        g->base.ops = &group_ops;
        g->resumed[0] = g->resumed[1] = -9;
        g->t0 = t0;
        tl_stream_source_hooks(st, &g->hooks);
        assert_int_equal(tl_stream_run(st, &g->base, NULL, &err), 0);
        /* the revoke made the 3 reads before it durable: 1500 per partition */
        assert_int_equal(g->resumed[0], 1500);
        assert_int_equal(g->resumed[1], 1500);
        assert_int_equal(g->committed_last[0], 3999);
        assert_int_equal(g->committed_last[1], 3999);
        assert_int_equal(tl_stream_resume_offset(st, 0), 4000);
        c[m] = *tl_stream_counters_get(st);
        tl_stream_destroy(st);
        free(g);
    }
    assert_int_equal(c[0].received, 8000);
    assert_int_equal(c[0].rejected, 160);
    assert_true(c[0].commits >= 2); /* the revoke's and the last */
    for (int m = 1; m < NMODES; m++) {
        assert_same_counters(&c[0], &c[m]);
        assert_same_lakes(f, 0, m);
    }
}

static bool stop_after(void *ud) {
    return ++*(int *)ud > 2;
}

/* A stop ingests and commits everything read before it. */
static void test_stop_commits_what_was_read(void **state) {
    fixture *f = *state;
    assert_int_equal(write_input(f, 30000), 0);
    tl_err err = {0};
    tl_stream_opts o = f->opts;
    o.parse_threads = 2;
    tl_stream *st = tl_stream_new(f->store[1], &o, &err);
    assert_non_null(st);
    tl_source *src = tl_source_file_new(f->path, o.max_message_bytes, &err);
    assert_non_null(src);
    int asked = 0;
    tl_stream_run_opts ro = {.stop = stop_after, .ud = &asked};
    assert_int_equal(tl_stream_run(st, src, &ro, &err), 0);
    tl_stream_counters c = *tl_stream_counters_get(st);
    assert_true(c.received > 0);
    assert_true(c.received < 25000);
    assert_int_equal(c.buffered_rows, 0);
    int64_t resume = tl_stream_resume_offset(st, -1);
    tl_source_destroy(src);
    tl_stream_destroy(st);
    /* the rest, on the single thread, continues right after */
    o.parse_threads = 1;
    st = tl_stream_new(f->store[1], &o, &err);
    assert_non_null(st);
    assert_int_equal(tl_stream_resume_offset(st, -1), resume);
    src = tl_source_file_new(f->path, o.max_message_bytes, &err);
    assert_int_equal(tl_stream_run(st, src, NULL, &err), 0);
    uint64_t rest = tl_stream_counters_get(st)->received;
    tl_source_destroy(src);
    tl_stream_destroy(st);
    tl_stream_counters one;
    run_file(f, 0, &one); /* all of it on one thread, into another lake */
    assert_int_equal(c.received + rest, one.received);
    char *a = tl_test_query_csv(f->store[0], lake_queries[0]);
    char *b = tl_test_query_csv(f->store[1], lake_queries[0]);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_as_single_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rerun_skips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoke_in_a_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_commits_what_was_read, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
