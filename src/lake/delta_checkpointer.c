/* delta_checkpointer — checkpoints written on a thread of their own, so a
 * writer that commits often (the stream, every second) does not stop for
 * them: a checkpoint loads the whole table, renders every live file and
 * runs a DuckDB COPY, seconds on a table of tens of thousands of files,
 * and nothing was ingested or sealed while it ran on the stream's thread.
 *
 * Ownership: one thread per checkpointer writes every checkpoint it is
 * given, one after the other, so two of its checkpoints never overlap. A
 * table has at most one job waiting; a newer offer replaces it (its
 * checkpoint describes everything the older one would have). The thread
 * only reads the store and writes the checkpoint, _last_checkpoint (last)
 * and log cleanup, exactly what tl_lake_maybe_checkpoint does inline, so a
 * crash mid-way leaves what an interrupted inline checkpoint leaves: at
 * most a complete checkpoint file that _last_checkpoint does not name yet,
 * which readers may use or ignore (checkpoints are optional). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lake/lake.h"
#include "util/log.h"

/* The tables one writer commits to (the stream: ticks and dead letters). */
#define CKPT_MAX_TABLES 8

typedef struct ckpt_job {
    char *table;     /* NULL: free slot */
    int64_t version; /* the committed version that called for it */
} ckpt_job;

struct tl_lake_checkpointer {
    tl_store *store;
    tl_lake_opts opts;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* a job arrived, or stop */
    pthread_cond_t idle; /* a job finished */
    ckpt_job pending[CKPT_MAX_TABLES];
    size_t npending;
    bool running; /* the thread is writing one (taken off pending) */
    bool stop;
    pthread_t thread;
    tl_lake_checkpointer_stats stats;
};

/* The oldest waiting job (lowest version first: fair between tables). */
static size_t next_job(const tl_lake_checkpointer *c) {
    size_t best = CKPT_MAX_TABLES;
    for (size_t i = 0; i < CKPT_MAX_TABLES; i++)
        if (c->pending[i].table &&
            (best == CKPT_MAX_TABLES || c->pending[i].version < c->pending[best].version))
            best = i;
    return best;
}

static void run_job(tl_lake_checkpointer *c, const ckpt_job *job) {
    tl_err err = {0};
    int rc = tl_lake_maybe_checkpoint(c->store, job->table, job->version, &c->opts, &err);
    if (rc != 0)
        tl_warn("lake", "background checkpoint of '%s' after version %lld failed: %s", job->table,
                (long long)job->version, err.msg);
    pthread_mutex_lock(&c->lock);
    if (rc != 0)
        c->stats.failed++;
    else
        c->stats.written++;
    pthread_mutex_unlock(&c->lock);
}

static void *ckpt_thread(void *arg) {
    tl_lake_checkpointer *c = arg;
    pthread_setname_np(pthread_self(), "tl-checkpoint"); /* tells it apart in top and perf */
    pthread_mutex_lock(&c->lock);
    for (;;) {
        size_t i = next_job(c);
        if (i == CKPT_MAX_TABLES) {
            if (c->stop)
                break; /* stop drains: every queued job has run */
            pthread_cond_wait(&c->wake, &c->lock);
            continue;
        }
        ckpt_job job = c->pending[i];
        c->pending[i] = (ckpt_job){0};
        c->npending--;
        c->running = true;
        pthread_mutex_unlock(&c->lock);
        run_job(c, &job);
        free(job.table);
        pthread_mutex_lock(&c->lock);
        c->running = false;
        pthread_cond_broadcast(&c->idle);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

tl_lake_checkpointer *tl_lake_checkpointer_new(tl_store *s, const tl_lake_opts *o, tl_err *err) {
    tl_lake_checkpointer *c = calloc(1, sizeof *c);
    if (!c) {
        tl_err_set(err, TL_ERR_NOMEM, "out of memory (checkpointer)");
        return NULL;
    }
    c->store = s;
    c->opts = o ? *o : tl_lake_opts_default();
    bool lock = false, wake = false, idle = false;
    if (!(lock = pthread_mutex_init(&c->lock, NULL) == 0) ||
        !(wake = pthread_cond_init(&c->wake, NULL) == 0) ||
        !(idle = pthread_cond_init(&c->idle, NULL) == 0) ||
        pthread_create(&c->thread, NULL, ckpt_thread, c) != 0) {
        tl_err_set(err, TL_ERR_NOMEM, "lake: cannot start the checkpoint thread");
        goto fail;
    }
    return c;
fail:
    if (idle)
        pthread_cond_destroy(&c->idle);
    if (wake)
        pthread_cond_destroy(&c->wake);
    if (lock)
        pthread_mutex_destroy(&c->lock);
    free(c);
    return NULL;
}

/* Under the lock: the slot of table's waiting job, else a free one, else
 * CKPT_MAX_TABLES. */
static size_t slot_for(const tl_lake_checkpointer *c, const char *table) {
    size_t free_slot = CKPT_MAX_TABLES;
    for (size_t i = 0; i < CKPT_MAX_TABLES; i++) {
        if (c->pending[i].table && strcmp(c->pending[i].table, table) == 0)
            return i;
        if (!c->pending[i].table && free_slot == CKPT_MAX_TABLES)
            free_slot = i;
    }
    return free_slot;
}

int tl_lake_checkpointer_offer(tl_lake_checkpointer *c, const char *table, int64_t version) {
    int64_t every = c->opts.checkpoint_interval;
    if (every <= 0 || version <= 0 || version % every != 0)
        return 0;
    char *copy = strdup(table);
    if (!copy)
        return TL_ERR_NOMEM;
    pthread_mutex_lock(&c->lock);
    size_t i = slot_for(c, table);
    int rc = 1;
    if (i == CKPT_MAX_TABLES) {
        c->stats.dropped++; /* more tables than slots: the next due commit offers again */
        rc = 0;
        free(copy);
    } else if (c->pending[i].table) {
        c->stats.replaced++; /* the newer version's checkpoint covers the older one */
        if (version > c->pending[i].version)
            c->pending[i].version = version;
        free(copy);
    } else {
        c->pending[i] = (ckpt_job){copy, version};
        c->npending++;
        pthread_cond_signal(&c->wake);
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

void tl_lake_checkpointer_drain(tl_lake_checkpointer *c) {
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    while (c->npending > 0 || c->running)
        pthread_cond_wait(&c->idle, &c->lock);
    pthread_mutex_unlock(&c->lock);
}

tl_lake_checkpointer_stats tl_lake_checkpointer_stats_get(tl_lake_checkpointer *c) {
    pthread_mutex_lock(&c->lock);
    tl_lake_checkpointer_stats st = c->stats;
    pthread_mutex_unlock(&c->lock);
    return st;
}

void tl_lake_checkpointer_destroy(tl_lake_checkpointer *c) {
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->stop = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL); /* after the queued jobs: a writer's last checkpoint lands */
    pthread_cond_destroy(&c->idle);
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
