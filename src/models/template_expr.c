/* The expression inside {{ }} and {% %}: a name, optionally called with
 * positional and keyword arguments whose values are literals (strings,
 * numbers, booleans, none, lists of those). That is all the subset needs,
 * and parsing it fully lets errors point at what is wrong. */
#include "models/template_expr.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct lexer {
    const char *p, *end;
    char *msg;
    size_t msg_cap;
} lexer;

static int lex_fail(lexer *lx, const char *what) {
    snprintf(lx->msg, lx->msg_cap, "%s", what);
    return -1;
}

/* Return a failed step's code as is (-1 or TL_TEXPR_NOMEM). */
#define TRY(call)                                                                                  \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        if (rc_ != 0)                                                                              \
            return rc_;                                                                            \
    } while (0)

/* Out of memory is not a syntax error: the caller reports it as such. */
static int lex_nomem(lexer *lx) {
    lex_fail(lx, "out of memory");
    return TL_TEXPR_NOMEM;
}

static void skip_space(lexer *lx) {
    while (lx->p < lx->end && isspace((unsigned char)*lx->p))
        lx->p++;
}

static char *dup_n(const char *s, size_t n) {
    char *r = malloc(n + 1);
    if (r) {
        memcpy(r, s, n);
        r[n] = '\0';
    }
    return r;
}

static int parse_ident(lexer *lx, char **out) {
    const char *s = lx->p;
    while (lx->p < lx->end && (isalnum((unsigned char)*lx->p) || *lx->p == '_'))
        lx->p++;
    *out = dup_n(s, (size_t)(lx->p - s));
    return *out ? 0 : lex_nomem(lx);
}

/* 'text' or "text"; backslash escapes the next character. */
static int parse_string(lexer *lx, char **out) {
    char q = *lx->p++;
    char *buf = malloc((size_t)(lx->end - lx->p) + 1);
    size_t n = 0;
    if (!buf)
        return lex_nomem(lx);
    while (lx->p < lx->end && *lx->p != q) {
        if (*lx->p == '\\' && lx->p + 1 < lx->end)
            lx->p++;
        buf[n++] = *lx->p++;
    }
    if (lx->p >= lx->end) {
        free(buf);
        return lex_fail(lx, "unterminated string literal");
    }
    lx->p++;
    buf[n] = '\0';
    *out = buf;
    return 0;
}

static int parse_value(lexer *lx, tl_tval *v, int depth);

static int parse_list(lexer *lx, tl_tval *v, int depth) {
    v->kind = TL_TV_LIST;
    lx->p++; /* [ */
    for (;;) {
        skip_space(lx);
        if (lx->p < lx->end && *lx->p == ']') {
            lx->p++;
            return 0;
        }
        tl_tval *items = realloc(v->items, (v->n + 1) * sizeof *items);
        if (!items)
            return lex_nomem(lx);
        v->items = items;
        memset(&v->items[v->n], 0, sizeof v->items[0]);
        TRY(parse_value(lx, &v->items[v->n++], depth + 1));
        skip_space(lx);
        if (lx->p < lx->end && *lx->p == ',')
            lx->p++;
        else if (lx->p >= lx->end || *lx->p != ']')
            return lex_fail(lx, "expected ',' or ']' in a list");
    }
}

static int parse_value(lexer *lx, tl_tval *v, int depth) {
    skip_space(lx);
    if (depth > 8)
        return lex_fail(lx, "lists nested too deeply");
    if (lx->p >= lx->end)
        return lex_fail(lx, "expected a value");
    char c = *lx->p;
    if (c == '\'' || c == '"') {
        v->kind = TL_TV_STR;
        return parse_string(lx, &v->s);
    }
    if (c == '[')
        return parse_list(lx, v, depth);
    if (isdigit((unsigned char)c) || c == '-' || c == '.') {
        const char *s = lx->p++;
        while (lx->p < lx->end && (isdigit((unsigned char)*lx->p) || *lx->p == '.'))
            lx->p++;
        v->kind = TL_TV_NUM;
        v->s = dup_n(s, (size_t)(lx->p - s));
        return v->s ? 0 : lex_nomem(lx);
    }
    if (isalpha((unsigned char)c)) {
        char *id = NULL;
        TRY(parse_ident(lx, &id));
        if (!strcmp(id, "true") || !strcmp(id, "True") || !strcmp(id, "false") ||
            !strcmp(id, "False")) {
            v->kind = TL_TV_BOOL;
            v->s = id;
            v->s[0] = (char)tolower((unsigned char)v->s[0]);
            return 0;
        }
        if (!strcmp(id, "none") || !strcmp(id, "None")) {
            free(id);
            v->kind = TL_TV_NONE;
            return 0;
        }
        snprintf(lx->msg, lx->msg_cap,
                 "'%s' as a value: only literals (strings, numbers, true/false, lists) are "
                 "supported",
                 id);
        free(id);
        return -1;
    }
    snprintf(lx->msg, lx->msg_cap, "unexpected '%c'", c);
    return -1;
}

static int parse_args(lexer *lx, tl_texpr *e) {
    lx->p++; /* ( */
    for (;;) {
        skip_space(lx);
        if (lx->p < lx->end && *lx->p == ')') {
            lx->p++;
            return 0;
        }
        tl_targ *args = realloc(e->args, (e->n_args + 1) * sizeof *args);
        if (!args)
            return lex_nomem(lx);
        e->args = args;
        tl_targ *a = &e->args[e->n_args++];
        memset(a, 0, sizeof *a);
        /* keyword argument: ident '=' (not '==') */
        const char *save = lx->p;
        if (isalpha((unsigned char)*lx->p) || *lx->p == '_') {
            char *key = NULL;
            TRY(parse_ident(lx, &key));
            skip_space(lx);
            if (lx->p < lx->end && *lx->p == '=' && (lx->p + 1 >= lx->end || lx->p[1] != '=')) {
                lx->p++;
                a->key = key;
            } else {
                free(key);
                lx->p = save;
            }
        }
        TRY(parse_value(lx, &a->v, 0));
        skip_space(lx);
        if (lx->p < lx->end && *lx->p == ',')
            lx->p++;
        else if (lx->p >= lx->end || *lx->p != ')')
            return lex_fail(lx, "expected ',' or ')' after an argument");
    }
}

int tl_texpr_parse(const char *s, size_t n, tl_texpr *e, char *msg, size_t msg_cap) {
    lexer lx = {s, s + n, msg, msg_cap};
    memset(e, 0, sizeof *e);
    skip_space(&lx);
    if (lx.p >= lx.end)
        return lex_fail(&lx, "empty expression");
    if (!isalpha((unsigned char)*lx.p) && *lx.p != '_') {
        snprintf(msg, msg_cap, "unsupported expression starting with '%c'", *lx.p);
        return -1;
    }
    TRY(parse_ident(&lx, &e->name));
    skip_space(&lx);
    /* "not" prefix, used by {% if not is_incremental() %} */
    if (!strcmp(e->name, "not") && lx.p < lx.end && isalpha((unsigned char)*lx.p)) {
        free(e->name);
        e->negate = 1;
        TRY(parse_ident(&lx, &e->name));
        skip_space(&lx);
    }
    if (lx.p < lx.end && *lx.p == '(') {
        e->is_call = 1;
        TRY(parse_args(&lx, e));
        skip_space(&lx);
    }
    if (lx.p < lx.end) {
        snprintf(msg, msg_cap, "unsupported syntax after '%s': '%.*s'", e->name,
                 (int)(lx.end - lx.p > 40 ? 40 : lx.end - lx.p), lx.p);
        return -1;
    }
    return 0;
}

void tl_tval_free(tl_tval *v) {
    free(v->s);
    for (size_t i = 0; i < v->n; i++)
        tl_tval_free(&v->items[i]);
    free(v->items);
    memset(v, 0, sizeof *v);
}

void tl_texpr_free(tl_texpr *e) {
    free(e->name);
    for (size_t i = 0; i < e->n_args; i++) {
        free(e->args[i].key);
        tl_tval_free(&e->args[i].v);
    }
    free(e->args);
    memset(e, 0, sizeof *e);
}
