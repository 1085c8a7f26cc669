#!/bin/bash
# webhooks.sh — signed deliveries survive what receivers and scanq do to
# them.  A receiver on loopback (webhook_receiver.py) checks every
# signature and records every delivery id: a 500 and then a 200 is retried
# with backoff; a slow receiver is timed out and retried; a receiver down
# for 20 s gets every event once it is back, none lost; a worker SIGKILLed
# while a receiver holds its delivery loses nothing, and the repeat carries
# the same delivery id; an oversized answer and a redirect fail an attempt;
# the allow-list is enforced at send time; `webhook rm` keeps the history
# and sends nothing more.
source "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
export SCANQ_CONFIG=/dev/null
export SCANQ_WEBHOOKS_BACKOFF_MS=500 SCANQ_WEBHOOKS_TIMEOUT_MS=1500 SCANQ_WEBHOOKS_LEASE=3
export SCANQ_WEBHOOKS_POLL_MS=100
SECRET=0123456789abcdef-test-secret
RECV="$REPO/tests/integration/webhook_receiver.py"

# receiver PORT: (re)starts the receiver on 127.0.0.1:PORT (0: any), sets $RPORT, $RPID
receiver() {
	rm -f "$T/port"
	python3 "$RECV" "$1" "$T/port" "$SECRET" "$T/recv" "$T/mode" 2>>"$T/receiver.log" &
	RPID=$!
	pids+=($RPID)
	wait_for 10 "the receiver" test -s "$T/port"
	RPORT=$(cat "$T/port")
}
mode() { echo "$*" > "$T/mode"; }
# status_is UUID STATUS: the delivery's status in the store
status_is() { [ "$(sql "SELECT status FROM webhook_deliveries WHERE uuid = '$1'")" = "$2" ]; }
test_delivery() { q webhook test 1 | sed -n 's/^test delivery \([0-9a-f-]*\) queued.*/\1/p'; }
# received_at_least N PATTERN: the receiver logged N lines matching PATTERN
received_at_least() { [ "$(grep -c "$2" "$T/recv")" -ge "$1" ]; }
deliveries_show() { q webhook deliveries | grep -q "$1"; }
connect_errors() { [ "$(sql "SELECT count(*) FROM webhook_attempts WHERE error LIKE '%connect%'")" -gt 0 ]; }

mode ok
receiver 0
q webhook add "http://127.0.0.1:$RPORT/hook" --secret "$SECRET" >/dev/null || fail "webhook add"
start_worker w1
W1=$last_pid

mode 500
id=$(test_delivery)
wait_for 20 "two refused attempts" received_at_least 2 "^$id .* 500$"
mode ok
wait_for 20 "the delivery after the 500s" status_is "$id" delivered
q webhook deliveries > d
grep "^$id .* attempt=1 code=500 .*HTTP 500" d >/dev/null || fail "attempt 1 not shown with 500: $(cat d)"
grep "^$id .*delivered .*code=204" d >/dev/null || fail "the last attempt not shown with 204: $(cat d)"
grep -v "sig=ok" "$T/recv" && fail "a bad signature"
ok "a 500 then a 200: retried with backoff, every attempt shown with its status, same id, signed"

mode slow 4
id=$(test_delivery)
wait_for 20 "a timed out attempt" deliveries_show "^$id .*timed out after 1500 ms"
mode ok
wait_for 30 "the delivery after the slow receiver" status_is "$id" delivered
ok "a slow receiver: timed out after timeout_ms and retried"

# Down for 20 s: every event queued meanwhile arrives afterwards, once each.
kill "$RPID"; wait "$RPID" 2>/dev/null
for i in 1 2 3 4 5; do submit test-ok 127.0.0.1 >/dev/null; done
start=$(date +%s)
wait_for 20 "five scans completed" sql_is "SELECT count(*) FROM scans WHERE status = 'completed'" 5
wait_for 20 "failed attempts while the receiver is down" connect_errors
sleep $(( 20 - ($(date +%s) - start) ))
receiver "$RPORT"
wait_for 60 "every scan.completed delivered" \
	sql_is "SELECT count(*) FROM webhook_deliveries WHERE event = 'scan.completed' AND status = 'delivered'" 5
[ "$(grep -c ' scan.completed sig=ok' "$T/recv")" -ge 5 ] || fail "receiver got: $(cat "$T/recv")"
got=$(grep ' scan.completed ' "$T/recv" | cut -d' ' -f1 | sort -u | wc -l)
[ "$got" = 5 ] || fail "$got distinct scan.completed ids, not 5"
for u in $(sql "SELECT uuid FROM webhook_deliveries WHERE event = 'scan.completed'"); do
	grep -q "^$u scan.completed sig=ok" "$T/recv" || fail "delivery $u never arrived"
done
ok "a receiver down for 20 s: all five events delivered when it is back, none lost"

# SIGKILL while the receiver holds the delivery: the lease runs out, another
# sender sends it again with the same id.
mode slow 1
export SCANQ_WEBHOOKS_TIMEOUT_MS=10000
kill -9 "$W1"; wait "$W1" 2>/dev/null
start_worker w2
W2=$last_pid
: > "$T/recv"
id=$(test_delivery)
wait_for 20 "the receiver holding the delivery" grep -q "^$id " "$T/recv"
kill -9 "$W2"; wait "$W2" 2>/dev/null
status_is "$id" sending || fail "after the kill the delivery is $(sql "SELECT status FROM webhook_deliveries WHERE uuid = '$id'")"
mode ok
start_worker w3
wait_for 30 "the delivery after the SIGKILL" status_is "$id" delivered
[ "$(grep -c "^$id " "$T/recv")" -ge 2 ] || fail "no repeat: $(cat "$T/recv")"
[ "$(cut -d' ' -f1 "$T/recv" | sort -u | wc -l)" = 1 ] || fail "a repeat with another id: $(cat "$T/recv")"
ok "a worker SIGKILLed during a delivery: nothing lost, the repeat has the same delivery id"

# What a sender refuses to do: read a huge answer, follow a redirect, or
# connect to an address the allow-list (as the sender has it now) refuses.
mode big
id=$(test_delivery)
wait_for 20 "an oversized answer refused" deliveries_show "^$id .*answer larger than 64 KiB"
mode 302
wait_for 20 "a redirect not followed" deliveries_show "^$id .*HTTP 302 (redirects are not followed)"
mode ok
wait_for 30 "the delivery after big and 302" status_is "$id" delivered
# Its list: the failed attempts say failed, with their errors; only the
# last says delivered, with no error.
q webhook deliveries | grep "^$id " >"$T/dl"
[ "$(head -n 1 "$T/dl" | awk '{print $5}')" = delivered ] && ! head -n 1 "$T/dl" | grep -q "answer larger\|redirect" \
	|| fail "the last attempt: $(head -n 1 "$T/dl")"
grep "answer larger\|redirect" "$T/dl" | awk '{print $5}' | sort -u | grep -qx failed \
	|| fail "old errors listed under another status: $(cat "$T/dl")"
grep "answer larger\|redirect" "$T/dl" | grep -q delivered && fail "an old error under delivered: $(cat "$T/dl")"
kill "$last_pid"; wait "$last_pid" 2>/dev/null
SCANQ_WEBHOOKS_ALLOW=192.0.2.0/24 start_worker w4
id=$(test_delivery)
wait_for 20 "the allow-list enforced at send time" deliveries_show "^$id .*address 127.0.0.1 is not in \[webhooks\] allow"
ok "an oversized answer and a redirect fail the attempt; the allow-list is enforced again at send time"

# `webhook rm` keeps the history: the webhook is marked removed (when, by
# whom, audited), its delivered and failed deliveries stay listed, a scan
# that completes afterwards sends it nothing, and removing it again or an
# unknown id is one line that changes nothing.
kill "$last_pid"; wait "$last_pid" 2>/dev/null
start_worker w5
mode ok
: > "$T/recv"
id=$(test_delivery)
wait_for 20 "a delivery before the removal" status_is "$id" delivered
wait_for 30 "nothing left to send" \
	sql_is "SELECT count(*) FROM webhook_deliveries WHERE status IN ('pending', 'sending')" 0
before=$(q webhook deliveries --webhook 1 --limit 1000 --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
[ "$before" -ge 10 ] || fail "only $before attempts before the removal"
q webhook rm 1 | grep -q "^webhook 1 removed; its deliveries are kept" || fail "webhook rm"
[ "$(sql "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = 1 AND status IN ('pending', 'sending')")" = 0 ] \
	|| fail "deliveries left to send: $(sql "SELECT uuid, status FROM webhook_deliveries WHERE status IN ('pending', 'sending')")"
q webhook deliveries --webhook 1 --limit 1000 > "$T/after"
[ "$(wc -l < "$T/after")" = "$before" ] || fail "$before attempts before, $(wc -l < "$T/after") after: $(cat "$T/after")"
grep -q "^$id hook=1(removed) webhook.test .*delivered .*code=204" "$T/after" || fail "the delivered one: $(cat "$T/after")"
grep -q "hook=1(removed) .*failed .*code=500 .*HTTP 500" "$T/after" || fail "the 500s: $(cat "$T/after")"
s=$(submit test-ok 127.0.0.1)
wait_for 20 "scan $s completed" is_status "$s" completed
# (a completion writes its deliveries in its own transaction: none now, none later)
[ "$(sql "SELECT count(*) FROM webhook_deliveries WHERE scan_id = $s")" = 0 ] || fail "a delivery for a removed webhook"
q webhook list | grep -q "^1 " && fail "webhook list shows the removed webhook"
q webhook list --all | grep -q "^1 .* removed=20.*Z by=cli:" || fail "list --all: $(q webhook list --all)"
[ "$(sql "SELECT count(*) FROM audit WHERE action = 'webhook rm' AND detail = 'webhook 1' AND actor LIKE 'cli:%'")" = 1 ] \
	|| fail "the removal is not audited once: $(sql "SELECT actor, action, detail FROM audit")"
snap() { sql "SELECT removed_at, removed_by, (SELECT count(*) FROM webhook_deliveries), (SELECT count(*) FROM audit) FROM webhooks WHERE id = 1"; }
was=$(snap)
out=$(q webhook rm 1 2>&1); [ $? = 1 ] && echo "$out" | grep -qx "error: webhook 1 was removed at 20.*Z by cli:.*" \
	|| fail "rm twice: $out"
out=$(q webhook rm 77 2>&1); [ $? = 1 ] && [ "$out" = "error: no webhook 77" ] || fail "rm 77: $out"
out=$(q webhook rm x 2>&1); [ $? = 2 ] || fail "rm x: $out"
out=$(q webhook test 1 2>&1); [ $? = 1 ] && echo "$out" | grep -q "webhook 1 was removed" || fail "test after rm: $out"
[ "$(snap)" = "$was" ] || fail "a refused command changed something: $was -> $(snap)"
ok "webhook rm keeps the delivery history, marks the webhook removed (audited), sends it nothing more; a second rm is refused"
