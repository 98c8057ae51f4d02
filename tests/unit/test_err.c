/* tl_err_wrap keeps the cause: the code a callee returned reaches the
 * caller unchanged (with or without an err to fill), and the message chains
 * the context before the callee's own text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lake/lake.h"
#include "store/store.h"
#include "tl_test.h"
#include "util/err.h"

static int callee(tl_err *err, tl_err_code code) {
    return tl_err_set(err, code, "cannot write %s", "a/b.json");
}

static int caller(tl_err *err, tl_err_code code) {
    int rc = callee(err, code);
    return tl_err_wrap(err, rc, "committing version %d", 7);
}

static void test_wrap_keeps_code_and_both_messages(void **state) {
    (void)state;
    tl_err_code codes[] = {TL_ERR_IO,       TL_ERR_CONFLICT, TL_ERR_NOMEM,
                           TL_ERR_NOT_FOUND, TL_ERR_CORRUPT,  TL_ERR_STOPPED};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        tl_err err = {0};
        assert_int_equal(caller(&err, codes[i]), codes[i]);
        assert_int_equal(err.code, codes[i]);
        assert_string_equal(err.msg, "committing version 7: cannot write a/b.json");
    }
}

static void test_wrap_chains_and_keeps_retriable(void **state) {
    (void)state;
    tl_err err = {0};
    int rc = tl_err_set_retriable(&err, TL_ERR_IO, "s3 503 SlowDown");
    rc = tl_err_wrap(&err, rc, "part %d of %d", 2, 3);
    rc = tl_err_wrap(&err, rc, "writing %s", "ticks/x.parquet");
    assert_int_equal(rc, TL_ERR_IO);
    assert_int_equal(err.code, TL_ERR_IO);
    assert_true(err.retriable);
    assert_string_equal(err.msg, "writing ticks/x.parquet: part 2 of 3: s3 503 SlowDown");
}

/* No err to fill: the code still comes back (it used to be TL_ERR_INVALID). */
static void test_wrap_without_err_returns_the_code(void **state) {
    (void)state;
    assert_int_equal(caller(NULL, TL_ERR_CONFLICT), TL_ERR_CONFLICT);
    assert_int_equal(tl_err_wrap(NULL, TL_ERR_NOMEM, "x"), TL_ERR_NOMEM);
}

static void test_wrap_of_success_touches_nothing(void **state) {
    (void)state;
    tl_err err = {0};
    assert_int_equal(tl_err_wrap(&err, 0, "context"), 0);
    assert_int_equal(err.code, TL_OK);
    assert_string_equal(err.msg, "");
}

/* A callee that returned a code and left no message: the code's name is the cause. */
static void test_wrap_without_message_names_the_code(void **state) {
    (void)state;
    tl_err err = {0};
    assert_int_equal(tl_err_wrap(&err, TL_ERR_NOMEM, "reading %s", "k"), TL_ERR_NOMEM);
    assert_int_equal(err.code, TL_ERR_NOMEM);
    assert_string_equal(err.msg, "reading k: nomem");
}

/* A long chain keeps its start and says it was cut. */
static void test_wrap_cut(void **state) {
    (void)state;
    tl_err err = {0};
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    int rc = tl_err_set(&err, TL_ERR_IO, "%s", big);
    assert_int_equal(tl_err_wrap(&err, rc, "ctx"), TL_ERR_IO);
    assert_int_equal(strncmp(err.msg, "ctx: xxx", 8), 0);
    assert_string_equal(err.msg + strlen(err.msg) - 3, "...");
}

/* Through real code: a corrupt log line is TL_ERR_CORRUPT with the key and
 * line in front of the parser's text, and without an err it is still
 * TL_ERR_CORRUPT. */
static void test_wrap_in_the_lake(void **state) {
    (void)state;
    char root[256];
    tl_store *s = NULL;
    assert_int_equal(tl_test_store(root, sizeof root, "err", &s), 0);
    const char *bad = "{\"add\":{\"path\":7}}\n";
    tl_err err = {0};
    assert_int_equal(
        tl_store_put(s, "t/_delta_log/00000000000000000000.json", bad, strlen(bad), &err), 0);
    tl_lake_snapshot *snap = NULL;
    assert_int_equal(tl_lake_snapshot_load(s, "t", NULL, &snap, &err), TL_ERR_CORRUPT);
    assert_int_equal(err.code, TL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "00000000000000000000.json line 1: "));
    assert_non_null(strstr(err.msg, "add.path"));
    assert_int_equal(tl_lake_snapshot_load(s, "t", NULL, &snap, NULL), TL_ERR_CORRUPT);
    assert_null(snap);
    assert_int_equal(tl_test_store_free(root, s), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrap_keeps_code_and_both_messages),
        cmocka_unit_test(test_wrap_chains_and_keeps_retriable),
        cmocka_unit_test(test_wrap_without_err_returns_the_code),
        cmocka_unit_test(test_wrap_of_success_touches_nothing),
        cmocka_unit_test(test_wrap_without_message_names_the_code),
        cmocka_unit_test(test_wrap_cut),
        cmocka_unit_test(test_wrap_in_the_lake),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
