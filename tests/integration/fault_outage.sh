#!/bin/bash
# backends: own
# The database goes away under a running system, on both backends.
#
# PostgreSQL (a server of the test's own, stopped and started again):
#   1. idle workers across a restart: a scan submitted afterwards completes;
#   2. a restart mid-run: every scan completes exactly once;
#   3. an outage longer than the lease while scans finish: every scan
#      completes exactly once and none that had finished runs again.
# SQLite has no server to restart; its outage is a write lock held by
# another process for longer than the lease (3.).  On both, the workers'
# host pauses for longer than the lease (4.).
#
# Leases are 10 s (heartbeat 1 s) and the outages 15 s, so the test stays
# well under two minutes per backend.  In 3. the workers are separate
# `scanq worker` processes, frozen (SIGSTOP) for the outage and 4 s past it:
# lease recovery in `serve` runs first, as it may when a worker's retry
# backs off, and must not take back scans whose results are on their way;
# nor may the worker that goes on first take back the other's.
source "$(dirname "$0")/fault_lib.bash"
export SCANQ_WORKER_LEASE=10 SCANQ_WORKER_HEARTBEAT=1
OUTAGE_S=15

test_readyz_200() { [ "$(readyz)" = 200 ]; }
running_n() { sql "SELECT count(*) FROM scans WHERE status = 'running'"; }
at_least_running() { [ "$(running_n)" -ge "$1" ]; }
status_is() { [ "$(sql "SELECT status FROM scans WHERE id = $1")" = "$2" ]; }
# claims FROM: how many attempts were claimed of the scans with id > FROM
claims() { sql "SELECT count(*) FROM scan_events WHERE scan_id > $1 AND to_status = 'running'
	AND from_status = 'pending'"; }
# workers_up [LIKE]: two live workers (named LIKE) are registered
workers_up() { [ "$(sql "SELECT count(*) FROM workers WHERE stopped_at IS NULL
	AND name LIKE '${1:-%}'" 2>/dev/null)" -ge 2 ] 2>/dev/null; }
max_id() { sql "SELECT coalesce(max(id), 0) FROM scans" 2>/dev/null || echo 0; }

# start_workers: two `scanq worker` processes of 4 slots, in $workers
start_workers() {
	workers=""
	for w in wa wb; do
		"$S" --db "$DB" worker --name "$w-$BACKEND" --concurrency 4 >"$dir/$w.log" 2>&1 &
		pids+=($!)
		workers="$workers $!"
	done
}

# outage_while_finishing HOW: 24 scans of 3 s on 2 x 4 slots; when some run,
# the workers freeze and the database goes away for OUTAGE_S (HOW: lock or
# stop); 4 s after it is back the workers go on.  Every scan must then
# complete exactly once, each with one claim.
outage_while_finishing() {
	local from n=24 t0 how=$1
	start_workers
	wait_for 20 "two workers registered" workers_up "%-$BACKEND"
	from=$(max_id)
	# Held until all are in: four run at once however slowly the CLI
	# submits (under ASan on a loaded machine the 24 submits took longer
	# than the scans, never four at once).
	submit_held $n test-sleep 127.0.0.1 --options '{"seconds":3}'
	wait_for 60 "scans running" at_least_running 4
	t0=$(now_ms)
	if [ "$how" = lock ]; then
		# The lock first (waiting out a worker's transaction), then the
		# freeze: a worker frozen inside a transaction would hold the lock
		# itself, and 'database is locked' is no lock of ours.
		mkfifo "$dir/lock.in"
		sqlite3 -cmd ".timeout 20000" "${DB#sqlite://}" <"$dir/lock.in" >"$dir/lock.out" 2>&1 &
		pids+=($!)
		exec 7>"$dir/lock.in"
		echo "BEGIN EXCLUSIVE; SELECT 'locked';" >&7
		wait_for 20 "the write lock" grep -qx locked "$dir/lock.out"
		kill -STOP $workers
		sleep $OUTAGE_S
		echo "COMMIT;" >&7
		exec 7>&-
	else
		kill -STOP $workers
		pg_down
		sleep $OUTAGE_S
		pg_up
	fi
	echo "$BACKEND: database away for $(( ($(now_ms) - t0) / 1000 )) s with scans finishing"
	sleep 4
	# One worker goes on 3 s before the other: its lease recovery must give
	# the other's scans the time it was frozen itself before judging them.
	set -- $workers
	kill -CONT "$1"
	sleep 3
	kill -CONT "$2"
	wait_for 90 "every scan finished after the outage" all_finished
	check_exactly_once "$(sql "SELECT count(*) FROM scans")"
	[ "$(claims "$from")" = $n ] || fail "$(claims "$from") claims for $n scans: finished work ran again"
	echo "$BACKEND: $n scans, $n claims: nothing that finished during the outage ran again"
}

# paused_host [serve]: the database stays up, and the two workers (with
# "serve": a `serve --workers 0` too, first to go on) are frozen together
# for longer than the lease, as a suspended VM or laptop would be.  Without
# a serve the workers recover leases themselves.  Whoever goes on first must
# not take back the scans of those still frozen: it gives their leases the
# time it was frozen itself.  Every scan completes exactly once, each with
# one claim.
paused_host() {
	local from n=12 frozen
	kill -TERM $workers; wait $workers 2>/dev/null
	start_workers
	frozen=$workers
	if [ "${1:-}" = serve ]; then
		serve_bg "serve-paused-$BACKEND" --workers 0
		frozen="$last_pid $workers"
	fi
	wait_for 20 "two workers registered" workers_up "%-$BACKEND"
	from=$(max_id)
	# Held until all are in, as above.
	submit_held $n test-sleep 127.0.0.1 --options '{"seconds":3}'
	wait_for 60 "scans running" at_least_running 4
	kill -STOP $frozen
	sleep $OUTAGE_S
	for p in $frozen; do
		kill -CONT "$p"
		sleep 3
	done
	wait_for 90 "every scan finished after the pause" all_finished
	check_exactly_once "$(sql "SELECT count(*) FROM scans")"
	[ "$(claims "$from")" = $n ] || fail "$(claims "$from") claims for $n scans: the first to go on took back the others' scans"
	echo "$BACKEND: host paused $OUTAGE_S s (${1:-workers only}), $n scans, $n claims: nobody took back another's scans"
	[ "${1:-}" = serve ] && { kill -TERM "$last_pid"; wait "$last_pid" 2>/dev/null; }
	return 0
}

# ---- SQLite ----------------------------------------------------------------------
use_backend sqlite
serve_bg serve-sqlite --workers 0
outage_while_finishing lock
kill -TERM "$last_pid"; wait "$last_pid" 2>/dev/null
paused_host

# ---- PostgreSQL ---------------------------------------------------------------------
use_backend pg-own
serve_bg serve-pg --workers 2 --concurrency 4
serve=$last_pid
wait_for 20 "two workers registered" workers_up

# 1. idle workers across a restart; /readyz says 503 while the database is
# down and 200 within 2 s of its return
port=$(sed -n 's/.*msg="http listening".* port=\([0-9]*\).*/\1/p' "$dir/serve-pg.log" | head -n 1)
readyz() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz"; }
[ "$(readyz)" = 200 ] || fail "/readyz is not 200 before the restart"
pg_down
sleep 1
[ "$(readyz)" = 503 ] || fail "/readyz is $(readyz) while the database is down"
sleep 2
pg_up
t_up=$(now_ms)
wait_for 5 "/readyz 200 after the restart" test_readyz_200
ready_ms=$(( $(now_ms) - t_up ))
[ "$ready_ms" -le 2000 ] || fail "/readyz took $ready_ms ms to recover"
echo "pg: /readyz 503 during the outage, 200 again $ready_ms ms after the server"
sleep 3
id=$(q submit test-ok 127.0.0.1) || fail "submit after the restart"
wait_for 20 "scan $id to complete on workers that were idle across the restart" \
	status_is "$id" completed
echo "pg: idle workers picked up a scan submitted after a restart"

# 2. a restart mid-run
from=$(max_id)
# Held until all 40 are in, as above.
submit_held 40 test-sleep 127.0.0.1 --options '{"seconds":2}'
wait_for 60 "scans running" at_least_running 2
pg_down
pg_up
wait_for 90 "every scan finished after the restart" all_finished
check_exactly_once "$(sql "SELECT count(*) FROM scans")"

# 3. an outage longer than the lease (serve's own workers stop; the two
# frozen ones take over)
kill -TERM "$serve"; wait "$serve" 2>/dev/null
serve_bg serve-pg2 --workers 0
serve=$last_pid
outage_while_finishing stop
# One line when the outage starts and one when it ends, per process that
# noticed it: not a line per failed call.
n=$(grep -c 'msg="database unreachable"' "$dir/serve-pg2.log")
m=$(grep -c 'msg="database reachable again"' "$dir/serve-pg2.log")
[ "$n" -ge 1 ] && [ "$n" -le 2 ] && [ "$m" = "$n" ] \
	|| fail "serve logged $n 'unreachable' and $m 'reachable again' lines for one outage"
echo "pg: serve logged the outage in $n + $m lines"
kill -TERM "$serve"; wait "$serve" 2>/dev/null
paused_host serve
echo PASS
