/* ticklake stream: Kafka (or a JSONL file) into the lake, exactly once. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/cmd_opts.h"
#include "lake/lake.h"
#include "source/source.h"
#include "store/store.h"
#include "store/store_conf.h"
#include "stream/stream.h"
#include "stream/stream_run.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/signals.h"

/* A backfill from a regular file flushes on the row and memory caps only, not
 * every flush interval: no reader waits for freshness while a finished file is
 * read as fast as it can be, and a time-based flush there only makes the rows
 * per file (and so speed and bytes per tick) depend on the machine's load.
 * stdin ('-', a pipe) and Kafka are live feeds: they keep the interval, and so
 * does a file when the interval was set explicitly. The final flush at the end
 * of the input is unchanged. */
static bool file_backfill(const tl_config *cfg) {
    struct stat sb;
    return cfg->from && strcmp(cfg->from, "-") != 0 && stat(cfg->from, &sb) == 0 &&
           S_ISREG(sb.st_mode) && !tl_conf_explicit(cfg, "stream.flush_interval");
}

static int build_opts(const tl_config *cfg, tl_stream_opts *o, char *source_id, size_t cap) {
    if (tl_cmd_stream_opts(o, cfg) != 0) {
        tl_log_line(TL_LOG_ERROR, "stream", "ticklake stream: bad tick.ts_unit '%s'", cfg->ts_unit);
        return -1;
    }
    if (cfg->from) {
        if (cfg->source_id)
            snprintf(source_id, cap, "%s", cfg->source_id);
        else
            tl_source_file_id(cfg->from, source_id, cap);
        o->source_id = source_id;
        if (file_backfill(cfg))
            o->flush_interval_ms = -1;
    } else {
        o->topic = cfg->topic;
        o->group = cfg->group;
    }
    return 0;
}

typedef struct run_view {
    int64_t t0_ms, last_ms;
    bool tty;
} run_view;

static bool stop_requested(void *ud) {
    (void)ud;
    return tl_stop_requested();
}

/* After each batch: the counters on SIGUSR1, a progress line on a terminal. */
static void batch_done(void *ud, const tl_stream *st) {
    run_view *v = ud;
    if (tl_take_usr1())
        tl_stream_counters_print(st, stderr);
    int64_t now = tl_mono_ms();
    if (!v->tty || now - v->last_ms < 1000)
        return;
    v->last_ms = now;
    const tl_stream_counters *c = tl_stream_counters_get(st);
    double secs = (double)(now - v->t0_ms) / 1000.0;
    fprintf(stderr,
            "\r%" PRIu64 " received (%.0f/s), %" PRIu64 " accepted, %" PRIu64 " rejected, %" PRIu64
            " commits   ",
            c->received, secs > 0 ? (double)c->received / secs : 0.0, c->accepted, c->rejected,
            c->commits);
}

static int write_stats(const tl_stream *st, const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) {
        tl_error("stream", "cannot write %s: %m", path);
        return -1;
    }
    tl_stream_counters_json(st, f);
    return fclose(f);
}

static int stream_run(const tl_config *cfg, int argc, char **argv) {
    if (argc > 0) {
        tl_log_line(TL_LOG_ERROR, "stream", "ticklake stream: unexpected argument '%s'", argv[0]);
        return TL_EXIT_USAGE;
    }
    if (!cfg->from && !cfg->brokers) {
        tl_log_line(TL_LOG_ERROR, "stream",
                    "ticklake stream: give --brokers HOST:PORT (Kafka) or --from FILE.jsonl "
                    "(or --from - for stdin)");
        return TL_EXIT_USAGE;
    }
    if (cfg->from && cfg->brokers) {
        tl_log_line(TL_LOG_ERROR, "stream",
                    "ticklake stream: --from and --brokers exclude each other");
        return TL_EXIT_USAGE;
    }
    char source_id[256];
    tl_stream_opts opts;
    if (build_opts(cfg, &opts, source_id, sizeof source_id) != 0)
        return TL_EXIT_USAGE;

    int rc = TL_EXIT_FAILURE;
    tl_err err = {0};
    tl_store *store = NULL;
    tl_stream *st = NULL;
    tl_source *src = NULL;
    tl_lake_opts lake;
    tl_cmd_lake_opts(&lake, cfg);
    opts.lake = &lake;
    if (!(store = tl_store_conf_open(cfg, false, &err)) || !(st = tl_stream_new(store, &opts, &err)))
        goto out;
    if (cfg->from) {
        src = tl_source_file_new(cfg->from, (size_t)cfg->max_message_bytes, &err);
    } else {
        tl_source_kafka_opts ko;
        tl_cmd_source_kafka_opts(&ko, cfg, &opts, store, st);
        src = tl_source_kafka_new(&ko, &err);
    }
    if (!src)
        goto out;
    tl_info("stream", "%s -> %s", cfg->from ? cfg->from : cfg->topic, cfg->lake);
    run_view v = {.t0_ms = tl_mono_ms(),
                  .tty = isatty(STDERR_FILENO) && tl_log_get_format() == TL_LOG_TEXT};
    v.last_ms = v.t0_ms;
    tl_stream_run_opts ro = {.stop = stop_requested, .batch_done = batch_done, .ud = &v};
    int run_rc = tl_stream_run(st, src, &ro, &err);
    if (v.tty)
        fputc('\n', stderr);
    if (run_rc != 0)
        goto out;
    rc = TL_EXIT_OK;
out:
    if (rc != TL_EXIT_OK)
        tl_log_line(TL_LOG_ERROR, "stream", "ticklake stream: %s", err.msg[0] ? err.msg : "failed");
    if (st) {
        tl_stream_counters_print(st, stderr);
        if (cfg->stream_stats_json && write_stats(st, cfg->stream_stats_json) != 0)
            rc = TL_EXIT_FAILURE;
    }
    tl_source_destroy(src);
    tl_stream_destroy(st);
    tl_store_destroy(store);
    return rc;
}

const tl_command tl_cmd_stream = {
    .name = "stream",
    .summary = "Kafka or a JSONL file -> validated, deduplicated ticks in the lake, exactly once",
    .usage =
        "--brokers B --topic T --lake DIR [--group G] [--until-end] | --from FILE|- --lake DIR",
    .description =
        "Consumes ticks with a Kafka consumer group (or reads a JSONL file, '-' for stdin),\n"
        "validates them, flags ticks behind the event-time watermark as late, drops\n"
        "repeated (symbol, seq) pairs, sends rejected records to the dead-letter table, and\n"
        "writes zstd Parquet partitioned year=/month=/day=/hour= with a Delta Lake log.\n"
        "Each flush is one commit recording the source position (Delta txn); on start the\n"
        "stream resumes from the lake, not from Kafka's committed offsets, so a crash at\n"
        "any moment loses nothing and writes nothing twice. Kafka offsets are committed\n"
        "after each lake commit, asynchronously (for lag monitoring; the stream never waits\n"
        "for a broker). SIGINT/SIGTERM flush, commit and exit 0 within seconds, brokers or\n"
        "not; --until-end exits 1 when the brokers stay away longer than --broker-timeout.\n"
        "A topic deleted and recreated under the lake (its offsets went back, or its\n"
        "messages before the lake's position differ from the lake's rows) is refused;\n"
        "--reset-topic reads it again from its beginning. SIGUSR1 prints the counters.\n"
        "On the dev broker (ticklake broker) the consumer fetches with a 10 ms wait, not\n"
        "librdkafka's 500 ms, which that broker holds in full (see broker --help).",
    .groups = TL_CG_KAFKA | TL_CG_STREAM | TL_CG_LAKE | TL_CG_TICK,
    .run = stream_run,
};
