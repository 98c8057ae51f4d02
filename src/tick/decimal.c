/* Exact decimals: JSON number text <-> int64 micro-units, and strict JSON
 * integers. Integer arithmetic only, so a price that a producer wrote as
 * 189.25 is stored as exactly 189250000 and never as a nearby binary double. */
#include "tick/tick.h"

#include <string.h>

/* Any exponent this large already overflows an int64 with a non-zero
 * significand; clamping keeps the exponent arithmetic from overflowing. */
#define EXP_CLAMP 100000L
#define MICRO_DIGITS 6

static bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

/* A JSON number split by the strict grammar
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
typedef struct number_text {
    bool negative;
    const char *int_digits, *frac_digits;
    size_t int_len, frac_len;
    long exp; /* clamped to +-EXP_CLAMP */
} number_text;

static bool scan_exponent(const char *s, size_t len, size_t *i, long *exp) {
    bool neg = false;
    if (*i < len && (s[*i] == '+' || s[*i] == '-'))
        neg = s[(*i)++] == '-';
    if (*i >= len || !is_digit(s[*i]))
        return false;
    long e = 0;
    for (; *i < len && is_digit(s[*i]); (*i)++)
        if (e < EXP_CLAMP)
            e = e * 10 + (s[*i] - '0');
    *exp = neg ? -e : e;
    return true;
}

static bool scan_number(const char *s, size_t len, number_text *n) {
    size_t i = 0;
    memset(n, 0, sizeof *n);
    if (i < len && s[i] == '-') {
        n->negative = true;
        i++;
    }
    if (i >= len || !is_digit(s[i]))
        return false;
    n->int_digits = s + i;
    if (s[i] == '0')
        i++; /* a leading zero stands alone: "00.1" and "01" are not JSON */
    else
        while (i < len && is_digit(s[i]))
            i++;
    n->int_len = (size_t)(s + i - n->int_digits);
    if (i < len && s[i] == '.') {
        n->frac_digits = s + ++i;
        while (i < len && is_digit(s[i]))
            i++;
        n->frac_len = (size_t)(s + i - n->frac_digits);
        if (n->frac_len == 0)
            return false;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (!scan_exponent(s, len, &i, &n->exp))
            return false;
    }
    return i == len;
}

/* Significant digits of a number, accumulated left to right. */
typedef struct digit_acc {
    uint64_t v;    /* the significant digits so far, as an integer */
    long nd;       /* how many digits v holds */
    long zeros;    /* zeros after the last non-zero digit, not yet in v */
    long last_pow; /* the power of ten the last non-zero digit stands for */
} digit_acc;

/* Adds digits s[0..n) whose first digit stands for 10^pow; -1 once more than
 * 19 significant digits are needed (that overflows int64 at any scale). */
static int acc_digits(digit_acc *a, const char *s, size_t n, long pow) {
    for (size_t j = 0; j < n; j++) {
        int d = s[j] - '0';
        if (d == 0) {
            a->zeros += a->nd > 0;
            continue;
        }
        if (a->nd + a->zeros + 1 > 19)
            return -1;
        for (; a->zeros > 0; a->zeros--, a->nd++)
            a->v *= 10;
        a->v = a->v * 10 + (uint64_t)d;
        a->nd++;
        a->last_pow = pow - (long)j;
    }
    return 0;
}

/* |value| * 10^scale as an exact integer of at most 19 digits, or -1. */
static int scaled_magnitude(const number_text *n, int scale, uint64_t *out) {
    digit_acc a = {0, 0, 0, 0};
    *out = 0;
    if (acc_digits(&a, n->int_digits, n->int_len, (long)n->int_len - 1) != 0 ||
        acc_digits(&a, n->frac_digits, n->frac_len, -1) != 0)
        return -1;
    if (a.nd == 0)
        return 0; /* "-0", "0.000", "0e99": exactly zero */
    /* After scaling, the last non-zero digit must still be at 10^0 or above,
     * or the value has more decimals than the scale keeps. */
    long k = a.last_pow + n->exp + scale;
    if (k < 0 || a.nd + k > 19)
        return -1;
    for (; k > 0; k--)
        a.v *= 10; /* < 10^19 < 2^64 by the digit count check above */
    *out = a.v;
    return 0;
}

static int to_int64(bool negative, uint64_t mag, int64_t *out) {
    if (!negative) {
        if (mag > (uint64_t)INT64_MAX)
            return -1;
        *out = (int64_t)mag;
        return 0;
    }
    if (mag > (uint64_t)INT64_MAX + 1)
        return -1;
    *out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    return 0;
}

int tl_decimal_parse(const char *s, size_t len, int64_t *micros) {
    number_text n;
    uint64_t mag;
    if (!scan_number(s, len, &n) || scaled_magnitude(&n, MICRO_DIGITS, &mag) != 0)
        return -1;
    return to_int64(n.negative, mag, micros);
}

int tl_integer_parse(const char *s, size_t len, int64_t *out) {
    number_text n;
    uint64_t mag;
    /* Integer fields must be written as integers: "1.0" and "1e2" are
     * refused even though their values are whole. */
    if (!scan_number(s, len, &n) || n.frac_digits || n.exp != 0 || len != n.int_len + n.negative)
        return -1;
    if (scaled_magnitude(&n, 0, &mag) != 0)
        return -1;
    return to_int64(n.negative, mag, out);
}

/* Copies a formatted string snprintf-style: at most cap bytes with a NUL,
 * returning the full length. */
static size_t emit(const char *tmp, size_t n, char *buf, size_t cap) {
    if (cap > 0) {
        size_t k = n < cap - 1 ? n : cap - 1;
        memcpy(buf, tmp, k);
        buf[k] = '\0';
    }
    return n;
}

size_t tl_decimal_format(int64_t micros, char *buf, size_t cap) {
    char tmp[32];
    char *end = tmp + sizeof tmp, *p = end;
    uint64_t mag = micros < 0 ? (uint64_t)0 - (uint64_t)micros : (uint64_t)micros;
    uint64_t whole = mag / TL_MICROS, frac = mag % TL_MICROS;
    if (frac) {
        int width = MICRO_DIGITS;
        while (frac % 10 == 0) { /* shortest exact form: 189.25, not 189.250000 */
            frac /= 10;
            width--;
        }
        while (width-- > 0) {
            *--p = (char)('0' + frac % 10);
            frac /= 10;
        }
        *--p = '.';
    }
    do {
        *--p = (char)('0' + whole % 10);
        whole /= 10;
    } while (whole);
    if (micros < 0)
        *--p = '-';
    return emit(p, (size_t)(end - p), buf, cap);
}
