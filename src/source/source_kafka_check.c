/* The recreated-topic check (see source_kafka_check.h). Finding the lake's
 * rows of a partition near an offset: uncompacted files carry the source
 * and the offset range in their names (part-<topic>-<p>-<first>-<last>-...,
 * dl-<topic>-<p>-<first>-<last>-...), compacted ones (part-compact-...) in
 * their statistics (src_partition, src_offset); only files that may hold
 * the window are read. */
#include "source/source_kafka_check.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duck/duck.h"
#include "lake/lake.h"
#include "store/store.h"
#include "store/store_conf.h"
#include "tables/tables.h"
#include "tick/tick.h"
#include "util/base64.h"
#include "util/buf.h"
#include "util/log.h"

#define FETCH_TIMEOUT_MS 10000

typedef struct lake_entry {
    int64_t offset;
    char *key;
    bool seen; /* the topic has a message at this offset */
} lake_entry;

struct tl_topic_check {
    tl_topic_check_opts o;
    tl_lake_snapshot *ticks, *dead;
    tl_duck *duck;
    tl_tick_parser *parser;
    /* one check's state */
    lake_entry *e;
    size_t n, cap;
    int32_t partition;
    size_t compared;
    bool differs;
    char *why;
    size_t why_cap;
};

tl_topic_check *tl_topic_check_new(const tl_topic_check_opts *o) {
    tl_topic_check *tc = calloc(1, sizeof *tc);
    if (tc)
        tc->o = *o;
    return tc;
}

static void entries_clear(tl_topic_check *tc) {
    for (size_t i = 0; i < tc->n; i++)
        free(tc->e[i].key);
    tc->n = 0;
}

void tl_topic_check_destroy(tl_topic_check *tc) {
    if (!tc)
        return;
    entries_clear(tc);
    free(tc->e);
    tl_lake_snapshot_free(tc->ticks);
    tl_lake_snapshot_free(tc->dead);
    tl_duck_close(tc->duck);
    tl_tick_parser_destroy(tc->parser);
    free(tc);
}

/* The lake and DuckDB, once; the snapshots refreshed each time. */
static int open_lake(tl_topic_check *tc, tl_err *err) {
    const tl_duck_opts *duck = tl_lake_opts_duck(tc->o.lake);
    if (!tc->ticks &&
        tl_lake_snapshot_load(tc->o.store, TL_TICKS_TABLE, duck, &tc->ticks, err) != 0)
        return err->code;
    if (!tc->dead &&
        tl_lake_snapshot_load(tc->o.store, TL_DEADLETTER_TABLE, duck, &tc->dead, err) != 0)
        return err->code;
    if (!tc->duck && !(tc->duck = tl_duck_open(NULL, 0, duck, err)))
        return err->code;
    if (tl_lake_snapshot_refresh(tc->o.store, tc->ticks, err) != 0 ||
        tl_lake_snapshot_refresh(tc->o.store, tc->dead, err) != 0)
        return err->code;
    return 0;
}

/* ---- keys ------------------------------------------------------------------ */

void tl_topic_check_tick_key(const char *symbol, const char *seq, const char *ts_us, char *out,
                             size_t cap) {
    if (seq && *seq)
        snprintf(out, cap, "T%s\x1fs%s", symbol, seq);
    else
        snprintf(out, cap, "T%s\x1ft%s", symbol, ts_us ? ts_us : "");
}

int tl_topic_check_msg_keys(tl_topic_check *tc, const void *data, size_t len, char *tick_key,
                            size_t tick_cap, char **dead_key) {
    tl_tick t;
    tl_tick_error terr;
    tick_key[0] = '\0';
    if (!tc->parser) { /* parses as the stream does: the same settings */
        if (!(tc->parser = tl_tick_parser_new(tc->o.ts_unit, tc->o.max_message_bytes)))
            return -1;
    }
    if (tl_tick_parse(tc->parser, data, len, &t, &terr) == 0) {
        char seq[24] = "", ts[24];
        if (t.has & TL_TICK_HAS_SEQ)
            snprintf(seq, sizeof seq, "%" PRId64, t.seq);
        snprintf(ts, sizeof ts, "%" PRId64, t.ts_us);
        tl_topic_check_tick_key(t.symbol, seq, ts, tick_key, tick_cap);
    }
    *dead_key = malloc(tl_base64_len(len) + 2);
    if (!*dead_key)
        return -1;
    (*dead_key)[0] = 'D';
    tl_base64_encode(data, len, *dead_key + 1);
    return 0;
}

/* A key as words: "tick (AAPL, seq 17)", "a dead letter". */
static void describe_key(const char *key, char *out, size_t cap) {
    if (key[0] != 'T') {
        snprintf(out, cap, "a rejected record (dead letter)");
        return;
    }
    const char *sep = strchr(key, '\x1f');
    if (!sep) {
        snprintf(out, cap, "a tick");
        return;
    }
    snprintf(out, cap, "the tick (%.*s, %s %s)", (int)(sep - key - 1), key + 1,
             sep[1] == 's' ? "seq" : "ts", sep + 2);
}

/* ---- the lake's rows of the window ------------------------------------------ */

static int entry_add(tl_topic_check *tc, int64_t offset, const char *key) {
    if (tc->n == tc->cap) {
        size_t n = tc->cap ? tc->cap * 2 : 64;
        lake_entry *e = realloc(tc->e, n * sizeof *e);
        if (!e)
            return -1;
        tc->e = e;
        tc->cap = n;
    }
    char *k = strdup(key);
    if (!k)
        return -1;
    tc->e[tc->n++] = (lake_entry){offset, k, false};
    return 0;
}

static int on_tick_row(void *ud, int ncols, const char *const *v) {
    tl_topic_check *tc = ud;
    if (ncols < 4 || !v[0] || !v[1])
        return 0;
    char key[256];
    tl_topic_check_tick_key(v[1], v[2], v[3], key, sizeof key);
    return entry_add(tc, strtoll(v[0], NULL, 10), key);
}

static int on_dead_row(void *ud, int ncols, const char *const *v) {
    tl_topic_check *tc = ud;
    if (ncols < 2 || !v[0] || !v[1])
        return 0;
    char *key = malloc(strlen(v[1]) + 2);
    if (!key)
        return -1;
    key[0] = 'D';
    strcpy(key + 1, v[1]);
    int rc = entry_add(tc, strtoll(v[0], NULL, 10), key);
    free(key);
    return rc;
}

/* A number in the statistics' minValues or maxValues ("min"/"max"). */
static bool stat_num(const char *stats, const char *which, const char *col, int64_t *out) {
    char sec[32], pat[64];
    snprintf(sec, sizeof sec, "\"%sValues\":{", which);
    snprintf(pat, sizeof pat, "\"%s\":", col);
    const char *s = stats ? strstr(stats, sec) : NULL;
    if (!s)
        return false;
    const char *end = strchr(s + strlen(sec), '}');
    const char *f = strstr(s, pat);
    if (!f || (end && f > end))
        return false;
    char *stop;
    *out = strtoll(f + strlen(pat), &stop, 10);
    return stop != f + strlen(pat);
}

/* "<first>-<last>-..." after a name prefix. */
static bool name_range(const char *rest, int64_t *first, int64_t *last) {
    char *e1, *e2;
    *first = strtoll(rest, &e1, 10);
    if (e1 == rest || *e1 != '-')
        return false;
    *last = strtoll(e1 + 1, &e2, 10);
    return e2 != e1 + 1 && *e2 == '-';
}

/* May this file hold rows of partition at offsets from..last? */
static bool file_may_hold(const tl_lake_file *f, const char *own_prefix, bool compacted_ok,
                          int32_t partition, int64_t from, int64_t last) {
    const char *base = strrchr(f->path, '/');
    base = base ? base + 1 : f->path;
    int64_t lo, hi;
    size_t plen = strlen(own_prefix);
    if (strncmp(base, own_prefix, plen) == 0 && name_range(base + plen, &lo, &hi))
        return lo <= last && hi >= from;
    if (!compacted_ok || strncmp(base, "part-compact-", 13) != 0)
        return false; /* another source's file */
    int64_t pmin, pmax, omin, omax;
    if (!stat_num(f->stats, "min", "src_partition", &pmin) ||
        !stat_num(f->stats, "max", "src_partition", &pmax) ||
        !stat_num(f->stats, "min", "src_offset", &omin) ||
        !stat_num(f->stats, "max", "src_offset", &omax))
        return true; /* no statistics: read it */
    return pmin <= partition && partition <= pmax && omin <= last && omax >= from;
}

/* Append the local copies of the snapshot's files that may hold the
 * window as a DuckDB list; returns how many (-1 on error). */
static long window_files(tl_topic_check *tc, const tl_lake_snapshot *snap, const char *table,
                         const char *prefix, bool compacted_ok, int64_t from, int64_t last,
                         tl_buf *out, tl_err *err) {
    char cache[1024];
    tl_store_default_cache_dir(tc->o.store, cache, sizeof cache);
    long used = 0;
    tl_buf_puts(out, "[");
    for (size_t i = 0; i < tl_lake_snapshot_num_files(snap); i++) {
        const tl_lake_file *f = tl_lake_snapshot_file(snap, i);
        if (!file_may_hold(f, prefix, compacted_ok, tc->partition, from, last))
            continue;
        char key[1024];
        snprintf(key, sizeof key, "%s/%s", table, f->path);
        char *local = tl_store_local_copy(tc->o.store, key, cache, err);
        if (!local)
            return -1;
        size_t qcap = strlen(local) * 2 + 1;
        char *q = malloc(qcap);
        if (!q || tl_duck_quote(local, q, qcap) != 0) {
            free(q);
            free(local);
            tl_err_set(err, TL_ERR_NOMEM, "out of memory");
            return -1;
        }
        tl_buf_printf(out, "%s'%s'", used ? "," : "", q);
        free(q);
        free(local);
        used++;
    }
    tl_buf_puts(out, "]");
    if (tl_buf_failed(out)) { /* a list with a file missing would compare too little */
        tl_err_set(err, TL_ERR_NOMEM, "out of memory (files of %s)", table);
        return -1;
    }
    return used;
}

static int load_window(tl_topic_check *tc, int64_t from, int64_t last, tl_err *err) {
    const char *topic = tc->o.topic;
    char prefix[512], src[300], qsrc[620];
    tl_buf files = TL_BUF_INIT, sql = TL_BUF_INIT;
    int rc = 0;
    snprintf(src, sizeof src, "%s-%d", topic, (int)tc->partition);
    snprintf(prefix, sizeof prefix, "part-%s-", src);
    long n = window_files(tc, tc->ticks, TL_TICKS_TABLE, prefix, true, from, last, &files, err);
    if (n < 0) {
        rc = err->code;
        goto out;
    }
    if (n > 0) {
        tl_buf_printf(&sql,
                      "SELECT src_offset, symbol, seq::VARCHAR, epoch_us(ts)::VARCHAR FROM "
                      "read_parquet(%s) WHERE src_partition = %d AND src_offset BETWEEN %" PRId64
                      " AND %" PRId64,
                      files.data, (int)tc->partition, from, last);
        rc = tl_buf_failed(&sql) ? tl_err_set(err, TL_ERR_NOMEM, "out of memory")
                                 : tl_duck_query_each(tc->duck, sql.data, on_tick_row, tc, err);
        if (rc != 0)
            goto out;
    }
    tl_buf_reset(&files);
    tl_buf_reset(&sql);
    snprintf(prefix, sizeof prefix, "dl-%s-", src);
    /* dead letters are compacted too (by day): their outputs say in their
     * statistics which partitions and offsets they hold, as ticks' do */
    n = window_files(tc, tc->dead, TL_DEADLETTER_TABLE, prefix, true, from, last, &files, err);
    if (n < 0) {
        rc = err->code;
        goto out;
    }
    if (n > 0) {
        tl_duck_quote(src, qsrc, sizeof qsrc); /* fits: qsrc holds twice src */
        tl_buf_printf(&sql,
                      "SELECT src_offset, raw_base64 FROM read_parquet(%s) WHERE source = '%s' "
                      "AND src_partition = %d AND src_offset BETWEEN %" PRId64 " AND %" PRId64,
                      files.data, qsrc, (int)tc->partition, from, last);
        rc = tl_buf_failed(&sql) ? tl_err_set(err, TL_ERR_NOMEM, "out of memory")
                                 : tl_duck_query_each(tc->duck, sql.data, on_dead_row, tc, err);
    }
out:
    tl_buf_free(&files);
    tl_buf_free(&sql);
    return rc;
}

/* ---- comparing ----------------------------------------------------------------- */

/* A message's payload, shortened and made printable, for the error. */
static void excerpt(const void *data, size_t len, char *out, size_t cap) {
    const unsigned char *p = data;
    size_t w = 0, max = len < 80 ? len : 80;
    for (size_t i = 0; i < max && w + 2 < cap; i++)
        out[w++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
    if (len > max && w + 4 < cap) {
        memcpy(out + w, "...", 3);
        w += 3;
    }
    out[w] = '\0';
}

static int on_msg(void *ud, const tl_kafka_msg *m) {
    tl_topic_check *tc = ud;
    bool any = false, match = false;
    const char *lake_key = NULL;
    char tick_key[256], *dead_key = NULL;
    for (size_t i = 0; i < tc->n; i++) {
        if (tc->e[i].offset != m->offset)
            continue;
        tc->e[i].seen = true;
        if (!any) {
            any = true;
            if (tl_topic_check_msg_keys(tc, m->payload, m->len, tick_key, sizeof tick_key,
                                        &dead_key) != 0)
                return -1;
        }
        lake_key = tc->e[i].key;
        if ((tick_key[0] && strcmp(tick_key, lake_key) == 0) || strcmp(dead_key, lake_key) == 0)
            match = true;
    }
    free(dead_key);
    if (!any)
        return 0; /* nothing of this offset in the lake (a dropped duplicate) */
    tc->compared++;
    if (match)
        return 0;
    char have[300], got[100];
    describe_key(lake_key, have, sizeof have);
    excerpt(m->payload, m->len, got, sizeof got);
    snprintf(tc->why, tc->why_cap, "at offset %" PRId64 " the lake holds %s but the topic holds %s",
             m->offset, have, got);
    tc->differs = true;
    return 1;
}

int tl_topic_check_partition(tl_topic_check *tc, tl_kafka_consumer *c, int32_t partition,
                             int64_t from, int64_t last, size_t *compared, char *why, size_t cap,
                             tl_err *err) {
    *compared = 0;
    why[0] = '\0';
    entries_clear(tc);
    tc->partition = partition;
    tc->compared = 0;
    tc->differs = false;
    tc->why = why;
    tc->why_cap = cap;
    int rc = open_lake(tc, err);
    if (rc == 0)
        rc = load_window(tc, from, last, err);
    if (rc)
        return tl_err_wrap(err, rc, "reading what the lake holds of partition %d", (int)partition);
    if (tc->n == 0)
        return 0; /* nothing to compare with */
    rc = tl_kafka_consumer_fetch(c, partition, from, last, on_msg, tc, FETCH_TIMEOUT_MS, err);
    if (rc)
        return rc;
    *compared = tc->compared;
    size_t dead = 0;
    for (size_t i = 0; i < tc->n; i++)
        dead += tc->e[i].key[0] == 'D';
    tl_debug("source",
             "partition %d, offsets %" PRId64 "..%" PRId64 ": the lake holds %zu ticks and %zu "
             "dead letters there; %zu offsets compared, %s",
             (int)partition, from, last, tc->n - dead, dead, tc->compared,
             tc->differs ? "they differ" : "they agree");
    if (tc->differs)
        return 1;
    for (size_t i = 0; i < tc->n; i++) {
        if (tc->e[i].seen)
            continue;
        char have[300];
        describe_key(tc->e[i].key, have, sizeof have);
        snprintf(why, cap, "the lake holds %s at offset %" PRId64 " but the topic has no message "
                 "there", have, tc->e[i].offset);
        return 1;
    }
    return 0;
}

/* ---- resetting ------------------------------------------------------------------ */

static int reset_table(tl_topic_check *tc, tl_lake_snapshot *snap, const char *table,
                       const char *app, const char *why, tl_err *err) {
    if (tl_lake_snapshot_txn_version(snap, app) < 0)
        return 0;
    tl_lake_tx *tx = tl_lake_tx_new("STREAMING UPDATE", tc->o.lake, err);
    if (!tx)
        return err->code;
    int rc = tl_lake_tx_set_txn(tx, app, -1, err);
    if (!rc)
        rc = tl_lake_tx_param(tx, "outputMode", "Append", err);
    if (!rc)
        rc = tl_lake_tx_param(tx, "resetTopic", why, err);
    if (!rc)
        rc = tl_lake_commit(tc->o.store, table, tx, tl_lake_snapshot_version(snap), NULL, err);
    tl_lake_tx_destroy(tx);
    if (rc)
        return tl_err_wrap(err, rc, "resetting %s's position in %s", app, table);
    return tl_lake_snapshot_refresh(tc->o.store, snap, err);
}

int tl_topic_check_reset(tl_topic_check *tc, int32_t partition, const char *why, tl_err *err) {
    int rc = open_lake(tc, err);
    if (rc)
        return rc;
    char app[512];
    /* the stream's app id: "<group>/<topic>/<partition>" */
    snprintf(app, sizeof app, "%s/%s/%d", tc->o.group, tc->o.topic, (int)partition);
    if ((rc = reset_table(tc, tc->dead, TL_DEADLETTER_TABLE, app, why, err)) != 0)
        return rc;
    return reset_table(tc, tc->ticks, TL_TICKS_TABLE, app, why, err);
}
