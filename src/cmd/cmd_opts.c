/* cmd_opts: module options filled from the settings, in one place for the
 * commands that share a module (dashboard and up both serve the web UI). */
#include "cmd/cmd_opts.h"

#include <string.h>

#include "stream/stream_run.h"
#include "util/signals.h"

void tl_cmd_duck_opts(tl_duck_opts *o, const tl_config *cfg) {
    *o = (tl_duck_opts){.memory_limit = cfg->duck_memory_limit,
                        .threads = cfg->duck_threads,
                        .parquet_version = cfg->parquet_version && !strcmp(cfg->parquet_version, "2")
                                               ? 2
                                               : 1,
                        .parquet_duckdb = cfg->parquet_writer &&
                                          !strcmp(cfg->parquet_writer, "duckdb")};
}

void tl_cmd_lake_opts(tl_lake_opts *o, const tl_config *cfg) {
    *o = tl_lake_opts_default();
    o->log_retention_ms = cfg->log_retention_ms;
    tl_cmd_duck_opts(&o->duck, cfg);
}

void tl_cmd_web_opts(tl_web_opts *o, const tl_config *cfg, tl_live *live, tl_store *store) {
    *o = (tl_web_opts){.listen = cfg->web_listen,
                       .token = cfg->web_token,
                       .live = live,
                       .store = store,
                       .max_clients = (size_t)cfg->web_max_connections,
                       .max_per_client = (size_t)cfg->web_max_per_client,
                       .idle_timeout_ms = cfg->web_idle_timeout_ms,
                       .insecure = cfg->web_insecure};
    tl_cmd_duck_opts(&o->duck, cfg);
}

void tl_cmd_sim_pump_opts(tl_sim_pump_opts *o, const tl_config *cfg) {
    *o = (tl_sim_pump_opts){.rate = cfg->rate > 0 ? cfg->rate : 0};
}

void tl_cmd_kafka_opts(tl_kafka_opts *o, const tl_config *cfg) {
    *o = (tl_kafka_opts){.brokers = cfg->brokers,
                         .topic = cfg->topic,
                         .group = cfg->group,
                         .props = cfg->kafka_props,
                         .n_props = cfg->n_kafka_props,
                         .stop = tl_stop_flag()};
}

int tl_cmd_stream_opts(tl_stream_opts *o, const tl_config *cfg) {
    memset(o, 0, sizeof *o);
    o->max_message_bytes = (size_t)cfg->max_message_bytes;
    o->flush_rows = cfg->flush_rows;
    o->flush_interval_ms = cfg->flush_interval_ms;
    o->allowed_lateness_us = cfg->allowed_lateness_ms * 1000;
    o->dedupe_horizon_us = cfg->dedupe_horizon_ms * 1000;
    o->max_future_skew_us = cfg->max_future_skew_ms * 1000;
    o->max_buffered_rows = cfg->max_buffered_rows;
    o->max_buffered_bytes = cfg->max_buffered_bytes;
    o->extra_columns = cfg->extra_columns;
    o->parse_threads = cfg->parse_threads > 0 ? (int)cfg->parse_threads : tl_stream_cores();
    o->write_threads = cfg->write_threads > 0 ? (int)cfg->write_threads : 0; /* 0: the cores */
    const char *u = cfg->unknown_fields ? cfg->unknown_fields : "keep";
    o->unknown_fields = strcmp(u, "drop") == 0         ? TL_UNKNOWN_DROP
                        : strcmp(u, "deadletter") == 0 ? TL_UNKNOWN_DEADLETTER
                                                       : TL_UNKNOWN_KEEP;
    return tl_ts_unit_parse(cfg->ts_unit, &o->ts_unit) == 0 ? 0 : TL_ERR_INVALID;
}

void tl_cmd_source_kafka_opts(tl_source_kafka_opts *o, const tl_config *cfg,
                              const tl_stream_opts *st_opts, tl_store *store, tl_stream *st) {
    *o = (tl_source_kafka_opts){.until_end = cfg->until_end,
                                .assign_all = cfg->assign_all,
                                .reset_topic = cfg->reset_topic,
                                .broker_timeout_ms = cfg->broker_timeout_ms,
                                .store = store,
                                .ts_unit = st_opts->ts_unit,
                                .max_message_bytes = st_opts->max_message_bytes,
                                .lake = st_opts->lake};
    tl_cmd_kafka_opts(&o->kafka, cfg);
    tl_stream_source_hooks(st, &o->hooks);
}
