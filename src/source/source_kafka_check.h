/* Is this still the topic the lake was filled from? A topic deleted and
 * recreated starts its offsets again at 0, so the lake's position (the Delta
 * txn: the last offset it holds per partition) may point into different
 * messages. On each assignment the Kafka source compares the messages just
 * before the lake's position with what the lake holds at those offsets —
 * ticks by (symbol, seq) (by (symbol, ts) when a tick has no seq), dead
 * letters by their raw bytes — and refuses a partition whose messages
 * differ, unless --reset-topic: then the partition's positions in both
 * tables go back to -1 (a txn-only commit) and it is read from the start.
 *
 * Internal to src/source (used by source_kafka.c). One thread. */
#ifndef TL_SOURCE_SOURCE_KAFKA_CHECK_H
#define TL_SOURCE_SOURCE_KAFKA_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/kafka.h"
#include "lake/lake.h"
#include "store/store.h"
#include "tick/tick.h"
#include "util/err.h"

/* How many offsets before the lake's position are compared. */
#define TL_TOPIC_CHECK_WINDOW 32

typedef struct tl_topic_check tl_topic_check;

/* What the check compares against: the lake (borrowed), the names the
 * stream gives this topic's rows (topic, group: strings borrowed) and how
 * it parses ticks. All must outlive the check. */
typedef struct tl_topic_check_opts {
    tl_store *store;
    const char *topic;
    const char *group;
    tl_ts_unit ts_unit;
    size_t max_message_bytes;
    /* the reset commit's checkpoint policy and the check's DuckDB limits;
     * NULL = defaults */
    const tl_lake_opts *lake;
} tl_topic_check_opts;

/* The lake's snapshots and DuckDB are opened at the first use. */
tl_topic_check *tl_topic_check_new(const tl_topic_check_opts *o);
void tl_topic_check_destroy(tl_topic_check *tc);

/* Compare the messages at offsets from..last of partition with the lake's
 * rows at those offsets. Returns 0 when they agree (*compared: how many
 * offsets had something in the lake to compare; 0 = nothing to compare),
 * 1 when they differ (why: which offset, what each side holds), or <0 when
 * the check could not be made (err). */
int tl_topic_check_partition(tl_topic_check *tc, tl_kafka_consumer *c, int32_t partition,
                             int64_t from, int64_t last, size_t *compared, char *why, size_t cap,
                             tl_err *err);

/* Set the partition's position in the dead-letter table, then the ticks
 * table (that order: a crash between leaves the ticks position, which a
 * restart checks again), to -1, "holds nothing of this partition", with
 * `why` in the commit's operationParameters. 0 or <0 (err). */
int tl_topic_check_reset(tl_topic_check *tc, int32_t partition, const char *why, tl_err *err);

/* The identity of one record as the lake keeps it (exposed for the unit
 * tests): "T<symbol>\x1fs<seq>" (or "\x1ft<ts µs>" without seq) for a tick,
 * "D<base64 of the bytes>" for a dead letter. The message's own keys:
 * its tick key when it parses (else ""), and its dead-letter key. */
void tl_topic_check_tick_key(const char *symbol, const char *seq, const char *ts_us, char *out,
                             size_t cap);
int tl_topic_check_msg_keys(tl_topic_check *tc, const void *data, size_t len, char *tick_key,
                            size_t tick_cap, char **dead_key);

#endif
