/* compact_layout — what compaction needs to know of each table it handles:
 * how long a partition is, which partition a file is in, the partition's
 * folder, the order the rows are rewritten in, and which columns stay out
 * of the outputs' min/max statistics.
 *
 * ticks: hour partitions of event time, rows sorted by (symbol, ts) (what
 * queries filter on), outputs split over symbol ranges.
 * deadletter: day partitions of receive time, rows sorted by (source,
 * src_partition, src_offset), the order the stream wrote them and the one
 * the recreated-topic check reads them by, outputs split over sources. The
 * free-text columns (message, raw, raw_base64) have no min/max in the
 * stats: they can be up to a message long, would bloat every commit and
 * checkpoint, and nothing prunes on them. */
#include <string.h>

#include "compact/compact_int.h"
#include "tables/tables.h"

static int ticks_part(const tl_lake_file *f, int64_t *start_us) {
    return tl_ticks_file_hour(f->partition_values, f->n_partition_values, start_us);
}

static int dead_part(const tl_lake_file *f, int64_t *start_us) {
    return tl_deadletter_file_day(f->partition_values, f->n_partition_values, start_us);
}

static const char *const dead_no_minmax[] = {"message", "raw", "raw_base64", NULL};

static const compact_layout layouts[] = {
    {TL_TICKS_TABLE, 3600LL * 1000000, ticks_part, tl_ticks_partition_dir, "symbol, ts", "symbol",
     "ts", NULL},
    {TL_DEADLETTER_TABLE, 86400LL * 1000000, dead_part, tl_deadletter_partition_dir,
     "source, src_partition, src_offset", "source", "src_partition, src_offset", dead_no_minmax},
};

const compact_layout *tl_compact_layout(const char *table) {
    for (size_t i = 0; i < sizeof layouts / sizeof *layouts; i++)
        if (strcmp(layouts[i].table, table) == 0)
            return &layouts[i];
    return NULL;
}

int64_t tl_compact_part_floor(const compact_layout *l, int64_t ts_us) {
    int64_t r = ts_us % l->span_us;
    return ts_us - (r < 0 ? r + l->span_us : r);
}
