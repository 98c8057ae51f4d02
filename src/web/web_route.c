/* web: routing, authentication and request checks — everything between
 * the parsed request and an endpoint, with no sockets involved. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/sse.h"
#include "util/buf.h"
#include "web/web_int.h"

const char *tl_web_arg(const tl_web_req *req, const char *key) {
    for (size_t i = 0; i < req->nargs; i++)
        if (!strcmp(req->keys[i], key))
            return req->values[i] ? req->values[i] : "";
    return NULL;
}

int tl_web_register(tl_web *w, const char *path, bool needs_auth, tl_web_handler_fn fn) {
    if (w->nroutes == TL_WEB_MAX_ROUTES || strlen(path) >= sizeof w->routes[0].path)
        return -1;
    tl_web_route *r = &w->routes[w->nroutes++];
    snprintf(r->path, sizeof r->path, "%s", path);
    r->auth = needs_auth;
    r->fn = fn;
    return 0;
}

/* Compare without an early exit, so the time taken does not tell how much
 * of a guessed token was right. */
static bool same_secret(const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    unsigned char d = na != nb;
    for (size_t i = 0; i < na; i++)
        d |= (unsigned char)(a[i] ^ b[i % (nb ? nb : 1)]);
    return d == 0;
}

static bool authorized(const tl_web *w, const tl_web_req *req) {
    if (!w->token || !*w->token)
        return true;
    if (req->authorization && !strncmp(req->authorization, "Bearer ", 7) &&
        same_secret(req->authorization + 7, w->token))
        return true;
    const char *q = tl_web_arg(req, "token"); /* EventSource cannot send headers */
    return q && same_secret(q, w->token);
}

static void route(tl_web *w, const tl_web_req *req, tl_web_resp *resp) {
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        tl_web_error(resp, 405, "only GET and HEAD are supported");
        return;
    }
    if (req->path[0] != '/' || strstr(req->path, "..") || strstr(req->path, "//") ||
        strchr(req->path, '\\')) {
        tl_web_error(resp, 400, "bad path");
        return;
    }
    for (size_t i = 0; i < w->nroutes; i++) {
        const tl_web_route *r = &w->routes[i];
        if (strcmp(r->path, req->path) != 0)
            continue;
        if (r->auth && !authorized(w, req)) {
            tl_web_error(resp, 401, "missing or wrong bearer token (Authorization: Bearer ...)");
            return;
        }
        r->fn(w, req, resp);
        return;
    }
    tl_web_error(resp, 404, "no such page: %.200s", req->path);
}

/* Handlers build their answer in resp->body and check nothing: a body
 * that ran out of memory anywhere (tl_buf_failed) is replaced here, so a
 * client gets a 500, never a 200 with part of the JSON missing. */
void tl_web_dispatch(tl_web *w, const tl_web_req *req, tl_web_resp *resp) {
    static const unsigned char oom[] = "{\"error\":\"out of memory\"}";
    memset(resp, 0, sizeof *resp);
    route(w, req, resp);
    if (tl_buf_failed(&resp->body) == 0)
        return;
    tl_buf_free(&resp->body);
    tl_sse_client_close(resp->stream);
    resp->stream = NULL;
    resp->static_body = oom;
    resp->static_len = sizeof oom - 1;
    resp->etag[0] = '\0';
    tl_web_json(resp, 500);
}

/* Percent-decoding in place ('+' is a space in a query). */
static void url_decode(char *s) {
    char *o = s;
    for (; *s; s++) {
        if (*s == '%' && tl_hex_value(s[1]) >= 0 && tl_hex_value(s[2]) >= 0) {
            *o++ = (char)(tl_hex_value(s[1]) * 16 + tl_hex_value(s[2]));
            s += 2;
        } else {
            *o++ = *s == '+' ? ' ' : *s;
        }
    }
    *o = '\0';
}

void tl_web_handle(tl_web *w, const char *method, const char *url, const char *authorization,
                   tl_web_resp *resp) {
    char buf[TL_WEB_MAX_URL];
    tl_web_req req = {.method = method, .authorization = authorization};
    if (strlen(url) >= sizeof buf) {
        memset(resp, 0, sizeof *resp);
        tl_web_error(resp, 414, "URL longer than %d bytes", TL_WEB_MAX_URL);
        return;
    }
    snprintf(buf, sizeof buf, "%s", url);
    char *q = strchr(buf, '?');
    if (q) {
        *q++ = '\0';
        for (char *save = NULL, *kv = strtok_r(q, "&", &save); kv && req.nargs < TL_WEB_MAX_ARGS;
             kv = strtok_r(NULL, "&", &save)) {
            char *eq = strchr(kv, '=');
            if (eq)
                *eq++ = '\0';
            url_decode(kv);
            if (eq)
                url_decode(eq);
            req.keys[req.nargs] = kv;
            req.values[req.nargs++] = eq ? eq : "";
        }
    }
    url_decode(buf);
    req.path = buf;
    tl_web_dispatch(w, &req, resp);
}

void tl_web_resp_free(tl_web_resp *resp) {
    tl_buf_free(&resp->body);
    tl_sse_client_close(resp->stream);
    resp->stream = NULL;
}
