/* store_s3 — the S3 backend: opening, and the single-object operations
 * (put, put-if-absent, get, range get, head, delete). Listing and batch
 * delete are in store_s3_list.c, multipart uploads in store_s3_multipart.c,
 * the HTTP machinery in store_s3_http.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_s3_int.h"
#include "util/log.h"

#define MiB (1024 * 1024)

/* ---- single-object operations ------------------------------------------- */

static int put_body(s3_store *s, const char *key, s3_body *body, tl_err *err) {
    char *full = tl_store_s3_full_key(s, key, err);
    if (!full)
        return err ? err->code : TL_ERR_INVALID;
    int rc;
    if ((int64_t)body->len > s->o.multipart_threshold) {
        rc = tl_store_s3_multipart_put(s, full, body, err);
    } else {
        s3_request rq = {.method = "PUT", .key = full, .body = body, .out_fd = -1};
        s3_response rs;
        rc = tl_store_s3_perform(s, &rq, &rs, err);
    }
    free(full);
    return rc;
}

static int s3_put(tl_store *st, const char *key, const void *data, size_t len, tl_err *err) {
    s3_body body = {.mem = data, .fd = -1, .len = len};
    return put_body((s3_store *)st, key, &body, err);
}

static int s3_put_file(tl_store *st, const char *key, const char *local_path, tl_err *err) {
    int fd = open(local_path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return tl_err_set(err, TL_ERR_IO, "store s3: cannot read %s: %s", local_path, strerror(e));
    }
    s3_body body = {.fd = fd, .len = (size_t)sb.st_size};
    int rc = put_body((s3_store *)st, key, &body, err);
    close(fd);
    return rc;
}

/* After a put-if-absent found the key taken, the object there may be our
 * own earlier attempt whose answer was lost: it is ours exactly when it
 * holds our bytes (commits carry a txnId and a timestamp, so others differ). */
static bool object_is(s3_store *s, const char *full, const void *data, size_t len) {
    tl_buf b = TL_BUF_INIT;
    s3_request rq = {.method = "GET", .key = full, .out = &b, .out_fd = -1};
    s3_response rs;
    bool same = tl_store_s3_perform(s, &rq, &rs, NULL) == 0 && b.len == len &&
                (len == 0 || memcmp(b.data, data, len) == 0);
    tl_buf_free(&b);
    return same;
}

static int s3_put_if_absent(tl_store *st, const char *key, const void *data, size_t len,
                            tl_err *err) {
    s3_store *s = (s3_store *)st;
    char *full = tl_store_s3_full_key(s, key, err);
    if (!full)
        return err ? err->code : TL_ERR_INVALID;
    s3_body body = {.mem = data, .fd = -1, .len = len};
    const char *hdrs[] = {"If-None-Match: *", NULL};
    s3_request rq = {.method = "PUT", .key = full, .headers = hdrs, .body = &body, .out_fd = -1};
    s3_response rs;
    int rc = tl_store_s3_perform(s, &rq, &rs, err);
    /* Always look, not only after a failure we saw: libcurl itself resends a
     * request whose reused connection died before the answer, so our first
     * attempt can have landed without any sign of it here. */
    if (rc == TL_ERR_CONFLICT && object_is(s, full, data, len)) {
        tl_info("s3", "put-if-absent %s: an earlier attempt had landed; it is ours", key);
        tl_err_clear(err);
        rc = 0;
    } else if (rc == TL_ERR_CONFLICT && err) {
        err->retriable = true; /* the caller re-reads and tries the next name */
    }
    free(full);
    return rc;
}

static int get_common(tl_store *st, const char *key, const char *range, tl_buf *out, int fd,
                      tl_err *err) {
    s3_store *s = (s3_store *)st;
    char *full = tl_store_s3_full_key(s, key, err);
    if (!full)
        return err ? err->code : TL_ERR_INVALID;
    const char *hdrs[] = {range, NULL};
    s3_request rq = {
        .method = "GET", .key = full, .headers = range ? hdrs : NULL, .out = out, .out_fd = fd};
    s3_response rs;
    int rc = tl_store_s3_perform(s, &rq, &rs, err);
    free(full);
    return rc;
}

static int s3_get(tl_store *st, const char *key, tl_buf *out, tl_err *err) {
    return get_common(st, key, NULL, out, -1, err);
}

static int s3_get_range(tl_store *st, const char *key, int64_t offset, int64_t len, tl_buf *out,
                        tl_err *err) {
    if (offset < 0)
        return tl_err_set(err, TL_ERR_INVALID, "store s3: negative range offset for '%s'", key);
    if (len == 0)
        return 0;
    char range[96];
    if (len < 0)
        snprintf(range, sizeof range, "Range: bytes=%" PRId64 "-", offset);
    else
        snprintf(range, sizeof range, "Range: bytes=%" PRId64 "-%" PRId64, offset,
                 offset + len - 1);
    return get_common(st, key, range, out, -1, err);
}

static int s3_get_file(tl_store *st, const char *key, const char *local_path, tl_err *err) {
    int fd = open(local_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return tl_err_set(err, TL_ERR_IO, "store s3: cannot create %s: %s", local_path,
                          strerror(errno));
    int rc = get_common(st, key, NULL, NULL, fd, err);
    if (close(fd) != 0 && rc == 0)
        rc = tl_err_set(err, TL_ERR_IO, "store s3: writing %s: %s", local_path, strerror(errno));
    if (rc)
        unlink(local_path); /* no half-downloaded files left behind */
    return rc;
}

static int s3_head(tl_store *st, const char *key, tl_store_entry *out, tl_err *err) {
    s3_store *s = (s3_store *)st;
    char *full = tl_store_s3_full_key(s, key, err);
    if (!full)
        return err ? err->code : TL_ERR_INVALID;
    s3_request rq = {.method = "HEAD", .key = full, .out_fd = -1};
    s3_response rs;
    int rc = tl_store_s3_perform(s, &rq, &rs, err);
    free(full);
    if (rc)
        return rc;
    memset(out, 0, sizeof *out);
    if (!(out->key = strdup(key)))
        return tl_err_set(err, TL_ERR_NOMEM, "store s3: out of memory");
    out->size = rs.content_length;
    out->mtime_ms = rs.mtime_ms;
    snprintf(out->etag, sizeof out->etag, "%s", rs.etag);
    return 0;
}

static int s3_del(tl_store *st, const char *key, tl_err *err) {
    s3_store *s = (s3_store *)st;
    char *full = tl_store_s3_full_key(s, key, err);
    if (!full)
        return err ? err->code : TL_ERR_INVALID;
    s3_request rq = {.method = "DELETE", .key = full, .out_fd = -1};
    s3_response rs;
    int rc = tl_store_s3_perform(s, &rq, &rs, err);
    free(full);
    if (rc == TL_ERR_NOT_FOUND) { /* some S3-compatibles answer 404 for absent keys */
        tl_err_clear(err);
        rc = 0;
    }
    return rc;
}

static void wipe_free(char *secret) {
    if (secret) {
        explicit_bzero(secret, strlen(secret));
        free(secret);
    }
}

static void s3_destroy(tl_store *st) {
    s3_store *s = (s3_store *)st;
    if (!s)
        return;
    for (int i = 0; i < s->npool; i++)
        curl_easy_cleanup(s->pool[i]);
    pthread_mutex_destroy(&s->lock);
    free(s->bucket);
    free(s->prefix);
    free(s->base_url);
    free(s->sigv4);
    free(s->access_key);
    wipe_free(s->secret_key);
    wipe_free(s->token_header);
    free(s->base.uri);
    free(s);
}

static const tl_store_ops s3_ops = {
    .name = "s3",
    .put = s3_put,
    .put_file = s3_put_file,
    .put_if_absent = s3_put_if_absent,
    .get = s3_get,
    .get_file = s3_get_file,
    .head = s3_head,
    .list = tl_store_s3_list,
    .any = tl_store_s3_any,
    .del = s3_del,
    .local_path = NULL,
    .destroy = s3_destroy,
    .get_range = s3_get_range,
    .del_many = tl_store_s3_del_many,
};

/* ---- opening ------------------------------------------------------------------ */

static void options_defaults(tl_store_s3_options *o) {
    if (o->multipart_threshold <= 0)
        o->multipart_threshold = 16 * MiB;
    if (o->part_size <= 0)
        o->part_size = 8 * MiB;
    if (o->timeout_ms <= 0)
        o->timeout_ms = 30000;
    if (o->connect_timeout_ms <= 0)
        o->connect_timeout_ms = o->timeout_ms < 10000 ? o->timeout_ms : 10000;
    if (o->max_retry_time_ms <= 0)
        o->max_retry_time_ms = 60000;
    if (o->list_page_size <= 0 || o->list_page_size > 1000)
        o->list_page_size = 1000;
}

/* "s3://bucket/a/b/" -> bucket "bucket", prefix "a/b/". */
static int parse_uri(s3_store *s, const char *uri, tl_err *err) {
    if (!uri || strncmp(uri, "s3://", 5) != 0)
        return tl_err_set(err, TL_ERR_INVALID, "store s3: '%s' is not an s3://bucket/prefix URI",
                          uri ? uri : "(null)");
    const char *b = uri + 5, *slash = strchr(b, '/');
    size_t bn = slash ? (size_t)(slash - b) : strlen(b);
    for (size_t i = 0; i < bn; i++) {
        char c = b[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              (c >= 'A' && c <= 'Z') || c == '_'))
            bn = 0;
    }
    if (bn == 0)
        return tl_err_set(err, TL_ERR_INVALID, "store s3: bad bucket name in '%s'", uri);
    const char *p = slash ? slash : "";
    while (*p == '/')
        p++;
    size_t pn = strlen(p);
    while (pn && p[pn - 1] == '/')
        pn--;
    s->bucket = strndup(b, bn);
    s->prefix = malloc(pn + 2);
    if (!s->bucket || !s->prefix)
        return tl_err_set(err, TL_ERR_NOMEM, "store s3: out of memory");
    memcpy(s->prefix, p, pn);
    strcpy(s->prefix + pn, pn ? "/" : "");
    return 0;
}

static int make_base_url(s3_store *s, const char *endpoint, const char *region, int path_style,
                         tl_err *err) {
    tl_buf u = TL_BUF_INIT;
    int rc = 0;
    if (!endpoint || !*endpoint) {
        /* AWS itself: virtual-hosted unless asked otherwise */
        s->virtual_host = path_style != 1;
        if (s->virtual_host)
            rc = tl_buf_printf(&u, "https://%s.s3.%s.amazonaws.com", s->bucket, region);
        else
            rc = tl_buf_printf(&u, "https://s3.%s.amazonaws.com/%s", region, s->bucket);
    } else {
        const char *sep = strstr(endpoint, "://");
        if (!sep) {
            return tl_err_set(err, TL_ERR_INVALID,
                              "store s3: endpoint '%s' needs a scheme, e.g. http://host:9000",
                              endpoint);
        }
        size_t n = strlen(endpoint);
        while (n > (size_t)(sep - endpoint) + 3 && endpoint[n - 1] == '/')
            n--;
        s->virtual_host = path_style == 0; /* custom endpoints default to path-style */
        if (s->virtual_host)
            rc = tl_buf_printf(&u, "%.*s%s.%.*s", (int)(sep + 3 - endpoint), endpoint, s->bucket,
                               (int)(n - (size_t)(sep + 3 - endpoint)), sep + 3);
        else
            rc = tl_buf_printf(&u, "%.*s/%s", (int)n, endpoint, s->bucket);
    }
    if (rc) {
        tl_buf_free(&u);
        return tl_err_set(err, TL_ERR_NOMEM, "store s3: out of memory");
    }
    s->base_url = u.data;
    return 0;
}

static int set_credentials(s3_store *s, const tl_store_s3_options *o, tl_err *err) {
    if (!o->access_key_id || !*o->access_key_id)
        return 0; /* anonymous */
    if (!o->secret_access_key || !*o->secret_access_key)
        return tl_err_set(err, TL_ERR_INVALID,
                          "store s3: an access key id is set but no secret access key");
    s->access_key = strdup(o->access_key_id);
    s->secret_key = strdup(o->secret_access_key);
    if (o->session_token && *o->session_token) {
        size_t n = strlen(o->session_token) + 32;
        if ((s->token_header = malloc(n)))
            snprintf(s->token_header, n, "x-amz-security-token: %s", o->session_token);
    }
    if (!s->access_key || !s->secret_key ||
        (o->session_token && *o->session_token && !s->token_header))
        return tl_err_set(err, TL_ERR_NOMEM, "store s3: out of memory");
    return 0;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void tl_store_s3_options_from_env(tl_store_s3_options *o) {
    memset(o, 0, sizeof *o);
    o->path_style = -1;
    o->endpoint = getenv("AWS_ENDPOINT_URL_S3");
    if (!o->endpoint || !*o->endpoint)
        o->endpoint = getenv("AWS_ENDPOINT_URL");
    o->region = getenv("AWS_REGION");
    if (!o->region || !*o->region)
        o->region = getenv("AWS_DEFAULT_REGION");
    o->access_key_id = getenv("AWS_ACCESS_KEY_ID");
    o->secret_access_key = getenv("AWS_SECRET_ACCESS_KEY");
    o->session_token = getenv("AWS_SESSION_TOKEN");
}

tl_store *tl_store_s3_new(const char *uri, const tl_store_s3_options *opts, tl_err *err) {
    pthread_once(&curl_once, curl_init_once);
    tl_store_s3_options o = {.path_style = -1};
    if (opts)
        o = *opts;
    const char *region = o.region && *o.region ? o.region : "us-east-1";
    s3_store *s = calloc(1, sizeof *s);
    if (!s) {
        tl_err_set(err, TL_ERR_NOMEM, "store s3: out of memory");
        return NULL;
    }
    s->base.ops = &s3_ops;
    pthread_mutex_init(&s->lock, NULL);
    if (parse_uri(s, uri, err) != 0 ||
        make_base_url(s, o.endpoint, region, o.path_style, err) != 0 ||
        set_credentials(s, &o, err) != 0)
        goto fail;
    size_t n = strlen(region) + 16;
    s->sigv4 = malloc(n);
    s->base.uri = strdup(uri);
    if (!s->sigv4 || !s->base.uri) {
        tl_err_set(err, TL_ERR_NOMEM, "store s3: out of memory");
        goto fail;
    }
    snprintf(s->sigv4, n, "aws:amz:%s:s3", region);
    options_defaults(&o);
    o.endpoint = o.region = o.access_key_id = o.secret_access_key = o.session_token = NULL;
    s->o = o;
    tl_debug("s3", "store %s at %s (%s, region %s, %s)", uri, s->base_url,
             s->virtual_host ? "virtual-hosted" : "path-style", region,
             s->access_key ? "signed" : "anonymous");
    return &s->base;
fail:
    s3_destroy(&s->base);
    return NULL;
}
