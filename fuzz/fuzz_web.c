/* libFuzzer target: the dashboard's request handling without a socket
 * (tl_web_handle: URL parsing and percent-decoding, routing, the bearer
 * token, every endpoint's parameters; tl_web_dispatch for If-None-Match),
 * on two servers over one live state with known ticks: one with a token,
 * one without. No lake (store NULL): ranges are served from the live state.
 *
 * Input: up to four lines, "METHOD\nURL\nAUTHORIZATION\nIF-NONE-MATCH";
 * a missing line is an absent header.
 *
 * Must never crash or leak. Oracles:
 *  - the status is one the server documents (200 304 400 401 404 405 414);
 *  - a JSON answer parses as JSON (yajl's tree parser);
 *  - the token is never in an answer unless the request itself held it;
 *  - without "Authorization: Bearer <token>" and without "token" anywhere
 *    in the URL, the token server answers nothing but static assets
 *    (and 304s for them) or errors;
 *  - a 304 only for an If-None-Match equal to the asset's ETag. */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "live/live.h"
#include "web/web.h"

#define TOKEN "s3cret-fuzz-token"
#define MIN_US 60000000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static tl_live *live;
static tl_web *open_web, *token_web;

static void check(int ok, const char *what, const uint8_t *data, size_t size) {
    if (ok)
        return;
    fprintf(stderr, "fuzz_web: %s; request of %zu bytes: %.*s\n", what, size, (int)size,
            (const char *)data);
    abort();
}

static void setup(void) {
    const int64_t t0 = 1795550400LL * 1000000; /* 2026-11-24 20:00:00 UTC */
    live = tl_live_new(NULL);
    if (!live)
        abort();
    tl_live_set_since(live, t0);
    tl_live_add(live, "AAPL", t0 + 1, 10000000, 100);
    tl_live_add(live, "AAPL", t0 + 2, 12000000, 100);
    tl_live_add(live, "AAPL", t0 + 3, 8000000, 200);
    tl_live_add(live, "AAPL", t0 + 2 * MIN_US, 11000000, 100);
    tl_live_add(live, "BRK.B", t0, 400000000, 1);
    tl_err err;
    tl_web_opts o = {.listen = "127.0.0.1:0", .live = live};
    open_web = tl_web_new(&o, &err);
    o.token = TOKEN;
    token_web = tl_web_new(&o, &err);
    if (!open_web || !token_web)
        abort();
}

static int in(const void *hay, size_t n, const char *needle) {
    return hay && memmem(hay, n, needle, strlen(needle)) != NULL;
}

static void check_resp(const tl_web_resp *r, const uint8_t *data, size_t size) {
    static const int ok[] = {200, 304, 400, 401, 404, 405, 414};
    int known = 0;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        known |= r->status == ok[i];
    check(known, "undocumented status", data, size);
    check(r->content_type != NULL || r->status == 304, "no content type", data, size);
    if (!in(data, size, TOKEN))
        check(!in(r->body.data, r->body.len, TOKEN) &&
                  !in(r->static_body, r->static_len, TOKEN) && !strstr(r->etag, TOKEN),
              "the token leaked into an answer", data, size);
    if (r->content_type && strstr(r->content_type, "application/json") && !r->stream) {
        char *text = malloc(r->body.len + 1), errbuf[128];
        if (!text)
            abort();
        if (r->body.len)
            memcpy(text, r->body.data, r->body.len);
        text[r->body.len] = '\0';
        yajl_val v = yajl_tree_parse(text, errbuf, sizeof errbuf);
        if (!v)
            fprintf(stderr, "fuzz_web: invalid JSON (%s): %s\n", errbuf, text);
        check(v != NULL && memchr(r->body.data ? r->body.data : "", 0, r->body.len) == NULL,
              "JSON answer does not parse", data, size);
        yajl_tree_free(v);
        free(text);
    }
}

/* Splits the input into at most four NUL-terminated lines (NULL = absent). */
static char *split(const uint8_t *data, size_t size, const char *line[4]) {
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    char *p = s;
    for (int i = 0; i < 4; i++) {
        line[i] = p;
        if (!p)
            continue;
        char *nl = i < 3 ? strchr(p, '\n') : NULL;
        if (nl)
            *nl++ = '\0';
        p = nl;
    }
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!live)
        setup();
    const char *line[4];
    char *buf = split(data, size, line);
    const char *method = line[0], *url = line[1] ? line[1] : "/";
    const char *auth = line[2], *inm = line[3];
    int authorized = auth && strcmp(auth, "Bearer " TOKEN) == 0;
    tl_web_resp r;

    tl_web_handle(open_web, method, url, auth, &r);
    check_resp(&r, data, size);
    tl_web_resp_free(&r);

    tl_web_handle(token_web, method, url, auth, &r);
    check_resp(&r, data, size);
    if (!authorized && !strstr(url, "token") && (r.status == 200 || r.status == 304))
        check(r.static_body != NULL || r.status == 304, "API answered without the token", data,
              size);
    tl_web_resp_free(&r);

    /* If-None-Match goes through tl_web_dispatch: the path as given, no args */
    char path[2048];
    snprintf(path, sizeof path, "%s", url);
    path[strcspn(path, "?")] = '\0';
    tl_web_req req = {.method = method, .path = path, .authorization = auth, .if_none_match = inm};
    tl_web_dispatch(token_web, &req, &r);
    check_resp(&r, data, size);
    if (r.status == 304)
        check(inm && strcmp(inm, r.etag) == 0 && r.etag[0] == '"', "304 for another ETag", data,
              size);
    if (!authorized && (r.status == 200 || r.status == 304))
        check(r.static_body != NULL || r.status == 304, "API answered without the token", data,
              size);
    tl_web_resp_free(&r);
    free(buf);
    return 0;
}
