#!/bin/bash
# backends: own
# Chaos, on SQLite and on PostgreSQL: `serve` with 3 workers runs 2,000
# short scans while one of its workers is killed with SIGKILL every 2 s.
# Afterwards the timeline must show every scan finished, none completed
# twice, no attempt claimed while an earlier one still ran, and none ended
# worker_lost (serve hands a dead worker's scans back without spending an
# attempt); and at every second at least one worker was alive.  Default
# settings (30 s leases): recovery after a kill is the hand-back's.
source "$(dirname "$0")/fault_lib.bash"
N=${FAULT_CHAOS_SCANS:-2000}
case "$S" in *asan*) N=400 ;; esac	# the sanitizers make every process ~5x slower

for backend in sqlite pg; do
	use_backend "$backend"
	submit_many "$N" '{"type":"test-sleep","targets":["127.0.0.1"],"options":{"seconds":0.02}}'
	serve_bg "serve-$backend" --workers 3 --concurrency 4
	serve=$last_pid
	kills=0 tick=0 left=$N moved=$(now_ms)
	while ! all_finished; do
		# The check is that every scan finishes, not how fast: a loaded
		# machine may take minutes.  Stuck is no scan finishing for longer
		# than a lease (30 s) plus the recovery tick.
		now=$(now_ms)
		[ "$(unfinished)" -lt "$left" ] && left=$(unfinished) moved=$now
		[ $((now - moved)) -lt 60000 ] || { show_unfinished; fail "no scan finished for 60 s: $left left"; }
		sleep 1
		tick=$((tick + 1))
		[ "$(pgrep -P "$serve" -f ' worker ' | wc -l)" -ge 1 ] || fail "no live worker at second $tick"
		[ $((tick % 2)) = 0 ] || continue
		victim=$(pgrep -P "$serve" -f ' worker ' | shuf -n 1)
		[ -n "$victim" ] && kill -KILL "$victim" 2>/dev/null && kills=$((kills + 1))
	done
	echo "$backend: $kills workers killed, a live worker at each of $tick seconds"
	check_exactly_once "$N"
	lost=$(sql "SELECT count(*) FROM scans WHERE error_code = 'worker_lost'")
	[ "$lost" = 0 ] || fail "$lost scans ended worker_lost"
	kill -TERM "$serve"
	wait "$serve" 2>/dev/null
done
echo PASS
