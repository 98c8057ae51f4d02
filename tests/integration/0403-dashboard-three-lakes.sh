#!/usr/bin/env bash
# The dashboard in a real browser (Debian's Chromium, playwright-core:
# tests/browser/lakes.mjs) on three lakes (issue 14):
#   past      two backfilled days of 2026-11 (`stream --from`), the second with
#             fewer symbols and the first with an hour without trades; a
#             standalone `dashboard` on it
#   live      a running `ticklake up`, once its lake holds 100+ seconds of
#             trades of today
#   finished  that lake after `up` stopped, a standalone `dashboard` on it
# Each: symbols shown, a time axis that places the chart's own data by time,
# the day picker and the custom range showing that range's symbols and
# bars, the compare view with 3 tickers normalised to % change, the status
# pill (live / stale or finished), no "-0.00". Screenshots:
# $TL_BUILD_DIR/screenshots/{past,live,finished}{,-5m,-day,-custom,-compare}.png
source "$(dirname "$0")/lib.sh"
BROWSER_DIR="$TL_SOURCE_DIR/tests/browser"
SHOTS=${TL_BUILD_DIR:-$WORK}/screenshots
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || fail "no Chromium at $CHROMIUM: install Debian's chromium (scripts/bootstrap)"
[ -d "$BROWSER_DIR/node_modules/playwright-core" ] \
  || fail "playwright-core missing: (cd tests/browser && npm ci), as scripts/bootstrap does"
mkdir -p "$SHOTS"
cd "$WORK"

browser() { # URL NAME OPTIONS_JSON
  CHROMIUM="$CHROMIUM" node "$BROWSER_DIR/lakes.mjs" "$1" "$SHOTS" "$2" "$3" || fail "browser checks on the $2 lake"
}

# dashboard LAKE NAME -> starts `ticklake dashboard` on LAKE; sets DASH (pid), DASH_URL
dashboard() {
  : >"$2.out"
  "$TICKLAKE" dashboard --lake "$1" --listen 127.0.0.1:0 >"$2.out" 2>"$2.err" &
  DASH=$!
  PIDS+=($DASH)
  DASH_OUT="$2.out"
  dash_printed() { DASH_URL=$(sed -n 's/^ticklake dashboard: \(http[^ ]*\) .*/\1/p' "$DASH_OUT"); [ -n "$DASH_URL" ]; }
  poll_until 20 dash_printed || { cat "$2.err" >&2; fail "dashboard on $1 did not print its URL"; }
}

stop_dashboard() {
  kill -INT "$DASH"
  local rc=0
  wait "$DASH" || rc=$?
  expect_eq "dashboard exit code" "$rc" 0
}

# ---- the past lake: two trading sessions, 6.5 h each -------------------------
say "backfilling 2026-11-24 and 2026-11-25"
SPREAD="$TL_SOURCE_DIR/tests/tools/spread_ticks.py"
"$TICKLAKE" simulate --output - --count 90000 --rate 0 --symbols 20 --start 2026-11-24T14:30:00Z >all.jsonl 2>sim.err
# one run cut in two, so every symbol's seq keeps counting up (no duplicates)
head -n 60000 all.jsonl | python3 "$SPREAD" 2026-11-24T14:30:00Z 23400 \
  | grep -v '"ts":"2026-11-24T16:' >day1.jsonl # a halt: no trades 16:00-17:00
tail -n +60001 all.jsonl | grep '"symbol":"[A-M]' | python3 "$SPREAD" 2026-11-25T14:30:00Z 23400 >day2.jsonl
cat day1.jsonl day2.jsonl | "$TICKLAKE" stream --from - --lake past 2>stream.err >/dev/null \
  || { cat stream.err >&2; fail "backfill"; }

# ---- the live lake: `up` runs while the past lake is checked ----------------
start_up --lake "$WORK/live" --symbols 30 --rate 1000
say "up runs: $URL"

dashboard past past
say "past lake: $DASH_URL"
browser "$DASH_URL" past '{"pill":["stale","finished"],"openDay":"2026-11-25","pickDay":"2026-11-24",
  "custom":["2026-11-24T15:30:00","2026-11-24T17:30:00"],"gap":3000}'
stop_dashboard

# the 5 m range needs 100+ seconds with trades in the lake
line_points() {
  local now n
  now=$(date +%s)
  n=$(curl -s "${URL}api/line?symbol=AAPL&from=$((now - 300))&to=$((now + 1))&step=1" \
    | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["points"]))' 2>/dev/null || echo 0)
  [ "$n" -gt 110 ]
}
wait_until 300 "110 seconds of AAPL trades in the live lake" line_points
browser "$URL" live '{"pill":["live"],"line5m":true,"custom":"last10m"}'

kill -INT "$UP"
rc=0
wait "$UP" || rc=$?
expect_eq "up exit code" "$rc" 0

# ---- the finished lake: today's, nothing written any more -------------------
dashboard "$WORK/live" finished
say "finished lake: $DASH_URL"
browser "$DASH_URL" finished '{"pill":["stale","finished"],"custom":"last10m"}'
stop_dashboard

echo "screenshots: $(cd "$SHOTS" && ls past*.png live*.png finished*.png | tr '\n' ' ')" >&2
