#!/bin/bash
# A worker whose loop stops (SIGSTOP) stops writing its heartbeat pipe;
# `scanq serve` detects the silence, kills it with SIGKILL, records why in
# the workers table and starts a fresh one, which then runs new scans.
# Heartbeat 1 s: the stall threshold is max(3 heartbeats, 10 s) = 10 s.
source "$(dirname "$0")/lib.sh"
export SCANQ_WORKER_HEARTBEAT=1 SCANQ_WORKER_LEASE=3 SCANQ_WORKER_GRACE=2

q migrate >/dev/null || fail "migrate"
"$S" --db "$DB" serve --workers 1 --concurrency 2 >"$dir/serve.log" 2>&1 &
serve=$!
pids+=($serve)
# the live w-1 (the registry keeps a row per worker process)
live_w1() { sql "SELECT pid FROM workers WHERE name = 'w-1' AND stopped_at IS NULL
	ORDER BY started_at DESC LIMIT 1" 2>/dev/null; }
w1_registered() { [ -n "$(live_w1)" ]; }
wait_for 20 "worker w-1 registered" w1_registered
old=$(live_w1)
w1_replaced() { local p; p=$(live_w1); [ -n "$p" ] && [ "$p" != "$old" ]; }
pids+=($old)
kill -STOP "$old"
stopped_at=$(now_ms)
wait_for 40 "a new w-1 process" w1_replaced
echo "stalled worker replaced $(( $(now_ms) - stopped_at )) ms after SIGSTOP"
grep -q 'msg="worker stalled, killing it" worker=w-1' "$dir/serve.log" || fail "no stall log line"
wait_for 10 "the stopped worker to be gone" bash -c "! kill -0 $old 2>/dev/null || grep -q '^State:.*Z' /proc/$old/status"
# Stopped inside a transaction, the worker held SQLite's lock until it was
# killed: serve's first write of its exit may fail, and is made again a
# second later (supervisor.c, recheck()).
exit_recorded() { sql "SELECT last_exit FROM workers WHERE pid = $old" | grep -q stalled; }
wait_for 10 "the stalled worker's exit in the registry" exit_recorded
q workers | grep -q "w-1 .*stalled" || fail "scanq workers does not show the stall"

id=$(submit test-ok 127.0.0.1) || fail "submit"
wait_for 20 "scan $id completed by the new worker" is_status "$id" completed
kill -TERM "$serve"
wait_for 20 "serve to exit" bash -c "! kill -0 $serve 2>/dev/null"
echo PASS
