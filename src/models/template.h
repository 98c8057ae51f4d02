/* template — the Jinja subset that dbt models use and ticklake understands:
 *   {{ ref('model') }}            the model's relation ("model")
 *   {{ source('lake', 'ticks') }} a source table (rendered by the caller)
 *   {{ config(materialized='table', unique_key=['a','b'], tags=['x'],
 *             incremental_strategy='delete+insert') }}  renders nothing
 *   {{ var('name') }} / {{ var('name', default) }}
 *   {{ this }}                    the model's own relation
 *   {% if [not] is_incremental() %} ... [{% else %} ...] {% endif %}
 *   {# comments #}, and '-' whitespace control ({{- x -}}, {%- ... -%})
 * Anything else is an error naming the file and line, so a model never runs
 * with a construct silently left out.
 *
 * Parsing is done once per file; refs, sources and config() are known right
 * after parsing (like dbt's parse phase: a ref inside an {% if %} still
 * counts). Rendering needs the run's context (is_incremental, vars). */
#ifndef TL_MODELS_TEMPLATE_H
#define TL_MODELS_TEMPLATE_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/strmap.h"

typedef struct tl_tpl tl_tpl;

typedef struct tl_tpl_ref {
    char *name;
    int line;
} tl_tpl_ref;

typedef struct tl_tpl_source {
    char *source, *table;
    int line;
} tl_tpl_source;

/* What config() calls set; NULL / has_* = 0 when not given. */
typedef struct tl_tpl_config {
    char *materialized;         /* view | table | incremental */
    char *incremental_strategy; /* append | delete+insert */
    char **unique_key;          /* column names */
    size_t n_unique_key;
    char **tags;
    size_t n_tags;
    int line; /* of the last config() call, 0 = none */
} tl_tpl_config;

/* file names the template in error messages ("models/x.sql"). */
int tl_tpl_parse(const char *file, const char *text, tl_tpl **out, tl_err *err);
void tl_tpl_free(tl_tpl *t);

size_t tl_tpl_num_refs(const tl_tpl *t);
const tl_tpl_ref *tl_tpl_ref_at(const tl_tpl *t, size_t i);
size_t tl_tpl_num_sources(const tl_tpl *t);
const tl_tpl_source *tl_tpl_source_at(const tl_tpl *t, size_t i);
const tl_tpl_config *tl_tpl_config_of(const tl_tpl *t);

typedef struct tl_tpl_ctx {
    int is_incremental;
    const char *this_name; /* relation name for {{ this }} */
    const tl_strmap *vars; /* var name -> char * text; may be NULL */
    /* Appends the SQL for source(src, table) to out; returns 0, or -1 when
     * the source is unknown (the renderer reports file and line). */
    int (*source_sql)(void *ud, const char *src, const char *table, tl_buf *out);
    void *ud;
} tl_tpl_ctx;

/* Append the rendered SQL to out. Errors (TL_ERR_INVALID) name file:line:
 * an undefined var without default, an unknown source. */
int tl_tpl_render(const tl_tpl *t, const tl_tpl_ctx *ctx, tl_buf *out, tl_err *err);

/* Append name as a double-quoted SQL identifier. */
void tl_tpl_quote_ident(tl_buf *out, const char *name);

#endif
