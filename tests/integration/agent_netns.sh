#!/bin/bash
# Agents in a network the database cannot reach.  Two network namespaces
# made here: the agents' ($A), which reaches only the server's HTTPS port
# over a veth pair, and the targets' ($G), which only the agents' namespace
# reaches.  `scanq serve` runs outside both, on HTTPS; the agents hold a
# token of pool `dmz` and no database URL.
#
#   - the agents' namespace cannot connect to the database port;
#   - a chain discovery -> portscan -> tls of pool dmz runs wholly on an
#     agent, with its findings and timeline on the server;
#   - an agent SIGKILLed mid-scan: the scan runs again on the other agent;
#   - the server SIGKILLed while an agent scans: the results wait in the
#     spool and land exactly once when it is back;
#   - an agent cut off past its lease: a result whose scan nobody took
#     meanwhile is taken late, one whose scan was claimed again is refused;
#   - an agent SIGKILLed with results in its spool: the next agent on that
#     spool sends them, each applied once;
#   - bad starts (untrusted certificate, plain http beyond loopback, wrong,
#     revoked and viewer tokens) fail with one line and write nothing;
#   - a target outside the agent's --allow is refused before it is scanned.
source "$(dirname "$0")/lib.sh"

# ---- the networks --------------------------------------------------------
# 198.18.0.0/15 is for network tests (RFC 2544); one /29 per run, from the
# PID, so the SQLite and PostgreSQL runs of this suite do not meet.
n=$$
NET=198.18.$(( n % 250 + 1 ))
b=$(( (n / 250) % 30 * 8 ))
SRV=$NET.$((b + 1)) AGW=$NET.$((b + 2)) AGT=$NET.$((b + 5)) TGT=$NET.$((b + 6))
A=sqa$n G=sqg$n
cleanup_backend() {
	ip netns del "$A" 2>/dev/null
	ip netns del "$G" 2>/dev/null
	ip link del "${A}h" 2>/dev/null
	drop_test_db
}
ip netns add "$A" && ip netns add "$G" || fail "ip netns add (root needed)"
ip link add "${A}h" type veth peer name "${A}a" || fail "veth"
ip link set "${A}a" netns "$A"
ip addr add "$SRV/30" dev "${A}h" && ip link set "${A}h" up
ip -n "$A" addr add "$AGW/30" dev "${A}a" && ip -n "$A" link set "${A}a" up
ip -n "$A" link set lo up
ip -n "$A" link add "${G}a" type veth peer name "${G}t" netns "$G" || fail "veth to targets"
ip -n "$A" addr add "$AGT/30" dev "${G}a" && ip -n "$A" link set "${G}a" up
ip -n "$G" addr add "$TGT/30" dev "${G}t" && ip -n "$G" link set "${G}t" up
ip -n "$G" link set lo up
# inns NS CMD...: runs CMD in a namespace, in the foreground.  In the
# background a function is a subshell of its own, so $! would not be CMD:
# background commands call `ip netns exec` directly (ip execs CMD).
inns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# ---- certificates, configuration, tokens ----------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 2 \
	-subj "/CN=scanq agent test CA" >/dev/null 2>&1 || fail "openssl: CA"
openssl req -newkey rsa:2048 -nodes -keyout "$dir/srv.key" -out "$dir/srv.csr" \
	-subj "/CN=$SRV" >/dev/null 2>&1 || fail "openssl: request"
printf 'subjectAltName=IP:%s\n' "$SRV" >"$dir/san.ext"
openssl x509 -req -in "$dir/srv.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
	-days 2 -extfile "$dir/san.ext" -out "$dir/srv.pem" >/dev/null 2>&1 || fail "openssl: sign"
cat >"$dir/scanq.ini" <<EOF
[worker]
lease = 4
heartbeat = 1
[pool.dmz]
allow = $NET.$b/29
EOF
export SCANQ_CONFIG=$dir/scanq.ini
q migrate >/dev/null || fail "migrate"
ADMIN=$(q token create --role admin --name adm) || fail "token create admin"
VIEW=$(q token create --role viewer --name view) || fail "token create viewer"
q token create --role agent --pool dmz --name dmz1 >"$dir/agent.token" || fail "token create agent"

# serve on the veth's address, over HTTPS, without local workers
: >"$dir/serve.log"
start_server() {
	SCANQ_HTTP_TLS_CERT="$dir/srv.pem" SCANQ_HTTP_TLS_KEY="$dir/srv.key" \
		"$S" --db "$DB" serve --listen "$SRV:${PORT:-0}" --workers 0 >>"$dir/serve.log" 2>&1 &
	SERVE_PID=$!
	pids+=($SERVE_PID)
	wait_for 30 "serve to listen" grep -q "msg=\"http listening\".* port=${PORT:-}" "$dir/serve.log"
	PORT=$(sed -n 's/.*msg="http listening".* port=\([0-9]*\).*/\1/p' "$dir/serve.log" | tail -1)
	URL=https://$SRV:$PORT
}
start_server

# start_agent NAME [ARGS...]: an agent in $A with its own spool
start_agent() {
	local name=$1; shift
	ip netns exec "$A" env -u SCANQ_CONFIG "$S" agent --server "$URL" --token-file "$dir/agent.token" \
		--ca "$dir/ca.pem" --spool "$dir/spool-$name" --name "$name" --allow "$TGT" \
		--concurrency 2 "$@" >>"$dir/agent-$name.log" 2>&1 &
	pids+=($!)
	eval "AGENT_$name=$!"
	wait_for 20 "agent $name to start" grep -q 'msg="agent started"' "$dir/agent-$name.log"
}

# ---- the walls -------------------------------------------------------------
if [ "$BACKEND" = pg ]; then
	pgport=${SCANQ_TEST_PG_URL##*:}; pgport=${pgport%%/*}
	inns "$A" timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$pgport" 2>/dev/null \
		&& fail "the agents' namespace reaches the database on 127.0.0.1:$pgport"
	inns "$A" timeout 5 bash -c "exec 3<>/dev/tcp/$SRV/$pgport" 2>/dev/null \
		&& fail "the agents' namespace reaches the database on $SRV:$pgport"
fi
[ "$(inns "$A" curl -s --cacert "$dir/ca.pem" -o /dev/null -w '%{http_code}' "$URL/healthz")" = 200 ] \
	|| fail "the agents' namespace does not reach the server's https port"
ok "the agents' namespace reaches the server's https port and not the database"

# ---- bad starts: one line, exit 1, nothing written ---------------------------
before=$(db_hash)
bad_start() {
	local what=$1 want=$2 out rc; shift 2
	out=$(inns "$A" env -u SCANQ_CONFIG timeout 20 "$S" agent --spool "$dir/spool-bad" "$@" 2>&1); rc=$?
	[ "$rc" = 1 ] || fail "$what: exit $rc, expected 1: $out"
	echo "$out" | grep -qi -- "$want" || fail "$what: no '$want' in: $out"
	ok "$what: $(echo "$out" | grep -i -m1 -- "$want" | cut -c1-150)"
}
bad_start "an untrusted server certificate" "certificate" \
	--server "$URL" --token-file "$dir/agent.token"
bad_start "plain http beyond loopback" "refusing plain http" \
	--server "http://$SRV:$PORT" --token-file "$dir/agent.token"
echo "sq_1_nosuchtoken" >"$dir/wrong.token"
bad_start "a wrong token" "401" --server "$URL" --ca "$dir/ca.pem" --token-file "$dir/wrong.token"
echo "$VIEW" >"$dir/view.token"
bad_start "a viewer token" "403" --server "$URL" --ca "$dir/ca.pem" --token-file "$dir/view.token"
q token create --role agent --pool dmz --name gone >"$dir/gone.token" || fail "token create gone"
before=$(db_hash)
gone_id=$(sql "SELECT id FROM tokens WHERE name = 'gone'")
q token revoke "$gone_id" >/dev/null || fail "token revoke"
before=$(db_hash)
bad_start "a revoked token" "401" --server "$URL" --ca "$dir/ca.pem" --token-file "$dir/gone.token"
[ "$(db_hash)" = "$before" ] || fail "a refused agent changed the database"

# ---- the happy path: a chain of pool dmz, wholly on the agent ---------------
ip netns exec "$G" python3 -m http.server --bind "$TGT" 8080 >"$dir/http.log" 2>&1 &
pids+=($!)
ip netns exec "$G" openssl s_server -accept "$TGT:8443" -cert "$dir/srv.pem" -key "$dir/srv.key" -quiet \
	</dev/null >/dev/null 2>"$dir/s_server.log" &
pids+=($!)
# (python3's start alone took over 10 s at a load average of 30)
wait_for 30 "the targets to listen" inns "$G" bash -c \
	"exec 3<>/dev/tcp/$TGT/8080 && exec 4<>/dev/tcp/$TGT/8443"
start_agent a1
root=$(q submit discovery "$TGT" --pool dmz --then "portscan:8080,8443" --then tls) || fail "submit chain"
chain_done() { [ "$(sql "SELECT count(*) FROM scans WHERE status = 'completed'")" -ge 3 ] \
	&& [ "$(sql "SELECT count(*) FROM scans WHERE status <> 'completed'")" = 0 ]; }
wait_for 90 "the chain to complete on the agent" chain_done
[ "$(sql "SELECT count(DISTINCT pool) FROM scans")" = 1 ] && [ "$(sql "SELECT min(pool) FROM scans")" = dmz ] \
	|| fail "a stage left pool dmz: $(sql "SELECT id, pool FROM scans")"
[ "$(sql "SELECT count(*) FROM scan_events WHERE to_status = 'running' AND worker_id NOT LIKE 'a1%'")" = 0 ] \
	|| fail "a stage ran elsewhere: $(sql "SELECT scan_id, worker_id FROM scan_events WHERE to_status = 'running'")"
for p in 8080 8443; do
	[ "$(sql "SELECT count(*) FROM findings WHERE kind = 'open_port' AND port = $p AND target = '$TGT'")" -ge 1 ] \
		|| fail "no open_port $p finding: $(sql "SELECT kind, target, port FROM findings")"
done
[ "$(sql "SELECT count(*) FROM findings f JOIN scans s ON s.id = f.scan_id WHERE s.type = 'tls'")" -ge 1 ] \
	|| fail "no tls finding from the agent"
ok "chain discovery -> portscan -> tls of pool dmz ran on agent a1: findings and timeline on the server"

# ---- SIGKILL an agent mid-scan: the other agent runs it again ----------------
start_agent a2
id=$(q submit test-sleep "$TGT" --pool dmz --options '{"seconds": 3}') || fail "submit sleep"
wait_for 20 "scan $id to run" is_status "$id" running
holder=$(sql "SELECT worker_id FROM scans WHERE id = $id")
case $holder in a1*) victim=$AGENT_a1 other=a2 ;; a2*) victim=$AGENT_a2 other=a1 ;; *) fail "held by $holder" ;; esac
kill -KILL "$victim"; wait "$victim" 2>/dev/null
killed=$(now_ms)
again() { [ "$(sql "SELECT attempt FROM scans WHERE id = $id AND status = 'running'")" = 2 ]; }
wait_for 30 "scan $id to run again" again
rerun_ms=$(( $(now_ms) - killed ))
# lease (4 s) + the server's lease recovery round (2 s) + 2 s of slack
[ "$rerun_ms" -le 8000 ] || fail "scan $id ran again only after $rerun_ms ms"
wait_for 30 "scan $id to complete on $other" is_status "$id" completed
[ "$(sql "SELECT attempt FROM scans WHERE id = $id")" = 2 ] || fail "attempts: $(sql "SELECT attempt FROM scans WHERE id = $id")"
case $(sql "SELECT worker_id FROM scans WHERE id = $id") in $other*) ;; *) fail "completed by $(sql "SELECT worker_id FROM scans WHERE id = $id")" ;; esac
[ "$(sql "SELECT count(*) FROM scan_events WHERE scan_id = $id AND to_status = 'completed'")" = 1 ] \
	|| fail "scan $id completed twice"
ok "agent SIGKILLed mid-scan: scan $id ran again on $other (attempt 2) $rerun_ms ms later, completed once"
[ "$victim" = "$AGENT_a1" ] && start_agent a1 || start_agent a2

# ---- the server SIGKILLed while the agents scan --------------------------------
ids=()
# 4 s scans: a 1 s one could end, and be sent, before the kill on a loaded
# machine (its result is then rightly not in a spool).
for i in 1 2; do
	ids+=("$(q submit test-sleep "$TGT" --pool dmz --options '{"seconds": 4}')") || fail "submit"
done
for id in "${ids[@]}"; do wait_for 20 "scan $id to run" is_status "$id" running; done
kill -KILL "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
for id in "${ids[@]}"; do
	is_status "$id" running || fail "scan $id ended before the server was killed: $(q show "$id")"
done
spooled() { [ "$(ls "$dir"/spool-a*/ | grep -c '^[0-9]*-[0-9]*\.json$')" -ge 2 ]; }
wait_for 20 "both results in the spools while the server is down" spooled
sleep 6		# past the lease: the results are late when the server is back
start_server
for id in "${ids[@]}"; do
	wait_for 30 "scan $id to complete" is_status "$id" completed
	[ "$(sql "SELECT count(*) FROM scan_events WHERE scan_id = $id AND to_status = 'completed'")" = 1 ] \
		|| fail "scan $id completed twice"
done
wait_for 20 "the spools to empty" bash -c "! ls $dir/spool-a*/ | grep -q json"
ok "server SIGKILLed for 8 s: both results spooled, then applied once each"

# ---- cut off past the lease: late but untouched is taken, re-claimed is refused
# One agent from here on, with both its slots busy when the link is cut: a
# long poll in flight at the cut could be answered into the void, which
# claims a scan that then never runs (an attempt started, so the late rule
# rightly refuses its old result; that is not what is tested here).
for p in "${AGENT_a1:-}" "${AGENT_a2:-}"; do
	mine "$p" && kill -TERM "$p" && wait "$p" 2>/dev/null
done
start_agent c1
cut() { ip -n "$A" link set "${A}a" "$1"; }
# 5 s scans, so that both still run when the link is cut; the pool is
# paused while both are submitted, so that they start together (one at a
# time, on a loaded machine the first had ended before the second ran);
# the cut comes first and the checks after it.
q pause --pool dmz --reason "two scans at once" >/dev/null || fail "pause dmz"
x=$(q submit test-sleep "$TGT" --pool dmz --options '{"seconds": 5}') || fail "submit x"
y=$(q submit test-sleep "$TGT" --pool dmz --priority 5 --options '{"seconds": 5}') || fail "submit y"
q resume --pool dmz >/dev/null || fail "resume dmz"
both_running() { is_status "$x" running && is_status "$y" running; }
wait_for 20 "scans $x and $y to run" both_running
cut down
is_status "$x" running && is_status "$y" running || fail "a scan ended before the cut: $(q show "$x") $(q show "$y")"
xa=$(sql "SELECT attempt FROM scans WHERE id = $x")
ya=$(sql "SELECT attempt FROM scans WHERE id = $y")
case "$(sql "SELECT worker_id FROM scans WHERE id IN ($x, $y)" | sort -u)" in c1*) ;; *) fail "not both on c1" ;; esac
c1files() { [ "$(ls "$dir/spool-c1/" | grep -c '^[0-9]*-[0-9]*\.json$')" = 2 ]; }
wait_for 20 "both results in c1's spool while cut off" c1files
both_pending() { is_status "$x" pending && is_status "$y" pending; }
wait_for 30 "the server to put both back to pending" both_pending
# Another agent of the pool takes y (the higher priority) meanwhile.
claim=$(curl -s --cacert "$dir/ca.pem" -H "Authorization: Bearer $(cat "$dir/agent.token")" \
	-d '{"protocol":1,"agent":"intruder","version":"test","max":1,"wait_ms":0}' "$URL/api/v1/agent/claim")
echo "$claim" | grep -q "\"id\":$y[,}]" || fail "the other agent did not get scan $y: $claim"
is_status "$x" pending || fail "scan $x was claimed too"
[ "$(sql "SELECT worker_id FROM scans WHERE id = $y")" = intruder ] || fail "scan $y is not the other agent's"
cut up
wait_for 30 "scan $x to be taken late" is_status "$x" completed
[ "$(sql "SELECT attempt FROM scans WHERE id = $x")" = "$xa" ] || fail "scan $x ran again"
[ "$(sql "SELECT count(*) FROM scan_events WHERE scan_id = $x AND reason LIKE '%late%'")" -ge 1 ] \
	|| fail "no late completion in the timeline: $(sql "SELECT to_status, reason FROM scan_events WHERE scan_id = $x")"
wait_for 30 "the refusal of scan $y's old result" grep -q "result refused by the server\" scan=$y " \
	"$dir/agent-c1.log"
# The other agent (curl) never renews: its 4 s lease may lapse meanwhile on
# a loaded machine, and c1 run y again; the timeline tells what was applied.
[ "$(sql "SELECT count(*) FROM scan_events WHERE scan_id = $y AND to_status = 'completed' AND attempt = $ya")" = 0 ] \
	|| fail "scan $y's refused result (attempt $ya) was applied: $(sql "SELECT to_status, attempt, reason FROM scan_events WHERE scan_id = $y")"
grep -q "agent write refused\" scan=$y attempt=$(( ya )) " "$dir/serve.log" \
	|| fail "the server did not log the fenced result of $y"
ok "cut off past the lease: scan $x's result taken late (timeline says so), scan $y's refused (claimed again)"

# ---- SIGKILL an agent with a result in its spool; the next one sends it ----------
z=$(q submit test-sleep "$TGT" --pool dmz --options '{"seconds": 4}') || fail "submit z"
wait_for 20 "scan $z to run" is_status "$z" running
holder=$(sql "SELECT worker_id FROM scans WHERE id = $z")
cut down
is_status "$z" running || fail "scan $z ended before the cut: $(q show "$z")"
zfile() { ls "$dir"/spool-*/ 2>/dev/null | grep -q "^$z-"; }
wait_for 20 "scan $z's result in a spool" zfile
spool=$(dirname "$(ls "$dir"/spool-*/"$z"-*.json)")
case $holder in c1*) ;; *) fail "scan $z held by $holder" ;; esac
kill -KILL "$AGENT_c1"; wait "$AGENT_c1" 2>/dev/null
cut up
ip netns exec "$A" env -u SCANQ_CONFIG "$S" agent --server "$URL" --token-file "$dir/agent.token" --ca "$dir/ca.pem" \
	--spool "$spool" --name a3 --allow "$TGT" >>"$dir/agent-a3.log" 2>&1 &
pids+=($!)
wait_for 30 "scan $z to complete from the spool" is_status "$z" completed
[ "$(sql "SELECT count(*) FROM scan_events WHERE scan_id = $z AND to_status = 'completed'")" = 1 ] \
	|| fail "scan $z completed twice"
wait_for 10 "the spool to empty" bash -c "! ls $spool | grep -q json"
grep -q "spooled result sent.* scan=$z" "$dir/agent-a3.log" || fail "a3 did not send $z from the spool"
ok "agent SIGKILLed with scan $z's result in its spool: the next agent on that spool sent it, applied once"

# ---- scope: the agent's own wall ----------------------------------------------
out=$(q submit test-ok 127.0.0.1 --pool dmz 2>&1) && fail "a target outside pool dmz was queued"
echo "$out" | grep -qi "scope\|allow" || fail "out-of-pool refusal: $out"
w=$(q submit test-ok "$AGT" --pool dmz --max-attempts 1) || fail "submit inside the pool, outside --allow"
wait_for 30 "scan $w to fail" is_status "$w" failed
[ "$(sql "SELECT error_code FROM scans WHERE id = $w")" = out_of_scope ] \
	|| fail "error code: $(sql "SELECT error_code FROM scans WHERE id = $w")"
grep -q "msg=\"scan marked running\" scan=$w " "$dir"/agent-*.log && fail "a child was started for scan $w"
grep -q "scan refused: target outside the allow list.* scan=$w " "$dir"/agent-*.log || fail "no refusal logged for $w"
ok "a target outside the agent's --allow: scan $w failed out_of_scope, no child started"

# ---- the server's exclusions reach the agent's children ---------------------------
# Queued while the pool is paused, excluded before it runs: the scanner of
# the agent skips the address, as a worker's would, and counts it.
q pause --pool dmz >/dev/null || fail "pause --pool dmz"
e=$(q submit portscan "$TGT" --pool dmz --ports 8080) || fail "submit the scan to exclude"
q exclude add "$TGT" --reason "agent test" >/dev/null || fail "exclude add"
q resume --pool dmz >/dev/null || fail "resume --pool dmz"
# Its only target excluded, the scan scanned nothing: it fails no_targets,
# saying so (src/scan/resolve.c), as on a worker.
wait_for 30 "scan $e to end" is_status "$e" failed
[ "$(sql "SELECT error_code FROM scans WHERE id = $e")" = no_targets ] \
	|| fail "error code: $(sql "SELECT error_code FROM scans WHERE id = $e")"
sql "SELECT error_message FROM scans WHERE id = $e" | grep -q "1 excluded" \
	|| fail "message: $(sql "SELECT error_message FROM scans WHERE id = $e")"
[ "$(sql "SELECT count(*) FROM findings WHERE scan_id = $e")" = 0 ] || fail "findings for an excluded address"
ok "an exclusion added on the server: the agent's scanner skips the address (scan $e: nothing to scan, 1 excluded)"
echo PASS
