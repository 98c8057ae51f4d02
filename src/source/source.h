/* source — where the stream's messages come from, behind one interface
 * (Fluent Bit's input plugins): Kafka (source_kafka.c) or a JSONL file or
 * stdin (source_file.c). A source knows positions (partition, offset); the
 * stream decides where to resume and tells the source what the lake holds. */
#ifndef TL_SOURCE_SOURCE_H
#define TL_SOURCE_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "stream/stream.h"
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
    /* Stop reading; a group consumer leaves its group (flushing through the
     * stream on revoke). */
    void (*close)(tl_source *src);
    void (*destroy)(tl_source *src);
} tl_source_ops;

struct tl_source {
    const tl_source_ops *ops;
    tl_stream *stream;
};

/* A stable id for a file path ("ticks.jsonl-1a2b3c4d": the name plus a hash
 * of the absolute path), so re-ingesting the same file skips what the lake
 * already has. For "-" (stdin) the id is "stdin-<unix ms>", new each run. */
void tl_source_file_id(const char *path, char *out, size_t cap);

/* Lines longer than max_line bytes (0: no limit) are cut after max_line + 1
 * bytes, which the codec rejects as too_large; the rest is skipped, so
 * memory stays bounded whatever the input. */
tl_source *tl_source_file_new(const char *path, size_t max_line, tl_stream *stream, tl_err *err);
/* until_end: read() returns TL_ERR_END once every assigned partition
 * reached the end offset it had when it was assigned. */
tl_source *tl_source_kafka_new(const tl_config *cfg, tl_stream *stream, bool until_end,
                               bool assign_all, tl_err *err);

static inline void tl_source_destroy(tl_source *s) {
    if (s)
        s->ops->destroy(s);
}

#endif
