/* Configuration: precedence (default < file < env < flag), typed parsing,
 * errors that name the key and the origin, librdkafka pass-through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf.h"

static char tmpdir[] = "/tmp/tl_conf_XXXXXX";

static const char *write_yaml(const char *text) {
    static char path[256];
    snprintf(path, sizeof path, "%s/ticklake.yml", tmpdir);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static int load(tl_config *cfg, unsigned groups, int argc, const char **argv) {
    int first = 0;
    return tl_conf_load(cfg, groups, argc, (char **)argv, &first, NULL);
}

static int setup(void **state) {
    (void)state;
    if (!mkdtemp(tmpdir))
        return -1;
    unsetenv("TICKLAKE_CONFIG");
    unsetenv("TICKLAKE_SIMULATE_RATE");
    return chdir(tmpdir); /* no stray ./ticklake.yml from the caller */
}

static int teardown(void **state) {
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_defaults(void **state) {
    (void)state;
    tl_config cfg;
    const char *argv[] = {"stream"};
    assert_int_equal(load(&cfg, TL_CG_STREAM | TL_CG_KAFKA | TL_CG_LAKE, 1, argv), 0);
    assert_string_equal(cfg.topic, "ticks");
    assert_int_equal(cfg.flush_interval_ms, 1000);
    assert_int_equal(cfg.allowed_lateness_ms, 10000);
    assert_int_equal(cfg.max_future_skew_ms, 60000);
    assert_false(cfg.until_end);
    assert_null(cfg.brokers);
    tl_conf_free(&cfg);
}

/* A default is not "set"; the file, the environment and a flag are (a file
 * backfill keys its flush behaviour on whether stream.flush_interval was set). */
static void test_explicit_keys(void **state) {
    (void)state;
    tl_config cfg;
    const char *plain[] = {"stream"};
    assert_int_equal(load(&cfg, TL_CG_STREAM | TL_CG_LAKE, 1, plain), 0);
    assert_false(tl_conf_explicit(&cfg, "stream.flush_interval"));
    assert_false(tl_conf_explicit(&cfg, "no.such_key"));
    tl_conf_free(&cfg);

    const char *flag[] = {"stream", "--flush-interval", "1s"};
    assert_int_equal(load(&cfg, TL_CG_STREAM | TL_CG_LAKE, 3, flag), 0);
    assert_true(tl_conf_explicit(&cfg, "stream.flush_interval"));
    assert_false(tl_conf_explicit(&cfg, "stream.flush_rows"));
    tl_conf_free(&cfg);

    setenv("TICKLAKE_STREAM_FLUSH_INTERVAL", "1s", 1);
    assert_int_equal(load(&cfg, TL_CG_STREAM | TL_CG_LAKE, 1, plain), 0);
    unsetenv("TICKLAKE_STREAM_FLUSH_INTERVAL");
    assert_true(tl_conf_explicit(&cfg, "stream.flush_interval"));
    tl_conf_free(&cfg);

    const char *with_file[] = {"stream", "--config", write_yaml("stream:\n  flush_interval: 2s\n")};
    assert_int_equal(load(&cfg, TL_CG_STREAM | TL_CG_LAKE, 3, with_file), 0);
    assert_int_equal(cfg.flush_interval_ms, 2000);
    assert_true(tl_conf_explicit(&cfg, "stream.flush_interval"));
    tl_conf_free(&cfg);
}

static void test_precedence(void **state) {
    (void)state;
    const char *path = write_yaml("simulate:\n  rate: 100\n  symbols: 7\n  seed: 3\n");
    setenv("TICKLAKE_SIMULATE_RATE", "200", 1);
    setenv("TICKLAKE_SIMULATE_SEED", "4", 1);
    tl_config cfg;
    const char *argv[] = {"simulate", "--config", path, "--rate", "300"};
    assert_int_equal(load(&cfg, TL_CG_SIM | TL_CG_KAFKA, 5, argv), 0);
    assert_int_equal(cfg.rate, 300);  /* flag beats env beats file */
    assert_int_equal(cfg.seed, 4);    /* env beats file */
    assert_int_equal(cfg.symbols, 7); /* file beats default */
    assert_string_equal(cfg.config_path, path);
    unsetenv("TICKLAKE_SIMULATE_RATE");
    unsetenv("TICKLAKE_SIMULATE_SEED");
    tl_conf_free(&cfg);
}

static void test_types(void **state) {
    (void)state;
    int64_t v;
    bool b;
    assert_int_equal(tl_conf_parse_duration_ms("250ms", &v), 0);
    assert_int_equal(v, 250);
    assert_int_equal(tl_conf_parse_duration_ms("168h", &v), 0);
    assert_int_equal(v, 168LL * 3600 * 1000);
    assert_int_equal(tl_conf_parse_duration_ms("20", &v), 0); /* bare = seconds */
    assert_int_equal(v, 20000);
    assert_int_equal(tl_conf_parse_duration_ms("10 s", &v), -1);
    assert_int_equal(tl_conf_parse_duration_ms("-1s", &v), -1);
    assert_int_equal(tl_conf_parse_size("128MiB", &v), 0);
    assert_int_equal(v, 128LL << 20);
    assert_int_equal(tl_conf_parse_size("16MB", &v), 0);
    assert_int_equal(v, 16000000);
    assert_int_equal(tl_conf_parse_size("12XB", &v), -1);
    assert_int_equal(tl_conf_parse_bool("yes", &b), 0);
    assert_true(b);
    assert_int_equal(tl_conf_parse_bool("maybe", &b), -1);
}

static void test_bad_values_exit_2(void **state) {
    (void)state;
    tl_config cfg;
    const char *a1[] = {"simulate", "--rate", "fast"};
    assert_int_equal(load(&cfg, TL_CG_SIM, 3, a1), TL_ERR_INVALID);
    tl_conf_free(&cfg);
    const char *a2[] = {"broker", "--partitions", "0"};
    assert_int_equal(load(&cfg, TL_CG_BROKER, 3, a2), TL_ERR_INVALID);
    tl_conf_free(&cfg);
    const char *a3[] = {"query", "--format", "xml"};
    assert_int_equal(load(&cfg, TL_CG_QUERY, 3, a3), TL_ERR_INVALID);
    tl_conf_free(&cfg);
    const char *a4[] = {"simulate", "--no-such-flag"};
    assert_int_equal(load(&cfg, TL_CG_SIM, 2, a4), TL_ERR_INVALID);
    tl_conf_free(&cfg);
    /* a flag that exists, but not for this command */
    const char *a5[] = {"broker", "--flush-rows", "5"};
    assert_int_equal(load(&cfg, TL_CG_BROKER, 3, a5), TL_ERR_INVALID);
    tl_conf_free(&cfg);
    setenv("TICKLAKE_STREAM_FLUSH_INTERVAL", "soon", 1);
    const char *a6[] = {"stream"};
    assert_int_equal(load(&cfg, TL_CG_STREAM, 1, a6), TL_ERR_INVALID);
    unsetenv("TICKLAKE_STREAM_FLUSH_INTERVAL");
    tl_conf_free(&cfg);
}

static void test_bad_file(void **state) {
    (void)state;
    tl_config cfg;
    const char *p1 = write_yaml("stream:\n  flush_rowz: 5\n");
    const char *a1[] = {"stream", "-c", p1};
    assert_int_equal(load(&cfg, TL_CG_STREAM, 3, a1), TL_ERR_INVALID);
    tl_conf_free(&cfg);
    const char *p2 = write_yaml("stream: [1, 2\n");
    const char *a2[] = {"stream", "-c", p2};
    assert_int_equal(load(&cfg, TL_CG_STREAM, 3, a2), TL_ERR_INVALID);
    tl_conf_free(&cfg);
    const char *a3[] = {"stream", "-c", "/nonexistent/ticklake.yml"};
    assert_int_equal(load(&cfg, TL_CG_STREAM, 3, a3), TL_ERR_INVALID);
    tl_conf_free(&cfg);
}

static void test_kafka_passthrough(void **state) {
    (void)state;
    const char *path = write_yaml("kafka:\n  brokers: k1:9092\n  linger.ms: 5\n"
                                  "  security.protocol: plaintext\n");
    tl_config cfg;
    const char *argv[] = {"simulate", "-c", path, "-X", "linger.ms=20", "-X", "acks=all"};
    assert_int_equal(load(&cfg, TL_CG_SIM | TL_CG_KAFKA, 7, argv), 0);
    assert_string_equal(cfg.brokers, "k1:9092");
    assert_int_equal(cfg.n_kafka_props, 3);
    assert_string_equal(cfg.kafka_props[0].key, "linger.ms");
    assert_string_equal(cfg.kafka_props[0].value, "20"); /* -X beats the file */
    assert_string_equal(cfg.kafka_props[1].key, "security.protocol");
    assert_string_equal(cfg.kafka_props[2].value, "all");
    tl_conf_free(&cfg);
    const char *bad[] = {"simulate", "-X", "novalue"};
    assert_int_equal(load(&cfg, TL_CG_SIM | TL_CG_KAFKA, 3, bad), TL_ERR_INVALID);
    tl_conf_free(&cfg);
}

/* --help is not an error and not a run: its own code (main exits 0). */
static void test_help_is_its_own_code(void **state) {
    (void)state;
    tl_config cfg;
    const char *argv[] = {"stream", "--help"};
    assert_int_equal(load(&cfg, TL_CG_STREAM, 2, argv), TL_ERR_HELP);
    tl_conf_free(&cfg);
}

static void test_positional_and_bool(void **state) {
    (void)state;
    tl_config cfg;
    int first = 0;
    const char *argv[] = {"stream", "--until-end", "--lake", "/x", "extra"};
    assert_int_equal(tl_conf_load(&cfg, TL_CG_STREAM | TL_CG_LAKE, 5, (char **)argv, &first, NULL),
                     0);
    assert_true(cfg.until_end);
    assert_string_equal(cfg.lake, "/x");
    assert_int_equal(first, 4);
    tl_conf_free(&cfg);
}

/* Every flag in the table is accepted by the commands it belongs to (this
 * once overflowed a fixed-size option array as the table grew). */
static void test_every_flag_parses(void **state) {
    (void)state;
    for (size_t i = 0; i < tl_conf_table_len; i++) {
        const tl_conf_entry *e = &tl_conf_table[i];
        if (!e->flag)
            continue;
        char flag[96];
        snprintf(flag, sizeof flag, "--%s", e->flag);
        const char *value = e->def && *e->def ? e->def : e->type == TL_CT_STRING ? "x" : "1";
        if (e->choices)
            value = e->def;
        const char *argv[] = {"cmd", flag, value};
        int argc = e->type == TL_CT_BOOL ? 2 : 3;
        tl_config cfg;
        int rc = load(&cfg, e->groups, argc, argv);
        if (rc != 0)
            fail_msg("flag %s (%s) was refused", flag, e->key);
        tl_conf_free(&cfg);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_explicit_keys),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_help_is_its_own_code),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_bad_values_exit_2),
        cmocka_unit_test(test_bad_file),
        cmocka_unit_test(test_kafka_passthrough),
        cmocka_unit_test(test_positional_and_bool),
        cmocka_unit_test(test_every_flag_parses),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
