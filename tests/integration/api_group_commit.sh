#!/bin/bash
# Group commit: concurrent POST /api/v1/scans requests are committed
# together.  300 requests, 50 at a time: each gets its own id, all 300 are
# queued, and they took fewer transactions than requests
# (scanq_submit_commits_total).  20 concurrent requests with one
# idempotency key: one scan, and every request answers with its id.
source "$(dirname "$0")/lib.sh"

# 50 clients on one address: a closed connection still counts against the
# per-address limit until the server's main thread cleans it up, which under
# ASan can lag behind xargs starting the next curl.  This suite is about
# grouping, not that limit (test_api_limits covers it).
SCANQ_HTTP_MAX_CONNECTIONS_PER_IP=256 start_serve --workers 0
# post EXTRA_JSON [IDEMPOTENCY_KEY]: prints the body and the status
post() {
	curl -s -o - -w ' %{http_code}\n' -X POST -H 'Content-Type: application/json' \
		${2:+-H "Idempotency-Key: $2"} \
		-d "{\"type\":\"test-ok\",\"targets\":[\"127.0.0.1\"]$1}" "$BASE/api/v1/scans"
}
export -f post
export BASE

seq 300 | xargs -P 50 -I{} bash -c 'post ""' >"$T/out" 2>&1
[ "$(grep -c ' 202$' "$T/out")" = 300 ] || fail "not 300 answers 202: $(grep -v ' 202$' "$T/out" | head -3)"
ids=$(grep -o '"id":[0-9]*' "$T/out" | sort -u | wc -l)
[ "$ids" = 300 ] || fail "$ids distinct ids for 300 requests"
[ "$(sql "SELECT count(*) FROM scans")" = 300 ] || fail "$(sql "SELECT count(*) FROM scans") scans queued"
[ "$(sql "SELECT count(*) FROM scan_events WHERE reason = 'submitted'")" = 300 ] || fail "events"
req GET /metrics >/dev/null
commits=$(sed -n 's/^scanq_submit_commits_total \([0-9]*\)$/\1/p' "$T/body")
grouped=$(sed -n 's/^scanq_submit_grouped_total \([0-9]*\)$/\1/p' "$T/body")
[ "$grouped" = 300 ] || fail "scanq_submit_grouped_total is '$grouped'"
[ -n "$commits" ] && [ "$commits" -lt 300 ] || fail "300 requests took '$commits' transactions"
ok "300 concurrent submissions in $commits transactions"

seq 20 | xargs -P 20 -I{} bash -c 'post "" same-key' >"$T/key" 2>&1
[ "$(grep -c ' 20[012]$' "$T/key")" = 20 ] || fail "answers: $(sort "$T/key" | uniq -c | head)"
[ "$(grep -o '"id":[0-9]*' "$T/key" | sort -u | wc -l)" = 1 ] || fail "one key gave several ids"
[ "$(sql "SELECT count(*) FROM scans WHERE idempotency_key = 'same-key'")" = 1 ] || fail "key twice"
ok "20 concurrent submissions with one key: one scan"
echo PASS
