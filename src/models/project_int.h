/* Internals shared by project.c (dbt_project.yml, files) and
 * project_schema.c (the schema .yml files). */
#ifndef TL_MODELS_PROJECT_INT_H
#define TL_MODELS_PROJECT_INT_H

#include "models/project.h"
#include "models/yml.h"

/* One level of model config (folder defaults, a yml entry, config()). */
typedef struct tl_cfg_layer {
    char *materialized, *strategy;
    char **unique_key;
    size_t n_unique_key;
    int has_unique_key;
    char **tags;
    size_t n_tags;
} tl_cfg_layer;

void tl_cfg_layer_free(tl_cfg_layer *c);
/* Read one config key (without its '+') into c: 1 if key is a config key
 * and was read, 0 if it is not a config key, or an error. */
int tl_cfg_layer_read(tl_yml *y, const char *key, yaml_node_t *value, tl_cfg_layer *c, tl_err *err);
/* Overlay c on the model (tags add up). */
int tl_cfg_layer_apply(const tl_cfg_layer *c, tl_model *m, const char *where, tl_err *err);

/* yml model configs collected from schema files: name -> tl_cfg_layer *. */
int tl_schema_load(tl_project *p, const char *path, const char *shown, tl_strmap *model_cfgs,
                   tl_err *err);

int tl_project_add_test(tl_project *p, tl_mtest **out);
char *tl_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
