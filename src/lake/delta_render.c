/* delta_render — Delta actions as log lines on the JSON writer; the field
 * choices are explained in delta_render.h. */
#include "lake/delta_render.h"

#include <stdlib.h>

static int kv_object(tl_json *j, const tl_lake_kv *kv, size_t n) {
    int rc = tl_json_obj_begin(j);
    for (size_t i = 0; i < n && !rc; i++)
        rc = tl_json_kv_str(j, kv[i].key, kv[i].value);
    return rc || tl_json_obj_end(j) ? tl_json_status(j) : 0;
}

static int path_member(tl_json *j, const char *path) {
    char *enc = tl_lake_path_encode(path);
    int rc = enc ? tl_json_kv_str(j, "path", enc) : TL_ERR_NOMEM;
    free(enc);
    return rc;
}

/* {"<action>":{ ... the members written by body ... }}\n */
static int action_begin(tl_json *j, const char *action) {
    return tl_json_obj_begin(j) || tl_json_key(j, action) || tl_json_obj_begin(j);
}

static int action_end(tl_json *j) {
    tl_json_obj_end(j);
    tl_json_obj_end(j);
    return tl_json_end_line(j);
}

static int opt_int(tl_json *j, const char *key, int64_t v) {
    return v >= 0 ? tl_json_kv_int(j, key, v) : 0;
}

int tl_lake_render_add(tl_json *j, const tl_lake_file *f) {
    if (action_begin(j, "add") || path_member(j, f->path) || tl_json_key(j, "partitionValues") ||
        kv_object(j, f->partition_values, f->n_partition_values) ||
        tl_json_kv_int(j, "size", f->size) ||
        tl_json_kv_int(j, "modificationTime", f->modification_time) ||
        tl_json_kv_bool(j, "dataChange", f->data_change) ||
        (f->stats && tl_json_kv_str(j, "stats", f->stats)))
        return tl_json_status(j) ? tl_json_status(j) : TL_ERR_NOMEM;
    return action_end(j);
}

int tl_lake_render_remove(tl_json *j, const tl_lake_file *f) {
    bool extended = f->size >= 0;
    int rc = action_begin(j, "remove") || path_member(j, f->path) ||
             opt_int(j, "deletionTimestamp", f->deletion_timestamp) ||
             tl_json_kv_bool(j, "dataChange", f->data_change);
    if (!rc && extended)
        rc = tl_json_kv_bool(j, "extendedFileMetadata", true);
    if (!rc && (extended || f->n_partition_values))
        rc = tl_json_key(j, "partitionValues") ||
             kv_object(j, f->partition_values, f->n_partition_values);
    if (!rc && extended)
        rc = tl_json_kv_int(j, "size", f->size);
    if (rc)
        return tl_json_status(j) ? tl_json_status(j) : TL_ERR_NOMEM;
    return action_end(j);
}

int tl_lake_render_txn(tl_json *j, const char *app_id, int64_t version, int64_t last_updated) {
    action_begin(j, "txn");
    tl_json_kv_str(j, "appId", app_id);
    tl_json_kv_int(j, "version", version);
    opt_int(j, "lastUpdated", last_updated);
    return action_end(j);
}

int tl_lake_render_protocol(tl_json *j, const tl_lake_protocol *p) {
    action_begin(j, "protocol");
    tl_json_kv_int(j, "minReaderVersion", p->min_reader_version);
    tl_json_kv_int(j, "minWriterVersion", p->min_writer_version);
    return action_end(j);
}

int tl_lake_render_metadata(tl_json *j, const tl_lake_metadata *md) {
    action_begin(j, "metaData");
    tl_json_kv_str(j, "id", md->id);
    if (md->name)
        tl_json_kv_str(j, "name", md->name);
    if (md->description)
        tl_json_kv_str(j, "description", md->description);
    tl_json_key(j, "format");
    tl_json_obj_begin(j);
    tl_json_kv_str(j, "provider", md->format_provider ? md->format_provider : "parquet");
    tl_json_key(j, "options");
    kv_object(j, NULL, 0);
    tl_json_obj_end(j);
    tl_json_kv_str(j, "schemaString", md->schema_string);
    tl_json_key(j, "partitionColumns");
    tl_json_arr_begin(j);
    for (size_t i = 0; i < md->n_partition_columns; i++)
        tl_json_str(j, md->partition_columns[i]);
    tl_json_arr_end(j);
    tl_json_key(j, "configuration");
    kv_object(j, md->configuration, md->n_configuration);
    opt_int(j, "createdTime", md->created_time);
    return action_end(j);
}

int tl_lake_render_commit_info(tl_json *j, const tl_lake_commit_info *ci) {
    action_begin(j, "commitInfo");
    tl_json_kv_int(j, "timestamp", ci->timestamp);
    tl_json_kv_str(j, "operation", ci->operation);
    tl_json_key(j, "operationParameters");
    kv_object(j, ci->params, ci->n_params);
    opt_int(j, "readVersion", ci->read_version);
    tl_json_kv_str(j, "isolationLevel", "Serializable");
    tl_json_kv_bool(j, "isBlindAppend", ci->blind_append);
    tl_json_key(j, "operationMetrics");
    kv_object(j, ci->metrics, ci->n_metrics);
    tl_json_kv_str(j, "engineInfo", ci->engine_info);
    tl_json_kv_str(j, "txnId", ci->txn_id);
    return action_end(j);
}
