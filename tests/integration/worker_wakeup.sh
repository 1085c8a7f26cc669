#!/bin/bash
# A submission from another process wakes an idle worker at once (inotify
# on the database's WAL file), without waiting for the fallback poll, which
# is set to 60 s here.  And `serve --max-scans-per-worker 2` recycles its
# worker every 2 scans: all scans complete, the worker is restarted.
source "$(dirname "$0")/lib.sh"
sqlite_only "inotify on the WAL; PostgreSQL's LISTEN is tested in worker_postgres.sh"
export SCANQ_WORKER_POLL_MS=60000 SCANQ_WORKER_HEARTBEAT=1

q migrate >/dev/null || fail "migrate"
start_worker wa --concurrency 2
wait_for 20 "worker started" grep -q 'msg="worker started".*wakeup=inotify' "$dir/wa.log"
sleep 1		# past its first claim: from now on only a wake-up can start a scan
t0=$(now_ms)
id=$(submit test-ok 127.0.0.1) || fail "submit"
wait_for 5 "scan $id completed without waiting for the 60 s poll" is_status "$id" completed
echo "picked up and completed in $(( $(now_ms) - t0 )) ms"
kill -TERM "$last_pid"
wait_for 40 "worker wa to exit" bash -c "! kill -0 $last_pid 2>/dev/null"

"$S" --db "$DB" serve --workers 1 --concurrency 1 --max-scans-per-worker 2 >"$dir/serve.log" 2>&1 &
pids+=($!)
ids=""
for i in 1 2 3 4 5; do ids="$ids $(submit test-ok 127.0.0.1)"; done
for id in $ids; do wait_for 30 "scan $id completed" is_status "$id" completed; done
recycles=$(grep -c 'msg="worker exited, restarting it" worker=w-1 .*reason="exit 0"' "$dir/serve.log")
[ "$recycles" -ge 2 ] || fail "expected at least 2 recycles, saw $recycles"
echo PASS
