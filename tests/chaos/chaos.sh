# Shared helpers for the crash suite (sourced after tests/integration/lib.sh).
#
#   CHAOS_KILLS   SIGKILLs per scenario (default 20; `make test` runs 4)
#   CHAOS_SEED    seeds the simulator, the kill moments and the delays (default 1)
#   CHAOS_DEEP    1: the delta-rs + pyarrow check of every live file after every
#                 kill, not only at the end (default: 1 from 10 kills on)
#
# A kill moment is chosen by tests/chaos/killer.py, which starts the command
# and watches the lake: after a commit, between the dead-letter and the ticks
# commit of one flush, while a Parquet file is written, or right after a data
# file was published and before its commit. Every wait is bounded.
CHAOS_DIR="$TL_SOURCE_DIR/tests/chaos"
KILLS=${CHAOS_KILLS:-20}
CHAOS_SEED=${CHAOS_SEED:-1}
RANDOM=$CHAOS_SEED
if [ "$KILLS" -ge 10 ]; then CHAOS_DEEP=${CHAOS_DEEP:-1}; else CHAOS_DEEP=${CHAOS_DEEP:-0}; fi
INTEROP=$("$TL_SOURCE_DIR/scripts/pyenv" interop) ||
  fail "cannot set up the pinned interop venv (scripts/pyenv interop: deltalake, pyarrow)"
say "crash suite: $KILLS kills, CHAOS_SEED=$CHAOS_SEED (rerun with the same values to repeat the moments' choice)"

# killer ARGS... -- COMMAND... -> killer.py's status (0 killed at the moment,
# 3 the command ended by itself, 4 the moment did not come in time); the
# command's stderr goes to $CHILD_ERR (default $WORK/child.err)
killer() {
  local rc=0
  python3 "$CHAOS_DIR/killer.py" "$@" >> "$WORK/kills.log" 2>> "${CHILD_ERR:-$WORK/child.err}" || rc=$?
  tail -n1 "$WORK/kills.log" >&2
  return "$rc"
}

# lake_check LAKE -> prints lake_check.py's JSON; fails naming every live file
# that is missing, of another size than the log says, or not readable Parquet
lake_check() {
  local out
  out=$("$INTEROP/bin/python" "$CHAOS_DIR/lake_check.py" "$1") ||
    bug "$2: a live file is missing or not whole (lake_check.py $1 above)"
  echo "$out"
}

# kill_check LAKE WHAT -> after a kill on a local lake: every live file (by
# ticklake's reader) exists with the log's size and Parquet's magic at both
# ends; with CHAOS_DEEP=1 also lake_check
kill_check() {
  python3 "$CHAOS_DIR/lake_check.py" --quick "$1" > /dev/null ||
    bug "$2: a live file is missing or not whole (above)"
  if [ "$CHAOS_DEEP" = 1 ]; then lake_check "$1" "$2" > /dev/null; fi
}

# figures LAKE -> "rows|sum(price)|distinct (symbol, seq)|sum(seq)" of the ticks snapshot
figures() {
  q "$1" "SELECT count(*) || '|' || coalesce(sum(price), 0) || '|' ||
            count(DISTINCT (symbol, seq)) || '|' || coalesce(sum(seq), 0) FROM ticks"
}

# bug WHAT -> fails the test, flagged as a ticklake bug found by the crash suite
bug() {
  fail "TICKLAKE BUG found by the crash suite ($(basename "$0"), CHAOS_SEED=$CHAOS_SEED, CHAOS_KILLS=$KILLS): $*"
}

# ms N -> N milliseconds as seconds for sleep
ms() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }
