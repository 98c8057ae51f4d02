/* sched_conf — option-filling glue: the schedule.*, compact.*, models.* and
 * vacuum.* settings of ticklake.yml / TICKLAKE_* / flags into
 * tl_sched_lake_opts (as store_conf.h does for the store). The scheduler
 * itself never sees the application's config. */
#ifndef TL_SCHED_SCHED_CONF_H
#define TL_SCHED_SCHED_CONF_H

#include "conf/conf.h"
#include "lake/lake.h"
#include "sched/sched_lake.h"
#include "store/store.h"
#include "store/store_conf.h"

/* Holds what the options point to: it lives as long as the scheduler. */
typedef struct tl_sched_lake_conf {
    tl_store_conf store; /* the models' way to the lake (models_opts.store) */
    tl_lake_opts lake;   /* the jobs' commit policy and DuckDB limits (opts.lake) */
    tl_sched_lake_opts opts;
} tl_sched_lake_conf;

/* Fill c from cfg, for the open lake store (borrowed) and the commit policy
 * lake (copied into c->lake; NULL = the defaults). The jobs' DuckDB limits
 * are lake's, with schedule.duckdb_memory_limit as their memory_limit when
 * it is set and lower. Strings borrow from cfg. models_out,
 * models_optional, live and owner are left zero for the caller. Returns
 * &c->opts. */
tl_sched_lake_opts *tl_sched_lake_conf_fill(tl_sched_lake_conf *c, const tl_config *cfg,
                                            tl_store *store, const tl_lake_opts *lake);

#endif
