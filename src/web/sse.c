/* sse: the Server-Sent Events hub (see sse.h for the memory bound). */
#include "web/sse.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "util/clock.h"
#include "util/json_out.h"

struct tl_sse_client {
    tl_sse_hub *hub;
    tl_sse_client *prev, *next;
    tl_buf pending;
    size_t off;
    int64_t pending_since_ms;
    int64_t last_check_ms;  /* the last pump round that looked at this client */
    int64_t last_sent_ms;   /* the last bytes queued, data or keep-alive */
    int64_t last_health_ms; /* the last time the health was looked at */
    uint64_t health_sig;    /* of the health this client got last */
    bool greeted;           /* the first (full) message was queued */
    uint64_t gen;
    bool dropped;
};

struct tl_sse_hub {
    tl_live *live;
    tl_sse_opts o;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a message is pending, or shutdown */
    tl_sse_client *clients;
    size_t nclients;
    bool shutdown;
    tl_sse_stats stats;
    pthread_t thread;
    bool started;
    pthread_cond_t pump_cv; /* wakes the pump thread for shutdown */
};

tl_sse_hub *tl_sse_hub_new(tl_live *live, const tl_sse_opts *opts) {
    tl_sse_hub *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->live = live;
    if (opts)
        h->o = *opts;
    if (h->o.interval_ms <= 0)
        h->o.interval_ms = 150;
    if (!h->o.client_cap)
        h->o.client_cap = 4u << 20;
    if (h->o.stall_ms <= 0)
        h->o.stall_ms = 15000;
    if (!h->o.max_clients)
        h->o.max_clients = 32;
    if (h->o.keepalive_ms <= 0)
        h->o.keepalive_ms = 5000;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    pthread_cond_init(&h->pump_cv, NULL);
    return h;
}

static void drop(tl_sse_hub *h, tl_sse_client *c) {
    if (c->dropped)
        return;
    c->dropped = true;
    tl_buf_free(&c->pending);
    c->off = 0;
    h->stats.dropped++;
}

typedef struct update_args {
    tl_sse_hub *h;
    tl_sse_client *c;
    bool first, symbols, health;
} update_args;

static int update_doc(tl_json *j, void *ud) {
    update_args *a = ud;
    tl_json_obj_begin(j);
    tl_json_kv_bool(j, "full", a->first);
    tl_json_kv_int(j, "t", tl_now_us() / 1000);
    if (a->symbols) {
        tl_json_key(j, "symbols");
        tl_live_update_write(a->h->live, &a->c->gen, j);
    }
    if (a->health) {
        tl_json_key(j, "health");
        tl_json_obj_begin(j);
        tl_live_health_members(a->h->live, j);
        tl_json_obj_end(j);
    }
    return tl_json_obj_end(j);
}

/* Whether the health goes into this round's message: looked at once a
 * second, sent only when it changed in more than its clock
 * (tl_live_health_sig). */
static bool health_due(tl_sse_hub *h, tl_sse_client *c, bool first, int64_t now_ms) {
    if (!first && now_ms - c->last_health_ms < 1000)
        return false;
    c->last_health_ms = now_ms;
    uint64_t sig = tl_live_health_sig(h->live);
    if (!first && sig == c->health_sig)
        return false;
    c->health_sig = sig;
    return true;
}

/* What one client gets this round: an "update" event with the symbols that
 * changed since its generation (all of them, even none, the first time)
 * and/or the health when it changed; with neither, no event, and a
 * ": keepalive" comment (EventSource ignores it) once keepalive_ms passed
 * without bytes, so the connection does not idle out and a gone client is
 * found by the write. 1 when something is to be sent, 0 when nothing, -1
 * when out of memory (the client is dropped). */
static int render(tl_sse_hub *h, tl_sse_client *c, int64_t now_ms) {
    tl_buf *b = &c->pending;
    bool first = !c->greeted;
    /* a symbol's change moves the live generation past the client's (a
     * change racing this check is caught next round: c->gen stays) */
    update_args a = {h, c, first, first || tl_live_gen(h->live) != c->gen, false};
    a.health = health_due(h, c, first, now_ms);
    tl_buf_reset(b);
    if (!a.symbols && !a.health) {
        if (now_ms - c->last_sent_ms < h->o.keepalive_ms)
            return 0;
        return tl_buf_puts(b, ": keepalive\n\n") == 0 ? 1 : -1;
    }
    if (first) /* the browser's reconnect delay after a lost connection */
        tl_buf_puts(b, "retry: 2000\n");
    tl_buf_puts(b, "event: update\ndata: ");
    if (tl_json_doc(b, update_doc, &a, NULL) != 0 || tl_buf_puts(b, "\n\n") != 0)
        return -1;
    return 1;
}

void tl_sse_hub_pump(tl_sse_hub *h, int64_t now_ms) {
    pthread_mutex_lock(&h->mu);
    bool woke = false;
    for (tl_sse_client *c = h->clients; c; c = c->next) {
        if (c->dropped)
            continue;
        if (c->off < c->pending.len) { /* the last message is still being taken */
            if (now_ms - c->pending_since_ms >= h->o.stall_ms)
                drop(h, c);
            continue;
        }
        if (c->last_check_ms && now_ms - c->last_check_ms < h->o.interval_ms)
            continue;
        c->last_check_ms = now_ms;
        c->off = 0;
        int rc = render(h, c, now_ms);
        if (rc == 0) {
            c->pending.len = 0; /* nothing pending: the reader keeps waiting */
            continue;
        }
        if (rc < 0 || c->pending.len > h->o.client_cap) {
            drop(h, c);
            continue;
        }
        c->pending_since_ms = c->last_sent_ms = now_ms;
        c->greeted = true;
        if (c->pending.data[0] == ':')
            h->stats.keepalives++;
        else
            h->stats.messages++;
        h->stats.bytes += c->pending.len;
        woke = true;
    }
    if (woke || h->shutdown)
        pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

static void deadline(struct timespec *ts, int64_t ms) {
    clock_gettime(CLOCK_REALTIME, ts);
    int64_t ns = ts->tv_nsec + (ms % 1000) * 1000000;
    ts->tv_sec += ms / 1000 + ns / 1000000000;
    ts->tv_nsec = ns % 1000000000;
}

static void *pump_main(void *arg) {
    tl_sse_hub *h = arg;
    /* a quarter of the interval: each client gets a message at most
     * interval_ms + tick after its last one (150 ms: 5-6 a second) */
    int64_t tick = h->o.interval_ms / 4 > 10 ? h->o.interval_ms / 4 : 10;
    pthread_mutex_lock(&h->mu);
    while (!h->shutdown) {
        pthread_mutex_unlock(&h->mu);
        tl_sse_hub_pump(h, tl_mono_ms());
        pthread_mutex_lock(&h->mu);
        struct timespec ts;
        deadline(&ts, tick);
        if (!h->shutdown)
            pthread_cond_timedwait(&h->pump_cv, &h->mu, &ts);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

int tl_sse_hub_start(tl_sse_hub *h, tl_err *err) {
    if (pthread_create(&h->thread, NULL, pump_main, h) != 0)
        return tl_err_set(err, TL_ERR_IO, "cannot start the SSE thread");
    h->started = true;
    return 0;
}

void tl_sse_hub_shutdown(tl_sse_hub *h) {
    pthread_mutex_lock(&h->mu);
    h->shutdown = true;
    pthread_cond_broadcast(&h->cv);
    pthread_cond_broadcast(&h->pump_cv);
    pthread_mutex_unlock(&h->mu);
}

void tl_sse_hub_destroy(tl_sse_hub *h) {
    if (!h)
        return;
    tl_sse_hub_shutdown(h);
    if (h->started)
        pthread_join(h->thread, NULL);
    pthread_cond_destroy(&h->cv);
    pthread_cond_destroy(&h->pump_cv);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

void tl_sse_hub_stats(tl_sse_hub *h, tl_sse_stats *out) {
    pthread_mutex_lock(&h->mu);
    *out = h->stats;
    out->clients = h->nclients;
    pthread_mutex_unlock(&h->mu);
}

tl_sse_client *tl_sse_client_new(tl_sse_hub *h) {
    tl_sse_client *c = NULL;
    pthread_mutex_lock(&h->mu);
    if (!h->shutdown && h->nclients < h->o.max_clients && (c = calloc(1, sizeof *c))) {
        c->hub = h;
        c->next = h->clients;
        if (h->clients)
            h->clients->prev = c;
        h->clients = c;
        h->nclients++;
    }
    pthread_mutex_unlock(&h->mu);
    return c;
}

ssize_t tl_sse_client_read(tl_sse_client *c, char *buf, size_t max, int64_t wait_ms) {
    tl_sse_hub *h = c->hub;
    struct timespec ts;
    deadline(&ts, wait_ms);
    pthread_mutex_lock(&h->mu);
    while (!c->dropped && !h->shutdown && c->off >= c->pending.len)
        if (pthread_cond_timedwait(&h->cv, &h->mu, &ts) != 0)
            break;
    ssize_t n = -1;
    if (!c->dropped && !h->shutdown) {
        size_t left = c->off < c->pending.len ? c->pending.len - c->off : 0;
        n = (ssize_t)(left < max ? left : max);
        if (n > 0)
            memcpy(buf, c->pending.data + c->off, (size_t)n);
        c->off += (size_t)n;
    }
    pthread_mutex_unlock(&h->mu);
    return n;
}

int tl_sse_client_dropped(tl_sse_client *c) {
    pthread_mutex_lock(&c->hub->mu);
    int d = c->dropped || c->hub->shutdown;
    pthread_mutex_unlock(&c->hub->mu);
    return d;
}

void tl_sse_client_close(tl_sse_client *c) {
    if (!c)
        return;
    tl_sse_hub *h = c->hub;
    pthread_mutex_lock(&h->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        h->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    h->nclients--;
    pthread_mutex_unlock(&h->mu);
    tl_buf_free(&c->pending);
    free(c);
}
