#!/bin/bash
# The server side of scan agents (docs/AGENTS.md), driven with curl as an
# agent would: pools at submit (an unknown pool, a target outside the
# pool's allow list: refused, the database unchanged), agent tokens that
# reach only /api/v1/agent/ and other tokens kept out of it, a claim that
# takes only its pool's scans, the long poll, renew's cancel and lost,
# complete's completed / already / late / 409, fail, release and
# cancelled, the protocol version, malformed bodies, and follow-up stages
# that stay in their pool.
source "$(dirname "$0")/lib.sh"

cat >"$dir/scanq.ini" <<'EOF'
[worker]
lease = 5
heartbeat = 1
[pool.dmz]
allow = 127.0.0.0/8
[pool.lab]
allow = 127.0.0.2
[pool.far]
allow = 127.0.0.9
EOF
export SCANQ_CONFIG=$dir/scanq.ini

# ---- pools at submit -----------------------------------------------------------
q migrate >/dev/null || fail "migrate"
before=$(db_hash)
out=$(q submit test-ok 127.0.0.1 --pool nope 2>&1) && fail "an unknown pool was accepted"
[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && grep -q 'unknown pool "nope"' <<<"$out" \
	|| fail "unknown pool: $out"
out=$(q submit test-ok 10.1.2.3 --pool dmz 2>&1) && fail "a target outside dmz was accepted"
grep -q "out of scope" <<<"$out" || fail "out of the pool's scope: $out"
out=$(q submit test-ok 127.0.0.5 --pool lab 2>&1) && fail "a target outside lab was accepted"
grep -q "out of scope" <<<"$out" || fail "out of lab's scope: $out"
out=$(q submit test-ok 127.0.0.1 --pool 'Bad!' 2>&1) && fail "a bad pool name was accepted"
[ "$(db_hash)" = "$before" ] || fail "a refused submit changed the database"
ok "submit refuses an unknown pool and a target outside the pool's allow list, one line, nothing written"

out=$(q schedule add bad --cron "0 3 * * *" test-ok 127.0.0.1 --pool nope 2>&1) && fail "a schedule of an unknown pool"
grep -q 'unknown pool "nope"' <<<"$out" || fail "schedule, unknown pool: $out"
q schedule add nightly --cron "0 3 * * *" test-ok 127.0.0.3 --pool dmz >/dev/null || fail "schedule add --pool"
q schedule show nightly | grep -q "pool  *dmz" || fail "schedule show: $(q schedule show nightly)"
q schedule run-now nightly >/dev/null || fail "schedule run-now"
sql_is "SELECT pool FROM scans WHERE schedule_id IS NOT NULL" dmz || fail "the schedule's scan: $(sql "SELECT id, pool FROM scans")"
q cancel "$(sql "SELECT id FROM scans WHERE schedule_id IS NOT NULL")" >/dev/null || fail "cancel the schedule's scan"
q schedule rm nightly >/dev/null || fail "schedule rm"
ok "a schedule carries its pool to the scans it queues; an unknown pool is refused"

# ---- agent tokens ------------------------------------------------------------------
out=$(q token create --role agent 2>&1) && fail "an agent token without a pool"
grep -q -- "--pool" <<<"$out" || fail "agent without pool: $out"
out=$(q token create --role agent --pool local 2>&1) && fail "an agent token of pool local"
out=$(q token create --role agent --pool nope 2>&1) && fail "an agent token of an unknown pool"
grep -q 'unknown pool "nope"' <<<"$out" || fail "agent token, unknown pool: $out"
out=$(q token create --role viewer --pool dmz 2>&1) && fail "a viewer token with a pool"
AG=$(q token create --role agent --pool dmz --name dmz-agent) || fail "agent token"
LAB=$(q token create --role agent --pool lab --name lab-agent) || fail "lab token"
ADMIN=$(q token create --role admin --name boss) || fail "admin token"
VIEW=$(q token create --role viewer --name eyes) || fail "viewer token"
SHORT=$(q token create --role agent --pool dmz --name short --expires 2s) || fail "short token"
REV=$(q token create --role agent --pool dmz --name gone) || fail "token to revoke"
q token revoke "$(sed 's/^sq_\([0-9]*\)_.*/\1/' <<<"$REV")" >/dev/null || fail "revoke"
q token list | grep -E "dmz-agent +agent +active .* dmz$" >/dev/null || fail "token list: $(q token list)"
ok "agent tokens need a configured pool other than local; other roles take none"

start_serve --workers 1
# agent PATH BODY [TOKEN]: a request to the agent API; prints the status.
agent() { req POST "/api/v1/agent/$1" -H "Authorization: Bearer ${3:-$AG}" \
	-H "Content-Type: application/json" -d "$2"; }
hello='"protocol":1,"agent":"ag-1","name":"dmz one","version":"0.9"'

code=$(req GET /api/v1/scans -H "Authorization: Bearer $AG"); [ "$code" = 403 ] || fail "agent token on GET scans: $code"
code=$(req POST /api/v1/scans -H "Authorization: Bearer $AG" -H "Content-Type: application/json" \
	-d '{"type":"test-ok","targets":["127.0.0.1"]}'); [ "$code" = 403 ] || fail "agent token submits: $code"
code=$(req GET /api/v1/workers -H "Authorization: Bearer $AG"); [ "$code" = 403 ] || fail "agent token on workers: $code"
for t in "$VIEW" "$ADMIN"; do
	code=$(agent claim "{$hello}" "$t"); [ "$code" = 403 ] || fail "a non-agent token on the agent API: $code"
	grep -q '"code":"forbidden"' "$dir/body" && grep -q '"error":{' "$dir/body" || fail "403 body: $(cat "$dir/body")"
done
code=$(req POST /api/v1/agent/claim -H "Content-Type: application/json" -d "{$hello}")
[ "$code" = 401 ] || fail "no token: $code"
code=$(agent claim "{$hello}" "sq_1_$(printf '0%.0s' {1..64})"); [ "$code" = 401 ] || fail "wrong token: $code"
code=$(agent claim "{$hello}" "$REV"); [ "$code" = 401 ] || fail "revoked token: $code"
wait_for 10 "the short token to expire" sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' \
	-H 'Authorization: Bearer $SHORT' -d '{$hello}' $BASE/api/v1/agent/claim)\" = 401 ]"
ok "agent tokens get 403 outside /api/v1/agent/, other tokens 403 in it; missing, wrong, revoked and expired tokens 401"

# ---- the protocol's refusals -------------------------------------------------------
before=$(sql "SELECT count(*), coalesce(sum(attempt), 0) FROM scans")
code=$(agent claim '{"protocol":2,"agent":"ag-1"}'); [ "$code" = 400 ] || fail "protocol 2: $code"
grep -q '"code":"protocol_version"' "$dir/body" \
	&& grep -q 'agent protocol 2 is not supported by this server (it speaks 1)' "$dir/body" \
	|| fail "protocol 2 body: $(cat "$dir/body")"
for body in '{bad' '[1]' '' '{"protocol":1}' '{"protocol":1,"agent":"a b"}' \
	"{$hello,\"max\":0}" "{$hello,\"max\":65}" "{$hello,\"wait_ms\":25001}" "{$hello,\"nope\":1}" \
	'{"protocol":"1","agent":"x"}'; do
	code=$(agent claim "$body"); [ "$code" = 400 ] || fail "claim $body: $code $(cat "$dir/body")"
	[ "$(wc -l <"$dir/body")" -le 1 ] && grep -q '"detail":"' "$dir/body" || fail "claim $body: $(cat "$dir/body")"
done
for body in "{$hello,\"scans\":{}}" "{$hello,\"scans\":[{\"id\":1}]}" \
	"{$hello,\"scans\":[{\"id\":1,\"attempt\":1,\"progress\":2}]}"; do
	code=$(agent renew "$body"); [ "$code" = 400 ] || fail "renew $body: $code"
done
for body in "{$hello,\"id\":1}" "{$hello,\"id\":1,\"attempt\":1,\"findings\":[{\"kind\":\"Bad\"}]}" \
	"{$hello,\"id\":1,\"attempt\":1,\"findings\":[{\"kind\":\"host\",\"severity\":\"dire\"}]}" \
	"{$hello,\"id\":1,\"attempt\":1,\"findings\":[{\"kind\":\"host\",\"port\":70000}]}" \
	"{$hello,\"id\":1,\"attempt\":1,\"summary\":[]}"; do
	code=$(agent complete "$body"); [ "$code" = 400 ] || fail "complete $body: $code"
done
for body in "{$hello,\"id\":1,\"attempt\":1,\"code\":\"made_up\"}" \
	"{$hello,\"id\":1,\"attempt\":1,\"code\":\"timeout\",\"outcome\":\"later\"}"; do
	code=$(agent fail "$body"); [ "$code" = 400 ] || fail "fail $body: $code"
done
[ "$(sql "SELECT count(*), coalesce(sum(attempt), 0) FROM scans")" = "$before" ] || fail "a refused request changed scans"
ok "protocol 2 gets 400 protocol_version with its one line; malformed bodies 400, nothing changed"

# ---- claim: only the pool's scans ----------------------------------------------------
lab=$(q submit test-ok 127.0.0.2 --pool lab) || fail "submit lab"
d1=$(q submit test-ok 127.0.0.1 --pool dmz --priority 5) || fail "submit dmz"
code=$(agent claim "{$hello,\"max\":10}"); [ "$code" = 200 ] || fail "claim: $code $(cat "$dir/body")"
ids=$(grep -o '"id":[0-9]*' "$dir/body" | cut -d: -f2 | tr '\n' ' ')
[ "$ids" = "$d1 " ] || fail "claim took $ids, not only dmz's $d1: $(cat "$dir/body")"
for f in '"protocol":1' '"lease_ms":5000' '"beat_ms":1000' '"attempt":1' '"targets":\["127.0.0.1"\]' \
	'"options":{' '"time_limit_s":' '"max_attempts":3' '"flow":' '"priority":5' '"pool":"dmz"'; do
	grep -q "$f" "$dir/body" || fail "claim reply lacks $f: $(cat "$dir/body")"
done
sql_is "SELECT status || ' ' || worker_id FROM scans WHERE id = $d1" "running ag-1" || fail "claimed row"
is_status "$lab" pending || fail "the lab scan was touched"
code=$(agent claim '{"protocol":1,"agent":"lab-1","max":5}' "$LAB"); [ "$code" = 200 ] || fail "lab claim"
grep -q "\"id\":$lab," "$dir/body" || fail "lab's agent did not get its scan: $(cat "$dir/body")"
ok "a claim takes only its token's pool's scans, with the agent as worker_id and the fields an agent needs"

q workers | grep -E "^dmz one .* agent +dmz +127\.0\.0\.1 +0\.9" >/dev/null || fail "scanq workers: $(q workers)"
code=$(req GET /api/v1/workers -H "Authorization: Bearer $VIEW"); [ "$code" = 200 ] || fail "workers api"
grep -q '"kind":"agent"' "$dir/body" && grep -q '"pool":"dmz"' "$dir/body" || fail "workers api: $(cat "$dir/body")"
ok "agents are in the registry with kind, pool, address and version"

# ---- renew: leases, cancel, lost --------------------------------------------------------
code=$(agent renew "{$hello,\"scans\":[{\"id\":$d1,\"attempt\":1,\"progress\":0.5},{\"id\":$lab,\"attempt\":1}]}")
[ "$code" = 200 ] || fail "renew: $code"
grep -q '"cancel":\[\]' "$dir/body" && grep -q "\"lost\":\[$lab\]" "$dir/body" || fail "renew: $(cat "$dir/body")"
sql_is "SELECT progress FROM leases WHERE scan_id = $d1" 0.5 || fail "progress not recorded"
q cancel "$d1" >/dev/null || fail "cancel"
code=$(agent renew "{$hello,\"scans\":[{\"id\":$d1,\"attempt\":1},{\"id\":$d1,\"attempt\":7}]}")
grep -q "\"cancel\":\[$d1\]" "$dir/body" && grep -q "\"lost\":\[$d1\]" "$dir/body" || fail "renew cancel/lost: $(cat "$dir/body")"
code=$(agent renew "{$hello,\"scans\":[]}"); [ "$code" = 200 ] || fail "heartbeat renew: $code"
code=$(agent fail "{$hello,\"id\":$d1,\"attempt\":1,\"code\":\"cancelled\",\"outcome\":\"cancelled\"}")
[ "$code" = 200 ] && grep -q '"status":"cancelled"' "$dir/body" || fail "cancelled: $code $(cat "$dir/body")"
code=$(agent fail "{$hello,\"id\":$d1,\"attempt\":1,\"code\":\"cancelled\",\"outcome\":\"cancelled\"}")
[ "$code" = 200 ] && grep -q '"already":true' "$dir/body" || fail "cancelled again: $code $(cat "$dir/body")"
ok "renew renews, records progress, names the scans to cancel and the lost ones; a cancel is carried out once"

# ---- complete: completed, already, a wrong fence, another pool ---------------------------
d2=$(q submit discovery 127.0.0.2 --pool dmz --then portscan:22) || fail "submit chain"
code=$(agent claim "{$hello,\"max\":1}"); grep -q "\"id\":$d2," "$dir/body" || fail "claim chain: $(cat "$dir/body")"
# The chain's rows only: serve's lease recovery may hand back an earlier
# test's unrenewed scan (lease 5 s) while this runs.
snap() { sql "SELECT id, status, attempt, coalesce(finished_at, 0) FROM scans
	WHERE id = $d2 OR parent_id = $d2 ORDER BY id;
	SELECT count(*) FROM findings WHERE scan_id = $d2;
	SELECT count(*) FROM scan_events WHERE scan_id = $d2;
	SELECT count(*) FROM scans WHERE id > $d2" | sha256sum; }
before=$(snap)
code=$(agent complete "{$hello,\"id\":$d2,\"attempt\":2,\"findings\":[]}"); [ "$code" = 409 ] || fail "wrong fence: $code"
grep -q "\"code\":\"lost\"" "$dir/body" && grep -q "scan $d2 attempt 2 is no longer this agent's (now attempt 1, status running)" \
	"$dir/body" || fail "409 body: $(cat "$dir/body")"
grep -q 'msg="agent write refused".*scan='"$d2"' attempt=2 agent=ag-1' "$dir/serve.log" || fail "the refusal is not logged"
code=$(agent complete "{\"protocol\":1,\"agent\":\"lab-1\",\"id\":$d2,\"attempt\":1}" "$LAB")
[ "$code" = 404 ] || fail "another pool's scan: $code"
[ "$(snap)" = "$before" ] || fail "a refused completion changed the database"
body="{$hello,\"id\":$d2,\"attempt\":1,\"summary\":{\"hosts\":1},\"findings\":[{\"kind\":\"host\",\"target\":\"127.0.0.2\",\"severity\":\"info\",\"title\":\"up\",\"detail\":{\"rtt_ms\":1}}]}"
code=$(agent complete "$body"); [ "$code" = 200 ] && grep -q '"result":"completed"' "$dir/body" || fail "complete: $code $(cat "$dir/body")"
code=$(agent complete "$body"); [ "$code" = 200 ] && grep -q '"result":"already"' "$dir/body" || fail "again: $code $(cat "$dir/body")"
sql_is "SELECT count(*) FROM findings WHERE scan_id = $d2" 1 || fail "findings written twice"
is_status "$d2" completed || fail "not completed"
stage=$(sql "SELECT id FROM scans WHERE parent_id = $d2")
[ -n "$stage" ] && sql_is "SELECT pool || ' ' || type || ' ' || targets FROM scans WHERE id = $stage" \
	'dmz portscan ["127.0.0.2"]' || fail "follow-up stage: $(sql "SELECT id, pool, type, targets FROM scans WHERE parent_id = $d2")"
ok "complete writes once (a retry answers already), refuses a wrong fence (409, logged) and another pool's scan (404), the follow-up stage stays in the pool"

# ---- the long poll -----------------------------------------------------------------------
code=$(agent claim "{$hello,\"max\":4}"); grep -q "\"id\":$stage," "$dir/body" || fail "claim the stage"
code=$(agent complete "{$hello,\"id\":$stage,\"attempt\":1}"); [ "$code" = 200 ] || fail "complete the stage"
t0=$(now_ms)
code=$(agent claim "{$hello,\"max\":1,\"wait_ms\":1000}"); t1=$(now_ms)
[ "$code" = 200 ] && grep -q '"scans":\[\]' "$dir/body" || fail "an empty long poll: $(cat "$dir/body")"
[ $((t1 - t0)) -ge 900 ] && [ $((t1 - t0)) -lt 3000 ] || fail "an empty long poll took $((t1 - t0)) ms"
curl -s -o "$dir/poll.out" -H "Authorization: Bearer $AG" -d '{"protocol":1,"agent":"ag-poll","max":1,"wait_ms":20000}' \
	"$BASE/api/v1/agent/claim" &
poller=$!
pids+=($poller)
wait_for 10 "the long poll to register" sql_is "SELECT count(*) FROM workers WHERE id = 'ag-poll'" 1
# Other requests go on while it waits (and seven more waiting agents do not starve them).
for i in 1 2 3 4 5 6 7; do
	curl -s -o /dev/null -H "Authorization: Bearer $LAB" -d "{\"protocol\":1,\"agent\":\"idle-$i\",\"wait_ms\":5000}" \
		"$BASE/api/v1/agent/claim" &
	pids+=($!)
done
wait_for 10 "seven idle agents waiting" sql_is "SELECT count(*) FROM workers WHERE id LIKE 'idle-%'" 7
t0=$(now_ms)
code=$(req GET /api/v1/scans -H "Authorization: Bearer $VIEW"); [ "$code" = 200 ] || fail "list while agents wait"
[ $(($(now_ms) - t0)) -lt 1000 ] || fail "a list took $(($(now_ms) - t0)) ms while agents waited"
t0=$(now_ms)
d3=$(q submit test-ok 127.0.0.3 --pool dmz) || fail "submit for the long poll"
wait "$poller"
t1=$(now_ms)
grep -q "\"id\":$d3," "$dir/poll.out" || fail "the long poll did not get the scan: $(cat "$dir/poll.out")"
[ $((t1 - t0)) -lt 3000 ] || fail "the long poll answered $((t1 - t0)) ms after the submit"
echo "long poll: answered $((t1 - t0)) ms after the submit"
ok "a long poll returns [] after wait_ms, and a scan within $((t1 - t0)) ms of its submit; 8 waiting agents do not block the API"

# ---- the late rule ---------------------------------------------------------------------------
# d3 is claimed by ag-poll with a 5 s lease that nobody renews: serve's lease
# recovery puts it back to pending with the same attempt.
wait_for 20 "lease recovery of $d3" is_status "$d3" pending
code=$(agent complete "{\"protocol\":1,\"agent\":\"ag-poll\",\"id\":$d3,\"attempt\":1,\"findings\":[{\"kind\":\"host\",\"target\":\"127.0.0.3\"}]}")
[ "$code" = 200 ] && grep -q '"result":"late"' "$dir/body" || fail "late: $code $(cat "$dir/body")"
is_status "$d3" completed || fail "the late result is not completed"
q show "$d3" | grep -q "result arrived late from agent ag-poll after its lease ran out" || fail "timeline: $(q show "$d3")"
q show "$d3" | grep -q "running   -> completed attempt 1" || fail "timeline completion: $(q show "$d3")"
ok "the late rule: a result whose lease ran out, with no other attempt started, is taken and the timeline says so"

d4=$(q submit test-ok 127.0.0.4 --pool dmz) || fail "submit d4"
code=$(agent claim '{"protocol":1,"agent":"ag-a","max":1}'); grep -q "\"id\":$d4," "$dir/body" || fail "claim d4"
wait_for 20 "lease recovery of $d4" is_status "$d4" pending
code=$(agent claim '{"protocol":1,"agent":"ag-b","max":1}'); grep -q "\"id\":$d4,.*\"attempt\":2" "$dir/body" \
	|| fail "re-claim d4: $(cat "$dir/body")"
before=$(snap)
code=$(agent complete "{\"protocol\":1,\"agent\":\"ag-a\",\"id\":$d4,\"attempt\":1}"); [ "$code" = 409 ] || fail "late after a re-claim: $code"
grep -q "now attempt 2, status running" "$dir/body" || fail "409: $(cat "$dir/body")"
[ "$(snap)" = "$before" ] || fail "the refused late result changed the database"
code=$(agent fail "{\"protocol\":1,\"agent\":\"ag-a\",\"id\":$d4,\"attempt\":1,\"code\":\"timeout\"}"); [ "$code" = 409 ] || fail "late fail: $code"
ok "a late result after another attempt started is refused (409), logged, nothing written; so is a late failure"

# ---- fail and release ---------------------------------------------------------------------------
code=$(agent fail "{\"protocol\":1,\"agent\":\"ag-b\",\"id\":$d4,\"attempt\":2,\"code\":\"tool_failed\",\"message\":\"nmap: bad\",\"retryable\":false}")
[ "$code" = 200 ] && grep -q '"status":"failed"' "$dir/body" || fail "fail: $code $(cat "$dir/body")"
sql_is "SELECT error_code || ' ' || error_message FROM scans WHERE id = $d4" "tool_failed nmap: bad" || fail "error row"
code=$(agent fail "{\"protocol\":1,\"agent\":\"ag-b\",\"id\":$d4,\"attempt\":2,\"code\":\"tool_failed\",\"retryable\":false}")
[ "$code" = 200 ] && grep -q '"already":true' "$dir/body" && grep -q '"status":"failed"' "$dir/body" || fail "fail again: $(cat "$dir/body")"
sql_is "SELECT count(*) FROM scan_events WHERE scan_id = $d4 AND to_status = 'failed'" 1 || fail "failure written twice"
d5=$(q submit test-ok 127.0.0.5 --pool dmz) || fail "submit d5"
code=$(agent claim "{$hello,\"max\":1}"); grep -q "\"id\":$d5," "$dir/body" || fail "claim d5"
code=$(agent fail "{$hello,\"id\":$d5,\"attempt\":1,\"code\":\"cancelled\",\"outcome\":\"release\"}")
[ "$code" = 200 ] && grep -q '"status":"pending"' "$dir/body" || fail "release: $code $(cat "$dir/body")"
sql_is "SELECT attempt - attempt_base FROM scans WHERE id = $d5" 0 || fail "a release spent an attempt"
q show "$d5" | grep -q "handed back by agent ag-1" || fail "release timeline: $(q show "$d5")"
code=$(agent claim "{$hello,\"max\":1}"); grep -q "\"id\":$d5,.*\"attempt\":2" "$dir/body" || fail "re-claim d5"
code=$(agent fail "{$hello,\"id\":$d5,\"attempt\":2,\"code\":\"timeout\",\"retryable\":true}")
[ "$code" = 200 ] && grep -q '"status":"pending"' "$dir/body" || fail "a retryable failure: $(cat "$dir/body")"
ok "fail records a failure once (a retry answers already), release hands back without spending an attempt, a retryable failure goes back to pending"

# ---- pools in /metrics, doctor and the stuck report ------------------------------------
far=$(q submit test-ok 127.0.0.9 --pool far) || fail "submit far"
sql "UPDATE scans SET run_after = run_after - 7200000, created_at = created_at - 7200000 WHERE id = $far" \
	|| fail "age the far scan"
code=$(req GET /metrics -H "Authorization: Bearer $VIEW"); [ "$code" = 200 ] || fail "metrics: $code"
grep -qx 'scanq_pool_pending{pool="far"} 1' "$dir/body" && grep -qx 'scanq_pool_live_agents{pool="far"} 0' "$dir/body" \
	&& grep -Eqx 'scanq_pool_live_agents\{pool="dmz"\} [1-9][0-9]*' "$dir/body" \
	&& grep -Eqx 'scanq_pool_running\{pool="lab"\} [0-9]+' "$dir/body" || fail "pool metrics: $(grep scanq_pool "$dir/body")"
out=$(q doctor --check pool.agents 2>&1) && fail "doctor passed with a pool without agents: $out"
grep -q "far (1 pending)" <<<"$out" || fail "doctor: $out"
q stuck report --max-age-hours 1 --json >"$dir/stuck.json"
python3 - "$dir/stuck.json" "$far" <<'PY' || fail "stuck report: $(cat "$dir/stuck.json")"
import json, sys
r = json.load(open(sys.argv[1]))
cat = {c["name"]: c for c in r["categories"]}
ids = [s["scan_id"] if "scan_id" in s else s["id"] for s in cat["no_agent"]["scans"]]
assert ids == [int(sys.argv[2])], ids
assert all(int(sys.argv[2]) not in [s.get("scan_id", s.get("id")) for s in c["scans"]]
           for n, c in cat.items() if n != "no_agent")
PY
ok "per-pool metrics; doctor's pool.agents and the stuck report's no_agent name a pool whose scans nobody can claim"

# ---- shards stay in their pool ---------------------------------------------------------
split=$(SCANQ_FLOW_SHARD_ADDRESSES=4 q submit test-ok 127.0.0.16/29 --pool dmz) || fail "submit a split scan"
sql_is "SELECT count(*) FROM scans WHERE parent_id = $split AND pool = 'dmz'" 2 \
	&& sql_is "SELECT count(*) FROM scans WHERE parent_id = $split AND pool <> 'dmz'" 0 \
	|| fail "shards: $(sql "SELECT id, pool, targets FROM scans WHERE parent_id = $split")"
code=$(agent claim "{$hello,\"max\":8}")
[ "$(grep -o "\"parent_id\":$split" "$dir/body" | wc -l)" = 2 ] || fail "the agent's claim of the shards: $(cat "$dir/body")"
ok "a split scan's shards are in its pool, and its agents claim them"

# ---- a local worker of another pool ---------------------------------------------------------
w=$(q submit test-ok 127.0.0.6 --pool dmz) || fail "submit for a dmz worker"
timeout 60 "$S" --db "$DB" worker --pool dmz --name wdmz --once >"$dir/wdmz.log" 2>&1 || fail "worker --pool dmz"
is_status "$w" completed && sql_is "SELECT count(*) FROM scan_events WHERE scan_id = $w AND worker_id LIKE 'wdmz@%'" 2 \
	|| fail "the dmz worker's scan: $(q show "$w")"
is_status "$far" pending || fail "a dmz worker took pool far's scan"
out=$("$S" --db "$DB" worker --pool 'No Pool' --once 2>&1) && fail "worker --pool with a bad name"
ok "scanq worker --pool claims that pool's scans only"

# ---- an agent whose token is revoked while it runs -------------------------------------------
# Its claims are refused from then on: it keeps trying (every 5 s), and says
# so once a minute, not once a try.
LATE=$(q token create --role agent --pool dmz --name late) || fail "token for a running agent"
echo "$LATE" >"$dir/late.token"
env -u SCANQ_CONFIG "$S" agent --server "$BASE" --token-file "$dir/late.token" --spool "$dir/spool-late" \
	--wait-ms 500 --allow 127.0.0.0/8 --name late-agent >"$dir/late.log" 2>&1 &
pids+=($!)
wait_for 20 "the agent in the registry" sql_is "SELECT count(*) FROM workers WHERE name = 'late-agent'" 1
q token revoke "$(sed 's/^sq_\([0-9]*\)_.*/\1/' <<<"$LATE")" >/dev/null || fail "revoke the running agent's token"
wait_for 20 "the first refused claim" grep -q 'msg="claim refused"' "$dir/late.log"
sleep 11
[ "$(grep -c 'msg="claim refused"' "$dir/late.log")" = 1 ] || fail "claim refused lines: $(grep 'claim refused' "$dir/late.log")"
ok "an agent whose token is revoked while it runs keeps trying and logs the refusal once a minute"
