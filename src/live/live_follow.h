/* live_follow — keeps a tl_live up to date from the lake: the ticks
 * table's snapshot is refreshed periodically (tl_lake_snapshot_refresh
 * reads only the new commits), lake facts go to the health panel, and,
 * when asked to feed ticks (the dashboard running without a stream in its
 * process), only the files that new commits added are read, through
 * DuckDB. Files added by compaction (dataChange=false) hold ticks already
 * seen and are skipped.
 *
 * Threading: tl_live_follow_start runs polls on its own thread until
 * tl_live_follow_destroy; tl_live_follow_poll runs one poll on the caller's
 * thread (tests). Do not mix the two. */
#ifndef TL_LIVE_LIVE_FOLLOW_H
#define TL_LIVE_LIVE_FOLLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "duck/duck_opts.h"
#include "live/live.h"
#include "store/store.h"
#include "util/err.h"

typedef struct tl_live_follow tl_live_follow;

/* store is borrowed. feed_ticks: read new files into live. On the first
 * poll with feed_ticks, the files of the hours the bar ring spans are read
 * and tl_live_set_since is set to the first of those hours (the hour an
 * hour ago and the current one). duck (copied; NULL = DuckDB's defaults):
 * the limits of the DuckDB databases that read the files and checkpoints. */
tl_live_follow *tl_live_follow_new(tl_live *live, tl_store *store, bool feed_ticks,
                                   const tl_duck_opts *duck, tl_err *err);
/* Also read the models' run history from this warehouse file (borrowed;
 * NULL: none) into the health panel, when it changed: the standalone
 * dashboard shows model runs that another process made. */
void tl_live_follow_set_warehouse(tl_live_follow *f, const char *path);
/* One poll: refresh, update the health facts, feed new files. */
int tl_live_follow_poll(tl_live_follow *f, tl_err *err);
/* Poll every period_ms on a thread of its own. 0 ok. */
int tl_live_follow_start(tl_live_follow *f, int64_t period_ms, tl_err *err);
/* Tombstones its snapshot holds: the newest compaction's files only (the
 * health panel's figure); older ones are dropped. For tests. */
size_t tl_live_follow_tombstones(const tl_live_follow *f);
/* Stops the thread (if started) and frees. */
void tl_live_follow_destroy(tl_live_follow *f);

#endif
