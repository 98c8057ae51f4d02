/* The page and its static files, from the table embedded at build time:
 * an exact-match lookup, so no request path ever reaches the filesystem.
 * Each file gets its content type and an ETag; the page revalidates
 * (no-cache), the charts library may be cached for a day. */
#include <stdio.h>
#include <string.h>

#include "web/web_assets.h"
#include "web/web_int.h"

static const char *content_type(const char *path) {
    const char *dot = strrchr(path, '.');
    if (dot && !strcmp(dot, ".html"))
        return "text/html; charset=utf-8";
    if (dot && !strcmp(dot, ".js"))
        return "text/javascript; charset=utf-8";
    if (dot && !strcmp(dot, ".css"))
        return "text/css; charset=utf-8";
    return "application/octet-stream";
}

/* FNV-1a of the content: changes whenever a rebuilt binary changes a file. */
static void etag(const tl_web_asset *a, char *out, size_t cap) {
    unsigned long long h = 1469598103934665603ULL;
    for (size_t i = 0; i < a->len; i++)
        h = (h ^ a->data[i]) * 1099511628211ULL;
    snprintf(out, cap, "\"%016llx\"", h);
}

static const tl_web_asset *find(const char *path) {
    if (!strcmp(path, "/"))
        path = "/index.html";
    for (size_t i = 0; i < tl_web_assets_count; i++)
        if (!strcmp(tl_web_assets[i].path, path))
            return &tl_web_assets[i];
    return NULL;
}

static void serve(tl_web *w, const tl_web_req *req, tl_web_resp *r) {
    const tl_web_asset *a = find(req->path);
    if (!a) {
        tl_web_error(r, 404, "no such file");
        return;
    }
    etag(a, r->etag, sizeof r->etag);
    r->content_type = content_type(a->path);
    r->cache_control = strstr(a->path, "/vendor/") ? "public, max-age=86400" : "no-cache";
    if (req->if_none_match && !strcmp(req->if_none_match, r->etag)) {
        r->status = 304;
        return;
    }
    r->status = 200;
    r->static_body = a->data;
    r->static_len = a->len;
}

void tl_web_static_register(tl_web *w) {
    tl_web_register(w, "/", false, serve);
    for (size_t i = 0; i < tl_web_assets_count; i++)
        tl_web_register(w, tl_web_assets[i].path, false, serve);
}
