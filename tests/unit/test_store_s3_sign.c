/* The S3 store's signed requests carry every header their signature names.
 * A small HTTP server in a thread records each request as it arrives; for
 * put, put-if-absent, get, head, list, batch delete and a 2 MiB put (where
 * libcurl may add its own Expect header), every name in SignedHeaders of the
 * Authorization header must be a header of the request. libcurl before
 * 8.3.0 named a removed header ("Expect:") there without sending it, and a
 * server that checks signatures (AWS, MinIO, s3rver) refused every request
 * with SignatureDoesNotMatch; moto, which checks none, let it pass. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"
#include "store/store_s3.h"
#include "store/store_s3_int.h"

#define MAX_REQ 64
#define HEAD_MAX 16384

typedef struct {
    int lfd;
    atomic_int stop;
    pthread_t th;
    int n;                /* requests recorded */
    char *heads[MAX_REQ]; /* request line + headers, as received */
    pthread_mutex_t mu;
} server;

static const char *header_value(const char *head, const char *name, char *out, size_t cap) {
    size_t nl = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1, *end = strstr(v, "\r\n");
            while (*v == ' ')
                v++;
            size_t n = end ? (size_t)(end - v) : strlen(v);
            if (n >= cap)
                n = cap - 1;
            memcpy(out, v, n);
            out[n] = '\0';
            return out;
        }
    }
    return NULL;
}

static void reply(int fd, const char *head) {
    char resp[1024];
    const char *body = "";
    if (strncmp(head, "GET /b?", 7) == 0 || strncmp(head, "GET /b/?", 8) == 0)
        body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>b</Name>"
               "<IsTruncated>false</IsTruncated></ListBucketResult>";
    else if (strncmp(head, "POST ", 5) == 0)
        body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><DeleteResult></DeleteResult>";
    else if (strncmp(head, "GET ", 4) == 0)
        body = "hello";
    bool is_head = strncmp(head, "HEAD ", 5) == 0;
    int n = snprintf(resp, sizeof resp,
                     "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nETag: \"e1\"\r\n"
                     "Last-Modified: Tue, 24 Nov 2026 20:15:03 GMT\r\nConnection: close\r\n\r\n%s",
                     is_head ? (size_t)5 : strlen(body), is_head ? "" : body);
    if (write(fd, resp, (size_t)n) != n)
        return;
}

/* One request per connection (we answer Connection: close). */
static void serve_one(server *sv, int fd) {
    char *head = calloc(1, HEAD_MAX + 1);
    size_t len = 0;
    char *end = NULL;
    while (len < HEAD_MAX && !(end = strstr(head, "\r\n\r\n"))) {
        ssize_t r = read(fd, head + len, HEAD_MAX - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        head[len] = '\0';
    }
    if (!end) {
        free(head);
        return;
    }
    size_t head_len = (size_t)(end - head) + 4;
    char v[64];
    long long body = header_value(head, "Content-Length", v, sizeof v) ? atoll(v) : 0;
    if (header_value(head, "Expect", v, sizeof v) && strcasecmp(v, "100-continue") == 0 &&
        (long long)(len - head_len) < body) {
        const char *cont = "HTTP/1.1 100 Continue\r\n\r\n";
        if (write(fd, cont, strlen(cont)) < 0) {
            free(head);
            return;
        }
    }
    long long have = (long long)(len - head_len);
    char buf[65536];
    while (have < body) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r <= 0)
            break;
        have += r;
    }
    head[head_len] = '\0';
    reply(fd, head);
    pthread_mutex_lock(&sv->mu);
    if (sv->n < MAX_REQ)
        sv->heads[sv->n++] = head;
    else
        free(head);
    pthread_mutex_unlock(&sv->mu);
}

static void *loop(void *arg) {
    server *sv = arg;
    while (!atomic_load(&sv->stop)) {
        struct pollfd p = {.fd = sv->lfd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int fd = accept(sv->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        serve_one(sv, fd);
        close(fd);
    }
    return NULL;
}

static server *server_start(int *port) {
    server *sv = calloc(1, sizeof *sv);
    pthread_mutex_init(&sv->mu, NULL);
    sv->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (sv->lfd < 0 || bind(sv->lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(sv->lfd, 16) != 0 || getsockname(sv->lfd, (struct sockaddr *)&a, &al) != 0)
        fail_msg("cannot listen on loopback");
    *port = ntohs(a.sin_port);
    pthread_create(&sv->th, NULL, loop, sv);
    return sv;
}

static void server_stop(server *sv) {
    atomic_store(&sv->stop, 1);
    pthread_join(sv->th, NULL);
    close(sv->lfd);
    for (int i = 0; i < sv->n; i++)
        free(sv->heads[i]);
    pthread_mutex_destroy(&sv->mu);
    free(sv);
}

/* Every name in SignedHeaders is a header of the request; returns how many. */
static int check_signed_headers_sent(const char *head) {
    char auth[2048], names[1024];
    char line[128];
    snprintf(line, sizeof line, "%.*s", (int)strcspn(head, "\r\n"), head);
    if (!header_value(head, "Authorization", auth, sizeof auth))
        fail_msg("%s: not signed", line);
    const char *sh = strstr(auth, "SignedHeaders=");
    assert_non_null(sh);
    sh += strlen("SignedHeaders=");
    snprintf(names, sizeof names, "%.*s", (int)strcspn(sh, ", "), sh);
    int n = 0;
    char v[1024];
    for (char *save = NULL, *name = strtok_r(names, ";", &save); name;
         name = strtok_r(NULL, ";", &save), n++) {
        if (strcasecmp(name, "host") == 0)
            continue; /* HTTP/1.1 always sends it */
        if (!header_value(head, name, v, sizeof v))
            fail_msg("%s: SignedHeaders names '%s', which the request does not carry", line, name);
    }
    return n;
}

static void test_signed_headers_are_sent(void **state) {
    (void)state;
    int port;
    server *sv = server_start(&port);
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", port);
    tl_store_s3_options o = {
        .endpoint = endpoint,
        .region = "us-east-1",
        .path_style = 1,
        .access_key_id = "AKIDTEST",
        .secret_access_key = "secret",
        .multipart_threshold = 64 * 1024 * 1024, /* the 2 MiB put stays one PUT */
        .max_retry_time_ms = 1,
    };
    tl_err err = {0};
    tl_store *s = tl_store_s3_new("s3://b/p/", &o, &err);
    assert_non_null(s);

    assert_int_equal(tl_store_put(s, "a.json", "{}", 2, &err), 0);
    assert_int_equal(tl_store_put_if_absent(s, "_delta_log/0.json", "{}", 2, &err), 0);
    tl_buf b = TL_BUF_INIT;
    assert_int_equal(tl_store_get(s, "a.json", &b, &err), 0);
    tl_buf_free(&b);
    tl_store_entry e = {0};
    assert_int_equal(tl_store_head(s, "a.json", &e, &err), 0);
    free(e.key);
    tl_store_entry *list = NULL;
    size_t n = 0;
    assert_int_equal(tl_store_list(s, "x/", &list, &n, &err), 0);
    tl_store_entries_free(list, n);
    const char *keys[] = {"a.json", "b.json"};
    assert_int_equal(tl_store_del_many(s, keys, 2, &err), 0);
    size_t big = 2 * 1024 * 1024;
    char *data = calloc(1, big);
    assert_int_equal(tl_store_put(s, "big.parquet", data, big, &err), 0);
    free(data);
    tl_store_destroy(s);

    assert_int_equal(sv->n, 7);
    for (int i = 0; i < sv->n; i++)
        assert_true(check_signed_headers_sent(sv->heads[i]) >= 3);
    /* the put-if-absent's condition is signed and sent */
    char v[64];
    assert_non_null(header_value(sv->heads[1], "If-None-Match", v, sizeof v));
    assert_string_equal(v, "*");
    server_stop(sv);
}

static void test_removed_header_rule(void **state) {
    (void)state;
    /* The version rule the store applies (curl issue 11664, fixed in 8.3.0). */
    curl_version_info_data *d = curl_version_info(CURLVERSION_NOW);
    assert_int_equal(tl_store_s3_curl_signs_removed_headers(), d->version_num < 0x080300);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signed_headers_are_sent),
        cmocka_unit_test(test_removed_header_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
