/* ticklake simulate: realistic ticks into Kafka (or JSONL to a file/stdout),
 * at a steady rate, with faults on request. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/cmd_opts.h"
#include "kafka/kafka.h"
#include "sim/sim.h"
#include "sim/sim_pump.h"
#include "tick/tick.h"
#include "util/clock.h"
#include "util/json_out.h"
#include "util/log.h"
#include "util/signals.h"

typedef struct sink {
    tl_kafka_producer *producer; /* or */
    FILE *out;
    const char *out_name;
} sink;

/* Nothing may go for `us`: serve delivery reports meanwhile when producing. */
static void idle(sink *k, int64_t us) {
    if (k->producer) {
        tl_kafka_producer_idle(k->producer, us);
    } else {
        struct timespec ts = {0, (long)us * 1000};
        nanosleep(&ts, NULL);
    }
}

static int emit(sink *k, const tl_sim_msg *m, tl_err *err) {
    if (k->producer)
        return tl_kafka_produce(k->producer, m->key, m->key_len, m->payload, m->len, err);
    if (fwrite(m->payload, 1, m->len, k->out) != m->len || putc('\n', k->out) == EOF)
        return tl_err_set(err, TL_ERR_IO, "writing to %s failed", k->out_name);
    return 0;
}

static void print_rate(uint64_t sent, double secs, double recent_rate) {
    fprintf(stderr, "\r\033[Ksimulate: %llu sent, %.0f msg/s now, %.0f msg/s average",
            (unsigned long long)sent, recent_rate, secs > 0 ? (double)sent / secs : 0.0);
}

static int write_stats_json(const char *path, const tl_sim_counts *c, int64_t symbols, int64_t seed,
                            double secs, const tl_kafka_producer_stats *ps) {
    tl_buf b = TL_BUF_INIT;
    tl_json *j = tl_json_new(&b);
    int rc = j ? 0 : -1;
    if (j) {
        tl_json_obj_begin(j);
        tl_json_key(j, "sent");
        tl_json_uint(j, c->sent);
        tl_json_key(j, "valid");
        tl_json_uint(j, c->valid);
        tl_json_key(j, "bad");
        tl_json_uint(j, c->bad);
        tl_json_key(j, "late");
        tl_json_uint(j, c->late);
        tl_json_key(j, "dup");
        tl_json_uint(j, c->dup);
        tl_json_key(j, "ooo");
        tl_json_uint(j, c->ooo);
        tl_json_kv_int(j, "symbols", symbols);
        tl_json_kv_int(j, "seed", seed);
        tl_json_key(j, "duration_s"); /* to the millisecond */
        tl_json_fixed(j, llround(secs * 1000), 3);
        if (ps) {
            tl_json_key(j, "delivered");
            tl_json_uint(j, ps->delivered);
            tl_json_key(j, "delivery_failed");
            tl_json_uint(j, ps->failed);
        }
        tl_json_obj_end(j);
        rc = tl_json_end_line(j);
    }
    FILE *f = rc ? NULL : fopen(path, "w");
    if (!f) {
        tl_error("simulate", "cannot write --stats-json %s: %m", path);
        rc = -1;
    } else {
        bool bad = fwrite(b.data, 1, b.len, f) != b.len;
        if (fclose(f) != 0 || bad) { /* closed either way: no FILE leaks */
            tl_error("simulate", "writing --stats-json %s failed", path);
            rc = -1;
        }
    }
    tl_json_free(j);
    tl_buf_free(&b);
    return rc ? -1 : 0;
}

typedef struct run_state {
    tl_sim *sim;
    sink k;
    int64_t t0_us;
    bool tty;
    uint64_t sent_at_report;
    int64_t next_report_us, last_report_us;
} run_state;

/* Between batches: serve delivery reports, report progress on a terminal,
 * stop on a signal. */
static bool check(void *ud, uint64_t sent, int64_t now) {
    run_state *r = ud;
    if (r->k.producer)
        tl_kafka_producer_poll(r->k.producer, 0);
    if (r->tty && now >= r->next_report_us) {
        print_rate(sent, (double)(now - r->t0_us) / 1e6,
                   (double)(sent - r->sent_at_report) * 1e6 / (double)(now - r->last_report_us));
        r->sent_at_report = sent;
        r->last_report_us = now;
        r->next_report_us = now + 500000;
    }
    return tl_stop_requested();
}

static void idle_run(void *ud, int64_t us) {
    idle(&((run_state *)ud)->k, us);
}

static int emit_run(void *ud, const tl_sim_msg *m, tl_err *err) {
    return emit(&((run_state *)ud)->k, m, err);
}

/* The main loop: returns 0, or <0 with err set. Stops on count, duration or
 * a signal. */
static int loop(run_state *r, const tl_config *cfg, tl_err *err) {
    tl_sim_pump_opts po;
    tl_cmd_sim_pump_opts(&po, cfg);
    po.count = cfg->count;
    po.duration_ms = cfg->duration_ms;
    po.emit = emit_run;
    po.idle = idle_run;
    po.check = check;
    po.ud = r;
    r->next_report_us = r->t0_us + 500000;
    r->last_report_us = r->t0_us;
    return tl_sim_pump(r->sim, &po, NULL, err);
}

static int open_sink(const tl_config *cfg, sink *k, tl_err *err) {
    if (cfg->output && *cfg->output) {
        k->out_name = strcmp(cfg->output, "-") == 0 ? "stdout" : cfg->output;
        k->out = strcmp(cfg->output, "-") == 0 ? stdout : fopen(cfg->output, "w");
        if (!k->out)
            return tl_err_set(err, TL_ERR_IO, "--output %s: %m", cfg->output);
        static char big[1 << 16];
        setvbuf(k->out, big, _IOFBF, sizeof big);
        return 0;
    }
    if (!cfg->brokers || !*cfg->brokers)
        return tl_err_set(err, TL_ERR_INVALID,
                          "give --brokers HOST:PORT (Kafka) or --output - (JSONL to stdout)");
    tl_kafka_opts ko;
    tl_cmd_kafka_opts(&ko, cfg);
    k->producer = tl_kafka_producer_new(&ko, err);
    return k->producer ? 0 : err->code;
}

/* Closes the sink; 0, or -1 when messages were lost. */
static int close_sink(sink *k, tl_kafka_producer_stats *ps) {
    int rc = 0;
    if (k->producer) {
        tl_err err;
        if (tl_kafka_producer_flush(k->producer, 30000, &err) < 0) {
            tl_error("simulate", "%s", err.msg);
            rc = -1;
        }
        tl_kafka_producer_stats_get(k->producer, ps);
        tl_kafka_producer_destroy(k->producer);
    }
    if (k->out) {
        if (fflush(k->out) != 0 || ferror(k->out)) {
            tl_error("simulate", "writing to %s failed", k->out_name);
            rc = -1;
        }
        if (k->out != stdout)
            fclose(k->out);
    }
    return rc;
}

static int parse_opts(const tl_config *cfg, tl_sim_opts *o, tl_err *err) {
    memset(o, 0, sizeof *o);
    if (cfg->rate < 0 || cfg->count < 0 || cfg->duration_ms < 0)
        return tl_err_set(err, TL_ERR_INVALID, "--rate, --count and --duration must be >= 0");
    o->symbols = cfg->symbols;
    o->seed = (uint64_t)cfg->seed;
    o->rate = cfg->rate;
    if (cfg->start && *cfg->start &&
        tl_rfc3339_parse(cfg->start, strlen(cfg->start), &o->start_us) != 0)
        return tl_err_set(err, TL_ERR_INVALID,
                          "--start %s: expected an RFC 3339 time such as 2026-11-24T14:30:00Z",
                          cfg->start);
    if (cfg->start && *cfg->start && o->start_us == 0)
        o->start_us = 1; /* 0 means "wall clock" to the simulator */
    return tl_sim_faults_parse(cfg->faults, &o->faults, err);
}

static void summarize(const tl_sim_counts *c, double secs, const tl_config *cfg,
                      const tl_kafka_producer_stats *ps) {
    tl_log_linef(TL_LOG_INFO, "simulate",
                 TL_FIELDS(TL_LI("sent", c->sent), TL_LI("valid", c->valid), TL_LI("bad", c->bad),
                           TL_LI("late", c->late), TL_LI("dup", c->dup), TL_LI("ooo", c->ooo),
                           TL_LI("symbols", cfg->symbols), TL_LI("seed", cfg->seed)),
                 "simulate: sent %llu messages in %.2f s (%.0f msg/s): %llu valid (%llu late, "
                 "%llu duplicate, %llu out of order), %llu bad; %lld symbols, seed %lld",
                 (unsigned long long)c->sent, secs, secs > 0 ? (double)c->sent / secs : 0.0,
                 (unsigned long long)c->valid, (unsigned long long)c->late,
                 (unsigned long long)c->dup, (unsigned long long)c->ooo,
                 (unsigned long long)c->bad, (long long)cfg->symbols, (long long)cfg->seed);
    if (ps)
        tl_log_linef(TL_LOG_INFO, "simulate",
                     TL_FIELDS(TL_LS("topic", cfg->topic), TL_LI("delivered", ps->delivered),
                               TL_LI("failed", ps->failed)),
                     "simulate: %llu delivered to %s, %llu failed",
                     (unsigned long long)ps->delivered, cfg->topic,
                     (unsigned long long)ps->failed);
}

static int run(const tl_config *cfg, int argc, char **argv) {
    tl_err err;
    tl_sim_opts o;
    run_state r = {0};
    if (argc > 0) {
        tl_log_line(TL_LOG_ERROR, "simulate",
                    "ticklake simulate: unexpected argument '%s'", argv[0]);
        return TL_EXIT_USAGE;
    }
    if (parse_opts(cfg, &o, &err) < 0 || !(r.sim = tl_sim_new(&o, &err)) ||
        open_sink(cfg, &r.k, &err) < 0) {
        tl_log_line(TL_LOG_ERROR, "simulate", "ticklake simulate: %s", err.msg);
        tl_sim_destroy(r.sim);
        return err.code == TL_ERR_INVALID ? TL_EXIT_USAGE : TL_EXIT_FAILURE;
    }
    r.t0_us = tl_mono_us();
    r.tty = isatty(STDERR_FILENO) && tl_log_get_format() == TL_LOG_TEXT;
    int rc = loop(&r, cfg, &err);
    if (rc < 0)
        tl_error("simulate", "%s", err.msg);
    tl_kafka_producer_stats ps = {0};
    bool to_kafka = r.k.producer != NULL;
    if (close_sink(&r.k, &ps) < 0)
        rc = -1;
    double secs = (double)(tl_mono_us() - r.t0_us) / 1e6;
    if (r.tty)
        fputs("\r\033[K", stderr);
    tl_sim_counts c;
    tl_sim_counts_get(r.sim, &c);
    summarize(&c, secs, cfg, to_kafka ? &ps : NULL);
    if (cfg->stats_json && *cfg->stats_json &&
        write_stats_json(cfg->stats_json, &c, cfg->symbols, cfg->seed, secs,
                         to_kafka ? &ps : NULL) < 0)
        rc = -1;
    tl_sim_destroy(r.sim);
    return rc < 0 ? TL_EXIT_FAILURE : TL_EXIT_OK;
}

const tl_command tl_cmd_simulate = {
    .name = "simulate",
    .summary = "produce realistic stock ticks (GBM prices, faults on request)",
    .usage =
        "--brokers B --topic T [--symbols 50] [--rate 10000] [--count N] [--duration S]\n"
        "       [--seed 42] [--start RFC3339] [--faults bad=0.01,late=0.01,dup=0.01,ooo=0.01]\n"
        "       [--output -] [--stats-json FILE] [-X key=value ...]",
    .description =
        "Generates ticks for --symbols US tickers (real names first, then generated ones):\n"
        "prices follow geometric Brownian motion with per-symbol volatility, quotes sit on\n"
        "the tick grid (0.01, or 0.0001 below $1) with a spread of a few ticks, sizes are\n"
        "mostly round lots, popularity is skewed with occasional bursts, and every symbol\n"
        "has its own seq counting from 1. Messages are keyed by symbol.\n"
        "\n"
        "--rate is messages per second (0 = as fast as possible). Event times follow the\n"
        "wall clock, or with --start a simulated clock that advances 1/rate per tick\n"
        "(1/1000 s with --rate 0), so a run is reproducible for a --seed.\n"
        "\n"
        "--faults sends, with the given probabilities, malformed or invalid messages (bad),\n"
        "ticks 2-10 minutes late (late), byte-identical resends (dup) and ticks 1-5 s out of\n"
        "order (ooo). Stops after --count messages or --duration, or on Ctrl-C, and prints a\n"
        "summary (also as JSON with --stats-json). --output - writes JSONL to stdout instead\n"
        "of Kafka. -X passes any librdkafka producer property (e.g. -X linger.ms=20).",
    .groups = TL_CG_KAFKA | TL_CG_SIM,
    .run = run,
};
