#!/bin/bash
# The Schedules page and the scans list in a real browser (Debian's headless
# Chromium, tests/browser/schedules.test.js) against `scanq serve` with one
# worker, its scheduler on a simulated clock 30x fast (SCANQ_TEST_CLOCK):
# a schedule created in the UI fires and its scan appears and completes;
# pause, run now and resume from the page; a bad cron expression refused;
# the type a choice; the list filtered by type and target, and paged.
# Screenshots go to test-logs/browser/.
source "$(dirname "$0")/lib.sh"

export SCANQ_WEB_DIR="$REPO/web"
export SCANQ_TEST_CLOCK="$(now_ms),$(now_ms),30"
start_serve --workers 1 --concurrency 4
ok "serve listening at $BASE"
browser_test schedules
# What the page did is what the database holds.
sql_is "SELECT count(*) FROM schedules WHERE name = 'ui-minutely' AND paused = 0" 1 || fail "ui-minutely row"
[ "$(sql "SELECT count(*) FROM scans s JOIN schedules h ON h.id = s.schedule_id WHERE h.name = 'ui-minutely'")" -ge 2 ] \
	|| fail "ui-minutely queued fewer than 2 scans"
sql_is "SELECT count(*) FROM schedules WHERE name = 'ui-bad'" 0 || fail "ui-bad was written"
ok "the schedule created in the UI fired; its scans are tagged with it"
echo PASS
