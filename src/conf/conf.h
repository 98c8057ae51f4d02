/* conf — ticklake's configuration: one table drives the YAML file, the
 * TICKLAKE_* environment variables, the command-line flags and --help
 * (Fluent Bit's config_map, Redis's static_configs).
 *
 * Precedence: built-in default < ticklake.yml < TICKLAKE_* < flags.
 * A key "stream.flush_rows" is `stream: {flush_rows: ...}` in YAML,
 * TICKLAKE_STREAM_FLUSH_ROWS in the environment and --flush-rows on the
 * command line (the table gives each key's flag name). */
#ifndef TL_CONF_CONF_H
#define TL_CONF_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/err.h"

/* Which commands a key applies to: a key shows in a command's --help and is
 * accepted as its flag only when their groups intersect. */
enum {
    TL_CG_GLOBAL = 1u << 0, /* every command */
    TL_CG_KAFKA = 1u << 1,  /* Kafka clients: brokers, topic, -X */
    TL_CG_BROKER = 1u << 2,
    TL_CG_SIM = 1u << 3,
    TL_CG_STREAM = 1u << 4,
    TL_CG_LAKE = 1u << 5, /* anything that opens the lake */
    TL_CG_QUERY = 1u << 6,
    TL_CG_TICK = 1u << 7, /* codec settings: anything that parses ticks */
    TL_CG_UP = 1u << 8,
    TL_CG_MODELS = 1u << 9, /* models run|test|ls */
    TL_CG_COMPACT = 1u << 10,
    TL_CG_VACUUM = 1u << 11,
    TL_CG_WEB = 1u << 12,      /* the dashboard's HTTP server (dashboard, up) */
    TL_CG_SCHEDULE = 1u << 13, /* the scheduler (schedule, and up for its schedules) */
    TL_CG_RUNS = 1u << 14,     /* ticklake runs: the scheduler's run history */
};

/* Room for this many keys in tl_config.explicit_keys (conf_table.c checks). */
#define TL_CONF_MAX_KEYS 256

typedef struct tl_kv {
    char *key;
    char *value;
} tl_kv;

typedef struct tl_config {
    /* global */
    char *config_path; /* the file that was loaded, or NULL */
    char *log_level;
    char *log_format; /* text|json */

    /* kafka */
    char *brokers;
    char *topic;
    char *group;
    tl_kv *kafka_props; /* librdkafka properties: kafka: section, then -X */
    size_t n_kafka_props;

    /* broker */
    char *listen;
    int64_t partitions;

    /* simulate */
    int64_t symbols;
    int64_t rate;        /* ticks per second; 0 = as fast as possible */
    int64_t count;       /* stop after this many; 0 = no limit */
    int64_t duration_ms; /* stop after this long; 0 = no limit */
    int64_t seed;
    char *start;  /* RFC 3339 start of the simulated clock, or NULL = wall clock */
    char *faults; /* "bad=0.01,late=0.01,dup=0.01,ooo=0.01" */
    char *output; /* "-" = JSONL to stdout instead of Kafka */
    char *stats_json;

    /* tick codec */
    char *ts_unit; /* epoch unit for integer ts: s, ms, us, ns */
    int64_t max_message_bytes;

    /* lake + stream */
    char *lake;
    char *from; /* JSONL file or "-" for stdin: backfill instead of Kafka */
    bool until_end;
    int64_t flush_rows;
    int64_t flush_interval_ms;
    int64_t allowed_lateness_ms;
    int64_t dedupe_horizon_ms;
    int64_t max_future_skew_ms;
    int64_t max_buffered_rows;
    int64_t max_buffered_bytes;
    int64_t parse_threads; /* 0 = the cores available, 1 = the stream's own thread */
    int64_t write_threads; /* batches written at once: 0 = the cores available (at most 4) */
    char *source_id;         /* file input: the id its txn is recorded under */
    bool assign_all;         /* read every partition without joining the group */
    bool reset_topic;        /* a recreated topic: read it from its beginning, not refuse */
    int64_t broker_timeout_ms; /* --until-end: exit 1 when the brokers stay away this long */
    char *stream_stats_json; /* counters as JSON on exit */

    /* schema evolution (src/tables/schema.c) */
    char *extra_columns;  /* "venue:string,trade_id:int64", NULL = none */
    char *unknown_fields; /* keep|drop|deadletter */

    /* query */
    char *format; /* table, csv, json */

    /* models (dbt-style project on DuckDB) */
    char *models_project; /* folder holding dbt_project.yml */
    char *warehouse;      /* DuckDB file the models are materialized in */
    char *models_select;  /* selectors, space-separated (union) */
    char *models_exclude;
    bool full_refresh; /* rebuild incremental models from scratch */

    /* lake maintenance: compact, vacuum, log retention */
    char *compact_partition;  /* "year=2026,month=11,day=24,hour=20", NULL = all */
    int64_t min_files;        /* compact an open hour at this many small files */
    int64_t target_file_size; /* bytes per compacted file */
    bool compact_dry_run;
    bool compact_json;        /* summary as JSON on stdout */
    int64_t vacuum_retain_ms; /* keep removed files this long */
    bool vacuum_dry_run;
    int64_t log_retention_ms; /* log entries behind the newest checkpoint live this long */
    char *parquet_version;    /* "1" or "2": the data files' Parquet format (tl_cmd_duck_opts) */
    char *parquet_writer;     /* "native" or "duckdb": who encodes the stream's files */

    /* DuckDB: every database a command opens (tl_cmd_duck_opts) */
    int64_t duck_memory_limit; /* bytes; 0 = DuckDB's default (80% of the memory) */
    int64_t duck_threads;      /* 0 = one per core */

    /* s3: the lake on S3-compatible storage (store_s3.c). Credentials are
     * secrets: file or TICKLAKE_* only, and AWS_* environment variables win. */
    char *s3_endpoint;
    char *s3_region;
    char *s3_path_style; /* auto|true|false */
    char *s3_access_key_id;
    char *s3_secret_access_key;
    char *s3_session_token;
    int64_t s3_multipart_threshold;
    int64_t s3_part_size;
    int64_t s3_timeout_ms;
    int64_t s3_max_retry_time_ms;

    /* web: the dashboard (ticklake dashboard, ticklake up) */
    char *web_listen; /* "127.0.0.1:8080" */
    char *web_token;  /* bearer token for /api and /metrics; a secret: file or env only */
    bool web_insecure;
    int64_t web_max_connections;
    int64_t web_max_per_client;
    int64_t web_idle_timeout_ms;

    /* quality: data-quality signals (src/quality) */
    int64_t quality_jump_sigmas;
    int64_t quality_stale_after_ms;

    /* schedule: ticklake schedule and the scheduler in ticklake up (src/sched).
     * Cron expressions in UTC or @hourly/@daily/@every 30s; "" = job disabled. */
    char *schedule_compact;
    char *schedule_models; /* runs after compaction when both are due */
    char *schedule_vacuum;
    bool schedule_once; /* run every job once in dependency order, then exit */
    bool schedule_list; /* print the jobs and their next fire times, then exit */
    /* per job: attempts after a failure or timeout, and the timeout (0 = none) */
    int64_t compact_retries, models_retries, vacuum_retries;
    int64_t compact_timeout_ms, models_timeout_ms, vacuum_timeout_ms;
    int64_t retry_delay_ms, retry_max_delay_ms; /* first retry's delay, doubling to the cap */
    bool schedule_catchup; /* run fire times missed while no scheduler ran */
    int64_t lease_ttl_ms;  /* a job's lease in the lake expires this long after its renewal */
    int64_t lease_wait_ms; /* compact/vacuum: wait this long for a held lease (0 = fail) */
    int64_t runs_retention_ms; /* the scheduler trims run records older (0 = keep all) */
    int64_t schedule_duck_memory_limit; /* the jobs' DuckDB memory_limit, bytes (0 = duckdb's) */

    /* runs: ticklake runs */
    char *runs_job;    /* only this job's runs */
    char *runs_since;  /* RFC 3339 time, or a duration back from now ("24h") */
    char *runs_format; /* table, json or csv */
    int64_t runs_limit; /* the newest this many (0 = all) */

    /* which table keys the file, the environment or a flag set (bit i = the
     * table's entry i); defaults are not counted: see tl_conf_explicit */
    uint64_t explicit_keys[TL_CONF_MAX_KEYS / 64];
} tl_config;

typedef enum {
    TL_CT_STRING,
    TL_CT_INT,      /* int64 */
    TL_CT_BOOL,     /* true/false/yes/no/1/0/on/off */
    TL_CT_DURATION, /* "250ms", "10s", "5m", "168h"; a bare number is seconds -> int64 ms */
    TL_CT_SIZE,     /* "128MiB", "16MB", "4096" -> int64 bytes */
} tl_conf_type;

typedef struct tl_conf_entry {
    const char *key;  /* "stream.flush_rows" */
    const char *flag; /* "flush-rows" (long option), NULL = file/env only */
    char short_flag;  /* 0 = none */
    tl_conf_type type;
    const char *def; /* default as text, NULL = unset */
    size_t offset;   /* offsetof(tl_config, field) */
    unsigned groups; /* TL_CG_* */
    const char *help;
    const char *choices; /* "s|ms|us|ns": the only accepted values, or NULL */
    bool positive;       /* numbers must be >= 1 (all numbers must be >= 0) */
} tl_conf_entry;

extern const tl_conf_entry tl_conf_table[];
extern const size_t tl_conf_table_len;

/* Parse a command's argv (argv[0] = command name) for options in `groups`,
 * load defaults, the YAML file (--config or ./ticklake.yml if present,
 * TICKLAKE_CONFIG), the environment and the flags, in that order.
 * On success *first_arg is the index of the first positional argument.
 * Returns 0; TL_ERR_HELP when --help was shown (the caller exits 0 without
 * running); TL_ERR_INVALID on a usage or configuration error, or
 * TL_ERR_NOMEM, after printing a message that names the bad key or value and
 * where it came from (flag, env var, or file:line). */
int tl_conf_load(tl_config *cfg, unsigned groups, int argc, char **argv, int *first_arg,
                 void (*print_help)(FILE *out));

/* Print the options for `groups` as --help text. */
void tl_conf_print_options(FILE *out, unsigned groups);

void tl_conf_free(tl_config *cfg);

/* Whether `key` was given by ticklake.yml, a TICKLAKE_* variable or a flag
 * rather than left at its built-in default: for settings whose default
 * depends on the situation (a backfill from a file has no time-based flush
 * unless one is asked for). */
bool tl_conf_explicit(const tl_config *cfg, const char *key);
/* The folder for a lake's working files when not configured (the models'
 * warehouse and its lock): <lake>/_ticklake for a local lake; for an S3 lake
 * $XDG_STATE_HOME (or ~/.local/state)/ticklake/<hash of the URI>. 0, or -1
 * without a lake or when it does not fit. */
int tl_conf_state_dir(const char *lake, char *out, size_t cap);

/* Parse helpers, shared with other modules (0 ok, -1 bad). */
int tl_conf_parse_duration_ms(const char *s, int64_t *out);
int tl_conf_parse_size(const char *s, int64_t *out);
int tl_conf_parse_bool(const char *s, bool *out);

#endif
