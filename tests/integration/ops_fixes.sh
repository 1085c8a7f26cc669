#!/bin/bash
# Issue 12's fixes:
#  - an idempotency key reused with a different request is refused
#    (CLI: exit 1 naming idempotency_key_reused; API: 422
#    idempotency_key_reused, through the group committer) and nothing is
#    queued; the same request again (options in another key order) is a
#    repeat that returns the first scan;
#  - "attempt N of M" is counted within the current retry budget: after a
#    manual retry of a scan that used its one attempt, CLI show/list, the
#    API and the UI's data say 1 of 1, never 2 of 1.
source "$(dirname "$0")/lib.sh"

nscans() { sql "SELECT count(*) FROM scans"; }
# What a submission writes (PostgreSQL's id sequence moves on a conflict
# whatever happens, so not db_hash): the scans, their events, the counters.
written() { sql "SELECT id, status, coalesce(idempotency_key, '') FROM scans ORDER BY id"
	sql "SELECT count(*) FROM scan_events"; sql "SELECT name, sum(value) FROM counters GROUP BY name ORDER BY name"; }

# ---- idempotency, CLI (store path) ---------------------------------------
a=$(q submit test-ok 127.0.0.1 --idempotency-key k1 --options '{"a":1,"b":2}') || fail "submit k1"
b=$(q submit test-ok 127.0.0.1 --idempotency-key k1 --options '{"b":2,"a":1}' 2>"$T/err") || fail "repeat k1: $(cat "$T/err")"
[ "$a" = "$b" ] || fail "the same request with k1 queued $b after $a"
grep -q "already used" "$T/err" || fail "the repeat says: $(cat "$T/err")"
before=$(written); n=$(nscans)
out=$(q submit test-ok 127.0.0.2 --idempotency-key k1 --options '{"a":1,"b":2}' 2>&1) && fail "a different target with k1 was accepted: $out"
[[ $out == *idempotency_key_reused* && $out == *"scan $a"* ]] || fail "reused key says: $out"
q submit test-ok 127.0.0.1 --idempotency-key k1 --ports 22 >/dev/null 2>&1 && fail "different ports with k1 accepted"
q submit test-ok 127.0.0.1 --idempotency-key k1 --options '{"a":1,"b":2}' --priority 5 >/dev/null 2>&1 \
	&& fail "a different priority with k1 accepted"
[ "$(nscans)" = "$n" ] && [ "$(written)" = "$before" ] || fail "a refused reuse wrote something"
ok "CLI: a key reused with another request is refused (idempotency_key_reused), nothing queued; a repeat returns scan $a"

# ---- idempotency, API (group commit path) -----------------------------------
start_serve --workers 0
J=(-H 'Content-Type: application/json')
[ "$(req POST /api/v1/scans "${J[@]}" -H 'Idempotency-Key: k2' --data-binary '{"type":"test-ok","targets":["127.0.0.1"],"ports":"80"}')" = 202 ] \
	|| fail "first k2: $(cat "$T/body")"
id2=$(json_field id)
[ "$(req POST /api/v1/scans "${J[@]}" -H 'Idempotency-Key: k2' --data-binary '{"ports":"80","targets":["127.0.0.1"],"type":"test-ok"}')" = 200 ] \
	|| fail "repeat k2: $(cat "$T/body")"
[ "$(json_field id)" = "$id2" ] && [ "$(json_field existed)" = true ] || fail "repeat body: $(cat "$T/body")"
n=$(nscans)
[ "$(req POST /api/v1/scans "${J[@]}" -H 'Idempotency-Key: k2' --data-binary '{"type":"test-ok","targets":["127.0.0.1"],"ports":"81"}')" = 422 ] \
	|| fail "reused k2: $(cat "$T/body")"
[ "$(json_field code)" = idempotency_key_reused ] || fail "code: $(cat "$T/body")"
grep -q "scan $id2" "$T/body" || fail "detail: $(cat "$T/body")"
# The key of a CLI scan, reused over the API with another body.
[ "$(req POST /api/v1/scans "${J[@]}" -H 'Idempotency-Key: k1' --data-binary '{"type":"test-ok","targets":["127.0.0.9"]}')" = 422 ] \
	|| fail "k1 over the API: $(cat "$T/body")"
[ "$(nscans)" = "$n" ] || fail "a 422 queued a scan"
# Many at once through the group committer: one key, two bodies, in parallel.
for i in $(seq 1 8); do
	body='{"type":"test-ok","targets":["127.0.0.1"]}'
	[ $((i % 2)) = 0 ] && body='{"type":"test-ok","targets":["127.0.0.2"]}'
	curl -s -o "$T/par$i" -w '%{http_code}\n' -X POST "${J[@]}" -H 'Idempotency-Key: k3' --data-binary "$body" "$BASE/api/v1/scans" >"$T/code$i" &
done
wait_jobs() { for i in $(seq 1 8); do [ -s "$T/code$i" ] || return 1; done; }
wait_for 30 "the parallel submissions" wait_jobs
sql_is "SELECT count(*) FROM scans WHERE idempotency_key = 'k3'" 1 || fail "k3 queued more than one scan"
codes=$(cat "$T"/code* | sort | uniq -c | tr -s ' ' | tr '\n' ';')
[ "$(cat "$T"/code* | grep -c 422)" = 4 ] || fail "k3 answers: $codes"
kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
ok "API: 422 idempotency_key_reused for another body, nothing queued; parallel k3 through the group committer: one scan, 4 refused ($codes)"

# ---- attempt N of M within the retry budget ----------------------------------
id=$(q submit test-fail 127.0.0.1 --max-attempts 1 --options '{"exit":3}') || fail "submit test-fail"
q worker --once --name w1 >"$dir/w1.log" 2>&1 || fail "worker --once"
wait_for 30 "scan $id to fail" is_status "$id" failed
q show "$id" | grep -q "attempt       1 of 1" || fail "show after one attempt: $(q show "$id" | grep attempt)"
q retry "$id" >/dev/null || fail "retry"
q show "$id" | grep -q "attempt       0 of 1" || fail "show after retry: $(q show "$id" | grep attempt)"
q worker --once --name w2 >"$dir/w2.log" 2>&1 || fail "worker --once again"
wait_for 30 "scan $id to fail again" is_status "$id" failed
sql_is "SELECT attempt FROM scans WHERE id = $id" 2 || fail "the fencing attempt is $(sql "SELECT attempt FROM scans WHERE id = $id")"
q show "$id" | grep -q "attempt       1 of 1" || fail "show after the retry's attempt: $(q show "$id" | grep attempt)"
q list --type test-fail | grep -q "^ *$id .* 1/1 " || fail "list: $(q list --type test-fail)"
q show "$id" --json | grep -q '"attempts_used": *1' || fail "json: $(q show "$id" --json)"
q show "$id" --json | grep -q '"attempt": *2' || fail "json attempt"
ok "after a manual retry: attempt 1 of 1 (CLI show, list, JSON attempts_used), the fencing attempt is 2"
