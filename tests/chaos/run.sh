#!/usr/bin/env bash
# The whole crash suite (`make chaos`): every scenario with CHAOS_KILLS kills
# (default 20), one after another; prints each one's time and a summary, exits
# 1 if any failed. Needs TICKLAKE (the binary); TL_SOURCE_DIR defaults to this
# checkout.
set -uo pipefail
: "${TICKLAKE:?set TICKLAKE to the ticklake binary}"
export TICKLAKE TL_SOURCE_DIR=${TL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export CHAOS_KILLS=${CHAOS_KILLS:-20}
dir=$TL_SOURCE_DIR/tests/chaos
failed=()
summary=()
for t in "stream-kill.sh local" "stream-kill.sh s3" "compact-kill.sh" "vacuum-kill.sh" "disk-full.sh"; do
  echo "=== chaos: $t (CHAOS_KILLS=$CHAOS_KILLS)" >&2
  t0=$(date +%s)
  # shellcheck disable=SC2086 # the scenario's name and argument
  if bash $dir/$t; then r=ok; else r=FAILED; failed+=("$t"); fi
  summary+=("$(printf '%-22s %-6s %4d s' "$t" "$r" $(($(date +%s) - t0)))")
done
echo "=== chaos summary" >&2
printf '%s\n' "${summary[@]}" >&2
[ ${#failed[@]} = 0 ] || { echo "chaos: failed: ${failed[*]}" >&2; exit 1; }
