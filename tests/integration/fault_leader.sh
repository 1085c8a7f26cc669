#!/bin/bash
# backends: own
# One maintenance leader per database, on SQLite and on PostgreSQL: of two
# `serve` processes only one leads (recovers leases, prunes); when it is
# killed with SIGKILL the other takes over within seconds and recovers the
# expired lease of a scan left running by a vanished worker.
source "$(dirname "$0")/fault_lib.bash"

leads() { grep -q 'msg="maintenance leader now"' "$dir/$1.log"; }
status_is() { [ "$(sql "SELECT status FROM scans WHERE id = $1")" = "$2" ]; }

for backend in sqlite pg; do
	use_backend "$backend"
	serve_bg "a-$backend" --workers 0
	a=$last_pid
	wait_for 20 "serve A to lead" leads "a-$backend"
	serve_bg "b-$backend" --workers 0
	sleep 5
	leads "b-$backend" && fail "two leaders at once"
	kill -KILL "$a"
	t0=$(now_ms)
	wait_for 15 "serve B to take over" leads "b-$backend"
	echo "$backend: B leads $(( $(now_ms) - t0 )) ms after A was killed"
	# A scan whose worker vanished: B's lease recovery takes it back.
	id=$(q submit test-ok 127.0.0.1 --max-attempts 1) || fail "submit"
	sql "UPDATE scans SET status = 'running', attempt = 1, worker_id = 'w-gone',
		claimed_at = 1 WHERE id = $id;
		INSERT INTO leases (scan_id, attempt, worker_id, lease_expires_at)
		VALUES ($id, 1, 'w-gone', 1)" >/dev/null || fail "setup"
	wait_for 10 "B to recover the expired lease" status_is "$id" failed
	[ "$(sql "SELECT error_code FROM scans WHERE id = $id")" = worker_lost ] || fail "not worker_lost"
	kill -TERM "$last_pid"
	wait "$last_pid" 2>/dev/null
done
echo PASS
