/* kafka_nudge: wakes a fetcher that librdkafka parked on a full queue.
 *
 * librdkafka 2.0.2 stops fetching once the consumer's queue holds
 * queued.max.messages.kbytes (8 MB here: the memory cap), and looks again
 * only when the broker's thread wakes for something else. With no fetch in
 * flight that is its idle timeout, up to a second (rd_kafka_max_block_ms;
 * librdkafka 2.1 made this wait a setting, fetch.queue.backoff.ms). A stream
 * catching up drains 8 MB in ~80 ms, then sat idle for the rest of that
 * second: 1M ticks from the dev broker took 0.8-1.7 s with the cap and a
 * steady 0.8 s without it (BENCHMARKS.md, "The fetcher parked on a full
 * queue").
 *
 * Any request to a partition's leader wakes that leader's broker thread,
 * which then sees the room and fetches. So when the consumer finds its queue
 * empty while some partition's high watermark (librdkafka keeps the last one
 * each fetch response brought) is past the position, one ListOffsets request
 * per leader of those partitions goes out: rd_kafka_offsets_for_times asking
 * for the latest offsets. At most every 50 ms; while the positions do not
 * move the interval doubles up to 1 s, so a consumer that is behind for
 * another reason (the brokers are away; a transaction marker after the last
 * message keeps the watermark one ahead for good) does not keep asking. */
#include <stdlib.h>

#include "kafka/kafka_int.h"
#include "util/clock.h"
#include "util/log.h"

#define NUDGE_MIN_MS 50
#define NUDGE_MAX_MS 1000
#define NUDGE_WAIT_MS 200 /* the request's timeout: the caller's thread waits */

/* The partitions of `parts` whose last known high watermark is past their
 * position, with the sum of their positions in *progress; NULL when none is
 * (or on a failure, which only means no nudge this time). */
static rd_kafka_topic_partition_list_t *behind(rd_kafka_t *rk, const char *topic,
                                               const int32_t *parts, size_t n, int64_t *progress) {
    rd_kafka_topic_partition_list_t *pos = rd_kafka_topic_partition_list_new((int)n);
    rd_kafka_topic_partition_list_t *out = NULL;
    if (!pos)
        return NULL;
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(pos, topic, parts[i]);
    if (rd_kafka_position(rk, pos) != RD_KAFKA_RESP_ERR_NO_ERROR)
        goto done;
    *progress = 0;
    for (int i = 0; i < pos->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &pos->elems[i];
        int64_t low, high;
        if (p->err || p->offset < 0 || /* nothing consumed there yet */
            rd_kafka_get_watermark_offsets(rk, topic, p->partition, &low, &high) ||
            high <= p->offset)
            continue;
        if (!out && !(out = rd_kafka_topic_partition_list_new(pos->cnt)))
            goto done;
        rd_kafka_topic_partition_list_add(out, topic, p->partition)->offset =
            RD_KAFKA_OFFSET_END; /* as a timestamp: the latest */
        *progress += p->offset;
    }
done:
    rd_kafka_topic_partition_list_destroy(pos);
    return out;
}

bool tl_kafka_nudge_fetcher(tl_kafka_nudge *st, rd_kafka_t *rk, const char *topic,
                            const int32_t *parts, size_t n) {
    int64_t now = tl_mono_ms(), progress = 0;
    if (n == 0 || now < st->next_ms)
        return false;
    rd_kafka_topic_partition_list_t *lag = behind(rk, topic, parts, n, &progress);
    if (!lag) {
        st->interval_ms = NUDGE_MIN_MS;
        return false;
    }
    if (!st->interval_ms || progress != st->progress)
        st->interval_ms = NUDGE_MIN_MS;
    else if ((st->interval_ms *= 2) > NUDGE_MAX_MS)
        st->interval_ms = NUDGE_MAX_MS;
    st->progress = progress;
    st->next_ms = now + st->interval_ms;
    st->sent++;
    tl_debug("kafka", "%s: %d partition(s) behind with an empty queue: waking their leaders",
             topic, lag->cnt);
    rd_kafka_offsets_for_times(rk, lag, NUDGE_WAIT_MS); /* the answer does not matter */
    rd_kafka_topic_partition_list_destroy(lag);
    return true;
}
