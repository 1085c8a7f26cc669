#!/bin/bash
# scan_queue.sh — scanners through the queue: a portscan submitted, run by
# a worker and completed has its findings in the database (`scanq
# findings`) and counted in its summary; an out-of-scope or malformed
# submission is refused and nothing is queued.
source "$(dirname "$0")/lib.sh"
cd "$dir" || exit 1
export SCANQ_CONFIG=/dev/null

listen_banner "$dir/port" "SSH-2.0-it"
P=$(cat "$dir/port"); C=$(closed_port)

for bad in 10.0.0.1 "--script=x" ";id" 127.0.0.0/8; do
	q submit portscan -- "$bad" >/dev/null 2>"$dir/err" && fail "submit accepted '$bad'"
	grep -q "error: " "$dir/err" || fail "no error for '$bad'"
done
grep -q "too_many_targets\|more than" "$dir/err" || fail "cap error unclear: $(cat "$dir/err")"
[ -z "$(q list --json | grep '"id"')" ] || fail "a refused submission was queued"
ok "refused submissions queue nothing"

id=$(q submit portscan 127.0.0.1 --ports "$P,$C" --options '{"banner":true}') || fail "submit failed"
timeout 60 "$S" --db "$DB" worker --once >"$dir/worker.log" 2>&1 || fail "worker failed: $(tail -5 "$dir/worker.log")"
wait_for 30 "scan $id completed" is_status "$id" completed
out=$(q findings "$id" --json) || fail "findings failed"
echo "$out" | grep -q "\"port\": $P," || fail "open port missing from findings: $out"
echo "$out" | grep -q '"banner": "SSH-2.0-it"' || fail "banner missing from findings: $out"
[ "$(echo "$out" | grep -c '"kind": "open_port"')" = 1 ] || fail "wrong number of findings: $out"
q show "$id" | grep -q '"findings":1' || fail "summary does not count the finding: $(q show "$id")"
q findings "$id" | grep -q "open_port  127.0.0.1 *$P/tcp" || fail "human findings output wrong"
q findings 999999 2>"$dir/err" && fail "findings of a missing scan succeeded"
grep -q "no scan 999999" "$dir/err" || fail "missing scan error unclear"
ok "a queued portscan stores its findings, shown by 'scanq findings'"

# A scanner's own refusal (options it cannot use) fails the scan at once with
# the scanner's code: another attempt would fail the same way.
id=$(q submit portscan 127.0.0.1 --ports "$P" --max-attempts 3 --options '{"detect":"yes"}') \
	|| fail "submit failed"
timeout 60 "$S" --db "$DB" worker --once >"$dir/worker.log" 2>&1 || fail "worker failed: $(tail -5 "$dir/worker.log")"
wait_for 30 "scan $id failed" is_status "$id" failed
[ "$(sql "SELECT error_code || ' ' || attempt FROM scans WHERE id = $id")" = "invalid_options 1" ] \
	|| fail "a scanner refusal: $(sql "SELECT error_code, attempt FROM scans WHERE id = $id")"
ok "a scanner's invalid_options fails the scan without a retry"
