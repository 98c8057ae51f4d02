#!/usr/bin/env bash
# The dashboard's health panel lists the scheduler's last runs (issue 15),
# in a real browser (Debian's Chromium, playwright-core: tests/browser/
# runs.mjs): under `ticklake up` with compaction and models every 5 s the
# page shows successful compaction and models runs, then a model with
# broken SQL makes the next models run fail, shown in red with its error.
# A standalone `ticklake dashboard` over the finished lake shows the same
# runs from the lake's _ticklake/runs/ (its /api/runs and its page).
# Screenshots: $TL_BUILD_DIR/dashboard-runs{,-standalone}.png.
source "$(dirname "$0")/lib.sh"
BROWSER_DIR="$TL_SOURCE_DIR/tests/browser"
SHOTS=${TL_BUILD_DIR:-$WORK}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || fail "no Chromium at $CHROMIUM: install Debian's chromium (scripts/bootstrap)"
[ -d "$BROWSER_DIR/node_modules/playwright-core" ] \
  || fail "playwright-core missing: (cd tests/browser && npm ci), as scripts/bootstrap does"
cd "$WORK"
cp -r "$TL_SOURCE_DIR/analytics" analytics; rm -rf analytics/target

say "up, compaction and models every 5 s; the page lists their runs, then a failing one in red"
start_up --duration 90 --symbols 10 --rate 300 --models-retries 0 \
  --schedule-compact '@every 5s' --schedule-models '@every 5s' --schedule-vacuum ''
CHROMIUM="$CHROMIUM" node "$BROWSER_DIR/runs.mjs" "$URL" "$SHOTS/dashboard-runs.png" \
  --break "$WORK/analytics/models/broken_model.sql" || fail "browser checks under up"
kill -INT "$UP"
rc=0; wait "$UP" || rc=$?
expect_eq "up exit code" "$rc" 0

say "a standalone dashboard over the lake shows the same runs"
"$TICKLAKE" dashboard --lake ./lake --listen 127.0.0.1:0 > dash.out 2> dash.err &
DASH=$!; PIDS+=($DASH)
dash_url() { URL=$(sed -n 's/^ticklake dashboard: \(http[^ ]*\).*/\1/p' dash.out); [ -n "$URL" ]; }
wait_until 20 "the dashboard's URL" dash_url
curl -sf "${URL}api/runs?limit=100" > runs.json || fail "GET /api/runs"
"$TICKLAKE" runs --lake ./lake --limit 100 --format json > cli.json || fail "ticklake runs"
python3 - runs.json cli.json <<'PY' || fail "/api/runs does not match \`ticklake runs\`: $(head -c 600 runs.json)"
import json, sys
api = json.load(open(sys.argv[1]))["runs"]
cli = json.load(open(sys.argv[2]))
assert [r["run_id"] for r in api] == [r["run_id"] for r in reversed(cli)], "same runs, newest first"
assert any(r["job"] == "compact" and r["status"] == "success" for r in api)
assert any(r["job"] == "models" and r["status"] == "success" for r in api)
bad = [r for r in api if r["job"] == "models" and r["status"] == "failed"]
assert bad and "models failed" in bad[0]["error"], bad
print("ok: %d runs, %d failed models runs" % (len(api), len(bad)), file=sys.stderr)
PY
CHROMIUM="$CHROMIUM" node "$BROWSER_DIR/runs.mjs" "$URL" "$SHOTS/dashboard-runs-standalone.png" \
  || fail "browser checks on the standalone dashboard"
