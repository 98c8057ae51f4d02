/* duck_print: a query result printed as an aligned table, CSV or JSON.
 *
 * All three stream: CSV and JSON write each row as it arrives. The table
 * needs column widths, so it holds back up to TABLE_HOLD_ROWS rows, sizes the
 * columns from them, then prints everything after those rows straight
 * through (a later, wider value pushes its row out of line rather than
 * making ticklake hold a huge result in memory). */
#include "duck/duck_int.h"
#include "util/json_out.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_HOLD_ROWS 10000

typedef struct printer {
    FILE *out;
    tl_err *err;
    int ncols;
    tl_duck_kind *kinds;
    uint64_t rows;
    /* table: names and held-back cells live in arena, located by offs/lens */
    tl_buf arena;
    size_t *name_offs, *widths;
    size_t *cell_offs, *cell_lens; /* TABLE_HOLD_ROWS * ncols; off SIZE_MAX = NULL */
    size_t held;
    int streaming; /* header printed, rows go straight out */
    /* json: the rendered "name": prefixes */
    tl_buf keys;
    size_t *key_offs;
    tl_buf line; /* the row being written */
    tl_duck_format fmt;
} printer;

static void printer_free(printer *p) {
    free(p->kinds);
    free(p->name_offs);
    free(p->widths);
    free(p->cell_offs);
    free(p->cell_lens);
    free(p->key_offs);
    tl_buf_free(&p->arena);
    tl_buf_free(&p->keys);
    tl_buf_free(&p->line);
}

static int nomem(printer *p) {
    return tl_err_set(p->err, TL_ERR_NOMEM, "duck: out of memory printing a result");
}

static int copy_kinds(printer *p, int ncols, const tl_duck_kind *kinds) {
    p->ncols = ncols;
    p->kinds = calloc(ncols ? (size_t)ncols : 1, sizeof *p->kinds);
    if (!p->kinds)
        return nomem(p);
    if (ncols)
        memcpy(p->kinds, kinds, (size_t)ncols * sizeof *kinds);
    return 0;
}

/* Terminal columns taken by s: one per UTF-8 code point. */
static size_t display_width(const char *s, size_t n) {
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

/* ---- table ---------------------------------------------------------------- */

static int table_header(void *ud, int ncols, const char *const *names, const tl_duck_kind *kinds) {
    printer *p = ud;
    size_t n = ncols ? (size_t)ncols : 1;
    if (copy_kinds(p, ncols, kinds) != 0)
        return TL_ERR_NOMEM;
    p->name_offs = calloc(n, sizeof *p->name_offs);
    p->widths = calloc(n, sizeof *p->widths);
    p->cell_offs = calloc(n * TABLE_HOLD_ROWS, sizeof *p->cell_offs);
    p->cell_lens = calloc(n * TABLE_HOLD_ROWS, sizeof *p->cell_lens);
    if (!p->name_offs || !p->widths || !p->cell_offs || !p->cell_lens)
        return nomem(p);
    for (int i = 0; i < ncols; i++) {
        p->name_offs[i] = p->arena.len;
        if (tl_buf_append(&p->arena, names[i], strlen(names[i]) + 1) != 0)
            return nomem(p);
        p->widths[i] = display_width(names[i], strlen(names[i]));
    }
    return 0;
}

static int put_blanks(tl_buf *b, size_t n) {
    if (tl_buf_reserve(b, n) != 0)
        return -1;
    memset(b->data + b->len, ' ', n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static int put_cell(printer *p, int col, const char *s, size_t n) {
    size_t w = display_width(s, n), pad = p->widths[col] > w ? p->widths[col] - w : 0;
    int right = p->kinds[col] == TL_DUCK_KIND_NUMBER;
    int rc = col > 0 ? tl_buf_append(&p->line, " | ", 3) : 0;
    if (rc == 0 && right)
        rc = put_blanks(&p->line, pad);
    if (rc == 0)
        rc = tl_buf_append(&p->line, s, n);
    if (rc == 0 && !right && col + 1 < p->ncols) /* no trailing blanks at the line end */
        rc = put_blanks(&p->line, pad);
    return rc;
}

static int table_line(printer *p, const char *const *values, const size_t *lens) {
    int rc = 0;
    tl_buf_reset(&p->line);
    for (int i = 0; i < p->ncols && rc == 0; i++)
        rc = values[i] ? put_cell(p, i, values[i], lens[i]) : put_cell(p, i, "NULL", 4);
    if (rc == 0)
        rc = tl_buf_append(&p->line, "\n", 1);
    if (rc != 0)
        return nomem(p);
    fwrite(p->line.data, 1, p->line.len, p->out);
    return 0;
}

static int table_start(printer *p) {
    if (p->ncols == 0)
        return 0;
    const char *names[p->ncols];
    size_t lens[p->ncols];
    for (int i = 0; i < p->ncols; i++) {
        names[i] = p->arena.data + p->name_offs[i];
        lens[i] = strlen(names[i]);
    }
    if (table_line(p, names, lens) != 0)
        return TL_ERR_NOMEM;
    for (int i = 0; i < p->ncols; i++) {
        fputs(i ? "-+-" : "", p->out);
        for (size_t k = 0; k < p->widths[i]; k++)
            fputc('-', p->out);
    }
    fputc('\n', p->out);
    return 0;
}

/* Print the header and every held-back row, then switch to streaming. */
static int table_release(printer *p) {
    const char *vals[p->ncols ? p->ncols : 1];
    int rc = table_start(p);
    for (size_t r = 0; r < p->held && rc == 0; r++) {
        size_t *offs = p->cell_offs + r * (size_t)p->ncols;
        for (int i = 0; i < p->ncols; i++)
            vals[i] = offs[i] == SIZE_MAX ? NULL : p->arena.data + offs[i];
        rc = table_line(p, vals, p->cell_lens + r * (size_t)p->ncols);
    }
    p->held = 0;
    p->streaming = 1;
    return rc;
}

static int table_row(void *ud, int ncols, const char *const *values, const size_t *lens) {
    printer *p = ud;
    p->rows++;
    if (p->streaming)
        return table_line(p, values, lens);
    size_t *offs = p->cell_offs + p->held * (size_t)ncols;
    size_t *cl = p->cell_lens + p->held * (size_t)ncols;
    for (int i = 0; i < ncols; i++) {
        const char *v = values[i] ? values[i] : "NULL";
        size_t n = values[i] ? lens[i] : 4, w = display_width(v, n);
        if (w > p->widths[i])
            p->widths[i] = w;
        offs[i] = values[i] ? p->arena.len : SIZE_MAX;
        cl[i] = n;
        if (values[i] && tl_buf_append(&p->arena, v, n + 1) != 0)
            return nomem(p);
    }
    if (++p->held == TABLE_HOLD_ROWS)
        return table_release(p);
    return 0;
}

static int table_end(printer *p) {
    if (!p->streaming && table_release(p) != 0)
        return TL_ERR_NOMEM;
    fprintf(p->out, "(%llu %s)\n", (unsigned long long)p->rows, p->rows == 1 ? "row" : "rows");
    return 0;
}

/* ---- csv ------------------------------------------------------------------ */

static int csv_field(tl_buf *b, const char *s, size_t n) {
    /* "" marks an empty string, so that an empty field can mean NULL */
    int quote = n == 0 || memchr(s, ',', n) || memchr(s, '"', n) || memchr(s, '\n', n) ||
                memchr(s, '\r', n);
    if (!quote)
        return tl_buf_append(b, s, n);
    int rc = tl_buf_append(b, "\"", 1);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = s[i] == '"' ? tl_buf_append(b, "\"\"", 2) : tl_buf_append(b, s + i, 1);
    return rc == 0 ? tl_buf_append(b, "\"", 1) : rc;
}

/* One CSV record; values[i] NULL is an empty field. */
static int csv_line(printer *p, int ncols, const char *const *values, const size_t *lens) {
    int rc = 0;
    tl_buf_reset(&p->line);
    for (int i = 0; i < ncols && rc == 0; i++) {
        if (i)
            rc = tl_buf_append(&p->line, ",", 1);
        if (rc == 0 && values[i])
            rc = csv_field(&p->line, values[i], lens[i]);
    }
    if (rc == 0 && ncols)
        rc = tl_buf_append(&p->line, "\n", 1);
    if (rc != 0)
        return nomem(p);
    fwrite(p->line.data, 1, p->line.len, p->out);
    return 0;
}

static int csv_header(void *ud, int ncols, const char *const *names, const tl_duck_kind *kinds) {
    size_t lens[ncols ? ncols : 1];
    for (int i = 0; i < ncols; i++)
        lens[i] = strlen(names[i]);
    return csv_line(ud, ncols, names, lens);
}

static int csv_row(void *ud, int ncols, const char *const *values, const size_t *lens) {
    printer *p = ud;
    p->rows++;
    return csv_line(p, ncols, values, lens);
}

/* ---- json ----------------------------------------------------------------- */

/* Rows are written as text around tl_buf_json_string, not through the JSON
 * writer: the output's bytes are pinned (test_duck: a newline in a value is
 * \u000a, where yajl_gen writes \n), and the structure is one flat object
 * per row. Numbers are checked with the writer's grammar; DuckDB's inf/nan
 * and anything else that is not a JSON number become strings. */

static int json_header(void *ud, int ncols, const char *const *names, const tl_duck_kind *kinds) {
    printer *p = ud;
    if (copy_kinds(p, ncols, kinds) != 0)
        return TL_ERR_NOMEM;
    p->key_offs = calloc(ncols ? (size_t)ncols + 1 : 1, sizeof *p->key_offs);
    if (!p->key_offs)
        return nomem(p);
    for (int i = 0; i < ncols; i++) {
        p->key_offs[i] = p->keys.len;
        if (tl_buf_json_string(&p->keys, names[i], strlen(names[i])) != 0 ||
            tl_buf_append(&p->keys, ":", 1) != 0)
            return nomem(p);
    }
    p->key_offs[ncols] = p->keys.len;
    return 0;
}

static int json_value(printer *p, int i, const char *v, size_t n) {
    if (!v)
        return tl_buf_puts(&p->line, "null");
    if (p->kinds[i] == TL_DUCK_KIND_BOOL ||
        (p->kinds[i] == TL_DUCK_KIND_NUMBER && tl_json_is_number(v, n)))
        return tl_buf_append(&p->line, v, n);
    return tl_buf_json_string(&p->line, v, n);
}

static int json_row(void *ud, int ncols, const char *const *values, const size_t *lens) {
    printer *p = ud;
    tl_buf_reset(&p->line);
    int rc = tl_buf_puts(&p->line, p->rows ? ",\n{" : "[\n{");
    for (int i = 0; i < ncols && rc == 0; i++) {
        if (i)
            rc = tl_buf_append(&p->line, ",", 1);
        if (rc == 0)
            rc = tl_buf_append(&p->line, p->keys.data + p->key_offs[i],
                               p->key_offs[i + 1] - p->key_offs[i]);
        if (rc == 0)
            rc = json_value(p, i, values[i], lens[i]);
    }
    if (rc == 0)
        rc = tl_buf_append(&p->line, "}", 1);
    if (rc != 0)
        return nomem(p);
    fwrite(p->line.data, 1, p->line.len, p->out);
    p->rows++;
    return 0;
}

static void json_end(printer *p) {
    fputs(p->rows ? "\n]\n" : "[]\n", p->out);
}

/* ---- entry ---------------------------------------------------------------- */

static tl_duck_sink sink_for(printer *p) {
    switch (p->fmt) {
    case TL_DUCK_FMT_TABLE: return (tl_duck_sink){table_header, table_row, p};
    case TL_DUCK_FMT_CSV: return (tl_duck_sink){csv_header, csv_row, p};
    case TL_DUCK_FMT_JSON: return (tl_duck_sink){json_header, json_row, p};
    }
    return (tl_duck_sink){NULL, NULL, p};
}

static int print_end(printer *p) {
    if (p->fmt == TL_DUCK_FMT_TABLE)
        return table_end(p);
    if (p->fmt == TL_DUCK_FMT_JSON)
        json_end(p);
    return 0;
}

/* Between the statements of a script: a fresh printer per result, a blank
 * line between two tables or two CSV blocks (JSON: one array per line run). */
static int each_statement(void *ud, size_t i, bool end) {
    printer *p = ud;
    if (end)
        return print_end(p);
    FILE *out = p->out;
    tl_err *err = p->err;
    tl_duck_format fmt = p->fmt;
    printer_free(p);
    *p = (printer){.out = out, .err = err, .fmt = fmt};
    if (i > 0 && fmt != TL_DUCK_FMT_JSON)
        fputc('\n', out);
    return 0;
}

static int print(tl_duck *d, const char *sql, tl_duck_format fmt, bool all, FILE *out,
                 tl_err *err) {
    if (!d || !sql || !out)
        return tl_err_set(err, TL_ERR_INVALID, "duck: query_print needs a handle, SQL and output");
    if (fmt != TL_DUCK_FMT_TABLE && fmt != TL_DUCK_FMT_CSV && fmt != TL_DUCK_FMT_JSON)
        return tl_err_set(err, TL_ERR_INVALID, "duck: unknown output format %d", (int)fmt);
    printer p = {.out = out, .err = err, .fmt = fmt};
    tl_duck_sink sink = sink_for(&p);
    int rc = all ? tl_duck__stream_all(d, sql, &sink, each_statement, err)
                 : tl_duck__stream(d, sql, &sink, err);
    if (rc == 0 && !all)
        rc = print_end(&p);
    printer_free(&p);
    if (rc == 0 && (fflush(out) != 0 || ferror(out)))
        rc = tl_err_set(err, TL_ERR_IO, "duck: cannot write the query result");
    return rc;
}

int tl_duck_query_print(tl_duck *d, const char *sql, tl_duck_format fmt, FILE *out, tl_err *err) {
    return print(d, sql, fmt, false, out, err);
}

int tl_duck_query_print_all(tl_duck *d, const char *sql, tl_duck_format fmt, FILE *out,
                            tl_err *err) {
    return print(d, sql, fmt, true, out, err);
}
