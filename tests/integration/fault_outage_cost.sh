#!/bin/bash
# backends: own
# sanitizers: no
# What a database outage costs the processes that wait for it: a `serve`
# with two workers, idle and then busy, while PostgreSQL is stopped for
# 20 s, and while another process holds SQLite's write lock for 20 s.
# For each outage:
#   - serve and its workers together use at most 5 % of one core (their
#     utime + stime from /proc/PID/stat, before and after);
#   - they write at most 20 log lines from the outage's start to 2 s after
#     its end;
#   - (PostgreSQL) they make at most 2 connection attempts per second per
#     process: a listener of the test's own takes the server's port while
#     it is down and counts the connections it is offered;
#   - after the database returns, every worker claims again within 2 s
#     (each of the two one-slot workers runs one of two new scans);
#   - busy: the scans that were running finish exactly once.
# The outage-side checks read the database and /proc; the log lines are
# counted, not read.
source "$(dirname "$0")/fault_lib.bash"
OUTAGE_S=20
CPU_MAX_PCT=5
LINES_MAX=20
CONNECT_PER_S_MAX=2
TCK=$(getconf CLK_TCK)

# procs: serve and its worker processes (not the scans' children)
procs() {
	local p
	echo "$serve_pid"
	for p in $(pgrep -P "$serve_pid"); do
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q ' worker ' && echo "$p"
	done
}
# ticks PID...: their utime + stime, in clock ticks
ticks() {
	local p sum=0 f
	for p in "$@"; do
		# Fields after the command's ")" : state is 3, utime 14, stime 15.
		f=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null) || continue
		set -- $f
		sum=$(( sum + ${12} + ${13} ))
	done
	echo "$sum"
}
log_lines() { cat "$dir"/serve-*.log | wc -l; }
running_on() { sql "SELECT count(DISTINCT worker_id) FROM scans WHERE status = 'running'
	AND id > $1"; }
two_workers_running() { [ "$(running_on "$1")" = 2 ]; }
workers_live() { [ "$(sql "SELECT count(*) FROM workers WHERE stopped_at IS NULL" 2>/dev/null)" -ge 2 ] \
	2>/dev/null; }
max_id() { sql "SELECT coalesce(max(id), 0) FROM scans"; }
running_n() { sql "SELECT count(*) FROM scans WHERE status = 'running'"; }
at_least_running() { [ "$(running_n)" -ge "$1" ]; }

# counter_start PORT: counts the TCP connections offered on PORT (loopback)
# into $dir/connects until counter_stop
counter_start() {
	python3 - "$1" "$dir/connects" <<'EOF' &
import socket, sys, signal
port, out = int(sys.argv[1]), sys.argv[2]
n = 0
def stop(*_):
    open(out, "w").write(str(n))
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(64)
open(out + ".ready", "w").write("1")
while True:
    c, _ = s.accept()
    n += 1
    c.close()
EOF
	counter_pid=$!
	pids+=($counter_pid)
	wait_for 10 "the connection counter" test -f "$dir/connects.ready"
}
counter_stop() {
	kill -TERM "$counter_pid"
	wait "$counter_pid" 2>/dev/null
	rm -f "$dir/connects.ready"
}

# outage NAME KIND(idle|busy): one outage of OUTAGE_S under the serve, with
# the checks above.  $how is stop (PostgreSQL) or lock (SQLite).
outage() {
	local name=$1 kind=$2 t0 c0 c1 l0 l1 used lines from n running_before port attempts nproc
	local -a ps
	from=$(max_id)
	if [ "$kind" = busy ]; then
		# Two 8 s scans (one a worker) that finish inside the outage, and
		# four behind them that wait for it to end.
		submit_n 6 test-sleep 127.0.0.1 --options '{"seconds":8}'
		wait_for 30 "both workers running a scan" two_workers_running "$from"
		sleep 1
	fi
	running_before=$(running_n)
	mapfile -t ps < <(procs)
	nproc=${#ps[@]}
	[ "$nproc" = 3 ] || fail "$name: expected serve and 2 workers, found ${ps[*]}"
	l0=$(log_lines)
	c0=$(ticks "${ps[@]}")
	t0=$(now_ms)
	if [ "$how" = lock ]; then
		mkfifo "$dir/lock-$name.in"
		sqlite3 -cmd ".timeout 20000" "${DB#sqlite://}" <"$dir/lock-$name.in" >"$dir/lock-$name.out" 2>&1 &
		pids+=($!)
		exec 7>"$dir/lock-$name.in"
		echo "BEGIN EXCLUSIVE; SELECT 'locked';" >&7
		wait_for 20 "the write lock" grep -qx locked "$dir/lock-$name.out"
		sleep $OUTAGE_S
		echo "COMMIT;" >&7
		exec 7>&-
	else
		port=$(sed -n 's/.* -p \([0-9]*\) .*/\1/p' "$own_pg/opts")
		pg_down
		counter_start "$port"
		sleep $OUTAGE_S
		counter_stop
		pg_up
	fi
	c1=$(ticks "${ps[@]}")
	used=$(( (c1 - c0) * 1000 / TCK ))	# ms of CPU
	[ "$(running_n)" -ge 0 ] 2>/dev/null || fail "$name: the database did not come back"
	# Every worker claims again within 2 s: two new scans, one on each.
	n=$(max_id)
	if [ "$kind" = idle ]; then
		submit_n 2 test-sleep 127.0.0.1 --options '{"seconds":4}'
		wait_for 2 "$name: both workers claiming after the outage" two_workers_running "$n"
	fi
	sleep 2
	l1=$(log_lines)
	lines=$(( l1 - l0 ))
	echo "$BACKEND $name: ${OUTAGE_S}s outage ($kind, $running_before running): cpu ${used} ms" \
		"for $nproc processes, $lines log lines${attempts:+, $attempts connection attempts}"
	if [ "$how" = stop ]; then
		attempts=$(cat "$dir/connects")
		echo "$BACKEND $name: $attempts connection attempts in ${OUTAGE_S}s by $nproc processes"
		[ "$attempts" -le $(( CONNECT_PER_S_MAX * OUTAGE_S * nproc )) ] \
			|| fail "$name: $attempts connection attempts in ${OUTAGE_S}s by $nproc processes" \
				"(at most $CONNECT_PER_S_MAX a second each)"
	fi
	[ "$used" -le $(( OUTAGE_S * 10 * CPU_MAX_PCT )) ] \
		|| fail "$name: serve and workers used ${used} ms of CPU in a ${OUTAGE_S}s outage" \
			"(at most $CPU_MAX_PCT % of one core)"
	[ "$lines" -le $LINES_MAX ] || { sed -n "$((l0 + 1)),\$p" "$dir"/serve-*.log | head -n 40;
		fail "$name: $lines log lines for one outage (at most $LINES_MAX)"; }
	wait_for 60 "$name: every scan finished" all_finished
}

run() {
	use_backend "$1"
	how=$2
	serve_bg "serve-$BACKEND" --workers 2 --concurrency 1
	serve_pid=$last_pid
	wait_for 20 "two workers registered" workers_live
	outage "$BACKEND-idle" idle
	outage "$BACKEND-busy" busy
	check_exactly_once "$(sql "SELECT count(*) FROM scans")"
	kill -TERM "$serve_pid"
	wait "$serve_pid" 2>/dev/null
}

run pg-own stop
run sqlite lock
echo "PASS: a database outage costs little and is logged once"
