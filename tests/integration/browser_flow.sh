#!/bin/bash
# The web UI's chains and shards in a real browser (tests/browser/flow.test.js,
# modeled on browser_ui.sh): a chain submitted from the form is drawn as a
# tree that ends completed; a split scan shows its shards and its progress
# moving to 100 %.  Screenshots go to test-logs/browser/.
source "$(dirname "$0")/lib.sh"

export SCANQ_CONFIG=/dev/null SCANQ_WORKER_HEARTBEAT=1 SCANQ_WORKER_GRACE=2 SCANQ_WEB_DIR="$REPO/web"
start_serve --workers 2 --concurrency 4
port=${BASE##*:}
ok "serve listening on 127.0.0.1:$port"

browser_test flow SCANQ_LISTENER_PORT="$port"
ok "the chain tree and the shards' progress in the browser"
