#!/bin/bash
# The HTTP API used as a client would: submit (202 + Location), repeat with
# an Idempotency-Key (200, same scan), poll to completed, read findings of
# a port scan of a loopback listener, list with filters and keyset cursors,
# cancel and retry, queue status, workers, health, readiness, the scheduler
# report and metrics; then tokens: roles are enforced once one exists, and
# a non-loopback listen address without tokens is refused.  On SQLite and,
# when the suite runs a server, on PostgreSQL.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/api_lib.bash"
export SCANQ_WORKER_HEARTBEAT=1 SCANQ_WORKER_GRACE=2
J=(-H 'Content-Type: application/json')

# Without tokens, a non-loopback address is refused with one line.
if out=$("$SCANQ" --db "sqlite://$T/other.db" serve --workers 0 --listen 0.0.0.0:0 2>&1); then
	fail "serve listened on 0.0.0.0 without tokens"
fi
echo "$out" | grep -q 'refusing to listen on 0.0.0.0:0 without API tokens' || fail "refusal: $out"
ok "non-loopback without tokens refused"

# The rest runs on the backend run.sh chose (backend.bash).
happy() {
	start_serve --workers 1 --concurrency 4
	grep -q 'no API tokens: serving without authentication on loopback only' "$T/serve.log" \
		|| fail "no notice of the open loopback mode"
	port=${BASE##*:}

	[ "$(req GET /healthz)" = 200 ] || fail "healthz"
	[ "$(req GET /readyz)" = 200 ] && grep -q '"status":"ready"' "$T/body" || fail "readyz"
	ok "healthz and readyz"

	# Submit a port scan of serve's own port: 202, Location, then completed.
	code=$(req POST /api/v1/scans "${J[@]}" -H 'Idempotency-Key: happy-1' \
		--data-binary "{\"type\":\"portscan\",\"targets\":[\"127.0.0.1\"],\"ports\":\"$port\"}")
	[ "$code" = 202 ] || fail "submit: $code $(cat "$T/body")"
	id=$(json_field id)
	grep -qi "^location: /api/v1/scans/$id" "$T/headers" || fail "no Location header"
	[ "$(json_field status)" = pending ] || fail "status not pending"
	ok "submit -> 202 scan $id"
	code=$(req POST /api/v1/scans "${J[@]}" -H 'Idempotency-Key: happy-1' \
		--data-binary "{\"type\":\"portscan\",\"targets\":[\"127.0.0.1\"],\"ports\":\"$port\"}")
	[ "$code" = 200 ] && [ "$(json_field id)" = "$id" ] || fail "idempotent repeat: $code $(cat "$T/body")"
	ok "repeat with the same Idempotency-Key -> 200, same id"

	is_done() { req GET "/api/v1/scans/$1" >/dev/null; [ "$(json_field status)" = "$2" ]; }
	wait_for 60 is_done "$id" completed || fail "scan $id never completed: $(cat "$T/body")"
	grep -q '"events":\[{' "$T/body" && grep -q '"to":"completed"' "$T/body" || fail "no timeline"
	grep -q '"allowed":{"retry":false,"cancel":false}' "$T/body" || fail "allowed: $(cat "$T/body")"
	[ "$(req GET "/api/v1/scans/$id/findings")" = 200 ] || fail "findings"
	grep -q "\"port\":$port" "$T/body" || fail "finding of port $port missing: $(cat "$T/body")"
	ok "scan $id completed with its open-port finding"

	# A long scan is cancelled (202), a second cancel is 409; retry -> 202.
	req POST /api/v1/scans "${J[@]}" --data-binary \
		'{"type":"test-sleep","targets":["127.0.0.1"],"options":{"seconds":300}}' >/dev/null
	sid=$(json_field id)
	wait_for 30 is_done "$sid" running || fail "test-sleep never ran"
	[ "$(req POST "/api/v1/scans/$sid/cancel")" = 202 ] || fail "cancel: $(cat "$T/body")"
	wait_for 30 is_done "$sid" cancelled || fail "never cancelled"
	[ "$(req POST "/api/v1/scans/$sid/cancel")" = 409 ] && grep -q illegal_transition "$T/body" \
		|| fail "second cancel not 409"
	[ "$(req POST "/api/v1/scans/$sid/retry")" = 202 ] || fail "retry: $(cat "$T/body")"
	wait_for 30 is_done "$sid" running || fail "retried scan never ran"
	req POST "/api/v1/scans/$sid/cancel" >/dev/null
	ok "cancel 202, repeat 409, retry 202"

	# Listing: filters and keyset pagination, newest first.
	for i in 1 2 3; do
		req POST /api/v1/scans "${J[@]}" --data-binary '{"type":"test-ok","targets":["127.0.0.1"]}' >/dev/null
	done
	[ "$(req GET '/api/v1/scans?limit=2')" = 200 ] || fail "list"
	first=$(json_field id); cursor=$(json_field next_cursor)
	[ -n "$cursor" ] && [ "$cursor" != null ] || fail "no next_cursor: $(cat "$T/body")"
	[ "$(req GET "/api/v1/scans?limit=2&cursor=$cursor")" = 200 ] || fail "page 2"
	second=$(json_field id)
	[ "$second" -lt "$first" ] || fail "page 2 ($second) not older than page 1 ($first)"
	[ "$(req GET '/api/v1/scans?status=completed&type=portscan')" = 200 ] || fail "filtered list"
	[ "$(json_field id)" = "$id" ] || fail "filter: $(head -c 300 "$T/body")"
	ok "list with cursor and filters"

	[ "$(req GET /api/v1/scans/queue/status)" = 200 ] && grep -q '"by_status"' "$T/body" \
		&& grep -q '"finished_last_minute"' "$T/body" || fail "queue status"
	[ "$(req GET /api/v1/workers)" = 200 ] && grep -q '"name":"w-' "$T/body" || fail "workers: $(cat "$T/body")"
	# A worker that stopped cleanly is "stopped" at once (not idle, then dead).
	"$SCANQ" --db "$DB" worker --name w-stop >"$T/w-stop.log" 2>&1 &
	wpid=$!
	for _ in $(seq 1 100); do grep -q 'msg="worker started"' "$T/w-stop.log" && break; sleep 0.1; done
	kill -TERM "$wpid"; wait "$wpid"
	[ "$(req GET /api/v1/workers)" = 200 ] && grep -q '"name":"w-stop","status":"stopped"' "$T/body" \
		|| fail "a stopped worker: $(cat "$T/body")"
	[ "$(req GET /health/scheduler)" = 200 ] && grep -q '"status":"\(healthy\|warning\)"' "$T/body" \
		|| fail "scheduler"
	[ "$(req GET /metrics)" = 200 ] || fail "metrics"
	grep -qi '^content-type: text/plain; version=0.0.4' "$T/headers" || fail "metrics type"
	for m in 'scanq_scans{status="completed"}' scanq_claims_total scanq_lease_recoveries_total \
		 scanq_fenced_writes_total scanq_oldest_pending_seconds scanq_scan_duration_seconds_bucket \
		 'scanq_http_requests_total{route="scans_submit",code="202"}'; do
		grep -qF "$m" "$T/body" || fail "metrics lack $m"
	done
	ok "queue status, workers, scheduler health, metrics"

	# Tokens: once one exists every API call needs one, with the right role.
	ADMIN=$(sq token create --role admin --name it) || fail "token create"
	wait_for 10 bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $BASE/api/v1/scans)\" = 401 ]" \
		|| fail "auth not required after a token was created"
	[ "$(req GET /healthz)" = 200 ] || fail "healthz needs no token"
	[ "$(req POST /api/v1/tokens "${J[@]}" -H "Authorization: Bearer $ADMIN" \
		--data-binary '{"role":"viewer","name":"ro"}')" = 201 ] || fail "token via API: $(cat "$T/body")"
	VIEW=$(json_field token)
	[ "$(req GET "/api/v1/scans/$id" -H "Authorization: Bearer $VIEW")" = 200 ] || fail "viewer GET"
	grep -q '"error_detail"' "$T/body" && fail "a viewer sees error_detail"
	[ "$(req POST "/api/v1/scans/$id/retry" -H "Authorization: Bearer $VIEW")" = 403 ] || fail "viewer retry"
	[ "$(req GET /api/v1/me -H "Authorization: Bearer $VIEW")" = 200 ] && grep -q '"role":"viewer"' "$T/body" \
		|| fail "me"
	ok "tokens and roles"

	kill "$SERVE_PID"
	wait_for 30 bash -c "! kill -0 $SERVE_PID 2>/dev/null" || fail "serve did not stop on SIGTERM"
	ok "serve stopped"
}

happy
ok "all of the above on $BACKEND"
echo PASS
