/* libFuzzer target: S3's XML answers as the S3 store reads them
 * (store_s3_xml.c and the page/reply parsing of store_s3_list.c). Every
 * input body goes through each reader:
 *  - a ListObjectsV2 page (parse_page with the lake prefix "lake/"),
 *  - a DeleteObjects reply (delete_errors),
 *  - an error body (tl_store_s3_xml_error, as after any failed request and after a
 *    CompleteMultipartUpload answered 200 with an <Error> inside),
 *  - a CreateMultipartUpload reply (its <UploadId>),
 *  - the date fields (LastModified, Last-Modified header).
 * Must never crash, read out of bounds or leak. Oracles:
 *  - a page yields at most one entry per <Contents>, each key non-empty and
 *    relative to the prefix; a truncated page always has a token;
 *  - a DeleteObjects reply is an error exactly when it has an <Error> element;
 *  - the error fields fit their buffers (NUL-terminated);
 *  - decoding never grows the text;
 *  - writer and reader agree: the input (up to a NUL) escaped with
 *    tl_store_s3_xml_escape, as a key in a one-entry page, reads back byte-equal.
 * parse_page and delete_errors are static, so this file includes
 * store_s3_list.c itself (the library's copy of that file is then not
 * linked into this program). */
#include "../src/store/store_s3_list.c"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what, const uint8_t *data, size_t size) {
    if (ok)
        return;
    fprintf(stderr, "fuzz_s3_xml: %s, input of %zu bytes: %.*s\n", what, size, (int)size,
            (const char *)data);
    abort();
}

static size_t count_open(const char *p, size_t n, const char *open) {
    size_t c = 0, on = strlen(open);
    for (const char *q = p; (q = memmem(q, n - (size_t)(q - p), open, on)); q += on)
        c++;
    return c;
}

static void fuzz_page(s3_store *s, const uint8_t *data, size_t size) {
    /* borrowed: never freed or grown here */
    tl_buf b = {.data = (char *)data, .len = size, .cap = size};
    entry_vec ev = {0};
    char *token = (char *)0x1;
    tl_err err = {0};
    if (parse_page(s, &b, &ev, &token, &err) != 0) {
        check(err.msg[0] != '\0', "page rejected without a message", data, size);
    } else {
        check(ev.n <= count_open((const char *)data, size, "<Contents"),
              "more entries than <Contents>", data, size);
        for (size_t i = 0; i < ev.n; i++)
            check(ev.v[i].key && ev.v[i].key[0], "an entry without a key", data, size);
        const char *a, *z;
        char *trunc = NULL;
        if (tl_store_s3_xml_find((const char *)data, (const char *)data + size, "ListBucketResult",
                                 &a, &z) == 0)
            trunc = tl_store_s3_xml_get(a, z, "IsTruncated", NULL);
        check(!(trunc && strcmp(trunc, "true") == 0) || token, "truncated page without token", data,
              size);
        free(trunc);
        free(token);
    }
    tl_store_entries_free(ev.v, ev.n);
}

static void fuzz_delete_reply(s3_store *s, const uint8_t *data, size_t size) {
    tl_buf b = {.data = (char *)data, .len = size, .cap = size};
    tl_err err = {0};
    const char *a, *z;
    int has_error =
        tl_store_s3_xml_find((const char *)data, (const char *)data + size, "Error", &a, &z) == 0;
    int rc = delete_errors(s, &b, &err);
    check((rc != 0) == has_error, "DeleteObjects error iff <Error>", data, size);
    check(rc == 0 || (rc == TL_ERR_IO && err.msg[0]), "DeleteObjects error without message", data,
          size);
}

static void fuzz_error_and_upload(const uint8_t *data, size_t size) {
    char code[96], msg[256], rid[96];
    tl_store_s3_xml_error((const char *)data, size, code, sizeof code, msg, sizeof msg, rid,
                          sizeof rid);
    check(memchr(code, 0, sizeof code) && memchr(msg, 0, sizeof msg) && memchr(rid, 0, sizeof rid),
          "error fields not terminated", data, size);
    const char *next = NULL;
    char *id =
        tl_store_s3_xml_get((const char *)data, (const char *)data + size, "UploadId", &next);
    if (id) {
        check(strlen(id) <= size && next >= (const char *)data && next <= (const char *)data + size,
              "UploadId longer than the reply", data, size);
        free(id);
    }
}

static void fuzz_dates(const uint8_t *data, size_t size) {
    char text[64];
    size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
    memcpy(text, data, n);
    text[n] = '\0';
    (void)tl_store_s3_parse_iso8601_ms(text);
    (void)tl_store_s3_parse_http_date_ms(text);
}

/* The input as a key: escape, embed in a page, read back. */
static void fuzz_round_trip(s3_store *s, const uint8_t *data, size_t size) {
    char *key = malloc(size + 1);
    if (!key)
        return;
    memcpy(key, data, size);
    key[size] = '\0';
    tl_buf page = TL_BUF_INIT;
    if (tl_buf_puts(&page, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult>"
                           "<IsTruncated>false</IsTruncated><Contents><Key>lake/") ||
        tl_store_s3_xml_escape(&page, key) ||
        tl_buf_puts(&page, "</Key><Size>7</Size><LastModified>2026-11-24T21:32:46.000Z"
                           "</LastModified><ETag>&quot;abc&quot;</ETag></Contents>"
                           "</ListBucketResult>"))
        abort();
    entry_vec ev = {0};
    char *token = NULL;
    tl_err err = {0};
    check(parse_page(s, &page, &ev, &token, &err) == 0, "own page rejected", data, size);
    check(token == NULL, "token on an untruncated page", data, size);
    if (key[0]) {
        check(ev.n == 1 && strcmp(ev.v[0].key, key) == 0, "escaped key did not read back", data,
              size);
        check(ev.v[0].size == 7 && ev.v[0].mtime_ms == 1795555966000LL &&
                  strcmp(ev.v[0].etag, "\"abc\"") == 0,
              "entry fields did not read back", data, size);
    } else {
        check(ev.n == 0, "the prefix itself listed", data, size);
    }
    tl_store_entries_free(ev.v, ev.n);
    tl_buf_free(&page);
    free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static s3_store s;
    if (!s.bucket) {
        s.bucket = "fuzz-bucket";
        s.prefix = "lake/";
    }
    fuzz_page(&s, data, size);
    fuzz_delete_reply(&s, data, size);
    fuzz_error_and_upload(data, size);
    fuzz_dates(data, size);
    fuzz_round_trip(&s, data, size);
    return 0;
}
