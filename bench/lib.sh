# Shared helpers for the benchmark scripts (sourced).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TICKLAKE=${TICKLAKE:-$ROOT/build/ticklake}
[ -x "$TICKLAKE" ] || { echo "build first: make" >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tl-bench.XXXXXX")
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT
RUNS=${RUNS:-3}
mkdir -p "$WORK/empty" # a lake for queries that read only files (`ticklake query` wants a folder)

now() { date +%s.%N; }
# The machine is shared (2 cores, other work on it): a peer and ticklake are
# timed in alternation inside one loop, so load that comes and goes hits
# both alike, and each figure is the median of its RUNS times.
#   timed NAME CMD...   run CMD once (after $PRE, untimed), append its wall time to NAME
#   median_of NAME      the median of NAME's times, %.3f
timed() {
  local name=$1; shift
  local t0 t1
  "${PRE:-true}"
  t0=$(now); "$@"; t1=$(now)
  echo "$t1 - $t0" | bc -l >> "$WORK/times.$name"
}
median() { sort -g | awk '{a[NR] = $1} END {if (NR == 0) exit 1; m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.3f\n", m}'; }
median_of() { median < "$WORK/times.$1"; }

# verdict VALUE OP TARGET -> met / missed (OP is >= or <=)
verdict() {
  local ok
  if [ "$2" = ">=" ]; then ok=$(echo "$1 >= $3" | bc -l); else ok=$(echo "$1 <= $3" | bc -l); fi
  [ "$ok" = 1 ] && echo met || echo missed
}

# result FIGURE TICKLAKE PEER VALUE TARGET VERDICT
# One row of bench/run-all.sh's table: printed, and appended to $RESULTS
# (tab-separated) when run-all set it. VALUE is the ratio, or the figure
# itself when there is no peer (PEER "-").
result() {
  local line
  line=$(printf '%s\t' "$@"); line=${line%$'\t'}
  echo "RESULT	$line"
  if [ -n "${RESULTS:-}" ]; then echo "$line" >> "$RESULTS"; fi
}
ratio() { echo "scale=4; $1 / $2" | bc -l | xargs printf '%.2f'; }

# wait_line FILE -> the first line of FILE once there is one (10 s at most)
wait_line() {
  local l=""
  for _ in $(seq 100); do l=$(head -n1 "$1" 2>/dev/null || true); [ -n "$l" ] && break; sleep 0.1; done
  [ -n "$l" ] || { echo "no output in $1" >&2; return 1; }
  echo "$l"
}
