/* The simulator's symbol universe: real US tickers with typical prices
 * (rough orders of magnitude, for realistic tick sizes and spreads), listed
 * roughly by trading activity, then generated names. */
#include <stdio.h>
#include <string.h>

#include "sim/sim.h"

static const struct {
    const char *name;
    double price;
} builtin[] = {
    {"NVDA", 135.0},  {"TSLA", 250.0},  {"AAPL", 190.0},  {"AMD", 150.0},  {"AMZN", 185.0},
    {"MSFT", 420.0},  {"META", 560.0},  {"GOOGL", 165.0}, {"PLTR", 40.0},  {"INTC", 22.0},
    {"SOFI", 9.5},    {"F", 10.5},      {"BAC", 40.0},    {"NIO", 4.8},    {"AAL", 12.5},
    {"SMCI", 35.0},   {"MU", 100.0},    {"AVGO", 170.0},  {"NFLX", 750.0}, {"GOOG", 167.0},
    {"T", 22.0},      {"PFE", 28.0},    {"CCL", 20.0},    {"RIVN", 11.0},  {"LCID", 2.6},
    {"WBD", 8.5},     {"SNAP", 11.0},   {"UBER", 75.0},   {"COIN", 230.0}, {"MARA", 19.0},
    {"RIOT", 10.5},   {"JPM", 215.0},   {"XOM", 118.0},   {"WFC", 60.0},   {"C", 62.0},
    {"KO", 70.0},     {"VZ", 41.0},     {"CSCO", 56.0},   {"ORCL", 170.0}, {"QCOM", 165.0},
    {"BABA", 95.0},   {"DIS", 95.0},    {"PYPL", 75.0},   {"SHOP", 80.0},  {"CRM", 290.0},
    {"ADBE", 500.0},  {"WMT", 80.0},    {"COST", 890.0},  {"HD", 400.0},   {"V", 290.0},
    {"MA", 510.0},    {"UNH", 590.0},   {"LLY", 880.0},   {"JNJ", 155.0},  {"MRK", 100.0},
    {"ABBV", 190.0},  {"PG", 168.0},    {"PEP", 160.0},   {"CVX", 155.0},  {"GE", 175.0},
    {"BA", 155.0},    {"CAT", 380.0},   {"GS", 520.0},    {"MS", 125.0},   {"SCHW", 70.0},
    {"NKE", 80.0},    {"SBUX", 98.0},   {"MCD", 290.0},   {"TGT", 150.0},  {"LOW", 260.0},
    {"IBM", 210.0},   {"TXN", 200.0},   {"AMAT", 190.0},  {"LRCX", 75.0},  {"KLAC", 700.0},
    {"ASML", 700.0},  {"TSM", 190.0},   {"ARM", 140.0},   {"MRVL", 90.0},  {"ON", 70.0},
    {"PANW", 380.0},  {"CRWD", 340.0},  {"SNOW", 130.0},  {"NET", 95.0},   {"DDOG", 130.0},
    {"ZM", 80.0},     {"ROKU", 75.0},   {"SPOT", 440.0},  {"ABNB", 135.0}, {"DASH", 170.0},
    {"LYFT", 15.0},   {"HOOD", 35.0},   {"AFRM", 60.0},   {"UPST", 70.0},  {"DKNG", 40.0},
    {"GME", 25.0},    {"AMC", 4.5},     {"BB", 2.4},      {"NOK", 4.5},    {"SIRI", 24.0},
    {"PLUG", 2.1},    {"FCEL", 0.45},   {"OPEN", 1.9},    {"GRAB", 4.9},   {"SNDL", 1.8},
    {"TLRY", 1.6},    {"IQ", 2.2},      {"VALE", 10.5},   {"ITUB", 6.2},   {"BBD", 2.3},
    {"PBR", 14.0},    {"GOLD", 18.0},   {"KGC", 9.5},     {"X", 38.0},     {"CLF", 11.0},
    {"FCX", 45.0},    {"NEM", 48.0},    {"OXY", 52.0},    {"DVN", 40.0},   {"HAL", 29.0},
    {"SLB", 43.0},    {"MPC", 160.0},   {"DAL", 60.0},    {"UAL", 90.0},   {"LUV", 31.0},
    {"GM", 52.0},     {"STLA", 13.0},   {"TM", 175.0},    {"HMC", 26.0},   {"SONY", 20.0},
    {"BRK.B", 470.0}, {"BKNG", 5000.0}, {"AZO", 3100.0},  {"CMG", 58.0},   {"MELI", 2000.0},
    {"TSLL", 14.0},   {"SQQQ", 7.5},    {"TQQQ", 75.0},   {"SPY", 590.0},  {"QQQ", 505.0},
    {"IWM", 235.0},   {"DIA", 440.0},   {"XLF", 48.0},    {"GDX", 36.0},   {"SOXL", 28.0},
};

#define NBUILTIN (sizeof builtin / sizeof builtin[0])

size_t tl_sim_builtin_count(void) {
    return NBUILTIN;
}

static int is_builtin(const char *name) {
    for (size_t i = 0; i < NBUILTIN; i++)
        if (strcmp(builtin[i].name, name) == 0)
            return 1;
    return 0;
}

/* Generated names: a bijection of the index onto 4-letter words
 * (k * 7919 + 104729 mod 26^4, 7919 being coprime with 26), so names never
 * repeat; a word that is a built-in name gets an "X" appended, and no other
 * generated name has five letters. Good for 26^4 names. */
void tl_sim_ticker(size_t i, char *buf, double *typical_price) {
    if (i < NBUILTIN) {
        snprintf(buf, 8, "%s", builtin[i].name);
        *typical_price = builtin[i].price;
        return;
    }
    const uint64_t space = 26ULL * 26 * 26 * 26;
    uint64_t v = ((uint64_t)(i - NBUILTIN) * 7919 + 104729) % space;
    for (int c = 3; c >= 0; c--) {
        buf[c] = (char)('A' + v % 26);
        v /= 26;
    }
    buf[4] = '\0';
    if (is_builtin(buf)) {
        buf[4] = 'X';
        buf[5] = '\0';
    }
    *typical_price = 0;
}
