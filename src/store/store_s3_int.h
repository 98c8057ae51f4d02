/* store_s3 internals shared by store_s3*.c (and the unit test). */
#ifndef TL_STORE_STORE_S3_INT_H
#define TL_STORE_STORE_S3_INT_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "store/store_s3.h"
#include "util/buf.h"
#include "util/err.h"

#define S3_POOL_MAX 8

typedef struct s3_store {
    tl_store base;
    char *bucket;
    char *prefix;   /* "" or "a/b/" (always ends with '/') */
    char *base_url; /* ".../bucket" (path-style) or "https://bucket.host" */
    bool virtual_host;
    char *sigv4;           /* "aws:amz:<region>:s3" */
    char *access_key;      /* NULL: anonymous, unsigned requests */
    char *secret_key;      /* a secret: never printed */
    char *token_header;    /* "x-amz-security-token: ..." — a secret: never printed */
    tl_store_s3_options o; /* numbers only; its strings are not kept */
    pthread_mutex_t lock;
    CURL *pool[S3_POOL_MAX]; /* idle easy handles, each with its live connections */
    int npool;
    int reached; /* a request got an answer (atomic): fail-fast is over */
} s3_store;

/* Where a request body comes from: memory, or a range of a file. */
typedef struct s3_body {
    const char *mem;
    int fd; /* >= 0: read from fd at off (pread) */
    off_t off;
    size_t len;
    size_t pos; /* progress within the current attempt */
} s3_body;

typedef struct s3_request {
    const char *method;         /* GET PUT POST DELETE HEAD */
    const char *key;            /* full object key (prefix included), NULL: the bucket */
    const char *query;          /* "a=1&b=2": encoded, sorted by name, every name with '=' */
    const char *const *headers; /* extra "Name: value" lines, NULL-terminated, or NULL */
    s3_body *body;              /* NULL: no body */
    tl_buf *out;                /* 2xx body appended here, or */
    int out_fd;                 /* written to this fd from offset 0 (-1: neither) */
} s3_request;

typedef struct s3_response {
    long status;
    char etag[64];
    int64_t content_length; /* -1 unknown */
    int64_t mtime_ms;       /* from Last-Modified, -1 unknown */
    char request_id[96];
    int attempts;
    bool ambiguous; /* an earlier failed attempt may have taken effect */
} s3_response;

/* One request with retries (store_s3_http.c). 0 on 2xx; else err says why:
 * 404 TL_ERR_NOT_FOUND, 412 and 409 ConditionalRequestConflict
 * TL_ERR_CONFLICT, other failures TL_ERR_IO (retriable when transient). */
int tl_store_s3_perform(s3_store *s, const s3_request *rq, s3_response *rs, tl_err *err);

/* Retry classification (pure; unit-tested). code: S3 error Code or NULL. */
bool tl_store_s3_status_retriable(long status, const char *code);
bool tl_store_s3_curl_retriable(CURLcode cc);
bool tl_store_s3_curl_signs_removed_headers(void);
/* Backoff before attempt n (1-based): exponential with jitter, ms. */
int64_t tl_store_s3_backoff_ms(int n, uint64_t *rng);

/* Append s percent-encoded the way SigV4 wants (RFC 3986 unreserved kept;
 * '/' kept when keep_slash). */
int tl_store_s3_uri_encode(tl_buf *b, const char *s, bool keep_slash);
/* "s3://bucket/prefix/key" for messages. */
void tl_store_s3_display(const s3_store *s, const char *full_key, char *out, size_t cap);
/* prefix + key, malloc'd. */
char *tl_store_s3_full_key(const s3_store *s, const char *key, tl_err *err);

/* XML (store_s3_xml.c): a deliberately small reader for S3's answers. */
/* Find <tag>text</tag> in [p, end); decode entities into a malloc'd string.
 * *next (may be NULL) is set past the closing tag. NULL when absent. */
char *tl_store_s3_xml_get(const char *p, const char *end, const char *tag, const char **next);
/* The bounds of the next <tag>...</tag> element's content; 0 found, -1 not. */
int tl_store_s3_xml_find(const char *p, const char *end, const char *tag, const char **in_start,
                         const char **in_end);
/* Parse an <Error> document into code/message/request id (empty when absent). */
void tl_store_s3_xml_error(const char *xml, size_t len, char *code, size_t ccap, char *msg,
                           size_t mcap, char *rid, size_t rcap);
/* Append s with XML escaping. */
int tl_store_s3_xml_escape(tl_buf *b, const char *s);
/* "2026-11-24T21:32:46.000Z" -> ms since the epoch (floored); -1 if bad. The
 * RFC 3339 parser of util/rfc3339.h, so a zone is required (S3 writes Z). */
int64_t tl_store_s3_parse_iso8601_ms(const char *s);
/* "Tue, 24 Nov 2026 21:32:46 GMT" -> ms since the epoch; -1 if bad. */
int64_t tl_store_s3_parse_http_date_ms(const char *s);

/* Operations split out of store_s3.c. */
int tl_store_s3_multipart_put(s3_store *s, const char *full_key, s3_body *src, tl_err *err);
int tl_store_s3_list(tl_store *st, const char *prefix, tl_store_entry **out, size_t *n,
                     tl_err *err);
int tl_store_s3_del_many(tl_store *st, const char *const *keys, size_t n, tl_err *err);
int tl_store_s3_any(tl_store *st, const char *prefix, bool *found, tl_err *err);

#endif
