/* dag — the models' graph from their refs: resolution, cycle detection,
 * run order and node selection (dbt's selector subset). */
#ifndef TL_MODELS_DAG_H
#define TL_MODELS_DAG_H

#include "models/project.h"

/* Resolve every ref to a model (unknown ref: error naming file:line), fill
 * each model's deps, and return the run order in *order (n_models indexes,
 * caller frees): dependencies first, ties in file order. A cycle is an
 * error naming it: "a -> b -> a". */
int tl_dag_build(tl_project *p, size_t **order, tl_err *err);

/* Mark the selected models in sel (n_models bytes, 1 = selected).
 * select NULL or blank = every model. Selectors, space-separated (union):
 *   name, +name (with its ancestors), name+ (with its descendants),
 *   tag:x, path:dir (a folder or file relative to the project).
 * exclude uses the same syntax and removes models. An unknown model name
 * is an error; a tag or path that matches nothing selects nothing. */
int tl_dag_select(const tl_project *p, const char *select, const char *exclude, unsigned char *sel,
                  tl_err *err);

/* 1 if model a depends on model b, directly or not. */
int tl_dag_depends_on(const tl_project *p, size_t a, size_t b);

#endif
