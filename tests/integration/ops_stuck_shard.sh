#!/bin/bash
# ops_stuck_shard.sh — `stuck clear` ends a stuck attempt the way the
# lifecycle ends any failed attempt.  A split scan's shard whose worker is
# gone (its lease long over, no attempt left) is listed under lease_expired;
# its parent, running with no worker and no lease as every split parent is,
# is not listed at all.  `stuck clear --force` fails the shard (worker_lost),
# fails the parent with it (shard_failed, naming the shard), writes the
# repair to the shard's timeline, and a signed scan.failed delivery of the
# shard reaches a receiver on loopback (webhook_receiver.py).
source "$(dirname "$0")/lib.sh"
export SCANQ_CONFIG=/dev/null SCANQ_WEBHOOKS_POLL_MS=100 SCANQ_WEBHOOKS_BACKOFF_MS=500
SECRET=0123456789abcdef-test-secret

rm -f "$T/port"
python3 "$REPO/tests/integration/webhook_receiver.py" 0 "$T/port" "$SECRET" "$T/recv" "$T/mode" \
	2>>"$T/receiver.log" &
pids+=($!)
echo ok >"$T/mode"
wait_for 10 "the receiver" test -s "$T/port"
q webhook add "http://127.0.0.1:$(cat "$T/port")/hook" --events scan.failed --secret "$SECRET" \
	>/dev/null || fail "webhook add"

parent=$(SCANQ_FLOW_SHARD_ADDRESSES=1 q submit test-ok 127.0.0.1 127.0.0.2 --max-attempts 1) \
	|| fail "submit"
[ "$(sql "SELECT count(*) FROM scans WHERE parent_id = $parent")" = 2 ] || fail "not split in two"
is_status "$parent" running || fail "split parent is $(status "$parent")"
shard=$(sql "SELECT min(id) FROM scans WHERE parent_id = $parent")
# Its worker died long ago: running, the lease long over, no attempt left.
sql "UPDATE scans SET status='running', attempt=1, worker_id='w-gone', claimed_at=1 WHERE id=$shard;
     INSERT INTO leases (scan_id, attempt, worker_id, lease_expires_at)
     VALUES ($shard, 1, 'w-gone', 1)" || fail "setup shard"
sql "INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt, worker_id, reason)
     VALUES ($shard, 1, 'pending', 'running', 1, 'w-gone', 'claimed')" >/dev/null || fail "event"

q stuck report >"$dir/report.txt"
listed() { # listed CATEGORY SCAN: the report lists SCAN under CATEGORY (any: "")
	awk -v c="$1:" -v id="$2" '/^[a-z_]+: / { on = (c == ":" || $1 == c); next }
		on && $1 == "scan" && $2 == id { found = 1 } END { exit !found }' "$dir/report.txt"
}
listed lease_expired "$shard" || { cat "$dir/report.txt"; fail "the stuck shard is not reported"; }
listed "" "$parent" && { cat "$dir/report.txt"; fail "the split parent waiting for its shards is reported stuck"; }
ok "a stuck shard is reported under lease_expired; its split parent is not stuck"

q stuck clear --force >"$dir/clear.txt" || fail "stuck clear: $(cat "$dir/clear.txt")"
is_status "$shard" failed || fail "the shard is $(status "$shard")"
sql_is "SELECT error_code FROM scans WHERE id = $shard" worker_lost || fail "the shard's error code"
is_status "$parent" failed || fail "the parent of the failed shard is $(status "$parent")"
sql_is "SELECT error_code FROM scans WHERE id = $parent" shard_failed || fail "the parent's error code"
sql "SELECT error_message FROM scans WHERE id = $parent" | grep -q "shards did not complete: $shard " \
	|| fail "the parent does not name the shard: $(sql "SELECT error_message FROM scans WHERE id = $parent")"
sql_is "SELECT count(*) FROM scan_events WHERE scan_id = $shard AND reason LIKE 'stuck clear: lease expired%'" 1 \
	|| fail "the repair is not in the shard's timeline"
ok "stuck clear --force fails the stuck shard and its parent with it"

sql_is "SELECT count(*) FROM webhook_deliveries WHERE event = 'scan.failed' AND scan_id = $shard" 1 \
	|| fail "no scan.failed delivery queued for the shard"
start_worker w1
wait_for 30 "the scan.failed delivery" grep -q " scan.failed sig=ok" "$T/recv"
grep '"event":"scan.failed"' "$T/recv.bodies" | grep -q "\"id\":$shard," \
	|| fail "the delivery is not the shard's: $(cat "$T/recv.bodies")"
ok "a signed scan.failed delivery of the shard reaches the receiver"
