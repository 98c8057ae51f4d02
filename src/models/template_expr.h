/* template_expr — parses the inside of one Jinja tag of the subset:
 *   name | [not] name(arg, key=value, ...)  with literal values only. */
#ifndef TL_MODELS_TEMPLATE_EXPR_H
#define TL_MODELS_TEMPLATE_EXPR_H

#include <stddef.h>

typedef enum { TL_TV_STR, TL_TV_NUM, TL_TV_BOOL, TL_TV_NONE, TL_TV_LIST } tl_tval_kind;

typedef struct tl_tval {
    tl_tval_kind kind;
    char *s; /* STR: the text; NUM: as written; BOOL: "true"/"false" */
    struct tl_tval *items;
    size_t n;
} tl_tval;

typedef struct tl_targ {
    char *key; /* NULL for a positional argument */
    tl_tval v;
} tl_targ;

typedef struct tl_texpr {
    char *name;
    int negate;  /* "not name(...)" */
    int is_call; /* name(...) rather than a bare name */
    tl_targ *args;
    size_t n_args;
} tl_texpr;

/* Parse s[0..n). 0, or -1 with a short reason in msg, or TL_TEXPR_NOMEM
 * when out of memory. *e must be freed with tl_texpr_free either way. */
#define TL_TEXPR_NOMEM (-2)
int tl_texpr_parse(const char *s, size_t n, tl_texpr *e, char *msg, size_t msg_cap);
void tl_texpr_free(tl_texpr *e);
void tl_tval_free(tl_tval *v);

#endif
