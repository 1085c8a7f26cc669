# fault_lib.bash — what the fault_*.sh tests share (sourced, not a test).
# A fault test runs the same scenario on each backend: `use_backend sqlite`
# gives a fresh SQLite file, `use_backend pg` a fresh database on the
# PostgreSQL server of tests/run.sh, `use_backend pg-own` a PostgreSQL
# server of the test's own that it may stop and start (pg_down / pg_up).
# The checks read the database (scan_events), never the logs.
set -u
S=${SCANQ:?set SCANQ to the scanq binary}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/scanq-fault-XXXXXX")
pids=()
own_pg=""

FAIL_SHOWS_BACKEND=1
FAIL_TAIL=20
FAIL_KEEP=/tmp/fault-last-
CLEANUP_GRACE=0	# a fault test's processes are killed, not stopped
SQL_TIMEOUT_MS=20000
WAIT_POLL=0.2	# the fault suites poll the database less often
cleanup_backend() {
	pkill -KILL -f -- "--db $dir/" 2>/dev/null
	[ -n "$own_pg" ] && sh "$ROOT/tools/pg-test-server.sh" stop "$own_pg"
	return 0
}
source "$ROOT/tests/integration/common.bash" || { echo "FAIL: cannot read common.bash"; exit 1; }
trap cleanup EXIT

# use_backend sqlite|pg|pg-own: sets BACKEND and DB (sql() follows DB).
use_backend() {
	BACKEND=$1
	case $1 in
	sqlite)
		DB="sqlite://$dir/$RANDOM.db"
		;;
	pg|pg-own)
		local base name
		if [ "$1" = pg-own ]; then
			local env
			env=$(sh "$ROOT/tools/pg-test-server.sh" start) || fail "cannot start PostgreSQL"
			own_pg=$(echo "$env" | sed -n "s/.*SCANQ_TEST_PG_DIR='\(.*\)'/\1/p")
			base=$(echo "$env" | sed -n "s/.*SCANQ_TEST_PG_URL='\(.*\)'/\1/p")
		else
			base=${SCANQ_TEST_PG_URL:?no PostgreSQL test server}
		fi
		name="fault_$$_$RANDOM"
		psql "$base" -qc "CREATE DATABASE $name" >/dev/null || fail "cannot create a database"
		DB="${base%/*}/$name"
		;;
	esac
}

pg_down() { sh "$ROOT/tools/pg-test-server.sh" down "$own_pg" || fail "cannot stop PostgreSQL"; }
pg_up() { sh "$ROOT/tools/pg-test-server.sh" up "$own_pg" || fail "cannot start PostgreSQL"; }

# submit_n N TYPE [ARGS...]: queues N scans, 4 submitters at a time
submit_n() {
	local n=$1
	shift
	seq "$n" | xargs -P 4 -I{} "$S" --db "$DB" submit "$@" >/dev/null 2>>"$dir/submit.log" \
		|| fail "submitting $n scans"
}

# submit_held N ARGS...: submit_n, with the type (ARGS' first word) paused
# while the CLI submits, so that the N scans become due together: on a
# loaded machine (or under ASan) one CLI process a scan can take as long as
# a short scan runs, and "some scans running at once" then never happens.
submit_held() {
	local n=$1
	shift
	"$S" --db "$DB" pause --type "$1" --reason "submitting $n at once" >/dev/null 2>>"$dir/submit.log" \
		|| fail "pausing $1"
	submit_n "$n" "$@"
	"$S" --db "$DB" resume --type "$1" >/dev/null 2>>"$dir/submit.log" || fail "resuming $1"
}

# submit_many N BODY: queues N scans of the JSON BODY through the HTTP API
# of a `serve --workers 0` of its own, on one keep-alive connection (a CLI
# process a scan spends its time connecting: minutes for 2,000 on a loaded
# machine).
submit_many() {
	local n=$1 body=$2 port i pid quoted
	"$S" --db "$DB" serve --listen 127.0.0.1:0 --workers 0 >"$dir/submit-serve.log" 2>&1 &
	pid=$!
	pids+=($pid)
	wait_for 20 "the submitting serve" grep -q 'msg="http listening"' "$dir/submit-serve.log"
	port=$(sed -n 's/.*msg="http listening".* port=\([0-9]*\).*/\1/p' "$dir/submit-serve.log" | head -n 1)
	quoted=$(printf '%s' "$body" | sed 's/["\\]/\\&/g; s/.*/"&"/')
	for ((i = 0; i < n; i++)); do
		[ "$i" = 0 ] || echo next
		printf 'url = "http://127.0.0.1:%s/api/v1/scans"\ndata = %s\n' "$port" "$quoted"
		printf 'header = "Content-Type: application/json"\noutput = /dev/null\nwrite-out = "%%{http_code}\\n"\n'
	done >"$dir/submit.curl"
	curl -s -K "$dir/submit.curl" >"$dir/submit.codes" || fail "submitting $n scans"
	kill -TERM "$pid"; wait "$pid" 2>/dev/null
	[ "$(grep -cE '^20[12]$' "$dir/submit.codes")" = "$n" ] \
		|| fail "submitting $n scans: $(sort "$dir/submit.codes" | uniq -c | tr '\n' ' ')"
}

# serve_bg NAME ARGS...: a background `scanq serve`, log in $dir/NAME.log
serve_bg() {
	local name=$1
	shift
	"$S" --db "$DB" serve --listen 127.0.0.1:0 "$@" >"$dir/$name.log" 2>&1 &
	pids+=($!)
	last_pid=$!
}

unfinished() { sql "SELECT count(*) FROM scans WHERE status IN ('pending', 'running')"; }
all_finished() { [ "$(unfinished)" = 0 ]; }
# show_unfinished: the scans still pending or running, and their last events
show_unfinished() {
	echo "--- unfinished scans (id status attempt worker lease_expires_at run_after, now $(now_ms)):"
	sql "SELECT id, status, attempt, worker_id, lease_expires_at, run_after FROM scans
		WHERE status IN ('pending', 'running') ORDER BY id LIMIT 20"
	echo "--- their last events:"
	sql "SELECT scan_id, at, from_status, to_status, attempt, worker_id, reason FROM scan_events
		WHERE scan_id IN (SELECT id FROM scans WHERE status IN ('pending', 'running')
		ORDER BY id LIMIT 5) ORDER BY id DESC LIMIT 30"
}

# check_exactly_once N: the timeline shows N scans, each completed exactly
# once, never claimed while an earlier attempt was still running (each
# attempt's claim follows the end of the one before), and none left
# unfinished.  Prints the counts.
check_exactly_once() {
	local n=$1 total done twice overlap
	total=$(sql "SELECT count(*) FROM scans")
	[ "$total" = "$n" ] || fail "$total scans in the database, expected $n"
	[ "$(unfinished)" = 0 ] || fail "$(unfinished) scans still pending or running"
	done=$(sql "SELECT count(*) FROM scans WHERE status = 'completed'")
	twice=$(sql "SELECT count(*) FROM (SELECT scan_id FROM scan_events WHERE to_status = 'completed'
		GROUP BY scan_id HAVING count(*) > 1) x")
	[ "$twice" = 0 ] || fail "$twice scans completed more than once"
	# Walk each scan's timeline: a claim (to running from pending) must never
	# come while the scan is already running.
	overlap=$(sql "SELECT count(*) FROM scan_events e WHERE e.to_status = 'running'
		AND e.from_status = 'pending' AND (SELECT p.to_status FROM scan_events p
		WHERE p.scan_id = e.scan_id AND p.id < e.id AND p.from_status IS DISTINCT FROM p.to_status
		ORDER BY p.id DESC LIMIT 1) = 'running'")
	[ "$overlap" = 0 ] || fail "$overlap claims of a scan that was still running"
	echo "$BACKEND: $n scans, $done completed exactly once, 0 twice, 0 overlapping attempts," \
		"$(sql "SELECT count(*) FROM scans WHERE error_code = 'worker_lost'") worker_lost"
}
