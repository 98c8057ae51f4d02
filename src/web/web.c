/* web: the libmicrohttpd server — construction, the request callback that
 * turns a connection into a tl_web_req, and responses back into MHD's. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "web/web_int.h"

#define MEMORY_LIMIT (64 * 1024) /* per connection: request line + headers */

static void (*const endpoints[])(tl_web *) = {
    tl_web_static_register, tl_api_symbols_register, tl_api_bars_register,
    tl_api_stats_register,  tl_api_health_register,  tl_api_days_register,
    tl_api_events_register, tl_api_metrics_register, tl_api_line_register,
    tl_api_runs_register,
};

tl_web *tl_web_new(const tl_web_opts *opts, tl_err *err) {
    tl_web *w = calloc(1, sizeof *w);
    if (!w) {
        tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    w->o = *opts;
    w->live = opts->live;
    w->listen = strdup(opts->listen && *opts->listen ? opts->listen : "127.0.0.1:8080");
    w->token = opts->token && *opts->token ? strdup(opts->token) : NULL;
    /* an idle event stream's keep-alive comes at half the connection
     * timeout, so the server never closes a quiet but healthy stream */
    int64_t idle_ms = opts->idle_timeout_ms > 0 ? opts->idle_timeout_ms : 10000;
    tl_sse_opts so = {.interval_ms = opts->sse_interval_ms, .keepalive_ms = idle_ms / 2};
    if (!w->listen || !(w->hub = tl_sse_hub_new(w->live, &so))) {
        tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (opts->store && !(w->lake = tl_web_lake_new(opts->store, &opts->duck, err)))
        goto fail;
    for (size_t i = 0; i < sizeof endpoints / sizeof *endpoints; i++)
        endpoints[i](w);
    return w;
fail:
    tl_web_destroy(w);
    return NULL;
}

/* "127.0.0.1:8080", "localhost:0", "0.0.0.0:80" -> IPv4 socket address. */
static int parse_listen(const char *listen, struct sockaddr_in *sa, tl_err *err) {
    char host[64];
    const char *colon = strrchr(listen, ':');
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || (size_t)(colon - listen) >= sizeof host || end == colon + 1 || *end || port < 0 ||
        port > 65535)
        return tl_err_set(err, TL_ERR_INVALID,
                          "--listen %s: expected HOST:PORT, e.g. 127.0.0.1:8080", listen);
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (!strcmp(host, "localhost") || !*host)
        snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        return tl_err_set(err, TL_ERR_INVALID, "--listen %s: '%s' is not an IPv4 address", listen,
                          host);
    return 0;
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value) {
    tl_web_req *req = cls;
    if (req->nargs == TL_WEB_MAX_ARGS)
        return MHD_NO;
    req->keys[req->nargs] = key;
    req->values[req->nargs++] = value ? value : "";
    return MHD_YES;
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max) {
    for (;;) {
        ssize_t n = tl_sse_client_read(cls, buf, max, 1000);
        if (n > 0)
            return n;
        if (n < 0)
            return MHD_CONTENT_READER_END_WITH_ERROR; /* dropped or shutting down */
    }
}

static void sse_free(void *cls) {
    tl_sse_client_close(cls);
}

static struct MHD_Response *to_mhd(tl_web_resp *r) {
    struct MHD_Response *m;
    if (r->stream) {
        m = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, sse_read, r->stream,
                                              sse_free);
        if (m)
            r->stream = NULL; /* the response owns the client now */
        else
            return NULL;
        MHD_add_response_header(m, "X-Accel-Buffering", "no");
    } else if (r->static_body) {
        m = MHD_create_response_from_buffer(r->static_len, (void *)r->static_body,
                                            MHD_RESPMEM_PERSISTENT);
    } else if (r->body.len) {
        m = MHD_create_response_from_buffer(r->body.len, r->body.data, MHD_RESPMEM_MUST_FREE);
        if (m)
            r->body = (tl_buf)TL_BUF_INIT; /* MHD frees it */
    } else {
        m = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    if (!m)
        return NULL;
    if (r->content_type)
        MHD_add_response_header(m, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    MHD_add_response_header(m, MHD_HTTP_HEADER_CACHE_CONTROL,
                            r->cache_control ? r->cache_control : "no-store");
    if (r->etag[0])
        MHD_add_response_header(m, MHD_HTTP_HEADER_ETAG, r->etag);
    if (r->status == 401)
        MHD_add_response_header(m, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    MHD_add_response_header(m, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(m, "Referrer-Policy", "no-referrer");
    return m;
}

/* Every request is answered on the callback's first call, with the headers
 * only: GET and HEAD have no body, and a request that announces one is
 * refused before it is read. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
    tl_web *w = cls;
    tl_web_resp resp;
    tl_web_req req = {.method = method, .path = url};
    const char *len = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding");
    if (*con_cls) { /* a body arrived after all: swallow it; the answer is queued */
        *upload_data_size = 0;
        return MHD_YES;
    }
    *con_cls = w;
    if ((len && strcmp(len, "0") != 0) || te) {
        memset(&resp, 0, sizeof resp);
        tl_web_error(&resp, 413, "request bodies are not accepted");
    } else {
        req.authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
        req.if_none_match = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
        MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &req);
        tl_web_dispatch(w, &req, &resp);
    }
    struct MHD_Response *m = to_mhd(&resp);
    enum MHD_Result rc = MHD_NO;
    if (m) {
        rc = MHD_queue_response(conn, (unsigned)resp.status, m);
        MHD_destroy_response(m);
    }
    tl_web_resp_free(&resp);
    return rc;
}

/* Event streams write small messages several times a second: TCP_NODELAY
 * sends each at once instead of letting Nagle's algorithm hold it for the
 * ACK of the previous one. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
    if (code != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    int one = 1;
    if (info)
        setsockopt(info->connect_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int tl_web_start(tl_web *w, tl_err *err) {
    struct sockaddr_in sa;
    int rc = parse_listen(w->listen, &sa, err);
    if (rc)
        return rc;
    bool loopback = (ntohl(sa.sin_addr.s_addr) >> 24) == 127;
    if (!loopback && !w->token && !w->o.insecure)
        return tl_err_set(err, TL_ERR_INVALID,
                          "refusing to serve the API and /metrics on %s to the network without a "
                          "token: set web.token (TICKLAKE_WEB_TOKEN), or pass --insecure",
                          w->listen);
    if ((rc = tl_sse_hub_start(w->hub, err)) != 0)
        return rc;
    /* Idle connections each hold a thread and a slot: a per-address limit
     * keeps one client from taking every slot, and the idle timeout frees
     * the slots of clients that connect and send nothing. */
    unsigned max = w->o.max_clients ? (unsigned)w->o.max_clients : 256;
    unsigned per_ip = w->o.max_per_client ? (unsigned)w->o.max_per_client : 32;
    unsigned idle_s = w->o.idle_timeout_ms > 0 ? (unsigned)((w->o.idle_timeout_ms + 999) / 1000) : 10;
    w->daemon = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC,
        0, NULL,
        NULL, on_request, w, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_CONNECTION_LIMIT, max, MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MEMORY_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT,
        idle_s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL, MHD_OPTION_END);
    if (!w->daemon)
        return tl_err_set(err, TL_ERR_IO,
                          "cannot listen on %s (address in use? try --listen 127.0.0.1:0)",
                          w->listen);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(w->daemon, MHD_DAEMON_INFO_BIND_PORT);
    char host[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sa.sin_addr, host, sizeof host);
    snprintf(w->url, sizeof w->url, "http://%s:%u/", host,
             info ? (unsigned)info->port : (unsigned)ntohs(sa.sin_port));
    if (!loopback)
        tl_warn("web", "listening on %s: reachable from other machines%s", w->listen,
                w->token ? "" : " without a token (--insecure)");
    return 0;
}

const char *tl_web_url(const tl_web *w) {
    return w->url;
}

void tl_web_destroy(tl_web *w) {
    if (!w)
        return;
    if (w->hub)
        tl_sse_hub_shutdown(w->hub); /* event streams end, so connection threads can */
    if (w->daemon)
        MHD_stop_daemon(w->daemon);
    tl_sse_hub_destroy(w->hub);
    tl_web_lake_destroy(w->lake);
    free(w->listen);
    free(w->token);
    free(w);
}
