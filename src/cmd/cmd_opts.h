/* cmd_opts — the command layer's glue from tl_config to module options, so
 * that modules take their own small option structs, not the whole config. */
#ifndef TL_CMD_CMD_OPTS_H
#define TL_CMD_CMD_OPTS_H

#include "cmd/cmd.h"
#include "conf/conf.h"
#include "kafka/kafka.h"
#include "lake/lake.h"
#include "sim/sim_pump.h"
#include "source/source.h"
#include "stream/stream.h"
#include "web/web.h"

/* DuckDB's limits from the settings duckdb.memory_limit and duckdb.threads
 * (0 = DuckDB's own default), for every database a command opens. */
void tl_cmd_duck_opts(tl_duck_opts *o, const tl_config *cfg);

/* The lake's commit policy from the settings: lake.log_retention, and a
 * checkpoint every TL_LAKE_CHECKPOINT_INTERVAL commits; and the DuckDB
 * limits (tl_cmd_duck_opts) of the checkpoints and of the modules it is
 * handed to. */
void tl_cmd_lake_opts(tl_lake_opts *o, const tl_config *cfg);

/* The dashboard's server, its lake queries with the DuckDB limits. */
void tl_cmd_web_opts(tl_web_opts *o, const tl_config *cfg, tl_live *live, tl_store *store);

/* The simulator's pacing from the settings, the same for `simulate` and
 * `up`: --rate messages per second, 0 = as fast as possible. The rest of o
 * (count, duration, callbacks) is zeroed for the caller to fill. */
void tl_cmd_sim_pump_opts(tl_sim_pump_opts *o, const tl_config *cfg);

/* Kafka from the settings: --brokers, --topic, --group, the kafka: section
 * and -X, and the process's stop flag (SIGINT/SIGTERM). Borrows cfg's
 * strings. */
void tl_cmd_kafka_opts(tl_kafka_opts *o, const tl_config *cfg);

/* The stream from the settings (codec, flush policy, event time, schema
 * evolution); naming (topic/group/source_id) and the commit policy (lake)
 * are left to the caller. Borrows cfg's strings. TL_ERR_INVALID on a bad
 * tick.ts_unit. */
int tl_cmd_stream_opts(tl_stream_opts *o, const tl_config *cfg);

/* The Kafka source from the settings (tl_cmd_kafka_opts, --until-end,
 * --assign-all, --reset-topic, --broker-timeout), parsing ticks as the
 * stream st_opts does, checking against store, with the hooks of stream
 * st (tl_stream_source_hooks). */
void tl_cmd_source_kafka_opts(tl_source_kafka_opts *o, const tl_config *cfg,
                              const tl_stream_opts *st_opts, tl_store *store, tl_stream *st);

/* TL_EXIT_OK when cfg->lake names a lake that exists (a local folder; an S3 lake is checked by its first request), else
 * TL_EXIT_USAGE after printing why, with the path, as "ticklake <cmd>: ...".
 * Creates nothing. */
int tl_cmd_lake_check(const tl_config *cfg, const char *cmd);

/* A manual `compact` or `vacuum` takes the scheduled job's lease (sched_hold.h)
 * with schedule.lease_ttl, waiting up to lease.wait (--wait). NULL with why
 * in err: "job 'compact' is running elsewhere: held by OWNER until T ...". */
struct tl_sched_hold *tl_cmd_hold_take(const tl_config *cfg, tl_store *store, const char *job,
                                       tl_err *err);

#endif
