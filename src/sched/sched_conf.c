/* sched_conf — the settings into the lake scheduler's options (see
 * sched_conf.h). */
#include "sched/sched_conf.h"

#include <string.h>

tl_sched_lake_opts *tl_sched_lake_conf_fill(tl_sched_lake_conf *c, const tl_config *cfg,
                                            tl_store *store, const tl_lake_opts *lake) {
    memset(c, 0, sizeof *c);
    tl_sched_lake_opts *o = &c->opts;
    o->store = store;
    /* The jobs' own copy: their DuckDB budget is schedule.duckdb_memory_limit
     * (in `up` the stream and the dashboard keep duckdb.memory_limit), never
     * more than duckdb.memory_limit: a budget for the jobs narrows the
     * process's, it does not widen it. */
    c->lake = lake ? *lake : tl_lake_opts_default();
    int64_t *m = &c->lake.duck.memory_limit;
    const int64_t jobs = cfg->schedule_duck_memory_limit;
    if (jobs > 0 && (*m <= 0 || jobs < *m))
        *m = jobs;
    o->lake = &c->lake;
    o->compact = cfg->schedule_compact;
    o->models = cfg->schedule_models;
    o->vacuum = cfg->schedule_vacuum;
    o->compact_opts = (tl_compact_opts){.min_files = cfg->min_files,
                                        .target_file_size = cfg->target_file_size,
                                        .lateness_ms = cfg->allowed_lateness_ms};
    o->models_opts = (tl_models_opts){.project = cfg->models_project,
                                      .lake = cfg->lake,
                                      .warehouse = cfg->warehouse,
                                      .select = cfg->models_select,
                                      .exclude = cfg->models_exclude,
                                      .full_refresh = cfg->full_refresh,
                                      .store = tl_store_conf_fill(&c->store, cfg, false),
                                      .duck = &c->lake.duck};
    o->vacuum_retain_ms = cfg->vacuum_retain_ms;
    o->compact_policy = (tl_sched_lake_policy){(int)cfg->compact_retries, cfg->compact_timeout_ms};
    o->models_policy = (tl_sched_lake_policy){(int)cfg->models_retries, cfg->models_timeout_ms};
    o->vacuum_policy = (tl_sched_lake_policy){(int)cfg->vacuum_retries, cfg->vacuum_timeout_ms};
    o->retry_delay_ms = cfg->retry_delay_ms;
    o->retry_max_delay_ms = cfg->retry_max_delay_ms;
    o->lease_ttl_ms = cfg->lease_ttl_ms;
    o->runs_retention_ms = cfg->runs_retention_ms;
    o->catchup = cfg->schedule_catchup;
    return o;
}
