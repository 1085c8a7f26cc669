#!/bin/bash
# scan_pause.sh — `scanq pause` / `resume` and /api/v1/pause|resume|pauses,
# on both backends.  A paused queue keeps a submitted scan pending past
# many poll intervals (the store shows no claim: attempt 0, claims counter
# unchanged), and resume lets it run.  A pause of one type leaves the other
# type running.  --now hands a running scan back to pending at once with
# its attempt budget unspent.  queue status, doctor, /readyz and the API
# say what is paused, since when, why and by whom; bad input changes
# nothing.
source "$(dirname "$0")/lib.sh"
export SCANQ_CONFIG=/dev/null SCANQ_WORKER_POLL_MS=100 SCANQ_WORKER_HEARTBEAT=1
q migrate >/dev/null || fail "migrate"
claims() { sql "SELECT sum(value) FROM counters WHERE name = 'claims'"; }
spent() { sql "SELECT attempt - attempt_base FROM scans WHERE id = $1"; }

# ---- bad input -----------------------------------------------------------------
before=$(db_hash)
for args in "" "--type nope" "--all --type test-ok" "--schedule nope" "--all extra"; do
	# shellcheck disable=SC2086
	out=$(q pause $args 2>&1) && fail "pause $args succeeded"
	[ "$(echo "$out" | head -1 | grep -c '^error: ')" = 1 ] || fail "pause $args: no one-line error: $out"
done
out=$(q resume --type test-ok 2>&1) && fail "resume of what is not paused succeeded"
echo "$out" | grep -q "type test-ok is not paused" || fail "resume: unclear error: $out"
out=$(q resume --all --reason x 2>&1) && fail "resume took --reason"
[ "$(db_hash)" = "$before" ] || fail "a refused pause or resume changed the database"
ok "bad pause/resume input gets a one-line error and changes nothing"

# ---- pause --all: a submitted scan stays pending ------------------------------------
q pause --all --reason "network maintenance" >/dev/null || fail "pause --all"
out=$(q pause --all 2>&1) && fail "a second pause --all succeeded"
echo "$out" | grep -q "already paused" || fail "second pause: $out"
q queue status | grep -q "^paused: every scan since .* by cli:.*: network maintenance" \
	|| fail "queue status: $(q queue status)"
q queue status --json | grep -q '"kind": "all"' || fail "queue status --json lacks the pause"
q doctor >"$T/doctor" 2>&1
grep -q "^warn  queue.paused .*every scan since .*network maintenance" "$T/doctor" || fail "doctor: $(cat "$T/doctor")"
q audit | grep -q "pause .*every scan: network maintenance" || fail "audit lacks the pause"
id=$(q submit test-ok 127.0.0.1) || fail "submit while paused"
c0=$(claims)
start_worker w1 --concurrency 2
wait_for 10 "worker w1 to start" grep -q 'msg="worker started"' "$T/w1.log"
# 30 poll intervals of 100 ms: a claim would have happened many times over.
sleep 3
is_status "$id" pending || fail "scan $id is $(status "$id") while everything is paused"
[ "$(spent "$id")" = 0 ] && [ "$(claims)" = "$c0" ] || fail "a claim happened while paused"
ok "pause --all: a submitted scan stays pending past 30 poll intervals, no claim in the store"

q resume --all >/dev/null || fail "resume --all"
wait_for 10 "scan $id to complete after resume" is_status "$id" completed
q queue status | grep -q "^paused:" && fail "queue status still says paused"
ok "resume --all: the pending scan runs"

# ---- pause one type, the other runs --------------------------------------------------
q pause --type test-ok --reason "noisy" >/dev/null || fail "pause --type test-ok"
a=$(q submit test-ok 127.0.0.1) || fail "submit test-ok"
b=$(q submit test-sleep 127.0.0.1 --options '{"seconds":0.1}') || fail "submit test-sleep"
wait_for 10 "the test-sleep scan to complete" is_status "$b" completed
is_status "$a" pending && [ "$(spent "$a")" = 0 ] || fail "the paused type's scan $a is $(status "$a")"
q resume --type test-ok >/dev/null || fail "resume --type"
wait_for 10 "scan $a to complete" is_status "$a" completed
ok "pause --type: that type waits while another runs; resume --type lets it run"

# ---- pause one pool: its scans wait, local ones run ----------------------------------
printf '[pool.dmz]\nallow = 127.0.0.0/8\n' >"$T/pools.ini"
SCANQ_CONFIG=$T/pools.ini q pause --pool dmz --reason "dmz window" >/dev/null || fail "pause --pool dmz"
out=$(SCANQ_CONFIG=$T/pools.ini q pause --pool nope 2>&1) && fail "pause of an unknown pool succeeded"
echo "$out" | grep -q "unknown pool 'nope'" || fail "unknown pool: $out"
SCANQ_CONFIG=$T/pools.ini q queue status | grep -q "^paused: pool dmz since .*: dmz window" \
	|| fail "queue status: $(q queue status)"
d=$(SCANQ_CONFIG=$T/pools.ini q submit test-ok 127.0.0.1 --pool dmz) || fail "submit to dmz"
l=$(q submit test-ok 127.0.0.1) || fail "submit to local"
w1_pid=$last_pid
SCANQ_CONFIG=$T/pools.ini start_worker wd --pool dmz
wait_for 10 "scan $l to complete" is_status "$l" completed
wait_for 10 "worker wd to start" grep -q 'msg="worker started"' "$T/wd.log"
sleep 1	# 10 poll intervals of the dmz worker
is_status "$d" pending && [ "$(spent "$d")" = 0 ] || fail "the paused pool's scan $d is $(status "$d")"
SCANQ_CONFIG=$T/pools.ini q resume --pool dmz >/dev/null || fail "resume --pool"
wait_for 10 "scan $d to complete on the dmz worker" is_status "$d" completed
kill -TERM "$last_pid" && wait "$last_pid"	# its heartbeats would change the database below
last_pid=$w1_pid
ok "pause --pool: that pool's scans wait while local ones run; resume --pool lets them run"

# ---- --now hands a running scan back without spending an attempt -------------------------
long=$(q submit test-sleep 127.0.0.1 --options '{"seconds":300}') || fail "submit the long scan"
wait_for 10 "scan $long to run" is_status "$long" running
[ "$(spent "$long")" = 1 ] || fail "a running scan has spent $(spent "$long") attempts"
t0=$(now_ms)
q pause --type test-sleep --now >"$T/now.out" || fail "pause --now"
t1=$(now_ms)
grep -q "1 running scan handed back" "$T/now.out" || fail "pause --now: $(cat "$T/now.out")"
is_status "$long" pending || fail "scan $long is $(status "$long") after pause --now"
# The hand-back is the command's own write (not a lease running out later):
# its timeline event falls inside the command's run, however long a loaded
# machine makes that.
back=$(sql "SELECT max(at) FROM scan_events WHERE scan_id = $long AND to_status = 'pending'")
[ "$back" -ge "$t0" ] && [ "$back" -le "$t1" ] || fail "the hand-back at $back, not within the command's run ($t0 .. $t1)"
[ "$(spent "$long")" = 0 ] || fail "the hand-back spent an attempt: $(spent "$long")"
pid=$(child_pid "$long" "$T/w1.log")
wait_for 15 "the handed-back child $pid to stop" sh -c "! kill -0 $pid 2>/dev/null"
is_status "$long" pending || fail "scan $long was claimed again while its type is paused"
ok "pause --now hands a running scan back to pending at once, attempt budget unchanged, its child stopped"

# ---- the API --------------------------------------------------------------------------
kill -TERM "$last_pid"; wait "$last_pid" 2>/dev/null
start_serve --workers 0
J=(-H "Content-Type: application/json")
code=$(req GET /readyz)
[ "$code" = 200 ] && grep -q '"paused":\[{"kind":"type"' "$T/body" || fail "readyz: $code $(cat "$T/body")"
before=$(db_hash)
for body in '{}' '{"type":"nope"}' '{"type":"test-ok","all":true}' '{"all":false}' '{"schedule":"nope"}' \
	'{"all":true,"now":"yes"}' '{"all":true,"extra":1}'; do
	code=$(req POST /api/v1/pause "${J[@]}" -d "$body")
	[ "$code" = 422 ] || fail "POST /api/v1/pause $body: $code, not 422"
done
code=$(req POST /api/v1/pause "${J[@]}" -d '{"type":"test-sleep"}')
[ "$code" = 409 ] || fail "a second pause of test-sleep: $code"
code=$(req POST /api/v1/resume "${J[@]}" -d '{"type":"test-ok"}')
[ "$code" = 404 ] || fail "resume of what is not paused: $code"
[ "$(db_hash)" = "$before" ] || fail "a refused API pause changed the database"
code=$(req POST /api/v1/pause "${J[@]}" -d '{"all":true,"reason":"from the API"}')
[ "$code" = 201 ] || fail "API pause: $code $(cat "$T/body")"
code=$(req GET /api/v1/pauses)
[ "$code" = 200 ] && grep -q '"reason":"from the API"' "$T/body" && grep -q '"by":"api:open"' "$T/body" \
	|| fail "GET /api/v1/pauses: $(cat "$T/body")"
code=$(req POST /api/v1/resume "${J[@]}" -d '{"all":true}')
[ "$code" = 200 ] || fail "API resume: $code"
q audit | grep -q "api:open .*pause .*every scan: from the API" || fail "audit lacks the API pause"
q audit | grep -q "api:open .*resume .*every pause" || fail "audit lacks the API resume"
code=$(req GET /readyz)
grep -q '"paused":\[\]' "$T/body" || fail "readyz after resume: $(cat "$T/body")"
ok "the API pauses and resumes (operator, audited), refuses bad bodies; /readyz says what is paused"
q cancel "$long" >/dev/null 2>&1 || true
