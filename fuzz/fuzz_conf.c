/* libFuzzer target: ticklake.yml through the real loader (tl_conf_load with
 * --config <temp file>, every command group). The input is the file's bytes.
 *
 * Must never crash or leak. The only outcomes are 0 (loaded) and
 * TL_ERR_INVALID (a configuration error, explained on stderr); TL_ERR_HELP
 * cannot happen without --help. When the file is accepted every value obeys its table entry: a
 * string with choices is one of them, numbers are >= 0, and >= 1 where the
 * entry says positive; the kafka: properties have unique, non-empty-set keys;
 * config_path names the file.
 *
 * Run with -close_fd_mask=2 (make fuzz-smoke does) to keep the loader's
 * messages for rejected files off the terminal. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "util/err.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void check(int ok, const char *what, const char *key) {
    if (ok)
        return;
    fprintf(stderr, "fuzz_conf: %s (%s)\n", what, key ? key : "-");
    abort();
}

static int choice_ok(const char *choices, const char *v) {
    size_t n = strlen(v);
    for (const char *p = choices;;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && memcmp(p, v, n) == 0)
            return 1;
        if (!bar)
            return 0;
        p = bar + 1;
    }
}

static void check_config(const tl_config *cfg) {
    check(cfg->config_path && strcmp(cfg->config_path, path) == 0, "config_path", NULL);
    for (size_t i = 0; i < tl_conf_table_len; i++) {
        const tl_conf_entry *e = &tl_conf_table[i];
        const char *field = (const char *)cfg + e->offset;
        switch (e->type) {
        case TL_CT_STRING: {
            const char *v = *(char *const *)field;
            check(!e->def || v, "a defaulted string became NULL", e->key);
            if (v && e->choices)
                check(choice_ok(e->choices, v), "value outside the entry's choices", e->key);
            break;
        }
        case TL_CT_INT:
        case TL_CT_DURATION:
        case TL_CT_SIZE: {
            int64_t v;
            memcpy(&v, field, sizeof v);
            check(v >= 0, "negative number accepted", e->key);
            check(!e->positive || v >= 1, "zero accepted for a positive setting", e->key);
            break;
        }
        case TL_CT_BOOL: {
            unsigned char b;
            memcpy(&b, field, 1);
            check(b == 0 || b == 1, "bool neither true nor false", e->key);
            break;
        }
        }
    }
    for (size_t i = 0; i < cfg->n_kafka_props; i++) {
        check(cfg->kafka_props[i].key && cfg->kafka_props[i].value, "kafka property NULL", NULL);
        for (size_t j = 0; j < i; j++)
            check(strcmp(cfg->kafka_props[i].key, cfg->kafka_props[j].key) != 0,
                  "kafka property twice", cfg->kafka_props[i].key);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!path[0]) {
        const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(path, sizeof path, "%s/fuzz_conf.%d.yml", dir, (int)getpid());
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);

    char a0[] = "fuzz", a1[] = "--config", a2[sizeof path];
    memcpy(a2, path, sizeof path);
    char *argv[] = {a0, a1, a2, NULL};
    tl_config cfg;
    int first = -1;
    int rc = tl_conf_load(&cfg, 0xffffu, 3, argv, &first, NULL);
    check(rc == 0 || rc == TL_ERR_INVALID, "tl_conf_load returned neither 0 nor TL_ERR_INVALID",
          NULL);
    if (rc == 0) {
        check(first == 3, "positional arguments appeared", NULL);
        check_config(&cfg);
    }
    tl_conf_free(&cfg);
    tl_log_set_level(TL_LOG_ERROR); /* a fuzzed log_level: debug must not flood the run */
    unlink(path);
    return 0;
}
