/* store_s3_http — one S3 request over libcurl: URL, SigV4 (done by curl),
 * headers, body in and out, and retries with backoff within a time budget.
 *
 * Everything that is retried is restartable: request bodies are re-read
 * from memory or with pread, response sinks are rewound (buffer length
 * restored, file truncated) before each attempt. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "store/store_s3_int.h"
#include "util/clock.h"
#include "util/log.h"

#define ERRBODY_MAX 65536
#define BACKOFF_BASE_MS 100
#define BACKOFF_CAP_MS 5000

/* ---- classification ------------------------------------------------------ */

bool tl_store_s3_status_retriable(long status, const char *code) {
    if (status >= 500 || status == 429)
        return true;
    if (!code)
        return false;
    /* 4xx answers that AWS documents as transient; everything else (bad
     * credentials, missing bucket, bad request) fails the same way again. */
    return strcmp(code, "SlowDown") == 0 || strcmp(code, "RequestTimeout") == 0 ||
           strcmp(code, "RequestTimeTooSkewed") == 0 || strcmp(code, "OperationAborted") == 0 ||
           strcmp(code, "ConditionalRequestConflict") == 0;
}

bool tl_store_s3_curl_retriable(CURLcode cc) {
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY: return true;
    default: return false;
    }
}

static uint64_t rng_next(uint64_t *x) { /* xorshift64 */
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

int64_t tl_store_s3_backoff_ms(int n, uint64_t *rng) {
    int64_t e = BACKOFF_BASE_MS;
    for (int i = 1; i < n && e < BACKOFF_CAP_MS; i++)
        e *= 2;
    if (e > BACKOFF_CAP_MS)
        e = BACKOFF_CAP_MS;
    /* "equal jitter": half fixed, half random, so writers that failed
     * together do not come back together. */
    return e / 2 + (int64_t)(rng_next(rng) % (uint64_t)(e / 2 + 1));
}

/* ---- URLs and names -------------------------------------------------------- */

int tl_store_s3_uri_encode(tl_buf *b, const char *s, bool keep_slash) {
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && keep_slash)) {
            if (tl_buf_append(b, p, 1) != 0)
                return -1;
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            if (tl_buf_append(b, e, 3) != 0)
                return -1;
        }
    }
    return 0;
}

void tl_store_s3_display(const s3_store *s, const char *full_key, char *out, size_t cap) {
    snprintf(out, cap, "s3://%s/%s", s->bucket, full_key ? full_key : "");
}

char *tl_store_s3_full_key(const s3_store *s, const char *key, tl_err *err) {
    if (!key || !*key || key[0] == '/') {
        tl_err_set(err, TL_ERR_INVALID, "store s3: bad key '%s'", key ? key : "(null)");
        return NULL;
    }
    size_t n = strlen(s->prefix) + strlen(key) + 1;
    char *k = malloc(n);
    if (!k) {
        tl_err_set(err, TL_ERR_NOMEM, "store s3: out of memory");
        return NULL;
    }
    snprintf(k, n, "%s%s", s->prefix, key);
    return k;
}

static int build_url(const s3_store *s, const s3_request *rq, tl_buf *url) {
    int rc = tl_buf_puts(url, s->base_url);
    if (rq->key)
        rc = rc || tl_buf_puts(url, "/") || tl_store_s3_uri_encode(url, rq->key, true);
    else if (s->virtual_host)
        rc = rc || tl_buf_puts(url, "/");
    if (rq->query)
        rc = rc || tl_buf_puts(url, "?") || tl_buf_puts(url, rq->query);
    return rc;
}

/* ---- the handle pool --------------------------------------------------------- */

static CURL *handle_take(s3_store *s) {
    CURL *c = NULL;
    pthread_mutex_lock(&s->lock);
    if (s->npool)
        c = s->pool[--s->npool];
    pthread_mutex_unlock(&s->lock);
    if (c)
        curl_easy_reset(c); /* options cleared; live connections kept */
    else
        c = curl_easy_init();
    return c;
}

static void handle_give(s3_store *s, CURL *c) {
    pthread_mutex_lock(&s->lock);
    if (s->npool < S3_POOL_MAX) {
        s->pool[s->npool++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    if (c)
        curl_easy_cleanup(c);
}

/* ---- callbacks ------------------------------------------------------------- */

typedef struct xfer {
    const s3_request *rq;
    s3_response *rs;
    tl_buf errbody; /* the body of a non-2xx answer (an S3 <Error> document) */
    off_t out_off;
    int write_errno;
} xfer;

static void copy_trimmed(char *dst, size_t cap, const char *v, size_t n) {
    while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static size_t on_header(char *b, size_t sz, size_t nm, void *ud) {
    xfer *x = ud;
    size_t len = sz * nm;
    s3_response *rs = x->rs;
    if (len > 5 && strncmp(b, "HTTP/", 5) == 0) { /* a new response (e.g. after 100) */
        const char *sp = memchr(b, ' ', len);
        rs->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        rs->etag[0] = rs->request_id[0] = '\0';
        rs->content_length = rs->mtime_ms = -1;
        return len;
    }
    const char *colon = memchr(b, ':', len);
    if (!colon)
        return len;
    size_t nlen = (size_t)(colon - b);
    const char *v = colon + 1;
    while (v < b + len && *v == ' ')
        v++;
    size_t vlen = (size_t)(b + len - v);
    char val[256];
    copy_trimmed(val, sizeof val, v, vlen);
#define IS(name) (nlen == sizeof(name) - 1 && strncasecmp(b, name, nlen) == 0)
    if (IS("ETag")) {
        /* an ETag too long to hold is no ETag (the cache then goes by size
         * and time), never a wrong one */
        if (strlen(val) < sizeof rs->etag)
            memcpy(rs->etag, val, strlen(val) + 1);
        else
            rs->etag[0] = '\0';
    } else if (IS("Content-Length"))
        rs->content_length = strtoll(val, NULL, 10);
    else if (IS("Last-Modified"))
        rs->mtime_ms = tl_store_s3_parse_http_date_ms(val);
    else if (IS("x-amz-request-id"))
        copy_trimmed(rs->request_id, sizeof rs->request_id, val, strlen(val)); /* shown only */
#undef IS
    return len;
}

static size_t on_write(char *p, size_t sz, size_t nm, void *ud) {
    xfer *x = ud;
    size_t len = sz * nm;
    if (x->rs->status < 200 || x->rs->status >= 300) {
        if (x->errbody.len < ERRBODY_MAX && tl_buf_append(&x->errbody, p, len) != 0)
            return 0;
        return len;
    }
    if (x->rq->out)
        return tl_buf_append(x->rq->out, p, len) == 0 ? len : 0;
    if (x->rq->out_fd >= 0) {
        for (size_t done = 0; done < len;) {
            ssize_t w = pwrite(x->rq->out_fd, p + done, len - done, x->out_off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                x->write_errno = w < 0 ? errno : ENOSPC;
                return 0;
            }
            done += (size_t)w;
            x->out_off += w;
        }
    }
    return len;
}

static size_t on_read(char *buf, size_t sz, size_t nm, void *ud) {
    s3_body *b = ud;
    size_t want = sz * nm;
    if (want > b->len - b->pos)
        want = b->len - b->pos;
    if (want == 0)
        return 0;
    if (b->fd < 0) {
        memcpy(buf, b->mem + b->pos, want);
    } else {
        ssize_t r;
        do
            r = pread(b->fd, buf, want, b->off + (off_t)b->pos);
        while (r < 0 && errno == EINTR);
        if (r <= 0) /* error, or the file shrank under us */
            return CURL_READFUNC_ABORT;
        want = (size_t)r;
    }
    b->pos += want;
    return want;
}

static int on_seek(void *ud, curl_off_t off, int origin) {
    s3_body *b = ud;
    if (origin != SEEK_SET || off < 0 || (size_t)off > b->len)
        return CURL_SEEKFUNC_CANTSEEK;
    b->pos = (size_t)off;
    return CURL_SEEKFUNC_OK;
}

/* ---- one attempt -------------------------------------------------------------- */

/* Whether this libcurl leaves a header that the request removes ("Name:")
 * out of SigV4's SignedHeaders. Before 8.3.0 it names it there although it
 * does not send it (curl issue 11664), and a server that checks signatures
 * answers SignatureDoesNotMatch to every request. */
bool tl_store_s3_curl_signs_removed_headers(void) {
    return curl_version_info(CURLVERSION_NOW)->version_num < 0x080300;
}

static struct curl_slist *build_headers(const s3_store *s, const s3_request *rq) {
    struct curl_slist *h = NULL, *t;
    /* The payload is not hashed: curl could not hash a streamed upload, and
     * S3 accepts UNSIGNED-PAYLOAD (TLS protects integrity in transit).
     * "Expect:" stops libcurl's 100-continue round trip for large bodies,
     * where that removal stays out of the signature. */
    const char *fixed[] = {"x-amz-content-sha256: UNSIGNED-PAYLOAD",
                           tl_store_s3_curl_signs_removed_headers() ? NULL : "Expect:",
                           strcmp(rq->method, "POST") == 0 ? "Content-Type: application/xml"
                                                           : NULL};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (fixed[i] && (t = curl_slist_append(h, fixed[i])))
            h = t;
    if (s->token_header && (t = curl_slist_append(h, s->token_header)))
        h = t;
    for (size_t i = 0; rq->headers && rq->headers[i]; i++)
        if ((t = curl_slist_append(h, rq->headers[i])))
            h = t;
    return h;
}

/* Before any request reached the endpoint, under first_connect_timeout_ms. */
static bool fail_fast(const s3_store *s) {
    return s->o.first_connect_timeout_ms > 0 && !__atomic_load_n(&s->reached, __ATOMIC_RELAXED);
}

/* The attempt never reached the endpoint: no answer, no connection made. */
static bool unreachable(CURL *c, CURLcode cc) {
    curl_off_t connect_us = 0;
    if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST)
        return true;
    return cc == CURLE_OPERATION_TIMEDOUT &&
           curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &connect_us) == CURLE_OK &&
           connect_us == 0;
}

static void set_options(const s3_store *s, CURL *c, const s3_request *rq, const char *url,
                        struct curl_slist *hdrs, xfer *x, char *errbuf) {
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(fail_fast(s) && s->o.first_connect_timeout_ms < s->o.connect_timeout_ms
                                ? s->o.first_connect_timeout_ms
                                : s->o.connect_timeout_ms));
    /* a stall timeout rather than a total one: big uploads may take long */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)((s->o.timeout_ms + 999) / 1000));
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    if (s->access_key) { /* curl signs (SigV4); user and password kept apart, so a ':' is fine */
        curl_easy_setopt(c, CURLOPT_AWS_SIGV4, s->sigv4);
        curl_easy_setopt(c, CURLOPT_USERNAME, s->access_key);
        curl_easy_setopt(c, CURLOPT_PASSWORD, s->secret_key);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    if (rq->body) {
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, rq->body);
        curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek);
        curl_easy_setopt(c, CURLOPT_SEEKDATA, rq->body);
    }
    if (strcmp(rq->method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(rq->method, "PUT") == 0) {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)(rq->body ? rq->body->len : 0));
    } else if (strcmp(rq->method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(rq->body ? rq->body->len : 0));
        if (!rq->body)
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    } else if (strcmp(rq->method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
    }
}

static const char *status_code_name(long status) {
    switch (status) {
    case 400: return "BadRequest";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 409: return "Conflict";
    case 412: return "PreconditionFailed";
    case 416: return "InvalidRange";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    default: return "HTTPError";
    }
}

typedef struct attempt_result {
    bool ok, retriable, ambiguous, local_error;
    tl_err_code code;
    char what[400];
} attempt_result;

static void classify(const s3_store *s, CURLcode cc, xfer *x, const char *errbuf,
                     attempt_result *ar) {
    s3_response *rs = x->rs;
    memset(ar, 0, sizeof *ar);
    ar->code = TL_ERR_IO;
    if (cc == CURLE_OK && rs->status >= 200 && rs->status < 300) {
        ar->ok = true;
        return;
    }
    (void)s;
    if (cc != CURLE_OK) {
        if (x->write_errno || cc == CURLE_ABORTED_BY_CALLBACK || cc == CURLE_READ_ERROR) {
            ar->local_error = true;
            snprintf(ar->what, sizeof ar->what, "local file: %s",
                     x->write_errno ? strerror(x->write_errno) : "reading the upload failed");
            return;
        }
        ar->retriable = tl_store_s3_curl_retriable(cc);
        /* a refused or unresolved connection never reached the server */
        ar->ambiguous = cc != CURLE_COULDNT_CONNECT && cc != CURLE_COULDNT_RESOLVE_HOST;
        snprintf(ar->what, sizeof ar->what, "%s%s%s", curl_easy_strerror(cc), errbuf[0] ? ": " : "",
                 errbuf);
        return;
    }
    char code[96], msg[256], rid[96];
    tl_store_s3_xml_error(x->errbody.data, x->errbody.len, code, sizeof code, msg, sizeof msg, rid,
                          sizeof rid);
    if (!code[0])
        snprintf(code, sizeof code, "%s", status_code_name(rs->status));
    if (!rid[0])
        snprintf(rid, sizeof rid, "%s", rs->request_id);
    ar->retriable = tl_store_s3_status_retriable(rs->status, code);
    ar->ambiguous = rs->status >= 500;
    /* only a missing object is "not found"; a missing bucket is a setup error */
    if (rs->status == 404 && strcmp(code, "NoSuchBucket") != 0)
        ar->code = TL_ERR_NOT_FOUND;
    else if (rs->status == 412 || strcmp(code, "ConditionalRequestConflict") == 0)
        ar->code = TL_ERR_CONFLICT;
    int n =
        snprintf(ar->what, sizeof ar->what, "HTTP %ld %s%s%s%s%s%s", rs->status, code,
                 msg[0] ? ": " : "", msg, rid[0] ? " (request id " : "", rid, rid[0] ? ")" : "");
    if (n >= (int)sizeof ar->what) /* a long server message: keep its start, say it was cut */
        memcpy(ar->what + sizeof ar->what - 4, "...", 4);
}

static void sleep_ms(int64_t ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void rewind_sinks(const s3_request *rq, xfer *x, size_t out_len0) {
    if (rq->body)
        rq->body->pos = 0;
    if (rq->out) {
        rq->out->len = out_len0;
        if (rq->out->data)
            rq->out->data[out_len0] = '\0';
    }
    if (rq->out_fd >= 0 && x->out_off > 0 && ftruncate(rq->out_fd, 0) != 0)
        x->write_errno = errno;
    x->out_off = 0;
    tl_buf_reset(&x->errbody);
}

int tl_store_s3_perform(s3_store *s, const s3_request *rq, s3_response *rs, tl_err *err) {
    tl_buf url = TL_BUF_INIT;
    char display[1200], errbuf[CURL_ERROR_SIZE];
    tl_store_s3_display(s, rq->key, display, sizeof display);
    memset(rs, 0, sizeof *rs);
    rs->content_length = rs->mtime_ms = -1;
    if (build_url(s, rq, &url) != 0)
        return tl_err_set(err, TL_ERR_NOMEM, "store s3: out of memory");
    CURL *c = handle_take(s);
    struct curl_slist *hdrs = build_headers(s, rq);
    if (!c || !hdrs) {
        if (c)
            handle_give(s, c);
        curl_slist_free_all(hdrs);
        tl_buf_free(&url);
        return tl_err_set(err, TL_ERR_NOMEM, "store s3: cannot set up a request");
    }
    xfer x = {.rq = rq, .rs = rs};
    size_t out_len0 = rq->out ? rq->out->len : 0;
    uint64_t rng = (uint64_t)tl_mono_us() ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)&x;
    int64_t start = tl_mono_ms(), deadline = start + s->o.max_retry_time_ms;
    attempt_result ar;
    int rc = 0;
    for (;;) {
        rewind_sinks(rq, &x, out_len0);
        errbuf[0] = '\0';
        rs->status = 0;
        rs->attempts++;
        set_options(s, c, rq, url.data, hdrs, &x, errbuf);
        CURLcode cc = curl_easy_perform(c);
        classify(s, cc, &x, errbuf, &ar);
        if (cc == CURLE_OK)
            __atomic_store_n(&s->reached, 1, __ATOMIC_RELAXED);
        else if (ar.retriable && fail_fast(s) && unreachable(c, cc)) {
            ar.retriable = false; /* interactive: say so now, not after a minute of retries */
            size_t n = strlen(ar.what);
            snprintf(ar.what + n, sizeof ar.what - n,
                     " (endpoint unreachable; check s3.endpoint / AWS_ENDPOINT_URL)");
        }
        tl_debugf("s3",
                  TL_FIELDS(TL_LS("method", rq->method), TL_LS("file", display),
                            TL_LI("status", rs->status), TL_LI("attempt", rs->attempts)),
                  "%s %s -> %ld %s (attempt %d)", rq->method, display, rs->status,
                  ar.ok ? "ok" : ar.what, rs->attempts);
        if (ar.ok)
            break;
        if (!ar.retriable || ar.local_error)
            goto failed;
        int64_t wait = tl_store_s3_backoff_ms(rs->attempts, &rng);
        if (tl_mono_ms() + wait > deadline)
            goto failed;
        if (ar.ambiguous)
            rs->ambiguous = true;
        tl_warnf("s3",
                 TL_FIELDS(TL_LS("method", rq->method), TL_LS("file", display),
                           TL_LI("status", rs->status), TL_LI("attempt", rs->attempts)),
                 "%s %s: %s; retrying in %" PRId64 " ms", rq->method, display, ar.what, wait);
        sleep_ms(wait);
        curl_easy_reset(c);
    }
    goto out;
failed:
    if (ar.ambiguous)
        rs->ambiguous = true;
    if (ar.retriable)
        rc = tl_err_set_retriable(
            err, ar.code, "store s3: %s %s: %s (gave up after %d attempts in %.1f s)", rq->method,
            display, ar.what, rs->attempts, (double)(tl_mono_ms() - start) / 1000.0);
    else
        rc = tl_err_set(err, ar.code, "store s3: %s %s: %s", rq->method, display, ar.what);
    if (ar.code != TL_ERR_NOT_FOUND && ar.code != TL_ERR_CONFLICT) /* those are answers */
        tl_warnf("s3",
                 TL_FIELDS(TL_LS("method", rq->method), TL_LS("file", display),
                           TL_LI("status", rs->status), TL_LI("attempt", rs->attempts)),
                 "%s %s failed: %s", rq->method, display, ar.what);
out:
    curl_slist_free_all(hdrs);
    handle_give(s, c);
    tl_buf_free(&x.errbody);
    tl_buf_free(&url);
    return rc;
}
