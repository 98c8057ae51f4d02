/* store_s3 — the S3 backend of tl_store (AWS S3, MinIO, any S3-compatible
 * server). Requests are signed by libcurl itself (CURLOPT_AWS_SIGV4); this
 * module never computes a signature.
 *
 * URI: s3://bucket[/prefix]. Store keys are relative to the prefix.
 *
 * Threading: a store may be used from many threads at once; each request
 * borrows an easy handle from a small pool, so connections are reused.
 *
 * Failures: transient ones (HTTP 5xx, 429, SlowDown, RequestTimeout,
 * timeouts, resets, refused connections) are retried with exponential
 * backoff and jitter until max_retry_time_ms has passed; then the error is
 * returned with retriable = true. Other 4xx answers are never retried. An
 * error message names the method, the s3:// address, the HTTP status and
 * the S3 error Code, Message and RequestId. Credentials never appear in
 * messages or logs. */
#ifndef TL_STORE_STORE_S3_H
#define TL_STORE_STORE_S3_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

typedef struct tl_store_s3_options {
    const char *endpoint; /* "http://127.0.0.1:9000"; NULL: https://s3.<region>.amazonaws.com */
    const char *region;   /* NULL: us-east-1 */
    int path_style;       /* 1 path-style, 0 virtual-hosted, -1 auto: on when endpoint is set */
    /* NULL access key: anonymous, unsigned requests (public buckets). */
    const char *access_key_id, *secret_access_key, *session_token;
    int64_t multipart_threshold; /* bytes; objects larger go multipart; 0: 16 MiB */
    int64_t part_size;           /* bytes per multipart part; 0: 8 MiB (S3 minimum 5 MiB) */
    int64_t timeout_ms;          /* a request stalled this long fails (retriable); 0: 30 s */
    int64_t connect_timeout_ms;  /* 0: 10 s */
    int64_t max_retry_time_ms;   /* total time spent retrying one request; 0: 60 s */
    int list_page_size;          /* ListObjectsV2 max-keys; 0: 1000 (tests set it low) */
    /* > 0: until one request has reached the endpoint, connect within this
     * and do not retry a failure to connect (interactive commands: an
     * unreachable endpoint fails in seconds, not after max_retry_time of
     * retries); once one got an answer, the usual retries apply. 0: off. */
    int64_t first_connect_timeout_ms;
} tl_store_s3_options;

/* Parse "s3://bucket/prefix" and open the store. Nothing is sent yet.
 * o may be NULL (all defaults, anonymous). Strings are copied. */
tl_store *tl_store_s3_new(const char *uri, const tl_store_s3_options *o, tl_err *err);

/* The s3 options from the environment alone (AWS_* variables); strings
 * point into the environment. */
void tl_store_s3_options_from_env(tl_store_s3_options *o);

#endif
