/* Data-quality signals: seq gaps (and a late tick filling one back), a
 * producer renumbering, price jumps beyond the configured sigmas after the
 * warm-up (counted, the tick still observed), crossed quotes, staleness, and
 * both renderings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "quality/quality.h"

#define S 1000000LL  /* µs per second */
#define P 1000000LL  /* micro-units per dollar */
#define NQ TL_QUALITY_NO_QUOTE

static void test_seq_gaps(void **state) {
    (void)state;
    tl_quality *q = tl_quality_new(NULL);
    assert_non_null(q);
    int64_t seqs[] = {1, 2, 3, 8, 9, 5, 5, 10, 12};
    for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++)
        tl_quality_observe(q, "AAA", (int64_t)i * S, seqs[i], 100 * P, NQ, NQ);
    tl_quality_symbol f;
    assert_true(tl_quality_get(q, "AAA", &f));
    /* 3 -> 8 skips 4..7 (one gap, 4 missing); 5 arrives late (3 left, the
     * repeat of 5 changes nothing); 10 -> 12 skips 11 */
    assert_int_equal(f.seq_gaps, 2);
    assert_int_equal(f.seq_missing, 4);
    assert_int_equal(f.max_seq, 12);
    assert_int_equal(f.ticks, 9);
    /* a restart on a new base is not a gap */
    tl_quality_observe(q, "AAA", 20 * S, 5000000000LL, 100 * P, NQ, NQ);
    tl_quality_observe(q, "AAA", 21 * S, 5000000001LL, 100 * P, NQ, NQ);
    assert_true(tl_quality_get(q, "AAA", &f));
    assert_int_equal(f.seq_gaps, 2);
    assert_int_equal(f.seq_missing, 4);
    /* ticks without seq are not judged */
    tl_quality_observe(q, "BBB", 0, TL_QUALITY_NO_SEQ, 100 * P, NQ, NQ);
    assert_true(tl_quality_get(q, "BBB", &f));
    assert_int_equal(f.seq_gaps, 0);
    assert_false(tl_quality_get(q, "CCC", &f));
    tl_quality_destroy(q);
}

static void test_jumps_and_crossed(void **state) {
    (void)state;
    tl_quality_opts o = {.jump_sigmas = 5, .warmup = 20};
    tl_quality *q = tl_quality_new(&o);
    int64_t price = 100 * P;
    /* small moves alternating up and down: one cent either way */
    for (int i = 0; i < 200; i++) {
        price += (i % 2 ? 1 : -1) * 10000 * (1 + i % 3);
        tl_quality_observe(q, "AAA", i * S, i + 1, price, price - 10000, price + 10000);
    }
    tl_quality_symbol f;
    assert_true(tl_quality_get(q, "AAA", &f));
    assert_int_equal(f.jumps, 0);
    assert_int_equal(f.crossed, 0);
    /* a 20% jump: flagged; the next ordinary move is not */
    tl_quality_observe(q, "AAA", 300 * S, 201, price * 12 / 10, NQ, NQ);
    tl_quality_observe(q, "AAA", 301 * S, 202, price * 12 / 10 + 10000, NQ, NQ);
    assert_true(tl_quality_get(q, "AAA", &f));
    assert_int_equal(f.jumps, 1);
    assert_int_equal(f.ticks, 202); /* observed like any other */
    /* before the warm-up nothing is judged */
    tl_quality_observe(q, "NEW", 0, 1, 10 * P, NQ, NQ);
    tl_quality_observe(q, "NEW", S, 2, 20 * P, NQ, NQ);
    assert_true(tl_quality_get(q, "NEW", &f));
    assert_int_equal(f.jumps, 0);
    /* bid above ask */
    tl_quality_observe(q, "NEW", 2 * S, 3, 20 * P, 21 * P, 20 * P);
    assert_true(tl_quality_get(q, "NEW", &f));
    assert_int_equal(f.crossed, 1);
    tl_quality_destroy(q);
}

static void test_renderings(void **state) {
    (void)state;
    tl_quality_opts o = {.stale_after_s = 60};
    tl_quality *q = tl_quality_new(&o);
    int64_t now = 1764000000LL * S;
    tl_quality_observe(q, "OLD", now - 600 * S, 1, 10 * P, NQ, NQ); /* 10 min quiet */
    tl_quality_observe(q, "OK\"Q", now - 2 * S, 1, 10 * P, NQ, NQ);
    tl_quality_observe(q, "OK\"Q", now - 1 * S, 5, 10 * P, NQ, NQ);
    tl_quality_set_rejected_crossed(q, 7);

    tl_buf m = TL_BUF_INIT;
    assert_int_equal(tl_quality_metrics_text(q, now, &m), 0);
    assert_non_null(strstr(m.data, "tl_quality_freshness_seconds{symbol=\"OLD\"} 600.000\n"));
    assert_non_null(strstr(m.data, "tl_quality_freshness_seconds{symbol=\"OK\\\"Q\"} 1.000\n"));
    assert_non_null(strstr(m.data, "tl_quality_seq_missing{symbol=\"OK\\\"Q\"} 3\n"));
    assert_non_null(strstr(m.data, "tl_quality_seq_gaps_total{symbol=\"OK\\\"Q\"} 1\n"));
    assert_non_null(strstr(m.data, "tl_quality_stale_symbols 1\n"));
    assert_non_null(strstr(m.data, "tl_quality_crossed_quotes_rejected_total 7\n"));
    assert_non_null(strstr(m.data, "# TYPE tl_quality_price_jumps_total counter\n"));
    tl_buf_free(&m);

    tl_buf j = TL_BUF_INIT;
    assert_int_equal(tl_quality_json(q, now, &j), 0);
    char errbuf[128];
    yajl_val v = yajl_tree_parse(j.data, errbuf, sizeof errbuf);
    assert_non_null(v);
    const char *stale[] = {"stale", NULL}, *missing[] = {"seq_missing", NULL},
               *syms[] = {"symbols", NULL}, *fresh[] = {"freshness_s", NULL},
               *name[] = {"s", NULL};
    yajl_val st = yajl_tree_get(v, stale, yajl_t_array);
    assert_non_null(st);
    assert_int_equal(YAJL_GET_ARRAY(st)->len, 1);
    assert_string_equal(YAJL_GET_STRING(YAJL_GET_ARRAY(st)->values[0]), "OLD");
    assert_int_equal(YAJL_GET_INTEGER(yajl_tree_get(v, missing, yajl_t_number)), 3);
    yajl_val list = yajl_tree_get(v, syms, yajl_t_array);
    assert_int_equal(YAJL_GET_ARRAY(list)->len, 2);
    yajl_val first = YAJL_GET_ARRAY(list)->values[0]; /* sorted: "OK\"Q" < "OLD" */
    assert_string_equal(YAJL_GET_STRING(yajl_tree_get(first, name, yajl_t_string)), "OK\"Q");
    assert_true(YAJL_GET_DOUBLE(yajl_tree_get(first, fresh, yajl_t_number)) == 1.0);
    yajl_tree_free(v);
    tl_buf_free(&j);
    tl_quality_destroy(q);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seq_gaps),
        cmocka_unit_test(test_jumps_and_crossed),
        cmocka_unit_test(test_renderings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
