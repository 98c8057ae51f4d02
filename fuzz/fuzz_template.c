/* libFuzzer target: the models' Jinja subset (tl_tpl_parse, tl_tpl_render)
 * on any text, rendered with a fixed small context: two vars, the sources
 * lake.ticks and lake.deadletter, {{ this }} = "fuzz_model", both with and
 * without is_incremental.
 *
 * Must never crash or leak. Besides:
 *  - a rejected template gets no tl_tpl and a message naming file:line;
 *  - refs and sources found at parse time have names, and lines within the
 *    text; config() values are among the documented ones;
 *  - rendering fails only with a message naming the file (an unknown var
 *    without default, an unknown source) and is deterministic;
 *  - text with no '{' renders as itself;
 *  - a template without "{%" renders the same whatever is_incremental says. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/template.h"
#include "util/strmap.h"

#define FILE_NAME "models/fuzz.sql"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what, const char *text) {
    if (ok)
        return;
    fprintf(stderr, "fuzz_template: %s\n--- template ---\n%s\n---\n", what, text);
    abort();
}

static int source_sql(void *ud, const char *src, const char *table, tl_buf *out) {
    (void)ud;
    if (strcmp(src, "lake") != 0 || (strcmp(table, "ticks") != 0 && strcmp(table, "deadletter")))
        return -1;
    return tl_buf_printf(out, "lake_%s", table);
}

static int one_of(const char *v, const char *const *allowed) {
    for (; *allowed; allowed++)
        if (strcmp(v, *allowed) == 0)
            return 1;
    return 0;
}

/* Renders t; NULL on a render error (checked to name the file). */
static char *render(const tl_tpl *t, const tl_strmap *vars, int incremental, const char *text) {
    tl_tpl_ctx ctx = {incremental, "fuzz_model", vars, source_sql, NULL};
    tl_buf out = TL_BUF_INIT;
    tl_err err = {0};
    if (tl_tpl_render(t, &ctx, &out, &err) != 0) {
        check(strncmp(err.msg, FILE_NAME ":", strlen(FILE_NAME) + 1) == 0,
              "render error without file:line", text);
        tl_buf_free(&out);
        return NULL;
    }
    tl_buf_puts(&out, "");
    check(out.data != NULL, "render gave no buffer", text);
    return out.data;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static tl_strmap *vars;
    if (!vars) {
        vars = tl_strmap_new(NULL);
        if (!vars || tl_strmap_put(vars, "lookback_minutes", (void *)"60") ||
            tl_strmap_put(vars, "start", (void *)"'2026-11-24'"))
            abort();
    }
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    size_t len = strlen(text); /* a NUL ends the text, as in a C string read from a file */
    int lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';

    tl_tpl *t = (tl_tpl *)0x1;
    tl_err err = {0};
    if (tl_tpl_parse(FILE_NAME, text, &t, &err) != 0) {
        check(t == NULL, "failed parse left a template", text);
        check(strncmp(err.msg, FILE_NAME ":", strlen(FILE_NAME) + 1) == 0 ||
                  strstr(err.msg, "out of memory"),
              "parse error without file:line", text);
        free(text);
        return 0;
    }
    check(t != NULL, "parse succeeded without a template", text);

    for (size_t i = 0; i < tl_tpl_num_refs(t); i++) {
        const tl_tpl_ref *r = tl_tpl_ref_at(t, i);
        check(r->name && r->line >= 1 && r->line <= lines, "ref without name or line", text);
    }
    for (size_t i = 0; i < tl_tpl_num_sources(t); i++) {
        const tl_tpl_source *s = tl_tpl_source_at(t, i);
        check(s->source && s->table && s->line >= 1 && s->line <= lines, "bad source", text);
    }
    const tl_tpl_config *c = tl_tpl_config_of(t);
    static const char *const mats[] = {"view", "table", "incremental", NULL};
    static const char *const strategies[] = {"append", "delete+insert", NULL};
    check(!c->materialized || one_of(c->materialized, mats), "materialized", text);
    check(!c->incremental_strategy || one_of(c->incremental_strategy, strategies), "strategy",
          text);
    for (size_t i = 0; i < c->n_unique_key; i++)
        check(c->unique_key[i] != NULL, "unique_key item NULL", text);
    for (size_t i = 0; i < c->n_tags; i++)
        check(c->tags[i] != NULL, "tag NULL", text);
    check(c->line >= 0 && c->line <= lines, "config line", text);

    char *full = render(t, vars, 1, text), *plain = render(t, vars, 0, text);
    char *again = render(t, vars, 1, text);
    check((full == NULL) == (again == NULL) && (!full || strcmp(full, again) == 0),
          "rendering is not deterministic", text);
    if (!strchr(text, '{'))
        check(full && plain && strcmp(full, text) == 0 && strcmp(plain, text) == 0,
              "plain text changed by rendering", text);
    if (!strstr(text, "{%"))
        check((full == NULL) == (plain == NULL) && (!full || strcmp(full, plain) == 0),
              "is_incremental changed a template without {%", text);
    free(full);
    free(plain);
    free(again);
    tl_tpl_free(t);
    free(text);
    return 0;
}
