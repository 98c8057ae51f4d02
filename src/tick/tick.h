/* tick — the tick record and its JSON codec.
 *
 * One JSON object per Kafka message or JSONL line:
 *   {"symbol":"AAPL","ts":"2026-11-24T20:15:03.123456Z","price":189.25,
 *    "size":100,"bid":189.24,"ask":189.26,"exchange":"XNAS","seq":42}
 * Prices are exact fixed-point int64 micro-units (6 decimals), parsed from the
 * JSON number's text: no binary floating point anywhere on the path. */
#ifndef TL_TICK_TICK_H
#define TL_TICK_TICK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/rfc3339.h" /* tick times are RFC 3339 */

#define TL_SYMBOL_MAX 12
#define TL_EXCHANGE_MAX 16
/* price, bid and ask are DECIMAL(18,6) in the lake: at most 18 digits. */
#define TL_MONEY_MAX_MICROS 999999999999999999LL
#define TL_MICROS 1000000LL /* one price unit in micro-units */

enum {
    TL_TICK_HAS_SIZE = 1u << 0,
    TL_TICK_HAS_BID = 1u << 1,
    TL_TICK_HAS_ASK = 1u << 2,
    TL_TICK_HAS_EXCHANGE = 1u << 3,
    TL_TICK_HAS_SEQ = 1u << 4,
};

typedef struct tl_tick {
    char symbol[TL_SYMBOL_MAX + 1];     /* NUL-terminated */
    char exchange[TL_EXCHANGE_MAX + 1]; /* NUL-terminated; "" when absent */
    /* TL_TICK_HAS_* bits for the optional fields: one byte in the padding
     * after the strings, so a buffered row takes 112 bytes, not 120 */
    uint8_t has;
    int64_t ts_us;                      /* event time, µs since the Unix epoch, UTC */
    int64_t price;                      /* micro-units */
    int64_t size;
    int64_t bid, ask; /* micro-units */
    int64_t seq;
} tl_tick;

/* Fields beyond the built-in ones (schema evolution): values of the
 * configured extra columns and, in keep mode, the unknown fields as one
 * JSON object. One allocation (free()), made only for a message that has
 * such fields; plain ticks carry NULL. */
typedef enum {
    TL_EXT_STRING,
    TL_EXT_INT64,
    TL_EXT_DECIMAL,   /* micro-units */
    TL_EXT_TIMESTAMP, /* µs */
    TL_EXT_BOOL,
    TL_EXT_LIST, /* list of strings */
} tl_ext_type;

#define TL_EXT_MAX 64 /* extra columns a parser knows */

typedef struct tl_ext_val {
    int64_t i;     /* int64, micro-units, µs, bool 0/1; a list: its element count */
    uint32_t off;  /* string: its bytes in data; list: elements as [u32 len][bytes] */
    uint32_t len;
    bool present;
} tl_ext_val;

typedef struct tl_tick_ext {
    uint32_t nvals;     /* the parser's extra columns, in their order */
    uint32_t extra_off; /* the unknown fields' JSON object in data, when extra_len > 0 */
    uint32_t extra_len;
    tl_ext_val *vals; /* points into this allocation, as data does */
    char *data;
} tl_tick_ext;

/* A tick as the lake stores it: the record plus where and when it came in. */
typedef struct tl_tick_row {
    tl_tick tick;
    tl_tick_ext *ext;      /* owned, NULL for a tick with only built-in fields */
    bool late;             /* behind the watermark when it arrived */
    int32_t src_partition; /* Kafka partition, or -1 for file input */
    int64_t src_offset;    /* Kafka offset, or line number (1-based) for file input */
    int64_t ingest_ts_us;  /* wall clock when the stream accepted it */
} tl_tick_row;

typedef enum { TL_TS_UNIT_S, TL_TS_UNIT_MS, TL_TS_UNIT_US, TL_TS_UNIT_NS } tl_ts_unit;
int tl_ts_unit_parse(const char *name, tl_ts_unit *out); /* "s","ms","us","ns"; 0 ok, -1 bad */

/* The event times a tick may carry: TL_TS_MIN_US..TL_TS_MAX_US of
 * util/rfc3339.h (the years RFC 3339's four digits can write). */

/* An integer epoch in unit -> µs (ns are floored). 0 ok, -1 on overflow or
 * outside TL_TS_MIN_US..TL_TS_MAX_US. */
int tl_ts_from_epoch(int64_t v, tl_ts_unit unit, int64_t *us);

/* Why a record was rejected. The stable code string is what the dead-letter
 * area stores and what users query by. */
typedef enum {
    TL_TICK_OK = 0,
    TL_TICK_NOT_JSON,      /* "not_json" */
    TL_TICK_NOT_OBJECT,    /* "not_object": valid JSON but not an object */
    TL_TICK_TOO_LARGE,     /* "too_large": message longer than max_bytes */
    TL_TICK_MISSING_FIELD, /* "missing_field:<name>" */
    TL_TICK_BAD_TYPE,      /* "bad_type:<name>" (e.g. price given as a string) */
    TL_TICK_BAD_SYMBOL,    /* "bad_symbol" */
    TL_TICK_BAD_TS,        /* "bad_ts" */
    TL_TICK_BAD_PRICE,     /* "bad_price": <= 0, too many decimals, out of range */
    TL_TICK_BAD_SIZE,      /* "bad_size" */
    TL_TICK_BAD_BID,       /* "bad_bid" */
    TL_TICK_BAD_ASK,       /* "bad_ask" */
    TL_TICK_CROSSED_QUOTE, /* "crossed_quote": bid > ask */
    TL_TICK_BAD_EXCHANGE,  /* "bad_exchange" */
    TL_TICK_BAD_SEQ,       /* "bad_seq" */
    TL_TICK_DUP_FIELD,     /* "duplicate_field:<name>" */
    TL_TICK_BAD_UTF8,      /* "bad_utf8:<name>": a string field that is not strict UTF-8 */
    TL_TICK_UNKNOWN_FIELD, /* "unknown_field:<name>" (schema.unknown_fields: deadletter) */
    TL_TICK_REASON_COUNT
} tl_tick_reason;

/* The stable code's stem: "bad_price", "missing_field", "duplicate_field"... */
const char *tl_tick_reason_name(tl_tick_reason reason);

typedef struct tl_tick_error {
    tl_tick_reason reason;
    char code[96]; /* stable code, e.g. "missing_field:price", "bad_type:venue" */
    char msg[160]; /* human message naming the field and value */
} tl_tick_error;

/* A reusable parser (holds the JSON library's handle). One per thread.
 *
 * Rules beyond the field list above:
 *  - JSON null for any field, required or optional, means absent (so
 *    "price":null is missing_field:price).
 *  - A known key given twice is duplicate_field:<name>, even if one is null.
 *  - Integer fields (size, seq, integer ts) must be written as JSON integers:
 *    a fraction or exponent ("1.0", "1e2") is bad_size / bad_seq / bad_ts, as
 *    is a negative or out-of-range value; a string, bool, object or array is
 *    bad_type:<name>. Same for price/bid/ask with bad_price/bad_bid/bad_ask.
 *  - "00.1" is not a JSON number: yajl rejects it, so it is not_json.
 *  - exchange: 0..16 bytes of UTF-8 without NUL.
 *  - Reasons, when several apply: not_json first (the whole message must be
 *    JSON), then not_object, then the first bad field in message order, then
 *    missing fields (symbol, ts, price), then crossed_quote.
 * max_bytes 0 means no limit; longer messages are too_large without parsing.
 * Returns NULL only when out of memory. */
typedef struct tl_tick_parser tl_tick_parser;

tl_tick_parser *tl_tick_parser_new(tl_ts_unit epoch_unit, size_t max_bytes);
void tl_tick_parser_destroy(tl_tick_parser *p);
/* Whether tl_tick_parse tries the fast path (tick/tick_fast.h) before yajl:
 * on by default. Outcomes are the same either way; off is for the
 * differential fuzz target, the tests that run both paths and benchmarks. */
void tl_tick_parser_set_fast(tl_tick_parser *p, bool on);
/* 0 and *out filled, or -1 and *err filled. Never reads past buf+len. */
int tl_tick_parse(tl_tick_parser *p, const char *buf, size_t len, tl_tick *out, tl_tick_error *err);

/* Schema evolution: the extra columns this parser fills (names borrowed,
 * they must outlive the parser; at most TL_EXT_MAX) and what becomes of
 * other unknown top-level fields. A value of the wrong type for an extra
 * column is bad_type:<name> (string: a JSON string; int64: a JSON integer;
 * decimal: a number exact to 6 decimals; timestamp: as ts; bool: true or
 * false; list: an array of strings), null is absent, and a key given twice
 * is duplicate_field:<name>. Unknown fields: kept (raw JSON text, as sent,
 * in the ext's extra object), dropped (counted: tl_tick_parser_dropped),
 * or the record rejected as unknown_field:<name>. By default (never
 * called) unknown fields are ignored, as before. Plain ticks pay nothing:
 * the work starts at the first key that is not built-in. 0, or -1 when n
 * is above TL_EXT_MAX. */
typedef enum { TL_UNKNOWN_IGNORE, TL_UNKNOWN_KEEP, TL_UNKNOWN_DROP, TL_UNKNOWN_DEADLETTER } tl_unknown_mode;
int tl_tick_parser_set_extra(tl_tick_parser *p, const char *const *names, const tl_ext_type *types,
                             size_t n, tl_unknown_mode unknown);
/* After a successful tl_tick_parse: the message's extra values as a new
 * allocation (caller frees), or NULL when it had none. *oom set when the
 * allocation failed (then NULL too). */
tl_tick_ext *tl_tick_parser_take_ext(tl_tick_parser *p, bool *oom);
/* Unknown fields dropped by the last tl_tick_parse (TL_UNKNOWN_DROP). */
size_t tl_tick_parser_dropped(const tl_tick_parser *p);
/* A list value's element k (k < v->i): pointer and length. */
const char *tl_tick_ext_list_item(const tl_tick_ext *x, const tl_ext_val *v, uint32_t *pos,
                                  uint32_t *len);

/* Serialise as one JSON object (no newline), ts as RFC 3339 UTC with µs.
 * Returns the length it needs, like snprintf; writes at most cap bytes. */
size_t tl_tick_format(const tl_tick *t, char *buf, size_t cap);

/* Exact decimal <-> micro-units. Parse accepts JSON number syntax (sign,
 * fraction, exponent) and fails (-1) unless the value is exactly representable
 * with 6 decimals within int64. */
int tl_decimal_parse(const char *s, size_t len, int64_t *micros);
size_t tl_decimal_format(int64_t micros, char *buf, size_t cap); /* "189.25", "0.000001" */
/* A strict JSON integer (-?(0|[1-9][0-9]*), no fraction or exponent) that
 * fits int64. 0 ok, -1 otherwise. */
int tl_integer_parse(const char *s, size_t len, int64_t *out);

#endif
