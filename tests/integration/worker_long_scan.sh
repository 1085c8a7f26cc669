#!/bin/bash
# A healthy scan that runs much longer than its lease is never recovered:
# its worker renews the lease every heartbeat, while lease recovery runs
# (each standalone worker runs it) all along.  Lease 3 s, scan 9 s.
source "$(dirname "$0")/lib.sh"
export SCANQ_WORKER_LEASE=3 SCANQ_WORKER_HEARTBEAT=1

id=$(submit test-sleep 127.0.0.1 --options '{"seconds":9}') || fail "submit"
start_worker wa --concurrency 1
start_worker wb --concurrency 1		# a second worker, also running lease recovery
wait_for 30 "scan $id completed" is_status "$id" completed
[ "$(sql "SELECT attempt FROM scans WHERE id = $id")" = 1 ] || fail "the scan was claimed again"
[ "$(sql "SELECT count(*) FROM scan_events WHERE scan_id = $id AND from_status = 'running' AND to_status = 'pending'")" = 0 ] \
	|| fail "the healthy scan was recovered"
[ "$(sql "SELECT coalesce(sum(value), 0) FROM counters WHERE name = 'lease_recoveries'")" = 0 ] || fail "lease recovery counted"
echo PASS
