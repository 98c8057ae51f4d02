/* Loading the configuration: defaults, then ticklake.yml, then TICKLAKE_*
 * environment variables, then command-line flags. Every value is checked
 * against its table entry; a bad one is reported with where it came from. */
#include "conf/conf.h"

#include <ctype.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "util/err.h"
#include "util/log.h"

/* Every function here returns 0 or a negative tl_err code (TL_ERR_INVALID for
 * a bad value, after printing what and where; TL_ERR_NOMEM), as err.h says. */

/* ---- setting one value -------------------------------------------------- */

static int nomem(void) {
    fprintf(stderr, "ticklake: out of memory loading the settings\n");
    return TL_ERR_NOMEM;
}

static const char *type_name(tl_conf_type t) {
    switch (t) {
    case TL_CT_STRING: return "a string";
    case TL_CT_INT: return "an integer";
    case TL_CT_BOOL: return "true or false";
    case TL_CT_DURATION: return "a duration such as 500ms, 10s, 5m or 168h";
    case TL_CT_SIZE: return "a size such as 4096, 64KiB or 128MiB";
    }
    return "?";
}

static int choice_ok(const char *choices, const char *v) {
    size_t n = strlen(v);
    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0)
            return 1;
        p += len + (bar ? 1 : 0);
    }
    return 0;
}

/* Parse and store value for entry e. `origin` says where the value came from
 * ("--rate", "TICKLAKE_SIMULATE_RATE", "ticklake.yml:12"). */
static int conf_set(tl_config *cfg, const tl_conf_entry *e, const char *value, const char *origin) {
    char *field = (char *)cfg + e->offset;
    int64_t n = 0;
    int bad = 0;
    switch (e->type) {
    case TL_CT_STRING:
        if (e->choices && !choice_ok(e->choices, value)) {
            fprintf(stderr, "ticklake: invalid value '%s' for %s (from %s): expected one of %s\n",
                    value, e->key, origin, e->choices);
            return TL_ERR_INVALID;
        }
        char *copy = strdup(value);
        if (!copy)
            return nomem();
        free(*(char **)field);
        *(char **)field = copy;
        return 0;
    case TL_CT_BOOL:
        if (tl_conf_parse_bool(value, (bool *)field) == 0)
            return 0;
        bad = 1;
        break;
    case TL_CT_INT: {
        char *end;
        long long v = strtoll(value, &end, 10);
        bad = (*value == '\0' || *end != '\0' || v < 0);
        n = v;
        break;
    }
    case TL_CT_DURATION: bad = tl_conf_parse_duration_ms(value, &n) != 0; break;
    case TL_CT_SIZE: bad = tl_conf_parse_size(value, &n) != 0; break;
    }
    if (!bad && e->positive && n < 1) {
        fprintf(stderr, "ticklake: invalid value '%s' for %s (from %s): must be at least 1\n",
                value, e->key, origin);
        return TL_ERR_INVALID;
    }
    if (bad) {
        fprintf(stderr, "ticklake: invalid value '%s' for %s (from %s): expected %s%s\n", value,
                e->key, origin, e->type == TL_CT_INT ? "a non-negative " : "",
                e->type == TL_CT_INT ? "integer" : type_name(e->type));
        return TL_ERR_INVALID;
    }
    *(int64_t *)field = n;
    return 0;
}

/* conf_set and remember that the key was set (set_defaults forgets it again). */
static int conf_set_mark(tl_config *cfg, const tl_conf_entry *e, const char *value,
                         const char *origin) {
    int rc = conf_set(cfg, e, value, origin);
    size_t i = (size_t)(e - tl_conf_table);
    if (rc == 0)
        cfg->explicit_keys[i / 64] |= UINT64_C(1) << (i % 64);
    return rc;
}

static const tl_conf_entry *entry_by_key(const char *key) {
    for (size_t i = 0; i < tl_conf_table_len; i++)
        if (strcmp(tl_conf_table[i].key, key) == 0)
            return &tl_conf_table[i];
    return NULL;
}

/* key = value among the librdkafka pass-through properties (last one wins). */
static int kafka_prop_add(tl_config *cfg, const char *key, const char *value) {
    char *v = strdup(value);
    if (!v)
        return nomem();
    for (size_t i = 0; i < cfg->n_kafka_props; i++) {
        if (strcmp(cfg->kafka_props[i].key, key) == 0) {
            free(cfg->kafka_props[i].value);
            cfg->kafka_props[i].value = v;
            return 0;
        }
    }
    char *k = strdup(key);
    tl_kv *kv = k ? realloc(cfg->kafka_props, (cfg->n_kafka_props + 1) * sizeof *kv) : NULL;
    if (!kv) {
        free(k);
        free(v);
        return nomem();
    }
    cfg->kafka_props = kv;
    kv[cfg->n_kafka_props].key = k;
    kv[cfg->n_kafka_props].value = v;
    cfg->n_kafka_props++;
    return 0;
}

/* ---- the YAML file -------------------------------------------------------- */

static int yaml_fail(const char *path, const yaml_node_t *node, const char *what) {
    fprintf(stderr, "ticklake: %s:%zu: %s\n", path, node->start_mark.line + 1, what);
    return TL_ERR_INVALID;
}

static int yaml_apply_scalar(tl_config *cfg, const char *path, const char *key,
                             const yaml_node_t *val) {
    char origin[512], msg[512];
    snprintf(origin, sizeof origin, "%s:%zu", path, val->start_mark.line + 1);
    if (val->type != YAML_SCALAR_NODE) {
        snprintf(msg, sizeof msg, "%s must be a single value, not a list or mapping", key);
        return yaml_fail(path, val, msg);
    }
    const char *text = (const char *)val->data.scalar.value;
    const tl_conf_entry *e = entry_by_key(key);
    if (e)
        return conf_set_mark(cfg, e, text, origin);
    if (strncmp(key, "kafka.", 6) == 0) /* librdkafka pass-through */
        return kafka_prop_add(cfg, key + 6, text);
    snprintf(msg, sizeof msg, "unknown setting '%s' (see ticklake --help)", key);
    return yaml_fail(path, val, msg);
}

/* schema.extra_columns as a mapping (name: type) -> "name:type,..." */
static int yaml_apply_columns(tl_config *cfg, const char *path, yaml_document_t *doc,
                              const char *key, const yaml_node_t *map) {
    char origin[512];
    size_t cap = 1, n = 0;
    snprintf(origin, sizeof origin, "%s:%zu", path, map->start_mark.line + 1);
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        yaml_node_t *v = yaml_document_get_node(doc, p->value);
        if (!k || !v || k->type != YAML_SCALAR_NODE || v->type != YAML_SCALAR_NODE)
            return yaml_fail(path, map, "schema.extra_columns: each entry is name: type");
        cap += k->data.scalar.length + v->data.scalar.length + 2;
    }
    char *spec = malloc(cap);
    if (!spec)
        return nomem();
    spec[0] = '\0';
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
        n += (size_t)snprintf(spec + n, cap - n, "%s%s:%s", n ? "," : "",
                              yaml_document_get_node(doc, p->key)->data.scalar.value,
                              yaml_document_get_node(doc, p->value)->data.scalar.value);
    int rc = conf_set_mark(cfg, entry_by_key(key), spec, origin);
    free(spec);
    return rc;
}

static int yaml_apply_mapping(tl_config *cfg, const char *path, yaml_document_t *doc,
                              const yaml_node_t *map, const char *prefix) {
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        yaml_node_t *v = yaml_document_get_node(doc, p->value);
        if (!k || k->type != YAML_SCALAR_NODE)
            return yaml_fail(path, map, "keys must be plain names");
        char key[256];
        snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "", k->data.scalar.value);
        int rc;
        /* kafka: holds librdkafka properties whose names contain dots, so a
         * mapping nests only one level under a section. */
        if (v->type == YAML_MAPPING_NODE && !*prefix)
            rc = yaml_apply_mapping(cfg, path, doc, v, key);
        else if (v->type == YAML_MAPPING_NODE && strcmp(key, "schema.extra_columns") == 0)
            rc = yaml_apply_columns(cfg, path, doc, key, v);
        else
            rc = yaml_apply_scalar(cfg, path, key, v);
        if (rc)
            return rc;
    }
    return 0;
}

static int load_yaml(tl_config *cfg, const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "ticklake: cannot open config file %s: %m\n", path);
        return TL_ERR_INVALID;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    int rc = 0;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    if (!yaml_parser_load(&parser, &doc)) {
        fprintf(stderr, "ticklake: %s:%zu:%zu: %s\n", path, parser.problem_mark.line + 1,
                parser.problem_mark.column + 1, parser.problem ? parser.problem : "bad YAML");
        rc = TL_ERR_INVALID;
        goto out_parser;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root && root->type == YAML_MAPPING_NODE)
        rc = yaml_apply_mapping(cfg, path, &doc, root, "");
    else if (root && !(root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0))
        rc = yaml_fail(path, root, "the file must be a mapping of settings");
    yaml_document_delete(&doc);
out_parser:
    yaml_parser_delete(&parser);
    fclose(f);
    if (rc == 0) {
        char *copy = strdup(path);
        if (!copy)
            return nomem();
        free(cfg->config_path);
        cfg->config_path = copy;
    }
    return rc;
}

/* ---- environment ------------------------------------------------------------ */

static void env_name(const char *key, char *out, size_t cap) {
    size_t n = snprintf(out, cap, "TICKLAKE_");
    for (const char *p = key; *p && n + 1 < cap; p++)
        out[n++] = *p == '.' ? '_' : (char)toupper((unsigned char)*p);
    out[n] = '\0';
}

static int load_env(tl_config *cfg) {
    for (size_t i = 0; i < tl_conf_table_len; i++) {
        char name[128];
        env_name(tl_conf_table[i].key, name, sizeof name);
        const char *v = getenv(name);
        if (v) {
            int rc = conf_set_mark(cfg, &tl_conf_table[i], v, name);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* ---- flags ------------------------------------------------------------------ */

typedef struct flag_value {
    const tl_conf_entry *entry; /* NULL for -X */
    const char *value;
    char origin[64];
} flag_value;

enum { OPT_HELP = 'h', OPT_CONFIG = 'c', OPT_KAFKA = 'X', OPT_TABLE_BASE = 1000 };

/* opts holds tl_conf_table_len + 3 entries, shorts 3 * tl_conf_table_len + 8 bytes. */
static int build_options(unsigned groups, struct option *opts, char *shorts) {
    int n = 0;
    char *s = shorts;
    *s++ = ':'; /* report missing arguments as ':' */
    opts[n++] = (struct option){"help", no_argument, NULL, OPT_HELP};
    opts[n++] = (struct option){"config", required_argument, NULL, OPT_CONFIG};
    s += sprintf(s, "hc:");
    if (groups & TL_CG_KAFKA)
        s += sprintf(s, "X:");
    for (size_t i = 0; i < tl_conf_table_len; i++) {
        const tl_conf_entry *e = &tl_conf_table[i];
        if (!e->flag || !(e->groups & (groups | TL_CG_GLOBAL)))
            continue;
        int has_arg = e->type == TL_CT_BOOL ? no_argument : required_argument;
        int val = e->short_flag ? e->short_flag : OPT_TABLE_BASE + (int)i;
        opts[n++] = (struct option){e->flag, has_arg, NULL, val};
        if (e->short_flag)
            s += sprintf(s, "%c%s", e->short_flag, has_arg ? ":" : "");
    }
    opts[n] = (struct option){0, 0, 0, 0};
    *s = '\0';
    return n;
}

static const tl_conf_entry *entry_for_short(unsigned groups, int c) {
    for (size_t i = 0; i < tl_conf_table_len; i++)
        if (tl_conf_table[i].short_flag == c && tl_conf_table[i].flag &&
            (tl_conf_table[i].groups & (groups | TL_CG_GLOBAL)))
            return &tl_conf_table[i];
    return NULL;
}

/* Every secret the settings hold, so the logger blanks it wherever it would
 * show (an error quoting a URL, librdkafka's debug lines). */
static void register_secrets(const tl_config *cfg) {
    tl_log_add_secret(cfg->s3_secret_access_key);
    tl_log_add_secret(cfg->s3_session_token);
    tl_log_add_secret(getenv("AWS_SECRET_ACCESS_KEY"));
    tl_log_add_secret(getenv("AWS_SESSION_TOKEN"));
    tl_log_add_secret(cfg->web_token);
    for (size_t i = 0; i < cfg->n_kafka_props; i++) {
        const char *k = cfg->kafka_props[i].key;
        if (strstr(k, "password") || strstr(k, "secret") || strstr(k, "token"))
            tl_log_add_secret(cfg->kafka_props[i].value);
    }
}

bool tl_conf_explicit(const tl_config *cfg, const char *key) {
    const tl_conf_entry *e = entry_by_key(key);
    if (!e)
        return false;
    size_t i = (size_t)(e - tl_conf_table);
    return (cfg->explicit_keys[i / 64] >> (i % 64)) & 1u;
}

static int set_defaults(tl_config *cfg) {
    for (size_t i = 0; i < tl_conf_table_len; i++) {
        const tl_conf_entry *e = &tl_conf_table[i];
        int rc = e->def ? conf_set(cfg, e, e->def, "built-in default") : 0;
        if (rc)
            return rc;
    }
    return 0;
}

/* Where a lake's working files (the models' warehouse and its lock) go when
 * not configured: next to the data for a local lake (<lake>/_ticklake/,
 * beside the tables, which no Delta reader lists), or for an S3 lake in a
 * state folder of its own ($XDG_STATE_HOME or ~/.local/state, then
 * ticklake/<hash of the URI>/), never the working folder. */
int tl_conf_state_dir(const char *lake, char *out, size_t cap) {
    if (!lake || !*lake)
        return -1;
    if (strncmp(lake, "s3://", 5) != 0) {
        size_t n = strlen(lake);
        while (n > 1 && lake[n - 1] == '/')
            n--;
        return snprintf(out, cap, "%.*s/_ticklake", (int)n, lake) < (int)cap ? 0 : -1;
    }
    uint32_t h = 2166136261u; /* FNV-1a: one state folder per lake URI */
    for (const unsigned char *p = (const unsigned char *)lake; *p; p++)
        h = (h ^ *p) * 16777619u;
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    int n = xdg && *xdg ? snprintf(out, cap, "%s/ticklake/%08x", xdg, h)
            : home && *home ? snprintf(out, cap, "%s/.local/state/ticklake/%08x", home, h)
                            : snprintf(out, cap, "/tmp/ticklake-state/%08x", h);
    return n > 0 && n < (int)cap ? 0 : -1;
}

static int derive_paths(tl_config *cfg) {
    char dir[4096];
    if (cfg->warehouse || tl_conf_state_dir(cfg->lake, dir, sizeof dir) != 0)
        return 0;
    size_t n = strlen(dir) + sizeof "/warehouse.duckdb";
    if (!(cfg->warehouse = malloc(n)))
        return nomem();
    snprintf(cfg->warehouse, n, "%s/warehouse.duckdb", dir);
    return 0;
}

int tl_conf_load(tl_config *cfg, unsigned groups, int argc, char **argv, int *first_arg,
                 void (*print_help)(FILE *out)) {
    struct option *opts = calloc(tl_conf_table_len + 3, sizeof *opts);
    char *shorts = calloc(3 * tl_conf_table_len + 8, 1);
    flag_value *flags = calloc((size_t)argc + 1, sizeof *flags);
    size_t nflags = 0;
    const char *config_path = NULL;
    int rc = 0;

    memset(cfg, 0, sizeof *cfg);
    if (!opts || !shorts || !flags) {
        rc = nomem();
        goto out;
    }
    build_options(groups, opts, shorts);
    optind = 0; /* full reset of getopt state: commands may parse again in tests */
    opterr = 0;
    for (;;) {
        int idx = -1;
        int c = getopt_long(argc, argv, shorts, opts, &idx);
        if (c == -1)
            break;
        if (c == OPT_HELP) {
            if (print_help)
                print_help(stdout);
            tl_conf_print_options(stdout, groups);
            rc = TL_ERR_HELP;
            goto out;
        } else if (c == OPT_CONFIG) {
            config_path = optarg;
        } else if (c == OPT_KAFKA) {
            if (!strchr(optarg, '=') || optarg[0] == '=') {
                fprintf(stderr, "ticklake %s: -X needs key=value, got '%s'\n", argv[0], optarg);
                rc = TL_ERR_INVALID;
                goto out;
            }
            flags[nflags++] = (flag_value){NULL, optarg, "-X"};
        } else if (c == '?' || c == ':') {
            const char *bad = argv[optind - 1];
            if (c == ':')
                fprintf(stderr, "ticklake %s: option %s needs a value\n", argv[0], bad);
            else
                fprintf(stderr, "ticklake %s: unknown option %s\n", argv[0], bad);
            fprintf(stderr, "Try 'ticklake %s --help'.\n", argv[0]);
            rc = TL_ERR_INVALID;
            goto out;
        } else {
            const tl_conf_entry *e = c >= OPT_TABLE_BASE ? &tl_conf_table[c - OPT_TABLE_BASE]
                                                         : entry_for_short(groups, c);
            flag_value *fv = &flags[nflags++];
            fv->entry = e;
            fv->value = e->type == TL_CT_BOOL ? "true" : optarg;
            snprintf(fv->origin, sizeof fv->origin, "--%s", e->flag);
        }
    }
    *first_arg = optind;

    if ((rc = set_defaults(cfg)))
        goto out;
    if (!config_path)
        config_path = getenv("TICKLAKE_CONFIG");
    if (!config_path && access("ticklake.yml", R_OK) == 0)
        config_path = "ticklake.yml";
    if (config_path && (rc = load_yaml(cfg, config_path)))
        goto out;
    if ((rc = load_env(cfg)))
        goto out;
    for (size_t i = 0; i < nflags; i++) {
        if (!flags[i].entry) {
            char *kv = strdup(flags[i].value);
            if (!kv) {
                rc = nomem();
                goto out;
            }
            char *eq = strchr(kv, '='); /* checked when parsed */
            *eq = '\0';
            rc = kafka_prop_add(cfg, kv, eq + 1);
            free(kv);
            if (rc)
                goto out;
        } else if ((rc = conf_set_mark(cfg, flags[i].entry, flags[i].value, flags[i].origin))) {
            goto out;
        }
    }
    if ((rc = derive_paths(cfg)))
        goto out;
    tl_log_level level;
    if (cfg->log_level && tl_log_level_parse(cfg->log_level, &level) == 0)
        tl_log_set_level(level);
    tl_log_format format;
    if (cfg->log_format && tl_log_format_parse(cfg->log_format, &format) == 0)
        tl_log_set_format(format);
    register_secrets(cfg);
out:
    free(flags);
    free(opts);
    free(shorts);
    return rc;
}

/* ---- help ---------------------------------------------------------------- */

static const char *metavar(const tl_conf_entry *e) {
    switch (e->type) {
    case TL_CT_INT: return "N";
    case TL_CT_DURATION: return "DURATION";
    case TL_CT_SIZE: return "SIZE";
    case TL_CT_BOOL: return "";
    case TL_CT_STRING: return e->choices ? e->choices : "VALUE";
    }
    return "";
}

void tl_conf_print_options(FILE *out, unsigned groups) {
    fprintf(out, "\nOptions (flag, environment variable, ticklake.yml key):\n");
    for (size_t i = 0; i < tl_conf_table_len; i++) {
        const tl_conf_entry *e = &tl_conf_table[i];
        if (!(e->groups & (groups | TL_CG_GLOBAL)))
            continue;
        char left[96], env[96];
        if (e->flag && e->short_flag)
            snprintf(left, sizeof left, "-%c, --%s %s", e->short_flag, e->flag, metavar(e));
        else if (e->flag)
            snprintf(left, sizeof left, "    --%s %s", e->flag, metavar(e));
        else
            snprintf(left, sizeof left, "    (file/env only)");
        env_name(e->key, env, sizeof env);
        fprintf(out, "  %-36s %s", left, e->help);
        if (e->def && *e->def)
            fprintf(out, " (default: %s)", e->def);
        fprintf(out, "\n  %-36s [%s, %s]\n", "", env, e->key);
    }
    if (groups & TL_CG_KAFKA)
        fprintf(out, "  %-36s %s\n", "-X key=value",
                "any librdkafka property (also the kafka: section of ticklake.yml)");
    fprintf(out, "  %-36s %s\n", "-c, --config FILE",
            "settings file (default: ./ticklake.yml if present) [TICKLAKE_CONFIG]");
    fprintf(out, "  %-36s %s\n", "-h, --help", "this help");
}

void tl_conf_free(tl_config *cfg) {
    for (size_t i = 0; i < tl_conf_table_len; i++)
        if (tl_conf_table[i].type == TL_CT_STRING) {
            char **p = (char **)((char *)cfg + tl_conf_table[i].offset);
            free(*p);
            *p = NULL;
        }
    free(cfg->config_path);
    for (size_t i = 0; i < cfg->n_kafka_props; i++) {
        free(cfg->kafka_props[i].key);
        free(cfg->kafka_props[i].value);
    }
    free(cfg->kafka_props);
    memset(cfg, 0, sizeof *cfg);
}
