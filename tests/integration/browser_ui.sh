#!/bin/bash
# The web UI in a real browser: Debian's headless Chromium driven by
# playwright-core (tests/browser/ui.test.js) against `scanq serve` with one
# worker on a temp database.  Parts: a port scan of a loopback listener
# (serve's own port) completes with its finding; a long scan is cancelled;
# a failed scan shows its error and is retried; the queue panel shows the
# worker; once a token exists the UI asks for it.  Screenshots go to
# test-logs/browser/.
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

export SCANQ_WORKER_HEARTBEAT=1 SCANQ_WORKER_GRACE=2 SCANQ_WEB_DIR="$repo/web"
"$S" --db "$DB" serve --listen 127.0.0.1:0 --workers 1 --concurrency 4 >"$dir/serve.log" 2>&1 &
serve=$!
pids+=($serve)
port_of() { sed -n 's/.*msg="http listening".* port=\([0-9]*\).*/\1/p' "$dir/serve.log" | head -1; }
wait_for 30 "serve to listen" grep -q 'msg="http listening"' "$dir/serve.log"
port=$(port_of)
ok "serve listening on 127.0.0.1:$port"

rc=0
SCANQ_URL="http://127.0.0.1:$port" SCANQ_DB="$DB" SCANQ_LISTENER_PORT="$port" \
	SCANQ_ARTIFACTS="$art" timeout 600 node "$repo/tests/browser/ui.test.js" || rc=1
kill -TERM "$serve"
wait_for 60 "serve to stop on SIGTERM" bash -c "! kill -0 $serve 2>/dev/null"
cp "$dir/serve.log" "$art/serve.log" 2>/dev/null
[ "$rc" = 0 ] || fail "browser test failed (serve log: $art/serve.log)"
ls "$art"/*.png >/dev/null 2>&1 && ok "screenshots in $art"
echo PASS
