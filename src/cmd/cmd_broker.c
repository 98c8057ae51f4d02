/* ticklake broker: the development Kafka broker (librdkafka's mock cluster). */
#include <stdio.h>

#include "cmd/cmd.h"
#include "kafka/kafka.h"
#include "util/log.h"
#include "util/signals.h"

static int run(const tl_config *cfg, int argc, char **argv) {
    tl_err err;
    if (argc > 0) {
        tl_log_line(TL_LOG_ERROR, "broker", "ticklake broker: unexpected argument '%s'", argv[0]);
        return TL_EXIT_USAGE;
    }
    if (cfg->partitions < 1 || cfg->partitions > 10000) {
        tl_log_line(TL_LOG_ERROR, "broker",
                    "ticklake broker: --partitions %lld: must be between 1 and 10000",
                    (long long)cfg->partitions);
        return TL_EXIT_USAGE;
    }
    tl_kafka_mock *m = tl_kafka_mock_new(cfg->listen, (int)cfg->partitions, cfg->topic, &err);
    if (!m) {
        tl_log_line(TL_LOG_ERROR, "broker", "ticklake broker: %s", err.msg);
        return err.code == TL_ERR_INVALID ? TL_EXIT_USAGE : TL_EXIT_FAILURE;
    }
    /* The first line on stdout is the address, for scripts to read. */
    printf("%s\n", tl_kafka_mock_bootstraps(m));
    fflush(stdout);
    tl_info("broker",
            "development broker on %s: topic %s with %lld partitions, data in memory only; "
            "Ctrl-C stops it",
            tl_kafka_mock_bootstraps(m), cfg->topic, (long long)cfg->partitions);
    while (!tl_stop_requested())
        tl_sleep_ms(200);
    tl_info("broker", "stopping; the data it held is gone");
    tl_kafka_mock_destroy(m);
    return TL_EXIT_OK;
}

const tl_command tl_cmd_broker = {
    .name = "broker",
    .summary = "a development Kafka broker in memory (for demos and tests)",
    .usage = "[--listen 127.0.0.1:0] [--partitions 8] [--topic ticks]",
    .description =
        "Runs a Kafka-compatible broker inside this process (librdkafka's mock cluster)\n"
        "on 127.0.0.1 with the topic created, prints its address (127.0.0.1:PORT) as\n"
        "the first line on stdout, and serves any Kafka client on this machine (ticklake,\n"
        "kcat, ...) until SIGINT or SIGTERM.\n"
        "\n"
        "It keeps all data in memory and loses it on exit, has a single broker and no\n"
        "replication, and listens on loopback only: it is for demos, development and\n"
        "tests on one machine. In production, point --brokers at a Kafka or Redpanda\n"
        "cluster instead.\n"
        "\n"
        "Limits: each partition keeps only its newest 5 MiB of (compressed) batches, about\n"
        "200k ticks as ticklake simulate sends them (zstd), fewer from uncompressed\n"
        "producers; older messages are dropped as if by retention. The port is chosen by\n"
        "the kernel: librdkafka's mock cluster cannot bind a fixed one, so --listen\n"
        "accepts only 127.0.0.1:0. A fetch that finds no data is answered only after the\n"
        "consumer's whole fetch.wait.max.ms (500 ms by default), even if ticks arrive\n"
        "meanwhile. ticklake's own consumers (stream, up) find out that their brokers\n"
        "are this one (a probe of at most 1 s at the start) and ask for 10 ms unless -X\n"
        "fetch.wait.max.ms says otherwise; other clients (kcat) should pass\n"
        "-X fetch.wait.max.ms=10 for live latency.\n"
        "\n"
        "Consumer groups of one member work (stream, up). With two or more members the\n"
        "group may not settle: the mock coordinator (librdkafka 2.0.2) ends a SyncGroup\n"
        "round when the leader's request arrives, so a member that syncs after the leader\n"
        "is refused, rejoins, and makes the group rebalance again, round after round on a\n"
        "busy machine. Run several streams in one group against a real Kafka broker.",
    .groups = TL_CG_KAFKA | TL_CG_BROKER,
    .run = run,
};
