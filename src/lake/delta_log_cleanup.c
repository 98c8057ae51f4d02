/* delta_log_cleanup — expiring log entries behind the newest checkpoint
 * ("Metadata Cleanup" in PROTOCOL.md): once a checkpoint at version C
 * exists, commits and checkpoints before C are only needed by readers of
 * old versions (time travel) and by writers holding very old snapshots,
 * so they are kept for a retention period and then deleted. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lake/lake_internal.h"
#include "util/log.h"

/* "N.checkpoint.parquet" (1 of 1) or "N.checkpoint.P.T.parquet"; -1 if
 * name is not a V1 checkpoint. */
static int64_t checkpoint_version(const char *name, unsigned *part, unsigned *parts) {
    if (strlen(name) < 32 || strspn(name, "0123456789") != 20 ||
        strncmp(name + 20, ".checkpoint.", 12) != 0)
        return -1;
    const char *rest = name + 32;
    if (!strcmp(rest, "parquet")) {
        *part = *parts = 1;
    } else {
        char *end;
        *part = (unsigned)strtoul(rest, &end, 10);
        if (*end != '.')
            return -1;
        *parts = (unsigned)strtoul(end + 1, &end, 10);
        if (strcmp(end, ".parquet") != 0 || *part < 1 || *part > *parts)
            return -1;
    }
    return strtoll(name, NULL, 10);
}

/* The newest version whose checkpoint has all its parts in the listing. */
static int64_t newest_complete_checkpoint(const tl_store_entry *e, size_t n, size_t plen) {
    int64_t best = -1;
    for (size_t i = 0; i < n; i++) {
        unsigned part, parts;
        int64_t v = checkpoint_version(e[i].key + plen, &part, &parts);
        if (v <= best || part != 1)
            continue;
        /* parts 2..P follow part 1 in lexicographic order */
        unsigned seen = 1;
        for (size_t j = i + 1; j < n && seen < parts; j++) {
            unsigned pj, tj;
            if (checkpoint_version(e[j].key + plen, &pj, &tj) == v && tj == parts && pj == seen + 1)
                seen++;
        }
        if (seen == parts)
            best = v;
    }
    return best;
}

int tl_lake_log_cleanup(tl_store *s, const char *table, int64_t retention_ms, size_t *deleted,
                        tl_err *err) {
    tl_buf prefix = TL_BUF_INIT;
    tl_store_entry *e = NULL;
    size_t n = 0, count = 0;
    int rc = tl_lake_log_prefix(&prefix, table) ? tl_err_set(err, TL_ERR_NOMEM, "out of memory")
                                                : tl_store_list(s, prefix.data, &e, &n, err);
    if (rc)
        goto out;
    size_t plen = prefix.len;
    int64_t ckpt = newest_complete_checkpoint(e, n, plen);
    int64_t cutoff = tl_lake_now_ms() - retention_ms;
    for (size_t i = 0; ckpt > 0 && i < n && rc == 0; i++) {
        const char *name = e[i].key + plen;
        unsigned part, parts;
        int64_t v = tl_lake_commit_name_version(name);
        if (v < 0)
            v = checkpoint_version(name, &part, &parts);
        if (v < 0 || v >= ckpt || e[i].mtime_ms >= cutoff)
            continue;
        if ((rc = tl_store_del(s, e[i].key, err)) == 0)
            count++;
    }
    if (count)
        tl_debug("lake", "%s: deleted %zu log files before checkpoint %" PRId64, prefix.data, count,
                 ckpt);
out:
    if (deleted)
        *deleted = count;
    tl_store_entries_free(e, n);
    tl_buf_free(&prefix);
    return rc;
}
