/* A small JSON writer on yajl_gen: every JSON document ticklake writes (Delta
 * actions, run results, dead letters, counters, stats) goes through it, so
 * escaping, commas and nesting live in one place instead of in string
 * concatenation at each site.
 *
 * Output is appended to a caller-owned tl_buf, which must outlive the writer.
 * yajl does the formatting and string escaping (quotes, backslash, control
 * characters as \uXXXX); the writer adds what yajl does not check: that keys
 * and values alternate inside objects, that a close matches its open, that a
 * raw number is a JSON number, and that strings are valid UTF-8 (a byte that
 * is not is written as the character U+00XX, as tl_buf_json_string does, so
 * the output is always valid JSON).
 *
 * Errors are sticky: the first failure (TL_ERR_INVALID for misuse,
 * TL_ERR_NOMEM) is returned by that call and by every later one, which then
 * write nothing; so a site may chain calls and check once with
 * tl_json_finish(). Not thread-safe: one writer per thread. */
#ifndef TL_UTIL_JSON_OUT_H
#define TL_UTIL_JSON_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

#define TL_JSON_MAX_DEPTH 64

typedef struct tl_json tl_json;

/* A writer appending to out (not owned). NULL when out of memory. */
tl_json *tl_json_new(tl_buf *out);
/* The same, indenting by two spaces with one member or element per line and
 * "key": value, for files people read (run_results.json). */
tl_json *tl_json_new_pretty(tl_buf *out);
void tl_json_free(tl_json *j);

int tl_json_obj_begin(tl_json *j);
int tl_json_obj_end(tl_json *j);
int tl_json_arr_begin(tl_json *j);
int tl_json_arr_end(tl_json *j);
/* The next member's name; only where an object expects one. */
int tl_json_key(tl_json *j, const char *key);

int tl_json_str(tl_json *j, const char *s); /* NULL writes null */
int tl_json_strn(tl_json *j, const char *s, size_t n);
int tl_json_int(tl_json *j, int64_t v);
int tl_json_uint(tl_json *j, uint64_t v);
/* The exact decimal v / 10^decimals (decimals 0..18) in its shortest form:
 * (1234, 3) -> 1.234, (1500, 3) -> 1.5, (2000, 3) -> 2. For durations kept
 * as integers (milliseconds from microseconds: decimals 3). */
int tl_json_fixed(tl_json *j, int64_t v, int decimals);
/* The same with all `decimals` digits kept, as printf's %.Nf would print
 * v / 10^N: (1000, 2) -> 10.00, (-5, 2) -> -0.05. For figures the page shows
 * as they come (a change in percent to the hundredth). */
int tl_json_fixed_places(tl_json *j, int64_t v, int decimals);
/* Exact fixed-point micro-units as the shortest decimal: 189250000 -> 189.25
 * (tl_json_fixed with 6 decimals). */
int tl_json_micros(tl_json *j, int64_t micros);
/* A finite double in the shortest form that reads back equal; NaN and
 * infinities are not JSON and fail with TL_ERR_INVALID. */
int tl_json_double(tl_json *j, double v);
/* A finite double rounded to `places` decimals (printf's %.Nf; never "-0.00":
 * a negative that rounds to zero is written as 0.00), for
 * rates and averages whose precision is a display choice, not a fact. */
int tl_json_double_places(tl_json *j, double v, int places);
int tl_json_bool(tl_json *j, bool v);
int tl_json_null(tl_json *j);
/* A number given as text (from DuckDB or a Parquet statistic), checked
 * against JSON's number grammar. */
int tl_json_number(tl_json *j, const char *num, size_t n);
/* Whether num[0..n) is a number in JSON's grammar (RFC 8259 section 6). */
bool tl_json_is_number(const char *num, size_t n);

/* Key-value shorthands for object members. */
int tl_json_kv_str(tl_json *j, const char *key, const char *s);
int tl_json_kv_int(tl_json *j, const char *key, int64_t v);
int tl_json_kv_bool(tl_json *j, const char *key, bool v);
int tl_json_kv_uint(tl_json *j, const char *key, uint64_t v);
int tl_json_kv_micros(tl_json *j, const char *key, int64_t micros);
int tl_json_kv_null(tl_json *j, const char *key);

/* End the complete top-level value with "\n" and start a new one: for
 * newline-delimited JSON (a Delta commit, the dead-letter file). */
int tl_json_end_line(tl_json *j);

/* Forget everything written and any error, to write a new document with the
 * same writer (what was appended to out stays: the caller resets out). For
 * hot loops that would otherwise allocate a writer per message. */
void tl_json_reset(tl_json *j);

/* One complete document appended to out: a writer on out, write(j, ud),
 * tl_json_finish. On any failure out is cut back to its length before the
 * call (never half a document) and the code returned. err gets the writer's
 * failures; a write that fails for a reason of its own (a query) returns its
 * code and reports it through ud. */
typedef int (*tl_json_write_fn)(tl_json *j, void *ud);
int tl_json_doc(tl_buf *out, tl_json_write_fn write, void *ud, tl_err *err);

/* The sticky status: 0 or the first error's code. */
int tl_json_status(const tl_json *j);

/* 0 if no call failed and every object and array is closed; else the code,
 * with err set to what went wrong. */
int tl_json_finish(tl_json *j, tl_err *err);

#endif
