/* Inside quality: the state both quality.c and quality_render.c see. */
#ifndef TL_QUALITY_QUALITY_INT_H
#define TL_QUALITY_QUALITY_INT_H

#include <pthread.h>

#include "quality/quality.h"
#include "util/strmap.h"

typedef struct tl_quality_sym {
    tl_quality_symbol f;
    uint64_t seen_below; /* which of the 64 seqs below max_seq arrived */
    int64_t prev_price;
    double mean, var; /* of relative returns, exponentially weighted */
    int64_t nret;
} tl_quality_sym;

struct tl_quality {
    pthread_mutex_t mu;
    tl_quality_opts o;
    tl_strmap *index; /* symbol -> tl_quality_sym (owned) */
    int64_t newest_ts_us;
    uint64_t crossed_rejected;
};

#endif
