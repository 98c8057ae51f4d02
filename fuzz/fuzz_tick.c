/* libFuzzer target for the tick codec: parse any bytes; when accepted, format
 * the tick, parse that again and abort unless the same tick comes back. The
 * parser is reused across inputs, as the stream does. Also checks that every
 * rejection carries a code and a message, and that the exact decimal and
 * RFC 3339 parsers round-trip whatever they accept. */
#include "tick/tick.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(bool ok, const char *what, const uint8_t *data, size_t size) {
    if (ok)
        return;
    fprintf(stderr, "fuzz_tick: %s for input of %zu bytes: %.*s\n", what, size, (int)size,
            (const char *)data);
    abort();
}

static bool same_tick(const tl_tick *a, const tl_tick *b) {
    return strcmp(a->symbol, b->symbol) == 0 && strcmp(a->exchange, b->exchange) == 0 &&
           a->ts_us == b->ts_us && a->price == b->price && a->has == b->has && a->size == b->size &&
           a->bid == b->bid && a->ask == b->ask && a->seq == b->seq;
}

/* The sub-parsers on the raw bytes: accept => format => parse gives the value back. */
static void fuzz_scalars(const uint8_t *data, size_t size) {
    char buf[64];
    int64_t v, back;
    if (tl_decimal_parse((const char *)data, size, &v) == 0) {
        size_t n = tl_decimal_format(v, buf, sizeof buf);
        check(n < sizeof buf && tl_decimal_parse(buf, n, &back) == 0 && back == v,
              "decimal round trip", data, size);
    }
    if (tl_rfc3339_parse((const char *)data, size, &v) == 0) {
        size_t n = tl_rfc3339_format(v, buf, sizeof buf);
        check(n < sizeof buf && tl_rfc3339_parse(buf, n, &back) == 0 && back == v,
              "rfc3339 round trip", data, size);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static tl_tick_parser *p;
    if (!p && !(p = tl_tick_parser_new(TL_TS_UNIT_MS, 1 << 16)))
        abort();
    fuzz_scalars(data, size);

    tl_tick t, back;
    tl_tick_error e;
    if (tl_tick_parse(p, (const char *)data, size, &t, &e) != 0) {
        check(e.reason != TL_TICK_OK && e.code[0] && e.msg[0], "rejection without a reason", data,
              size);
        return 0;
    }
    check(e.reason == TL_TICK_OK, "accepted with a reason", data, size);
    char out[512];
    size_t n = tl_tick_format(&t, out, sizeof out);
    check(n < sizeof out, "formatted tick too long", data, size);
    if (tl_tick_parse(p, out, n, &back, &e) != 0) {
        fprintf(stderr, "re-parse of %s failed: %s %s\n", out, e.code, e.msg);
        abort();
    }
    check(same_tick(&t, &back), "round trip changed the tick", data, size);
    return 0;
}
