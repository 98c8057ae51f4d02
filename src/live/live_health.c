/* live: pipeline health — what the stream, the lake and the scheduled jobs
 * report — as JSON for the page and as Prometheus text for /metrics. */
#include "live/live_int.h"

#include <stdio.h>
#include <string.h>

#include "util/clock.h"

void tl_live_set_counters(tl_live *l, const tl_stream_counters *c) {
    pthread_mutex_lock(&l->mu);
    l->counters = *c;
    l->have_counters = true;
    pthread_mutex_unlock(&l->mu);
}

void tl_live_set_lag(tl_live *l, int64_t lag) {
    pthread_mutex_lock(&l->mu);
    l->lag = lag;
    pthread_mutex_unlock(&l->mu);
}

void tl_live_set_lake(tl_live *l, int64_t version, int64_t last_commit_ms, size_t files,
                      const char *const *part_names, const size_t *part_files, size_t nparts) {
    pthread_mutex_lock(&l->mu);
    l->lake_version = version;
    l->lake_commit_ms = last_commit_ms;
    l->lake_files = files;
    l->nparts = nparts < TL_LIVE_MAX_PARTS ? nparts : TL_LIVE_MAX_PARTS;
    for (size_t i = 0; i < l->nparts; i++) {
        snprintf(l->part_names[i], sizeof l->part_names[i], "%s", part_names[i]);
        l->part_files[i] = part_files[i];
    }
    pthread_mutex_unlock(&l->mu);
}

void tl_live_set_days(tl_live *l, const char *const *days, size_t n) {
    pthread_mutex_lock(&l->mu);
    l->ndays = n < TL_LIVE_MAX_DAYS ? n : TL_LIVE_MAX_DAYS;
    for (size_t i = 0; i < l->ndays; i++)
        snprintf(l->days[i], sizeof l->days[i], "%s", days[i]);
    pthread_mutex_unlock(&l->mu);
}

static tl_live_job *job_named(tl_live *l, const char *name) {
    return !strcmp(name, "compaction") ? &l->compaction
           : !strcmp(name, "models")   ? &l->models
           : !strcmp(name, "vacuum")   ? &l->vacuum
                                       : NULL;
}

void tl_live_note_job(tl_live *l, const char *name, int64_t unix_ms, const char *status) {
    pthread_mutex_lock(&l->mu);
    tl_live_job *j = job_named(l, name);
    if (j && unix_ms > j->last_unix_ms) {
        j->last_unix_ms = unix_ms;
        snprintf(j->status, sizeof j->status, "%s", status ? status : "");
    }
    pthread_mutex_unlock(&l->mu);
}

void tl_live_set_job(tl_live *l, const char *name, int64_t unix_ms, const char *status) {
    pthread_mutex_lock(&l->mu);
    tl_live_job *j = job_named(l, name);
    if (j) {
        j->last_unix_ms = unix_ms;
        snprintf(j->status, sizeof j->status, "%s", status ? status : "");
    }
    pthread_mutex_unlock(&l->mu);
}

static void job_json(tl_json *j, const char *name, const tl_live_job *job) {
    tl_json_key(j, name);
    if (!job->last_unix_ms) {
        tl_json_null(j);
        return;
    }
    tl_json_obj_begin(j);
    tl_json_kv_int(j, "last_ms", job->last_unix_ms);
    tl_json_kv_str(j, "status", job->status);
    tl_json_obj_end(j);
}

static void counters_json(tl_json *j, const tl_stream_counters *c) {
    tl_json_key(j, "stream");
    tl_json_obj_begin(j);
    tl_stream_counters_flow_members(j, c);
    tl_json_kv_uint(j, "commits", c->commits);
    tl_json_kv_uint(j, "files_written", c->files_written);
    tl_json_kv_uint(j, "bytes_written", c->bytes_written);
    tl_json_kv_uint(j, "buffered_rows", c->buffered_rows);
    tl_json_key(j, "commit_ms_last");
    tl_json_double_places(j, (double)c->commit_us_last / 1000.0, 1);
    tl_json_key(j, "commit_ms_max");
    tl_json_double_places(j, (double)c->commit_us_max / 1000.0, 1);
    tl_json_key(j, "watermark_ms");
    if (c->watermark_us == INT64_MIN)
        tl_json_null(j);
    else
        tl_json_int(j, c->watermark_us / 1000);
    tl_json_obj_end(j);
}

/* FNV-1a over one 64-bit value. */
static uint64_t mix(uint64_t h, uint64_t v) {
    for (int i = 0; i < 8; i++, v >>= 8)
        h = (h ^ (v & 0xff)) * 1099511628211u;
    return h;
}

static uint64_t mix_str(uint64_t h, const char *s) {
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return mix(h, 0);
}

/* Only what the page shows: the clock-driven fields (now_ms, uptime_s,
 * quality's freshness_s) are left out, so an idle lake's signature stays
 * put; the symbols' generation stands for everything the ticks move
 * (quality's stale set and counts follow the ticks, not the clock). */
uint64_t tl_live_health_sig(tl_live *l) {
    pthread_mutex_lock(&l->mu);
    uint64_t h = 14695981039346656037u;
    h = mix(h, l->gen);
    h = mix(h, l->ticks);
    h = mix(h, (uint64_t)tl_strmap_count(l->index));
    h = mix(h, (uint64_t)(int64_t)(tl_live_rate_locked(l) * 10.0 + 0.5));
    h = mix(h, (uint64_t)l->lag);
    h = mix(h, l->have_counters);
    if (l->have_counters) {
        const tl_stream_counters *c = &l->counters;
        const uint64_t v[] = {c->received,      c->accepted,       c->rejected,
                              c->late,          c->duplicates,     c->skipped,
                              c->commits,       c->files_written,  c->bytes_written,
                              c->buffered_rows, c->commit_us_last, c->commit_us_max,
                              (uint64_t)c->watermark_us};
        for (size_t i = 0; i < sizeof v / sizeof *v; i++)
            h = mix(h, v[i]);
    }
    h = mix(h, (uint64_t)l->lake_version);
    h = mix(h, (uint64_t)l->lake_commit_ms);
    h = mix(h, l->lake_files);
    for (size_t i = 0; i < l->nparts; i++)
        h = mix(mix_str(h, l->part_names[i]), l->part_files[i]);
    const tl_live_job *jobs[] = {&l->compaction, &l->models, &l->vacuum};
    for (size_t i = 0; i < 3; i++)
        h = mix_str(mix(h, (uint64_t)jobs[i]->last_unix_ms), jobs[i]->status);
    pthread_mutex_unlock(&l->mu);
    return h;
}

static void lake_json(tl_json *j, const tl_live *l) {
    tl_json_key(j, "lake");
    tl_json_obj_begin(j);
    tl_json_kv_int(j, "version", l->lake_version);
    tl_json_key(j, "last_commit_ms");
    if (l->lake_commit_ms > 0)
        tl_json_int(j, l->lake_commit_ms);
    else
        tl_json_null(j);
    tl_json_kv_uint(j, "files", l->lake_files);
    tl_json_key(j, "partitions");
    tl_json_arr_begin(j);
    for (size_t i = 0; i < l->nparts; i++) {
        tl_json_obj_begin(j);
        tl_json_kv_str(j, "hour", l->part_names[i]);
        tl_json_kv_uint(j, "files", l->part_files[i]);
        tl_json_obj_end(j);
    }
    tl_json_arr_end(j);
    tl_json_obj_end(j);
}

int tl_live_health_members(tl_live *l, tl_json *j) {
    pthread_mutex_lock(&l->mu);
    int64_t now_ms = tl_now_us() / 1000;
    tl_json_kv_int(j, "now_ms", now_ms);
    tl_json_kv_int(j, "uptime_s", (now_ms - l->started_ms) / 1000);
    tl_json_kv_uint(j, "symbols", tl_strmap_count(l->index));
    tl_json_kv_uint(j, "ticks", l->ticks);
    tl_json_key(j, "ingest_rate");
    tl_json_double_places(j, tl_live_rate_locked(l), 1);
    tl_json_key(j, "lag");
    if (l->lag < 0)
        tl_json_null(j);
    else
        tl_json_int(j, l->lag);
    if (l->have_counters)
        counters_json(j, &l->counters);
    else
        tl_json_kv_null(j, "stream");
    lake_json(j, l);
    job_json(j, "compaction", &l->compaction);
    job_json(j, "models", &l->models);
    job_json(j, "vacuum", &l->vacuum);
    if (l->have_counters)
        tl_quality_set_rejected_crossed(l->quality,
                                        l->counters.rejected_by_reason[TL_TICK_CROSSED_QUOTE]);
    tl_json_key(j, "quality");
    int rc = tl_quality_write(l->quality, tl_now_us(), j);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

static int health_doc(tl_json *j, void *ud) {
    tl_json_obj_begin(j);
    tl_live_health_members(ud, j);
    return tl_json_obj_end(j);
}

int tl_live_health_json(tl_live *l, tl_buf *out) {
    return tl_json_doc(out, health_doc, l, NULL) ? -1 : 0;
}

static int days_doc(tl_json *j, void *ud) {
    tl_live *l = ud;
    tl_json_obj_begin(j);
    tl_json_key(j, "days");
    tl_json_arr_begin(j);
    for (size_t i = 0; i < l->ndays; i++)
        tl_json_str(j, l->days[i]);
    tl_json_arr_end(j);
    return tl_json_obj_end(j);
}

int tl_live_days_json(tl_live *l, tl_buf *out) {
    pthread_mutex_lock(&l->mu);
    int rc = tl_json_doc(out, days_doc, l, NULL);
    pthread_mutex_unlock(&l->mu);
    return rc ? -1 : 0;
}

static void metric(tl_buf *b, const char *name, const char *type, const char *help, double v) {
    tl_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type, name, v);
}

static const char *const reason_names[] = {
    "ok",
    "not_json",
    "not_object",
    "too_large",
    "missing_field",
    "bad_type",
    "bad_symbol",
    "bad_ts",
    "bad_price",
    "bad_size",
    "bad_bid",
    "bad_ask",
    "crossed_quote",
    "bad_exchange",
    "bad_seq",
    "duplicate_field",
    "future_ts",
};

static void stream_metrics(tl_buf *b, const tl_stream_counters *c) {
    metric(b, "tl_stream_received_total", "counter", "messages read from the source",
           (double)c->received);
    metric(b, "tl_stream_accepted_total", "counter", "rows buffered for the lake",
           (double)c->accepted);
    metric(b, "tl_stream_late_total", "counter", "accepted rows behind the watermark",
           (double)c->late);
    metric(b, "tl_stream_duplicates_total", "counter", "repeated (symbol, seq) dropped",
           (double)c->duplicates);
    metric(b, "tl_stream_skipped_total", "counter", "messages already in the lake",
           (double)c->skipped);
    tl_buf_puts(b, "# HELP tl_stream_rejected_total dead-lettered messages by reason\n"
                   "# TYPE tl_stream_rejected_total counter\n");
    size_t nr = sizeof c->rejected_by_reason / sizeof c->rejected_by_reason[0];
    for (size_t i = 1; i < nr && i < sizeof reason_names / sizeof *reason_names; i++)
        tl_buf_printf(b, "tl_stream_rejected_total{reason=\"%s\"} %llu\n", reason_names[i],
                      (unsigned long long)c->rejected_by_reason[i]);
    metric(b, "tl_stream_files_written_total", "counter", "Parquet files written",
           (double)c->files_written);
    metric(b, "tl_stream_bytes_written_total", "counter", "Parquet bytes written",
           (double)c->bytes_written);
    metric(b, "tl_stream_commits_total", "counter", "lake commits", (double)c->commits);
    metric(b, "tl_stream_commit_seconds_last", "gauge", "duration of the last commit",
           (double)c->commit_us_last / 1e6);
    metric(b, "tl_stream_commit_seconds_max", "gauge", "longest commit",
           (double)c->commit_us_max / 1e6);
    metric(b, "tl_stream_buffered_rows", "gauge", "rows waiting for the next flush",
           (double)c->buffered_rows);
    metric(b, "tl_stream_dedupe_entries", "gauge", "(symbol, seq) pairs remembered",
           (double)c->dedupe_entries);
    if (c->watermark_us != INT64_MIN)
        metric(b, "tl_stream_watermark_seconds", "gauge", "event-time watermark",
               (double)c->watermark_us / 1e6);
}

int tl_live_metrics_text(tl_live *l, tl_buf *out) {
    pthread_mutex_lock(&l->mu);
    if (l->have_counters)
        stream_metrics(out, &l->counters);
    metric(out, "tl_live_ticks_total", "counter", "ticks seen by the dashboard's live state",
           (double)l->ticks);
    metric(out, "tl_live_symbols", "gauge", "symbols tracked", (double)tl_strmap_count(l->index));
    metric(out, "tl_live_ingest_rate", "gauge", "ticks per second, last seconds",
           tl_live_rate_locked(l));
    if (l->lag >= 0)
        metric(out, "tl_consumer_lag_messages", "gauge", "produced but not yet consumed",
               (double)l->lag);
    metric(out, "tl_lake_version", "gauge", "ticks table version", (double)l->lake_version);
    metric(out, "tl_lake_files", "gauge", "live files of the ticks table", (double)l->lake_files);
    if (l->have_counters)
        tl_quality_set_rejected_crossed(l->quality,
                                        l->counters.rejected_by_reason[TL_TICK_CROSSED_QUOTE]);
    tl_quality_metrics_text(l->quality, tl_now_us(), out);
    int rc = tl_buf_puts(out, "");
    pthread_mutex_unlock(&l->mu);
    return rc;
}
