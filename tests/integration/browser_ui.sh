#!/bin/bash
# The web UI in a real browser: Debian's headless Chromium driven by
# playwright-core (tests/browser/ui.test.js) against `scanq serve` with one
# worker on a temp database.  Parts: a port scan of a loopback listener
# (serve's own port) completes with its finding; a long scan is cancelled;
# a failed scan shows its error and is retried; the queue panel shows the
# worker; once a token exists the UI asks for it; the download menu saves
# a scan's findings as CSV and SARIF.  Screenshots go to
# test-logs/browser/.
source "$(dirname "$0")/lib.sh"

export SCANQ_WORKER_HEARTBEAT=1 SCANQ_WORKER_GRACE=2 SCANQ_WEB_DIR="$REPO/web"
start_serve --workers 1 --concurrency 4
port=${BASE##*:}
ok "serve listening on 127.0.0.1:$port"

browser_test ui SCANQ_DB="$DB" SCANQ_LISTENER_PORT="$port"
kill -TERM "$SERVE_PID"
wait_for 60 "serve to stop on SIGTERM" bash -c "! kill -0 $SERVE_PID 2>/dev/null"
ok "screenshots in $ART"
echo PASS
