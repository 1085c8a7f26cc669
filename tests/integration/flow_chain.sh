#!/bin/bash
# flow_chain.sh — follow-up stages: `discovery NET/28
# --then portscan --then tls` with listeners on three loopback addresses.
# NET is a loopback block of this run's own (127.A.B.16/28, not 127.0.0.x):
# a suite running beside this one may listen on one of these ports on its
# own address, and that port would become a stage of this chain.
# The port scan targets exactly discovery's live hosts; the tls stage is
# one scan per host, on exactly that host's open ports.  The worker that
# completes a stage is SIGKILLed before its completion call, inside the
# completing transaction (after the follow-up was written, before the
# commit) and right after the call returned, at the discovery and at the
# port scan stage: no stage is ever created twice.  A stage with nothing to
# do ends the chain and says why; cancel of the root cancels the chain;
# retry of a failed stage continues it.
source "$(dirname "$0")/lib.sh"
export SCANQ_CONFIG=/dev/null SCANQ_WORKER_HEARTBEAT=1

# listen_many FILE ADDR...: one listener per address, each on a free port
# (accepts and closes); FILE gets "ADDR PORT" lines.
listen_many() {
	local file=$1; shift
	perl -MIO::Socket::INET -MIO::Select -e '
		my $file = shift; my $sel = IO::Select->new; my @l;
		for my $a (@ARGV) {
			my $s = IO::Socket::INET->new(Listen => 64, LocalAddr => $a, LocalPort => 0,
				ReuseAddr => 1) or die "listen $a: $!";
			$sel->add($s); push @l, "$a " . $s->sockport . "\n";
		}
		open(my $f, ">", "$file.tmp") or die; print $f @l; close $f; rename("$file.tmp", $file);
		$SIG{CHLD} = "IGNORE"; $SIG{PIPE} = "IGNORE";
		while (1) { for my $s ($sel->can_read) { my $c = $s->accept or next;
			if (!fork) { print $c "SSH-2.0-fixture\r\n"; sleep 1; exit 0 } close $c; } }
	' "$file" "$@" &
	pids+=($!)
	wait_for 10 "listeners on $*" test -s "$file"
}

NET=127.$((100 + RANDOM % 100)).$((RANDOM % 256))
listen_many "$T/l" $NET.18 $NET.21 $NET.25
PORTS=$(cut -d' ' -f2 "$T/l" | paste -sd,)
expect_tls=$(awk '{printf "[\"%s\"] {\"ports\":\"%s\"}\n", $1, $2}' "$T/l" | sort)

children() { sql "SELECT count(*) FROM scans WHERE parent_id = $1"; }
finished() { sql_is "SELECT count(*) FROM scans WHERE status NOT IN ('completed', 'failed', 'cancelled')" 0; }

# check_chain ROOT: the stages hold exactly the inputs their parents found.
check_chain() {
	local root=$1 ps live targets tls
	[ "$(children "$root")" = 1 ] || fail "discovery $root has $(children "$root") follow-ups, not 1"
	ps=$(sql "SELECT id FROM scans WHERE parent_id = $root")
	[ "$(sql "SELECT type FROM scans WHERE id = $ps")" = portscan ] || fail "stage 2 is not a portscan"
	live=$(sql "SELECT target FROM findings WHERE scan_id = $root AND kind = 'host'" | sort | paste -sd,)
	targets=$(sql "SELECT targets FROM scans WHERE id = $ps" | tr -d '[]"' | tr , '\n' | sort | paste -sd,)
	[ -n "$live" ] && [ "$live" = "$targets" ] || fail "portscan targets '$targets', live hosts '$live'"
	for a in $NET.18 $NET.21 $NET.25; do
		echo ",$live," | grep -q ",$a," || fail "listener $a not among the live hosts: $live"
	done
	[ "$(children "$ps")" = 3 ] || fail "portscan $ps has $(children "$ps") follow-ups, not 3"
	tls=$(sql "SELECT targets || ' ' || options FROM scans WHERE parent_id = $ps AND type = 'tls'" | sort)
	[ "$tls" = "$expect_tls" ] || fail "tls stages: $tls; expected: $expect_tls"
}

start_serve --workers 1 --concurrency 4
root=$(q submit discovery $NET.16/28 --then "portscan:$PORTS,1" --then tls) || fail "submit"
wait_for 60 "the chain of $root to finish" finished
check_chain "$root"
ok "discovery's live hosts are the port scan's targets; each tls stage holds one host and its open ports"

out=$(q show "$root")
echo "$out" | grep -q "^chain of scan $root: completed" || fail "show: no chain line: $out"
[ "$(echo "$out" | grep -c '└─ .* tls ')" = 3 ] || fail "show: the tree lacks the tls stages: $out"
ok "show prints the chain as a tree with the root's summary status"

# SIGKILL at the moment of completion, at three points, at two stages.
for point in BEFORE INSIDE AFTER; do
	kill -TERM "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
	export SCANQ_TEST_KILL_$point="$T/kill"
	start_serve --workers 1 --concurrency 4
	touch "$T/kill"
	# A slow port scan (rate 20/s: 3 s), so that the kill file is there when it completes.
	[ "$(req POST /api/v1/scans -H 'Content-Type: application/json' -d '{"type": "discovery",
		"targets": ["'"$NET"'.16/28"], "then": [{"type": "portscan", "ports": "'"$PORTS"',1",
		"options": {"rate": 20}}, "tls"]}')" = 202 ] || fail "submit: $(cat "$dir/body")"
	root=$(json_field id)
	wait_for 60 "the kill at discovery ($point)" test ! -e "$T/kill"
	ps_made() { [ "$(children "$root")" -ge 1 ]; }
	wait_for 60 "the port scan stage of $root" ps_made
	touch "$T/kill"
	wait_for 60 "the kill at the port scan ($point)" test ! -e "$T/kill"
	wait_for 90 "the chain of $root to finish after the kills" finished
	check_chain "$root"
	unset SCANQ_TEST_KILL_$point
	ok "SIGKILL $point the completion, at discovery and at the port scan: every stage created once"
done

# A stage with nothing to do ends the chain without error, and says why.
root=$(q submit portscan 127.0.0.3 --ports "$(closed_port)" --then tls) || fail "submit"
wait_for 30 "scan $root finished" finished
[ "$(status "$root")" = completed ] && [ "$(children "$root")" = 0 ] || fail "an empty stage was created"
sql "SELECT flow_note FROM scans WHERE id = $root" | grep -q "no live hosts and no open ports, so no tls stage" \
	|| fail "no note on why the chain ended: $(sql "SELECT flow_note FROM scans WHERE id = $root")"
ok "a stage with nothing to do ends the chain, completed, with the reason"

# Cancel of the root cancels the chain, also when the root itself has
# completed and a later stage runs.
kill -TERM "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
root=$(q submit discovery 127.0.0.2 --then portscan) || fail "submit"
q cancel "$root" >/dev/null || fail "cancel"
[ "$(status "$root")" = cancelled ] && [ "$(children "$root")" = 0 ] || fail "pending root not cancelled"
start_serve --workers 1 --concurrency 4
code=$(req POST /api/v1/scans -H 'Content-Type: application/json' -d '{"type": "discovery",
	"targets": ["127.0.0.2"], "then": [{"type": "test-sleep", "options": {"seconds": 60}}, "tls"]}')
[ "$code" = 202 ] || fail "POST with then: $code $(cat "$dir/body")"
root=$(json_field id)
made() { [ "$(children "$root")" -ge 1 ]; }
wait_for 60 "the sleep stage of $root" made
st=$(sql "SELECT id FROM scans WHERE parent_id = $root")
wait_for 30 "stage $st running" is_status "$st" running
[ "$(req GET "/api/v1/scans/$root/tree")" = 200 ] || fail "tree: $(cat "$dir/body")"
grep -q '"status":"running"' "$dir/body" || fail "tree status not running: $(cat "$dir/body")"
[ "$(req POST "/api/v1/scans/$root/cancel")" = 202 ] || fail "cancel of a completed root with a running chain: $(cat "$dir/body")"
wait_for 30 "stage $st cancelled with its chain" is_status "$st" cancelled
[ "$(status "$root")" = completed ] || fail "the completed root changed: $(status "$root")"
q show "$root" | grep -q "^chain of scan $root: cancelled" || fail "the chain does not say cancelled"
ok "cancel of the root cancels the stages below it (API); the chain's status says cancelled"

# Retry: a stage that failed for good is retried; the chain goes on from it.
code=$(req POST /api/v1/scans -H 'Content-Type: application/json' -d '{"type": "discovery",
	"targets": ["127.0.0.2"], "max_attempts": 1, "time_limit_s": 2,
	"then": [{"type": "test-sleep", "options": {"seconds": 4}}, "tls"]}')
[ "$code" = 202 ] || fail "POST: $code"
fr=$(json_field id)
made() { [ "$(children "$fr")" -ge 1 ]; }
wait_for 60 "the stage of $fr" made
fs=$(sql "SELECT id FROM scans WHERE parent_id = $fr")
wait_for 30 "stage $fs failed (time limit)" is_status "$fs" failed
q show "$fr" | grep -q "^chain of scan $fr: failed" || fail "the chain does not say failed"
sql "UPDATE scans SET time_limit_s = 60 WHERE id = $fs" >/dev/null
q retry "$fs" >/dev/null || fail "retry"
wait_for 30 "stage $fs completed on retry" is_status "$fs" completed
[ "$(children "$fr")" = 1 ] || fail "the retry created a second stage"
sql "SELECT flow_note FROM scans WHERE id = $fs" | grep -q "no tls stage was created" \
	|| fail "the retried stage did not go on to its own follow-up"
q show "$fr" | grep -q "^chain of scan $fr: completed" || fail "the chain does not say completed"
ok "a failed stage is retried alone and the chain continues from it"

# Bad input: nothing is queued.
n0=$(sql "SELECT count(*) FROM scans")
out=$(q submit discovery 127.0.0.2 --then nosuchtype 2>&1) && fail "unknown stage type accepted"
echo "$out" | grep -q "unknown follow-up scan type 'nosuchtype' (invalid_type)" || fail "message: $out"
out=$(q submit discovery 127.0.0.2 --then portscan:99999 2>&1) && fail "bad stage ports accepted"
echo "$out" | grep -q "invalid_ports" || fail "message: $out"
[ "$(req POST /api/v1/scans -H 'Content-Type: application/json' -d '{"type": "discovery",
	"targets": ["127.0.0.2"], "then": [{"type": "portscan", "bogus": 1}]}')" = 422 ] || fail "bogus stage field"
grep -q '"code":"invalid_field"' "$dir/body" || fail "no invalid_field: $(cat "$dir/body")"
[ "$(req POST /api/v1/scans -H 'Content-Type: application/json' -d '{"type": "discovery",
	"targets": ["127.0.0.2"], "then": "portscan"}')" = 422 ] || fail "then as a string"
[ "$(sql "SELECT count(*) FROM scans")" = "$n0" ] || fail "a refused chain queued something"
ok "a bad follow-up stage is refused, one line, nothing queued"
