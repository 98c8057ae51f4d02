/* The dead-letter table: every record the stream rejected, with the reason,
 * the original bytes and where it came from. A Delta table like ticks, so it
 * is committed exactly once too. */
#include <stdio.h>

#include "tables/tables.h"

const char *const tl_deadletter_schema_json =
    "{\"type\":\"struct\",\"fields\":["
    "{\"name\":\"reason\",\"type\":\"string\",\"nullable\":false,\"metadata\":{}},"
    "{\"name\":\"message\",\"type\":\"string\",\"nullable\":false,\"metadata\":{}},"
    "{\"name\":\"raw\",\"type\":\"string\",\"nullable\":false,\"metadata\":{}},"
    "{\"name\":\"raw_base64\",\"type\":\"string\",\"nullable\":false,\"metadata\":{}},"
    "{\"name\":\"source\",\"type\":\"string\",\"nullable\":false,\"metadata\":{}},"
    "{\"name\":\"src_partition\",\"type\":\"integer\",\"nullable\":false,\"metadata\":{}},"
    "{\"name\":\"src_offset\",\"type\":\"long\",\"nullable\":false,\"metadata\":{}},"
    "{\"name\":\"received_ts\",\"type\":\"timestamp\",\"nullable\":false,\"metadata\":{}},"
    "{\"name\":\"date\",\"type\":\"string\",\"nullable\":false,\"metadata\":{}}]}";

const char *const tl_deadletter_partition_columns[1] = {"date"};

void tl_deadletter_file_name(const char *src, const char *date, int64_t first, int64_t last,
                             const char *attempt, char *out, size_t cap) {
    snprintf(out, cap, "date=%s/dl-%s-%lld-%lld-%s.zstd.parquet", date, src, (long long)first,
             (long long)last, attempt);
}
