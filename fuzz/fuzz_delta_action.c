/* libFuzzer target: one Delta log line through the action parser (the
 * lake reads logs that other engines wrote). Must never crash or leak;
 * a rejected line must come with a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lake/lake_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *line = malloc(size + 1);
    if (!line)
        return 0;
    memcpy(line, data, size);
    line[size] = '\0';
    lake_action a;
    memset(&a, 0, sizeof a);
    tl_err err = {0};
    if (tl_lake_action_parse(line, &a, &err) != 0 && err.msg[0] == '\0')
        abort(); /* every rejection explains itself */
    tl_lake_action_clear(&a);
    free(line);
    return 0;
}
