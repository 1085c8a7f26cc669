#!/bin/bash
# SIGTERM to `scanq serve` with scans running: the workers stop claiming,
# a scan that finishes within the grace completes, the others are handed
# back to pending (attempt not spent), every process ends, and no scan is
# left running with a dead worker.  The same when serve itself is killed
# with SIGKILL.  Grace 3 s.
source "$(dirname "$0")/lib.sh"
export SCANQ_WORKER_HEARTBEAT=1 SCANQ_WORKER_GRACE=3

q migrate >/dev/null || fail "migrate"
"$S" --db "$DB" serve --workers 2 --concurrency 2 >"$dir/serve.log" 2>&1 &
serve=$!
pids+=($serve)
l1=$(submit test-sleep 127.0.0.1 --options '{"seconds":60}' --max-attempts 1)
l2=$(submit test-sleep 127.0.0.1 --options '{"seconds":60}' --max-attempts 1)
l3=$(submit test-fork 127.0.0.1 --options '{"children":2,"seconds":60}' --max-attempts 1)
s1=$(submit test-sleep 127.0.0.1 --options '{"seconds":1}')
wait_for 20 "four scans running" sql_is "SELECT count(*) FROM scans WHERE status = 'running'" 4
workers=$(sql "SELECT pid FROM workers" | tr '\n' ' ')
kill -TERM "$serve"
t0=$(now_ms)
wait_for 30 "serve to exit" bash -c "! kill -0 $serve 2>/dev/null"
echo "serve stopped $(( $(now_ms) - t0 )) ms after SIGTERM"
for p in $workers; do kill -0 "$p" 2>/dev/null && fail "worker $p still alive"; done
[ "$(sql "SELECT count(*) FROM scans WHERE status = 'running'")" = 0 ] || fail "scans left running"
[ "$(status "$s1")" = completed ] || fail "short scan $s1 is $(status "$s1")"
for id in $l1 $l2 $l3; do
	[ "$(status "$id")" = pending ] || fail "scan $id is $(status "$id"), not pending"
	sql "SELECT reason FROM scan_events WHERE scan_id = $id ORDER BY id DESC LIMIT 1" | grep -q "shutdown" \
		|| fail "scan $id: no shutdown event"
done
# --max-attempts 1 and still pending: the released attempt was not spent.
# No child of any scan survives (test-fork's grandchildren included).
for f in "$dir"/serve.log; do
	for pg in $(sed -n 's/.*msg="scan marked running".*pid=\([0-9]*\).*/\1/p' "$f"); do
		wait_for 5 "group $pg to be gone" group_empty "$pg"
	done
done
# A new serve picks the released scans up again.
"$S" --db "$DB" serve --workers 1 --concurrency 4 >"$dir/serve2.log" 2>&1 &
serve2=$!
pids+=($serve2)
wait_for 20 "released scans running again" sql_is "SELECT count(*) FROM scans WHERE status = 'running' AND attempt = 2" 3
# serve itself killed with SIGKILL: its worker gets SIGTERM (PR_SET_PDEATHSIG)
# and shuts down as above instead of living on unsupervised.
w2=$(sql "SELECT pid FROM workers WHERE name = 'w-1' AND stopped_at IS NULL")
kill -KILL "$serve2"
wait_for 20 "the orphaned worker $w2 to stop" bash -c "! kill -0 $w2 2>/dev/null"
[ "$(sql "SELECT count(*) FROM scans WHERE status = 'running'")" = 0 ] || fail "scans left running after serve died"
grep -q 'msg="worker stopping" worker=w-1' "$dir/serve2.log" || fail "the worker did not stop gracefully"
echo PASS
