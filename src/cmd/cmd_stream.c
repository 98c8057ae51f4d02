/* ticklake stream: Kafka (or a JSONL file) into the lake, exactly once. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "lake/lake.h"
#include "source/source.h"
#include "store/store.h"
#include "stream/stream.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/signals.h"

#define BATCH 4096

static void on_committed(void *ud, int32_t partition, int64_t last_offset) {
    tl_source *src = ud;
    src->ops->committed(src, partition, last_offset);
}

static int build_opts(const tl_config *cfg, tl_stream_opts *o, char *source_id, size_t cap) {
    if (tl_stream_opts_from_config(o, cfg) != 0) {
        tl_log_line(TL_LOG_ERROR, "stream", "ticklake stream: bad tick.ts_unit '%s'", cfg->ts_unit);
        return -1;
    }
    if (cfg->from) {
        if (cfg->source_id)
            snprintf(source_id, cap, "%s", cfg->source_id);
        else
            tl_source_file_id(cfg->from, source_id, cap);
        o->source_id = source_id;
    } else {
        o->topic = cfg->topic;
        o->group = cfg->group;
    }
    return 0;
}

static void progress(const tl_stream *st, int64_t t0_ms, int64_t *last_ms) {
    int64_t now = tl_mono_ms();
    if (now - *last_ms < 1000)
        return;
    *last_ms = now;
    const tl_stream_counters *c = tl_stream_counters_get(st);
    double secs = (double)(now - t0_ms) / 1000.0;
    fprintf(stderr,
            "\r%" PRIu64 " received (%.0f/s), %" PRIu64 " accepted, %" PRIu64 " rejected, %" PRIu64
            " commits   ",
            c->received, secs > 0 ? (double)c->received / secs : 0.0, c->accepted, c->rejected,
            c->commits);
}

/* The main loop: read, ingest, flush when due; until the source ends or a
 * stop is requested. *source_error: the source failed (not the stream), so
 * what was read so far is sound and may still be flushed. */
static int pump(tl_stream *st, tl_source *src, const tl_config *cfg, bool *source_error,
                tl_err *err) {
    tl_source_msg msgs[BATCH];
    int64_t t0 = tl_mono_ms(), last_progress = t0;
    int tty = isatty(STDERR_FILENO) && tl_log_get_format() == TL_LOG_TEXT;
    int timeout = cfg->flush_interval_ms < 100 ? (int)cfg->flush_interval_ms : 100;
    while (!tl_stop_requested()) {
        int n = src->ops->read(src, msgs, BATCH, timeout, err);
        if (n == TL_SOURCE_END)
            break;
        if (n < 0) {
            *source_error = true;
            return n;
        }
        for (int i = 0; i < n; i++) {
            int rc = tl_stream_ingest(st, msgs[i].partition, msgs[i].offset, msgs[i].data,
                                      msgs[i].len, err);
            if (rc)
                return rc;
        }
        src->ops->release(src);
        if (tl_stream_maybe_flush(st, err) < 0)
            return -1;
        if (tl_take_usr1())
            tl_stream_counters_print(st, stderr);
        if (tty)
            progress(st, t0, &last_progress);
    }
    if (tty)
        fputc('\n', stderr);
    return 0;
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
    tl_lake_set_log_retention_ms(cfg->log_retention_ms);
    if (!(store = tl_store_open_cfg(cfg, &err)) || !(st = tl_stream_new(store, &opts, &err)))
        goto out;
    src = cfg->from ? tl_source_file_new(cfg->from, (size_t)cfg->max_message_bytes, st, &err)
                    : tl_source_kafka_new(cfg, st, cfg->until_end, cfg->assign_all, &err);
    if (!src)
        goto out;
    tl_stream_on_committed(st, on_committed, src);
    tl_info("stream", "%s -> %s", cfg->from ? cfg->from : cfg->topic, cfg->lake);
    bool source_error = false;
    if (pump(st, src, cfg, &source_error, &err) != 0) {
        /* e.g. the brokers stayed away (--until-end): the lake needs no
         * broker, so what was read still lands before the exit */
        tl_err ferr = {0};
        if (source_error && tl_stream_flush(st, &ferr) == 0 && tl_stream_counters_get(st)->received)
            tl_info("stream", "the lake holds everything read before the error");
        src->ops->close(src); /* bounded, whatever the brokers do */
        goto out;
    }
    if (tl_stream_flush(st, &err) != 0)
        goto out;
    src->ops->close(src); /* leaves the group (bounded); revokes flush through the stream */
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
        "--reset-topic reads it again from its beginning. SIGUSR1 prints the counters.",
    .groups = TL_CG_KAFKA | TL_CG_STREAM | TL_CG_LAKE | TL_CG_TICK,
    .run = stream_run,
};
