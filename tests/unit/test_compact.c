/* Compaction and vacuum on a real fs lake: which partitions are chosen,
 * that the rewrite keeps every row and sorts it, late data re-compaction,
 * split outputs, retry after a conflicting concurrent commit, and vacuum's
 * rules (removed past retention, orphans past max(retention, 1h), never a
 * live file). Rows are written with the duck module, as the stream does. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include <cmocka.h>

#include "compact/compact.h"
#include "duck/duck.h"
#include "lake/lake.h"
#include "store/store.h"
#include "tl_test.h"
#include "tl_test_lake.h"
#include "tables/tables.h"
#include "util/clock.h"

#define HOUR_US (3600LL * 1000000)
/* 2026-11-24T10:00:00Z */
#define H10 (1795514400LL * 1000000)
/* a clock at which hour 10 is closed (13:00) */
#define CLOSED (H10 / 1000 + 3 * 3600 * 1000)

typedef struct fixture {
    char root[128];
    tl_store *s;
    tl_duck *d;
    int64_t seq;       /* unique seq per written tick */
    int64_t dl_offset; /* last offset of a written dead letter */
} fixture;

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    tl_err err = {0};
    if (tl_test_store(fx->root, sizeof fx->root, "compact-test", &fx->s) != 0)
        return -1;
    fx->d = tl_duck_open(NULL, 0, NULL, &err);
    if (!fx->s || !fx->d ||
        tl_table_create(fx->s, &tl_ticks_table, NULL, &err) != 0)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    fixture *fx = *state;
    tl_duck_close(fx->d);
    int rc = tl_test_store_free(fx->root, fx->s);
    free(fx);
    return rc;
}

/* Commit one file of n ticks into the hour (tl_test_lake.h); returns the
 * commit version. */
static int64_t write_file(fixture *fx, int64_t hour_us, int n) {
    tl_err err = {0};
    int64_t v = tl_test_commit_ticks(fx->s, fx->d, fx->root, hour_us, n, &fx->seq, &err);
    if (v < 0)
        fail_msg("writing a test file: %s", err.msg);
    return v;
}

static tl_lake_snapshot *load(fixture *fx) {
    tl_err err = {0};
    tl_lake_snapshot *snap;
    assert_int_equal(tl_lake_snapshot_load(fx->s, TL_TICKS_TABLE, NULL, &snap, &err), 0);
    return snap;
}

/* Live files of the hour. */
static size_t files_in(fixture *fx, int64_t hour_us) {
    tl_lake_snapshot *snap = load(fx);
    size_t n = 0;
    for (size_t i = 0; i < tl_lake_snapshot_num_files(snap); i++) {
        const tl_lake_file *f = tl_lake_snapshot_file(snap, i);
        int64_t h;
        n +=
            tl_ticks_file_hour(f->partition_values, f->n_partition_values, &h) == 0 && h == hour_us;
    }
    tl_lake_snapshot_free(snap);
    return n;
}

static int grab(void *ud, int ncols, const char *const *v) {
    tl_buf *b = ud;
    for (int i = 0; i < ncols; i++)
        tl_buf_printf(b, "%s%s", i ? "|" : "", v[i] ? v[i] : "NULL");
    tl_buf_puts(b, "\n");
    return 0;
}

static tl_lake_snapshot *load_table(fixture *fx, const char *table) {
    tl_err err = {0};
    tl_lake_snapshot *snap;
    assert_int_equal(tl_lake_snapshot_load(fx->s, table, NULL, &snap, &err), 0);
    return snap;
}

/* Run sql over the live files of the table's snapshot as view t (with the
 * file's row number, to check order); the rendered rows are returned. */
static char *query_table(fixture *fx, const char *table, const char *select) {
    tl_lake_snapshot *snap = load_table(fx, table);
    tl_buf sql = TL_BUF_INIT, out = TL_BUF_INIT;
    tl_buf_puts(&sql, "CREATE OR REPLACE VIEW t AS SELECT * FROM read_parquet([");
    for (size_t i = 0; i < tl_lake_snapshot_num_files(snap); i++)
        tl_buf_printf(&sql, "%s'%s/%s/%s'", i ? "," : "", fx->root, table,
                      tl_lake_snapshot_file(snap, i)->path);
    tl_buf_puts(&sql, "], hive_partitioning=false, filename=true, file_row_number=true)");
    tl_lake_snapshot_free(snap);
    tl_err err = {0};
    if (tl_duck_exec(fx->d, sql.data, &err) != 0)
        fail_msg("%s", err.msg);
    if (tl_duck_query_each(fx->d, select, grab, &out, &err) != 0)
        fail_msg("%s", err.msg);
    tl_buf_free(&sql);
    return out.data ? out.data : strdup("");
}

static char *query_live(fixture *fx, const char *select) {
    return query_table(fx, TL_TICKS_TABLE, select);
}

#define AGG                                                                                        \
    "SELECT symbol, count(*), min(price), max(price), sum(price), sum(size), count(DISTINCT seq) " \
    "FROM t GROUP BY 1 ORDER BY 1"
/* Rows out of (symbol, ts) order inside any file. */
#define UNSORTED                                                                                   \
    "SELECT count(*) FROM (SELECT symbol, ts, lag(symbol) OVER w AS ps, lag(ts) OVER w AS pt "     \
    "FROM t WINDOW w AS (PARTITION BY filename ORDER BY file_row_number)) "                        \
    "WHERE ps IS NOT NULL AND (symbol < ps OR (symbol = ps AND ts < pt))"

static tl_compact_opts opts(int64_t now_ms) {
    tl_compact_opts o = {
        .min_files = 8, .target_file_size = 128LL << 20, .lateness_ms = 10000, .now_ms = now_ms};
    return o;
}

/* An open hour waits for min_files small files; a closed hour with more
 * than one file is compacted; one file alone is left alone. */
static void test_plan_rules(void **state) {
    fixture *fx = *state;
    for (int i = 0; i < 7; i++)
        write_file(fx, H10, 50);
    write_file(fx, H10 + HOUR_US, 50);
    tl_compact_opts o = opts(H10 / 1000 + 30 * 60 * 1000); /* 10:30: hour 10 open */
    o.dry_run = true;
    tl_compact_stats st;
    tl_err err = {0};
    assert_int_equal(tl_compact_run(fx->s, &o, &st, &err), 0);
    assert_int_equal(st.partitions, 0);
    write_file(fx, H10, 50);
    assert_int_equal(tl_compact_run(fx->s, &o, &st, &err), 0);
    assert_int_equal(st.partitions, 1);
    assert_int_equal(st.files_before, 8);
    assert_int_equal(st.rows, 400);
    assert_int_equal(files_in(fx, H10), 8); /* dry run changed nothing */
    /* at 13:00 both hours are closed; hour 11 has one file only */
    o = opts(H10 / 1000 + 3 * 3600 * 1000);
    assert_int_equal(tl_compact_run(fx->s, &o, &st, &err), 0);
    assert_int_equal(st.partitions, 1);
    assert_int_equal(files_in(fx, H10), 1);
    assert_int_equal(files_in(fx, H10 + HOUR_US), 1);
    /* re-running is a no-op */
    int64_t v = st.version;
    assert_int_equal(tl_compact_run(fx->s, &o, &st, &err), 0);
    assert_int_equal(st.partitions, 0);
    tl_lake_snapshot *snap = load(fx);
    assert_int_equal(tl_lake_snapshot_version(snap), v);
    tl_lake_snapshot_free(snap);
}

/* Same aggregates before and after, every output sorted, dataChange=false. */
static void test_rewrite_keeps_rows_sorted(void **state) {
    fixture *fx = *state;
    for (int i = 0; i < 10; i++)
        write_file(fx, H10, 97);
    char *before = query_live(fx, AGG);
    char *unsorted = query_live(fx, UNSORTED);
    assert_string_not_equal(unsorted, "0\n"); /* the inputs really are unsorted */
    free(unsorted);
    tl_compact_opts o = opts(CLOSED);
    tl_compact_stats st;
    tl_err err = {0};
    assert_int_equal(tl_compact_run(fx->s, &o, &st, &err), 0);
    assert_int_equal(st.files_before, 10);
    assert_int_equal(st.files_after, 1);
    assert_int_equal(st.rows, 970);
    char *after = query_live(fx, AGG);
    assert_string_equal(before, after);
    unsorted = query_live(fx, UNSORTED);
    assert_string_equal(unsorted, "0\n");
    tl_lake_snapshot *snap = load(fx);
    assert_int_equal(tl_lake_snapshot_num_files(snap), 1);
    const tl_lake_file *f = tl_lake_snapshot_file(snap, 0);
    assert_false(f->data_change);
    assert_non_null(strstr(f->stats, "\"numRecords\":970,"));
    assert_non_null(strstr(f->stats, "\"symbol\":\"S0\""));
    assert_int_equal(tl_lake_snapshot_num_tombstones(snap), 10);
    assert_false(tl_lake_snapshot_tombstone(snap, 0)->data_change);
    /* one deletion time for the rewrite's removals: readers tell a
     * compaction's files by it (the dashboard's "N files rewritten") */
    for (size_t i = 1; i < 10; i++)
        assert_int_equal(tl_lake_snapshot_tombstone(snap, i)->deletion_timestamp,
                         tl_lake_snapshot_tombstone(snap, 0)->deletion_timestamp);
    tl_lake_snapshot_free(snap);
    free(before);
    free(after);
    free(unsorted);
}

/* Late ticks into a compacted closed hour: merged with the big file. */
static void test_late_data_recompacted(void **state) {
    fixture *fx = *state;
    for (int i = 0; i < 3; i++)
        write_file(fx, H10, 200);
    tl_compact_opts o = opts(CLOSED);
    tl_compact_stats st;
    tl_err err = {0};
    assert_int_equal(tl_compact_run(fx->s, &o, &st, &err), 0);
    assert_int_equal(files_in(fx, H10), 1);
    write_file(fx, H10, 5); /* late */
    write_file(fx, H10, 5);
    char *before = query_live(fx, AGG);
    assert_int_equal(tl_compact_run(fx->s, &o, &st, &err), 0);
    assert_int_equal(st.files_before, 3); /* the big file is merged too */
    assert_int_equal(files_in(fx, H10), 1);
    char *after = query_live(fx, AGG), *unsorted = query_live(fx, UNSORTED);
    assert_string_equal(before, after);
    assert_string_equal(unsorted, "0\n");
    free(before);
    free(after);
    free(unsorted);
}

/* A small target splits the hour into files over disjoint symbol ranges. */
static void test_split_outputs(void **state) {
    fixture *fx = *state;
    int64_t total = 0;
    for (int i = 0; i < 6; i++)
        write_file(fx, H10, 400);
    tl_lake_snapshot *snap = load(fx);
    for (size_t i = 0; i < tl_lake_snapshot_num_files(snap); i++)
        total += tl_lake_snapshot_file(snap, i)->size;
    tl_lake_snapshot_free(snap);
    char *before = query_live(fx, AGG);
    tl_compact_opts o = opts(CLOSED);
    o.target_file_size = total / 3;
    tl_compact_stats st;
    tl_err err = {0};
    assert_int_equal(tl_compact_run(fx->s, &o, &st, &err), 0);
    assert_int_equal(st.files_after, 3);
    char *after = query_live(fx, AGG), *unsorted = query_live(fx, UNSORTED);
    assert_string_equal(before, after);
    assert_string_equal(unsorted, "0\n");
    /* no symbol in two files */
    char *shared = query_live(fx, "SELECT count(*) FROM (SELECT symbol FROM t GROUP BY symbol "
                                  "HAVING count(DISTINCT filename) > 1)");
    assert_string_equal(shared, "0\n");
    /* the outputs of one run are not compacted again */
    assert_int_equal(tl_compact_run(fx->s, &o, &st, &err), 0);
    assert_int_equal(st.partitions, 0);
    free(before);
    free(after);
    free(unsorted);
    free(shared);
}

/* Symbols whose byte order is not the obvious one: lower case after upper,
 * a prefix before what extends it, empty, a quote, a space, UTF-8 past
 * ASCII. */
static const char *const odd_symbols[] = {"b", "B", "", "O'NEIL", "\xc3\x84PFEL", "A",
                                          "AA", "A A", "a", "Z~", "zz"};
#define N_ODD (sizeof odd_symbols / sizeof *odd_symbols)

/* One file of n ticks over odd_symbols, unsorted, in hour 10. */
static void write_odd(fixture *fx, int n) {
    tl_tick_row *rows = calloc((size_t)n, sizeof *rows);
    assert_non_null(rows);
    for (int i = 0; i < n; i++) {
        int64_t k = ++fx->seq;
        tl_tick *t = &rows[i].tick;
        snprintf(t->symbol, sizeof t->symbol, "%s", odd_symbols[(k * 7) % N_ODD]);
        t->ts_us = H10 + ((k * 7919) % 3600) * 1000000;
        t->price = (100 + k % 50) * TL_MICROS;
        t->seq = k;
        t->has = TL_TICK_HAS_SEQ;
        rows[i].src_partition = -1;
        rows[i].src_offset = k;
        rows[i].ingest_ts_us = tl_now_us();
    }
    tl_err err = {0};
    if (tl_test_commit_tick_rows(fx->s, fx->d, fx->root, H10, rows, n, fx->seq, &err) < 0)
        fail_msg("writing a test file: %s", err.msg);
    free(rows);
}

/* The sort key is an ENUM of the partition's symbols (compact_write.c): the
 * rows still come out in exactly ORDER BY symbol, ts order, into one file
 * and split over several, every row kept. */
static void test_sort_key_odd_symbols(void **state) {
    fixture *fx = *state;
    for (int i = 0; i < 4; i++)
        write_odd(fx, 60);
    char *before = query_live(fx, AGG), *unsorted = query_live(fx, UNSORTED);
    assert_string_not_equal(unsorted, "0\n"); /* the inputs really are unsorted */
    free(unsorted);
    tl_compact_opts o = opts(CLOSED);
    tl_compact_stats st;
    tl_err err = {0};
    assert_int_equal(tl_compact_run(fx->s, &o, &st, &err), 0);
    assert_int_equal(st.files_after, 1);
    char *after = query_live(fx, AGG);
    unsorted = query_live(fx, UNSORTED);
    assert_string_equal(before, after);
    assert_string_equal(unsorted, "0\n");
    /* every symbol there, in ORDER BY's order: the file's distinct symbols
     * in file order equal them sorted */
    char *seen = query_live(fx, "SELECT string_agg(symbol, '|' ORDER BY r) FROM (SELECT symbol, "
                                "min(file_row_number) AS r FROM t GROUP BY 1)");
    char *want = query_live(fx, "SELECT string_agg(symbol, '|' ORDER BY symbol) FROM "
                                "(SELECT DISTINCT symbol FROM t)");
    assert_string_equal(seen, want);
    free(seen);
    free(want);
    free(before);
    free(after);
    free(unsorted);

    /* more files, a small target: the closed hour is merged into three
     * outputs over disjoint symbol ranges */
    for (int i = 0; i < 4; i++)
        write_odd(fx, 60);
    before = query_live(fx, AGG);
    tl_lake_snapshot *snap = load(fx);
    int64_t total = 0;
    for (size_t i = 0; i < tl_lake_snapshot_num_files(snap); i++)
        total += tl_lake_snapshot_file(snap, i)->size;
    tl_lake_snapshot_free(snap);
    o.target_file_size = total / 3;
    assert_int_equal(tl_compact_run(fx->s, &o, &st, &err), 0);
    assert_true(st.files_after >= 2);
    assert_int_equal(st.rows, 480);
    after = query_live(fx, AGG);
    unsorted = query_live(fx, UNSORTED);
    char *shared = query_live(fx, "SELECT count(*) FROM (SELECT symbol FROM t GROUP BY symbol "
                                  "HAVING count(DISTINCT filename) > 1)");
    assert_string_equal(before, after);
    assert_string_equal(unsorted, "0\n");
    assert_string_equal(shared, "0\n");
    free(before);
    free(after);
    free(unsorted);
    free(shared);
}

/* A concurrent commit removes an input while the rewrite runs: the commit
 * conflicts, the partition is re-planned and rewritten, no output of the
 * failed attempt stays behind. */
typedef struct race {
    fixture *fx;
    int fired;
} race;

static void delete_one_input(void *ud, size_t done, size_t total, const char *dir, size_t files,
                             int64_t bytes) {
    (void)done, (void)total, (void)files, (void)bytes;
    race *r = ud;
    if (!dir || r->fired++)
        return;
    tl_lake_snapshot *snap = load(r->fx);
    tl_err err = {0};
    tl_lake_tx *tx = tl_lake_tx_new("DELETE", NULL, &err);
    assert_int_equal(tl_lake_tx_remove(tx, tl_lake_snapshot_file(snap, 0), true, 0, &err), 0);
    assert_int_equal(
        tl_lake_commit(r->fx->s, TL_TICKS_TABLE, tx, tl_lake_snapshot_version(snap), NULL, &err),
        0);
    tl_lake_tx_destroy(tx);
    tl_lake_snapshot_free(snap);
}

static void test_conflict_retried(void **state) {
    fixture *fx = *state;
    for (int i = 0; i < 4; i++)
        write_file(fx, H10, 25);
    race r = {fx, 0};
    tl_compact_opts o = opts(CLOSED);
    o.progress = delete_one_input;
    o.progress_ud = &r;
    tl_compact_stats st;
    tl_err err = {0};
    assert_int_equal(tl_compact_run(fx->s, &o, &st, &err), 0);
    assert_int_equal(st.conflicts, 1);
    assert_int_equal(st.files_before, 3);
    assert_int_equal(st.rows, 75);
    assert_int_equal(files_in(fx, H10), 1);
    char *n = query_live(fx, "SELECT count(*) FROM t");
    assert_string_equal(n, "75\n");
    free(n);
    /* on disk: 4 inputs + the one output; the failed attempt's is gone */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "test $(ls '%s/ticks/year=2026/month=11/day=24/hour=10' | wc -l) = 5",
             fx->root);
    assert_int_equal(system(cmd), 0);
}

static void on_vacuumed(void *ud, const char *table, const char *path, int64_t size,
                        const char *why) {
    (void)table, (void)size;
    tl_buf *b = ud;
    tl_buf_printf(b, "%s:%s\n", why, strrchr(path, '/') + 1);
}

static void age(fixture *fx, const char *rel, int64_t secs) {
    char p[512];
    snprintf(p, sizeof p, "%s/ticks/%s", fx->root, rel);
    struct utimbuf ub = {time(NULL) - secs, time(NULL) - secs};
    assert_int_equal(utime(p, &ub), 0);
}

static int64_t table_version(fixture *fx) {
    tl_lake_snapshot *snap;
    tl_err err = {0};
    assert_int_equal(tl_lake_snapshot_load(fx->s, TL_TICKS_TABLE, NULL, &snap, &err), 0);
    int64_t v = tl_lake_snapshot_version(snap);
    tl_lake_snapshot_free(snap);
    return v;
}

/* Does commit v of the ticks table contain every one of the strings? */
static void assert_commit_has(fixture *fx, int64_t v, ...) {
    char key[256];
    tl_buf text = TL_BUF_INIT;
    tl_err err = {0};
    assert_int_equal(tl_lake_log_key(TL_TICKS_TABLE, v, key, sizeof key), 0);
    assert_int_equal(tl_store_get(fx->s, key, &text, &err), 0);
    va_list ap;
    va_start(ap, v);
    for (const char *want; (want = va_arg(ap, const char *));) {
        if (!strstr(text.data, want))
            fail_msg("commit %" PRId64 " lacks %s:\n%s", v, want, text.data);
    }
    va_end(ap);
    /* commitInfo only: no add, remove or txn line */
    assert_null(strstr(text.data, "\"add\""));
    assert_null(strstr(text.data, "\"remove\""));
    assert_null(strstr(text.data, "\"txn\""));
    assert_int_equal(strchr(text.data, '\n') - text.data + 1, (ptrdiff_t)text.len);
    tl_buf_free(&text);
}

/* A cancel token that says yes at its n-th question. */
typedef struct cancel_at {
    int asked, yes_at;
} cancel_at;

static bool cancel_nth(void *ud, char *why, size_t cap) {
    cancel_at *c = ud;
    snprintf(why, cap, "test");
    return ++c->asked >= c->yes_at;
}

/* Files under the hour's folder whose name starts with part-compact. */
static size_t compact_outputs(fixture *fx) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "find '%s/ticks' -name 'part-compact*' | wc -l", fx->root);
    FILE *p = popen(cmd, "r");
    size_t n = 0;
    assert_int_equal(fscanf(p, "%zu", &n), 1);
    pclose(p);
    return n;
}

/* Cancelled at the last safe point, right before the commit: the outputs
 * it uploaded are deleted and the snapshot is the one it started from. */
static void test_cancel_leaves_snapshot(void **state) {
    fixture *fx = *state;
    int64_t v0 = -1;
    for (int i = 0; i < 3; i++)
        v0 = write_file(fx, H10, 40);
    for (int yes_at = 1; yes_at <= 2; yes_at++) { /* before the partition, before its commit */
        cancel_at ca = {.yes_at = yes_at};
        tl_cancel cancel = {.requested = cancel_nth, .ud = &ca};
        tl_compact_opts o = opts(CLOSED);
        o.cancel = &cancel;
        tl_compact_stats st;
        tl_err err = {0};
        assert_int_equal(tl_compact_run(fx->s, &o, &st, &err), TL_ERR_STOPPED);
        assert_non_null(strstr(err.msg, "compact: cancelled: test"));
        assert_int_equal(ca.asked, yes_at);
        assert_int_equal(table_version(fx), v0);
        assert_int_equal(files_in(fx, H10), 3);
        assert_int_equal(compact_outputs(fx), 0);
        assert_int_equal(st.partitions, 0);
    }
    /* not cancelled: it commits */
    tl_compact_opts o = opts(CLOSED);
    tl_compact_stats st;
    tl_err err = {0};
    assert_int_equal(tl_compact_run(fx->s, &o, &st, &err), 0);
    assert_int_equal(table_version(fx), v0 + 1);
    assert_int_equal(files_in(fx, H10), 1);
}

static void test_vacuum_rules(void **state) {
    fixture *fx = *state;
    for (int i = 0; i < 3; i++)
        write_file(fx, H10, 20);
    tl_compact_opts o = opts(CLOSED);
    tl_compact_stats st;
    tl_err err = {0};
    assert_int_equal(tl_compact_run(fx->s, &o, &st, &err), 0);
    /* an orphan, as a killed writer leaves it */
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "echo x > '%s/ticks/year=2026/month=11/day=24/hour=10/orphan.parquet'", fx->root);
    assert_int_equal(system(cmd), 0);
    tl_buf log = TL_BUF_INIT;
    tl_vacuum_opts vo = {.retain_ms = 3600 * 1000, .on_file = on_vacuumed, .ud = &log};
    tl_vacuum_stats vs = {0};
    /* removed 0 s ago, orphan fresh: 1h retention keeps all */
    int64_t v0 = table_version(fx);
    assert_int_equal(tl_vacuum_table(fx->s, TL_TICKS_TABLE, &vo, &vs, &err), 0);
    assert_int_equal(vs.files, 0);
    assert_int_equal(vs.kept_recent, 4);
    assert_int_equal(table_version(fx), v0); /* nothing deleted: no commit */
    /* retention 0: the removed inputs go; the fresh orphan stays (1h floor) */
    vo.retain_ms = 0;
    vo.dry_run = true;
    memset(&vs, 0, sizeof vs);
    usleep(2000);
    assert_int_equal(tl_vacuum_table(fx->s, TL_TICKS_TABLE, &vo, &vs, &err), 0);
    assert_int_equal(vs.files, 3);
    snprintf(cmd, sizeof cmd, "test $(ls '%s/ticks/year=2026/month=11/day=24/hour=10' | wc -l) = 5",
             fx->root);
    assert_int_equal(system(cmd), 0); /* dry run deleted nothing */
    assert_int_equal(table_version(fx), v0); /* and committed nothing */
    vo.dry_run = false;
    memset(&vs, 0, sizeof vs);
    assert_int_equal(tl_vacuum_table(fx->s, TL_TICKS_TABLE, &vo, &vs, &err), 0);
    assert_int_equal(vs.files, 3);
    /* Delta's VACUUM START / VACUUM END commits around the deletion, as
     * Spark and delta-rs write them (history() shows them) */
    assert_int_equal(table_version(fx), v0 + 2);
    assert_commit_has(fx, v0 + 1, "\"operation\":\"VACUUM START\"",
                      "\"specifiedRetentionMillis\":\"0\"", "\"numFilesToDelete\":\"3\"",
                      "\"sizeOfDataToDelete\":\"", NULL);
    assert_commit_has(fx, v0 + 2, "\"operation\":\"VACUUM END\"", "\"status\":\"COMPLETED\"",
                      "\"numDeletedFiles\":\"3\"", NULL);
    age(fx, "year=2026/month=11/day=24/hour=10/orphan.parquet", 2 * 3600);
    memset(&vs, 0, sizeof vs);
    tl_buf_reset(&log);
    assert_int_equal(tl_vacuum_table(fx->s, TL_TICKS_TABLE, &vo, &vs, &err), 0);
    assert_int_equal(vs.files, 1);
    assert_string_equal(log.data, "orphan:orphan.parquet\n");
    assert_int_equal(table_version(fx), v0 + 4);
    assert_commit_has(fx, v0 + 4, "\"operation\":\"VACUUM END\"", "\"numDeletedFiles\":\"1\"",
                      NULL);
    /* the live file is still there and readable */
    char *n = query_live(fx, "SELECT count(*) FROM t");
    assert_string_equal(n, "60\n");
    free(n);
    snprintf(cmd, sizeof cmd, "test $(ls '%s/ticks/year=2026/month=11/day=24/hour=10' | wc -l) = 1",
             fx->root);
    assert_int_equal(system(cmd), 0);
    tl_buf_free(&log);
}

/* ---- the dead-letter table ------------------------------------------------- */

/* 2026-11-24T00:00:00Z, the day of H10 */
#define DAY_US (24 * HOUR_US)
#define D24 (H10 - 10 * HOUR_US)

static void write_dead(fixture *fx, int64_t day_us, int n) {
    tl_err err = {0};
    if (tl_test_commit_dead(fx->s, fx->d, fx->root, day_us, n, &fx->dl_offset, &err) < 0)
        fail_msg("writing a dead-letter file: %s", err.msg);
}

/* Live dead-letter files of the day. */
static size_t dead_files_in(fixture *fx, int64_t day_us) {
    tl_lake_snapshot *snap = load_table(fx, TL_DEADLETTER_TABLE);
    size_t n = 0;
    for (size_t i = 0; i < tl_lake_snapshot_num_files(snap); i++) {
        const tl_lake_file *f = tl_lake_snapshot_file(snap, i);
        int64_t d;
        n += tl_deadletter_file_day(f->partition_values, f->n_partition_values, &d) == 0 &&
             d == day_us;
    }
    tl_lake_snapshot_free(snap);
    return n;
}

/* Every dead letter, every column (the partition's date from the file's
 * folder: the view reads it so). */
#define DEAD_ROWS                                                                                  \
    "SELECT reason, message, raw, raw_base64, source, src_partition, src_offset, received_ts, "   \
    "regexp_extract(filename, 'date=([0-9-]+)/', 1) AS date FROM t "                               \
    "ORDER BY source, src_partition, src_offset"
/* Rows out of (source, src_partition, src_offset) order inside any file
 * of the 24th. */
#define DEAD_UNSORTED                                                                              \
    "SELECT count(*) FROM (SELECT source AS s, src_offset AS o, lag(source) OVER w AS ps, "       \
    "lag(src_offset) OVER w AS po FROM t WHERE filename LIKE '%/date=2026-11-24/%' "              \
    "WINDOW w AS (PARTITION BY filename ORDER BY file_row_number)) "                               \
    "WHERE ps IS NOT NULL AND (s < ps OR (s = ps AND o < po))"

/* Dead letters are compacted by day like ticks by hour: an open day waits
 * for min_files small files, a closed one with more than one file is
 * merged, re-runs are no-ops; every row (each column, the raw bytes and
 * the date included) is kept once, sorted by (source, src_partition,
 * src_offset); the outputs' statistics give the offsets and leave the
 * free-text columns out. tl_compact_lake does both tables, ticks first. */
static void test_deadletter_compacted(void **state) {
    fixture *fx = *state;
    tl_err err = {0};
    assert_int_equal(tl_table_create(fx->s, &tl_deadletter_table, NULL, &err), 0);
    for (int i = 0; i < 3; i++)
        write_dead(fx, D24, 40);
    write_dead(fx, D24 + DAY_US, 40);
    for (int i = 0; i < 2; i++)
        write_file(fx, H10, 30);
    char *unsorted = query_table(fx, TL_DEADLETTER_TABLE, DEAD_UNSORTED);
    assert_string_not_equal(unsorted, "0\n"); /* the inputs really are unsorted */
    free(unsorted);

    /* noon of the 24th: that day is open, and 3 files are fewer than 4 */
    tl_compact_opts o = opts(D24 / 1000 + 12 * 3600 * 1000);
    o.min_files = 4;
    o.dry_run = true;
    tl_compact_stats st[TL_COMPACT_NTABLES];
    assert_int_equal(tl_compact_lake(fx->s, &o, st, &err), 0);
    assert_int_equal(st[1].partitions, 0);
    write_dead(fx, D24, 40);
    assert_int_equal(tl_compact_lake(fx->s, &o, st, &err), 0);
    assert_int_equal(st[1].partitions, 1);
    assert_int_equal(st[1].files_before, 4);
    assert_int_equal(st[1].rows, 160);
    assert_int_equal(dead_files_in(fx, D24), 4); /* a dry run changes nothing */
    /* --partition names an hour of ticks: the dead letters are left alone */
    o.has_hour = true;
    o.hour_us = H10;
    assert_int_equal(tl_compact_lake(fx->s, &o, st, &err), 0);
    assert_int_equal(st[1].partitions, 0);
    o.has_hour = false;

    char *before = query_table(fx, TL_DEADLETTER_TABLE, DEAD_ROWS);
    o.dry_run = false;
    assert_int_equal(tl_compact_lake(fx->s, &o, st, &err), 0);
    assert_int_equal(st[0].partitions, 1); /* ticks first: hour 10 is closed at noon */
    assert_int_equal(st[1].partitions, 1);
    assert_int_equal(st[1].files_after, 1);
    assert_int_equal(st[1].rows, 160);
    assert_int_equal(dead_files_in(fx, D24), 1);
    assert_int_equal(dead_files_in(fx, D24 + DAY_US), 1);
    tl_lake_snapshot *snap = load_table(fx, TL_DEADLETTER_TABLE);
    const tl_lake_file *out = NULL;
    for (size_t i = 0; i < tl_lake_snapshot_num_files(snap); i++)
        if (strstr(tl_lake_snapshot_file(snap, i)->path, "date=2026-11-24/part-compact-"))
            out = tl_lake_snapshot_file(snap, i);
    assert_non_null(out);
    assert_false(out->data_change);
    assert_non_null(strstr(out->stats, "\"numRecords\":160,"));
    assert_non_null(strstr(out->stats, "\"src_offset\":1,"));   /* the min */
    assert_non_null(strstr(out->stats, "\"src_offset\":200,")); /* the max */
    assert_non_null(strstr(out->stats, "\"source\":\"src-a\""));
    assert_non_null(strstr(out->stats, "\"received_ts\":\"2026-11-24T"));
    /* no min/max of free text (a 5000-byte raw message, braces, quotes) */
    assert_null(strstr(out->stats, "\"raw\":\""));
    assert_null(strstr(out->stats, "\"message\":\""));
    assert_null(strstr(out->stats, "\"raw_base64\":\""));
    assert_int_equal(tl_lake_snapshot_num_tombstones(snap), 4);
    tl_lake_snapshot_free(snap);
    char *after = query_table(fx, TL_DEADLETTER_TABLE, DEAD_ROWS);
    assert_string_equal(before, after);
    unsorted = query_table(fx, TL_DEADLETTER_TABLE, DEAD_UNSORTED);
    assert_string_equal(unsorted, "0\n");
    free(unsorted);

    /* a late file into the 25th; on the 26th both days are closed: the
     * 25th (two files) is merged, the 24th (one compaction's output) and
     * the ticks' hour 10 (likewise) are left alone */
    write_dead(fx, D24 + DAY_US, 3);
    free(before);
    before = query_table(fx, TL_DEADLETTER_TABLE, DEAD_ROWS);
    o = opts((D24 + 2 * DAY_US) / 1000 + 3600 * 1000);
    assert_int_equal(tl_compact_lake(fx->s, &o, st, &err), 0);
    assert_int_equal(st[0].partitions, 0);
    assert_int_equal(st[1].partitions, 1);
    assert_int_equal(st[1].files_before, 2);
    assert_int_equal(st[1].rows, 43);
    assert_int_equal(dead_files_in(fx, D24), 1);
    assert_int_equal(dead_files_in(fx, D24 + DAY_US), 1);
    free(after);
    after = query_table(fx, TL_DEADLETTER_TABLE, DEAD_ROWS);
    assert_string_equal(before, after);
    char *n = query_table(fx, TL_DEADLETTER_TABLE,
                          "SELECT count(*), count(DISTINCT (source, src_offset)) FROM t");
    assert_string_equal(n, "203|203\n");
    free(n);
    /* re-running is a no-op */
    assert_int_equal(tl_compact_lake(fx->s, &o, st, &err), 0);
    assert_int_equal(st[0].partitions + st[1].partitions, 0);
    free(before);
    free(after);
}

/* A table compaction does not know is refused; one not created yet (a
 * lake from before dead letters existed) has nothing to compact. */
static void test_compact_tables(void **state) {
    fixture *fx = *state;
    tl_compact_opts o = opts(CLOSED);
    o.table = "quotes";
    tl_compact_stats st, per[TL_COMPACT_NTABLES];
    tl_err err = {0};
    assert_int_equal(tl_compact_run(fx->s, &o, &st, &err), TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "quotes"));
    for (int i = 0; i < 3; i++)
        write_file(fx, H10, 10);
    err = (tl_err){0};
    assert_int_equal(tl_compact_lake(fx->s, &o, per, &err), 0);
    assert_int_equal(per[0].partitions, 1);
    assert_int_equal(per[1].partitions, 0);
    assert_int_equal(per[1].version, -1);
}

static void test_parse_partition(void **state) {
    (void)state;
    int64_t h;
    tl_err err = {0};
    assert_int_equal(tl_compact_parse_partition("year=2026,month=11,day=24,hour=10", &h, &err), 0);
    assert_int_equal(h, H10);
    assert_int_equal(tl_compact_parse_partition("year=2026/month=11/day=24/hour=11", &h, &err), 0);
    assert_int_equal(h, H10 + HOUR_US);
    assert_int_equal(tl_compact_parse_partition("year=2026,month=11,day=24", &h, &err),
                     TL_ERR_INVALID);
    assert_int_equal(tl_compact_parse_partition("year=2026,month=13,day=24,hour=1", &h, &err),
                     TL_ERR_INVALID);
    assert_int_equal(tl_compact_parse_partition("yr=2026,month=11,day=24,hour=1", &h, &err),
                     TL_ERR_INVALID);
    assert_int_equal(tl_compact_parse_partition("year=x,month=11,day=24,hour=1", &h, &err),
                     TL_ERR_INVALID);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plan_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rewrite_keeps_rows_sorted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sort_key_odd_symbols, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_data_recompacted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_outputs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_leaves_snapshot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflict_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vacuum_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadletter_compacted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compact_tables, setup, teardown),
        cmocka_unit_test(test_parse_partition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
