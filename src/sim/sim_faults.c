/* Faults: parsing --faults, and the malformed messages a `bad` fault sends.
 * Each bad message is one of several kinds a broken producer emits, so every
 * rejection path of the stream gets exercised. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_int.h"
#include "util/json_out.h"

static int set_fault(tl_sim_faults *f, const char *name, size_t n, double v) {
    if (n == 3 && !strncmp(name, "bad", 3))
        f->bad = v;
    else if (n == 4 && !strncmp(name, "late", 4))
        f->late = v;
    else if (n == 3 && !strncmp(name, "dup", 3))
        f->dup = v;
    else if (n == 3 && !strncmp(name, "ooo", 3))
        f->ooo = v;
    else
        return -1;
    return 0;
}

int tl_sim_faults_parse(const char *s, tl_sim_faults *out, tl_err *err) {
    memset(out, 0, sizeof *out);
    const char *p = s ? s : "";
    while (*p) {
        /* One kind=probability item; an empty item (",," or a trailing comma) fails. */
        const char *end = p + strcspn(p, ",");
        const char *eq = memchr(p, '=', (size_t)(end - p));
        char *num_end;
        double v = eq ? strtod(eq + 1, &num_end) : 0;
        if (!eq || num_end != end || eq + 1 == end || !(v >= 0 && v <= 1) ||
            set_fault(out, p, (size_t)(eq - p), v) < 0)
            return tl_err_set(err, TL_ERR_INVALID,
                              "--faults %s: expected kind=probability pairs separated by commas, "
                              "kinds bad, late, dup, ooo, probabilities from 0 to 1 "
                              "(e.g. bad=0.01,dup=0.02)",
                              s);
        if (!*end)
            break;
        p = end + 1;
        if (!*p)
            return tl_err_set(err, TL_ERR_INVALID, "--faults %s: trailing comma", s);
    }
    if (out->bad + out->late + out->dup + out->ooo > 1.0)
        return tl_err_set(err, TL_ERR_INVALID,
                          "--faults %s: the probabilities add up to more than 1", s);
    return 0;
}

enum {
    BAD_TRUNCATED,
    BAD_NOT_JSON,
    BAD_NOT_OBJECT,
    BAD_MISSING_PRICE,
    BAD_NEGATIVE_PRICE,
    BAD_SYMBOL,
    BAD_CROSSED,
    BAD_PRICE_STRING,
    BAD_TS,
    BAD_SIZE,
    BAD_KINDS
};

/* A tick object as a broken producer writes it: the fields in the order of
 * tl_tick_format, each value as given (a bad symbol, a ts that is no time, a
 * negative number), the price left out or quoted as text. */
typedef enum { PRICE_NUMBER, PRICE_MISSING, PRICE_TEXT } price_form;

typedef struct spoiled {
    const char *symbol, *ts;
    price_form form;
    int64_t price, size;
    bool quote;
    int64_t bid, ask;
    const char *exchange;
    int64_t seq;
} spoiled;

static int spoiled_doc(tl_json *j, void *ud) {
    const spoiled *b = ud;
    char text[32];
    tl_json_obj_begin(j);
    tl_json_kv_str(j, "symbol", b->symbol);
    tl_json_kv_str(j, "ts", b->ts);
    if (b->form == PRICE_NUMBER) {
        tl_json_kv_micros(j, "price", b->price);
    } else if (b->form == PRICE_TEXT) {
        tl_decimal_format(b->price, text, sizeof text);
        tl_json_kv_str(j, "price", text);
    }
    tl_json_kv_int(j, "size", b->size);
    if (b->quote) {
        tl_json_kv_micros(j, "bid", b->bid);
        tl_json_kv_micros(j, "ask", b->ask);
    }
    tl_json_kv_str(j, "exchange", b->exchange);
    tl_json_kv_int(j, "seq", b->seq);
    return tl_json_obj_end(j);
}

/* ["AAPL","2026-…",189.25,100]: a tick's values without their names. */
static int array_doc(tl_json *j, void *ud) {
    const spoiled *b = ud;
    tl_json_arr_begin(j);
    tl_json_str(j, b->symbol);
    tl_json_str(j, b->ts);
    tl_json_micros(j, b->price);
    tl_json_int(j, b->size);
    return tl_json_arr_end(j);
}

size_t tl_sim_bad_payload(tl_rng *rng, const tl_tick *t, char *buf, size_t cap) {
    char ts[40];
    tl_rfc3339_format(t->ts_us, ts, sizeof ts);
    spoiled b = {t->symbol, ts,     PRICE_NUMBER, t->price,    t->size,
                 false,     t->bid, t->ask,       t->exchange, t->seq};
    tl_json_write_fn write = spoiled_doc;
    switch (tl_rng_range(rng, 0, BAD_KINDS - 1)) {
    case BAD_TRUNCATED: {
        size_t len = tl_tick_format(t, buf, cap);
        return (size_t)tl_rng_range(rng, 1, (int64_t)len - 2); /* cut before the closing brace */
    }
    case BAD_NOT_JSON: { /* comma-separated values: no JSON at all */
        char price[32];
        tl_decimal_format(t->price, price, sizeof price);
        int n = snprintf(buf, cap, "%s,%s,%s,%lld,%s", t->symbol, ts, price, (long long)t->size,
                         t->exchange);
        return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
    }
    case BAD_NOT_OBJECT: write = array_doc; break;
    case BAD_MISSING_PRICE:
        b.form = PRICE_MISSING;
        b.quote = true;
        break;
    case BAD_NEGATIVE_PRICE: b.price = -t->price; break;
    case BAD_SYMBOL: {
        static const char *const bad_syms[] = {"", "aapl", "MSFT$", "TOOLONGSYMBOL1", "A B"};
        b.symbol = bad_syms[tl_rng_range(rng, 0, 4)];
        break;
    }
    case BAD_CROSSED: /* swapped: spread >= 1 tick */
        b.quote = true;
        b.bid = t->ask;
        b.ask = t->bid;
        break;
    case BAD_PRICE_STRING: b.form = PRICE_TEXT; break;
    case BAD_TS: b.ts = "yesterday at noon"; break;
    default: /* BAD_SIZE */ b.size = -(t->size + 1); break;
    }
    tl_buf out = TL_BUF_INIT;
    tl_json_doc(&out, write, &b, NULL); /* out of memory: an empty message, still bad */
    size_t n = tl_buf_copy_out(&out, buf, cap);
    tl_buf_free(&out);
    return n < cap ? n : cap ? cap - 1 : 0;
}
