/* store_s3_list — ListObjectsV2 (paged with continuation tokens) and
 * DeleteObjects (up to 1000 keys per request). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_s3_int.h"
#include "util/base64.h"

#define DELETE_BATCH 1000

typedef struct entry_vec {
    tl_store_entry *v;
    size_t n, cap;
} entry_vec;

static int vec_add(entry_vec *ev, const s3_store *s, const char *a, const char *b) {
    char *key = tl_store_s3_xml_get(a, b, "Key", NULL);
    char *size = tl_store_s3_xml_get(a, b, "Size", NULL);
    char *lm = tl_store_s3_xml_get(a, b, "LastModified", NULL);
    char *etag = tl_store_s3_xml_get(a, b, "ETag", NULL);
    size_t pn = strlen(s->prefix);
    int rc = 0;
    if (!key || strncmp(key, s->prefix, pn) != 0 || !key[pn])
        goto out; /* not ours (cannot happen with a prefix query) or the prefix itself */
    rc = -1;
    if (ev->n == ev->cap) {
        size_t nc = ev->cap ? ev->cap * 2 : 256;
        tl_store_entry *nv = realloc(ev->v, nc * sizeof *nv);
        if (!nv)
            goto out;
        ev->v = nv;
        ev->cap = nc;
    }
    tl_store_entry *e = &ev->v[ev->n];
    memset(e, 0, sizeof *e);
    if (!(e->key = strdup(key + pn)))
        goto out;
    e->size = size ? strtoll(size, NULL, 10) : -1;
    e->mtime_ms = tl_store_s3_parse_iso8601_ms(lm);
    snprintf(e->etag, sizeof e->etag, "%s", etag ? etag : "");
    ev->n++;
    rc = 0;
out:
    free(key);
    free(size);
    free(lm);
    free(etag);
    return rc;
}

static int cmp_entry(const void *a, const void *b) {
    return strcmp(((const tl_store_entry *)a)->key, ((const tl_store_entry *)b)->key);
}

/* One page: parse its Contents into ev; *token = NextContinuationToken or NULL. */
static int parse_page(const s3_store *s, const tl_buf *b, entry_vec *ev, char **token,
                      tl_err *err) {
    const char *p = b->data ? b->data : "", *end = p + b->len, *a, *z;
    if (tl_store_s3_xml_find(p, end, "ListBucketResult", &a, &z) != 0)
        return tl_err_set(err, TL_ERR_CORRUPT, "store s3: list of s3://%s: not a ListBucketResult",
                          s->bucket);
    for (const char *q = a; tl_store_s3_xml_find(q, z, "Contents", &p, &end) == 0; q = end)
        if (vec_add(ev, s, p, end) != 0)
            return tl_err_set(err, TL_ERR_NOMEM, "store s3: out of memory listing");
    char *trunc = tl_store_s3_xml_get(a, z, "IsTruncated", NULL);
    bool more = trunc && strcmp(trunc, "true") == 0;
    free(trunc);
    *token = more ? tl_store_s3_xml_get(a, z, "NextContinuationToken", NULL) : NULL;
    if (more && !*token)
        return tl_err_set(err, TL_ERR_CORRUPT,
                          "store s3: list of s3://%s: truncated page without a continuation token",
                          s->bucket);
    return 0;
}

/* Every key under prefix, page by page (all of them when whole, else the
 * first page of at most max_keys), appended to ev. */
static int list_pages(s3_store *s, const char *prefix, bool whole, int max_keys, entry_vec *ev,
                      tl_err *err) {
    tl_buf q = TL_BUF_INIT, page = TL_BUF_INIT;
    char *token = NULL, *full = NULL;
    int rc = 0;
    size_t fn = strlen(s->prefix) + strlen(prefix ? prefix : "") + 1;
    if (!(full = malloc(fn))) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "store s3: out of memory");
        goto out;
    }
    snprintf(full, fn, "%s%s", s->prefix, prefix ? prefix : "");
    do {
        /* query parameters sorted by name: curl signs the query as given */
        tl_buf_reset(&q);
        tl_buf_reset(&page);
        if (token && (tl_buf_puts(&q, "continuation-token=") ||
                      tl_store_s3_uri_encode(&q, token, false) || tl_buf_puts(&q, "&"))) {
            rc = tl_err_set(err, TL_ERR_NOMEM, "store s3: out of memory");
            goto out;
        }
        if (tl_buf_printf(&q, "list-type=2&max-keys=%d&prefix=", max_keys) ||
            tl_store_s3_uri_encode(&q, full, false)) {
            rc = tl_err_set(err, TL_ERR_NOMEM, "store s3: out of memory");
            goto out;
        }
        s3_request rq = {.method = "GET", .query = q.data, .out = &page, .out_fd = -1};
        s3_response rs;
        if ((rc = tl_store_s3_perform(s, &rq, &rs, err)) != 0)
            goto out;
        free(token);
        token = NULL;
        if ((rc = parse_page(s, &page, ev, &token, err)) != 0)
            goto out;
    } while (token && whole);
out:
    free(token);
    free(full);
    tl_buf_free(&q);
    tl_buf_free(&page);
    return rc;
}

int tl_store_s3_any(tl_store *st, const char *prefix, bool *found, tl_err *err) {
    entry_vec ev = {0};
    int rc = list_pages((s3_store *)st, prefix, false, 1, &ev, err);
    *found = rc == 0 && ev.n > 0;
    tl_store_entries_free(ev.v, ev.n);
    return rc;
}

int tl_store_s3_list(tl_store *st, const char *prefix, tl_store_entry **out, size_t *n,
                     tl_err *err) {
    s3_store *s = (s3_store *)st;
    entry_vec ev = {0};
    int rc = list_pages(s, prefix, true, s->o.list_page_size, &ev, err);
    if (rc)
        goto out;
    if (ev.n)
        qsort(ev.v, ev.n, sizeof *ev.v, cmp_entry);
    *out = ev.v;
    *n = ev.n;
    ev.v = NULL;
    ev.n = 0;
out:
    tl_store_entries_free(ev.v, ev.n);
    return rc;
}

/* ---- DeleteObjects ----------------------------------------------------------- */

/* The first <Error> of a DeleteResult, as an error; 0 when there is none. */
static int delete_errors(const s3_store *s, const tl_buf *b, tl_err *err) {
    const char *p = b->data ? b->data : "", *end = p + b->len, *a, *z;
    if (tl_store_s3_xml_find(p, end, "Error", &a, &z) != 0)
        return 0;
    char *key = tl_store_s3_xml_get(a, z, "Key", NULL),
         *code = tl_store_s3_xml_get(a, z, "Code", NULL);
    char *msg = tl_store_s3_xml_get(a, z, "Message", NULL);
    int rc = tl_err_set(err, TL_ERR_IO, "store s3: DeleteObjects in s3://%s: %s: %s: %s", s->bucket,
                        key ? key : "?", code ? code : "?", msg ? msg : "");
    free(key);
    free(code);
    free(msg);
    return rc;
}

static int delete_batch(s3_store *s, const char *const *keys, size_t n, tl_err *err) {
    tl_buf xml = TL_BUF_INIT, resp = TL_BUF_INIT;
    int rc = tl_buf_puts(&xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                               "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                               "<Quiet>true</Quiet>");
    for (size_t i = 0; i < n && !rc; i++)
        rc = tl_buf_puts(&xml, "<Object><Key>") || tl_buf_puts(&xml, s->prefix) ||
             tl_store_s3_xml_escape(&xml, keys[i]) || tl_buf_puts(&xml, "</Key></Object>");
    rc = rc || tl_buf_puts(&xml, "</Delete>");
    if (rc) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "store s3: out of memory");
        goto out;
    }
    unsigned char md5[16];
    char b64[32], md5_header[64];
    tl_md5(xml.data, xml.len, md5);
    tl_base64_encode(md5, sizeof md5, b64);
    snprintf(md5_header, sizeof md5_header, "Content-MD5: %s", b64);
    const char *hdrs[] = {md5_header, NULL};
    s3_body body = {.mem = xml.data, .fd = -1, .len = xml.len};
    s3_request rq = {.method = "POST",
                     .query = "delete=",
                     .headers = hdrs,
                     .body = &body,
                     .out = &resp,
                     .out_fd = -1};
    s3_response rs;
    if ((rc = tl_store_s3_perform(s, &rq, &rs, err)) == 0)
        rc = delete_errors(s, &resp, err);
out:
    tl_buf_free(&xml);
    tl_buf_free(&resp);
    return rc;
}

int tl_store_s3_del_many(tl_store *st, const char *const *keys, size_t n, tl_err *err) {
    s3_store *s = (s3_store *)st;
    for (size_t i = 0; i < n; i++)
        if (!keys[i] || !*keys[i] || keys[i][0] == '/')
            return tl_err_set(err, TL_ERR_INVALID, "store s3: bad key '%s' to delete",
                              keys[i] ? keys[i] : "(null)");
    for (size_t i = 0; i < n; i += DELETE_BATCH) {
        int rc = delete_batch(s, keys + i, n - i < DELETE_BATCH ? n - i : DELETE_BATCH, err);
        if (rc)
            return rc;
    }
    return 0;
}
