#!/bin/bash
# The web UI's stuck report panel in a real browser (Debian's headless
# Chromium, playwright-core: tests/browser/stuck.test.js): a scan left
# completed without finished_at (the automatic repair turned off) is shown
# under its category, with its fix and a link to the scan.
source "$(dirname "$0")/lib.sh"
repo=$(cd "$(dirname "$0")/../.." && pwd)
art="$repo/test-logs/browser"
mkdir -p "$art"

[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing (apt-get install chromium)"
command -v node >/dev/null || fail "node is missing (apt-get install nodejs npm)"
if [ ! -d "$repo/tests/browser/node_modules/playwright-core" ]; then
	(cd "$repo/tests/browser" && timeout 300 npm ci --no-audit --no-fund) \
		|| fail "npm ci in tests/browser failed"
fi

id=$(q submit test-ok 127.0.0.1)
sql "UPDATE scans SET status='completed', attempt=1 WHERE id=$id" || fail "setup"
export SCANQ_MAINTENANCE_STUCK_CLEAR_MINUTES=0 SCANQ_WEB_DIR="$repo/web"
start_serve --workers 1
SCANQ_URL="$BASE" SCANQ_STUCK_ID="$id" SCANQ_ARTIFACTS="$art" \
	timeout 300 node "$repo/tests/browser/stuck.test.js" || fail "browser test failed"
sql_is "SELECT count(*) FROM scans WHERE id=$id AND finished_at IS NULL" 1 \
	|| fail "the panel (or serve) changed the scan"
ok "the web UI shows the stuck report"
