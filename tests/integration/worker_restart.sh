#!/bin/bash
# serve's restart policy: a worker that registered and then died is
# restarted at once, however young it was; a worker that dies before it
# registers (here: the database is write-locked, so registering fails
# after the store's 5 s busy timeout) is restarted with exponential
# backoff, and registers once the lock is gone.
source "$(dirname "$0")/lib.sh"
sqlite_only "a write lock makes registering fail; that lock is SQLite's"
export SCANQ_WORKER_HEARTBEAT=1

live_w1() { sql "SELECT pid FROM workers WHERE name = 'w-1' AND stopped_at IS NULL"; }
q migrate >/dev/null || fail "migrate"
"$S" --db "$DB" serve --workers 1 --listen 127.0.0.1:0 >"$dir/serve.log" 2>&1 &
serve=$!
pids+=($serve)
wait_for 20 "w-1 registered" bash -c "[ -n \"\$(sqlite3 -cmd '.timeout 5000' '$DBFILE' \"SELECT pid FROM workers WHERE name = 'w-1' AND stopped_at IS NULL\" 2>/dev/null)\" ]"
sleep 1.5	# its first heartbeat byte reaches serve
worker=$(live_w1)
pids+=($worker)

# Hold the write lock (WAL: readers still read), then kill the worker.
hold_write_lock
kill -KILL "$worker"
wait_for 20 "w-1 (registered) restarted at once" grep -q "msg=\"worker exited, restarting it\" worker=w-1 pid=$worker .*registered=yes in_ms=0" "$dir/serve.log"
wait_for 30 "the new w-1 failed to register and is backed off" grep -q 'msg="worker exited, restarting it" worker=w-1 .*registered=no in_ms=100' "$dir/serve.log"
release_write_lock
wait_for 30 "w-1 registered again" bash -c "p=\$(sqlite3 -cmd '.timeout 5000' '$DBFILE' \"SELECT pid FROM workers WHERE name = 'w-1' AND stopped_at IS NULL\" 2>/dev/null); [ -n \"\$p\" ] && [ \"\$p\" != $worker ]"
kill -TERM "$serve"
wait_for 30 "serve to exit" bash -c "! kill -0 $serve 2>/dev/null"
echo PASS
