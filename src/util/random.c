#include "util/random.h"

#include <stdint.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

void tl_random_id(char out[17]) {
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        v = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) * 6364136223846793005ULL ^
            (uint64_t)getpid() << 40;
    }
    snprintf(out, 17, "%016llx", (unsigned long long)v);
}
