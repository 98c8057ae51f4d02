/* The web module: routing, parameters and their 400s, the JSON endpoints
 * against a live state with known ticks, static files and their caching,
 * the bearer token, the SSE hub's coalescing, idle keep-alive comments and
 * slow-client drop, and the
 * real libmicrohttpd server over a socket (libcurl as the client). */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "live/live.h"
#include "util/clock.h"
#include "util/signals.h"
#include "web/sse.h"
#include "web/web.h"

#define MIN_US 60000000LL
static const int64_t T0 = 1795550400LL * 1000000; /* 2026-11-24 20:00:00 UTC */

typedef struct fx {
    tl_live *live;
    tl_web *web;
} fx;

static int setup_with(void **state, const char *token) {
    fx *f = calloc(1, sizeof *f);
    f->live = tl_live_new(NULL);
    tl_live_set_since(f->live, T0);
    /* AAPL: minute 0 at 10, 12, 8; minute 2 at 11 */
    tl_live_add(f->live, "AAPL", T0 + 1, 10000000, 100);
    tl_live_add(f->live, "AAPL", T0 + 2, 12000000, 100);
    tl_live_add(f->live, "AAPL", T0 + 3, 8000000, 200);
    tl_live_add(f->live, "AAPL", T0 + 2 * MIN_US, 11000000, 100);
    tl_live_add(f->live, "BRK.B", T0, 400000000, 1);
    tl_web_opts o = {.listen = "127.0.0.1:0", .token = token, .live = f->live};
    tl_err err;
    f->web = tl_web_new(&o, &err);
    *state = f;
    return f->web ? 0 : -1;
}
static int setup(void **state) {
    return setup_with(state, NULL);
}
static int setup_token(void **state) {
    return setup_with(state, "s3cret");
}

static int teardown(void **state) {
    fx *f = *state;
    tl_web_destroy(f->web);
    tl_live_destroy(f->live);
    free(f);
    return 0;
}

/* GET url; returns the status, body in *body (caller frees the resp). */
static int get(fx *f, const char *url, tl_web_resp *r) {
    tl_web_handle(f->web, "GET", url, NULL, r);
    return r->status;
}

static const char *body(tl_web_resp *r) {
    return r->body.data ? r->body.data : "";
}

static void expect(fx *f, const char *url, int status, const char *needle) {
    tl_web_resp r;
    int got = get(f, url, &r);
    if (got != status || !strstr(body(&r), needle))
        fail_msg("%s: got %d %s, want %d with %s", url, got, body(&r), status, needle);
    tl_web_resp_free(&r);
}

static void test_symbols(void **state) {
    fx *f = *state;
    tl_web_resp r;
    assert_int_equal(get(f, "/api/symbols", &r), 200);
    assert_string_equal(r.content_type, "application/json; charset=utf-8");
    assert_string_equal(r.cache_control, "no-store");
    assert_non_null(strstr(body(&r), "{\"s\":\"AAPL\",\"last\":11,\"chg\":10.00,\"min\":8,"
                                     "\"max\":12,\"avg\":10.25,"));
    assert_non_null(strstr(body(&r), "\"s\":\"BRK.B\""));
    tl_web_resp_free(&r);
}

static void test_bars(void **state) {
    fx *f = *state;
    char url[256];
    snprintf(url, sizeof url, "/api/bars?symbol=AAPL&from=%lld&to=%lld", (long long)(T0 / 1000000),
             (long long)(T0 / 1000000 + 600));
    expect(
        f, url, 200,
        "\"source\":\"live\",\"bars\":[[1795550400,10,12,8,8,400],[1795550520,11,11,11,11,100]]");
    snprintf(url, sizeof url, "/api/bars?symbol=AAPL&from=%lld&to=%lld&interval=5m",
             (long long)(T0 / 1000000), (long long)(T0 / 1000000 + 600));
    expect(f, url, 200, "\"interval\":300,");
    expect(f, url, 200, "\"bars\":[[1795550400,10,12,8,11,500]]");
    /* RFC 3339 works as well as Unix seconds */
    expect(f, "/api/bars?symbol=AAPL&from=2026-11-24T20:00:00Z&to=2026-11-24T20:01:00Z", 200,
           "\"bars\":[[1795550400,10,12,8,8,400]]");
    expect(f, "/api/bars?symbol=ZZZ&from=2026-11-24T20:00:00Z", 200, "\"bars\":[]");
}

static void test_stats(void **state) {
    fx *f = *state;
    expect(f, "/api/stats?symbol=AAPL&from=2026-11-24T20:00:00Z&to=2026-11-24T20:10:00Z", 200,
           "\"source\":\"live\",\"count\":4,\"min\":8,\"max\":12,\"avg\":10.25,\"vwap\":9.8,"
           "\"volume\":500}");
    expect(f, "/api/stats?symbol=AAPL&from=2026-11-24T21:00:00Z&to=2026-11-24T22:00:00Z", 200,
           "\"count\":0,\"min\":null,\"max\":null,\"avg\":null,\"vwap\":null,\"volume\":0}");
}

static void test_bad_parameters(void **state) {
    fx *f = *state;
    expect(f, "/api/bars", 400, "{\"error\":\"symbol= is required");
    expect(f, "/api/stats?symbol=", 400, "symbol= is required");
    expect(f, "/api/bars?symbol=A%22B", 400, "symbol=A\\\"B: expected");
    expect(f, "/api/bars?symbol=TOOLONGSYMBOL1", 400, "expected 1-12");
    expect(f, "/api/bars?symbol=AAPL&from=yesterday", 400, "from=yesterday: expected Unix");
    expect(f, "/api/stats?symbol=AAPL&to=12x", 400, "to=12x");
    expect(f, "/api/stats?symbol=AAPL&from=200&to=100", 400, "from must be before to");
    expect(f, "/api/bars?symbol=AAPL&from=0&to=100000000", 400, "more than 400 days");
    expect(f, "/api/bars?symbol=AAPL&interval=90", 400, "interval=90: expected");
    expect(f, "/api/bars?symbol=AAPL&interval=2d", 400, "interval=2d");
    expect(f, "/api/bars?symbol=AAPL&interval=abc", 400, "interval=abc");
    expect(f, "/api/bars?symbol=AAPL&from=0&to=31536000&interval=60", 400, "more than 20000 bars");
}

static void test_routes_and_paths(void **state) {
    fx *f = *state;
    expect(f, "/api/nothing", 404, "no such page");
    expect(f, "/etc/passwd", 404, "no such page");
    expect(f, "/../etc/passwd", 400, "bad path");
    expect(f, "/vendor/..%2Findex.html", 400, "bad path");
    expect(f, "//index.html", 400, "bad path");
    tl_web_resp r;
    tl_web_handle(f->web, "POST", "/api/symbols", NULL, &r);
    assert_int_equal(r.status, 405);
    tl_web_resp_free(&r);
    char longurl[3000];
    memset(longurl, 'a', sizeof longurl - 1);
    longurl[0] = '/';
    longurl[sizeof longurl - 1] = '\0';
    tl_web_handle(f->web, "GET", longurl, NULL, &r);
    assert_int_equal(r.status, 414);
    tl_web_resp_free(&r);
}

static void test_static_files(void **state) {
    fx *f = *state;
    tl_web_resp r;
    assert_int_equal(get(f, "/", &r), 200);
    assert_string_equal(r.content_type, "text/html; charset=utf-8");
    assert_string_equal(r.cache_control, "no-cache");
    assert_non_null(r.static_body);
    assert_non_null(memmem(r.static_body, r.static_len, "<title>ticklake", 15));
    char etag[32];
    snprintf(etag, sizeof etag, "%s", r.etag);
    assert_true(etag[0] == '"');
    tl_web_resp_free(&r);

    tl_web_req req = {.method = "GET", .path = "/index.html", .if_none_match = etag};
    tl_web_dispatch(f->web, &req, &r);
    assert_int_equal(r.status, 304);
    assert_null(r.static_body);
    tl_web_resp_free(&r);

    assert_int_equal(get(f, "/app.js", &r), 200);
    assert_string_equal(r.content_type, "text/javascript; charset=utf-8");
    tl_web_resp_free(&r);
    assert_int_equal(get(f, "/app.css", &r), 200);
    assert_string_equal(r.content_type, "text/css; charset=utf-8");
    tl_web_resp_free(&r);
    assert_int_equal(get(f, "/vendor/lightweight-charts.js", &r), 200);
    assert_string_equal(r.cache_control, "public, max-age=86400");
    /* the real library (not the stub for a build without npm packages) */
    assert_true(r.static_len > 100000);
    assert_non_null(memmem(r.static_body, r.static_len, "createChart", 11));
    tl_web_resp_free(&r);
}

static void test_token(void **state) {
    fx *f = *state;
    tl_web_resp r;
    tl_web_handle(f->web, "GET", "/api/health", NULL, &r);
    assert_int_equal(r.status, 401);
    tl_web_resp_free(&r);
    tl_web_handle(f->web, "GET", "/api/health", "Bearer wrong!", &r);
    assert_int_equal(r.status, 401);
    tl_web_resp_free(&r);
    tl_web_handle(f->web, "GET", "/metrics", "Bearer s3cre", &r);
    assert_int_equal(r.status, 401);
    tl_web_resp_free(&r);
    tl_web_handle(f->web, "GET", "/api/health", "Bearer s3cret", &r);
    assert_int_equal(r.status, 200);
    tl_web_resp_free(&r);
    tl_web_handle(f->web, "GET", "/api/events?token=s3cret", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(r.stream);
    tl_web_resp_free(&r);
    tl_web_handle(f->web, "GET", "/", NULL, &r); /* the page itself holds no data */
    assert_int_equal(r.status, 200);
    tl_web_resp_free(&r);
}

static void test_metrics_and_health(void **state) {
    fx *f = *state;
    tl_web_resp r;
    assert_int_equal(get(f, "/metrics", &r), 200);
    assert_string_equal(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
    assert_non_null(strstr(body(&r), "\ntl_live_ticks_total 5\n"));
    assert_non_null(strstr(body(&r), "\ntl_web_sse_clients 0\n"));
    tl_web_resp_free(&r);
    expect(f, "/api/health", 200, "\"symbols\":2,\"ticks\":5,");
    expect(f, "/api/health", 200, "\"web\":{\"clients\":0,");
    expect(f, "/api/days", 200, "{\"days\":[]}");
}

/* ---- SSE hub -------------------------------------------------------------------- */

static ssize_t take(tl_sse_client *c, char *buf, size_t cap) {
    ssize_t total = 0, n;
    while ((size_t)total < cap - 1 &&
           (n = tl_sse_client_read(c, buf + total, cap - 1 - (size_t)total, 0)) > 0)
        total += n;
    buf[total > 0 ? total : 0] = '\0';
    return n < 0 && total == 0 ? -1 : total;
}

/* An update with the health and no symbol list: {"full":false,"t":N,"health":
 * (the health's own "symbols" count and quality list come later). */
static bool health_only(const char *msg) {
    const char *t = strstr(msg, "data: {\"full\":false,\"t\":");
    if (!t)
        return false;
    t += strlen("data: {\"full\":false,\"t\":");
    while (*t >= '0' && *t <= '9')
        t++;
    return strncmp(t, ",\"health\":{", 11) == 0;
}

static void test_sse_coalesces(void **state) {
    fx *f = *state;
    tl_sse_opts o = {.interval_ms = 200, .stall_ms = 1000};
    tl_sse_hub *h = tl_sse_hub_new(f->live, &o);
    tl_sse_client *c = tl_sse_client_new(h);
    static char buf[1 << 16];
    tl_sse_hub_pump(h, 1000);
    assert_true(take(c, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "retry: 2000\nevent: update\ndata: {\"full\":true,\"t\":"));
    assert_non_null(strstr(buf, "\"s\":\"AAPL\"") && strstr(buf, "\"s\":\"BRK.B\""));
    assert_non_null(strstr(buf, "\"health\":{"));
    assert_non_null(strstr(buf, "}\n\n"));

    tl_sse_hub_pump(h, 1100); /* before the interval: nothing */
    assert_int_equal(take(c, buf, sizeof buf), 0);
    tl_sse_hub_pump(h, 1300); /* nothing changed, no health due: no message */
    assert_int_equal(take(c, buf, sizeof buf), 0);

    for (int i = 0; i < 50; i++)
        tl_live_add(f->live, "AAPL", T0 + 3 * MIN_US + i, 13000000 + i, 1);
    tl_sse_hub_pump(h, 1500);
    assert_true(take(c, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, ",\"symbols\":[{\"s\":\"AAPL\",\"last\":13.000049,"));
    assert_null(strstr(buf, "BRK.B"));
    assert_non_null(strstr(buf, "\"bar\":[1795550580,13,13.000049,13,13.000049,50]"));

    tl_sse_hub_pump(h, 7000); /* no symbol changed; the health did (new ticks) */
    assert_true(take(c, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "event: update\ndata: {\"full\":false,\"t\":"));
    assert_non_null(strstr(buf, ",\"health\":{\"now_ms\":"));
    assert_true(health_only(buf));
    tl_sse_stats st;
    tl_sse_hub_stats(h, &st);
    assert_int_equal(st.clients, 1);
    assert_int_equal(st.messages, 3);
    assert_int_equal(st.dropped, 0);
    tl_sse_client_close(c);
    tl_sse_hub_destroy(h);
}

/* An idle stream (a finished lake: history loaded, nothing new) gets no
 * data message at all, empty or not, only ": keepalive" comments, one per
 * keepalive_ms; a new tick, and then a lake commit, each bring one update. */
static void test_sse_idle_keepalive(void **state) {
    (void)state;
    tl_live *live = tl_live_new(NULL);
    tl_live_set_since(live, T0);
    tl_live_load(live, "AAPL", T0 + 1, 10000000, 100); /* history: no ingest rate */
    tl_sse_opts o = {.interval_ms = 100, .keepalive_ms = 2000};
    tl_sse_hub *h = tl_sse_hub_new(live, &o);
    tl_sse_client *c = tl_sse_client_new(h);
    static char buf[1 << 16];
    tl_sse_hub_pump(h, 1000);
    assert_true(take(c, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "\"full\":true"));

    int comments = 0;
    for (int64_t t = 1100; t <= 7000; t += 100) {
        tl_sse_hub_pump(h, t);
        ssize_t n = take(c, buf, sizeof buf);
        if (n == 0)
            continue;
        /* nothing but the comment: no "data:" line, no empty symbols list */
        assert_string_equal(buf, ": keepalive\n\n");
        assert_int_equal(t % 2000, 1000); /* every keepalive_ms after the last bytes */
        comments++;
    }
    assert_int_equal(comments, 3); /* at 3000, 5000, 7000 */

    tl_live_load(live, "AAPL", T0 + 2, 10500000, 100);
    tl_sse_hub_pump(h, 7100);
    assert_true(take(c, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "event: update\ndata: {\"full\":false,"));
    assert_non_null(strstr(buf, "\"symbols\":[{\"s\":\"AAPL\",\"last\":10.5,"));
    tl_sse_hub_pump(h, 8100); /* the health this tick moved, once */
    assert_true(take(c, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "\"health\":{"));
    assert_true(health_only(buf));
    tl_sse_hub_pump(h, 9100);
    assert_int_equal(take(c, buf, sizeof buf), 0);

    const char *part = "2026-11-24T20";
    size_t files = 3;
    tl_live_set_lake(live, 7, 1795550460000, 3, &part, &files, 1); /* a commit */
    tl_sse_hub_pump(h, 10100);
    assert_true(take(c, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "\"lake\":{\"version\":7,"));
    assert_true(health_only(buf));

    tl_sse_stats st;
    tl_sse_hub_stats(h, &st);
    assert_int_equal(st.messages, 4);
    assert_int_equal(st.keepalives, 3);
    tl_sse_client_close(c);
    tl_sse_hub_destroy(h);
    tl_live_destroy(live);
}

static void test_sse_drops_slow_client(void **state) {
    fx *f = *state;
    tl_sse_opts o = {.interval_ms = 100, .stall_ms = 1000, .max_clients = 2};
    tl_sse_hub *h = tl_sse_hub_new(f->live, &o);
    tl_sse_client *slow = tl_sse_client_new(h), *fast = tl_sse_client_new(h);
    assert_null(tl_sse_client_new(h)); /* the hub is full */
    static char buf[1 << 16];
    for (int64_t t = 0; t <= 3000; t += 100) {
        tl_live_add(f->live, "AAPL", T0 + 3 * MIN_US + t, 13000000 + t, 1);
        tl_sse_hub_pump(h, 10000 + t);
        take(fast, buf, sizeof buf); /* the fast one reads everything */
    }
    /* the slow one never read: one message pending, never more, then dropped */
    assert_true(tl_sse_client_dropped(slow));
    assert_false(tl_sse_client_dropped(fast));
    assert_int_equal(tl_sse_client_read(slow, buf, sizeof buf, 0), -1);
    tl_sse_stats st;
    tl_sse_hub_stats(h, &st);
    assert_int_equal(st.dropped, 1);
    tl_sse_client_close(slow);
    tl_sse_client *again = tl_sse_client_new(h); /* room again */
    assert_non_null(again);
    tl_sse_hub_shutdown(h);
    assert_int_equal(tl_sse_client_read(fast, buf, sizeof buf, 0), -1);
    tl_sse_client_close(again);
    tl_sse_client_close(fast);
    tl_sse_hub_destroy(h);
}

/* ---- the real server ---------------------------------------------------------------- */

typedef struct sink {
    char data[1 << 16];
    size_t len;
    const char *stop_at; /* abort the transfer once this arrived */
} sink;

static size_t on_data(char *p, size_t size, size_t n, void *ud) {
    sink *s = ud;
    size_t k = size * n;
    if (s->len + k >= sizeof s->data)
        k = sizeof s->data - 1 - s->len;
    memcpy(s->data + s->len, p, k);
    s->len += k;
    s->data[s->len] = '\0';
    if (s->stop_at && strstr(s->data, s->stop_at))
        return 0; /* enough: abort */
    return size * n;
}

/* GET or POST url from source address from (NULL: any), with a bearer token. */
static long http_from(const char *url, const char *post, sink *s, const char *from,
                      const char *token) {
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char auth[128];
    if (from)
        curl_easy_setopt(c, CURLOPT_INTERFACE, from);
    if (token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        h = curl_slist_append(h, auth);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    if (post)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
    curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    return status;
}

static long http(const char *url, const char *post, sink *s) {
    return http_from(url, post, s, NULL, NULL);
}

/* A TCP connection to the server's port that sends nothing; -1 if refused. */
static int idle_connection(const char *base) {
    int port = atoi(strrchr(base, ':') + 1);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Whether the server closed fd (it refused the connection after accept). */
static bool closed_by_server(int fd) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char c;
    return poll(&p, 1, 200) == 1 && recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

/* Issue 10, item 5: 64 idle connections made /api/health unreachable. Now
 * one client address holds at most max_per_client slots, the idle ones are
 * closed after the idle timeout, and /api/health and /metrics answer a
 * second client meanwhile, with or without a token. */
static void starve(const char *token) {
    tl_live *live = tl_live_new(NULL);
    tl_web_opts o = {.listen = "127.0.0.1:0",
                     .token = token,
                     .live = live,
                     .max_per_client = 8,
                     .idle_timeout_ms = 3000};
    tl_err err;
    tl_web *w = tl_web_new(&o, &err);
    assert_non_null(w);
    assert_int_equal(tl_web_start(w, &err), 0);
    const char *base = tl_web_url(w);
    int fds[64], accepted = 0;
    for (int i = 0; i < 64; i++) {
        fds[i] = idle_connection(base);
        if (fds[i] >= 0 && !closed_by_server(fds[i]))
            accepted++;
    }
    assert_int_equal(accepted, 8); /* the per-client limit, not the server's */
    char url[256];
    static sink s;
    for (int k = 0; k < 2; k++) {
        memset(&s, 0, sizeof s);
        snprintf(url, sizeof url, "%s%s", base, k ? "metrics" : "api/health");
        assert_int_equal(http_from(url, NULL, &s, "host!127.0.0.2", token), 200);
    }
    /* the idle ones are closed after the idle timeout: the first client
     * gets in again */
    tl_sleep_ms(4500);
    int still = 0;
    for (int i = 0; i < 64; i++)
        still += fds[i] >= 0 && !closed_by_server(fds[i]);
    assert_int_equal(still, 0);
    memset(&s, 0, sizeof s);
    snprintf(url, sizeof url, "%sapi/health", base);
    assert_int_equal(http_from(url, NULL, &s, "host!127.0.0.1", token), 200);
    for (int i = 0; i < 64; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    tl_web_destroy(w);
    tl_live_destroy(live);
}

static void test_idle_connections_cannot_starve(void **state) {
    (void)state;
    starve(NULL);
    starve("s3cret");
}

/* A non-loopback address needs a token, or --insecure to say it is meant. */
static void test_network_listen_needs_token(void **state) {
    fx *f = *state;
    tl_web_opts o = {.listen = "0.0.0.0:0", .live = f->live};
    tl_err err;
    tl_web *w = tl_web_new(&o, &err);
    assert_int_equal(tl_web_start(w, &err), TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "without a token"));
    assert_non_null(strstr(err.msg, "--insecure"));
    tl_web_destroy(w);
    o.insecure = true;
    w = tl_web_new(&o, &err);
    assert_int_equal(tl_web_start(w, &err), 0);
    tl_web_destroy(w);
    o.insecure = false;
    o.token = "s3cret";
    w = tl_web_new(&o, &err);
    assert_int_equal(tl_web_start(w, &err), 0);
    tl_web_destroy(w);
    o.token = NULL;
    o.listen = "127.0.0.5:0"; /* all of 127/8 is loopback */
    w = tl_web_new(&o, &err);
    assert_int_equal(tl_web_start(w, &err), 0);
    tl_web_destroy(w);
}

static void test_server(void **state) {
    fx *f = *state;
    tl_err err;
    assert_int_equal(tl_web_start(f->web, &err), 0);
    const char *base = tl_web_url(f->web);
    assert_non_null(strstr(base, "http://127.0.0.1:"));
    char url[256];
    static sink s;

    memset(&s, 0, sizeof s);
    snprintf(url, sizeof url, "%sapi/stats?symbol=AAPL&from=2026-11-24T20:00:00Z", base);
    assert_int_equal(http(url, NULL, &s), 200);
    assert_non_null(strstr(s.data, "\"count\":4,"));

    memset(&s, 0, sizeof s);
    snprintf(url, sizeof url, "%sapi/bars?symbol=%%20", base);
    assert_int_equal(http(url, NULL, &s), 400);
    assert_non_null(strstr(s.data, "\"error\""));

    memset(&s, 0, sizeof s);
    snprintf(url, sizeof url, "%sapi/symbols", base);
    assert_int_equal(http(url, "x=1", &s), 413); /* bodies are refused */

    memset(&s, 0, sizeof s);
    s.stop_at = "}\n\n";
    snprintf(url, sizeof url, "%sapi/events", base);
    http(url, NULL, &s);
    assert_non_null(strstr(s.data, "event: update\ndata: {\"full\":true,\"t\":"));
    assert_non_null(strstr(s.data, ",\"symbols\":[{\"s\":\"AAPL\""));
}

static void test_bad_listen(void **state) {
    fx *f = *state;
    tl_web_opts o = {.listen = "nowhere:80", .live = f->live};
    tl_err err;
    tl_web *w = tl_web_new(&o, &err);
    assert_non_null(w);
    assert_int_equal(tl_web_start(w, &err), TL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "not an IPv4 address"));
    tl_web_destroy(w);
    o.listen = "127.0.0.1";
    w = tl_web_new(&o, &err);
    assert_int_equal(tl_web_start(w, &err), TL_ERR_INVALID);
    tl_web_destroy(w);
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_symbols, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_parameters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_routes_and_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_static_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token, setup_token, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_and_health, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sse_coalesces, setup, teardown),
        cmocka_unit_test(test_sse_idle_keepalive),
        cmocka_unit_test_setup_teardown(test_sse_drops_slow_client, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_listen, setup, teardown),
        cmocka_unit_test(test_idle_connections_cannot_starve),
        cmocka_unit_test_setup_teardown(test_network_listen_needs_token, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
