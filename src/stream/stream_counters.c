/* The stream's counters as a human summary (exit, SIGUSR1) and as JSON. */
#include <inttypes.h>
#include <stdio.h>

#include "stream/stream_int.h"
#include "util/json_out.h"
#include "util/log.h"

static const char *reason_name(int i) {
    return i == TL_REASON_FUTURE ? "future_ts" : tl_tick_reason_name((tl_tick_reason)i);
}

/* The summary as one log event (--log-format json), its figures as fields. */
static void counters_log(const tl_stream_counters *c) {
    tl_infof("stream",
             TL_FIELDS(TL_LI("received", c->received), TL_LI("accepted", c->accepted),
                       TL_LI("rejected", c->rejected), TL_LI("late", c->late),
                       TL_LI("duplicates", c->duplicates), TL_LI("skipped", c->skipped),
                       TL_LI("files", c->files_written), TL_LI("bytes", c->bytes_written),
                       TL_LI("deadletter_files", c->dl_files_written),
                       TL_LI("commits", c->commits), TL_LI("version", c->last_commit_version),
                       TL_LI("buffered", c->buffered_rows)),
             "ticklake stream: received %" PRIu64 ", accepted %" PRIu64 ", rejected %" PRIu64,
             c->received, c->accepted, c->rejected);
}

void tl_stream_counters_print(const tl_stream *s, FILE *out) {
    const tl_stream_counters *c = tl_stream_counters_get(s);
    if (out == stderr && tl_log_get_format() == TL_LOG_JSON) {
        counters_log(c);
        return;
    }
    fprintf(out,
            "ticklake stream: received %" PRIu64 ", accepted %" PRIu64 ", rejected %" PRIu64
            ", late %" PRIu64 ", duplicates %" PRIu64 ", skipped (already in lake) %" PRIu64 "\n",
            c->received, c->accepted, c->rejected, c->late, c->duplicates, c->skipped);
    if (c->unknown_dropped)
        fprintf(out, "  unknown fields dropped: %" PRIu64 "\n", c->unknown_dropped);
    if (c->rejected) {
        fprintf(out, "  rejected by reason:");
        for (int i = 1; i <= TL_REASON_FUTURE; i++)
            if (c->rejected_by_reason[i])
                fprintf(out, " %s=%" PRIu64, reason_name(i), c->rejected_by_reason[i]);
        fputc('\n', out);
    }
    fprintf(out,
            "  files %" PRIu64 " (%.1f MB), dead-letter files %" PRIu64 ", commits %" PRIu64
            " (avg %.1f ms, max %.1f ms), lake version %" PRId64 ", buffered %" PRIu64 "\n",
            c->files_written, (double)c->bytes_written / 1e6, c->dl_files_written, c->commits,
            c->commits ? (double)c->commit_us_total / (double)c->commits / 1000.0 : 0.0,
            (double)c->commit_us_max / 1000.0, c->last_commit_version, c->buffered_rows);
    fflush(out);
}

int tl_stream_counters_flow_members(tl_json *j, const tl_stream_counters *c) {
    tl_json_kv_uint(j, "received", c->received);
    tl_json_kv_uint(j, "accepted", c->accepted);
    tl_json_kv_uint(j, "rejected", c->rejected);
    tl_json_kv_uint(j, "late", c->late);
    tl_json_kv_uint(j, "duplicates", c->duplicates);
    return tl_json_kv_uint(j, "skipped", c->skipped);
}

void tl_stream_counters_json(const tl_stream *s, FILE *out) {
    const tl_stream_counters *c = tl_stream_counters_get(s);
    tl_buf b = TL_BUF_INIT;
    tl_json *j = tl_json_new(&b);
    if (!j)
        return;
    tl_json_obj_begin(j);
    tl_stream_counters_flow_members(j, c);
    tl_json_kv_uint(j, "files_written", c->files_written);
    tl_json_kv_uint(j, "bytes_written", c->bytes_written);
    tl_json_kv_uint(j, "deadletter_files_written", c->dl_files_written);
    tl_json_kv_uint(j, "commits", c->commits);
    /* milliseconds to the microsecond, from the microsecond counters */
    tl_json_key(j, "commit_ms_avg");
    tl_json_fixed(j, c->commits ? (int64_t)(c->commit_us_total / c->commits) : 0, 3);
    tl_json_key(j, "commit_ms_max");
    tl_json_fixed(j, (int64_t)c->commit_us_max, 3);
    tl_json_kv_int(j, "lake_version", c->last_commit_version);
    tl_json_kv_uint(j, "unknown_dropped", c->unknown_dropped);
    tl_json_key(j, "rejected_by_reason");
    tl_json_obj_begin(j);
    for (int i = 1; i <= TL_REASON_FUTURE; i++)
        if (c->rejected_by_reason[i])
            tl_json_kv_uint(j, reason_name(i), c->rejected_by_reason[i]);
    tl_json_obj_end(j);
    tl_json_obj_end(j);
    if (tl_json_end_line(j) == 0)
        fwrite(b.data, 1, b.len, out);
    tl_json_free(j);
    tl_buf_free(&b);
}
