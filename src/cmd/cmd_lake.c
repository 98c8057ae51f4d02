/* cmd_lake: the commands that read a lake refuse one that is not there,
 * before anything opens (and so creates) it: `query --lake /mistyped` must
 * say so, not print an empty result from an empty folder it just made. An
 * existing folder without tables is an empty lake (benchmarks use one to
 * run DuckDB over plain files). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/cmd_opts.h"
#include "sched/sched_hold.h"
#include "util/log.h"

static bool is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
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
    if (!strncmp(lake, "s3://", 5)) /* checked by its first request, which fails fast */
        return TL_EXIT_OK;
    errno = 0;
    if (!is_dir(lake)) {
        tl_log_line(TL_LOG_ERROR, cmd,
                    "ticklake %s: no lake at %s: %s (check --lake / TICKLAKE_LAKE_PATH; "
                    "`ticklake stream` or `ticklake up` creates a lake)",
                    cmd, lake, errno == ENOENT ? "the folder does not exist" : "not a folder");
        return TL_EXIT_USAGE;
    }
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
