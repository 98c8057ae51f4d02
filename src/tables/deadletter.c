/* The dead-letter table: every record the stream rejected, with the reason,
 * the original bytes and where it came from. A Delta table like ticks, so it
 * is committed exactly once too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tables/tables.h"

/* The columns, in the data files' order (stream_flush.c writes them by name
 * from JSON lines with read_json's column spec derived from this). */
static const tl_column dl_cols[] = {
    {"reason", TL_COL_STRING, false},     {"message", TL_COL_STRING, false},
    {"raw", TL_COL_STRING, false},        {"raw_base64", TL_COL_STRING, false},
    {"source", TL_COL_STRING, false},     {"src_partition", TL_COL_INT, false},
    {"src_offset", TL_COL_LONG, false},   {"received_ts", TL_COL_TIMESTAMP, false},
};
static const tl_column dl_parts[] = {{"date", TL_COL_STRING, false}};
const tl_table tl_deadletter_table = {TL_DEADLETTER_TABLE, dl_cols, sizeof dl_cols / sizeof *dl_cols,
                                      dl_parts, sizeof dl_parts / sizeof *dl_parts};

void tl_deadletter_file_name(const char *src, const char *date, int64_t first, int64_t last,
                             const char *attempt, char *out, size_t cap) {
    snprintf(out, cap, "date=%s/dl-%s-%lld-%lld-%s.zstd.parquet", date, src, (long long)first,
             (long long)last, attempt);
}

int tl_deadletter_file_day(const tl_lake_kv *pv, size_t n, int64_t *day_us) {
    for (size_t i = 0; i < n; i++) {
        if (!pv[i].value || strcmp(pv[i].key, dl_parts[0].name) != 0)
            continue;
        /* exactly YYYY-MM-DD, as tl_deadletter_partition_dir writes it */
        const char *v = pv[i].value;
        char *end;
        long y = strtol(v, &end, 10);
        if (end != v + 4 || *end != '-')
            return -1;
        long m = strtol(end + 1, &end, 10);
        if (end != v + 7 || *end != '-')
            return -1;
        long d = strtol(end + 1, &end, 10);
        if (end != v + 10 || *end || y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
            return -1;
        *day_us = tl_us_from_civil((tl_civil){(int)y, (int)m, (int)d, 0});
        return 0;
    }
    return -1;
}

void tl_deadletter_partition_dir(int64_t day_us, char *out, size_t cap) {
    tl_civil c = tl_civil_from_us(day_us);
    snprintf(out, cap, "date=%04d-%02d-%02d", c.year, c.month, c.day);
}
