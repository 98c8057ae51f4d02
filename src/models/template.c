/* The Jinja subset: split the text into segments (literal text, ref, source,
 * var, this, if/else/endif), check everything at parse time, render later. */
#include "models/template.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/template_expr.h"

typedef enum {
    SEG_TEXT,
    SEG_REF,
    SEG_SOURCE,
    SEG_VAR,
    SEG_THIS,
    SEG_IF,
    SEG_ELSE,
    SEG_ENDIF
} seg_kind;

typedef struct seg {
    seg_kind kind;
    int line;
    const char *text; /* SEG_TEXT: points into tpl->text */
    size_t len;
    char *a, *b; /* ref name | source, table | var name, default (NULL = none) */
    int negate;  /* SEG_IF */
    size_t jump; /* SEG_IF: index of its ELSE or ENDIF; SEG_ELSE: of its ENDIF */
} seg;

struct tl_tpl {
    char *file, *text;
    seg *segs;
    size_t n_segs;
    tl_tpl_ref *refs;
    size_t n_refs;
    tl_tpl_source *sources;
    size_t n_sources;
    tl_tpl_config cfg;
};

static const char supported[] =
    "supported: ref, source, config, var, this, {% if is_incremental() %}/else/endif, {# #}";

static int grow(void **arr, size_t n, size_t size) {
    void *p = realloc(*arr, (n + 1) * size);
    if (!p)
        return -1;
    *arr = p;
    memset((char *)p + n * size, 0, size);
    return 0;
}

static int add_seg(tl_tpl *t, seg_kind kind, int line, seg **out) {
    if (grow((void **)&t->segs, t->n_segs, sizeof *t->segs) != 0)
        return -1;
    *out = &t->segs[t->n_segs++];
    (*out)->kind = kind;
    (*out)->line = line;
    return 0;
}

static int bad(tl_tpl *t, int line, tl_err *err, const char *what) {
    return tl_err_set(err, TL_ERR_INVALID, "%s:%d: %s", t->file, line, what);
}

/* Positional string argument i of e, or NULL. */
static const char *str_arg(const tl_texpr *e, size_t i) {
    if (i >= e->n_args || e->args[i].key || e->args[i].v.kind != TL_TV_STR)
        return NULL;
    return e->args[i].v.s;
}

/* A config value that may be one string or a list of strings. */
static int str_list(const tl_tval *v, char ***out, size_t *n) {
    const tl_tval *items = v->kind == TL_TV_LIST ? v->items : v;
    size_t count = v->kind == TL_TV_LIST ? v->n : 1;
    for (size_t i = 0; i < count; i++)
        if (items[i].kind != TL_TV_STR)
            return -1;
    for (size_t i = 0; i < *n; i++)
        free((*out)[i]);
    free(*out);
    *out = calloc(count ? count : 1, sizeof **out);
    *n = 0;
    if (!*out)
        return TL_ERR_NOMEM;
    for (size_t i = 0; i < count; i++)
        if (((*out)[(*n)++] = strdup(items[i].s)) == NULL)
            return TL_ERR_NOMEM;
    return 0;
}

static int set_str(char **dst, const tl_tval *v, const char *const *allowed) {
    if (v->kind != TL_TV_STR)
        return -1;
    for (; *allowed; allowed++)
        if (!strcmp(*allowed, v->s))
            break;
    if (!*allowed)
        return -1;
    free(*dst);
    *dst = strdup(v->s);
    return *dst ? 0 : TL_ERR_NOMEM;
}

static int do_config(tl_tpl *t, const tl_texpr *e, int line, tl_err *err) {
    static const char *const mats[] = {"view", "table", "incremental", NULL};
    static const char *const strategies[] = {"append", "delete+insert", NULL};
    char msg[256];
    for (size_t i = 0; i < e->n_args; i++) {
        const tl_targ *a = &e->args[i];
        int rc;
        if (!a->key)
            return bad(t, line, err,
                       "config() takes keyword arguments only, e.g. "
                       "config(materialized='table')");
        if (!strcmp(a->key, "materialized"))
            rc = set_str(&t->cfg.materialized, &a->v, mats);
        else if (!strcmp(a->key, "incremental_strategy"))
            rc = set_str(&t->cfg.incremental_strategy, &a->v, strategies);
        else if (!strcmp(a->key, "unique_key"))
            rc = str_list(&a->v, &t->cfg.unique_key, &t->cfg.n_unique_key);
        else if (!strcmp(a->key, "tags"))
            rc = str_list(&a->v, &t->cfg.tags, &t->cfg.n_tags);
        else {
            snprintf(msg, sizeof msg,
                     "config(%s=...) is not supported (supported: materialized, unique_key, "
                     "tags, incremental_strategy)",
                     a->key);
            return bad(t, line, err, msg);
        }
        if (rc == TL_ERR_NOMEM) /* -1: a bad value */
            return tl_err_set(err, TL_ERR_NOMEM, "out of memory (config(%s=...))", a->key);
        if (rc != 0) {
            snprintf(msg, sizeof msg, "config(%s=...): bad value%s", a->key,
                     !strcmp(a->key, "materialized") ? " (view, table or incremental)"
                     : !strcmp(a->key, "incremental_strategy")
                         ? " (append or delete+insert)"
                         : " (a string or a list of strings)");
            return bad(t, line, err, msg);
        }
    }
    t->cfg.line = line;
    return 0;
}

/* One {{ expression }}. */
static int do_output(tl_tpl *t, const tl_texpr *e, int line, tl_err *err) {
    char msg[300];
    seg *s = NULL;
    if (e->negate)
        return bad(t, line, err, "'not' is only supported in {% if not is_incremental() %}");
    if (!strcmp(e->name, "this") && !e->is_call)
        return add_seg(t, SEG_THIS, line, &s) ? tl_err_set(err, TL_ERR_NOMEM, "out of memory") : 0;
    if (!strcmp(e->name, "config") && e->is_call)
        return do_config(t, e, line, err);
    if (!strcmp(e->name, "ref") && e->is_call) {
        if (e->n_args != 1 || !str_arg(e, 0))
            return bad(t, line, err, "ref() takes one model name, e.g. ref('stg_ticks')");
        if (add_seg(t, SEG_REF, line, &s) != 0 ||
            grow((void **)&t->refs, t->n_refs, sizeof *t->refs) != 0 ||
            !(s->a = strdup(str_arg(e, 0))) || !(t->refs[t->n_refs].name = strdup(s->a)))
            return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        t->refs[t->n_refs++].line = line;
        return 0;
    }
    if (!strcmp(e->name, "source") && e->is_call) {
        if (e->n_args != 2 || !str_arg(e, 0) || !str_arg(e, 1))
            return bad(t, line, err,
                       "source() takes a source and a table, e.g. "
                       "source('lake', 'ticks')");
        if (add_seg(t, SEG_SOURCE, line, &s) != 0 ||
            grow((void **)&t->sources, t->n_sources, sizeof *t->sources) != 0)
            return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        tl_tpl_source *src = &t->sources[t->n_sources++];
        src->line = line;
        if (!(s->a = strdup(str_arg(e, 0))) || !(s->b = strdup(str_arg(e, 1))) ||
            !(src->source = strdup(s->a)) || !(src->table = strdup(s->b)))
            return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        return 0;
    }
    if (!strcmp(e->name, "var") && e->is_call) {
        if (e->n_args < 1 || e->n_args > 2 || !str_arg(e, 0) || e->args[e->n_args - 1].key ||
            (e->n_args == 2 &&
             (e->args[1].v.kind == TL_TV_LIST || e->args[1].v.kind == TL_TV_NONE)))
            return bad(t, line, err,
                       "var() takes a name and an optional literal default, e.g. "
                       "var('lookback_minutes', 60)");
        if (add_seg(t, SEG_VAR, line, &s) != 0 || !(s->a = strdup(str_arg(e, 0))) ||
            (e->n_args == 2 && !(s->b = strdup(e->args[1].v.s))))
            return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        return 0;
    }
    if (!strcmp(e->name, "is_incremental"))
        return bad(t, line, err,
                   "is_incremental() is only supported as "
                   "{% if is_incremental() %}");
    snprintf(msg, sizeof msg, "unsupported Jinja '%s%s' (%s)", e->name, e->is_call ? "()" : "",
             supported);
    return bad(t, line, err, msg);
}

/* One {% statement %}; stack holds the indexes of open IF/ELSE segments. */
static int do_stmt(tl_tpl *t, const tl_texpr *e, int line, size_t *stack, size_t *depth,
                   tl_err *err) {
    char msg[300];
    seg *s = NULL;
    if (!strcmp(e->name, "if")) {
        return bad(t, line, err,
                   "only {% if is_incremental() %} (or 'not is_incremental()') is "
                   "supported");
    }
    if (!strcmp(e->name, "else") && !e->is_call && !e->negate) {
        if (*depth == 0 || t->segs[stack[*depth - 1]].kind != SEG_IF)
            return bad(t, line, err, "{% else %} without {% if %}");
        if (add_seg(t, SEG_ELSE, line, &s) != 0)
            return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        t->segs[stack[*depth - 1]].jump = t->n_segs - 1;
        stack[*depth - 1] = t->n_segs - 1;
        return 0;
    }
    if (!strcmp(e->name, "endif") && !e->is_call && !e->negate) {
        if (*depth == 0)
            return bad(t, line, err, "{% endif %} without {% if %}");
        if (add_seg(t, SEG_ENDIF, line, &s) != 0)
            return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        t->segs[stack[--*depth]].jump = t->n_segs - 1;
        return 0;
    }
    snprintf(msg, sizeof msg, "unsupported Jinja statement {%% %s %%} (%s)", e->name, supported);
    return bad(t, line, err, msg);
}

/* "if [not] is_incremental()" — the only condition of the subset. */
static int do_if(tl_tpl *t, const char *body, size_t n, int line, size_t *stack, size_t *depth,
                 tl_err *err) {
    char msg[256];
    tl_texpr e;
    int rc = tl_texpr_parse(body, n, &e, msg, sizeof msg);
    if (rc == TL_TEXPR_NOMEM) { /* not a bad condition: no memory to read it */
        tl_texpr_free(&e);
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory parsing a Jinja condition");
    }
    if (rc != 0 || strcmp(e.name, "is_incremental") != 0 || !e.is_call || e.n_args) {
        tl_texpr_free(&e);
        return bad(t, line, err,
                   "only {% if is_incremental() %} (or 'not is_incremental()') is "
                   "supported");
    }
    seg *s = NULL;
    if (*depth >= 32 || add_seg(t, SEG_IF, line, &s) != 0) {
        tl_texpr_free(&e);
        return *depth >= 32 ? bad(t, line, err, "{% if %} nested too deeply")
                            : tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    }
    s->negate = e.negate;
    stack[(*depth)++] = t->n_segs - 1;
    tl_texpr_free(&e);
    return 0;
}

static int add_text(tl_tpl *t, const char *p, size_t n, int line) {
    if (n == 0)
        return 0;
    seg *s = NULL;
    if (add_seg(t, SEG_TEXT, line, &s) != 0)
        return -1;
    s->text = p;
    s->len = n;
    return 0;
}

static int count_lines(const char *from, const char *to) {
    int n = 0;
    for (; from < to; from++)
        n += *from == '\n';
    return n;
}

/* One tag starting at p ("{{", "{%" or "{#"); *next is set past it. */
static int do_tag(tl_tpl *t, const char *p, int line, const char **next, size_t *stack,
                  size_t *depth, tl_err *err) {
    char kind = p[1];
    const char *close = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
    const char *end = strstr(p + 2, close);
    char msg[300];
    if (!end) {
        snprintf(msg, sizeof msg, "'{%c' without a closing '%s'", kind, close);
        return bad(t, line, err, msg);
    }
    *next = end + 2;
    if (kind == '#')
        return 0;
    const char *body = p + 2, *body_end = end;
    if (body < body_end && *body == '-')
        body++;
    if (body_end > body && body_end[-1] == '-')
        body_end--;
    while (body < body_end && isspace((unsigned char)*body))
        body++;
    if (kind == '%' && body_end - body >= 2 && !strncmp(body, "if", 2) &&
        (body_end - body == 2 || isspace((unsigned char)body[2])))
        return do_if(t, body + 2, (size_t)(body_end - body - 2), line, stack, depth, err);
    tl_texpr e;
    int rc = tl_texpr_parse(body, (size_t)(body_end - body), &e, msg, sizeof msg);
    if (rc == TL_TEXPR_NOMEM) {
        rc = tl_err_set(err, TL_ERR_NOMEM, "out of memory parsing a Jinja expression");
    } else if (rc != 0) {
        char full[600];
        snprintf(full, sizeof full, "unsupported Jinja %s '%.*s': %s (%s)",
                 kind == '{' ? "expression" : "statement",
                 (int)(end - p + 2 > 80 ? 80 : end - p + 2), p, msg, supported);
        rc = bad(t, line, err, full);
    } else {
        rc = kind == '{' ? do_output(t, &e, line, err) : do_stmt(t, &e, line, stack, depth, err);
    }
    tl_texpr_free(&e);
    return rc;
}

static int parse_all(tl_tpl *t, tl_err *err) {
    const char *p = t->text;
    int line = 1, trim_next = 0;
    size_t stack[32], depth = 0;
    while (*p) {
        const char *tag = p;
        while ((tag = strchr(tag, '{')) && tag[1] != '{' && tag[1] != '%' && tag[1] != '#')
            tag++;
        const char *text_end = tag ? tag : p + strlen(p);
        if (trim_next)
            while (p < text_end && isspace((unsigned char)*p))
                line += *p++ == '\n';
        const char *keep_end = text_end;
        if (tag && tag[2] == '-')
            while (keep_end > p && isspace((unsigned char)keep_end[-1]))
                keep_end--;
        if (add_text(t, p, (size_t)(keep_end - p), line) != 0)
            return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
        line += count_lines(p, text_end);
        if (!tag)
            break;
        const char *next = NULL;
        if (do_tag(t, tag, line, &next, stack, &depth, err) != 0)
            return err ? err->code : TL_ERR_INVALID;
        trim_next = next - tag >= 5 && next[-3] == '-';
        line += count_lines(tag, next);
        p = next;
    }
    if (depth > 0)
        return bad(t, t->segs[stack[depth - 1]].line, err, "{% if %} without {% endif %}");
    return 0;
}

int tl_tpl_parse(const char *file, const char *text, tl_tpl **out, tl_err *err) {
    *out = NULL;
    tl_tpl *t = calloc(1, sizeof *t);
    if (!t || !(t->file = strdup(file)) || !(t->text = strdup(text))) {
        tl_tpl_free(t);
        return tl_err_set(err, TL_ERR_NOMEM, "out of memory");
    }
    int rc = parse_all(t, err);
    if (rc != 0) {
        tl_tpl_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void tl_tpl_free(tl_tpl *t) {
    if (!t)
        return;
    for (size_t i = 0; i < t->n_segs; i++) {
        free(t->segs[i].a);
        free(t->segs[i].b);
    }
    for (size_t i = 0; i < t->n_refs; i++)
        free(t->refs[i].name);
    for (size_t i = 0; i < t->n_sources; i++) {
        free(t->sources[i].source);
        free(t->sources[i].table);
    }
    for (size_t i = 0; i < t->cfg.n_unique_key; i++)
        free(t->cfg.unique_key[i]);
    for (size_t i = 0; i < t->cfg.n_tags; i++)
        free(t->cfg.tags[i]);
    free(t->cfg.unique_key);
    free(t->cfg.tags);
    free(t->cfg.materialized);
    free(t->cfg.incremental_strategy);
    free(t->segs);
    free(t->refs);
    free(t->sources);
    free(t->file);
    free(t->text);
    free(t);
}

size_t tl_tpl_num_refs(const tl_tpl *t) {
    return t->n_refs;
}
const tl_tpl_ref *tl_tpl_ref_at(const tl_tpl *t, size_t i) {
    return &t->refs[i];
}
size_t tl_tpl_num_sources(const tl_tpl *t) {
    return t->n_sources;
}
const tl_tpl_source *tl_tpl_source_at(const tl_tpl *t, size_t i) {
    return &t->sources[i];
}
const tl_tpl_config *tl_tpl_config_of(const tl_tpl *t) {
    return &t->cfg;
}

void tl_tpl_quote_ident(tl_buf *out, const char *name) {
    tl_buf_puts(out, "\"");
    for (const char *c = name; *c; c++) {
        if (*c == '"')
            tl_buf_puts(out, "\""); /* doubled below: "" inside an identifier */
        tl_buf_append(out, c, 1);
    }
    tl_buf_puts(out, "\"");
}

static int render_seg(const tl_tpl *t, const seg *s, const tl_tpl_ctx *ctx, tl_buf *out,
                      tl_err *err) {
    const char *v;
    switch (s->kind) {
    case SEG_TEXT: tl_buf_append(out, s->text, s->len); return 0;
    case SEG_REF: tl_tpl_quote_ident(out, s->a); return 0;
    case SEG_THIS:
        if (!ctx->this_name)
            return tl_err_set(err, TL_ERR_INVALID, "%s:%d: {{ this }} outside a model", t->file,
                              s->line);
        tl_tpl_quote_ident(out, ctx->this_name);
        return 0;
    case SEG_SOURCE:
        if (!ctx->source_sql || ctx->source_sql(ctx->ud, s->a, s->b, out) != 0)
            return tl_err_set(err, TL_ERR_INVALID,
                              "%s:%d: unknown source('%s', '%s') (declare it under sources: in a "
                              "models/*.yml file; ticklake provides lake.ticks and "
                              "lake.deadletter)",
                              t->file, s->line, s->a, s->b);
        return 0;
    case SEG_VAR:
        v = ctx->vars ? tl_strmap_get(ctx->vars, s->a) : NULL;
        if (!v)
            v = s->b;
        if (!v)
            return tl_err_set(err, TL_ERR_INVALID,
                              "%s:%d: var('%s') is not set in dbt_project.yml vars: and has no "
                              "default",
                              t->file, s->line, s->a);
        tl_buf_puts(out, v);
        return 0;
    default: return 0;
    }
}

int tl_tpl_render(const tl_tpl *t, const tl_tpl_ctx *ctx, tl_buf *out, tl_err *err) {
    for (size_t i = 0; i < t->n_segs; i++) {
        const seg *s = &t->segs[i];
        if (s->kind == SEG_IF) {
            int cond = ctx->is_incremental ? 1 : 0;
            if (s->negate)
                cond = !cond;
            if (!cond) /* continue after the ELSE, or at the ENDIF */
                i = s->jump;
            continue;
        }
        if (s->kind == SEG_ELSE) { /* reached from the true branch: skip to ENDIF */
            i = s->jump;
            continue;
        }
        int rc = render_seg(t, s, ctx, out, err);
        if (rc != 0)
            return rc;
    }
    /* the segments' appends are checked here, once (tl_buf is sticky): SQL
     * with a piece missing must not reach DuckDB */
    return tl_buf_failed(out) ? tl_err_set(err, TL_ERR_NOMEM, "out of memory rendering SQL") : 0;
}
