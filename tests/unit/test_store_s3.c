/* The S3 store against a real S3 server process (moto_server, started by
 * tests/tools/moto.sh): every operation incl. multipart and paged listing,
 * put-if-absent, S3 error parsing, retry classification and giving up,
 * the ETag-keyed local cache, and two processes racing lake commits. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "lake/lake.h"
#include "store/store.h"
#include "store/store_conf.h"
#include "store/store_s3.h"
#include "store/store_s3_int.h"
#include "util/base64.h"

static char work[256];
static char url[128];

static int run(const char *fmt, const char *a, const char *b) {
    char cmd[1024];
    const char *src = getenv("TL_SOURCE_DIR") ? getenv("TL_SOURCE_DIR") : ".";
    char script[600];
    snprintf(script, sizeof script, "%s/tests/tools/moto.sh", src);
    snprintf(cmd, sizeof cmd, fmt, script, a, b);
    return system(cmd);
}

/* One moto for the whole file: it is slow to start. */
static int group_setup(void **state) {
    (void)state;
    snprintf(work, sizeof work, "/tmp/tl-s3-test-XXXXXX");
    if (!mkdtemp(work))
        return -1;
    setenv("S3_UPLOAD_PART_MIN_SIZE", "1024", 1); /* small parts for quick multipart tests */
    if (run("'%s' start '%s' > /dev/null", work, "") != 0) {
        fprintf(stderr, "cannot start moto_server (scripts/pyenv tools installs it)\n");
        return -1;
    }
    char path[300];
    snprintf(path, sizeof path, "%s/moto.url", work);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(url, sizeof url, f))
        return -1;
    fclose(f);
    url[strcspn(url, "\n")] = '\0';
    return run("'%s' mb '%s' '%s'", url, "unit");
}

static int group_teardown(void **state) {
    (void)state;
    run("'%s' stop '%s' %s", work, "");
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", work);
    return system(cmd) == 0 ? 0 : -1;
}

static tl_store *open_at(const char *uri, int page, int64_t max_retry_ms, const char *endpoint) {
    tl_store_s3_options o = {
        .endpoint = endpoint ? endpoint : url,
        .region = "us-east-1",
        .path_style = -1,
        .access_key_id = "testing", /* signed requests: curl's SigV4 path is exercised */
        .secret_access_key = "SECRET-never-printed",
        .session_token = "TOKEN-never-printed",
        .multipart_threshold = 64 * 1024,
        .part_size = 16 * 1024,
        .max_retry_time_ms = max_retry_ms,
        .list_page_size = page,
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
    *state = open_at(uri, 3, 0, NULL);
    return 0;
}

static int teardown(void **state) {
    tl_store_destroy(*state);
    return 0;
}

static void fill(char *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (char)(seed >> 16);
    }
}

static void test_put_get_head_del(void **state) {
    tl_store *s = *state;
    tl_err err = {0};
    tl_buf b = TL_BUF_INIT;
    tl_store_entry e = {0};
    assert_string_equal(s->ops->name, "s3");
    assert_null(tl_store_local_path(s, "a"));
    assert_int_equal(tl_store_put(s, "dir/a.txt", "hello", 5, &err), 0);
    assert_int_equal(tl_store_get(s, "dir/a.txt", &b, &err), 0);
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.data, "hello", 5);
    assert_int_equal(tl_store_head(s, "dir/a.txt", &e, &err), 0);
    assert_string_equal(e.key, "dir/a.txt");
    assert_int_equal(e.size, 5);
    assert_true(e.mtime_ms > 1700000000000LL);
    assert_string_equal(e.etag, "\"5d41402abc4b2a76b9719d911017c592\""); /* md5("hello") */
    free(e.key);

    tl_buf_reset(&b);
    assert_int_equal(tl_store_get_range(s, "dir/a.txt", 1, 3, &b, &err), 0);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "ell", 3);
    tl_buf_reset(&b);
    assert_int_equal(tl_store_get_range(s, "dir/a.txt", 2, -1, &b, &err), 0);
    assert_string_equal(b.data, "llo");

    assert_int_equal(tl_store_put(s, "empty", "", 0, &err), 0);
    tl_buf_reset(&b);
    assert_int_equal(tl_store_get(s, "empty", &b, &err), 0);
    assert_int_equal(b.len, 0);

    assert_int_equal(tl_store_del(s, "dir/a.txt", &err), 0);
    assert_int_equal(tl_store_get(s, "dir/a.txt", &b, &err), TL_ERR_NOT_FOUND);
    assert_false(err.retriable);
    assert_non_null(strstr(err.msg, "NoSuchKey"));
    assert_int_equal(tl_store_head(s, "dir/a.txt", &e, &err), TL_ERR_NOT_FOUND);
    assert_int_equal(tl_store_del(s, "dir/a.txt", &err), 0); /* absent: fine */
    tl_buf_free(&b);
}

static void test_awkward_keys(void **state) {
    tl_store *s = *state;
    tl_err err = {0};
    const char *keys[] = {"year=2026/month=11/part 1.parquet", "a+b/c&d/é~x:y,z;q@!$'()*.json",
                          "p%20q/x?y#z"};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(tl_store_put(s, keys[i], keys[i], strlen(keys[i]), &err), 0);
    tl_store_entry *e = NULL;
    size_t n = 0;
    assert_int_equal(tl_store_list(s, "", &e, &n, &err), 0);
    assert_int_equal(n, 3);
    /* sorted by bytes */
    assert_string_equal(e[0].key, keys[1]);
    assert_string_equal(e[1].key, keys[2]);
    assert_string_equal(e[2].key, keys[0]);
    for (size_t i = 0; i < n; i++) {
        tl_buf b = TL_BUF_INIT;
        assert_int_equal(tl_store_get(s, e[i].key, &b, &err), 0);
        assert_string_equal(b.data, e[i].key);
        assert_int_equal(e[i].size, (int64_t)strlen(e[i].key));
        tl_buf_free(&b);
    }
    tl_store_entries_free(e, n);
}

static void test_put_if_absent(void **state) {
    tl_store *s = *state;
    tl_err err = {0};
    tl_buf b = TL_BUF_INIT;
    assert_int_equal(tl_store_put_if_absent(s, "log/0.json", "first", 5, &err), 0);
    assert_int_equal(tl_store_put_if_absent(s, "log/0.json", "second", 6, &err), TL_ERR_CONFLICT);
    assert_true(err.retriable);
    assert_non_null(strstr(err.msg, "412"));
    assert_int_equal(tl_store_get(s, "log/0.json", &b, &err), 0);
    assert_string_equal(b.data, "first");
    tl_buf_free(&b);
}

static void test_multipart(void **state) {
    tl_store *s = *state;
    tl_err err = {0};
    size_t n = 200 * 1024 + 17; /* > 64 KiB threshold: 13 parts of 16 KiB */
    char *data = malloc(n);
    fill(data, n, 7);
    assert_int_equal(tl_store_put(s, "big/mem.bin", data, n, &err), 0);
    tl_buf b = TL_BUF_INIT;
    assert_int_equal(tl_store_get(s, "big/mem.bin", &b, &err), 0);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.data, data, n);
    tl_store_entry e = {0};
    assert_int_equal(tl_store_head(s, "big/mem.bin", &e, &err), 0);
    free(e.key);
    assert_non_null(strstr(e.etag, "-13\"")); /* a multipart ETag names its part count */

    /* put_file streams the file; get_file downloads it */
    char src[300], dst[300];
    snprintf(src, sizeof src, "%s/up.bin", work);
    snprintf(dst, sizeof dst, "%s/down.bin", work);
    FILE *f = fopen(src, "wb");
    fwrite(data, 1, n - 1000, f);
    fclose(f);
    assert_int_equal(tl_store_put_file(s, "big/file.bin", src, &err), 0);
    assert_int_equal(tl_store_get_file(s, "big/file.bin", dst, &err), 0);
    tl_buf_reset(&b);
    f = fopen(dst, "rb");
    char chunk[4096];
    size_t r;
    while ((r = fread(chunk, 1, sizeof chunk, f)) > 0)
        tl_buf_append(&b, chunk, r);
    fclose(f);
    assert_int_equal(b.len, n - 1000);
    assert_memory_equal(b.data, data, n - 1000);

    /* a small file goes in one PUT */
    f = fopen(src, "wb");
    fwrite(data, 1, 1000, f);
    fclose(f);
    assert_int_equal(tl_store_put_file(s, "small.bin", src, &err), 0);
    assert_int_equal(tl_store_head(s, "small.bin", &e, &err), 0);
    free(e.key);
    assert_int_equal(e.size, 1000);
    assert_null(strchr(e.etag, '-'));

    /* get_file of a missing key fails and leaves no file behind */
    unlink(dst);
    assert_int_equal(tl_store_get_file(s, "nope.bin", dst, &err), TL_ERR_NOT_FOUND);
    assert_int_equal(access(dst, F_OK), -1);
    tl_buf_free(&b);
    free(data);
}

static void test_list_pages_and_prefix(void **state) {
    tl_store *s = *state; /* pages of 3 keys: 11 keys take 4 pages */
    tl_err err = {0};
    char key[64];
    for (int i = 10; i >= 0; i--) {
        snprintf(key, sizeof key, "l/k%02d", i);
        assert_int_equal(tl_store_put(s, key, "x", 1, &err), 0);
    }
    assert_int_equal(tl_store_put(s, "m/other", "y", 1, &err), 0);
    assert_int_equal(tl_store_put(s, "l2", "z", 1, &err), 0);
    tl_store_entry *e = NULL;
    size_t n = 0;
    assert_int_equal(tl_store_list(s, "l/", &e, &n, &err), 0);
    assert_int_equal(n, 11);
    for (size_t i = 0; i < n; i++) {
        snprintf(key, sizeof key, "l/k%02zu", i);
        assert_string_equal(e[i].key, key);
        assert_int_equal(e[i].size, 1);
        assert_true(e[i].etag[0] == '"');
    }
    tl_store_entries_free(e, n);
    assert_int_equal(tl_store_list(s, "l", &e, &n, &err), 0);
    assert_int_equal(n, 12);
    tl_store_entries_free(e, n);
    assert_int_equal(tl_store_list(s, "nothing/", &e, &n, &err), 0);
    assert_int_equal(n, 0);
    tl_store_entries_free(e, n);

    /* a store rooted deeper sees keys relative to its own prefix */
    char uri[300];
    snprintf(uri, sizeof uri, "%sl", s->uri); /* s->uri ends with '/' */
    tl_store *sub = open_at(uri, 1000, 0, NULL);
    assert_int_equal(tl_store_list(sub, "", &e, &n, &err), 0);
    assert_int_equal(n, 11);
    assert_string_equal(e[0].key, "k00");
    tl_store_entries_free(e, n);
    tl_store_destroy(sub);
}

/* tl_store_any: one list of at most one key (whatever the page size)
 * says whether anything is stored under a prefix; how `query` and the
 * other read-only commands tell a lake from a mistyped path on S3. */
static void test_any(void **state) {
    tl_store *s = *state; /* pages of 3 keys */
    tl_err err = {0};
    char key[64];
    for (int i = 0; i < 5; i++) {
        snprintf(key, sizeof key, "a/k%d", i);
        assert_int_equal(tl_store_put(s, key, "x", 1, &err), 0);
    }
    bool found = false;
    assert_int_equal(tl_store_any(s, "a/", &found, &err), 0);
    assert_true(found);
    assert_int_equal(tl_store_any(s, "a/k4", &found, &err), 0);
    assert_true(found);
    assert_int_equal(tl_store_any(s, "b/", &found, &err), 0);
    assert_false(found);
    char uri[300];
    snprintf(uri, sizeof uri, "%sa", s->uri); /* s->uri ends with '/' */
    tl_store *sub = open_at(uri, 1000, 0, NULL);
    assert_int_equal(tl_store_any(sub, "", &found, &err), 0);
    assert_true(found);
    tl_store_destroy(sub);
    snprintf(uri, sizeof uri, "%smistyped/lake", s->uri);
    sub = open_at(uri, 1000, 0, NULL);
    found = true;
    assert_int_equal(tl_store_any(sub, "", &found, &err), 0);
    assert_false(found);
    tl_store_destroy(sub);
    sub = open_at("s3://no-such-bucket-here/x", 0, 0, NULL);
    assert_int_equal(tl_store_any(sub, "", &found, &err), TL_ERR_IO);
    assert_non_null(strstr(err.msg, "NoSuchBucket"));
    assert_false(found);
    tl_store_destroy(sub);
}

static void test_del_many(void **state) {
    tl_store *s = *state;
    tl_err err = {0};
    const char *keys[] = {"d/1", "d/2", "d/3 & <4>", "d/5", "d/absent"};
    for (int i = 0; i < 4; i++)
        assert_int_equal(tl_store_put(s, keys[i], "x", 1, &err), 0);
    assert_int_equal(tl_store_del_many(s, keys + 1, 4, &err), 0);
    tl_store_entry *e = NULL;
    size_t n = 0;
    assert_int_equal(tl_store_list(s, "d/", &e, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(e[0].key, "d/1");
    tl_store_entries_free(e, n);
}

static void test_missing_bucket_error(void **state) {
    (void)state;
    tl_store *s = open_at("s3://no-such-bucket-here/x", 0, 0, NULL);
    tl_err err = {0};
    tl_buf b = TL_BUF_INIT;
    int rc = tl_store_get(s, "k", &b, &err);
    assert_int_equal(rc, TL_ERR_IO); /* a setup error, not "object not found" */
    assert_false(err.retriable);
    assert_non_null(strstr(err.msg, "HTTP 404 NoSuchBucket"));
    assert_non_null(strstr(err.msg, "The specified bucket does not exist"));
    assert_non_null(strstr(err.msg, "(request id "));
    assert_non_null(strstr(err.msg, "s3://no-such-bucket-here/x/k"));
    assert_null(strstr(err.msg, "never-printed"));
    tl_store_entry *e = NULL;
    size_t n = 0;
    assert_int_equal(tl_store_list(s, "", &e, &n, &err), TL_ERR_IO);
    assert_non_null(strstr(err.msg, "NoSuchBucket"));
    tl_buf_free(&b);
    tl_store_destroy(s);
}

static void test_gives_up_retriable(void **state) {
    (void)state;
    /* a port nothing listens on: connection refused is retried, then reported */
    char dead[64];
    snprintf(dead, sizeof dead, "http://127.0.0.1:1");
    tl_store *s = open_at("s3://unit/x", 0, 400, dead);
    tl_err err = {0};
    assert_int_equal(tl_store_put(s, "k", "v", 1, &err), TL_ERR_IO);
    assert_true(err.retriable);
    assert_non_null(strstr(err.msg, "gave up after"));
    assert_null(strstr(err.msg, "gave up after 1 attempts"));
    assert_null(strstr(err.msg, "never-printed"));
    tl_store_destroy(s);
}

static void test_retry_classification(void **state) {
    (void)state;
    assert_true(tl_store_s3_status_retriable(500, "InternalError"));
    assert_true(tl_store_s3_status_retriable(503, "SlowDown"));
    assert_true(tl_store_s3_status_retriable(502, NULL));
    assert_true(tl_store_s3_status_retriable(429, NULL));
    assert_true(tl_store_s3_status_retriable(400, "RequestTimeout"));
    assert_true(tl_store_s3_status_retriable(409, "ConditionalRequestConflict"));
    assert_false(tl_store_s3_status_retriable(403, "InvalidAccessKeyId"));
    assert_false(tl_store_s3_status_retriable(403, "SignatureDoesNotMatch"));
    assert_false(tl_store_s3_status_retriable(404, "NoSuchBucket"));
    assert_false(tl_store_s3_status_retriable(412, "PreconditionFailed"));
    assert_false(tl_store_s3_status_retriable(400, "InvalidArgument"));
    assert_true(tl_store_s3_curl_retriable(CURLE_COULDNT_CONNECT));
    assert_true(tl_store_s3_curl_retriable(CURLE_RECV_ERROR));
    assert_true(tl_store_s3_curl_retriable(CURLE_OPERATION_TIMEDOUT));
    assert_true(tl_store_s3_curl_retriable(CURLE_GOT_NOTHING));
    assert_false(tl_store_s3_curl_retriable(CURLE_URL_MALFORMAT));
    assert_false(tl_store_s3_curl_retriable(CURLE_WRITE_ERROR));
    uint64_t rng = 12345;
    int64_t prev_hi = 0;
    for (int n = 1; n <= 12; n++) {
        int64_t e = 100;
        for (int i = 1; i < n && e < 5000; i++)
            e *= 2;
        if (e > 5000)
            e = 5000;
        for (int k = 0; k < 50; k++) {
            int64_t d = tl_store_s3_backoff_ms(n, &rng);
            assert_true(d >= e / 2 && d <= e);
        }
        assert_true(e >= prev_hi); /* grows, then stays at the cap */
        prev_hi = e;
    }
}

static void test_xml_dates_md5(void **state) {
    (void)state;
    const char *x = "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code>"
                    "<Message>a &amp; b &lt;c&gt; &#233; &#x41;</Message><RequestId>R1</RequestId>"
                    "</Error>";
    char code[32], msg[64], rid[16];
    tl_store_s3_xml_error(x, strlen(x), code, sizeof code, msg, sizeof msg, rid, sizeof rid);
    assert_string_equal(code, "AccessDenied");
    assert_string_equal(msg, "a & b <c> \xc3\xa9 A");
    assert_string_equal(rid, "R1");
    tl_store_s3_xml_error("not xml", 7, code, sizeof code, msg, sizeof msg, rid, sizeof rid);
    assert_string_equal(code, "");
    const char *l = "<R><Prefix/><Key>a</Key><KeyCount>1</KeyCount></R>";
    char *v = tl_store_s3_xml_get(l, l + strlen(l), "Prefix", NULL);
    assert_string_equal(v, "");
    free(v);
    v = tl_store_s3_xml_get(l, l + strlen(l), "Key", NULL); /* not confused with KeyCount */
    assert_string_equal(v, "a");
    free(v);
    assert_int_equal(tl_store_s3_parse_iso8601_ms("2026-11-24T21:32:46.123Z"), 1795555966123LL);
    assert_int_equal(tl_store_s3_parse_http_date_ms("Tue, 24 Nov 2026 21:32:46 GMT"),
                     1795555966000LL);
    assert_int_equal(tl_store_s3_parse_iso8601_ms("yesterday"), -1);
    /* the one RFC 3339 parser: more digits truncate, an offset applies, a
     * time without a zone or with second 60 is no time */
    assert_int_equal(tl_store_s3_parse_iso8601_ms("2026-11-24T21:32:46Z"), 1795555966000LL);
    assert_int_equal(tl_store_s3_parse_iso8601_ms("2026-11-24T21:32:46.123999999Z"),
                     1795555966123LL);
    assert_int_equal(tl_store_s3_parse_iso8601_ms("2026-11-24T22:32:46.5+01:00"), 1795555966500LL);
    assert_int_equal(tl_store_s3_parse_iso8601_ms("1969-12-31T23:59:59.9985Z"),
                     -2LL); /* floor of -1.5 ms */
    assert_int_equal(tl_store_s3_parse_iso8601_ms("2026-11-24T21:32:46"), -1);
    assert_int_equal(tl_store_s3_parse_iso8601_ms("2026-11-24T21:32:60Z"), -1);
    assert_int_equal(tl_store_s3_parse_iso8601_ms(NULL), -1);
    tl_buf b = TL_BUF_INIT;
    tl_store_s3_xml_escape(&b, "a<&>\"'");
    assert_string_equal(b.data, "a&lt;&amp;&gt;&quot;&apos;");
    tl_buf_reset(&b);
    tl_store_s3_uri_encode(&b, "a b/c=d~é", true);
    assert_string_equal(b.data, "a%20b/c%3Dd~%C3%A9");
    tl_buf_free(&b);

    struct {
        const char *in, *hex;
    } md5s[] = {{"", "d41d8cd98f00b204e9800998ecf8427e"},
                {"abc", "900150983cd24fb0d6963f7d28e17f72"},
                {"The quick brown fox jumps over the lazy dog", "9e107d9d372bb6826bd81d3542a419d6"},
                {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                 "57edf4a22be3c955ac49da2e2107b67a"}};
    for (size_t i = 0; i < sizeof md5s / sizeof md5s[0]; i++) {
        unsigned char d[16];
        char hex[33];
        tl_md5(md5s[i].in, strlen(md5s[i].in), d);
        for (int k = 0; k < 16; k++)
            sprintf(hex + 2 * k, "%02x", d[k]);
        assert_string_equal(hex, md5s[i].hex);
    }
    char b64[16];
    tl_base64_encode("fo", 2, b64);
    assert_string_equal(b64, "Zm8=");
    tl_base64_encode("foob", 4, b64);
    assert_string_equal(b64, "Zm9vYg==");
    tl_buf bb = TL_BUF_INIT;
    tl_buf_puts(&bb, "x:");
    tl_buf_base64(&bb, "foobar", 6);
    tl_buf_base64(&bb, "", 0);
    assert_string_equal(bb.data, "x:Zm9vYmFy");
    tl_buf_free(&bb);
}

/* The cache is keyed by ETag: an object replaced by one of the same size
 * (within the same second) is downloaded again. */
static void test_local_copy_cache(void **state) {
    tl_store *s = *state;
    tl_err err = {0};
    char cache[300];
    snprintf(cache, sizeof cache, "%s/cache", work);
    assert_int_equal(tl_store_put(s, "year=2026/f.parquet", "AAAA", 4, &err), 0);
    for (int round = 0; round < 2; round++) {
        char *p = tl_store_local_copy(s, "year=2026/f.parquet", cache, &err);
        assert_non_null(p);
        assert_non_null(strstr(p, "/year=2026/f.parquet")); /* hive folders kept */
        char got[8] = {0};
        FILE *f = fopen(p, "rb");
        assert_int_equal(fread(got, 1, sizeof got, f), 4);
        fclose(f);
        assert_string_equal(got, round == 0 ? "AAAA" : "BBBB");
        free(p);
        assert_int_equal(tl_store_put(s, "year=2026/f.parquet", "BBBB", 4, &err), 0);
    }
}

static void test_open_cfg_and_env(void **state) {
    (void)state;
    tl_config cfg = {0};
    cfg.lake = "s3://no-such-bucket-here/p";
    cfg.s3_endpoint = url;
    cfg.s3_access_key_id = "FILEKEY";
    cfg.s3_secret_access_key = "FILE-SECRET-never-printed";
    cfg.s3_path_style = "auto";
    cfg.s3_max_retry_time_ms = 1000;
    unsetenv("AWS_ACCESS_KEY_ID");
    tl_err err = {0};
    tl_store *s = tl_store_conf_open(&cfg, false, &err);
    assert_non_null(s);
    s3_store *ss = (s3_store *)s;
    assert_string_equal(ss->access_key, "FILEKEY");
    assert_false(ss->virtual_host); /* custom endpoint: path-style */
    tl_buf b = TL_BUF_INIT;
    assert_int_equal(tl_store_get(s, "x", &b, &err), TL_ERR_IO);
    assert_null(strstr(err.msg, "never-printed"));
    tl_store_destroy(s);

    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "ENV-SECRET", 1);
    s = tl_store_conf_open(&cfg, false, &err);
    assert_string_equal(((s3_store *)s)->access_key, "ENVKEY"); /* the environment wins */
    assert_null(((s3_store *)s)->token_header);
    tl_store_destroy(s);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");

    /* no endpoint: AWS, virtual-hosted */
    s = tl_store_s3_new("s3://my-bucket/a/b/", NULL, &err);
    assert_non_null(s);
    assert_string_equal(((s3_store *)s)->base_url, "https://my-bucket.s3.us-east-1.amazonaws.com");
    assert_string_equal(((s3_store *)s)->prefix, "a/b/");
    tl_store_destroy(s);
    assert_null(tl_store_s3_new("s3:///nobucket", NULL, &err));
    assert_int_equal(err.code, TL_ERR_INVALID);
    tl_buf_free(&b);
}

/* ---- two processes race lake commits ------------------------------------ */

enum { RACE_COMMITS = 15 };
static const char *SCHEMA = "{\"type\":\"struct\",\"fields\":[]}";

static int racer(const char *uri, int id, int fd) {
    tl_store *s = open_at(uri, 0, 0, NULL);
    int64_t read_version = 0; /* deliberately stale: retries must find their way */
    for (int i = 0; i < RACE_COMMITS; i++) {
        tl_err err = {0};
        char path[64], app[32];
        snprintf(path, sizeof path, "w%d/f%03d.parquet", id, i);
        snprintf(app, sizeof app, "writer-%d", id);
        tl_lake_tx *tx = tl_lake_tx_new("WRITE", NULL, &err);
        tl_lake_file f = {.path = path,
                          .size = 1,
                          .modification_time = 1,
                          .deletion_timestamp = -1,
                          .data_change = true};
        int64_t v = -1;
        int rc = tl_lake_tx_add(tx, &f, &err) || tl_lake_tx_set_txn(tx, app, i, &err) ||
                 tl_lake_commit(s, "race", tx, read_version, &v, &err);
        tl_lake_tx_destroy(tx);
        if (rc) {
            fprintf(stderr, "writer %d: %s\n", id, err.msg);
            return 1;
        }
        read_version = v;
        if (write(fd, &v, sizeof v) != sizeof v)
            return 1;
    }
    tl_store_destroy(s);
    return 0;
}

static void test_commit_race_two_processes(void **state) {
    tl_store *s = *state;
    tl_err err = {0};
    assert_int_equal(tl_lake_create(s, "race", SCHEMA, NULL, 0, NULL, &err), 0);
    int fds[2][2];
    pid_t pid[2];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pipe(fds[i]), 0);
        pid[i] = fork();
        assert_true(pid[i] >= 0);
        if (pid[i] == 0) {
            close(fds[i][0]);
            _exit(racer(s->uri, i, fds[i][1]));
        }
        close(fds[i][1]);
    }
    int seen[2 * RACE_COMMITS + 1] = {0};
    for (int i = 0; i < 2; i++) {
        int64_t v, prev = 0;
        int got = 0;
        while (read(fds[i][0], &v, sizeof v) == sizeof v) {
            assert_true(v >= 1 && v <= 2 * RACE_COMMITS);
            assert_int_equal(seen[v], 0); /* no version written twice */
            assert_true(v > prev);
            seen[v] = 1;
            prev = v;
            got++;
        }
        close(fds[i][0]);
        int status = 0;
        waitpid(pid[i], &status, 0);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        assert_int_equal(got, RACE_COMMITS);
    }
    tl_lake_snapshot *snap = NULL;
    assert_int_equal(tl_lake_snapshot_load(s, "race", NULL, &snap, &err), 0);
    assert_int_equal(tl_lake_snapshot_version(snap), 2 * RACE_COMMITS);
    assert_int_equal(tl_lake_snapshot_num_files(snap), 2 * RACE_COMMITS); /* none lost */
    assert_int_equal(tl_lake_snapshot_txn_version(snap, "writer-0"), RACE_COMMITS - 1);
    assert_int_equal(tl_lake_snapshot_txn_version(snap, "writer-1"), RACE_COMMITS - 1);
    tl_lake_snapshot_free(snap);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_classification),
        cmocka_unit_test(test_xml_dates_md5),
        cmocka_unit_test_setup_teardown(test_put_get_head_del, setup, teardown),
        cmocka_unit_test_setup_teardown(test_awkward_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_if_absent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multipart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_pages_and_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_del_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_any, setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_copy_cache, setup, teardown),
        cmocka_unit_test(test_missing_bucket_error),
        cmocka_unit_test(test_gives_up_retriable),
        cmocka_unit_test(test_open_cfg_and_env),
        cmocka_unit_test_setup_teardown(test_commit_race_two_processes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
