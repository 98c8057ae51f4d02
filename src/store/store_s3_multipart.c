/* store_s3_multipart — large objects as a multipart upload: initiate, put
 * the parts (each retried on its own, bodies re-read from memory or the
 * file), complete; abort on failure so no parts linger (billed) on S3. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_s3_int.h"
#include "util/log.h"

#define MAX_PARTS 10000

typedef struct upload {
    s3_store *s;
    const char *key; /* full key */
    char *id;        /* UploadId */
    char (*etags)[64];
    int nparts;
    int64_t part_size;
} upload;

static int initiate(upload *u, tl_err *err) {
    tl_buf resp = TL_BUF_INIT;
    s3_request rq = {
        .method = "POST", .key = u->key, .query = "uploads=", .out = &resp, .out_fd = -1};
    s3_response rs;
    int rc = tl_store_s3_perform(u->s, &rq, &rs, err);
    if (rc == 0 &&
        !(u->id = tl_store_s3_xml_get(resp.data, resp.data + resp.len, "UploadId", NULL)))
        rc = tl_err_set(err, TL_ERR_CORRUPT,
                        "store s3: starting a multipart upload of %s: no UploadId in the answer",
                        u->key);
    tl_buf_free(&resp);
    return rc;
}

/* "partNumber=N&uploadId=ID" or "uploadId=ID" (sorted: curl signs it as is). */
static int upload_query(const upload *u, int part, tl_buf *q) {
    tl_buf_reset(q);
    if (part > 0 && tl_buf_printf(q, "partNumber=%d&", part))
        return -1;
    return tl_buf_puts(q, "uploadId=") || tl_store_s3_uri_encode(q, u->id, false);
}

static int put_parts(upload *u, const s3_body *src, tl_err *err) {
    tl_buf q = TL_BUF_INIT;
    int rc = 0;
    for (int i = 0; i < u->nparts && rc == 0; i++) {
        size_t off = (size_t)(i * u->part_size);
        s3_body part = {.mem = src->fd < 0 ? src->mem + off : NULL,
                        .fd = src->fd,
                        .off = src->off + (off_t)off,
                        .len = src->len - off < (size_t)u->part_size ? src->len - off
                                                                     : (size_t)u->part_size};
        if (upload_query(u, i + 1, &q) != 0) {
            rc = tl_err_set(err, TL_ERR_NOMEM, "store s3: out of memory");
            break;
        }
        s3_request rq = {
            .method = "PUT", .key = u->key, .query = q.data, .body = &part, .out_fd = -1};
        s3_response rs;
        if ((rc = tl_store_s3_perform(u->s, &rq, &rs, err)) != 0)
            tl_err_wrap(err, rc, "part %d of %d", i + 1, u->nparts);
        else if (!rs.etag[0])
            rc = tl_err_set(err, TL_ERR_CORRUPT, "store s3: part %d of %s: no ETag in the answer",
                            i + 1, u->key);
        else
            memcpy(u->etags[i], rs.etag, sizeof u->etags[i]);
    }
    tl_buf_free(&q);
    return rc;
}

/* After an ambiguous failure, Complete may say NoSuchUpload because our
 * earlier attempt completed it: the object then has our size and a
 * multipart ETag for our number of parts, and is newer than our start. */
static bool completed_already(upload *u, int64_t size, int64_t started_ms) {
    s3_request rq = {.method = "HEAD", .key = u->key, .out_fd = -1};
    s3_response rs;
    char suffix[24];
    snprintf(suffix, sizeof suffix, "-%d\"", u->nparts);
    if (tl_store_s3_perform(u->s, &rq, &rs, NULL) != 0)
        return false;
    size_t el = strlen(rs.etag), sl = strlen(suffix);
    return rs.content_length == size && el > sl && strcmp(rs.etag + el - sl, suffix) == 0 &&
           rs.mtime_ms >= started_ms - 1000;
}

static int complete(upload *u, int64_t size, int64_t started_ms, tl_err *err) {
    tl_buf xml = TL_BUF_INIT, q = TL_BUF_INIT, resp = TL_BUF_INIT;
    int rc = tl_buf_puts(
        &xml, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (int i = 0; i < u->nparts && !rc; i++)
        rc = tl_buf_printf(&xml, "<Part><PartNumber>%d</PartNumber><ETag>", i + 1) ||
             tl_store_s3_xml_escape(&xml, u->etags[i]) || tl_buf_puts(&xml, "</ETag></Part>");
    rc = rc || tl_buf_puts(&xml, "</CompleteMultipartUpload>") || upload_query(u, 0, &q);
    if (rc) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "store s3: out of memory");
        goto out;
    }
    uint64_t rng = (uint64_t)(uintptr_t)u ^ (uint64_t)started_ms;
    for (int attempt = 1;; attempt++) {
        s3_body body = {.mem = xml.data, .fd = -1, .len = xml.len};
        s3_request rq = {.method = "POST",
                         .key = u->key,
                         .query = q.data,
                         .body = &body,
                         .out = &resp,
                         .out_fd = -1};
        s3_response rs;
        tl_buf_reset(&resp);
        rc = tl_store_s3_perform(u->s, &rq, &rs, err);
        if (rc == TL_ERR_NOT_FOUND && rs.ambiguous && completed_already(u, size, started_ms)) {
            tl_err_clear(err);
            rc = 0;
            break;
        }
        if (rc)
            break;
        /* S3 may answer 200 and then report an error in the body */
        char code[96], msg[256], rid[96];
        tl_store_s3_xml_error(resp.data, resp.len, code, sizeof code, msg, sizeof msg, rid,
                              sizeof rid);
        if (!code[0])
            break;
        bool again = tl_store_s3_status_retriable(500, code) && attempt < 5;
        rc = (again ? tl_err_set_retriable : tl_err_set)(
            err, TL_ERR_IO, "store s3: completing the upload of s3://%s/%s: %s: %s (request id %s)",
            u->s->bucket, u->key, code, msg, rid);
        if (!again)
            break;
        struct timespec ts = {0, (long)tl_store_s3_backoff_ms(attempt, &rng) * 1000000L};
        nanosleep(&ts, NULL);
    }
out:
    tl_buf_free(&xml);
    tl_buf_free(&q);
    tl_buf_free(&resp);
    return rc;
}

static void abort_upload(upload *u) {
    tl_buf q = TL_BUF_INIT;
    tl_err e = {0};
    if (upload_query(u, 0, &q) == 0) {
        s3_request rq = {.method = "DELETE", .key = u->key, .query = q.data, .out_fd = -1};
        s3_response rs;
        if (tl_store_s3_perform(u->s, &rq, &rs, &e) != 0)
            tl_warn("s3", "could not abort the multipart upload of %s: %s", u->key, e.msg);
    }
    tl_buf_free(&q);
}

int tl_store_s3_multipart_put(s3_store *s, const char *full_key, s3_body *src, tl_err *err) {
    upload u = {.s = s, .key = full_key, .part_size = s->o.part_size};
    while ((int64_t)src->len / u.part_size >= MAX_PARTS)
        u.part_size *= 2;
    u.nparts = (int)(((int64_t)src->len + u.part_size - 1) / u.part_size);
    if (u.nparts < 1)
        u.nparts = 1;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t started_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    int rc;
    if (!(u.etags = calloc((size_t)u.nparts, sizeof *u.etags)))
        return tl_err_set(err, TL_ERR_NOMEM, "store s3: out of memory");
    if ((rc = initiate(&u, err)) == 0) {
        tl_debug("s3", "multipart upload of %s: %d parts of %" PRId64 " bytes", full_key, u.nparts,
                 u.part_size);
        rc = put_parts(&u, src, err);
        if (rc == 0)
            rc = complete(&u, (int64_t)src->len, started_ms, err);
        if (rc)
            abort_upload(&u);
    }
    free(u.id);
    free(u.etags);
    return rc;
}
