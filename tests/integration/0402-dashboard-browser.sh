#!/usr/bin/env bash
# The dashboard in a real browser: Debian's Chromium driven by playwright-core
# (tests/browser/dashboard.mjs) against `ticklake up`, stopped with SIGINT
# once the browser is done (a fixed duration raced a slow page). The
# table fills, the chart's last price moves, the overlays show what
# /api/stats answered, keyboard and mouse switch the chart, a narrow window
# still works. Screenshots: $TL_BUILD_DIR/dashboard*.png.
source "$(dirname "$0")/lib.sh"
BROWSER_DIR="$TL_SOURCE_DIR/tests/browser"
SHOTS=${TL_BUILD_DIR:-$WORK}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || fail "no Chromium at $CHROMIUM: install Debian's chromium (scripts/bootstrap)"
[ -d "$BROWSER_DIR/node_modules/playwright-core" ] \
  || fail "playwright-core missing: (cd tests/browser && npm ci), as scripts/bootstrap does"
cd "$WORK"

start_up --duration 600 --symbols 40 --rate 2000

SECONDS=0
CHROMIUM="$CHROMIUM" node "$BROWSER_DIR/dashboard.mjs" "$URL" "$SHOTS" || fail "browser checks"
echo "browser checks took ${SECONDS} s" >&2
kill -INT "$UP"
rc=0
wait "$UP" || rc=$?
expect_eq "up exit code after SIGINT" "$rc" 0
echo "screenshots: $SHOTS/dashboard.png $SHOTS/dashboard-5m.png $SHOTS/dashboard-narrow.png" >&2
