#!/bin/bash
# changes.sh — what changed between two scans of loopback listeners, told
# by `scanq diff`, the API and the inventory: one listener closed (gone),
# one opened (new), one whose banner version moved (changed); a rerun with
# nothing changed records nothing; the inventory shows the closed port as
# no longer seen and the new one first seen in the second scan.  Bad input
# is one line and changes nothing.
source "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
export SCANQ_CONFIG=/dev/null

three_ports
PORTS="$A,$B,$C"
OPTS='{"detect":true,"detect_ms":1000}'
scan() { scan_once portscan 127.0.0.1 --ports "$PORTS" --options "$OPTS"; }

banner_on "$A" "SSH-2.0-OpenSSH_9.2p1 Debian-2
"; pa=$last
banner_on "$B" "220 (vsFTPd 3.0.3)
"; pb=$last
s1=$(scan)
q diff "$s1" | grep -q "is the baseline" || fail "scan 1 is not the baseline: $(q diff "$s1")"
ok "the first scan of a baseline says it is the baseline"

kill "$pb" "$pa"; wait "$pb" "$pa" 2>/dev/null
banner_on "$A" "SSH-2.0-OpenSSH_9.3p1 Debian-1
"; pa=$last
banner_on "$C" "220 mx.example ESMTP Postfix
"; pc=$last
s2=$(scan)
q diff "$s2" > out || fail "diff"
head -1 out | grep -q "changes since scan $s1: 1 new, 1 gone, 1 changed" || fail "diff: $(cat out)"
grep -q "^new .* $C/tcp .*smtp" out || fail "new: $(cat out)"
grep -q "^gone .* $B/tcp .*ftp" out || fail "gone: $(cat out)"
grep -q "^changed .* $A/tcp .*ssh OpenSSH 9.3p1.*was ssh OpenSSH 9.2p1" out || fail "changed: $(cat out)"
[ "$(sql "SELECT count(*) FROM scan_changes WHERE scan_id = $s2")" = 3 ] || fail "not 3 change rows"
sql "SELECT summary FROM scans WHERE id = $s2" | grep -q '"changes":{"baseline_id":'"$s1"',"new":1,"gone":1,"changed":1}' \
	|| fail "summary: $(sql "SELECT summary FROM scans WHERE id = $s2")"
ok "a closed port is gone, an opened one new, a new banner version changed, counted in the summary"

s3=$(scan)
q diff "$s3" | head -1 | grep -q "changes since scan $s2: 0 new, 0 gone, 0 changed" || fail "rerun: $(q diff "$s3")"
[ "$(sql "SELECT count(*) FROM scan_changes WHERE scan_id = $s3")" = 0 ] || fail "rerun wrote changes"
q diff "$s3" "$s2" | grep -q "0 changes" || fail "diff of two ids: $(q diff "$s3" "$s2")"
q diff "$s2" "$s1" --json > j && grep -q '"total": 3' j || fail "diff --json of two ids: $(cat j)"
ok "a rerun with nothing changed records no changes"

q inventory > inv
grep -q "^127.0.0.1 *$B/tcp *ftp .* $s1 *no *-$" inv || fail "inventory, closed port: $(cat inv)"
grep -q "^127.0.0.1 *$C/tcp *smtp .* $s3 *yes *-$" inv || fail "inventory, new port: $(cat inv)"
q inventory --port "$C" --json > inv.json
grep -q "\"first_scan\": $s2" inv.json || fail "the new port is not first seen in scan 2: $(cat inv.json)"
[ "$(q inventory --target 10.0.0.0/8 --json | tr -d ' \n')" = "[]" ] || fail "--target filter"
[ "$(q inventory --service smtp --json | grep -c '"port"')" = 1 ] || fail "--service filter"
ok "the inventory: the closed port no longer seen, the new one first seen in the second scan"

# A plain portscan (no detection) after detection: the port's service stays
# what detection found (with its product and version, and when that scan
# confirmed it), while the port's last sighting moves on to the plain scan.
s4=$(q submit portscan 127.0.0.1 --ports "$A,$C") || fail "submit plain"
q worker --once --name once >>"$T/worker.log" 2>&1
is_status "$s4" completed || fail "plain scan $s4 is $(status "$s4")"
sql "SELECT coalesce(detail, '') FROM findings WHERE scan_id = $s4 AND port = $A" | grep -q detected_by \
	&& fail "the plain scan detected: $(sql "SELECT detail FROM findings WHERE scan_id = $s4")"
q inventory --port "$A" --json | grep -q '"service": "ssh"' \
	|| fail "the plain scan erased the detected service: $(q inventory --port "$A" --json)"
inv_row() { # PORT: service product version detected_by service_scan confirmed=finished(service_scan) last_scan last_seen=finished(last_scan)
	q inventory --port "$1" --json | python3 -c '
import json, sys
(r,) = json.load(sys.stdin)
print(r["service"], r["product"], r["version"], r["detected_by"], r["service_scan"], r["service_confirmed_at"],
      r["last_scan"], r["last_seen"])'
}
finished() { sql "SELECT finished_at FROM scans WHERE id = $1"; }
[ "$(inv_row "$A")" = "ssh OpenSSH 9.3p1 banner $s3 $(finished "$s3") $s4 $(finished "$s4")" ] \
	|| fail "port $A after the plain scan: $(inv_row "$A"); s3=$s3 $(finished "$s3") s4=$s4 $(finished "$s4")"
[ "$(inv_row "$C")" = "smtp Postfix None banner $s3 $(finished "$s3") $s4 $(finished "$s4")" ] \
	|| fail "port $C after the plain scan: $(inv_row "$C")"
q inventory --port "$A" | grep -q "^127.0.0.1 *$A/tcp *ssh *OpenSSH 9.3p1 .* $s4 *yes" \
	|| fail "text inventory: $(q inventory --port "$A")"
[ "$(q inventory --service ssh --json | grep -c '"port"')" = 1 ] || fail "--service ssh after the plain scan"
# A port detection never named keeps what its latest sighting said.
[ "$(q inventory --port "$B" --json | grep -c '"detected_by": "banner"')" = 1 ] || fail "port $B"
ok "a plain portscan after detection keeps the detected service, product and version (confirmed by the detection scan) and moves last seen"

out=$(q diff abc 2>&1); [ $? = 2 ] && echo "$out" | grep -q "invalid scan id 'abc'" || fail "diff abc: $out"
out=$(q diff 999 2>&1); [ $? = 1 ] && echo "$out" | grep -q "no scan 999" || fail "diff 999: $out"
out=$(q inventory --target nope 2>&1); [ $? = 2 ] || fail "inventory --target nope: $out"
out=$(q inventory --port 70000 2>&1); [ $? = 2 ] || fail "inventory --port 70000: $out"
out=$(q webhook add http://192.0.2.10/hook 2>&1); [ $? = 2 ] \
	&& echo "$out" | grep -q "192.0.2.10 is not in \[webhooks\] allow" || fail "allow-list: $out"
out=$(q webhook add ftp://127.0.0.1/x 2>&1); [ $? = 2 ] || fail "ftp url: $out"
out=$(q webhook add http://127.0.0.1:1/x --events scan.exploded 2>&1); [ $? = 2 ] \
	&& echo "$out" | grep -q "unknown event 'scan.exploded'" || fail "events: $out"
out=$(q webhook add http://127.0.0.1:1/x --secret short 2>&1); [ $? = 2 ] || fail "short secret: $out"
[ "$(sql "SELECT count(*) FROM webhooks")" = 0 ] || fail "a refused webhook was stored"
ok "bad ids, filters and webhooks (outside the allow-list too) are one line and change nothing"

# The API: the same changes, the inventory, webhooks for admins.
start_serve --workers 1
[ "$(req GET "/api/v1/scans/$s2/changes")" = 200 ] || fail "changes: $(cat "$dir/body")"
grep -q "\"compared_with\":$s1" "$dir/body" && grep -q '"change":"new"' "$dir/body" \
	&& grep -q '"change":"gone"' "$dir/body" && grep -q '"change":"changed"' "$dir/body" \
	|| fail "changes body: $(cat "$dir/body")"
[ "$(req GET "/api/v1/scans/$s2/changes?limit=2")" = 200 ] && next=$(json_field next_cursor)
[ -n "$next" ] && [ "$next" != null ] || fail "no next_cursor: $(cat "$dir/body")"
[ "$(req GET "/api/v1/scans/$s2/changes?limit=2&after=$next")" = 200 ] \
	&& [ "$(grep -o '"change":' "$dir/body" | wc -l)" = 1 ] || fail "page 2: $(cat "$dir/body")"
[ "$(req GET "/api/v1/scans/$s1/changes")" = 200 ] && grep -q '"baseline":true' "$dir/body" || fail "baseline"
[ "$(req GET /api/v1/scans/999/changes)" = 404 ] || fail "changes of no scan"
[ "$(req GET "/api/v1/scans/$s2/changes?limit=0")" = 400 ] || fail "limit=0"
[ "$(req GET "/api/v1/inventory?port=$B")" = 200 ] && grep -q '"still_seen":false' "$dir/body" \
	&& grep -q '"total":1' "$dir/body" || fail "inventory: $(cat "$dir/body")"
[ "$(req GET "/api/v1/inventory?target=bad")" = 400 ] || fail "inventory target=bad"
[ "$(req GET "/api/v1/inventory?limit=1")" = 200 ] && [ "$(json_field next_offset)" = 1 ] \
	|| fail "inventory paging: $(cat "$dir/body")"
ok "GET /api/v1/scans/{id}/changes and /api/v1/inventory, paged and filtered"

[ "$(req POST /api/v1/webhooks -H 'Content-Type: application/json' \
	-d '{"url":"http://127.0.0.1:9/hook","events":"changes.found","min_severity":"high"}')" = 201 ] \
	|| fail "webhook add: $(cat "$dir/body")"
hook=$(json_field id); grep -q '"secret":"[0-9a-f]\{64\}"' "$dir/body" || fail "no secret made"
[ "$(req POST /api/v1/webhooks -H 'Content-Type: application/json' -d '{"url":"http://198.51.100.1/"}')" = 422 ] \
	&& grep -q "198.51.100.1 is not in \[webhooks\] allow" "$dir/body" || fail "allow-list over the API: $(cat "$dir/body")"
[ "$(req POST /api/v1/webhooks -H 'Content-Type: application/json' -d '{"url":"http://127.0.0.1/","x":"1"}')" = 422 ] \
	|| fail "unknown field"
[ "$(req GET /api/v1/webhooks)" = 200 ] && grep -q '"min_severity":"high"' "$dir/body" \
	&& ! grep -q secret "$dir/body" || fail "webhook list: $(cat "$dir/body")"
[ "$(req POST "/api/v1/webhooks/$hook/test")" = 202 ] || fail "webhook test"
[ "$(req GET /api/v1/webhook-deliveries)" = 200 ] && grep -q '"event":"webhook.test"' "$dir/body" \
	|| fail "deliveries: $(cat "$dir/body")"
[ "$(req DELETE "/api/v1/webhooks/$hook")" = 200 ] && grep -q '"removed":true' "$dir/body" \
	|| fail "webhook rm: $(cat "$dir/body")"
ok "webhooks over the API: add (allow-list enforced), list without secrets, test, deliveries, rm"
# Removed, not deleted: hidden from the list, shown marked with ?removed=1,
# its deliveries still listed (the test one, waiting for its next attempt,
# failed); removing it again, testing it or an unknown id is refused.
[ "$(req GET /api/v1/webhooks)" = 200 ] && ! grep -q "\"id\":$hook," "$dir/body" \
	|| fail "a removed webhook listed: $(cat "$dir/body")"
[ "$(req GET "/api/v1/webhooks?removed=1")" = 200 ] \
	&& grep -q "\"id\":$hook,.*\"removed_at\":[0-9]\{13\},\"removed_by\":\"api:open\"" "$dir/body" \
	|| fail "?removed=1: $(cat "$dir/body")"
# (the worker may be sending it as it is removed: then that attempt ends it)
wait_for 20 "the removed webhook's delivery failed" \
	sql_is "SELECT status FROM webhook_deliveries WHERE webhook_id = $hook" failed
[ "$(req GET "/api/v1/webhook-deliveries?webhook=$hook")" = 200 ] \
	&& grep -q '"event":"webhook.test","status":"failed",.*"webhook_removed":true' "$dir/body" \
	|| fail "the removed webhook's deliveries: $(cat "$dir/body")"
before=$(sql "SELECT removed_at || removed_by FROM webhooks WHERE id = $hook")
[ "$(req DELETE "/api/v1/webhooks/$hook")" = 409 ] && grep -q "webhook $hook was removed at 20.* by api:open" "$dir/body" \
	|| fail "webhook rm twice: $(cat "$dir/body")"
[ "$(req POST "/api/v1/webhooks/$hook/test")" = 409 ] || fail "test of a removed webhook: $(cat "$dir/body")"
[ "$(req DELETE /api/v1/webhooks/999)" = 404 ] && grep -q "no webhook 999" "$dir/body" || fail "rm 999: $(cat "$dir/body")"
[ "$(req DELETE /api/v1/webhooks/abc)" = 400 ] || fail "rm abc"
[ "$(req GET "/api/v1/webhooks?removed=2")" = 400 ] || fail "?removed=2"
[ "$(sql "SELECT removed_at || removed_by FROM webhooks WHERE id = $hook")" = "$before" ] \
	&& [ "$(sql "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $hook")" = 1 ] \
	|| fail "a refused removal changed the webhook"
ok "a removed webhook is kept, marked (who, when), its deliveries readable; removing it twice is refused"
# Every change is audited (the refused ones are not: nothing changed),
# with the hook's id and events but never its URL or secret.
[ "$(sql "SELECT action || '|' || detail FROM audit WHERE action LIKE 'webhook %' ORDER BY id")" = \
"webhook add|webhook $hook events changes.found
webhook test|webhook $hook
webhook rm|webhook $hook" ] || fail "webhook audit: $(sql "SELECT action, detail FROM audit WHERE action LIKE 'webhook %'")"
cli_hook=$(q webhook add http://127.0.0.1:9/cli --events scan.failed | sed -n 's/^webhook \([0-9]*\) added$/\1/p')
[ -n "$cli_hook" ] || fail "cli webhook add"
q webhook rm "$cli_hook" >/dev/null || fail "cli webhook rm"
out=$(q webhook rm "$cli_hook" 2>&1); [ $? = 1 ] \
	&& echo "$out" | grep -qx "error: webhook $cli_hook was removed at 20[-0-9T:.]*Z by cli:[a-z0-9_-]*" \
	|| fail "cli webhook rm twice: $out"
out=$(q webhook rm 999 2>&1); [ $? = 1 ] && [ "$out" = "error: no webhook 999" ] || fail "cli rm 999: $out"
out=$(q webhook list --removed 2>&1); [ $? = 2 ] || fail "webhook list --removed: $out"
q webhook list | grep -q "^$cli_hook " && fail "a removed webhook in webhook list"
q webhook list --all | grep -q "^$cli_hook .* removed=20.*Z by=cli:" || fail "webhook list --all: $(q webhook list --all)"
q webhook list --all --json | grep -q '"removed_by": "cli:' || fail "webhook list --all --json"
[ "$(sql "SELECT action || '|' || detail FROM audit WHERE action LIKE 'webhook %' AND actor LIKE 'cli:%' ORDER BY id")" = \
"webhook add|webhook $cli_hook events scan.failed
webhook rm|webhook $cli_hook" ] || fail "the CLI's webhook changes are not audited: $(sql "SELECT * FROM audit WHERE actor LIKE 'cli:%'")"
sql "SELECT detail FROM audit" | grep -q '127.0.0.1:9' && fail "a webhook URL in the audit trail"
ok "webhook add, test and rm are audited, from the API and the CLI, without the URL"

[ "$(req GET /metrics)" = 200 ] && grep -q 'scanq_changes_total{kind="new"} 1' "$dir/body" \
	&& grep -q 'scanq_changes_total{kind="changed"} 1' "$dir/body" \
	&& grep -q 'scanq_webhook_deliveries_total{result="delivered"}' "$dir/body" \
	|| fail "metrics: $(grep scanq_changes "$dir/body")"
ok "scanq_changes_total and scanq_webhook_deliveries_total in /metrics"

# With schedules the baseline is the schedule: two schedules of the same
# scan keep their own baselines; a schedule's scan compares with its last.
# (serve from the API part above runs them with its worker)
fire() {
	local id
	q schedule run-now "$1" >/dev/null || fail "run-now $1"
	id=$(sql "SELECT max(id) FROM scans WHERE schedule_id = (SELECT id FROM schedules WHERE name = '$1')")
	wait_for 60 "scheduled scan $id" is_status "$id" completed
	echo "$id"
}
for s in nightly-a nightly-b; do
	q schedule add "$s" --cron "0 3 1 1 *" portscan 127.0.0.1 --ports "$PORTS" --options "$OPTS" \
		>/dev/null || fail "schedule add $s"
done
a1=$(fire nightly-a); b1=$(fire nightly-b); a2=$(fire nightly-a)
for id in $a1 $b1 $a2; do is_status "$id" completed || fail "scheduled scan $id is $(status "$id")"; done
[ "$(sql "SELECT coalesce(baseline_id, 0) FROM scan_baselines WHERE scan_id = $b1")" = 0 ] \
	|| fail "the first scan of schedule b compared with another schedule's scan"
[ "$(sql "SELECT baseline_id FROM scan_baselines WHERE scan_id = $a2")" = "$a1" ] \
	|| fail "schedule a's second scan did not compare with its first ($a1)"
ok "a schedule's scans compare with the schedule's previous scan, not another schedule's"

# A chain's stages: a stage's targets come from its run's results, so it is
# compared with the same stage of the chain's previous run, on the hosts it
# scanned, however they were grouped.  portscan NET/28 --then tls: the tls
# stage is one scan per set of open ports (flow.c); plain listeners give
# each port a no_tls finding.  NET is a loopback block of this run's own.
NET=127.$((100 + RANDOM % 100)).$((RANDOM % 256))
X=$(closed_port); Y=$(closed_port)
while [ "$Y" = "$X" ]; do Y=$(closed_port); done
chain() {
	local root
	root=$(q submit portscan "$NET.16/28" --ports "$X,$Y" --then tls) || fail "submit chain"
	wait_for 60 "chain $root" is_status "$root" completed
	wait_for 60 "the tls stages of $root" sql_is "SELECT count(*) FROM scans WHERE parent_id = $root
		AND status NOT IN ('completed', 'failed', 'cancelled')" 0
	echo "$root"
}
stage() { sql "SELECT id FROM scans WHERE parent_id = $1 AND targets LIKE '%\"$2\"%'"; }
base() { sql "SELECT coalesce(baseline_id, 0) FROM scan_baselines WHERE scan_id = $1"; }
changes() { sql "SELECT change_type || ' ' || target || ':' || port FROM scan_changes WHERE scan_id = $1"; }
banner_on "$X" "hello
" "$NET.18"
r1=$(chain); t1=$(stage "$r1" "$NET.18")
[ -n "$t1" ] && [ "$(base "$t1")" = 0 ] || fail "run 1: tls stage '$t1' is not the baseline"
banner_on "$Y" "hello
" "$NET.21"
r2=$(chain); t2a=$(stage "$r2" "$NET.18"); t2b=$(stage "$r2" "$NET.21")
[ -n "$t2a" ] && [ -n "$t2b" ] && [ "$t2a" != "$t2b" ] || fail "run 2: tls stages '$t2a' '$t2b'"
[ "$(base "$t2a")" = "$t1" ] && [ -z "$(changes "$t2a")" ] \
	|| fail "run 2, $NET.18: baseline $(base "$t2a"), changes: $(changes "$t2a")"
[ "$(base "$t2b")" = "$t1" ] && [ "$(changes "$t2b")" = "new $NET.21:$Y" ] \
	|| fail "run 2, $NET.21 (a new host): baseline $(base "$t2b"), changes: $(changes "$t2b")"
banner_on "$Y" "hello
" "$NET.18"
r3=$(chain); t3a=$(stage "$r3" "$NET.18"); t3b=$(stage "$r3" "$NET.21")
[ "$(changes "$t3a")" = "new $NET.18:$Y" ] || fail "run 3, $NET.18 (a new port): $(changes "$t3a")"
[ -z "$(changes "$t3b")" ] && [ "$(base "$t3b")" -gt "$t1" ] || fail "run 3, $NET.21: $(changes "$t3b")"
q diff "$t3a" | head -1 | grep -q "changes since scan [0-9]*: 1 new, 0 gone, 0 changed" \
	|| fail "diff of a stage: $(q diff "$t3a")"
ok "a chain's stage is compared with the same stage of the previous run, on its own hosts: a new host and a new port are new"

# The chain as one result: run 3's root found NET.18:Y new, and so did its
# tls stage of NET.18.  `diff --chain` and ?chain=1 gather the root's and
# every stage's changes, each naming its scan, and count every scan.
want=$(sql "SELECT scan_id || ' ' || change_type || ' ' || target || ':' || port FROM scan_changes
	WHERE scan_id = $r3 OR scan_id IN (SELECT id FROM scans WHERE parent_id = $r3) ORDER BY id")
[ "$(echo "$want" | grep -c " new $NET.18:$Y\$")" = 2 ] || fail "run 3's chain recorded: $want"
nscans=$(( 1 + $(sql "SELECT count(*) FROM scans WHERE parent_id = $r3") ))
q diff "$r3" --chain > out || fail "diff --chain: $(cat out)"
head -1 out | grep -q "^chain of scan $r3: $nscans scans, $nscans compared: 2 new, 0 gone, 0 changed\$" \
	|| fail "diff --chain: $(cat out)"
[ "$(grep -c "^  scan [0-9]* \(portscan\|tls\) (completed): " out)" = "$nscans" ] \
	|| fail "diff --chain lists not every scan of the chain: $(cat out)"
got=$(awk '/^scan [0-9]/ { split($6, p, "/"); print $2, $3, $5 ":" p[1] }' out)
[ "$got" = "$want" ] || fail "diff --chain changes: $got; recorded: $want"
chain_json() { python3 -c 'import json, sys; d = json.load(sys.stdin)
print(d["chain"], d["scans"], d["new"], len(d["stages"]), d.get("next_cursor"))
for c in d["changes"]: print(c["scan_id"], c["change"], "%s:%s" % (c["target"], c["port"]))'; }
[ "$(q diff "$r3" --chain --json | chain_json | tail -n +2)" = "$want" ] || fail "diff --chain --json"
[ "$(req GET "/api/v1/scans/$r3/changes?chain=1&limit=1")" = 200 ] || fail "?chain=1: $(cat "$dir/body")"
page=$(chain_json < "$dir/body"); next=$(echo "$page" | head -1 | cut -d' ' -f5)
[ "$(echo "$page" | head -1 | cut -d' ' -f1-4)" = "True $nscans 2 $nscans" ] && [ "$next" != None ] \
	|| fail "?chain=1 page 1: $(cat "$dir/body")"
[ "$(req GET "/api/v1/scans/$r3/changes?chain=1&limit=1&after=$next")" = 200 ] \
	|| fail "?chain=1 page 2: $(cat "$dir/body")"
[ "$(echo "$page" | tail -n +2; chain_json < "$dir/body" | tail -n +2)" = "$want" ] \
	|| fail "?chain=1 pages: $(cat "$dir/body")"
n2=$(sql "SELECT count(*) FROM scan_changes WHERE scan_id = $r2 OR scan_id IN
	(SELECT id FROM scans WHERE parent_id = $r2)")
q diff "$r2" --chain | head -1 | grep -q ": $n2 new, 0 gone, 0 changed\$" || fail "run 2: $(q diff "$r2" --chain)"
[ "$(q diff "$r1" --chain | grep -c "^  scan .*: the baseline\$")" = 2 ] \
	|| fail "run 1, every scan the baseline: $(q diff "$r1" --chain)"
out=$(q diff "$r3" "$r2" --chain 2>&1); [ $? = 2 ] && echo "$out" | grep -q "\-\-chain takes one scan id" \
	|| fail "diff --chain with two ids: $out"
out=$(q diff 999 --chain 2>&1); [ $? = 1 ] && echo "$out" | grep -q "no scan 999" || fail "diff 999 --chain: $out"
[ "$(req GET "/api/v1/scans/$r3/changes?chain=2")" = 400 ] || fail "chain=2"
[ "$(req GET "/api/v1/scans/999/changes?chain=1")" = 404 ] || fail "chain of no scan"
ok "a chain as one result: diff --chain and ?chain=1 gather every stage's changes, paged, each naming its scan"
echo PASS
