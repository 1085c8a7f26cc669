# worker_lib.bash — what the worker_*.sh integration tests share (sourced,
# not a test itself).  Each test gets a fresh folder and database on the
# backend run.sh chose (backend.bash), and every process it starts is
# killed on exit.
set -u
S=${SCANQ:?set SCANQ to the scanq binary}
dir=$(mktemp -d)
source "$(dirname "${BASH_SOURCE[0]}")/backend.bash"
new_db "$dir"
pids=()

# SIGTERM first (a serve hands it to its workers, which stop their
# children), SIGKILL what is left after 10 s.
cleanup() {
	local p end=$(( $(date +%s) + 10 ))
	for p in "${pids[@]}"; do
		kill -CONT "$p" 2>/dev/null
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		while kill -0 "$p" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	drop_db
	rm -rf "$dir"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; for f in "$dir"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -n 30 "$f"; }; done; exit 1; }
q() { "$S" --db "$DB" "$@"; }
status() { sql "SELECT status FROM scans WHERE id = $1"; }
now_ms() { date +%s%3N; }

# wait_for SECONDS DESCRIPTION COMMAND...: polls every 0.1 s until COMMAND succeeds
wait_for() {
	local secs=$1 what=$2 end
	shift 2
	end=$(( $(now_ms) + secs * 1000 ))
	until "$@"; do
		[ "$(now_ms)" -lt "$end" ] || fail "timed out after ${secs}s waiting for: $what"
		sleep 0.1
	done
}
# sql_is QUERY VALUE: the query's one value is VALUE
sql_is() { [ "$(sql "$1" 2>/dev/null)" = "$2" ]; }
is_status() { [ "$(status "$1")" = "$2" ]; }

# start_worker NAME [ARGS...]: a background `scanq worker`, log in $dir/NAME.log
start_worker() {
	local name=$1
	shift
	"$S" --db "$DB" worker --name "$name" "$@" >"$dir/$name.log" 2>&1 &
	pids+=($!)
	last_pid=$!
}

# submit ARGS...: prints the new scan's id
submit() { q submit "$@"; }

# live_in_group PGID: how many live (not zombie) processes are in that group
live_in_group() {
	local n=0 f st
	for f in /proc/[0-9]*/stat; do
		st=$(cat "$f" 2>/dev/null) || continue
		st=${st##*) }			# after "pid (comm) ": state ppid pgrp ...
		read -r state _ pgrp _ <<<"$st"
		[ "$pgrp" = "$1" ] && [ "$state" != Z ] && n=$((n + 1))
	done
	echo "$n"
}
group_empty() { [ "$(live_in_group "$1")" = 0 ]; }

# child_pid SCAN LOG: the pid of the child the worker started for SCAN
child_pid() { sed -n "s/.*msg=\"scan marked running\" scan=$1 .*pid=\([0-9]*\).*/\1/p" "$2" | tail -n 1; }
