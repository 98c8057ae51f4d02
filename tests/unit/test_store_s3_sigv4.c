/* The S3 store against a server that checks SigV4 signatures (s3rver,
 * started by tests/tools/s3rver.sh with a key pair of this run): the
 * requests whose signing is easiest to get wrong -- keys with reserved and
 * non-ASCII characters, ListObjectsV2 pages (base64 continuation tokens in
 * the query), multipart uploads (uploadId and partNumber in the query),
 * batch delete (a signed POST with Content-MD5), ranges -- are accepted; a
 * wrong secret or an unknown key id fails at once, not retried, with S3's
 * error code. (test_store_s3 covers the rest against moto. s3rver ignores
 * If-None-Match on PUT, so put-if-absent is tested there only; and it
 * escapes & < > " ' in listed keys twice, so no listed key here has them.) */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"
#include "store/store_s3.h"

static char work[256];
static char url[128];
static const char *KEY_ID = "AKIDSIGV4UNIT";
static const char *SECRET = "unit-secret/with+odd=chars";

static int sh(const char *fmt, const char *a, const char *b) {
    char cmd[1200], script[600];
    const char *src = getenv("TL_SOURCE_DIR") ? getenv("TL_SOURCE_DIR") : ".";
    snprintf(script, sizeof script, "%s/tests/tools/s3rver.sh", src);
    snprintf(cmd, sizeof cmd, fmt, script, a, b);
    return system(cmd);
}

static int group_setup(void **state) {
    (void)state;
    snprintf(work, sizeof work, "/tmp/tl-s3sig-test-XXXXXX");
    if (!mkdtemp(work))
        return -1;
    char args[600];
    snprintf(args, sizeof args, "'%s' '%s'", KEY_ID, SECRET);
    if (sh("'%s' start '%s' %s > /dev/null", work, args) != 0) {
        fprintf(stderr, "cannot start s3rver (scripts/bootstrap installs it in tests/tools)\n");
        return -1;
    }
    char path[300];
    snprintf(path, sizeof path, "%s/s3rver.url", work);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(url, sizeof url, f))
        return -1;
    fclose(f);
    url[strcspn(url, "\n")] = '\0';
    setenv("AWS_ACCESS_KEY_ID", KEY_ID, 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    return sh("'%s' mb '%s' '%s'", url, "unit");
}

static int group_teardown(void **state) {
    (void)state;
    sh("'%s' stop '%s' %s", work, "");
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", work);
    return system(cmd) == 0 ? 0 : -1;
}

static tl_store *open_as(const char *uri, const char *key_id, const char *secret) {
    tl_store_s3_options o = {
        .endpoint = url,
        .region = "us-east-1",
        .path_style = -1,
        .access_key_id = key_id,
        .secret_access_key = secret,
        .multipart_threshold = 64 * 1024,
        .part_size = 16 * 1024,
        .max_retry_time_ms = 20000,
        .list_page_size = 3,
    };
    tl_err err = {0};
    tl_store *s = tl_store_s3_new(uri, &o, &err);
    if (!s)
        fail_msg("open %s: %s", uri, err.msg);
    return s;
}

static int setup(void **state) {
    static int n;
    char uri[128];
    snprintf(uri, sizeof uri, "s3://unit/t%d/", n++); /* a fresh prefix per test */
    *state = open_as(uri, KEY_ID, SECRET);
    return 0;
}

static int teardown(void **state) {
    tl_store_destroy(*state);
    return 0;
}

static void test_awkward_keys_and_pages(void **state) {
    tl_store *s = *state;
    tl_err err = {0};
    const char *keys[] = {"year=2026/month=11/part 1.parquet", "a+b/c=d/é~x:y,z;q@!$()*.json",
                          "p%20q/x=y", "l/k00", "l/k01", "l/k02", "l/k03", "l/k04",
                          "l/k05", "l/k06", "l/k07"};
    size_t nk = sizeof keys / sizeof keys[0];
    for (size_t i = 0; i < nk; i++)
        if (tl_store_put(s, keys[i], keys[i], strlen(keys[i]), &err) != 0)
            fail_msg("put '%s': %s", keys[i], err.msg);
    tl_store_entry *e = NULL;
    size_t n = 0;
    assert_int_equal(tl_store_list(s, "", &e, &n, &err), 0); /* 4 pages of 3 */
    assert_int_equal(n, nk);
    for (size_t i = 0; i < n; i++) {
        tl_buf b = TL_BUF_INIT;
        if (tl_store_get(s, e[i].key, &b, &err) != 0)
            fail_msg("get '%s': %s", e[i].key, err.msg);
        assert_int_equal(b.len, strlen(e[i].key));
        assert_memory_equal(b.data, e[i].key, b.len);
        assert_int_equal(e[i].size, (int64_t)strlen(e[i].key));
        tl_buf_free(&b);
    }
    tl_store_entries_free(e, n);
    assert_int_equal(tl_store_list(s, "l/", &e, &n, &err), 0);
    assert_int_equal(n, 8);
    assert_string_equal(e[7].key, "l/k07");
    tl_store_entries_free(e, n);
    tl_buf b = TL_BUF_INIT;
    assert_int_equal(tl_store_get_range(s, keys[1], 4, 5, &b, &err), 0);
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.data, keys[1] + 4, 5);
    tl_buf_free(&b);
}

static void test_multipart_and_delete(void **state) {
    tl_store *s = *state;
    tl_err err = {0};
    size_t n = 100 * 1024 + 5; /* > 64 KiB: 7 parts of 16 KiB */
    char *data = malloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)(i * 131 + 7);
    assert_int_equal(tl_store_put(s, "big/x y.bin", data, n, &err), 0);
    tl_buf b = TL_BUF_INIT;
    assert_int_equal(tl_store_get(s, "big/x y.bin", &b, &err), 0);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.data, data, n);
    tl_buf_free(&b);
    free(data);

    const char *keys[] = {"d/1", "d/2", "d/3 & <4>", "big/x y.bin", "d/absent"};
    for (int i = 0; i < 3; i++)
        assert_int_equal(tl_store_put(s, keys[i], "x", 1, &err), 0);
    assert_int_equal(tl_store_del_many(s, keys + 1, 4, &err), 0);
    tl_store_entry *e = NULL;
    size_t ne = 0;
    assert_int_equal(tl_store_list(s, "", &e, &ne, &err), 0);
    assert_int_equal(ne, 1);
    assert_string_equal(e[0].key, "d/1");
    tl_store_entries_free(e, ne);
}

static void expect_refused(const char *key_id, const char *secret, const char *code) {
    tl_store *s = open_as("s3://unit/refused/", key_id, secret);
    tl_err err = {0};
    tl_buf b = TL_BUF_INIT;
    tl_store_entry *e = NULL;
    size_t n = 0;
    assert_int_equal(tl_store_put(s, "k", "v", 1, &err), TL_ERR_IO);
    assert_false(err.retriable);
    assert_non_null(strstr(err.msg, code));
    assert_null(strstr(err.msg, SECRET));
    assert_int_equal(tl_store_get(s, "k", &b, &err), TL_ERR_IO);
    assert_non_null(strstr(err.msg, code));
    assert_int_equal(tl_store_list(s, "", &e, &n, &err), TL_ERR_IO);
    assert_non_null(strstr(err.msg, code));
    tl_buf_free(&b);
    tl_store_destroy(s);
    /* nothing was written */
    s = open_as("s3://unit/refused/", KEY_ID, SECRET);
    assert_int_equal(tl_store_list(s, "", &e, &n, &err), 0);
    assert_int_equal(n, 0);
    tl_store_destroy(s);
}

static void test_wrong_secret(void **state) {
    (void)state;
    expect_refused(KEY_ID, "unit-secret/with+odd=chars!", "HTTP 403 SignatureDoesNotMatch");
}

static void test_unknown_key_id(void **state) {
    (void)state;
    expect_refused("AKIDNOBODY", SECRET, "HTTP 403 InvalidAccessKeyId");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_awkward_keys_and_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multipart_and_delete, setup, teardown),
        cmocka_unit_test(test_wrong_secret),
        cmocka_unit_test(test_unknown_key_id),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
