#include "util/json_out.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "util/utf8.h"

/* yajl checks little of the structure (its map_close closes an array too,
 * and a string in key position of an array is just a value), so the writer
 * keeps its own stack. */
enum { IN_ARRAY, IN_OBJECT_KEY, IN_OBJECT_VALUE };

struct tl_json {
    yajl_gen g;
    tl_buf *out;
    int status;       /* sticky: 0 or the first error */
    const char *what; /* the first error, for tl_json_finish */
    bool oom;         /* the print callback could not grow out */
    bool complete;    /* a whole top-level value has been written */
    int depth;
    unsigned char level[TL_JSON_MAX_DEPTH];
    tl_buf scratch; /* a string with invalid UTF-8, repaired */
};

/* yajl prints every separator, quote and value as its own call (some 60 per
 * tick object), so the common case — room in out — is inlined here rather
 * than a call to tl_buf_append and memcpy each time. */
static void print_cb(void *ctx, const char *s, size_t n) {
    tl_json *j = ctx;
    tl_buf *b = j->out;
    if (b->len + n < b->cap && !b->failed) { /* room for the bytes and the NUL; a buffer
                                               that already failed takes nothing more */
        char *d = b->data + b->len;
        if (n == 1)
            d[0] = s[0];
        else
            memcpy(d, s, n);
        d[n] = '\0';
        b->len += n;
    } else if (!j->oom && tl_buf_append(b, s, n) != 0) {
        j->oom = true; /* yajl's print callback cannot fail; checked after each call */
    }
}

static tl_json *json_new(tl_buf *out, bool pretty) {
    tl_json *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->out = out;
    j->g = yajl_gen_alloc(NULL);
    if (!j->g || !yajl_gen_config(j->g, yajl_gen_print_callback, print_cb, j) ||
        (pretty && (!yajl_gen_config(j->g, yajl_gen_beautify, 1) ||
                    !yajl_gen_config(j->g, yajl_gen_indent_string, "  ")))) {
        tl_json_free(j);
        return NULL;
    }
    return j;
}

tl_json *tl_json_new(tl_buf *out) {
    return json_new(out, false);
}

tl_json *tl_json_new_pretty(tl_buf *out) {
    return json_new(out, true);
}

void tl_json_free(tl_json *j) {
    if (!j)
        return;
    if (j->g)
        yajl_gen_free(j->g);
    tl_buf_free(&j->scratch);
    free(j);
}

static int fail(tl_json *j, int code, const char *what) {
    if (!j->status) {
        j->status = code;
        j->what = what;
    }
    return j->status;
}

/* Whether a value may be written here; the state is updated by after_value. */
static int check_value(tl_json *j) {
    if (j->status)
        return j->status;
    if (j->depth == 0 && j->complete)
        return fail(j, TL_ERR_INVALID, "a second top-level value without tl_json_end_line");
    if (j->depth > 0 && j->level[j->depth - 1] == IN_OBJECT_KEY)
        return fail(j, TL_ERR_INVALID, "a value where an object expects a key");
    return 0;
}

static void after_value(tl_json *j) {
    if (j->depth == 0)
        j->complete = true;
    else if (j->level[j->depth - 1] == IN_OBJECT_VALUE)
        j->level[j->depth - 1] = IN_OBJECT_KEY;
}

/* Map yajl's status and the callback's out-of-memory onto the sticky code. */
static int done(tl_json *j, yajl_gen_status st) {
    if (j->oom)
        return fail(j, TL_ERR_NOMEM, "out of memory");
    if (st != yajl_gen_status_ok)
        return fail(j, TL_ERR_INVALID, "yajl rejected the value");
    return 0;
}

static int emit_value(tl_json *j, yajl_gen_status st) {
    int rc = done(j, st);
    if (rc == 0)
        after_value(j);
    return rc;
}

static int open_container(tl_json *j, bool object) {
    int rc = check_value(j);
    if (rc)
        return rc;
    if (j->depth == TL_JSON_MAX_DEPTH)
        return fail(j, TL_ERR_INVALID, "nested deeper than TL_JSON_MAX_DEPTH");
    rc = done(j, object ? yajl_gen_map_open(j->g) : yajl_gen_array_open(j->g));
    if (rc)
        return rc;
    j->level[j->depth++] = object ? IN_OBJECT_KEY : IN_ARRAY;
    return 0;
}

static int close_container(tl_json *j, bool object) {
    if (j->status)
        return j->status;
    if (j->depth == 0)
        return fail(j, TL_ERR_INVALID, "a close without an open");
    int lv = j->level[j->depth - 1];
    if (object ? lv != IN_OBJECT_KEY : lv != IN_ARRAY)
        return fail(j, TL_ERR_INVALID,
                    lv == IN_OBJECT_VALUE ? "an object closed after a key without its value"
                                          : "a close that does not match its open");
    int rc = done(j, object ? yajl_gen_map_close(j->g) : yajl_gen_array_close(j->g));
    if (rc)
        return rc;
    j->depth--;
    after_value(j);
    return 0;
}

int tl_json_obj_begin(tl_json *j) {
    return open_container(j, true);
}
int tl_json_obj_end(tl_json *j) {
    return close_container(j, true);
}
int tl_json_arr_begin(tl_json *j) {
    return open_container(j, false);
}
int tl_json_arr_end(tl_json *j) {
    return close_container(j, false);
}

/* s with every byte that does not start a valid UTF-8 sequence replaced by
 * the character U+00XX (two bytes), so yajl only ever sees valid UTF-8. */
static int repair_utf8(tl_json *j, const unsigned char *s, size_t n, const char **out) {
    tl_buf_reset(&j->scratch);
    for (size_t i = 0; i < n;) {
        size_t sl = tl_utf8_seq_len(s + i, n - i);
        if (sl) {
            if (tl_buf_append(&j->scratch, s + i, sl))
                return fail(j, TL_ERR_NOMEM, "out of memory");
            i += sl;
            continue;
        }
        char two[2] = {(char)(0xC0 | (s[i] >> 6)), (char)(0x80 | (s[i] & 0x3F))};
        if (tl_buf_append(&j->scratch, two, 2))
            return fail(j, TL_ERR_NOMEM, "out of memory");
        i++;
    }
    *out = j->scratch.data ? j->scratch.data : "";
    return 0;
}

static int gen_string(tl_json *j, const char *s, size_t n) {
    if (!tl_utf8_valid(s, n)) {
        int rc = repair_utf8(j, (const unsigned char *)s, n, &s);
        if (rc)
            return rc;
        n = j->scratch.len;
    }
    return done(j, yajl_gen_string(j->g, (const unsigned char *)s, n));
}

int tl_json_key(tl_json *j, const char *key) {
    if (j->status)
        return j->status;
    if (j->depth == 0 || j->level[j->depth - 1] != IN_OBJECT_KEY)
        return fail(j, TL_ERR_INVALID, "a key outside an object or twice in a row");
    if (!key)
        return fail(j, TL_ERR_INVALID, "a NULL key");
    int rc = gen_string(j, key, strlen(key));
    if (rc == 0)
        j->level[j->depth - 1] = IN_OBJECT_VALUE;
    return rc;
}

int tl_json_strn(tl_json *j, const char *s, size_t n) {
    if (!s)
        return tl_json_null(j);
    int rc = check_value(j);
    if (rc == 0 && (rc = gen_string(j, s, n)) == 0)
        after_value(j);
    return rc;
}

int tl_json_str(tl_json *j, const char *s) {
    return s ? tl_json_strn(j, s, strlen(s)) : tl_json_null(j);
}

/* A number already in JSON syntax, written through yajl_gen_number. */
static int raw_number(tl_json *j, const char *s, size_t n) {
    int rc = check_value(j);
    return rc ? rc : emit_value(j, yajl_gen_number(j->g, s, n));
}

/* Decimal digits of v written backwards, ending at end; returns the first.
 * By hand, not snprintf: the live JSON and the tick encoder write several
 * numbers per tick or symbol, and printf's parsing cost more than the rest. */
static char *digits_back(char *end, uint64_t v) {
    char *p = end;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return p;
}

static uint64_t magnitude(int64_t v) {
    return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

int tl_json_int(tl_json *j, int64_t v) {
    char num[24], *end = num + sizeof num, *p = digits_back(end, magnitude(v));
    if (v < 0)
        *--p = '-';
    return raw_number(j, p, (size_t)(end - p));
}

int tl_json_uint(tl_json *j, uint64_t v) {
    char num[24], *end = num + sizeof num, *p = digits_back(end, v);
    return raw_number(j, p, (size_t)(end - p));
}

/* v / 10^decimals with exactly `decimals` digits after the point (all of
 * them kept when pad, else trailing zeros and a bare point dropped). */
static int fixed_number(tl_json *j, int64_t v, int decimals, bool pad) {
    if (decimals < 0 || decimals > 18)
        return check_value(j) ? j->status : fail(j, TL_ERR_INVALID, "decimals outside 0..18");
    uint64_t mag = magnitude(v), scale = 1;
    for (int i = 0; i < decimals; i++)
        scale *= 10;
    char num[48], *end = num + sizeof num, *p = end;
    if (decimals > 0) {
        uint64_t frac = mag % scale;
        int keep = decimals;
        if (!pad)
            for (; keep > 0 && frac % 10 == 0; keep--)
                frac /= 10;
        if (keep > 0) {
            for (int i = 0; i < keep; i++, frac /= 10)
                *--p = (char)('0' + frac % 10);
            *--p = '.';
        }
    }
    p = digits_back(p, mag / scale);
    if (v < 0)
        *--p = '-';
    return raw_number(j, p, (size_t)(end - p));
}

int tl_json_fixed(tl_json *j, int64_t v, int decimals) {
    return fixed_number(j, v, decimals, false);
}

int tl_json_fixed_places(tl_json *j, int64_t v, int decimals) {
    return fixed_number(j, v, decimals, true);
}

int tl_json_micros(tl_json *j, int64_t micros) {
    return tl_json_fixed(j, micros, 6);
}

int tl_json_double(tl_json *j, double v) {
    if (!isfinite(v))
        return check_value(j) ? j->status : fail(j, TL_ERR_INVALID, "a NaN or infinity");
    char num[32];
    int n = 0;
    v = v == 0 ? 0.0 : v; /* -0 as 0 (-0.0 == 0) */
    for (int prec = 15; prec <= 17; prec++) { /* the shortest that reads back exactly */
        n = snprintf(num, sizeof num, "%.*g", prec, v);
        if (strtod(num, NULL) == v)
            break;
    }
    return raw_number(j, num, (size_t)n);
}

int tl_json_double_places(tl_json *j, double v, int places) {
    if (!isfinite(v) || places < 0 || places > 17)
        return check_value(j) ? j->status
                              : fail(j, TL_ERR_INVALID, "a NaN, infinity or bad places");
    char num[352]; /* %.17f of the largest double */
    int n = snprintf(num, sizeof num, "%.*f", places, v);
    /* never "-0.00": a negative that rounds to zero at these places (or -0)
     * is written as zero */
    if (num[0] == '-' && strspn(num + 1, "0.") == (size_t)n - 1)
        return raw_number(j, num + 1, (size_t)n - 1);
    return raw_number(j, num, (size_t)n);
}

int tl_json_bool(tl_json *j, bool v) {
    int rc = check_value(j);
    return rc ? rc : emit_value(j, yajl_gen_bool(j->g, v));
}

int tl_json_null(tl_json *j) {
    int rc = check_value(j);
    return rc ? rc : emit_value(j, yajl_gen_null(j->g));
}

static size_t digits(const char *s, size_t i, size_t n) {
    size_t k = i;
    while (k < n && s[k] >= '0' && s[k] <= '9')
        k++;
    return k - i;
}

/* RFC 8259 section 6: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
bool tl_json_is_number(const char *s, size_t n) {
    size_t i = 0, d;
    if (i < n && s[i] == '-')
        i++;
    if ((d = digits(s, i, n)) == 0 || (d > 1 && s[i] == '0'))
        return false;
    i += d;
    if (i < n && s[i] == '.') {
        if ((d = digits(s, ++i, n)) == 0)
            return false;
        i += d;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if ((d = digits(s, i, n)) == 0)
            return false;
        i += d;
    }
    return i == n;
}

int tl_json_number(tl_json *j, const char *num, size_t n) {
    if (!num || !tl_json_is_number(num, n))
        return check_value(j) ? j->status : fail(j, TL_ERR_INVALID, "not a JSON number");
    return raw_number(j, num, n);
}

int tl_json_kv_str(tl_json *j, const char *key, const char *s) {
    int rc = tl_json_key(j, key);
    return rc ? rc : tl_json_str(j, s);
}

int tl_json_kv_int(tl_json *j, const char *key, int64_t v) {
    int rc = tl_json_key(j, key);
    return rc ? rc : tl_json_int(j, v);
}

int tl_json_kv_bool(tl_json *j, const char *key, bool v) {
    int rc = tl_json_key(j, key);
    return rc ? rc : tl_json_bool(j, v);
}

int tl_json_kv_uint(tl_json *j, const char *key, uint64_t v) {
    int rc = tl_json_key(j, key);
    return rc ? rc : tl_json_uint(j, v);
}

int tl_json_kv_micros(tl_json *j, const char *key, int64_t micros) {
    int rc = tl_json_key(j, key);
    return rc ? rc : tl_json_micros(j, micros);
}

int tl_json_kv_null(tl_json *j, const char *key) {
    int rc = tl_json_key(j, key);
    return rc ? rc : tl_json_null(j);
}

int tl_json_end_line(tl_json *j) {
    if (j->status)
        return j->status;
    if (!j->complete || j->depth != 0)
        return fail(j, TL_ERR_INVALID, "a line ended before its value was complete");
    yajl_gen_reset(j->g, "\n");
    j->complete = false;
    return done(j, yajl_gen_status_ok);
}

void tl_json_reset(tl_json *j) {
    yajl_gen_reset(j->g, NULL);
    j->status = 0;
    j->what = NULL;
    j->oom = false;
    j->complete = false;
    j->depth = 0;
}

int tl_json_status(const tl_json *j) {
    return j->status;
}

int tl_json_finish(tl_json *j, tl_err *err) {
    if (!j->status && j->depth != 0)
        fail(j, TL_ERR_INVALID, "an object or array left open");
    if (j->status)
        return tl_err_set(err, j->status, "JSON writer: %s", j->what);
    return 0;
}

int tl_json_doc(tl_buf *out, tl_json_write_fn write, void *ud, tl_err *err) {
    size_t start = out->len;
    tl_json *j = tl_json_new(out);
    int rc = j ? write(j, ud) : tl_err_set(err, TL_ERR_NOMEM, "JSON writer: out of memory");
    if (j && (rc == 0 || rc == tl_json_status(j)))
        rc = tl_json_finish(j, err); /* the writer's failure: its code and message */
    tl_json_free(j);
    if (rc != 0 && out->data) { /* cut back to the text before, still NUL-terminated */
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}
