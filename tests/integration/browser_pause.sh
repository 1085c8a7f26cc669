#!/bin/bash
# The web UI's pause card in a real browser (Debian's headless Chromium,
# playwright-core: tests/browser/pause.test.js): a pause made with the CLI
# is shown with its reason and author, the resume button ends it and the
# pause button makes a new one with the reason typed, which the store and
# the audit trail then hold; a type and a pool paused from the form, the
# type resumed on its own; an open maintenance window shown until when.
source "$(dirname "$0")/lib.sh"
export SCANQ_WEB_DIR="$REPO/web"
q pause --all --reason "disk swap" >/dev/null || fail "pause"
q window add maint --cron "0 0 * * *" --duration 1d --targets 127.0.0.9 >/dev/null || fail "window add"
start_serve --workers 0
browser_test pause
sql_is "SELECT reason FROM pauses WHERE kind = 'all'" "from the browser" \
	|| fail "the store does not hold the browser's pause: $(sql "SELECT * FROM pauses")"
q audit | grep -q "resume .*every pause" || fail "the audit trail lacks the browser's resume"
sql_is "SELECT kind || ':' || value FROM pauses WHERE kind <> 'all'" "pool:local" \
	|| fail "the store's pauses after the browser: $(sql "SELECT * FROM pauses")"
q audit | grep -q "pause .*type test-ok: type from the browser" && q audit | grep -q "resume .*type test-ok" \
	|| fail "the audit trail lacks the browser's type pause and resume"
ok "the web UI shows, resumes and makes a pause"
ok "the web UI pauses a type and a pool, resumes the type alone, shows the open window until when"
