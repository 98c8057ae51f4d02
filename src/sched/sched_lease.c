/* Leases in the lake on put-if-absent (see sched_lease.h). */
#define _GNU_SOURCE
#include "sched/sched_lease.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "util/json_out.h"
#include "util/log.h"
#include "util/random.h"

#define MAX_JOBS 16
/* Rounds of read-then-write lost to other processes before giving up. */
#define MAX_RACES 8

typedef struct slot {
    char job[64];
    bool held;
    tl_sched_lease_state st; /* the generation this process wrote last */
} slot;

struct tl_sched_lease {
    tl_store *store;
    int64_t ttl_ms;
    char owner[128];
    char machine[96]; /* this process's machine_of() */
    tl_sched_coord coord;
    pthread_mutex_t mu;
    slot slots[MAX_JOBS];
    size_t nslots;
};

/* The generations found under a job's prefix, oldest first. */
typedef struct gens {
    tl_store_entry *e;
    size_t n;
} gens;

static void gens_free(gens *g) {
    tl_store_entries_free(g->e, g->n);
    g->e = NULL;
    g->n = 0;
}

static void key_of(const char *job, int64_t gen, char *out, size_t cap) {
    snprintf(out, cap, TL_SCHED_LEASE_PREFIX "%s/%020" PRId64 ".json", job, gen);
}

/* "<prefix><job>/<20 digits>.json" -> the generation, or -1. */
static int64_t gen_of(const char *key) {
    const char *b = strrchr(key, '/');
    b = b ? b + 1 : key;
    if (strlen(b) != 25 || strcmp(b + 20, ".json") != 0 || strspn(b, "0123456789") != 20)
        return -1;
    return strtoll(b, NULL, 10);
}

static void state_init(tl_sched_lease_state *s) {
    memset(s, 0, sizeof *s);
    s->generation = -1;
    s->due_ms = s->renewed_ms = s->expires_ms = -1;
    s->last_due_ms = s->last_success_ms = -1;
    s->pid = -1;
}

/* Which processes a pid names: the boot (a machine between restarts) and
 * the pid namespace (a container), so that two hosts or containers
 * sharing a host name never mistake each other's pids. "" = unknown. */
static void machine_of(char *out, size_t cap) {
    char boot[64] = "", ns[64] = "";
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    if (f) {
        if (!fgets(boot, sizeof boot, f))
            boot[0] = '\0';
        fclose(f);
    }
    boot[strcspn(boot, "\n")] = '\0';
    ssize_t n = readlink("/proc/self/ns/pid", ns, sizeof ns - 1);
    ns[n > 0 ? n : 0] = '\0';
    if (boot[0] && ns[0])
        snprintf(out, cap, "%s/%s", boot, ns);
    else
        out[0] = '\0';
}

/* Whether the process that wrote s is known to have ended: it ran on this
 * machine (machine_of) and its pid is gone or a zombie. */
static bool holder_ended(const tl_sched_lease *l, const tl_sched_lease_state *s) {
    if (s->pid <= 0 || !s->machine[0] || strcmp(s->machine, l->machine) != 0)
        return false;
    if (kill((pid_t)s->pid, 0) != 0)
        return errno == ESRCH;
    char path[64], stat[256] = "";
    snprintf(path, sizeof path, "/proc/%lld/stat", (long long)s->pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(stat, 1, sizeof stat - 1, f);
    fclose(f);
    stat[n] = '\0';
    const char *p = strrchr(stat, ')'); /* "pid (comm) S ..." */
    return p && (p[2] == 'Z' || p[2] == 'X');
}

/* ---- the object ------------------------------------------------------------- */

static int64_t int_at(yajl_val root, const char *name, int64_t dflt) {
    const char *path[] = {name, NULL};
    yajl_val v = yajl_tree_get(root, path, yajl_t_number);
    return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : dflt;
}

static void str_at(yajl_val root, const char *name, char *out, size_t cap) {
    const char *path[] = {name, NULL};
    yajl_val v = yajl_tree_get(root, path, yajl_t_string);
    snprintf(out, cap, "%s", v ? YAJL_GET_STRING(v) : "");
}

static int parse_state(const char *key, const char *text, tl_sched_lease_state *s, tl_err *err) {
    char ebuf[128], state[16];
    yajl_val root = yajl_tree_parse(text, ebuf, sizeof ebuf);
    if (!YAJL_IS_OBJECT(root)) {
        yajl_tree_free(root);
        return tl_err_set(err, TL_ERR_CORRUPT, "lease %s is not a JSON object", key);
    }
    state_init(s);
    s->generation = gen_of(key);
    str_at(root, "owner", s->owner, sizeof s->owner);
    str_at(root, "state", state, sizeof state);
    s->held = !strcmp(state, "held");
    s->due_ms = int_at(root, "due_ms", -1);
    s->renewed_ms = int_at(root, "renewed_ms", -1);
    s->expires_ms = int_at(root, "expires_ms", -1);
    s->last_due_ms = int_at(root, "last_due_ms", -1);
    s->last_success_ms = int_at(root, "last_success_ms", -1);
    str_at(root, "last_status", s->last_status, sizeof s->last_status);
    s->runs = (uint64_t)int_at(root, "runs", 0);
    s->failures = (uint64_t)int_at(root, "failures", 0);
    s->timeouts = (uint64_t)int_at(root, "timeouts", 0);
    s->pid = int_at(root, "pid", -1);
    str_at(root, "machine", s->machine, sizeof s->machine);
    yajl_tree_free(root);
    return 0;
}

static int format_state(const char *job, const tl_sched_lease_state *s, tl_buf *out, tl_err *err) {
    tl_json *j = tl_json_new(out);
    if (!j)
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    tl_json_obj_begin(j);
    tl_json_kv_str(j, "job", job);
    tl_json_kv_int(j, "generation", s->generation);
    tl_json_kv_str(j, "owner", s->owner);
    tl_json_kv_str(j, "state", s->held ? "held" : "released");
    tl_json_kv_int(j, "due_ms", s->due_ms);
    tl_json_kv_int(j, "renewed_ms", s->renewed_ms);
    tl_json_kv_int(j, "expires_ms", s->expires_ms);
    tl_json_kv_int(j, "last_due_ms", s->last_due_ms);
    tl_json_kv_int(j, "last_success_ms", s->last_success_ms);
    tl_json_kv_str(j, "last_status", s->last_status);
    tl_json_kv_int(j, "runs", (int64_t)s->runs);
    tl_json_kv_int(j, "failures", (int64_t)s->failures);
    tl_json_kv_int(j, "timeouts", (int64_t)s->timeouts);
    tl_json_kv_int(j, "pid", s->pid);
    tl_json_kv_str(j, "machine", s->machine);
    tl_json_obj_end(j);
    int rc = tl_json_finish(j, err);
    tl_json_free(j);
    return rc;
}

/* ---- reading and writing generations ---------------------------------------- */

/* The newest generation of job into *s (generation -1 when there is none),
 * and the list it came from. A generation deleted between the listing and
 * the read (its successor's writer removed it) means: list again. */
static int read_newest(tl_store *st, const char *job, tl_sched_lease_state *s, gens *g,
                       tl_err *err) {
    char prefix[256];
    snprintf(prefix, sizeof prefix, TL_SCHED_LEASE_PREFIX "%s/", job);
    for (int round = 0; round < MAX_RACES; round++) {
        gens_free(g);
        state_init(s);
        int rc = tl_store_list(st, prefix, &g->e, &g->n, err);
        if (rc)
            return tl_err_wrap(err, rc, "reading the lease of job '%s'", job);
        const char *newest = NULL;
        for (size_t i = g->n; i-- > 0 && !newest;)
            if (gen_of(g->e[i].key) >= 0)
                newest = g->e[i].key;
        if (!newest)
            return 0;
        tl_buf b = TL_BUF_INIT;
        rc = tl_store_get(st, newest, &b, err);
        if (rc == 0)
            rc = parse_state(newest, b.data ? b.data : "", s, err);
        tl_buf_free(&b);
        if (rc != TL_ERR_NOT_FOUND)
            return rc;
        tl_err_clear(err);
    }
    return tl_err_set(err, TL_ERR_CONFLICT, "the lease of job '%s' changed %d times while read",
                      job, MAX_RACES);
}

/* Put generation s->generation with put-if-absent: TL_ERR_CONFLICT when
 * another process wrote it first. */
static int write_gen(tl_store *st, const char *job, const tl_sched_lease_state *s, tl_err *err) {
    char key[256];
    key_of(job, s->generation, key, sizeof key);
    tl_buf b = TL_BUF_INIT;
    int rc = format_state(job, s, &b, err);
    if (rc == 0)
        rc = tl_store_put_if_absent(st, key, b.data, b.len, err);
    tl_buf_free(&b);
    return rc;
}

/* Best effort: the generations before `gen` (a leftover is harmless). */
static void drop_before(tl_store *st, const char *job, int64_t gen, const gens *g) {
    tl_err err = {0};
    for (size_t i = 0; g && i < g->n; i++) {
        int64_t k = gen_of(g->e[i].key);
        if (k >= 0 && k < gen)
            tl_store_del(st, g->e[i].key, &err);
    }
    if (!g && gen > 0) {
        char key[256];
        key_of(job, gen - 1, key, sizeof key);
        tl_store_del(st, key, &err);
    }
}

static slot *slot_of(tl_sched_lease *l, const char *job) {
    for (size_t i = 0; i < l->nslots; i++)
        if (!strcmp(l->slots[i].job, job))
            return &l->slots[i];
    if (l->nslots == MAX_JOBS || strlen(job) >= sizeof l->slots[0].job)
        return NULL;
    slot *s = &l->slots[l->nslots++];
    memset(s, 0, sizeof *s);
    snprintf(s->job, sizeof s->job, "%s", job);
    return s;
}

static void fmt_time(int64_t ms, char *out, size_t cap) {
    if (ms < 0)
        snprintf(out, cap, "never");
    else
        tl_cron_format_time(ms, out, cap);
}

/* ---- the coordinator ---------------------------------------------------------- */

/* Take job's lease for fire time due, or (manual) for a run outside the
 * schedule, which neither checks nor moves last_due_ms. */
static int try_take(tl_sched_lease *l, slot *sl, const char *job, int64_t due, bool manual,
                    int64_t now, tl_err *err) {
    char t1[32], t2[32];
    for (int round = 0; round < MAX_RACES; round++) {
        tl_sched_lease_state cur, next;
        gens g = {0};
        int rc = read_newest(l->store, job, &cur, &g, err);
        if (rc) {
            gens_free(&g);
            return rc == TL_ERR_CONFLICT ? TL_ERR_IO : rc; /* not "someone else runs it" */
        }
        /* a manual run does not wait out the lease of a holder that
         * died on this machine (a killed `ticklake compact`) */
        bool ended = manual && cur.held && cur.expires_ms > now && holder_ended(l, &cur);
        if (cur.held && cur.expires_ms > now && !ended) {
            gens_free(&g);
            fmt_time(cur.expires_ms, t1, sizeof t1);
            fmt_time(cur.due_ms, t2, sizeof t2);
            if (cur.due_ms < 0)
                snprintf(t2, sizeof t2, "a manual run");
            return tl_err_set(err, TL_ERR_CONFLICT, "held by %s until %s (%s%s)", cur.owner, t1,
                              cur.due_ms < 0 ? "" : "its run for ", t2);
        }
        if (!manual && cur.last_due_ms >= due) {
            gens_free(&g);
            fmt_time(cur.last_due_ms, t1, sizeof t1);
            return tl_err_set(err, TL_ERR_CONFLICT, "already handled up to %s by %s", t1,
                              cur.owner);
        }
        next = cur;
        next.generation = cur.generation + 1;
        snprintf(next.owner, sizeof next.owner, "%s", l->owner);
        snprintf(next.machine, sizeof next.machine, "%s", l->machine);
        next.pid = (int64_t)getpid();
        next.held = true;
        next.due_ms = manual ? -1 : due;
        next.renewed_ms = now;
        next.expires_ms = now + l->ttl_ms;
        rc = write_gen(l->store, job, &next, err);
        if (rc == TL_ERR_CONFLICT) { /* another process wrote it first: look again */
            gens_free(&g);
            tl_err_clear(err);
            continue;
        }
        if (rc == 0) {
            if (ended) {
                tl_warn("lease", "%s: took over the lease of %s, whose process %lld ended", job,
                        cur.owner, (long long)cur.pid);
            } else if (cur.held) {
                fmt_time(cur.expires_ms, t1, sizeof t1);
                tl_warn("schedule", "%s: took over the lease of %s, which expired at %s", job,
                        cur.owner, t1);
            }
            sl->held = true;
            sl->st = next;
            drop_before(l->store, job, next.generation, &g);
        }
        gens_free(&g);
        return rc;
    }
    return tl_err_set(err, TL_ERR_CONFLICT, "lost the race for the lease %d times", MAX_RACES);
}

static int lease_acquire(void *ud, const char *job, int64_t due, int64_t now, tl_err *err) {
    tl_sched_lease *l = ud;
    pthread_mutex_lock(&l->mu);
    slot *sl = slot_of(l, job);
    int rc = sl ? try_take(l, sl, job, due, false, now, err)
                : tl_err_set(err, TL_ERR_INVALID, "job name '%s' too long or too many jobs", job);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

/* Write the next generation of what this process holds: 0, or
 * TL_ERR_CONFLICT when another process took the lease over. */
static int advance(tl_sched_lease *l, slot *sl, tl_sched_lease_state *next, tl_err *err) {
    next->generation = sl->st.generation + 1;
    int rc = write_gen(l->store, sl->job, next, err);
    if (rc == TL_ERR_CONFLICT) {
        tl_sched_lease_state cur;
        gens g = {0};
        tl_err e2 = {0};
        if (read_newest(l->store, sl->job, &cur, &g, &e2) == 0)
            tl_err_set(err, TL_ERR_CONFLICT, "taken over by %s after it expired", cur.owner);
        gens_free(&g);
        sl->held = false;
        return TL_ERR_CONFLICT;
    }
    if (rc == 0) {
        drop_before(l->store, sl->job, next->generation, NULL);
        sl->st = *next;
    }
    return rc;
}

static int lease_renew(void *ud, const char *job, int64_t now, tl_err *err) {
    tl_sched_lease *l = ud;
    pthread_mutex_lock(&l->mu);
    slot *sl = slot_of(l, job);
    int rc;
    if (!sl || !sl->held) {
        rc = tl_err_set(err, TL_ERR_CONFLICT, "this process does not hold the lease");
    } else {
        tl_sched_lease_state next = sl->st;
        next.renewed_ms = now;
        next.expires_ms = now + l->ttl_ms;
        rc = advance(l, sl, &next, err);
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

static void lease_release(void *ud, const char *job, int64_t due, tl_sched_result r, bool handled,
                          int64_t now) {
    tl_sched_lease *l = ud;
    pthread_mutex_lock(&l->mu);
    slot *sl = slot_of(l, job);
    if (sl && sl->held) {
        tl_sched_lease_state next = sl->st;
        next.held = false;
        next.renewed_ms = next.expires_ms = now;
        next.runs++;
        next.failures += r != TL_SCHED_OK;
        next.timeouts += r == TL_SCHED_TIMED_OUT;
        snprintf(next.last_status, sizeof next.last_status, "%s",
                 r == TL_SCHED_OK ? "success" : tl_sched_result_name(r));
        if (r == TL_SCHED_OK)
            next.last_success_ms = now;
        if (handled && due > next.last_due_ms)
            next.last_due_ms = due;
        tl_err err = {0};
        if (advance(l, sl, &next, &err) != 0)
            tl_warn("schedule", "%s: giving back its lease failed (%s); it expires by itself",
                    job, err.msg);
        sl->held = false;
    }
    pthread_mutex_unlock(&l->mu);
}

/* ---- manual runs ---------------------------------------------------------------- */

int tl_sched_lease_take(tl_sched_lease *l, const char *job, int64_t now_ms, tl_err *err) {
    pthread_mutex_lock(&l->mu);
    slot *sl = slot_of(l, job);
    int rc = sl ? try_take(l, sl, job, -1, true, now_ms, err)
                : tl_err_set(err, TL_ERR_INVALID, "job name '%s' too long or too many jobs", job);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

void tl_sched_lease_give_back(tl_sched_lease *l, const char *job, int64_t now_ms) {
    pthread_mutex_lock(&l->mu);
    slot *sl = slot_of(l, job);
    if (sl && sl->held) {
        tl_sched_lease_state next = sl->st; /* counters and last status as they were */
        next.held = false;
        next.renewed_ms = next.expires_ms = now_ms;
        tl_err err = {0};
        if (advance(l, sl, &next, &err) != 0)
            tl_warn("lease", "%s: giving back its lease failed (%s); it expires by itself", job,
                    err.msg);
        sl->held = false;
    }
    pthread_mutex_unlock(&l->mu);
}

static int64_t lease_last_due(void *ud, const char *job) {
    tl_sched_lease *l = ud;
    tl_sched_lease_state s;
    tl_err err = {0};
    if (tl_sched_lease_read(l->store, job, &s, &err) != 0) {
        tl_warn("schedule", "%s: cannot read its last run from the lake: %s", job, err.msg);
        return -1;
    }
    return s.last_due_ms;
}

/* ---- lifecycle ------------------------------------------------------------------ */

tl_sched_lease *tl_sched_lease_new(tl_store *store, int64_t ttl_ms, const char *owner) {
    tl_sched_lease *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->store = store;
    l->ttl_ms = ttl_ms > 0 ? ttl_ms : 60000;
    if (owner) {
        snprintf(l->owner, sizeof l->owner, "%s", owner);
    } else {
        char host[64] = "", id[17];
        gethostname(host, sizeof host - 1);
        tl_random_id(id);
        snprintf(l->owner, sizeof l->owner, "%s:%ld:%.8s", host[0] ? host : "host", (long)getpid(),
                 id);
    }
    machine_of(l->machine, sizeof l->machine);
    pthread_mutex_init(&l->mu, NULL);
    l->coord = (tl_sched_coord){.acquire = lease_acquire,
                                .renew = lease_renew,
                                .release = lease_release,
                                .last_due = lease_last_due,
                                .owner = l->owner,
                                .renew_ms = l->ttl_ms / 3 > 0 ? l->ttl_ms / 3 : 1,
                                .ud = l};
    return l;
}

void tl_sched_lease_destroy(tl_sched_lease *l) {
    if (!l)
        return;
    pthread_mutex_destroy(&l->mu);
    free(l);
}

const tl_sched_coord *tl_sched_lease_coord(tl_sched_lease *l) {
    return &l->coord;
}

const char *tl_sched_lease_owner(const tl_sched_lease *l) {
    return l->owner;
}

int tl_sched_lease_read(tl_store *store, const char *job, tl_sched_lease_state *out, tl_err *err) {
    gens g = {0};
    int rc = read_newest(store, job, out, &g, err);
    gens_free(&g);
    return rc;
}
