/* What a SQL statement answers over the lake's views (ticks, deadletter,
 * lake_files): how the stream tests look at what landed. Needs cmocka included before it, as the
 * test programs do. Header-only, like tl_test.h. */
#ifndef TL_TESTS_TL_TEST_QUERY_H
#define TL_TESTS_TL_TEST_QUERY_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duck/duck.h"
#include "query/views.h"
#include "store/store.h"

/* The whole answer as CSV with a header line (malloc'd; the caller frees).
 * Fails the test when DuckDB does. */
static inline char *tl_test_query_csv(tl_store *store, const char *sql) {
    tl_err err;
    tl_duck *d = tl_duck_open(NULL, 0, NULL, &err);
    assert_non_null(d);
    assert_int_equal(tl_views_register(d, store, NULL, &err), 0);
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);
    assert_int_equal(tl_duck_query_print(d, sql, TL_DUCK_FMT_CSV, m, &err), 0);
    fclose(m);
    tl_duck_close(d);
    return out;
}

/* -1 when the answer has no row. */
static inline int64_t tl_test_scalar(tl_store *store, const char *sql) {
    char *out = tl_test_query_csv(store, sql);
    size_t header = strcspn(out, "\n");
    int64_t v = out[header] ? strtoll(out + header + 1, NULL, 10) : -1;
    free(out);
    return v;
}

#endif
