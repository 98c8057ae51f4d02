/* tables — the lake's two Delta tables and how their files are laid out.
 *
 *   <lake>/ticks/year=YYYY/month=MM/day=DD/hour=HH/part-<src>-<first>-<last>.zstd.parquet
 *   <lake>/deadletter/date=YYYY-MM-DD/dl-<src>-<first>-<last>.zstd.parquet
 *
 * <src> is "<topic>-<partition>" for Kafka and "<source id>" for file input
 * (first/last are then line numbers). Names come from the source position, so
 * a replay after a crash writes the same names and never doubles a file. */
#ifndef TL_TABLES_TABLES_H
#define TL_TABLES_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include "lake/lake.h"
#include "tick/tick.h"
#include "util/buf.h"

#define TL_TICKS_TABLE "ticks"
#define TL_DEADLETTER_TABLE "deadletter"

/* Delta schemaString and partition columns of each table. */
extern const char *const tl_ticks_schema_json;
extern const char *const tl_ticks_partition_columns[4]; /* year, month, day, hour */
extern const char *const tl_deadletter_schema_json;
extern const char *const tl_deadletter_partition_columns[1]; /* date */

/* The UTC hour an event time falls in, as µs at the start of the hour. */
static inline int64_t tl_hour_floor_us(int64_t ts_us) {
    const int64_t hour = 3600LL * 1000000;
    return ts_us >= 0 ? ts_us - ts_us % hour : ts_us - ((ts_us % hour) + hour) % hour;
}

/* Civil UTC fields of a µs timestamp. */
typedef struct tl_civil {
    int year, month, day, hour;
} tl_civil;
tl_civil tl_civil_from_us(int64_t ts_us);
int64_t tl_us_from_civil(tl_civil c); /* start of that hour, µs */
/* The hour of a ticks file from its partition values; 0 ok, -1 if absent/bad. */
int tl_ticks_file_hour(const tl_lake_kv *pv, size_t n, int64_t *hour_us);

/* "year=2026/month=11/day=24/hour=20" (zero-padded folder names). */
void tl_ticks_partition_dir(int64_t hour_us, char *out, size_t cap);
/* partitionValues for the Delta add action: {"year":"2026","month":"11",...}
 * as parallel key/value arrays (values written into vals, 8 bytes each). */
void tl_ticks_partition_values(int64_t hour_us, char vals[4][8]);

/* Data file key relative to the table root: the source, its offset range and
 * the writer attempt (a random id per flush), so two writers of the same
 * range (a fenced zombie, a rebalance, a second `stream --from`) never write
 * over each other's bytes; only the one whose commit lands is referenced. */
void tl_ticks_file_name(const char *src, int64_t hour_us, int64_t first, int64_t last,
                        const char *attempt, char *out, size_t cap);
void tl_deadletter_file_name(const char *src, const char *date, int64_t first, int64_t last,
                             const char *attempt, char *out, size_t cap);

/* Delta per-file statistics (numRecords, minValues, maxValues, nullCount)
 * of rows, as a JSON object appended to out. 0 ok, -1 out of memory. */
int tl_ticks_stats_json(const tl_tick_row *rows, size_t n, tl_buf *out);

#endif
