/* Shared between the lake's source files; not part of the public API. */
#ifndef TL_LAKE_LAKE_INTERNAL_H
#define TL_LAKE_LAKE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lake/lake.h"
#include "util/buf.h"
#include "util/strmap.h"

#define LAKE_LOG_DIR "_delta_log"

typedef enum {
    LAKE_ACT_NONE = 0, /* blank line */
    LAKE_ACT_ADD,
    LAKE_ACT_REMOVE,
    LAKE_ACT_TXN,
    LAKE_ACT_METADATA,
    LAKE_ACT_PROTOCOL,
    LAKE_ACT_COMMITINFO,
    LAKE_ACT_OTHER, /* cdc, domainMetadata, ...: not needed for a snapshot */
} lake_act_type;

typedef struct lake_txn {
    char *app_id;
    int64_t version;
    int64_t last_updated; /* -1 when absent */
} lake_txn;

/* Protocol plus what is needed to judge whether we can read the table. */
typedef struct lake_protocol {
    tl_lake_protocol p;
    char **reader_features;
    size_t n_reader_features;
    char **writer_features;
    size_t n_writer_features;
} lake_protocol;

/* One parsed action; pointers are owned by it until taken (set to NULL). */
typedef struct lake_action {
    lake_act_type type;
    tl_lake_file *file; /* add, remove */
    lake_txn *txn;
    tl_lake_metadata *md;
    lake_protocol proto;
} lake_action;

/* delta_json.c: parse one log line (NUL-terminated). On a malformed line
 * returns TL_ERR_CORRUPT with the reason in err (no file/line context). */
int tl_lake_action_parse(const char *line, lake_action *a, tl_err *err);
void tl_lake_action_clear(lake_action *a);
void tl_lake_file_free(void *f);
void tl_lake_txn_free(void *t);
void tl_lake_metadata_free(tl_lake_metadata *md);
void tl_lake_protocol_clear(lake_protocol *p);
/* Deep copies. NULL on out of memory. */
tl_lake_metadata *tl_lake_metadata_dup(const tl_lake_metadata *md);

/* "<table>/_delta_log/" into out (reset first). */
int tl_lake_log_prefix(tl_buf *out, const char *table);

/* Version from a log file name ("00000000000000000012.json" -> 12) or -1. */
int64_t tl_lake_commit_name_version(const char *name);

/* Called for each action; may take ownership of a's pointers (set NULL). */
typedef int (*lake_action_fn)(void *ud, lake_action *a, tl_err *err);
/* One checkpoint row as a JSON object of action columns ({"add":{..},
 * "remove":null,...}): fn for each non-null action column it holds. */
int tl_lake_row_parse(const char *row_json, lake_action_fn fn, void *ud, tl_err *err);

/* delta_checkpoint.c: read a V1 checkpoint (its part keys given, in part
 * order) through a DuckDB database limited by duck (NULL = DuckDB's
 * defaults) and call fn for every action in it. */
int tl_lake_checkpoint_read(tl_store *s, char *const *part_keys, size_t n_parts,
                            const tl_duck_opts *duck, lake_action_fn fn, void *ud, tl_err *err);

/* delta_checkpoint_write.c: the checkpoint's rows (protocol, metaData,
 * txn, add, and the removes not expired before tomb_cutoff_ms) as Delta log
 * lines into f; *rows = lines written. 0, TL_ERR_NOMEM or TL_ERR_IO. */
int tl_lake_checkpoint_rows(FILE *f, const tl_lake_snapshot *snap, int64_t tomb_cutoff_ms,
                            size_t *rows);

/* Milliseconds since the epoch. */
int64_t tl_lake_now_ms(void);
/* A random (version 4) UUID in canonical text form; out needs 37 bytes. */
void tl_lake_uuid(char out[37]);

#endif
