/* strmap against a plain array model: inserts, replaces, deletes (which
 * exercise backward-shift deletion across wrapped probe runs), iteration
 * and sorted keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/strmap.h"

static int freed;
static void count_free(void *p) {
    freed++;
    free(p);
}

static int *boxed(int v) {
    int *p = malloc(sizeof *p);
    *p = v;
    return p;
}

static void test_put_get_replace(void **state) {
    (void)state;
    freed = 0;
    tl_strmap *m = tl_strmap_new(count_free);
    assert_non_null(m);
    assert_int_equal(tl_strmap_put(m, "a", boxed(1)), 0);
    assert_int_equal(tl_strmap_put(m, "b", boxed(2)), 0);
    assert_int_equal(*(int *)tl_strmap_get(m, "a"), 1);
    assert_null(tl_strmap_get(m, "zz"));
    assert_false(tl_strmap_has(m, "zz"));
    assert_int_equal(tl_strmap_put(m, "a", boxed(3)), 0); /* replace frees the old value */
    assert_int_equal(freed, 1);
    assert_int_equal(*(int *)tl_strmap_get(m, "a"), 3);
    assert_int_equal(tl_strmap_count(m), 2);
    int *t = tl_strmap_take(m, "b");
    assert_int_equal(*t, 2);
    free(t);
    assert_int_equal(freed, 1);
    assert_int_equal(tl_strmap_del(m, "b"), 0);
    assert_int_equal(tl_strmap_del(m, "a"), 1);
    assert_int_equal(freed, 2);
    assert_int_equal(tl_strmap_count(m), 0);
    tl_strmap_destroy(m);
}

/* Many keys, delete every third, re-check everything against the model. */
static void test_many_with_deletes(void **state) {
    (void)state;
    enum { N = 5000 };
    tl_strmap *m = tl_strmap_new(NULL);
    static char keys[N][16];
    static int present[N];
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i * 7919 % 100003);
        assert_int_equal(tl_strmap_put(m, keys[i], (void *)(intptr_t)(i + 1)), 0);
        present[i] = 1;
    }
    for (int i = 0; i < N; i += 3) {
        assert_int_equal(tl_strmap_del(m, keys[i]), 1);
        present[i] = 0;
    }
    size_t live = 0;
    for (int i = 0; i < N; i++) {
        void *v = tl_strmap_get(m, keys[i]);
        if (present[i]) {
            live++;
            assert_int_equal((intptr_t)v, i + 1);
        } else {
            assert_null(v);
        }
    }
    assert_int_equal(tl_strmap_count(m), live);
    size_t pos = 0, seen = 0;
    const char *k;
    while (tl_strmap_next(m, &pos, &k, NULL))
        seen++;
    assert_int_equal(seen, live);
    size_t n;
    const char **sorted = tl_strmap_sorted_keys(m, &n);
    assert_int_equal(n, live);
    for (size_t i = 1; i < n; i++)
        assert_true(strcmp(sorted[i - 1], sorted[i]) < 0);
    free(sorted);
    tl_strmap_destroy(m);
}

static void test_empty_sorted(void **state) {
    (void)state;
    tl_strmap *m = tl_strmap_new(NULL);
    size_t n = 99;
    assert_null(tl_strmap_sorted_keys(m, &n));
    assert_int_equal(n, 0);
    tl_strmap_destroy(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_replace),
        cmocka_unit_test(test_many_with_deletes),
        cmocka_unit_test(test_empty_sorted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
