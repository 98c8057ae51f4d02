/* Strict UTF-8 validation (RFC 3629): no overlong forms, no surrogates
 * (U+D800..U+DFFF, which a JSON "\udc00" escape decodes to), nothing above
 * U+10FFFF. DuckDB's VARCHAR, Parquet's UTF8 strings and the Delta readers
 * all require this, so the parser checks every string field with it. */
#ifndef TL_UTIL_UTF8_H
#define TL_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the valid UTF-8 sequence at p (1..4, at most n), or 0. */
size_t tl_utf8_seq_len(const unsigned char *p, size_t n);

/* Whether s[0..n) is entirely valid UTF-8. */
bool tl_utf8_valid(const void *s, size_t n);

#endif
