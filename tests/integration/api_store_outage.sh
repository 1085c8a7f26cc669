#!/bin/bash
# backends: own
# The HTTP API when its database fails, as an operator meets it.
#
#  1. On both backends, a submission the database refuses (a trigger raises
#     "database or disk is full (test)", as a full disk would) is answered
#     503 store_unavailable, and serve's log line names the database's error
#     (it said error="": the failure happened on the group committer's
#     handle, and the line read the request's own).
source "$(dirname "$0")/fault_lib.bash"

port_of() { sed -n 's/.*msg="http listening".* port=\([0-9]*\).*/\1/p' "$dir/$1.log" | head -n 1; }
listening() { grep -q 'msg="http listening"' "$dir/$1.log"; }

# ---- 1. the database's error in the log, both backends ---------------------------
refused_submit() {
	local port code
	q migrate >/dev/null || fail "migrate"
	if [ "$BACKEND" = sqlite ]; then
		sql "CREATE TRIGGER refuse_insert BEFORE INSERT ON scans
			BEGIN SELECT RAISE(ABORT, 'database or disk is full (test)'); END" || fail "trigger"
	else
		sql "CREATE FUNCTION refuse_insert() RETURNS trigger LANGUAGE plpgsql AS \$\$
			BEGIN RAISE EXCEPTION 'database or disk is full (test)'; END \$\$;
			CREATE TRIGGER refuse_insert BEFORE INSERT ON scans FOR EACH ROW
			EXECUTE FUNCTION refuse_insert()" >/dev/null || fail "trigger"
	fi
	serve_bg "serve-$BACKEND" --workers 0
	wait_for 20 "serve to listen" listening "serve-$BACKEND"
	port=$(port_of "serve-$BACKEND")
	code=$(curl -s -o "$dir/body" -w '%{http_code}' -H 'Content-Type: application/json' \
		-d '{"type":"test-ok","targets":["127.0.0.1"]}' "http://127.0.0.1:$port/api/v1/scans")
	[ "$code" = 503 ] && grep -q '"code":"store_unavailable"' "$dir/body" \
		|| fail "a refused submission: $code $(cat "$dir/body")"
	grep 'msg="store call failed" what="submit"' "$dir/serve-$BACKEND.log" \
		| grep -q 'error="[^"]*database or disk is full (test)' \
		|| fail "the log does not carry the database's error: $(grep 'store call failed' \
			"$dir/serve-$BACKEND.log")"
	kill -TERM "$last_pid"
	wait "$last_pid" 2>/dev/null
	echo "ok - $BACKEND: a submission the database refuses is a 503, and the log says why:" \
		"$(grep -o 'error="[^"]*"' "$dir/serve-$BACKEND.log" | head -n 1)"
}
use_backend sqlite
refused_submit
use_backend pg-own
refused_submit

echo PASS
