#!/bin/bash
# The Schedules page and the scans list in a real browser (Debian's headless
# Chromium, tests/browser/schedules.test.js) against `scanq serve` with one
# worker, its scheduler on a simulated clock 30x fast (SCANQ_TEST_CLOCK):
# a schedule created in the UI fires and its scan appears and completes;
# pause, run now and resume from the page; a bad cron expression refused;
# the type a choice; the list filtered by type and target, and paged.
# Screenshots go to test-logs/browser/.
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

export SCANQ_WEB_DIR="$repo/web"
export SCANQ_TEST_CLOCK="$(now_ms),$(now_ms),30"
start_serve --workers 1 --concurrency 4
ok "serve listening at $BASE"
rc=0
SCANQ_URL="$BASE" SCANQ_ARTIFACTS="$art" timeout 600 node "$repo/tests/browser/schedules.test.js" || rc=1
[ "$rc" = 0 ] || fail "browser test failed"
# What the page did is what the database holds.
sql_is "SELECT count(*) FROM schedules WHERE name = 'ui-minutely' AND paused = 0" 1 || fail "ui-minutely row"
[ "$(sql "SELECT count(*) FROM scans s JOIN schedules h ON h.id = s.schedule_id WHERE h.name = 'ui-minutely'")" -ge 2 ] \
	|| fail "ui-minutely queued fewer than 2 scans"
sql_is "SELECT count(*) FROM schedules WHERE name = 'ui-bad'" 0 || fail "ui-bad was written"
ok "the schedule created in the UI fired; its scans are tagged with it"
echo PASS
