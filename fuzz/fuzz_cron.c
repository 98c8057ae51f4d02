/* libFuzzer target: cron expressions (schedule.* settings). A parsed
 * expression must have a next fire time strictly after the given one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sched/cron.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 256)
        return 0;
    char expr[257];
    memcpy(expr, data, size);
    expr[size] = '\0';
    tl_cron c;
    tl_err err = {0};
    if (tl_cron_parse(expr, &c, &err) != 0) {
        if (err.msg[0] == '\0')
            abort();
        return 0;
    }
    const int64_t after = 1795550000000LL; /* 2026-11-24 */
    int64_t next = tl_cron_next(&c, after, after);
    if (next <= after)
        abort(); /* parse accepted it, so it must fire again */
    return 0;
}
