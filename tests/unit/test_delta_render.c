/* One renderer for Delta actions: each action's exact line as PROTOCOL.md
 * wants it (optional fields left out when unknown, never a placeholder), and
 * every action rendered both ways (in the commit that wrote it, and as a
 * checkpoint row from the snapshot read back) is the same line. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lake/delta_render.h"
#include "lake/lake_internal.h"
#include "store/store.h"
#include "tl_test.h"

#define SCHEMA                                                                                     \
    "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,"       \
    "\"metadata\":{}},{\"name\":\"day\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}"

/* Render one action with fn into a fresh buffer; returns it (caller frees). */
#define RENDER(call)                                                                               \
    ({                                                                                             \
        tl_buf b_ = TL_BUF_INIT;                                                                   \
        tl_json *j = tl_json_new(&b_);                                                             \
        assert_non_null(j);                                                                        \
        assert_int_equal((call), 0);                                                               \
        assert_int_equal(tl_json_finish(j, NULL), 0);                                              \
        tl_json_free(j);                                                                           \
        b_.data;                                                                                   \
    })

static const tl_lake_kv pv[] = {{"day", "2026-12-02"}};

static void expect(char *got, const char *want) {
    assert_string_equal(got, want);
    free(got);
}

static void test_add(void **state) {
    (void)state;
    tl_lake_file f = {.path = "day=2026-12-02/a b.parquet",
                      .partition_values = pv,
                      .n_partition_values = 1,
                      .size = 1234,
                      .modification_time = 1700000000000,
                      .deletion_timestamp = -1,
                      .data_change = true,
                      .stats = "{\"numRecords\":3}"};
    expect(RENDER(tl_lake_render_add(j, &f)),
           "{\"add\":{\"path\":\"day=2026-12-02/a%20b.parquet\","
           "\"partitionValues\":{\"day\":\"2026-12-02\"},\"size\":1234,"
           "\"modificationTime\":1700000000000,\"dataChange\":true,"
           "\"stats\":\"{\\\"numRecords\\\":3}\"}}\n");
    /* stats is optional: no statistics, no key (not "stats":null) */
    f.stats = NULL;
    f.data_change = false;
    expect(RENDER(tl_lake_render_add(j, &f)),
           "{\"add\":{\"path\":\"day=2026-12-02/a%20b.parquet\","
           "\"partitionValues\":{\"day\":\"2026-12-02\"},\"size\":1234,"
           "\"modificationTime\":1700000000000,\"dataChange\":false}}\n");
}

static void test_remove(void **state) {
    (void)state;
    tl_lake_file f = {.path = "day=2026-12-02/a.parquet",
                      .partition_values = pv,
                      .n_partition_values = 1,
                      .size = 99,
                      .modification_time = 5,
                      .deletion_timestamp = 1700000000001,
                      .data_change = true};
    expect(RENDER(tl_lake_render_remove(j, &f)),
           "{\"remove\":{\"path\":\"day=2026-12-02/a.parquet\","
           "\"deletionTimestamp\":1700000000001,\"dataChange\":true,"
           "\"extendedFileMetadata\":true,\"partitionValues\":{\"day\":\"2026-12-02\"},"
           "\"size\":99}}\n");
    /* unknown size: no size (0 would claim an empty file) and so no
     * extendedFileMetadata, which promises size; known partitions stay */
    f.size = -1;
    expect(RENDER(tl_lake_render_remove(j, &f)),
           "{\"remove\":{\"path\":\"day=2026-12-02/a.parquet\","
           "\"deletionTimestamp\":1700000000001,\"dataChange\":true,"
           "\"partitionValues\":{\"day\":\"2026-12-02\"}}}\n");
    /* nothing known but the path: only the required fields */
    f.n_partition_values = 0;
    f.partition_values = NULL;
    f.deletion_timestamp = -1;
    f.data_change = false;
    expect(RENDER(tl_lake_render_remove(j, &f)),
           "{\"remove\":{\"path\":\"day=2026-12-02/a.parquet\",\"dataChange\":false}}\n");
    /* an unpartitioned file of known size: an empty map, as the flag promises */
    f.size = 7;
    expect(RENDER(tl_lake_render_remove(j, &f)),
           "{\"remove\":{\"path\":\"day=2026-12-02/a.parquet\",\"dataChange\":false,"
           "\"extendedFileMetadata\":true,\"partitionValues\":{},\"size\":7}}\n");
}

static void test_txn_protocol_metadata(void **state) {
    (void)state;
    expect(RENDER(tl_lake_render_txn(j, "app\"1", 42, 1700000000000)),
           "{\"txn\":{\"appId\":\"app\\\"1\",\"version\":42,\"lastUpdated\":1700000000000}}\n");
    expect(RENDER(tl_lake_render_txn(j, "a", 0, -1)),
           "{\"txn\":{\"appId\":\"a\",\"version\":0}}\n");
    expect(RENDER(tl_lake_render_protocol(j, &(tl_lake_protocol){1, 2})),
           "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}\n");
    const char *cols[] = {"day"};
    tl_lake_kv conf[] = {{"delta.appendOnly", "true"}};
    tl_lake_metadata md = {.id = "af23c9d7-fff1-4a5a-a2c8-55c59bd782aa",
                           .schema_string = "{}",
                           .partition_columns = cols,
                           .n_partition_columns = 1,
                           .created_time = -1};
    expect(RENDER(tl_lake_render_metadata(j, &md)),
           "{\"metaData\":{\"id\":\"af23c9d7-fff1-4a5a-a2c8-55c59bd782aa\","
           "\"format\":{\"provider\":\"parquet\",\"options\":{}},\"schemaString\":\"{}\","
           "\"partitionColumns\":[\"day\"],\"configuration\":{}}}\n");
    md.name = "ticks";
    md.description = "d";
    md.configuration = conf;
    md.n_configuration = 1;
    md.created_time = 17;
    expect(RENDER(tl_lake_render_metadata(j, &md)),
           "{\"metaData\":{\"id\":\"af23c9d7-fff1-4a5a-a2c8-55c59bd782aa\",\"name\":\"ticks\","
           "\"description\":\"d\",\"format\":{\"provider\":\"parquet\",\"options\":{}},"
           "\"schemaString\":\"{}\",\"partitionColumns\":[\"day\"],"
           "\"configuration\":{\"delta.appendOnly\":\"true\"},\"createdTime\":17}}\n");
}

static void test_commit_info(void **state) {
    (void)state;
    tl_lake_kv params[] = {{"outputMode", "Append"}, {"epochId", "3"}};
    tl_lake_kv metrics[] = {{"numAddedFiles", "1"}};
    tl_lake_commit_info ci = {.timestamp = 10,
                              .operation = "STREAMING UPDATE",
                              .params = params,
                              .n_params = 2,
                              .read_version = 4,
                              .blind_append = true,
                              .metrics = metrics,
                              .n_metrics = 1,
                              .engine_info = "ticklake/x",
                              .txn_id = "u"};
    expect(RENDER(tl_lake_render_commit_info(j, &ci)),
           "{\"commitInfo\":{\"timestamp\":10,\"operation\":\"STREAMING UPDATE\","
           "\"operationParameters\":{\"outputMode\":\"Append\",\"epochId\":\"3\"},"
           "\"readVersion\":4,\"isolationLevel\":\"Serializable\",\"isBlindAppend\":true,"
           "\"operationMetrics\":{\"numAddedFiles\":\"1\"},\"engineInfo\":\"ticklake/x\","
           "\"txnId\":\"u\"}}\n");
}

/* ---- both ways: the commit's lines are the checkpoint's rows -------------- */

static char *get_text(tl_store *s, const char *key) {
    tl_buf b = TL_BUF_INIT;
    tl_err err = {0};
    if (tl_store_get(s, key, &b, &err) != 0)
        fail_msg("get %s: %s", key, err.msg);
    return b.data;
}

static char *commit_text(tl_store *s, int64_t v) {
    char key[256];
    assert_int_equal(tl_lake_log_key("t", v, key, sizeof key), 0);
    return get_text(s, key);
}

static char *checkpoint_rows(tl_store *s) {
    tl_err err = {0};
    tl_lake_snapshot *snap = NULL;
    assert_int_equal(tl_lake_snapshot_load(s, "t", NULL, &snap, &err), 0);
    char *text = NULL;
    size_t len = 0, rows = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(tl_lake_checkpoint_rows(f, snap, 0, &rows), 0);
    fclose(f);
    tl_lake_snapshot_free(snap);
    return text;
}

/* Every line of `commit` naming `action` (but not `skip`) is a line of rows;
 * returns how many were checked. */
static int lines_in(const char *commit, const char *action, const char *skip, const char *rows) {
    char prefix[64];
    snprintf(prefix, sizeof prefix, "{\"%s\":", action);
    int found = 0;
    for (const char *l = commit; *l;) {
        const char *nl = strchr(l, '\n');
        size_t n = (size_t)(nl - l) + 1;
        char *line = strndup(l, n);
        if (strncmp(line, prefix, strlen(prefix)) == 0 && !(skip && strstr(line, skip))) {
            if (!strstr(rows, line))
                fail_msg("commit line not in the checkpoint rows:\n%s\nrows:\n%s", line, rows);
            found++;
        }
        free(line);
        l += n;
    }
    return found;
}

static void test_commit_and_checkpoint_agree(void **state) {
    (void)state;
    char root[128];
    tl_store *s = NULL;
    tl_err err = {0};
    assert_int_equal(tl_test_store(root, sizeof root, "render", &s), 0);
    const char *cols[] = {"day"};
    assert_int_equal(tl_lake_create(s, "t", SCHEMA, cols, 1, NULL, &err), 0);

    tl_lake_tx *tx = tl_lake_tx_new("WRITE", NULL, &err);
    tl_lake_file a = {.path = "day=2026-12-02/a.parquet",
                      .partition_values = pv,
                      .n_partition_values = 1,
                      .size = 10,
                      .modification_time = 1700000000000,
                      .data_change = true,
                      .stats = "{\"numRecords\":1}"};
    tl_lake_file b = a;
    b.path = "day=2026-12-02/b c%.parquet";
    b.stats = NULL; /* no statistics: the key is left out both ways */
    tl_lake_file c = a;
    c.path = "day=2026-12-02/c.parquet";
    assert_int_equal(tl_lake_tx_add(tx, &a, &err), 0);
    assert_int_equal(tl_lake_tx_add(tx, &b, &err), 0);
    assert_int_equal(tl_lake_tx_add(tx, &c, &err), 0);
    assert_int_equal(tl_lake_tx_set_txn(tx, "app-1", 7, &err), 0);
    assert_int_equal(tl_lake_commit(s, "t", tx, 0, NULL, &err), 0);
    tl_lake_tx_destroy(tx);

    tx = tl_lake_tx_new("OPTIMIZE", NULL, &err);
    assert_int_equal(tl_lake_tx_remove(tx, &c, false, 1700000000500, &err), 0);
    assert_int_equal(tl_lake_commit(s, "t", tx, 1, NULL, &err), 0);
    tl_lake_tx_destroy(tx);

    char *rows = checkpoint_rows(s);
    char *v0 = commit_text(s, 0), *v1 = commit_text(s, 1), *v2 = commit_text(s, 2);
    assert_int_equal(lines_in(v0, "protocol", NULL, rows), 1);
    assert_int_equal(lines_in(v0, "metaData", NULL, rows), 1);
    assert_int_equal(lines_in(v1, "add", "/c.parquet", rows), 2); /* c was removed in v2 */
    assert_int_equal(lines_in(v1, "txn", NULL, rows), 1);
    assert_int_equal(lines_in(v2, "remove", NULL, rows), 1);
    /* and what they are: protocol-correct in both */
    assert_null(strstr(rows, "\"stats\":null"));
    assert_non_null(strstr(v2, "\"extendedFileMetadata\":true,\"partitionValues\":{\"day\":"
                               "\"2026-12-02\"},\"size\":10}}\n"));
    assert_non_null(strstr(v2, "\"deletionTimestamp\":1700000000500,\"dataChange\":false"));
    free(v0);
    free(v1);
    free(v2);
    free(rows);
    assert_int_equal(tl_test_store_free(root, s), 0);
}

/* A remove read from another engine's log without a size stays without one
 * (the checkpoint wrote "size":0 for it before, the commit omitted it). */
static void test_foreign_remove_without_size(void **state) {
    (void)state;
    char root[128];
    tl_store *s = NULL;
    tl_err err = {0};
    assert_int_equal(tl_test_store(root, sizeof root, "render", &s), 0);
    assert_int_equal(tl_lake_create(s, "t", SCHEMA, NULL, 0, NULL, &err), 0);
    const char *v1 = "{\"remove\":{\"path\":\"x.parquet\",\"deletionTimestamp\":1700000000000,"
                     "\"dataChange\":true}}\n";
    char key[256];
    assert_int_equal(tl_lake_log_key("t", 1, key, sizeof key), 0);
    assert_int_equal(tl_store_put(s, key, v1, strlen(v1), &err), 0);
    char *rows = checkpoint_rows(s);
    assert_non_null(strstr(rows, v1));
    assert_null(strstr(rows, "\"size\":0"));
    free(rows);
    assert_int_equal(tl_test_store_free(root, s), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add),
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_txn_protocol_metadata),
        cmocka_unit_test(test_commit_info),
        cmocka_unit_test(test_commit_and_checkpoint_agree),
        cmocka_unit_test(test_foreign_remove_without_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
