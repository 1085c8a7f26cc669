#!/bin/bash
# The database cannot be written while a scan finishes: another process
# holds the write lock for 12 s (longer than the store's 5 s busy timeout).
# The scan must stay `running` — never reported completed — until the
# write lands, and the write must land once the lock is gone.
source "$(dirname "$0")/lib.sh"
sqlite_only "the lock is SQLite's; fault_outage.sh stops PostgreSQL instead"
export SCANQ_WORKER_HEARTBEAT=1

id=$(submit test-sleep 127.0.0.1 --options '{"seconds":1.5}') || fail "submit"
start_worker wa --concurrency 1
wait_for 20 "scan $id running" is_status "$id" running

# Hold the write lock (in WAL mode readers still read) for 12 s.
hold_write_lock
locked_at=$(now_ms)

# While locked: the child ends, the worker retries, the scan stays running.
# Each store call waits up to the 5 s busy timeout, and the worker may try a
# renewal and a lease recovery before the completion write: allow for all.
# The worker logs the outage once, not each failed write.
wait_for 45 "the worker to log the outage" grep -q 'msg="database unreachable" backend=sqlite' "$dir/wa.log"
while [ $(( $(now_ms) - locked_at )) -lt 12000 ]; do
	[ "$(status "$id")" = running ] || fail "scan $id is $(status "$id") while the database is locked"
	grep -q "msg=\"scan completed\" scan=$id " "$dir/wa.log" && fail "completion logged while locked"
	sleep 0.5
done
release_write_lock
released_at=$(now_ms)
wait_for 30 "scan $id completed after the lock" is_status "$id" completed
echo "completed $(( $(now_ms) - released_at )) ms after the lock was released"
grep -q "msg=\"scan completed\" scan=$id " "$dir/wa.log" || fail "no completion log"
[ "$(sql "SELECT attempt FROM scans WHERE id = $id")" = 1 ] || fail "attempt changed"
[ "$(sql "SELECT count(*) FROM findings WHERE scan_id = $id")" = 0 ] || fail "findings"
sql "SELECT summary FROM scans WHERE id = $id" | grep -q slept_s || fail "summary not written"
echo PASS
