/* A fault sweep over loading the settings (tl_conf_load: defaults, a YAML
 * file with kafka: pass-through properties and a schema.extra_columns
 * mapping, -X flags, the environment): for N = 1, 2, ... fail the Nth
 * allocation until a load no longer reaches the fault. Each load returns 0
 * or TL_ERR_NOMEM (it used to abort(), or write through a NULL strdup), and
 * frees what it took (`make asan` / `make valgrind`). */
#define _GNU_SOURCE
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "tl_fault.h"
#include "util/err.h"
#include "util/log.h"

static const char yaml[] = "lake:\n  path: /tmp/lake\n"
                           "kafka:\n"
                           "  brokers: k1:9092\n"
                           "  linger.ms: 5\n"
                           "  sasl.password: not-a-real-secret\n"
                           "schema:\n"
                           "  extra_columns:\n"
                           "    venue: string\n"
                           "    size2: int64\n";

static int load(const char *path, tl_config *cfg) {
    char *argv[] = {"stream", "-c", (char *)path, "-X", "linger.ms=20", "-X", "acks=all", NULL};
    int first = 0;
    return tl_conf_load(cfg, TL_CG_STREAM | TL_CG_KAFKA | TL_CG_LAKE, 7, argv, &first, NULL);
}

static void test_conf_load_out_of_memory(void **state) {
    (void)state;
    char path[] = "/tmp/tl-faults-conf-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, yaml, sizeof yaml - 1), (ssize_t)(sizeof yaml - 1));
    close(fd);
    setenv("TICKLAKE_STREAM_FLUSH_ROWS", "5000", 1);
    tl_config cfg;
    tl_fault_malloc_arm(LONG_MAX);
    assert_int_equal(load(path, &cfg), 0);
    long total = tl_fault_malloc_count();
    tl_fault_malloc_disarm();
    assert_string_equal(cfg.kafka_props[0].value, "20");
    tl_conf_free(&cfg);

    /* every failing load explains itself on stderr: keep the run's log short
     * (fd 2 comes back before any assertion can report) */
    fflush(stderr);
    int saved = dup(2), null = open("/dev/null", O_WRONLY);
    assert_true(saved >= 0 && null >= 0);
    dup2(null, 2);
    close(null);

    long n = tl_fault_first(), tries = 0;
    for (;; n++) {
        tl_fault_malloc_arm(n);
        int rc = load(path, &cfg);
        bool fired = tl_fault_malloc_disarm();
        tl_conf_free(&cfg);
        tries++;
        if (!fired || (rc != TL_ERR_NOMEM && rc != 0) || n > total + TL_FAULT_SLACK) {
            fflush(stderr);
            dup2(saved, 2);
        }
        if (!fired) {
            assert_int_equal(rc, 0);
            break;
        }
        if (rc != TL_ERR_NOMEM && rc != 0)
            fail_msg("N=%ld: returned %d (%s), want 0 or nomem", n, rc,
                     tl_err_code_name((tl_err_code)rc));
        if (n > total + TL_FAULT_SLACK)
            fail_msg("N=%ld: still failing past the %ld allocations a clean load made", n, total);
    }
    close(saved);
    assert_true(tries > 10); /* the sweep reached the loader's allocations */
    unsetenv("TICKLAKE_STREAM_FLUSH_ROWS");
    unlink(path);
}

int main(void) {
    tl_log_set_level(TL_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conf_load_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
