#!/bin/bash
# The web UI's chains and shards in a real browser (tests/browser/flow.test.js,
# modeled on browser_ui.sh): a chain submitted from the form is drawn as a
# tree that ends completed; a split scan shows its shards and its progress
# moving to 100 %.  Screenshots go to test-logs/browser/.
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

export SCANQ_CONFIG=/dev/null SCANQ_WORKER_HEARTBEAT=1 SCANQ_WORKER_GRACE=2 SCANQ_WEB_DIR="$repo/web"
start_serve --workers 2 --concurrency 4
port=${BASE##*:}
ok "serve listening on 127.0.0.1:$port"

rc=0
SCANQ_URL="$BASE" SCANQ_LISTENER_PORT="$port" SCANQ_ARTIFACTS="$art" \
	timeout 600 node "$repo/tests/browser/flow.test.js" || rc=1
cp "$dir/serve.log" "$art/flow-serve.log" 2>/dev/null
[ "$rc" = 0 ] || fail "browser test failed (serve log: $art/flow-serve.log)"
ok "the chain tree and the shards' progress in the browser"
