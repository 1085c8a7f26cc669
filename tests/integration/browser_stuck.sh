#!/bin/bash
# The web UI's stuck report panel in a real browser (Debian's headless
# Chromium, playwright-core: tests/browser/stuck.test.js): a scan left
# completed without finished_at (the automatic repair turned off) is shown
# under its category, with its fix and a link to the scan.
source "$(dirname "$0")/lib.sh"

id=$(q submit test-ok 127.0.0.1)
sql "UPDATE scans SET status='completed', attempt=1 WHERE id=$id" || fail "setup"
export SCANQ_MAINTENANCE_STUCK_CLEAR_MINUTES=0 SCANQ_WEB_DIR="$REPO/web"
start_serve --workers 1
browser_test stuck SCANQ_STUCK_ID="$id"
sql_is "SELECT count(*) FROM scans WHERE id=$id AND finished_at IS NULL" 1 \
	|| fail "the panel (or serve) changed the scan"
ok "the web UI shows the stuck report"
