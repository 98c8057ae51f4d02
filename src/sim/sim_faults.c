/* Faults: parsing --faults, and the malformed messages a `bad` fault sends.
 * Each bad message is one of several kinds a broken producer emits, so every
 * rejection path of the stream gets exercised. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_int.h"

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

size_t tl_sim_bad_payload(tl_rng *rng, const tl_tick *t, char *buf, size_t cap) {
    char ts[40], price[32], bid[32], ask[32];
    tl_rfc3339_format(t->ts_us, ts, sizeof ts);
    tl_decimal_format(t->price, price, sizeof price);
    tl_decimal_format(t->bid, bid, sizeof bid);
    tl_decimal_format(t->ask, ask, sizeof ask);
    const char *sym = t->symbol, *ex = t->exchange;
    long long size = (long long)t->size, seq = (long long)t->seq;
    int n = 0;
    switch (tl_rng_range(rng, 0, BAD_KINDS - 1)) {
    case BAD_TRUNCATED: {
        size_t len = tl_tick_format(t, buf, cap);
        return (size_t)tl_rng_range(rng, 1, (int64_t)len - 2); /* cut before the closing brace */
    }
    case BAD_NOT_JSON: n = snprintf(buf, cap, "%s,%s,%s,%lld,%s", sym, ts, price, size, ex); break;
    case BAD_NOT_OBJECT:
        n = snprintf(buf, cap, "[\"%s\",\"%s\",%s,%lld]", sym, ts, price, size);
        break;
    case BAD_MISSING_PRICE:
        n = snprintf(buf, cap,
                     "{\"symbol\":\"%s\",\"ts\":\"%s\",\"size\":%lld,\"bid\":%s,\"ask\":%s,"
                     "\"exchange\":\"%s\",\"seq\":%lld}",
                     sym, ts, size, bid, ask, ex, seq);
        break;
    case BAD_NEGATIVE_PRICE:
        n = snprintf(buf, cap,
                     "{\"symbol\":\"%s\",\"ts\":\"%s\",\"price\":-%s,\"size\":%lld,"
                     "\"exchange\":\"%s\",\"seq\":%lld}",
                     sym, ts, price, size, ex, seq);
        break;
    case BAD_SYMBOL: {
        static const char *const bad_syms[] = {"", "aapl", "MSFT$", "TOOLONGSYMBOL1", "A B"};
        n = snprintf(buf, cap,
                     "{\"symbol\":\"%s\",\"ts\":\"%s\",\"price\":%s,\"size\":%lld,"
                     "\"exchange\":\"%s\",\"seq\":%lld}",
                     bad_syms[tl_rng_range(rng, 0, 4)], ts, price, size, ex, seq);
        break;
    }
    case BAD_CROSSED:
        n = snprintf(buf, cap,
                     "{\"symbol\":\"%s\",\"ts\":\"%s\",\"price\":%s,\"size\":%lld,\"bid\":%s,"
                     "\"ask\":%s,\"exchange\":\"%s\",\"seq\":%lld}",
                     sym, ts, price, size, ask, bid, ex, seq); /* swapped: spread >= 1 tick */
        break;
    case BAD_PRICE_STRING:
        n = snprintf(buf, cap,
                     "{\"symbol\":\"%s\",\"ts\":\"%s\",\"price\":\"%s\",\"size\":%lld,"
                     "\"exchange\":\"%s\",\"seq\":%lld}",
                     sym, ts, price, size, ex, seq);
        break;
    case BAD_TS:
        n = snprintf(buf, cap,
                     "{\"symbol\":\"%s\",\"ts\":\"yesterday at noon\",\"price\":%s,"
                     "\"size\":%lld,\"exchange\":\"%s\",\"seq\":%lld}",
                     sym, price, size, ex, seq);
        break;
    default: /* BAD_SIZE */
        n = snprintf(buf, cap,
                     "{\"symbol\":\"%s\",\"ts\":\"%s\",\"price\":%s,\"size\":-%lld,"
                     "\"exchange\":\"%s\",\"seq\":%lld}",
                     sym, ts, price, size + 1, ex, seq);
        break;
    }
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}
