#!/bin/bash
# backends: own
# Chaos, on SQLite and on PostgreSQL: `serve` with 3 workers runs 2,000
# short scans while one of its workers is killed with SIGKILL every 2 s.
# Afterwards the timeline must show every scan finished, none completed
# twice, and no attempt claimed while an earlier one still ran.  Leases are
# 4 s so that recovery after a kill is quick enough for a bounded test.
source "$(dirname "$0")/fault_lib.bash"
export SCANQ_WORKER_LEASE=4 SCANQ_WORKER_HEARTBEAT=1
N=${FAULT_CHAOS_SCANS:-2000}
case "$S" in *asan*) N=400 ;; esac	# the sanitizers make every process ~5x slower

for backend in sqlite pg; do
	use_backend "$backend"
	submit_n "$N" test-sleep 127.0.0.1 --options '{"seconds":0.02}'
	serve_bg "serve-$backend" --workers 3 --concurrency 4
	serve=$last_pid
	kills=0 end=$(( $(now_ms) + 100000 ))
	while ! all_finished; do
		[ "$(now_ms)" -lt "$end" ] || fail "not finished in 100 s: $(unfinished) left"
		sleep 2
		victim=$(pgrep -P "$serve" | shuf -n 1)
		[ -n "$victim" ] && kill -KILL "$victim" 2>/dev/null && kills=$((kills + 1))
	done
	echo "$backend: $kills workers killed"
	check_exactly_once "$N"
	kill -TERM "$serve"
	wait "$serve" 2>/dev/null
done
echo PASS
