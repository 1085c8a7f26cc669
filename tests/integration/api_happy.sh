#!/bin/bash
# The HTTP API used as a client would: submit (202 + Location), repeat with
# an Idempotency-Key (200, same scan), poll to completed, read findings of
# a port scan of a loopback listener, list with filters and keyset cursors,
# cancel and retry, queue status, workers, health, readiness, the scheduler
# report and metrics; then tokens: roles are enforced once one exists, and
# a non-loopback listen address without tokens is refused.  On SQLite and,
# when the suite runs a server, on PostgreSQL.
source "$(dirname "$0")/lib.sh"
export SCANQ_WORKER_HEARTBEAT=1 SCANQ_WORKER_GRACE=2
J=(-H 'Content-Type: application/json')

# Without tokens, a non-loopback address is refused with one line.
if out=$("$S" --db "sqlite://$dir/other.db" serve --workers 0 --listen 0.0.0.0:0 2>&1); then
	fail "serve listened on 0.0.0.0 without tokens"
fi
echo "$out" | grep -q 'refusing to listen on 0.0.0.0:0 without API tokens' || fail "refusal: $out"
ok "non-loopback without tokens refused"

# The rest runs on the backend run.sh chose (backend.bash).
happy() {
	start_serve --workers 1 --concurrency 4
	grep -q 'no API tokens: serving without authentication on loopback only' "$dir/serve.log" \
		|| fail "no notice of the open loopback mode"
	port=${BASE##*:}

	[ "$(req GET /healthz)" = 200 ] || fail "healthz"
	[ "$(req GET /readyz)" = 200 ] && grep -q '"status":"ready"' "$dir/body" || fail "readyz"
	ok "healthz and readyz"

	# Submit a port scan of serve's own port: 202, Location, then completed.
	code=$(req POST /api/v1/scans "${J[@]}" -H 'Idempotency-Key: happy-1' \
		--data-binary "{\"type\":\"portscan\",\"targets\":[\"127.0.0.1\"],\"ports\":\"$port\"}")
	[ "$code" = 202 ] || fail "submit: $code $(cat "$dir/body")"
	id=$(json_field id)
	grep -qi "^location: /api/v1/scans/$id" "$dir/headers" || fail "no Location header"
	[ "$(json_field status)" = pending ] || fail "status not pending"
	ok "submit -> 202 scan $id"
	code=$(req POST /api/v1/scans "${J[@]}" -H 'Idempotency-Key: happy-1' \
		--data-binary "{\"type\":\"portscan\",\"targets\":[\"127.0.0.1\"],\"ports\":\"$port\"}")
	[ "$code" = 200 ] && [ "$(json_field id)" = "$id" ] || fail "idempotent repeat: $code $(cat "$dir/body")"
	ok "repeat with the same Idempotency-Key -> 200, same id"

	is_done() { req GET "/api/v1/scans/$1" >/dev/null; [ "$(json_field status)" = "$2" ]; }
	wait_for 60 "scan $id completed" is_done "$id" completed
	grep -q '"events":\[{' "$dir/body" && grep -q '"to":"completed"' "$dir/body" || fail "no timeline"
	grep -q '"allowed":{"retry":false,"cancel":false}' "$dir/body" || fail "allowed: $(cat "$dir/body")"
	[ "$(req GET "/api/v1/scans/$id/findings")" = 200 ] || fail "findings"
	grep -q "\"port\":$port" "$dir/body" || fail "finding of port $port missing: $(cat "$dir/body")"
	ok "scan $id completed with its open-port finding"

	# A long scan is cancelled (202), a second cancel is 409; retry -> 202.
	req POST /api/v1/scans "${J[@]}" --data-binary \
		'{"type":"test-sleep","targets":["127.0.0.1"],"options":{"seconds":300}}' >/dev/null
	sid=$(json_field id)
	wait_for 30 "test-sleep scan $sid running" is_done "$sid" running
	[ "$(req POST "/api/v1/scans/$sid/cancel")" = 202 ] || fail "cancel: $(cat "$dir/body")"
	wait_for 30 "scan $sid cancelled" is_done "$sid" cancelled
	[ "$(req POST "/api/v1/scans/$sid/cancel")" = 409 ] && grep -q illegal_transition "$dir/body" \
		|| fail "second cancel not 409"
	[ "$(req POST "/api/v1/scans/$sid/retry")" = 202 ] || fail "retry: $(cat "$dir/body")"
	wait_for 30 "retried scan $sid running" is_done "$sid" running
	req POST "/api/v1/scans/$sid/cancel" >/dev/null
	ok "cancel 202, repeat 409, retry 202"

	# Listing: filters and keyset pagination, newest first.
	for i in 1 2 3; do
		req POST /api/v1/scans "${J[@]}" --data-binary '{"type":"test-ok","targets":["127.0.0.1"]}' >/dev/null
	done
	[ "$(req GET '/api/v1/scans?limit=2')" = 200 ] || fail "list"
	first=$(json_field id); cursor=$(json_field next_cursor)
	[ -n "$cursor" ] && [ "$cursor" != null ] || fail "no next_cursor: $(cat "$dir/body")"
	[ "$(req GET "/api/v1/scans?limit=2&cursor=$cursor")" = 200 ] || fail "page 2"
	second=$(json_field id)
	[ "$second" -lt "$first" ] || fail "page 2 ($second) not older than page 1 ($first)"
	[ "$(req GET '/api/v1/scans?status=completed&type=portscan')" = 200 ] || fail "filtered list"
	[ "$(json_field id)" = "$id" ] || fail "filter: $(head -c 300 "$dir/body")"
	ok "list with cursor and filters"

	[ "$(req GET /api/v1/scans/queue/status)" = 200 ] && grep -q '"by_status"' "$dir/body" \
		&& grep -q '"finished_last_minute"' "$dir/body" || fail "queue status"
	[ "$(req GET /api/v1/workers)" = 200 ] && grep -q '"name":"w-' "$dir/body" || fail "workers: $(cat "$dir/body")"
	# A worker that stopped cleanly is "stopped" at once (not idle, then dead).
	"$S" --db "$DB" worker --name w-stop >"$dir/w-stop.log" 2>&1 &
	wpid=$!
	for _ in $(seq 1 100); do grep -q 'msg="worker started"' "$dir/w-stop.log" && break; sleep 0.1; done
	kill -TERM "$wpid"; wait "$wpid"
	[ "$(req GET /api/v1/workers)" = 200 ] && grep -q '"name":"w-stop","status":"stopped"' "$dir/body" \
		|| fail "a stopped worker: $(cat "$dir/body")"
	[ "$(req GET /health/scheduler)" = 200 ] && grep -q '"status":"\(healthy\|warning\)"' "$dir/body" \
		|| fail "scheduler"
	[ "$(req GET /metrics)" = 200 ] || fail "metrics"
	grep -qi '^content-type: text/plain; version=0.0.4' "$dir/headers" || fail "metrics type"
	for m in 'scanq_scans{status="completed"}' scanq_claims_total scanq_lease_recoveries_total \
		 scanq_fenced_writes_total scanq_oldest_pending_seconds scanq_scan_duration_seconds_bucket \
		 'scanq_http_requests_total{route="scans_submit",code="202"}'; do
		grep -qF "$m" "$dir/body" || fail "metrics lack $m"
	done
	ok "queue status, workers, scheduler health, metrics"

	# Tokens: once one exists every API call needs one, with the right role.
	ADMIN=$(q token create --role admin --name it) || fail "token create"
	wait_for 10 "auth required once a token exists" \
		bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $BASE/api/v1/scans)\" = 401 ]"
	[ "$(req GET /healthz)" = 200 ] || fail "healthz needs no token"
	[ "$(req POST /api/v1/tokens "${J[@]}" -H "Authorization: Bearer $ADMIN" \
		--data-binary '{"role":"viewer","name":"ro"}')" = 201 ] || fail "token via API: $(cat "$dir/body")"
	VIEW=$(json_field token)
	[ "$(req GET "/api/v1/scans/$id" -H "Authorization: Bearer $VIEW")" = 200 ] || fail "viewer GET"
	grep -q '"error_detail"' "$dir/body" && fail "a viewer sees error_detail"
	[ "$(req POST "/api/v1/scans/$id/retry" -H "Authorization: Bearer $VIEW")" = 403 ] || fail "viewer retry"
	[ "$(req GET /api/v1/me -H "Authorization: Bearer $VIEW")" = 200 ] && grep -q '"role":"viewer"' "$dir/body" \
		|| fail "me"
	ok "tokens and roles"

	kill "$SERVE_PID"
	wait_for 30 "serve to stop on SIGTERM" bash -c "! kill -0 $SERVE_PID 2>/dev/null"
	ok "serve stopped"
}

happy
ok "all of the above on $BACKEND"
echo PASS
