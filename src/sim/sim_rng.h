/* The simulator's random numbers: xoshiro256** seeded through splitmix64,
 * so a seed gives the same stream on every machine and libc. */
#ifndef TL_SIM_SIM_RNG_H
#define TL_SIM_SIM_RNG_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct tl_rng {
    uint64_t s[4];
    double spare; /* second Box-Muller normal */
    bool has_spare;
} tl_rng;

static inline uint64_t tl_splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline void tl_rng_seed(tl_rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++)
        r->s[i] = tl_splitmix64(&seed);
    r->has_spare = false;
}

static inline uint64_t tl_rng_rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t tl_rng_next(tl_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = tl_rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = tl_rng_rotl(s[3], 45);
    return result;
}

/* Uniform in [0, 1). */
static inline double tl_rng_unit(tl_rng *r) {
    return (double)(tl_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [lo, hi]. */
static inline int64_t tl_rng_range(tl_rng *r, int64_t lo, int64_t hi) {
    return lo + (int64_t)(tl_rng_unit(r) * (double)(hi - lo + 1));
}

static inline bool tl_rng_chance(tl_rng *r, double p) {
    return p > 0 && tl_rng_unit(r) < p;
}

/* Standard normal (Box-Muller, both values used). */
static inline double tl_rng_normal(tl_rng *r) {
    if (r->has_spare) {
        r->has_spare = false;
        return r->spare;
    }
    double u1 = tl_rng_unit(r), u2 = tl_rng_unit(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    double mag = sqrt(-2.0 * log(u1));
    r->spare = mag * sin(2.0 * M_PI * u2);
    r->has_spare = true;
    return mag * cos(2.0 * M_PI * u2);
}

#endif
