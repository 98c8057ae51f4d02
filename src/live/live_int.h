/* Internals shared by live.c (state, ingest, bars), live_json.c
 * (renderings) and live_health.c (pipeline health). */
#ifndef TL_LIVE_LIVE_INT_H
#define TL_LIVE_LIVE_INT_H

#include <pthread.h>

#include "live/live.h"
#include "util/strmap.h"

#define TL_LIVE_MAX_PARTS 24
#define TL_LIVE_MAX_DAYS 62
#define TL_LIVE_RATE_SLOTS 8 /* per-second counts kept for the ingest rate */

typedef struct tl_live_sym {
    char name[TL_SYMBOL_MAX + 1];
    int64_t last, last_ts_us;
    int64_t day_us; /* UTC midnight of the day the statistics cover */
    int64_t open;   /* first price of that day: the reference of "change" */
    int64_t min, max, n, volume, sum_p;
    double sum_pv;
    tl_live_bar *bars; /* ring, oldest at head */
    size_t bars_head, bars_n, bars_cap;
    int64_t *spark; /* ring of samples, oldest at head */
    size_t spark_head, spark_n;
    int64_t spark_slot; /* the sample slot (ts / step) of the newest sample */
    uint64_t gen, spark_gen;
} tl_live_sym;

struct tl_live {
    pthread_mutex_t mu;
    tl_live_opts o;
    tl_strmap *index; /* name -> tl_live_sym * (owned) */
    tl_quality *quality; /* its own lock */
    uint64_t gen;
    uint64_t dropped_symbols; /* ticks of symbols beyond max_symbols */
    uint64_t ticks;
    int64_t since_us;

    /* ingest rate: ticks per wall-clock second, the last few seconds */
    int64_t rate_sec[TL_LIVE_RATE_SLOTS];
    uint64_t rate_cnt[TL_LIVE_RATE_SLOTS];

    /* health */
    bool have_counters;
    tl_stream_counters counters;
    int64_t lag;
    int64_t lake_version, lake_commit_ms;
    size_t lake_files;
    char part_names[TL_LIVE_MAX_PARTS][24];
    size_t part_files[TL_LIVE_MAX_PARTS];
    size_t nparts;
    char days[TL_LIVE_MAX_DAYS][16];
    size_t ndays;
    tl_live_job compaction, models, vacuum;
    int64_t started_ms;
};

/* The i-th bar of a symbol's ring, oldest first. */
static inline tl_live_bar *tl_live_sym_bar(tl_live_sym *s, size_t i) {
    return &s->bars[(s->bars_head + i) % s->bars_cap];
}

double tl_live_rate_locked(tl_live *l);

#endif
