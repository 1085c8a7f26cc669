#!/bin/bash
# The web UI's pause card in a real browser (Debian's headless Chromium,
# playwright-core: tests/browser/pause.test.js): a pause made with the CLI
# is shown with its reason and author, the resume button ends it and the
# pause button makes a new one with the reason typed, which the store and
# the audit trail then hold.
source "$(dirname "$0")/lib.sh"
export SCANQ_WEB_DIR="$REPO/web"
q pause --all --reason "disk swap" >/dev/null || fail "pause"
start_serve --workers 0
browser_test pause
sql_is "SELECT reason FROM pauses WHERE kind = 'all'" "from the browser" \
	|| fail "the store does not hold the browser's pause: $(sql "SELECT * FROM pauses")"
q audit | grep -q "resume .*every pause" || fail "the audit trail lacks the browser's resume"
ok "the web UI shows, resumes and makes a pause"
