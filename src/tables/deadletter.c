/* The dead-letter table: every record the stream rejected, with the reason,
 * the original bytes and where it came from. A Delta table like ticks, so it
 * is committed exactly once too. */
#include <stdio.h>

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
