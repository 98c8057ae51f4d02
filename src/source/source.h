/* source — where the stream's messages come from, behind one interface
 * (Fluent Bit's input plugins): Kafka (source_kafka.c) or a JSONL file or
 * stdin (source_file.c). A source knows positions (partition, offset); the
 * driver (tl_stream_run and the hooks below) decides where to resume and
 * tells the source what the lake holds. Sources know nothing of the stream. */
#ifndef TL_SOURCE_SOURCE_H
#define TL_SOURCE_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kafka/kafka.h"
#include "lake/lake.h"
#include "store/store.h"
#include "tick/tick.h"
#include "util/err.h"

typedef struct tl_source_msg {
    int32_t partition; /* -1 for file input */
    int64_t offset;    /* Kafka offset, or 1-based line number */
    const char *data;
    size_t len;
} tl_source_msg;

typedef struct tl_source tl_source;

typedef struct tl_source_ops {
    const char *name;
    /* Fill out[0..max): the count, 0 when nothing came within timeout_ms,
     * TL_ERR_END when there is nothing more to read (end of file,
     * --until-end), or another negative tl_err code on error.
     * The messages stay valid until the next read or release. */
    int (*read)(tl_source *src, tl_source_msg *out, size_t max, int timeout_ms, tl_err *err);
    void (*release)(tl_source *src);
    /* The lake now holds everything up to last_offset of partition. */
    void (*committed)(tl_source *src, int32_t partition, int64_t last_offset);
    /* Stop reading; a group consumer leaves its group (its partitions are
     * revoked through the hooks). */
    void (*close)(tl_source *src);
    void (*destroy)(tl_source *src);
} tl_source_ops;

struct tl_source {
    const tl_source_ops *ops;
};

/* What a source with partitions that come and go (a Kafka group member)
 * asks of its driver, on the reading thread, inside read() or close(). */
typedef struct tl_source_hooks {
    /* A partition was assigned: the offset to resume it at (after the last
     * one the lake holds), or -1 when the lake holds nothing of it. */
    int64_t (*assign)(void *ud, int32_t partition);
    /* A partition is being taken away: make what was read of it durable
     * and forget it, before it moves. */
    void (*revoke)(void *ud, int32_t partition);
    /* The source refused a partition (err says why): nothing read from now
     * on may be committed. read() then returns the error. */
    void (*fail)(void *ud, const tl_err *err);
    void *ud;
} tl_source_hooks;

/* A stable id for a file path ("ticks.jsonl-1a2b3c4d": the name plus a hash
 * of the absolute path), so re-ingesting the same file skips what the lake
 * already has. For "-" (stdin) the id is "stdin-<unix ms>", new each run. */
void tl_source_file_id(const char *path, char *out, size_t cap);

/* Lines longer than max_line bytes (0: no limit) are cut after max_line + 1
 * bytes, which the codec rejects as too_large; the rest is skipped, so
 * memory stays bounded whatever the input. */
tl_source *tl_source_file_new(const char *path, size_t max_line, tl_err *err);

typedef struct tl_source_kafka_opts {
    tl_kafka_opts kafka; /* brokers, topic, group, properties, stop flag */
    /* read() returns TL_ERR_END once every assigned partition reached the
     * end offset it had when it was assigned (--until-end). */
    bool until_end;
    bool assign_all;  /* assign every partition instead of joining the group */
    bool reset_topic; /* a recreated topic is read again, not refused */
    int64_t broker_timeout_ms; /* until_end: brokers away this long is an error */
    tl_source_hooks hooks;
    /* The recreated-topic check compares the topic with the lake's rows:
     * the lake (borrowed, outlives the source) and how the stream parses. */
    tl_store *store;
    tl_ts_unit ts_unit;
    size_t max_message_bytes;
    const tl_lake_opts *lake; /* --reset-topic's commit; NULL = the defaults; borrowed */
} tl_source_kafka_opts;

/* o is copied; its strings, props, stop flag and store are borrowed and
 * must outlive the source. */
tl_source *tl_source_kafka_new(const tl_source_kafka_opts *o, tl_err *err);

static inline void tl_source_destroy(tl_source *s) {
    if (s)
        s->ops->destroy(s);
}

#endif
