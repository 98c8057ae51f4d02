/* Parse workers and the ring of batch slots (see stream_pool.h). */
#define _GNU_SOURCE /* CPU_COUNT, pthread_setname_np */
#include "stream/stream_pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { SLOT_FREE, SLOT_QUEUED, SLOT_PARSING, SLOT_DONE };

struct tl_stream_pool_batch {
    tl_source_msg *msgs;  /* data points into buf */
    tl_stream_parsed *res;
    tl_tick_error *errs;  /* errs[i]: message i's rejection (written only then) */
    size_t n, cap;
    char *buf;
    size_t cap_buf;
    int state; /* under the pool's lock once submitted */
};

typedef struct worker {
    struct tl_stream_pool *pool;
    tl_tick_parser *parser;
    pthread_t thread;
    bool started;
} worker;

struct tl_stream_pool {
    pthread_mutex_t mu;
    pthread_cond_t work; /* a batch was queued, or quit */
    pthread_cond_t done; /* a batch was parsed */
    tl_stream_pool_batch *slots;
    size_t nslots;
    /* sequence numbers, slot = seq % nslots: head <= claim <= tail.
     * head and tail move on the stream's thread only; claim under mu. */
    uint64_t head, claim, tail;
    bool quit;
    bool ext_on;
    worker *workers;
    int nworkers;
    /* the extra columns, copied: the stream's names live in its schema,
     * which is replaced when the unknown-fields column is added */
    char *names[TL_EXT_MAX];
    tl_ext_type types[TL_EXT_MAX];
    size_t nnames;
};

int tl_stream_cores(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void parse_batch(tl_stream_pool_batch *b, tl_tick_parser *parser, bool ext_on) {
    for (size_t i = 0; i < b->n; i++)
        tl_stream_parse_msg(parser, ext_on, b->msgs[i].data, b->msgs[i].len, &b->res[i],
                            &b->errs[i]);
}

static void *worker_main(void *arg) {
    worker *w = arg;
    tl_stream_pool *pool = w->pool;
    pthread_setname_np(pthread_self(), "tl-parse"); /* tells them apart in top and perf */
    pthread_mutex_lock(&pool->mu);
    for (;;) {
        while (!pool->quit && pool->claim == pool->tail)
            pthread_cond_wait(&pool->work, &pool->mu);
        if (pool->quit)
            break;
        tl_stream_pool_batch *b = &pool->slots[pool->claim++ % pool->nslots];
        b->state = SLOT_PARSING;
        pthread_mutex_unlock(&pool->mu);
        parse_batch(b, w->parser, pool->ext_on);
        pthread_mutex_lock(&pool->mu);
        b->state = SLOT_DONE;
        pthread_cond_broadcast(&pool->done);
    }
    pthread_mutex_unlock(&pool->mu);
    return NULL;
}

static tl_tick_parser *parser_new(const tl_stream_pool *pool, const tl_stream *s) {
    tl_tick_parser *p = tl_tick_parser_new(s->opts.ts_unit, s->opts.max_message_bytes);
    if (p && pool->ext_on &&
        tl_tick_parser_set_extra(p, (const char *const *)pool->names, pool->types, pool->nnames,
                                 s->opts.unknown_fields) != 0) {
        tl_tick_parser_destroy(p);
        return NULL;
    }
    return p;
}

static int copy_names(tl_stream_pool *pool, const tl_stream *s) {
    pool->ext_on = s->ext_on;
    for (size_t i = 0; i < s->nx; i++) {
        if (!(pool->names[i] = strdup(s->xnames[i])))
            return -1;
        pool->types[i] = s->xtypes[i];
        pool->nnames = i + 1;
    }
    return 0;
}

static int start_workers(tl_stream_pool *pool, const tl_stream *s, tl_err *err) {
    for (int i = 0; i < pool->nworkers; i++) {
        worker *w = &pool->workers[i];
        w->pool = pool;
        if (!(w->parser = parser_new(pool, s)))
            return tl_err_set(err, TL_ERR_NOMEM, "out of memory (parse workers)");
        int e = pthread_create(&w->thread, NULL, worker_main, w);
        if (e != 0)
            return tl_err_set(err, TL_ERR_IO, "cannot start a parse thread: %s", strerror(e));
        w->started = true;
    }
    return 0;
}

tl_stream_pool *tl_stream_pool_new(const tl_stream *s, int nthreads, tl_err *err) {
    tl_stream_pool *pool = calloc(1, sizeof *pool);
    if (!pool) {
        tl_err_set(err, TL_ERR_NOMEM, "out of memory (parse workers)");
        return NULL;
    }
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->work, NULL);
    pthread_cond_init(&pool->done, NULL);
    pool->nworkers = nthreads > 0 ? nthreads : 1;
    pool->nslots = 2 * (size_t)pool->nworkers;
    pool->slots = calloc(pool->nslots, sizeof *pool->slots);
    pool->workers = calloc((size_t)pool->nworkers, sizeof *pool->workers);
    if (!pool->slots || !pool->workers || copy_names(pool, s) != 0) {
        tl_err_set(err, TL_ERR_NOMEM, "out of memory (parse workers)");
        goto fail;
    }
    if (start_workers(pool, s, err) != 0)
        goto fail;
    return pool;
fail:
    tl_stream_pool_destroy(pool);
    return NULL;
}

static void slot_free(tl_stream_pool_batch *b) {
    if (b->state == SLOT_DONE) /* parsed, not (all) taken: their extra fields */
        for (size_t i = 0; i < b->n; i++)
            free(b->res[i].ext);
    free(b->msgs);
    free(b->res);
    free(b->errs);
    free(b->buf);
}

void tl_stream_pool_destroy(tl_stream_pool *pool) {
    if (!pool)
        return;
    pthread_mutex_lock(&pool->mu);
    pool->quit = true; /* a worker finishes the batch it holds, then stops */
    pthread_cond_broadcast(&pool->work);
    pthread_mutex_unlock(&pool->mu);
    for (int i = 0; pool->workers && i < pool->nworkers; i++) {
        if (pool->workers[i].started)
            pthread_join(pool->workers[i].thread, NULL);
        tl_tick_parser_destroy(pool->workers[i].parser);
    }
    for (size_t i = 0; pool->slots && i < pool->nslots; i++)
        slot_free(&pool->slots[i]);
    for (size_t i = 0; i < pool->nnames; i++)
        free(pool->names[i]);
    free(pool->slots);
    free(pool->workers);
    pthread_cond_destroy(&pool->work);
    pthread_cond_destroy(&pool->done);
    pthread_mutex_destroy(&pool->mu);
    free(pool);
}

size_t tl_stream_pool_pending(const tl_stream_pool *pool) {
    return (size_t)(pool->tail - pool->head);
}

bool tl_stream_pool_full(const tl_stream_pool *pool) {
    return tl_stream_pool_pending(pool) == pool->nslots;
}

/* Room for n messages and bytes bytes in a free slot (no worker sees it). */
static int slot_reserve(tl_stream_pool_batch *b, size_t n, size_t bytes) {
    if (n > b->cap) {
        tl_source_msg *m = realloc(b->msgs, n * sizeof *m);
        if (m)
            b->msgs = m;
        tl_stream_parsed *r = realloc(b->res, n * sizeof *r);
        if (r)
            b->res = r;
        tl_tick_error *e = realloc(b->errs, n * sizeof *e);
        if (e)
            b->errs = e;
        if (!m || !r || !e)
            return -1;
        b->cap = n;
    }
    if (bytes > b->cap_buf) {
        size_t c = b->cap_buf ? b->cap_buf : 1 << 16;
        while (c < bytes)
            c *= 2;
        char *nb = realloc(b->buf, c);
        if (!nb)
            return -1;
        b->buf = nb;
        b->cap_buf = c;
    }
    return 0;
}

int tl_stream_pool_submit(tl_stream_pool *pool, const tl_source_msg *msgs, size_t n, tl_err *err) {
    tl_stream_pool_batch *b = &pool->slots[pool->tail % pool->nslots];
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += msgs[i].len;
    if (slot_reserve(b, n, bytes) != 0)
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory (a batch of %zu messages)", n);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        b->msgs[i] = msgs[i];
        b->msgs[i].data = b->buf + at;
        if (msgs[i].len)
            memcpy(b->buf + at, msgs[i].data, msgs[i].len);
        at += msgs[i].len;
    }
    b->n = n;
    pthread_mutex_lock(&pool->mu);
    b->state = SLOT_QUEUED;
    pool->tail++;
    pthread_cond_signal(&pool->work);
    pthread_mutex_unlock(&pool->mu);
    return 0;
}

tl_stream_pool_batch *tl_stream_pool_next(tl_stream_pool *pool, tl_stream *s, bool wait) {
    if (pool->head == pool->tail)
        return NULL;
    tl_stream_pool_batch *b = &pool->slots[pool->head % pool->nslots];
    pthread_mutex_lock(&pool->mu);
    if (wait && pool->claim == pool->head) { /* no worker took it yet: parse it here */
        pool->claim++;
        b->state = SLOT_PARSING;
        pthread_mutex_unlock(&pool->mu);
        parse_batch(b, s->parser, s->ext_on);
        pthread_mutex_lock(&pool->mu);
        b->state = SLOT_DONE;
    }
    while (b->state != SLOT_DONE && wait)
        pthread_cond_wait(&pool->done, &pool->mu);
    bool ready = b->state == SLOT_DONE;
    pthread_mutex_unlock(&pool->mu);
    return ready ? b : NULL;
}

void tl_stream_pool_done(tl_stream_pool *pool, tl_stream_pool_batch *b) {
    pthread_mutex_lock(&pool->mu);
    b->state = SLOT_FREE;
    pool->head++;
    pthread_mutex_unlock(&pool->mu);
}

size_t tl_stream_pool_batch_len(const tl_stream_pool_batch *b) {
    return b->n;
}

const tl_source_msg *tl_stream_pool_batch_msg(const tl_stream_pool_batch *b, size_t i) {
    return &b->msgs[i];
}

tl_stream_parsed *tl_stream_pool_batch_result(tl_stream_pool_batch *b, size_t i) {
    return &b->res[i];
}

const tl_tick_error *tl_stream_pool_batch_reason(const tl_stream_pool_batch *b, size_t i) {
    return &b->errs[i];
}
