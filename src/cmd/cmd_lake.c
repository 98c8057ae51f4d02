/* cmd_lake: the commands that read a lake refuse one that is not there,
 * before anything opens (and so creates) it: `query --lake /mistyped` must
 * say so, not print an empty result from an empty folder it just made. An
 * existing folder without tables is an empty lake (benchmarks use one to
 * run DuckDB over plain files). S3 has no folders: an S3 lake is there
 * when anything is stored under its prefix. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/cmd_opts.h"
#include "sched/sched_hold.h"
#include "store/store_conf.h"
#include "util/log.h"

static bool is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int no_lake(const char *cmd, const char *lake, const char *why) {
    tl_log_line(TL_LOG_ERROR, cmd,
                "ticklake %s: no lake at %s: %s (check --lake / TICKLAKE_LAKE_PATH; "
                "`ticklake stream` or `ticklake up` creates a lake)",
                cmd, lake, why);
    return TL_EXIT_USAGE;
}

/* One list of at most one key under the lake's prefix, with the store a
 * command that reads opens (its first connection fails fast, so an
 * unreachable endpoint is reported here at once, exit 1). */
static int s3_lake_check(const tl_config *cfg, const char *cmd) {
    tl_err err = {0};
    bool found = false;
    tl_store *s = tl_store_conf_open(cfg, true, &err);
    int rc = s ? tl_store_any(s, "", &found, &err) : err.code ? err.code : TL_ERR_IO;
    tl_store_destroy(s);
    if (rc != 0) { /* a missing bucket too: S3's NoSuchBucket, a setup error like bad keys */
        tl_log_line(TL_LOG_ERROR, cmd, "ticklake %s: %s", cmd, err.msg);
        return TL_EXIT_FAILURE;
    }
    return found ? TL_EXIT_OK : no_lake(cmd, cfg->lake, "nothing is stored under that prefix");
}

int tl_cmd_lake_check(const tl_config *cfg, const char *cmd) {
    const char *lake = cfg->lake;
    if (!lake || !*lake) {
        tl_log_line(TL_LOG_ERROR, cmd,
                    "ticklake %s: no lake given (--lake DIR or s3://bucket/prefix, or "
                    "TICKLAKE_LAKE_PATH)",
                    cmd);
        return TL_EXIT_USAGE;
    }
    if (!strncmp(lake, "s3://", 5))
        return s3_lake_check(cfg, cmd);
    errno = 0;
    if (!is_dir(lake))
        return no_lake(cmd, lake, errno == ENOENT ? "the folder does not exist" : "not a folder");
    return TL_EXIT_OK;
}

struct tl_sched_hold *tl_cmd_hold_take(const tl_config *cfg, tl_store *store, const char *job,
                                       tl_err *err) {
    tl_sched_hold *h = tl_sched_hold_take(store, job, cfg->lease_ttl_ms, cfg->lease_wait_ms, 0, err);
    size_t n = strlen(err->msg);
    if (!h && err->code == TL_ERR_CONFLICT && cfg->lease_wait_ms <= 0)
        snprintf(err->msg + n, sizeof err->msg - n,
                 "; try again later, or pass --wait 10m to wait for it");
    else if (!h && err->code == TL_ERR_CONFLICT)
        snprintf(err->msg + n, sizeof err->msg - n, "; gave up after waiting %.0f s (--wait)",
                 (double)cfg->lease_wait_ms / 1e3);
    return h;
}
