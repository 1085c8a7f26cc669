# lib.sh — shared helpers of the integration tests (sourced, not run).
# Each test gets $SCANQ (the binary under test), a temp folder $T with a
# database $DB on the backend run.sh chose (backend.bash), and cleanup of
# every process it started.
set -u
: "${SCANQ:?SCANQ must name the scanq binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/scanq-it-XXXXXX")
source "$(dirname "${BASH_SOURCE[0]}")/backend.bash"
new_db "$T"
PIDS=""
cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	drop_db
	rm -rf "$T"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

# sq ARGS...: run scanq on the test database (a function: to run scanq in
# the background, call "$SCANQ" --db "$DB" ... & so that $! is scanq itself).
sq() { "$SCANQ" --db "$DB" "$@"; }


# wait_for SECONDS COMMAND...: poll until COMMAND succeeds, or fail.
wait_for() {
	local limit=$1; shift
	local end=$(( $(date +%s) + limit ))
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

# status_of ID: the scan's status.
status_of() { sq show "$1" --json | sed -n 's/^  "status": "\(.*\)",$/\1/p'; }
