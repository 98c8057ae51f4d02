# Shared helpers for the benchmark scripts (sourced).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TICKLAKE=${TICKLAKE:-$ROOT/build/ticklake}
[ -x "$TICKLAKE" ] || { echo "build first: make" >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tl-bench.XXXXXX")
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT
RUNS=${RUNS:-3}

now() { date +%s.%N; }
# best_of N CMD... -> prints the fastest wall time in seconds
best_of() {
  local n=$1; shift
  local best="" t0 t1 t
  for _ in $(seq "$n"); do
    "${PRE:-true}"
    t0=$(now); "$@"; t1=$(now)
    t=$(echo "$t1 - $t0" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  printf '%.3f\n' "$best"
}
