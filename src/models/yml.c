#include "models/yml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tl_yml_load(tl_yml *y, const char *path, const char *shown, tl_err *err) {
    memset(y, 0, sizeof *y);
    if (!(y->file = strdup(shown)))
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    FILE *f = fopen(path, "rb");
    if (!f)
        return tl_err_set(err, TL_ERR_IO, "%s: cannot open: %m", shown);
    yaml_parser_t parser;
    int rc = 0;
    if (!yaml_parser_initialize(&parser)) {
        fclose(f);
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    }
    yaml_parser_set_input_file(&parser, f);
    if (!yaml_parser_load(&parser, &y->doc)) {
        rc = tl_err_set(err, TL_ERR_INVALID, "%s:%zu: YAML error: %s", shown,
                        parser.problem_mark.line + 1, parser.problem ? parser.problem : "?");
    } else {
        y->loaded = 1;
    }
    yaml_parser_delete(&parser);
    fclose(f);
    return rc;
}

void tl_yml_free(tl_yml *y) {
    if (y->loaded)
        yaml_document_delete(&y->doc);
    free(y->file);
    memset(y, 0, sizeof *y);
}

yaml_node_t *tl_yml_root(tl_yml *y) {
    return y->loaded ? yaml_document_get_root_node(&y->doc) : NULL;
}

const char *tl_yml_str(yaml_node_t *n) {
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

int tl_yml_line(yaml_node_t *n) {
    return n ? (int)n->start_mark.line + 1 : 0;
}

int tl_yml_len(yaml_node_t *seq) {
    if (!seq || seq->type != YAML_SEQUENCE_NODE)
        return 0;
    return (int)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

yaml_node_t *tl_yml_item(tl_yml *y, yaml_node_t *seq, int i) {
    return yaml_document_get_node(&y->doc, seq->data.sequence.items.start[i]);
}

int tl_yml_npairs(yaml_node_t *map) {
    if (!map || map->type != YAML_MAPPING_NODE)
        return 0;
    return (int)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

void tl_yml_pair(tl_yml *y, yaml_node_t *map, int i, yaml_node_t **key, yaml_node_t **value) {
    yaml_node_pair_t *p = &map->data.mapping.pairs.start[i];
    *key = yaml_document_get_node(&y->doc, p->key);
    *value = yaml_document_get_node(&y->doc, p->value);
}

yaml_node_t *tl_yml_get(tl_yml *y, yaml_node_t *map, const char *key) {
    int n = tl_yml_npairs(map);
    for (int i = 0; i < n; i++) {
        yaml_node_t *k, *v;
        tl_yml_pair(y, map, i, &k, &v);
        const char *ks = tl_yml_str(k);
        if (ks && !strcmp(ks, key))
            return v;
    }
    return NULL;
}

int tl_yml_fail(tl_yml *y, yaml_node_t *at, tl_err *err, const char *what) {
    return tl_err_set(err, TL_ERR_INVALID, "%s:%d: %s", y->file, tl_yml_line(at), what);
}

int tl_yml_strings(tl_yml *y, yaml_node_t *n, char ***out, size_t *count) {
    int single = tl_yml_str(n) != NULL;
    int len = single ? 1 : tl_yml_len(n);
    if (!single && (!n || n->type != YAML_SEQUENCE_NODE))
        return -1;
    char **arr = calloc((size_t)len + 1, sizeof *arr);
    if (!arr)
        return -1;
    for (int i = 0; i < len; i++) {
        const char *s = single ? tl_yml_str(n) : tl_yml_str(tl_yml_item(y, n, i));
        if (!s || !(arr[i] = strdup(s))) {
            for (int j = 0; j < i; j++)
                free(arr[j]);
            free(arr);
            return -1;
        }
    }
    *out = arr;
    *count = (size_t)len;
    return 0;
}
