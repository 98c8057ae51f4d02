/* The one table of settings. Each row feeds ticklake.yml, TICKLAKE_* and
 * the command-line flag, and --help. Keep help texts short and concrete. */
#include <stddef.h>

#include "conf/conf.h"

#define F(field) offsetof(tl_config, field)

const tl_conf_entry tl_conf_table[] = {
    {"log_level", "log-level", 0, TL_CT_STRING, "info", F(log_level), TL_CG_GLOBAL, "log verbosity",
     "error|warn|info|debug", false},
    {"log_format", "log-format", 0, TL_CT_STRING, "text", F(log_format), TL_CG_GLOBAL,
     "log lines on stderr: text for people, json = one JSON object per line", "text|json", false},

    {"kafka.brokers", "brokers", 'b', TL_CT_STRING, NULL, F(brokers), TL_CG_KAFKA,
     "Kafka bootstrap servers, host:port[,host:port]", NULL, false},
    {"kafka.topic", "topic", 't', TL_CT_STRING, "ticks", F(topic), TL_CG_KAFKA | TL_CG_BROKER,
     "Kafka topic of the ticks", NULL, false},
    {"kafka.group", "group", 'g', TL_CT_STRING, "ticklake", F(group), TL_CG_STREAM,
     "Kafka consumer group id", NULL, false},

    {"broker.listen", "listen", 0, TL_CT_STRING, "127.0.0.1:0", F(listen), TL_CG_BROKER,
     "address of the dev broker (port 0 = any free port)", NULL, false},
    {"broker.partitions", "partitions", 'p', TL_CT_INT, "8", F(partitions), TL_CG_BROKER,
     "partitions of the topic the dev broker creates", NULL, true},

    {"simulate.symbols", "symbols", 0, TL_CT_INT, "50", F(symbols), TL_CG_SIM | TL_CG_UP,
     "number of ticker symbols", NULL, true},
    {"simulate.rate", "rate", 'r', TL_CT_INT, "10000", F(rate), TL_CG_SIM | TL_CG_UP,
     "ticks per second (0 = as fast as possible)", NULL, false},
    {"simulate.count", "count", 'n', TL_CT_INT, "0", F(count), TL_CG_SIM,
     "stop after this many messages (0 = no limit)", NULL, false},
    {"simulate.duration", "duration", 'd', TL_CT_DURATION, "0", F(duration_ms),
     TL_CG_SIM | TL_CG_UP, "stop after this long, e.g. 30s, 5m (0 = no limit)", NULL, false},
    {"simulate.seed", "seed", 0, TL_CT_INT, "42", F(seed), TL_CG_SIM | TL_CG_UP,
     "random seed; the same seed gives the same ticks", NULL, false},
    {"simulate.start", "start", 0, TL_CT_STRING, NULL, F(start), TL_CG_SIM,
     "simulated clock start (RFC 3339) instead of the wall clock", NULL, false},
    {"simulate.faults", "faults", 0, TL_CT_STRING, NULL, F(faults), TL_CG_SIM,
     "fault rates, e.g. bad=0.01,late=0.01,dup=0.01,ooo=0.01", NULL, false},
    {"simulate.output", "output", 'o', TL_CT_STRING, NULL, F(output), TL_CG_SIM,
     "'-' writes JSONL to stdout instead of Kafka", NULL, false},
    {"simulate.stats_json", "stats-json", 0, TL_CT_STRING, NULL, F(stats_json), TL_CG_SIM,
     "write the end-of-run summary as JSON to this file", NULL, false},

    {"tick.ts_unit", "ts-unit", 0, TL_CT_STRING, "ms", F(ts_unit), TL_CG_TICK,
     "unit of integer epoch timestamps", "s|ms|us|ns", false},
    {"tick.max_message_bytes", "max-message-bytes", 0, TL_CT_SIZE, "64KiB", F(max_message_bytes),
     TL_CG_TICK, "messages longer than this are rejected as too_large", NULL, true},

    {"lake.path", "lake", 'l', TL_CT_STRING, "./lake", F(lake), TL_CG_LAKE,
     "the lake: a local directory or s3://bucket/prefix", NULL, false},

    {"stream.from", "from", 'f', TL_CT_STRING, NULL, F(from), TL_CG_STREAM,
     "ingest a JSONL file ('-' = stdin) instead of Kafka", NULL, false},
    {"stream.until_end", "until-end", 'e', TL_CT_BOOL, "false", F(until_end), TL_CG_STREAM,
     "exit once every partition reached the end it had at start", NULL, false},
    {"stream.flush_rows", "flush-rows", 0, TL_CT_INT, "100000", F(flush_rows), TL_CG_STREAM,
     "flush an hour partition's buffer at this many rows", NULL, true},
    {"stream.flush_interval", "flush-interval", 0, TL_CT_DURATION, "1s", F(flush_interval_ms),
     TL_CG_STREAM | TL_CG_UP, "flush buffered rows at least this often (not for a regular --from file unless set: "
     "a backfill flushes on the row and memory caps)", NULL, true},
    {"stream.allowed_lateness", "allowed-lateness", 0, TL_CT_DURATION, "10s",
     F(allowed_lateness_ms), TL_CG_STREAM | TL_CG_COMPACT, "watermark = max event time seen - this",
     NULL, false},
    {"stream.dedupe_horizon", "dedupe-horizon", 0, TL_CT_DURATION, "1h", F(dedupe_horizon_ms),
     TL_CG_STREAM, "a repeated (symbol, seq) is dropped if its first copy came within this much "
     "event time (across restarts too; longer for rising seqs)", NULL, true},
    {"stream.max_future_skew", "max-future-skew", 0, TL_CT_DURATION, "60s", F(max_future_skew_ms),
     TL_CG_STREAM, "ticks further ahead of the wall clock go to the dead letter", NULL, false},
    {"stream.max_buffered_rows", "max-buffered-rows", 0, TL_CT_INT, "1000000", F(max_buffered_rows),
     TL_CG_STREAM, "cap on rows buffered across all hour partitions: a full flush when reached", NULL,
     true},
    {"stream.max_buffered_bytes", "max-buffered-bytes", 0, TL_CT_SIZE, "48MiB",
     F(max_buffered_bytes), TL_CG_STREAM,
     "cap on the memory of buffered rows and dead letters across all hour partitions: a full "
     "flush when reached (0 = none); the batches being written hold up to as much again",
     NULL, false},
    {"stream.parse_threads", "parse-threads", 0, TL_CT_INT, "0", F(parse_threads),
     TL_CG_STREAM | TL_CG_UP,
     "threads that parse and validate messages (0 = the cores available; 1 = the stream's own "
     "thread); order, dedupe and commits stay on one thread, in source order",
     NULL, false},
    {"stream.write_threads", "write-threads", 0, TL_CT_INT, "0", F(write_threads),
     TL_CG_STREAM | TL_CG_UP,
     "flush batches whose Parquet files are written at once, each on its own thread (0 = the "
     "cores available, at most 4; 1 = one at a time, the least memory); commits stay in order "
     "on the stream's thread, and the batches in flight share stream.max_buffered_bytes",
     NULL, false},

    {"stream.assign_all", "assign-all", 0, TL_CT_BOOL, "false", F(assign_all), TL_CG_STREAM,
     "read every partition directly instead of joining the group (no rebalance wait; one "
     "stream per topic, e.g. a catch-up run)",
     NULL, false},
    {"stream.reset_topic", "reset-topic", 0, TL_CT_BOOL, "false", F(reset_topic), TL_CG_STREAM,
     "a topic deleted and recreated (offsets went back, or messages differ from the lake's): "
     "read it from its beginning instead of refusing",
     NULL, false},
    {"stream.broker_timeout", "broker-timeout", 0, TL_CT_DURATION, "60s", F(broker_timeout_ms),
     TL_CG_STREAM, "--until-end: exit 1 when the Kafka brokers stay unreachable this long "
     "(0 = wait for them)", NULL, false},
    {"stream.source_id", "source-id", 0, TL_CT_STRING, NULL, F(source_id), TL_CG_STREAM,
     "file input: the id its progress is recorded under (default: name + path hash)", NULL, false},
    {"stream.stats_json", "stats-json", 0, TL_CT_STRING, NULL, F(stream_stats_json), TL_CG_STREAM,
     "write the counters as JSON to this file on exit", NULL, false},

    /* schema evolution: columns added to the ticks table (src/tables/schema.c) */
    {"schema.extra_columns", "extra-columns", 0, TL_CT_STRING, NULL, F(extra_columns),
     TL_CG_STREAM | TL_CG_UP,
     "columns beyond the built-in ones, name:type[,...] (string, int64, decimal(18,6), "
     "timestamp, bool, list<string>); in ticklake.yml also a mapping name: type. Adding one "
     "adds a nullable column to the lake; removing, retyping or renaming one is refused",
     NULL, false},
    {"schema.unknown_fields", "unknown-fields", 0, TL_CT_STRING, "keep", F(unknown_fields),
     TL_CG_STREAM | TL_CG_UP,
     "fields that are neither built-in nor extra columns: keep (in the 'extra' JSON column), "
     "drop (counted), deadletter (reason unknown_field:<name>)",
     "keep|drop|deadletter", false},

    {"query.format", "format", 0, TL_CT_STRING, "table", F(format), TL_CG_QUERY, "output format",
     "table|csv|json", false},

    /* models: ticklake models run|test|ls */
    {"models.project", "project", 0, TL_CT_STRING, "analytics", F(models_project), TL_CG_MODELS,
     "the dbt-style project folder (holds dbt_project.yml)", NULL, false},
    {"models.warehouse", "warehouse", 'w', TL_CT_STRING, NULL, F(warehouse),
     TL_CG_MODELS | TL_CG_QUERY | TL_CG_WEB,
     "DuckDB file the models are built in (query: attached read-only when it exists; "
     "dashboard: its model runs shown); default <lake>/_ticklake/warehouse.duckdb, for an S3 "
     "lake ~/.local/state/ticklake/<hash>/warehouse.duckdb", NULL, false},
    {"models.select", "select", 's', TL_CT_STRING, NULL, F(models_select), TL_CG_MODELS,
     "models to act on: name, +name, name+, tag:x, path:dir (space = union)", NULL, false},
    {"models.exclude", "exclude", 0, TL_CT_STRING, NULL, F(models_exclude), TL_CG_MODELS,
     "models to leave out, same syntax as --select", NULL, false},
    {"models.full_refresh", "full-refresh", 0, TL_CT_BOOL, "false", F(full_refresh), TL_CG_MODELS,
     "rebuild incremental models from scratch", NULL, false},

    /* lake maintenance: ticklake compact, ticklake vacuum, log cleanup */
    {"compact.partition", "partition", 0, TL_CT_STRING, NULL, F(compact_partition), TL_CG_COMPACT,
     "only this hour, e.g. year=2026,month=11,day=24,hour=20", NULL, false},
    {"compact.min_files", "min-files", 0, TL_CT_INT, "8", F(min_files), TL_CG_COMPACT,
     "compact an open hour once it has this many small files", NULL, true},
    {"compact.target_file_size", "target-file-size", 0, TL_CT_SIZE, "128MiB", F(target_file_size),
     TL_CG_COMPACT, "size of the files compaction writes", NULL, true},
    {"compact.dry_run", "dry-run", 0, TL_CT_BOOL, "false", F(compact_dry_run), TL_CG_COMPACT,
     "show what would be compacted, change nothing", NULL, false},
    {"compact.json", "json", 0, TL_CT_BOOL, "false", F(compact_json), TL_CG_COMPACT,
     "print the summary as JSON", NULL, false},
    /* compact and vacuum take the scheduled job's lease (src/sched/sched_hold.h) */
    {"lease.wait", "wait", 0, TL_CT_DURATION, "0", F(lease_wait_ms), TL_CG_COMPACT | TL_CG_VACUUM,
     "when another process (a scheduler) holds the job's lease in the lake, wait up to this long "
     "for it, e.g. 10m (0 = fail at once, exit 1)",
     NULL, false},
    {"vacuum.retain", "retain", 0, TL_CT_DURATION, "168h", F(vacuum_retain_ms), TL_CG_VACUUM,
     "delete unreferenced files only once removed (or written) this long ago", NULL, false},
    {"vacuum.dry_run", "dry-run", 0, TL_CT_BOOL, "false", F(vacuum_dry_run), TL_CG_VACUUM,
     "list what would be deleted, delete nothing", NULL, false},
    {"lake.log_retention", "log-retention", 0, TL_CT_DURATION, "720h", F(log_retention_ms),
     TL_CG_STREAM | TL_CG_COMPACT | TL_CG_VACUUM | TL_CG_UP,
     "log entries older than the newest checkpoint expire after this", NULL, false},

    /* DuckDB (src/duck): the limits of every database a command opens */
    /* Format 2 (V2 data pages, delta-packed integers and timestamps) makes
     * the stream's files 13-20% and compacted files 11-28% smaller (BENCHMARKS.md
     * "Parquet format 2"), but not every reader copes: delta-rs 1.6.6 fails
     * a filtered read of DuckDB's 256-value delta miniblocks ("cannot skip
     * miniblock of size 256", apache/arrow-rs#11018, fixed in a later parquet
     * crate), and Spark before 3.3 cannot read delta-packed columns
     * vectorised. So format 1, which every reader reads, is the default. */
    {"lake.parquet_version", "parquet-version", 0, TL_CT_STRING, "1", F(parquet_version),
     TL_CG_STREAM | TL_CG_UP | TL_CG_COMPACT | TL_CG_SCHEDULE,
     "Parquet format of the data files written (1: every reader; 2: V2 data pages and delta "
     "encodings, 11-28% smaller, for readers that handle them: Spark 3.3+, DuckDB, pyarrow, "
     "not delta-rs 1.6)",
     "1|2", false},
    /* The native writer (src/parquet/) encodes the tick rows directly; DuckDB's
     * COPY spent ~55% of a backfill's CPU (BENCHMARKS.md "Native Parquet
     * writer"). Same schema and statistics (tests/unit/test_parquet.c);
     * duckdb is the way back should a reader ever disagree. */
    {"lake.parquet_writer", "parquet-writer", 0, TL_CT_STRING, "native", F(parquet_writer),
     TL_CG_STREAM | TL_CG_UP | TL_CG_SCHEDULE,
     "who encodes the stream's tick files: native (ticklake's own writer; format 1, the built-in "
     "columns) or duckdb (DuckDB's COPY; always used for format 2 and for added columns)",
     "native|duckdb", false},
    {"duckdb.memory_limit", "duckdb-memory-limit", 0, TL_CT_SIZE, "1GiB", F(duck_memory_limit),
     TL_CG_LAKE,
     "memory each DuckDB database may use for its buffers (sorts spill to disk beyond it; "
     "0 = DuckDB's default, 80% of the machine's)",
     NULL, false},
    {"duckdb.threads", "duckdb-threads", 0, TL_CT_INT, "0", F(duck_threads), TL_CG_LAKE,
     "threads of each DuckDB database (0 = one per core)", NULL, false},

    /* s3: --lake s3://bucket/prefix (store_s3.c). The credentials have no
     * flag and no default, so neither --help nor an error ever shows one. */
    {"s3.endpoint", "s3-endpoint", 0, TL_CT_STRING, NULL, F(s3_endpoint), TL_CG_LAKE,
     "S3 endpoint, e.g. http://127.0.0.1:9000 (default: $AWS_ENDPOINT_URL, else AWS)", NULL, false},
    {"s3.region", "s3-region", 0, TL_CT_STRING, NULL, F(s3_region), TL_CG_LAKE,
     "S3 region (default: $AWS_REGION, else us-east-1)", NULL, false},
    {"s3.path_style", "s3-path-style", 0, TL_CT_STRING, "auto", F(s3_path_style), TL_CG_LAKE,
     "path-style S3 URLs (auto: on when an endpoint is set)", "auto|true|false", false},
    {"s3.access_key_id", NULL, 0, TL_CT_STRING, NULL, F(s3_access_key_id), TL_CG_LAKE,
     "S3 access key id (AWS_ACCESS_KEY_ID wins)", NULL, false},
    {"s3.secret_access_key", NULL, 0, TL_CT_STRING, NULL, F(s3_secret_access_key), TL_CG_LAKE,
     "S3 secret access key (AWS_SECRET_ACCESS_KEY wins)", NULL, false},
    {"s3.session_token", NULL, 0, TL_CT_STRING, NULL, F(s3_session_token), TL_CG_LAKE,
     "S3 session token (AWS_SESSION_TOKEN wins)", NULL, false},
    {"s3.multipart_threshold", "s3-multipart-threshold", 0, TL_CT_SIZE, "16MiB",
     F(s3_multipart_threshold), TL_CG_LAKE, "objects larger than this upload in parts", NULL, true},
    {"s3.part_size", "s3-part-size", 0, TL_CT_SIZE, "8MiB", F(s3_part_size), TL_CG_LAKE,
     "size of multipart upload parts (S3 wants at least 5MiB)", NULL, true},
    {"s3.timeout", "s3-timeout", 0, TL_CT_DURATION, "30s", F(s3_timeout_ms), TL_CG_LAKE,
     "an S3 request that makes no progress this long fails (and is retried)", NULL, true},
    {"s3.max_retry_time", "s3-max-retry-time", 0, TL_CT_DURATION, "60s", F(s3_max_retry_time_ms),
     TL_CG_LAKE, "stop retrying a failing S3 request after this long", NULL, true},

    /* web: the dashboard's HTTP server (ticklake dashboard, ticklake up). The
     * token has no flag, so it never shows in a process listing. */
    {"web.listen", "listen", 0, TL_CT_STRING, "127.0.0.1:8080", F(web_listen), TL_CG_WEB | TL_CG_UP,
     "dashboard address, HOST:PORT (port 0 = any free port)", NULL, false},
    {"web.token", NULL, 0, TL_CT_STRING, NULL, F(web_token), TL_CG_WEB | TL_CG_UP,
     "bearer token required by /api/* and /metrics (TICKLAKE_WEB_TOKEN)", NULL, false},
    {"web.insecure", "insecure", 0, TL_CT_BOOL, "false", F(web_insecure), TL_CG_WEB | TL_CG_UP,
     "allow a non-loopback --listen without web.token (the API and /metrics open to the network)",
     NULL, false},
    {"web.max_connections", "max-connections", 0, TL_CT_INT, "256", F(web_max_connections),
     TL_CG_WEB | TL_CG_UP, "open connections in total; more are refused", NULL, true},
    {"web.max_connections_per_client", "max-connections-per-client", 0, TL_CT_INT, "32",
     F(web_max_per_client), TL_CG_WEB | TL_CG_UP,
     "open connections per client address, so one client cannot starve the others", NULL, true},
    {"web.idle_timeout", "idle-timeout", 0, TL_CT_DURATION, "10s", F(web_idle_timeout_ms),
     TL_CG_WEB | TL_CG_UP, "close a connection that sends nothing for this long", NULL, true},

    /* quality: the data-quality signals of /metrics and /api/health (src/quality) */
    {"quality.jump_sigmas", "jump-sigmas", 0, TL_CT_INT, "6", F(quality_jump_sigmas),
     TL_CG_WEB | TL_CG_UP,
     "count a price as a jump when its return is this many standard deviations from the "
     "symbol's recent ones (flagged, never dropped)",
     NULL, true},
    {"quality.stale_after", "stale-after", 0, TL_CT_DURATION, "60s", F(quality_stale_after_ms),
     TL_CG_WEB | TL_CG_UP, "a symbol whose newest tick is this far behind the newest of any is stale",
     NULL, true},

    /* schedule: ticklake schedule, and the scheduler inside ticklake up
     * (src/sched). One default for both: every 5 minutes, aligned to the
     * clock, is cheap when there is nothing to do (an open hour is only
     * compacted at compact.min_files small files). */
    {"schedule.compact", "schedule-compact", 0, TL_CT_STRING, "*/5 * * * *", F(schedule_compact),
     TL_CG_SCHEDULE | TL_CG_UP,
     "when compaction runs: cron (UTC), @hourly, @daily or @every 30s; '' = never", NULL, false},
    {"schedule.models", "schedule-models", 0, TL_CT_STRING, "*/5 * * * *", F(schedule_models),
     TL_CG_SCHEDULE | TL_CG_UP, "when models run (after compaction when both are due); '' = never",
     NULL, false},
    {"schedule.vacuum", "schedule-vacuum", 0, TL_CT_STRING, "@daily", F(schedule_vacuum),
     TL_CG_SCHEDULE | TL_CG_UP, "when vacuum runs; '' = never", NULL, false},
    {"schedule.once", "once", 0, TL_CT_BOOL, "false", F(schedule_once), TL_CG_SCHEDULE,
     "run every job once, in dependency order, and exit (for cron or CI)", NULL, false},
    {"schedule.list", "list", 0, TL_CT_BOOL, "false", F(schedule_list), TL_CG_SCHEDULE,
     "print the jobs and their next fire times, and exit", NULL, false},
    /* Retries and timeouts per job: a failed compaction is usually a
     * conflict or a store hiccup worth a quick retry; models and vacuum
     * are heavier and run again at their next fire time soon enough. */
    {"schedule.compact_retries", "compact-retries", 0, TL_CT_INT, "2", F(compact_retries),
     TL_CG_SCHEDULE | TL_CG_UP, "retries of a failed or timed-out compaction", NULL, false},
    {"schedule.models_retries", "models-retries", 0, TL_CT_INT, "1", F(models_retries),
     TL_CG_SCHEDULE | TL_CG_UP, "retries of a failed or timed-out models run", NULL, false},
    {"schedule.vacuum_retries", "vacuum-retries", 0, TL_CT_INT, "1", F(vacuum_retries),
     TL_CG_SCHEDULE | TL_CG_UP, "retries of a failed or timed-out vacuum", NULL, false},
    {"schedule.retry_delay", "retry-delay", 0, TL_CT_DURATION, "30s", F(retry_delay_ms),
     TL_CG_SCHEDULE | TL_CG_UP, "wait before the first retry; each further retry waits twice as long",
     NULL, true},
    {"schedule.retry_max_delay", "retry-max-delay", 0, TL_CT_DURATION, "10m",
     F(retry_max_delay_ms), TL_CG_SCHEDULE | TL_CG_UP, "cap on the wait between retries", NULL,
     true},
    {"schedule.compact_timeout", "compact-timeout", 0, TL_CT_DURATION, "30m",
     F(compact_timeout_ms), TL_CG_SCHEDULE | TL_CG_UP,
     "cancel a compaction running longer (before its next commit; 0 = never)", NULL, false},
    {"schedule.models_timeout", "models-timeout", 0, TL_CT_DURATION, "30m", F(models_timeout_ms),
     TL_CG_SCHEDULE | TL_CG_UP,
     "cancel a models run running longer (the warehouse stays as it was; 0 = never)", NULL, false},
    {"schedule.vacuum_timeout", "vacuum-timeout", 0, TL_CT_DURATION, "2h", F(vacuum_timeout_ms),
     TL_CG_SCHEDULE | TL_CG_UP, "cancel a vacuum running longer (0 = never)", NULL, false},
    {"schedule.catchup", "catchup", 0, TL_CT_BOOL, "false", F(schedule_catchup),
     TL_CG_SCHEDULE | TL_CG_UP,
     "at start, run each fire time missed while no scheduler ran on the lake (at most 100 per "
     "job), oldest first",
     NULL, false},
    {"schedule.runs_retention", "runs-retention", 0, TL_CT_DURATION, "720h",
     F(runs_retention_ms), TL_CG_SCHEDULE | TL_CG_UP,
     "the scheduler deletes run records (_ticklake/runs/) older than this, hourly (0 = keep all)",
     NULL, false},
    /* The jobs' own DuckDB budget: in `up` they share the process with the
     * stream and the dashboard, and a compaction's sort or a models run
     * with the 1 GiB of duckdb.memory_limit took RSS from ~130 MB to ~1 GB
     * every round (BENCHMARKS.md, "Memory"). 384 MiB: compaction spills its
     * sort; the example project's models and tests pass on a lake of 4.7M
     * ticks even at 256 MiB since stg_ticks dedupes without a window over
     * every tick, and its heaviest queries on 9.3M at 384 MiB. A window or a
     * string aggregate over the whole table does not spill: such a model
     * needs a bigger budget (0 = duckdb.memory_limit). */
    {"schedule.duckdb_memory_limit", "jobs-duckdb-memory-limit", 0, TL_CT_SIZE, "384MiB",
     F(schedule_duck_memory_limit), TL_CG_SCHEDULE | TL_CG_UP,
     "memory each scheduled job's DuckDB database may use (compaction, models), at most "
     "duckdb.memory_limit; beyond it a sort spills to disk, and a models run whose queries "
     "cannot spill fails (0 = duckdb.memory_limit)",
     NULL, false},
    {"runs.job", "job", 0, TL_CT_STRING, NULL, F(runs_job), TL_CG_RUNS,
     "only this job's runs (compact, models, vacuum)", NULL, false},
    {"runs.since", "since", 0, TL_CT_STRING, NULL, F(runs_since), TL_CG_RUNS,
     "runs started at or after: RFC 3339 (2026-12-01T00:00:00Z) or a duration back (24h)", NULL,
     false},
    {"runs.format", "format", 0, TL_CT_STRING, "table", F(runs_format), TL_CG_RUNS,
     "output format", "table|json|csv", false},
    {"runs.limit", "limit", 0, TL_CT_INT, "100", F(runs_limit), TL_CG_RUNS,
     "the newest this many runs (0 = all)", NULL, false},
    {"schedule.lease_ttl", "lease-ttl", 0, TL_CT_DURATION, "60s", F(lease_ttl_ms),
     TL_CG_SCHEDULE | TL_CG_UP | TL_CG_COMPACT | TL_CG_VACUUM,
     "a job's lease in the lake (one runner per job across processes) lasts this long unless "
     "renewed (every third of it); a dead holder's is taken over after it",
     NULL, true},
};

const size_t tl_conf_table_len = sizeof tl_conf_table / sizeof tl_conf_table[0];
_Static_assert(sizeof tl_conf_table / sizeof tl_conf_table[0] <= TL_CONF_MAX_KEYS,
               "tl_config.explicit_keys needs room for every key");
