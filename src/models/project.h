/* project — a dbt-compatible project folder, loaded into memory:
 *   dbt_project.yml  name, model-paths, test-paths, vars, models: folder
 *                    config defaults (+materialized, +tags, +unique_key,
 *                    +incremental_strategy; nested by folder)
 *   <model-path>/ **.sql  one model per file, named after the file
 *   <model-path>/ **.yml  sources: (name, tables) and models: (config,
 *                    columns with tests, model-level tests)
 *   <test-path>/ *.sql    singular tests: queries returning failing rows
 * Config precedence as in dbt: folder defaults < yml config: < config() in
 * the SQL file; tags add up. Every template is parsed here, so a bad
 * construct fails the load with its file and line. */
#ifndef TL_MODELS_PROJECT_H
#define TL_MODELS_PROJECT_H

#include <stddef.h>

#include "models/template.h"
#include "util/err.h"
#include "util/strmap.h"

typedef enum { TL_MAT_VIEW, TL_MAT_TABLE, TL_MAT_INCREMENTAL } tl_mat;

typedef struct tl_model {
    char *name;
    char *path; /* relative to the project folder: "models/marts/bars_1m.sql" */
    tl_tpl *tpl;
    tl_mat mat;
    int delete_insert; /* incremental: delete+insert by unique_key (else append) */
    char **unique_key;
    size_t n_unique_key;
    char **tags;
    size_t n_tags;
    size_t *deps; /* indexes of the models it refs (set by tl_dag_build) */
    size_t n_deps;
} tl_model;

typedef enum {
    TL_TEST_NOT_NULL,
    TL_TEST_UNIQUE,
    TL_TEST_ACCEPTED_VALUES,
    TL_TEST_RELATIONSHIPS,
    TL_TEST_SINGULAR,
} tl_test_kind;

typedef struct tl_mtest {
    char *name;
    tl_test_kind kind;
    char *path; /* the yml file (schema tests) or tests/x.sql */
    int line;
    char *model;   /* schema tests: the model tested */
    char *column;  /* a column name, or an SQL expression (model-level column_name) */
    char **values; /* accepted_values */
    size_t n_values;
    char *to, *field; /* relationships: ref('to'), field */
    tl_tpl *tpl;      /* singular tests */
} tl_mtest;

typedef struct tl_source_table {
    char *source, *table, *identifier;
} tl_source_table;

typedef struct tl_project {
    char *dir, *name;
    tl_strmap *vars; /* name -> char * */
    tl_model *models;
    size_t n_models;
    tl_mtest *tests;
    size_t n_tests;
    tl_source_table *sources;
    size_t n_sources;
} tl_project;

int tl_project_load(const char *dir, tl_project **out, tl_err *err);
void tl_project_free(tl_project *p);

/* Index of the model called name, or -1. */
long tl_project_find_model(const tl_project *p, const char *name);
const char *tl_mat_name(tl_mat m);

#endif
