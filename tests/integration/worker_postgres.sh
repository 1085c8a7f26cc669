#!/bin/bash
# backends: own
# Workers on PostgreSQL, end to end: an idle worker whose fallback poll is
# 60 s picks a submission up at once (LISTEN scanq_pending, NOTIFYed by the
# submit's commit), two workers share a batch without running a scan twice,
# and a worker killed with SIGKILL has its scan healed by lease recovery and
# completed by the other.  Skipped (exit 0, said so) without a test server.
source "$(dirname "$0")/lib.sh"
if [ -z "${SCANQ_TEST_PG_URL:-}" ]; then
	echo "SKIP: SCANQ_TEST_PG_URL is not set (tests/run.sh starts a server)"
	exit 0
fi
pgdb="wk_$$_$RANDOM"
psql -q "$SCANQ_TEST_PG_URL" -c "CREATE DATABASE $pgdb" || fail "createdb"
drop_db() { cleanup; psql -q "$SCANQ_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1; }
trap drop_db EXIT
DB="${SCANQ_TEST_PG_URL%/*}/$pgdb"
# common.bash's sql() follows DB: psql on this PostgreSQL database.
export SCANQ_WORKER_POLL_MS=60000 SCANQ_WORKER_LEASE=3 SCANQ_WORKER_HEARTBEAT=1

q migrate >/dev/null || fail "migrate"
start_worker wa --concurrency 4
wait_for 20 "worker wa started with LISTEN" grep -q 'msg="worker started".*wakeup=listen' "$dir/wa.log"
sleep 1		# past its first claim: from now on only a notification starts a scan
t0=$(now_ms)
id=$(submit test-ok 127.0.0.1) || fail "submit"
wait_for 5 "scan $id completed without waiting for the 60 s poll" is_status "$id" completed
echo "picked up and completed in $(( $(now_ms) - t0 )) ms"

start_worker wb --concurrency 4
ids=""
for i in $(seq 1 20); do ids="$ids $(submit test-ok 127.0.0.1)"; done
for id in $ids; do wait_for 30 "scan $id completed" is_status "$id" completed; done
[ "$(sql "SELECT count(*) FROM scan_events WHERE to_status = 'running'")" = 21 ] \
	|| fail "a scan was claimed more than once"
echo "21 scans, 21 claims, shared by two workers"

# SIGKILL the worker running a long scan: wb takes it over after the lease.
kill -TERM "$last_pid"	# wb leaves cleanly; wa stays
sleep 1
long=$(submit test-sleep 127.0.0.1 --options '{"seconds":2}') || fail "submit long"
wait_for 10 "scan $long running" is_status "$long" running
owner=$(sql "SELECT worker_id FROM scans WHERE id = $long")
case "$owner" in wa@*) ;; *) fail "expected wa to run scan $long, not '$owner'" ;; esac
kill -9 "$(sql "SELECT pid FROM workers WHERE name = 'wa' AND stopped_at IS NULL")"
start_worker wc --concurrency 1
wait_for 40 "scan $long completed by wc after lease recovery" is_status "$long" completed
[ "$(sql "SELECT attempt FROM scans WHERE id = $long")" = 2 ] || fail "attempt is not 2"
case "$(sql "SELECT worker_id FROM scans WHERE id = $long")" in wc@*) ;; *) fail "not completed by wc" ;; esac
sql "SELECT reason FROM scan_events WHERE scan_id = $long" | grep -q "lease expired; worker wa@[^ ]* lost" \
	|| fail "the timeline does not name the lost worker"
echo PASS
