#!/bin/bash
# worker_names.sh — worker names are unique per database, on both backends
# (docs/STORE.md: any number of serves may share one PostgreSQL, and two
# may share one SQLite file).  Two `serve --workers 2` on one database run
# w-1..w-4 between them, never two of one name; a serve stopped cleanly
# gives its names up at once, and the next serve takes the lowest free.
source "$(dirname "$0")/lib.sh"
export SCANQ_CONFIG=/dev/null SCANQ_WORKER_POLL_MS=100 SCANQ_WORKER_HEARTBEAT=1
q migrate >/dev/null || fail "migrate"
live() { sql "SELECT name FROM workers WHERE stopped_at IS NULL ORDER BY name" | tr '\n' ' '; }
nlive() { sql "SELECT count(*) FROM workers WHERE stopped_at IS NULL"; }
serve() {	# serve NAME: a background serve with two workers, log in $T/NAME.log
	"$S" --db "$DB" serve --listen 127.0.0.1:0 --workers 2 >"$T/$1.log" 2>&1 &
	pids+=($!)
	last_pid=$!
}

serve a; a=$last_pid
serve b; b=$last_pid
wait_for 30 "four workers registered" sql_is "SELECT count(*) FROM workers WHERE stopped_at IS NULL" 4
[ "$(live)" = "w-1 w-2 w-3 w-4 " ] || fail "two serves run workers named: $(live)"
[ "$(sql "SELECT count(DISTINCT holder) FROM worker_names")" = 2 ] || fail "worker_names: $(sql "SELECT * FROM worker_names")"
for x in a b; do
	[ "$(grep -c 'component=serve msg="worker started"' "$T/$x.log")" = 2 ] || fail "serve $x did not start two workers"
done
ok "two serves on one database name their workers w-1..w-4, no name twice"

kill -TERM "$a"; wait "$a" 2>/dev/null
wait_for 15 "serve a's workers stopped" sql_is "SELECT count(*) FROM workers WHERE stopped_at IS NULL" 2
mine=$(sql "SELECT name FROM worker_names ORDER BY name" | tr '\n' ' ')
serve c
wait_for 30 "serve c's workers registered" sql_is "SELECT count(*) FROM workers WHERE stopped_at IS NULL" 4
[ "$(live)" = "w-1 w-2 w-3 w-4 " ] || fail "after a restart the live workers are: $(live) (names held before: $mine)"
ok "a serve stopped cleanly gives its names up; the next takes the lowest free ones"
