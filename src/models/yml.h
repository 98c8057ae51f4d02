/* yml — small accessors over a libyaml document (yaml_parser_load), with
 * the file name and 1-based line numbers for error messages. */
#ifndef TL_MODELS_YML_H
#define TL_MODELS_YML_H

#include <yaml.h>

#include "util/err.h"

typedef struct tl_yml {
    yaml_document_t doc;
    char *file; /* as shown in messages, e.g. "models/schema.yml" */
    int loaded;
} tl_yml;

/* Load the first document of path; an empty file gives a NULL root.
 * shown is the name used in messages. */
int tl_yml_load(tl_yml *y, const char *path, const char *shown, tl_err *err);
void tl_yml_free(tl_yml *y);

yaml_node_t *tl_yml_root(tl_yml *y);
/* The value of key in a mapping node, or NULL (also when n is not a map). */
yaml_node_t *tl_yml_get(tl_yml *y, yaml_node_t *map, const char *key);
/* A scalar's text, or NULL when n is not a scalar. */
const char *tl_yml_str(yaml_node_t *n);
int tl_yml_line(yaml_node_t *n);
/* Number of items of a sequence (0 when not one), and item i. */
int tl_yml_len(yaml_node_t *seq);
yaml_node_t *tl_yml_item(tl_yml *y, yaml_node_t *seq, int i);
/* Number of pairs of a mapping, and pair i. */
int tl_yml_npairs(yaml_node_t *map);
void tl_yml_pair(tl_yml *y, yaml_node_t *map, int i, yaml_node_t **key, yaml_node_t **value);

/* TL_ERR_INVALID "file:line: what". */
int tl_yml_fail(tl_yml *y, yaml_node_t *at, tl_err *err, const char *what);

/* A string or a sequence of strings as a new array (strings copied);
 * 0, or -1 when n is anything else. */
int tl_yml_strings(tl_yml *y, yaml_node_t *n, char ***out, size_t *count);

#endif
