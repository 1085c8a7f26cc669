# common.bash — what every integration-test library shares (sourced by
# lib.sh and fault_lib.bash, not a test): one rule for failing, one for
# cleaning up, one for waiting, and the two ways to reach the database.
# The sourcing library sets S (the binary), dir (the test's folder) and
# pids (background processes to stop), and may set:
#   FAIL_SHOWS_BACKEND=1  fail says "FAIL ($BACKEND): ..." (else "FAIL: ...")
#   FAIL_TAIL=N           lines of each $dir/*.log fail prints (default 30)
#   FAIL_KEEP=PREFIX      fail also copies each log to PREFIXNAME
#   CLEANUP_GRACE=S       seconds a process has to end after SIGTERM before
#                         SIGKILL (default 10; 0: SIGKILL at once)
#   cleanup_backend()     run by cleanup after the processes are gone
#   SQL_TIMEOUT_MS        how long sql waits for SQLite's lock (default 10000)
#   WAIT_POLL             how often wait_for looks (default 0.1 s)

# fail MESSAGE: prints "FAIL: MESSAGE" and the last lines of every
# $dir/*.log, and exits 1.
fail() {
	local f
	if [ "${FAIL_SHOWS_BACKEND:-0}" = 1 ]; then echo "FAIL (${BACKEND:-?}): $*"; else echo "FAIL: $*"; fi
	for f in "$dir"/*.log; do
		[ -f "$f" ] || continue
		echo "--- $f"
		tail -n "${FAIL_TAIL:-30}" "$f"
		[ -n "${FAIL_KEEP:-}" ] && cp "$f" "$FAIL_KEEP$(basename "$f")"
	done
	exit 1
}

# mine PID: is PID still a process this shell started (not waited for yet)?
# A PID the test already waited for may be another test's process by now
# (PIDs are reused): killing it by number killed a serve of flow_shards.sh
# in CI, so cleanup ends only its own.
mine() { [ "$(ps -o ppid= -p "$1" 2>/dev/null | tr -d ' ')" = "$$" ]; }

# cleanup: stops every process in pids (and $PIDS) that is still this
# shell's own (SIGCONT, SIGTERM, then SIGKILL after CLEANUP_GRACE seconds),
# waits for them, runs cleanup_backend if the library defines one, and
# removes $dir.
cleanup() {
	local p end=$(( $(date +%s) + ${CLEANUP_GRACE:-10} )) own=()
	for p in "${pids[@]}" ${PIDS:-}; do mine "$p" && own+=("$p"); done
	for p in "${own[@]}"; do
		if [ "${CLEANUP_GRACE:-10}" = 0 ]; then
			kill -KILL "$p" 2>/dev/null
			continue
		fi
		kill -CONT "$p" 2>/dev/null
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${own[@]}"; do
		while kill -0 "$p" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do sleep 0.1; done
		mine "$p" && kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	declare -F cleanup_backend >/dev/null && cleanup_backend
	rm -rf "$dir"
}

# now_ms: milliseconds since the epoch.
now_ms() { date +%s%3N; }

# wait_for SECONDS DESCRIPTION COMMAND... runs COMMAND every $WAIT_POLL
# seconds until it succeeds; if it has not after SECONDS, the test fails
# with "timed out after SECONDS s waiting for: DESCRIPTION".
wait_for() {
	local secs=$1 what=$2 end
	shift 2
	end=$(( $(now_ms) + secs * 1000 ))
	until "$@" >/dev/null 2>&1; do
		[ "$(now_ms)" -lt "$end" ] || fail "timed out after ${secs}s waiting for: $what"
		sleep "${WAIT_POLL:-0.1}"
	done
}

# q ARGS...: scanq on the test's database $DB (to run it in the background,
# call "$S" --db "$DB" ... & so that $! is scanq itself).
q() { "$S" --db "$DB" "$@"; }

# sql QUERY: one query on $DB (SQLite file or PostgreSQL URL), values
# separated by "|", rows by newlines.
sql() {
	case $DB in
	sqlite://*) sqlite3 -cmd ".timeout ${SQL_TIMEOUT_MS:-10000}" "${DB#sqlite://}" "$1" ;;
	*) psql "$DB" -tAqF '|' -c "$1" ;;
	esac
}
