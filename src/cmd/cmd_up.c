/* ticklake up: the whole pipeline in one process — the dev broker, the
 * simulator, the stream into the lake and the dashboard, each stage on its
 * own thread, the same code the separate commands run.
 *
 *   simulator thread ──► dev broker (librdkafka mock) ──► stream thread ──► lake
 *                                                            │ tl_stream_on_row
 *                                                            ▼
 *                                   live state ──► web server (HTTP + SSE)
 *                                        ▲ tl_live_set_job
 *                       scheduler thread: compaction, models, vacuum (src/sched)
 *
 * Shutdown (Ctrl-C or --duration): the scheduler stops (a running job
 * finishes first), the simulator stops and flushes its
 * producer, the stream reads what was delivered (bounded wait), flushes and
 * commits (and leaves its group with --brokers); then the web server, the
 * broker. */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/cmd_opts.h"
#include "kafka/kafka.h"
#include "lake/lake.h"
#include "live/live.h"
#include "live/live_follow.h"
#include "sched/sched_conf.h"
#include "sim/sim.h"
#include "sim/sim_pump.h"
#include "source/source.h"
#include "store/store.h"
#include "store/store_conf.h"
#include "stream/stream.h"
#include "stream/stream_run.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/signals.h"
#include "web/web.h"

#define PARTITIONS 4
/* A few faults of each kind, so the health panel's late, duplicate and
 * rejected counts show the pipeline handling them. */
#define DEMO_FAULTS "bad=0.0005,late=0.0005,dup=0.001,ooo=0.001"

typedef struct up {
    const tl_config *cfg;
    /* Where this run's ticks go: the dev broker (or --brokers), and a topic
     * and group of this run's own; the rest of Kafka's settings are cfg's. */
    const char *brokers;
    char group[256];
    char topic[256];
    bool dev_broker; /* no --brokers: the stream takes every partition (stream_main) */
    /* The stream's librdkafka properties: on the dev broker a short fetch
     * wait first (TL_KAFKA_MOCK_FETCH_WAIT_MS), then the settings' own, so
     * an -X fetch.wait.max.ms still wins; NULL: the settings' as they are. */
    tl_kv *consumer_props;
    size_t n_consumer_props;
    tl_store *store;
    tl_lake_opts lake; /* the stream's and the jobs' commit policy */
    tl_live *live;
    atomic_bool sim_stop, stream_stop;
    atomic_uint_fast64_t delivered; /* by the simulator's producer */
    atomic_uint_fast64_t received;  /* by the stream */
    atomic_int failed;
    tl_err sim_err, stream_err;
} up;

/* Kafka as the settings say, with this run's brokers, topic and group. */
static void kafka_opts(const up *u, tl_kafka_opts *o) {
    tl_cmd_kafka_opts(o, u->cfg);
    o->brokers = u->brokers;
    o->topic = u->topic;
    o->group = u->group;
}

/* The stream's properties on the dev broker (see up.consumer_props); the
 * strings stay the settings' and a literal. */
static int dev_consumer_props(up *u, tl_err *err) {
    size_t n = u->cfg->n_kafka_props + 1;
    if (!(u->consumer_props = calloc(n, sizeof *u->consumer_props)))
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    u->consumer_props[0] = (tl_kv){"fetch.wait.max.ms", TL_KAFKA_MOCK_FETCH_WAIT_MS};
    for (size_t i = 1; i < n; i++)
        u->consumer_props[i] = u->cfg->kafka_props[i - 1];
    u->n_consumer_props = n;
    return 0;
}

/* ---- simulator thread ------------------------------------------------------ */

typedef struct sim_ctx {
    up *u;
    tl_kafka_producer *p;
} sim_ctx;

static int sim_emit(void *ud, const tl_sim_msg *m, tl_err *err) {
    tl_kafka_producer *p = ((sim_ctx *)ud)->p;
    return tl_kafka_produce(p, m->key, m->key_len, m->payload, m->len, err);
}

/* Not a poll of us / 1000 ms: below a millisecond that was a poll of 0,
 * so at 100k ticks/s (the pacer asks for its 100 us minimum again and
 * again) the simulator thread spun on a core that the stream and the
 * dashboard needed (tick -> SSE, BENCHMARKS.md "Latency"). */
static void sim_idle(void *ud, int64_t us) {
    tl_kafka_producer_idle(((sim_ctx *)ud)->p, us);
}

/* Between batches: serve delivery reports, publish what was delivered (the
 * drain at shutdown and the lag panel compare with it), stop when asked. */
static bool sim_check(void *ud, uint64_t sent, int64_t now_us) {
    sim_ctx *c = ud;
    tl_kafka_producer_stats ps;
    tl_kafka_producer_poll(c->p, 0);
    tl_kafka_producer_stats_get(c->p, &ps);
    atomic_store(&c->u->delivered, ps.delivered);
    return atomic_load(&c->u->sim_stop) || tl_stop_requested();
}

static int sim_loop(up *u, tl_sim *sim, tl_kafka_producer *p, tl_err *err) {
    sim_ctx c = {u, p};
    tl_sim_pump_opts o;
    tl_cmd_sim_pump_opts(&o, u->cfg); /* --rate as `simulate` reads it */
    o.emit = sim_emit;
    o.idle = sim_idle;
    o.check = sim_check;
    o.ud = &c;
    return tl_sim_pump(sim, &o, NULL, err);
}

static void *sim_main(void *arg) {
    up *u = arg;
    /* seq continues across runs on the same lake (base: the start second
     * x 1e6), so a restarted `up` is not mistaken for a resend of the last */
    tl_sim_opts o = {.symbols = u->cfg->symbols,
                     .seed = (uint64_t)u->cfg->seed,
                     .rate = u->cfg->rate,
                     .seq_base = tl_now_us() / 1000000 * 1000000};
    tl_sim *sim = NULL;
    tl_kafka_producer *p = NULL;
    int rc = tl_sim_faults_parse(DEMO_FAULTS, &o.faults, &u->sim_err);
    if (rc == 0 && !(sim = tl_sim_new(&o, &u->sim_err)))
        rc = -1;
    tl_kafka_opts ko;
    kafka_opts(u, &ko);
    if (rc == 0 && !(p = tl_kafka_producer_new(&ko, &u->sim_err)))
        rc = -1;
    if (rc == 0)
        rc = sim_loop(u, sim, p, &u->sim_err);
    if (p) {
        if (tl_kafka_producer_flush(p, 10000, rc ? NULL : &u->sim_err) != 0 && rc == 0)
            rc = -1;
        tl_kafka_producer_stats ps;
        tl_kafka_producer_stats_get(p, &ps);
        atomic_store(&u->delivered, ps.delivered);
        tl_kafka_producer_destroy(p);
    }
    tl_sim_destroy(sim);
    if (rc) {
        tl_error("up", "simulator: %s", u->sim_err.msg);
        atomic_store(&u->failed, 1);
    }
    return NULL;
}

/* ---- stream thread ------------------------------------------------------------ */

/* The stream's counters to the dashboard, after each batch and at the end. */
static void publish(void *ud, const tl_stream *st) {
    up *u = ud;
    const tl_stream_counters *c = tl_stream_counters_get(st);
    atomic_store(&u->received, c->received);
    uint64_t d = atomic_load(&u->delivered);
    tl_live_set_counters(u->live, c);
    tl_live_set_lag(u->live, d > c->received ? (int64_t)(d - c->received) : 0);
}

static bool stream_stop(void *ud) {
    return atomic_load(&((up *)ud)->stream_stop);
}

static void stream_opts(const tl_config *cfg, up *u, tl_stream_opts *o) {
    tl_cmd_stream_opts(o, cfg); /* ts_unit was validated by the settings table */
    o->topic = u->topic;
    o->group = u->group;
    o->lake = &u->lake;
}

static void *stream_main(void *arg) {
    up *u = arg;
    tl_err *err = &u->stream_err;
    tl_stream_opts o;
    stream_opts(u->cfg, u, &o);
    tl_source *src = NULL;
    tl_stream *st = tl_stream_new(u->store, &o, err);
    int rc = st ? 0 : -1;
    if (rc == 0) {
        tl_stream_on_row(st, tl_live_on_row, u->live);
        tl_source_kafka_opts ko;
        tl_cmd_source_kafka_opts(&ko, u->cfg, &o, u->store, st);
        kafka_opts(u, &ko.kafka);
        ko.until_end = false; /* runs until stopped */
        /* On the dev broker the stream is the only consumer of a topic new
         * this run, so a group brings nothing but its join: the dev broker
         * holds the first rebalance ~3 s while the simulator already
         * produces, and those ticks reached the dashboard seconds late (at
         * 100k ticks/s the stream never caught up). It takes every partition
         * at once instead; offsets come from the lake either way. With
         * --brokers it stays a group member, like `stream`. */
        ko.assign_all = u->dev_broker;
        if (u->consumer_props) {
            ko.kafka.props = u->consumer_props;
            ko.kafka.n_props = u->n_consumer_props;
        }
        if (!(src = tl_source_kafka_new(&ko, err)))
            rc = -1;
    }
    if (rc == 0) {
        /* the final commit at the stop, after the drain (see run) */
        tl_stream_run_opts ro = {.stop = stream_stop, .batch_done = publish, .ud = u};
        rc = tl_stream_run(st, src, &ro, err);
    }
    if (st) {
        publish(u, st);
        tl_stream_counters_print(st, stderr);
    }
    tl_source_destroy(src);
    tl_stream_destroy(st);
    if (rc) {
        tl_error("up", "stream: %s", err->msg);
        atomic_store(&u->failed, 1);
    }
    return NULL;
}

/* ---- orchestration ---------------------------------------------------------------- */

/* Until the duration is over, a stop is requested or a stage failed. */
static void wait_running(up *u, int64_t duration_ms) {
    int64_t t0 = tl_mono_ms();
    while (!tl_stop_requested() && !atomic_load(&u->failed) &&
           (duration_ms <= 0 || tl_mono_ms() - t0 < duration_ms))
        tl_sleep_ms(100);
}

/* Give the stream up to 15 s to read what the simulator delivered, so the
 * final commit holds everything that was produced. */
static void drain(up *u) {
    int64_t t0 = tl_mono_ms();
    while (!atomic_load(&u->failed) && tl_mono_ms() - t0 < 15000 &&
           atomic_load(&u->received) < atomic_load(&u->delivered)) {
        struct timespec ts = {0, 50 * 1000000};
        nanosleep(&ts, NULL);
    }
}

static int run(const tl_config *cfg, int argc, char **argv) {
    if (argc > 0) {
        tl_log_line(TL_LOG_ERROR, "up", "ticklake up: unexpected argument '%s'", argv[0]);
        return TL_EXIT_USAGE;
    }
    if (cfg->rate < 0) {
        tl_log_line(TL_LOG_ERROR, "up", "ticklake up: --rate must be >= 0 (0 = as fast as possible)");
        return TL_EXIT_USAGE;
    }
    up u = {.cfg = cfg};
    tl_err err = {0};
    tl_kafka_mock *broker = NULL;
    tl_live_follow *follow = NULL;
    tl_web *web = NULL;
    tl_sched *sched = NULL;
    pthread_t sim_t, stream_t;
    bool sim_started = false, stream_started = false;
    int rc = TL_EXIT_FAILURE;

    u.brokers = cfg->brokers;
    if (cfg->brokers && *cfg->brokers) {
        /* An external Kafka (--brokers): its offsets persist, so the
         * configured topic and group, and a restarted `up` resumes where
         * the lake says, like `stream`. */
        snprintf(u.group, sizeof u.group, "%s", cfg->group);
        snprintf(u.topic, sizeof u.topic, "%s", cfg->topic);
    } else {
        /* The dev broker. A topic and group of their own each run: it is new
         * and empty every time, its offsets start at 0 again, so neither the
         * positions an earlier run recorded in the lake (Delta txn per
         * group/topic/partition) nor its file names (part-<topic>-<partition>-
         * <first>-<last>) may apply to this run's offsets. */
        long long run_id = (long long)(tl_now_us() / 1000);
        snprintf(u.group, sizeof u.group, "ticklake-up-%lld", run_id);
        snprintf(u.topic, sizeof u.topic, "%s-up%lld", cfg->topic, run_id);
        if (!(broker = tl_kafka_mock_new("127.0.0.1:0", PARTITIONS, u.topic, &err)))
            goto out;
        u.brokers = tl_kafka_mock_bootstraps(broker);
        u.dev_broker = true;
        if (dev_consumer_props(&u, &err) != 0)
            goto out;
    }
    tl_cmd_lake_opts(&u.lake, cfg);
    tl_live_opts lo = {.quality = {.jump_sigmas = cfg->quality_jump_sigmas,
                                   .stale_after_s = cfg->quality_stale_after_ms / 1000}};
    if (!(u.store = tl_store_conf_open(cfg, false, &err)) || !(u.live = tl_live_new(&lo))) {
        if (!err.msg[0])
            tl_err_set(&err, TL_ERR_NOMEM, "out of memory");
        goto out;
    }
    tl_live_set_since(u.live, tl_now_us());
    /* The scheduler: its jobs run on the lake the stream writes, and each
     * outcome shows in the dashboard's health panel. Models only when the
     * project folder exists (up runs from any folder). */
    tl_sched_lake_conf sc;
    tl_sched_lake_opts *so = tl_sched_lake_conf_fill(&sc, cfg, u.store, &u.lake);
    so->models_optional = true;
    so->live = u.live;
    if (!(sched = tl_sched_lake_new(so, NULL, &err))) {
        rc = err.code == TL_ERR_INVALID ? TL_EXIT_USAGE : TL_EXIT_FAILURE;
        goto out;
    }
    if (!(follow = tl_live_follow_new(u.live, u.store, false, &u.lake.duck, &err)) ||
        tl_live_follow_start(follow, 1000, &err) != 0)
        goto out;
    tl_web_opts wo;
    tl_cmd_web_opts(&wo, cfg, u.live, u.store);
    if (!(web = tl_web_new(&wo, &err)))
        goto out;
    if (tl_web_start(web, &err) != 0) {
        rc = err.code == TL_ERR_INVALID ? TL_EXIT_USAGE : TL_EXIT_FAILURE;
        goto out;
    }
    if (pthread_create(&stream_t, NULL, stream_main, &u) != 0 || !(stream_started = true) ||
        pthread_create(&sim_t, NULL, sim_main, &u) != 0) {
        tl_err_set(&err, TL_ERR_IO, "cannot start the pipeline threads");
        goto out;
    }
    sim_started = true;
    if (tl_sched_start(sched, &err) != 0)
        goto out;
    printf("ticklake up: dashboard at %s\n", tl_web_url(web));
    char pace[64] = "as fast as possible";
    if (cfg->rate > 0)
        snprintf(pace, sizeof pace, "%lld ticks/s", (long long)cfg->rate);
    printf("ticklake up: broker %s, topic %s, lake %s, %lld symbols at %s%s\n", u.brokers,
           u.topic, cfg->lake, (long long)cfg->symbols, pace,
           cfg->duration_ms > 0 ? "" : "; Ctrl-C stops");
    fflush(stdout);
    wait_running(&u, cfg->duration_ms);
    rc = atomic_load(&u.failed) ? TL_EXIT_FAILURE : TL_EXIT_OK;
out:
    tl_sched_destroy(sched); /* waits for a running job */
    atomic_store(&u.sim_stop, true);
    if (sim_started)
        pthread_join(sim_t, NULL);
    if (stream_started) {
        drain(&u);
        atomic_store(&u.stream_stop, true);
        pthread_join(stream_t, NULL);
    }
    if (atomic_load(&u.failed))
        rc = TL_EXIT_FAILURE;
    if (rc != TL_EXIT_OK && err.msg[0])
        tl_log_line(TL_LOG_ERROR, "up", "ticklake up: %s", err.msg);
    tl_web_destroy(web);
    tl_live_follow_destroy(follow);
    tl_live_destroy(u.live);
    tl_store_destroy(u.store);
    tl_kafka_mock_destroy(broker);
    free(u.consumer_props);
    if (rc == TL_EXIT_OK)
        tl_log_line(TL_LOG_INFO, "up",
                    "ticklake up: stopped cleanly; %" PRIuFAST64 " ticks delivered",
                    atomic_load(&u.delivered));
    return rc;
}

const tl_command tl_cmd_up = {
    .name = "up",
    .summary = "everything on one machine: dev broker, simulator, stream, lake, dashboard",
    .usage = "[--lake ./lake] [--listen 127.0.0.1:8080] [--duration S] [--symbols N] [--rate R]\n"
             "       [--brokers HOST:PORT [--topic T] [-X key=value]...]",
    .description =
        "Starts in one process a development Kafka broker (or, with --brokers, uses that\n"
        "Kafka cluster: the topic --topic and the group kafka.group, whose offsets persist,\n"
        "so a restart resumes where the lake says), the simulator (with a few\n"
        "malformed, late, duplicate and out-of-order ticks), the stream writing the lake,\n"
        "the scheduler (compaction, models when models.project exists, vacuum; see\n"
        "`ticklake schedule --help`) and the dashboard, then prints the dashboard's URL.\n"
        "Ctrl-C, or the end of --duration, stops it cleanly: the scheduler lets a running\n"
        "job finish, the simulator stops, the stream reads what was sent, flushes and\n"
        "commits, and the command exits 0. The lake stays for `ticklake query` and\n"
        "`ticklake dashboard`.",
    .groups = TL_CG_UP | TL_CG_LAKE | TL_CG_WEB | TL_CG_KAFKA,
    .run = run,
};
