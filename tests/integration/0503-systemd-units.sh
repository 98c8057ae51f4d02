#!/usr/bin/env bash
# deploy/systemd's units pass `systemd-analyze verify` (syntax, directives,
# the binary they start), with the binary path pointed at this build.
source "$(dirname "$0")/lib.sh"
command -v systemd-analyze > /dev/null || { [ -n "${CI:-}" ] && fail "systemd-analyze is not installed"; echo "skip: no systemd-analyze" >&2; exit 0; }
cd "$WORK"
for u in "$TL_SOURCE_DIR"/deploy/systemd/*.service; do
  name=$(basename "$u"); name=${name/@.service/@ticks.service}
  sed "s#/usr/local/bin/ticklake#$TICKLAKE#" "$u" > "$name"
done
out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify ./*.service 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify warned: $out"
for u in ./*.service; do
  grep -q '^DynamicUser=yes' "$u" && grep -q '^ProtectSystem=strict' "$u" && grep -q '^ReadWritePaths=' "$u" \
    && grep -q '^EnvironmentFile=' "$u" && grep -q '^Restart=' "$u" || fail "$u lacks its hardening or restart policy"
done
