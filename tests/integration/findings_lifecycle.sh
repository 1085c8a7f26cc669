#!/bin/bash
# findings_lifecycle.sh — a finding's state across complete runs of one
# baseline, against loopback listeners the test opens and closes: three
# runs, a port closed and then reopened, go open -> fixed -> reopened with
# the right first/last scans and times seen; an accepted finding stays
# accepted while gone, comes back suppressed in changes.found (and alone
# fires none); an acceptance that expires reads as reopened at once and
# the maintenance leader stores it so; the API lists and triages as the
# CLI does, audited; bad input is one line and changes nothing.  A split
# scan counts once with all its shards' findings; a fingerprint in two
# baselines needs --baseline; a schedule's baseline is found by its name.
source "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
export SCANQ_CONFIG=/dev/null

three_ports
scan() { scan_once portscan 127.0.0.1 --ports "$A,$B"; }
# row PORT: state|times_seen|first_scan_id|last_scan_id of the port's finding
row() { sql "SELECT state || '|' || times_seen || '|' || first_scan_id || '|' || last_scan_id FROM finding_states WHERE port = $1"; }
fp() { sql "SELECT fingerprint FROM finding_states WHERE port = $1"; }
found_bodies() { sql "SELECT body FROM webhook_deliveries WHERE event = 'changes.found' AND scan_id = $1"; }

q webhook add "http://127.0.0.1:1/hook" --events changes.found >/dev/null || fail "webhook add"
banner_on "$A" "SSH-2.0-OpenSSH_9.2p1 Debian-2
"; pa=$last
banner_on "$B" "220 (vsFTPd 3.0.3)
"; pb=$last
s1=$(scan)
[ "$(row "$A")" = "open|1|$s1|$s1" ] || fail "run 1, port A: $(row "$A")"
[ "$(row "$B")" = "open|1|$s1|$s1" ] || fail "run 1, port B: $(row "$B")"
FA=$(fp "$A"); FB=$(fp "$B")
[ ${#FA} = 32 ] && [ "$FA" != "$FB" ] || fail "fingerprints: '$FA' '$FB'"
q findings "$s1" --json | grep -q "\"fingerprint\": \"$FA\"" || fail "the scan's findings carry another fingerprint"
ok "the first complete run: every finding open, seen once, first and last scan the run"

q finding accept "$FB" --reason "lab box, owned by the test" >out || fail "accept: $(cat out)"
grep -q "^accepted .* $B/tcp" out || fail "accept output: $(cat out)"
sql "SELECT actor || '|' || action || '|' || detail FROM audit WHERE action = 'finding accepted'" \
	| grep -q "^cli:.*|finding accepted|fingerprint=$FB baseline=1 reason=lab box" || fail "audit: $(sql "SELECT * FROM audit")"
ok "finding accept records its reason and actor, audited"

kill "$pa" "$pb"; wait "$pa" "$pb" 2>/dev/null
s2=$(scan)
[ "$(row "$A")" = "fixed|1|$s1|$s1" ] || fail "run 2, port A: $(row "$A")"
[ "$(row "$B")" = "accepted|1|$s1|$s1" ] || fail "run 2, port B (accepted): $(row "$B")"
[ "$(sql "SELECT fixed_scan_id FROM finding_states WHERE port = $A")" = "$s2" ] || fail "fixed_scan_id"
ok "a complete run without the port: its finding fixed; an accepted one stays accepted"

banner_on "$A" "SSH-2.0-OpenSSH_9.2p1 Debian-2
"; pa=$last
banner_on "$B" "220 (vsFTPd 3.0.3)
"; pb=$last
s3=$(scan)
[ "$(row "$A")" = "reopened|2|$s1|$s3" ] || fail "run 3, port A: $(row "$A")"
[ "$(row "$B")" = "accepted|2|$s1|$s3" ] || fail "run 3, port B: $(row "$B")"
q findings --state reopened --json > j
grep -q "\"fingerprint\": \"$FA\"" j && grep -q '"times_seen": 2' j && grep -q "\"first_scan_id\": $s1" j \
	|| fail "findings --state reopened: $(cat j)"
[ "$(q findings --state open --json | tr -d ' \n')" = "[]" ] || fail "nothing is open"
found_bodies "$s3" > body
[ "$(wc -l < body)" = 1 ] || fail "one changes.found delivery for run 3: $(cat body)"
python3 - "$FA" "$FB" body <<'PY' || fail "changes.found payload: $(cat body)"
import json, sys
fa, fb, path = sys.argv[1:4]
items = json.loads(open(path).read())["changes"]["items"]
by = {i.get("fingerprint"): i for i in items}
assert by[fa]["change"] == "new" and "suppressed" not in by[fa], by[fa]
assert by[fb]["change"] == "new" and by[fb]["suppressed"] is True and by[fb]["state"] == "accepted", by[fb]
PY
ok "the port back: fixed -> reopened (seen 2, first scan kept); the accepted one marked suppressed in changes.found"

# Only the accepted finding changes: no changes.found at all.
kill "$pb"; wait "$pb" 2>/dev/null
s4=$(scan)
banner_on "$B" "220 (vsFTPd 3.0.3)
"; pb=$last
s5=$(scan)
[ "$(sql "SELECT count(*) FROM scan_changes WHERE scan_id = $s5")" = 1 ] || fail "run 5 has one change"
[ -z "$(found_bodies "$s5")" ] || fail "a suppressed change alone fired changes.found: $(found_bodies "$s5")"
ok "a change of an accepted finding alone fires no changes.found"

# Bad input: one line, exit code, nothing changed.
before=$(db_hash)
out=$(q finding accept 0123456789abcdef0123456789abcdef --reason x 2>&1); [ $? = 1 ] \
	&& echo "$out" | grep -q "no finding 0123456789abcdef0123456789abcdef" || fail "unknown fingerprint: $out"
out=$(q finding accept "$FA" 2>&1); [ $? = 2 ] && echo "$out" | grep -q "needs --reason" || fail "no reason: $out"
out=$(q finding false-positive "$FA" --reason "" 2>&1); [ $? = 2 ] || fail "empty reason: $out"
out=$(q finding accept "$FA" --reason x --expires 2020-01-01T00:00:00Z 2>&1); [ $? = 1 ] \
	&& echo "$out" | grep -q "the expiry must be in the future" || fail "past expiry: $out"
out=$(q finding accept "$FA" --reason x --expires tomorrow 2>&1); [ $? = 2 ] || fail "bad expiry: $out"
out=$(q finding accept "$FA" --reason x --expires 2027-02-30T00:00:00Z 2>&1); [ $? = 2 ] || fail "Feb 30: $out"
out=$(q finding reopen "$FA" 2>&1); [ $? = 1 ] && echo "$out" | grep -q "is reopened: only an accepted" \
	|| fail "reopen of a reopened one: $out"
out=$(q findings --state closed 2>&1); [ $? = 2 ] && echo "$out" | grep -q "unknown state 'closed'" || fail "state: $out"
out=$(q findings --severity huge 2>&1); [ $? = 2 ] || fail "severity: $out"
out=$(q findings "$s1" --state open 2>&1); [ $? = 2 ] || fail "ID with --state: $out"
out=$(q findings --schedule nope 2>&1); [ $? = 1 ] && echo "$out" | grep -q "no schedule 'nope'" || fail "schedule: $out"
out=$(q finding close "$FA" 2>&1); [ $? = 2 ] || fail "unknown verb: $out"
[ "$(db_hash)" = "$before" ] || fail "refused input changed the database"
ok "unknown fingerprint, no reason, past or bad expiry, unknown state: one line each, nothing changed"

# An acceptance that expires reads as reopened at once; serve stores it so.
q finding accept "$FA" --reason "until the window" --expires 2s >/dev/null || fail "accept with expiry"
[ "$(q findings --state accepted --json | grep -c '"fingerprint"')" = 2 ] || fail "two accepted"
wait_for 15 "the expired acceptance to read as reopened" bash -c \
	"'$S' --db '$DB' findings --state reopened | grep -q $FA"
[ "$(sql "SELECT state FROM finding_states WHERE fingerprint = '$FA'")" = accepted ] \
	|| fail "stored state moved before maintenance"
V=$(q token create --role viewer --name v) || fail "viewer token"
O=$(q token create --role operator --name o) || fail "operator token"
start_serve --workers 0
stored_reopened() { [ "$(sql "SELECT state FROM finding_states WHERE fingerprint = '$FA'")" = reopened ]; }
wait_for 20 "the maintenance leader to reopen the expired acceptance" stored_reopened
ok "an expired acceptance reads as reopened at once, and the maintenance leader stores it reopened"

# The API: the list with filters and paging, triage by an operator, audited.
asv=(-H "Authorization: Bearer $V"); aso=(-H "Authorization: Bearer $O")
J=(-H "Content-Type: application/json")
[ "$(req GET "/api/v1/findings?state=accepted" "${asv[@]}")" = 200 ] || fail "list: $(cat "$dir/body")"
grep -q "\"fingerprint\":\"$FB\"" "$dir/body" && ! grep -q "$FA" "$dir/body" || fail "state filter: $(cat "$dir/body")"
[ "$(req GET "/api/v1/findings?limit=1" "${asv[@]}")" = 200 ] || fail "page 1"
next=$(json_field next_cursor); p1=$(json_field fingerprint)
[ -n "$next" ] && [ "$next" != null ] || fail "next_cursor: $(cat "$dir/body")"
[ "$(req GET "/api/v1/findings?limit=1&after=$next" "${asv[@]}")" = 200 ] || fail "page 2"
p2=$(json_field fingerprint)
[ "$(printf '%s\n' "$p1" "$p2" | sort | tr '\n' ' ')" = "$(printf '%s\n' "$FA" "$FB" | sort | tr '\n' ' ')" ] \
	|| fail "pages: '$p1' then '$p2'"
[ "$(req GET "/api/v1/findings?limit=1&after=$(json_field id)" "${asv[@]}")" = 200 ] \
	&& grep -q '"findings":\[\],"next_cursor":null' "$dir/body" || fail "page 3: $(cat "$dir/body")"
[ "$(req POST "/api/v1/findings/$FA/false-positive" "${asv[@]}" "${J[@]}" --data-binary '{"reason":"x"}')" = 403 ] \
	|| fail "a viewer triaged"
before=$(db_hash)
[ "$(req POST "/api/v1/findings/$FA/accept" "${aso[@]}" "${J[@]}" --data-binary '{}')" = 422 ] || fail "no reason: $(cat "$dir/body")"
[ "$(req POST "/api/v1/findings/$FA/accept" "${aso[@]}" "${J[@]}" --data-binary '{"reason":"r","expires":"2020-01-01T00:00:00Z"}')" = 422 ] \
	|| fail "past expiry: $(cat "$dir/body")"
[ "$(req POST "/api/v1/findings/$FA/accept" "${aso[@]}" "${J[@]}" --data-binary '{"reason":"r","colour":1}')" = 422 ] \
	|| fail "unknown field: $(cat "$dir/body")"
[ "$(req POST "/api/v1/findings/ffffffffffffffffffffffffffffffff/accept" "${aso[@]}" "${J[@]}" --data-binary '{"reason":"r"}')" = 404 ] \
	|| fail "unknown fingerprint: $(cat "$dir/body")"
[ "$(req POST "/api/v1/findings/$FA/reopen" "${aso[@]}")" = 409 ] || fail "reopen a reopened one: $(cat "$dir/body")"
[ "$(req GET "/api/v1/findings?state=shut" "${asv[@]}")" = 400 ] || fail "unknown state"
[ "$(db_hash)" = "$before" ] || fail "a refused API request changed the database"
[ "$(req POST "/api/v1/findings/$FA/false-positive" "${aso[@]}" "${J[@]}" --data-binary '{"reason":"a test listener"}')" = 200 ] \
	|| fail "false-positive: $(cat "$dir/body")"
grep -q '"state":"false_positive"' "$dir/body" && grep -q '"actor":"token:o"' "$dir/body" || fail "answer: $(cat "$dir/body")"
[ "$(req POST "/api/v1/findings/$FA/reopen" "${aso[@]}")" = 200 ] || fail "reopen: $(cat "$dir/body")"
[ "$(sql "SELECT count(*) FROM audit WHERE actor = 'token:o' AND action IN ('finding false_positive', 'finding reopened')")" = 2 ] \
	|| fail "API triage not audited: $(sql "SELECT actor, action FROM audit")"
ok "the API: filters, keyset pages, operator-only triage (audited), refusals change nothing"

# A split scan counts once, with all its shards' findings, when its last
# shard completes: the states name the parent, never a shard.
P=$(closed_port)
banner_on "$P" "hello
" 127.0.0.1; p1=$last
banner_on "$P" "hello
" 127.0.0.2
split_scan() {
	local id
	id=$(SCANQ_FLOW_SHARD_ADDRESSES=1 q submit portscan 127.0.0.1-2 --ports "$P") || fail "submit split"
	[ "$(sql "SELECT count(*) FROM scans WHERE parent_id = $id")" = 2 ] || fail "scan $id is not split in two"
	wait_for 60 "split scan $id" run_until_completed "$id"
	echo "$id"
}
run_until_completed() { q worker --once --name split >>"$T/worker.log" 2>&1; is_status "$1" completed; }
srow() { sql "SELECT state || '|' || times_seen || '|' || first_scan_id || '|' || last_scan_id || '|' || coalesce(fixed_scan_id, 0) FROM finding_states WHERE port = $P AND target = '$1'"; }
t1=$(split_scan)
[ "$(srow 127.0.0.1)" = "open|1|$t1|$t1|0" ] && [ "$(srow 127.0.0.2)" = "open|1|$t1|$t1|0" ] \
	|| fail "split run 1: $(srow 127.0.0.1) / $(srow 127.0.0.2)"
kill "$p1"; wait "$p1" 2>/dev/null
t2=$(split_scan)
[ "$(srow 127.0.0.1)" = "fixed|1|$t1|$t1|$t2" ] && [ "$(srow 127.0.0.2)" = "open|2|$t1|$t2|0" ] \
	|| fail "split run 2: $(srow 127.0.0.1) / $(srow 127.0.0.2)"
ok "a split scan counts once with all its shards' findings: the parent opens and fixes, no shard alone"

# One fingerprint tracked in two baselines (another request of the same
# port): triage names the baseline, or is refused and changes nothing.
o=$(q submit portscan 127.0.0.1 --ports "$A") || fail "submit"
q worker --once --name once >>"$T/worker.log" 2>&1
is_status "$o" completed || fail "scan $o is $(status "$o")"
before=$(db_hash)
out=$(q finding accept "$FA" --reason x 2>&1); [ $? = 1 ] && echo "$out" | grep -q "tracked in several baselines" \
	|| fail "ambiguous fingerprint: $out"
[ "$(db_hash)" = "$before" ] || fail "an ambiguous triage changed the database"
B2=$(sql "SELECT baseline_id FROM finding_states WHERE fingerprint = '$FA' AND last_scan_id = $o")
q finding accept "$FA" --reason "only in the one-port baseline" --baseline "$B2" >/dev/null || fail "accept --baseline"
[ "$(sql "SELECT baseline_id FROM finding_states WHERE fingerprint = '$FA' AND state = 'accepted'")" = "$B2" ] \
	|| fail "the wrong baseline was triaged"
ok "a fingerprint in two baselines: triage names one (--baseline), else is refused and changes nothing"

# A schedule's baseline by name: findings --schedule, export --schedule and
# the API's export by schedule name its newest complete run.
q schedule add lifecycle --cron "0 3 * * *" portscan 127.0.0.1 --ports "$A" >/dev/null || fail "schedule add"
run_schedule() {
	local id
	id=$(q schedule run-now lifecycle | grep -o '[0-9][0-9]*' | tail -1) || fail "run-now"
	q worker --once --name once >>"$T/worker.log" 2>&1
	is_status "$id" completed || fail "scheduled scan '$id' is $(status "$id")"
	echo "$id"
}
r1=$(run_schedule); r2=$(run_schedule)
q findings --schedule lifecycle --json > j
python3 - "$FA" "$r1" "$r2" j <<'PY' || fail "findings --schedule: $(cat j)"
import json, sys
fa, r1, r2, path = sys.argv[1:5]
rows = json.load(open(path))
assert len(rows) == 1 and rows[0]["fingerprint"] == fa and rows[0]["schedule"] == "lifecycle", rows
assert rows[0]["times_seen"] == 2 and rows[0]["first_scan_id"] == int(r1) and rows[0]["last_scan_id"] == int(r2), rows
PY
q export --schedule lifecycle --format jsonl > sched.jsonl || fail "export --schedule"
grep -q "\"scan_id\":$r2," sched.jsonl && grep -q '"state":"open"' sched.jsonl || fail "export --schedule: $(cat sched.jsonl)"
[ "$(req GET "/api/v1/findings/export?format=jsonl&schedule=lifecycle" "${asv[@]}")" = 200 ] \
	&& cmp -s "$dir/body" sched.jsonl || fail "API export by schedule: $(cat "$dir/body")"
grep -qi "filename=\"scanq-schedule-" "$dir/headers" || fail "file name: $(cat "$dir/headers")"
[ "$(req GET "/api/v1/findings?schedule=lifecycle" "${asv[@]}")" = 200 ] && grep -q "\"times_seen\":2" "$dir/body" \
	|| fail "API list by schedule: $(cat "$dir/body")"
ok "a schedule's baseline: findings --schedule, export --schedule and the API name its newest complete run"
