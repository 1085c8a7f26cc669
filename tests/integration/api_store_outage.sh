#!/bin/bash
# backends: own
# The HTTP API when its database fails, as an operator meets it.
#
#  1. On both backends, a submission the database refuses (a trigger raises
#     "database or disk is full (test)", as a full disk would) is answered
#     503 store_unavailable, and serve's log line names the database's error
#     (it said error="": the failure happened on the group committer's
#     handle, and the line read the request's own).
# PostgreSQL, a server of the test's own, stopped and started again:
#  2. under an idle API: the first 60 calls after the server is back, four
#     at a time, all answer 200 (the first call on each server thread's idle
#     connection used to fail, "terminating connection due to administrator
#     command": 6 or 7 of 60);
#  3. while the API is being called: once /readyz answers 200 again, every
#     call after it does too, and the first 200 comes within 2 s (each
#     server thread used to wait out its own reconnect backoff, so 200 and
#     503 alternated for half a second).
source "$(dirname "$0")/fault_lib.bash"

# calls PORT N PARALLEL [SECONDS [MARKER]]: N GETs of /readyz, /api/v1/scans
# and /api/v1/workers in turn, PARALLEL at a time (with SECONDS, as many as
# fit in that time, 5 ms apart; MARKER is made at the first answer);
# prints "ok N" or each call that was not answered 200.
calls() {
	python3 - "$@" <<'PY'
import http.client, sys, threading, time
port, n, par = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
until = time.monotonic() + float(sys.argv[4]) if len(sys.argv) > 4 else None
marker = sys.argv[5] if len(sys.argv) > 5 else None	# made at the first answer
paths = ["/readyz", "/api/v1/scans", "/api/v1/workers"]
bad, lock, made = [], threading.Lock(), [0]
def run():
	while True:
		with lock:
			if (made[0] >= n) if until is None else (time.monotonic() > until):
				return
			i = made[0]
			made[0] += 1
		if until is not None:
			time.sleep(0.005)
		c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
		try:
			c.request("GET", paths[i % 3])
			st = c.getresponse().status
		except OSError as e:
			st = str(e)
		c.close()
		if marker:
			open(marker, "a").close()
		if st != 200:
			with lock:
				bad.append("call %d %s: %s" % (i, paths[i % 3], st))
ts = [threading.Thread(target=run) for _ in range(par)]
[t.start() for t in ts]
[t.join() for t in ts]
print("\n".join(bad) if bad else "ok %d" % made[0])
PY
}

# after_return PORT: one client calling in turn, as the server comes back:
# prints the milliseconds to the first 200 and, of the 60 calls after it,
# those not answered 200 (or "ok").
after_return() {
	python3 - "$1" <<'PY'
import http.client, sys, time
port = int(sys.argv[1])
paths = ["/readyz", "/api/v1/scans", "/api/v1/workers"]
def call(i):
	c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
	try:
		c.request("GET", paths[i % 3])
		return c.getresponse().status
	except OSError as e:
		return str(e)
	finally:
		c.close()
t0, i = time.monotonic(), 0
while call(i) != 200 and time.monotonic() - t0 < 10:
	i += 1
	time.sleep(0.002)
first = round((time.monotonic() - t0) * 1000)
bad = []
for k in range(60):
	st = call(i + 1 + k)
	if st != 200:
		bad.append("call %d after the first 200 %s: %s" % (k + 1, paths[(i + 1 + k) % 3], st))
	time.sleep(0.002)
print(first, "; ".join(bad) if bad else "ok")
PY
}

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

# ---- 2. and 3. PostgreSQL restarted -----------------------------------------------
sql "DROP TRIGGER refuse_insert ON scans" >/dev/null || fail "drop the trigger"
serve_bg serve --workers 0
wait_for 20 "serve to listen" listening serve
port=$(port_of serve)
out=$(calls "$port" 200 8)
[ "$out" = "ok 200" ] || fail "before the restart: $out"	# every server thread has its connection

pg_down
pg_up
out=$(calls "$port" 60 4)
[ "$out" = "ok 60" ] || fail "after a restart under an idle API, calls that failed: $out"
echo "ok - pg: the 60 calls right after a restart under an idle API all answered 200"

# Calls all through an outage and the restart: every server thread finds
# the server gone and backs off, up to a second between attempts.  The
# server stays down until the callers have had an answer and a second
# more (python took over 3 s to start under a load average of 20, and
# every call then came after the restart).
pg_down
calls "$port" 0 4 4 "$dir/calls.started" >"$dir/outage-calls.txt" &
caller=$!
wait_for 30 "the callers' first answer while PostgreSQL is down" test -f "$dir/calls.started"
sleep 1
pg_up
read -r first rest < <(after_return "$port")
wait "$caller"
grep -q '503' "$dir/outage-calls.txt" || fail "no call answered 503 while PostgreSQL was down"
[ "$rest" = ok ] || fail "after an outage, /readyz and the API flapped: $rest"
[ "$first" -le 2000 ] || fail "the first 200 came $first ms after PostgreSQL was back"
echo "ok - pg: after an outage the API answered 200 again $first ms after PostgreSQL, and" \
	"every one of the 60 calls after that did too"
echo PASS
