#!/usr/bin/env bash
# Every extern symbol ticklake defines starts with tl_ (issue 12: one prefix
# scheme): a helper that is not part of a module's interface is static. Reads
# the module libraries CMake built (libtl_<module>.a in BUILD_DIR).
set -euo pipefail
BUILD_DIR=${1:?usage: check_symbols.sh BUILD_DIR}
bad=0; n=0
for lib in "$BUILD_DIR"/libtl_*.a; do
  while read -r sym; do
    n=$((n + 1))
    case "$sym" in
      tl_*) ;;
      *) echo "extern symbol without the tl_ prefix: $sym (in $(basename "$lib"))" >&2; bad=1 ;;
    esac
  done < <(nm -g --defined-only "$lib" | awk '$2 ~ /^[TDBRC]$/ {print $3}')
done
[ "$n" -gt 100 ] || { echo "only $n symbols found in $BUILD_DIR/libtl_*.a: wrong folder?" >&2; exit 1; }
[ "$bad" -eq 0 ] && echo "ok: $n extern symbols, all tl_" >&2
exit $bad
