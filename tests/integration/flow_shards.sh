#!/bin/bash
# flow_shards.sh — a scan larger than [flow] shard_addresses is split into
# shards: 127.1.0.0/20 (4,096 addresses) becomes 16 shards of
# 256, run by 2 workers x 4 (SQLite: serve's two workers; PostgreSQL: serve
# plus a second `scanq worker`), with a worker SIGKILLed mid-run.  Every
# shard completes exactly once, shards finished before the kill never run
# again, the parent completes with the last one, and its findings (API and
# CLI, one list) equal those of the same scan run unsplit.  Cancel of the
# parent cancels its shards; its retry runs them again, not the parent;
# a shard that fails for good fails the parent, naming it.
source "$(dirname "$0")/lib.sh"
export SCANQ_CONFIG=/dev/null SCANQ_WORKER_HEARTBEAT=1 SCANQ_WORKER_LEASE=4

listen_many() {
	local file=$1; shift
	perl -MIO::Socket::INET -MIO::Select -e '
		my $file = shift; my $sel = IO::Select->new; my @l;
		for my $a (@ARGV) {
			my $s = IO::Socket::INET->new(Listen => 128, LocalAddr => $a, LocalPort => 0,
				ReuseAddr => 1) or die "listen $a: $!";
			$sel->add($s); push @l, "$a " . $s->sockport . "\n";
		}
		open(my $f, ">", "$file.tmp") or die; print $f @l; close $f; rename("$file.tmp", $file);
		while (1) { for my $s ($sel->can_read) { my $c = $s->accept; close $c if $c; } }
	' "$file" "$@" &
	pids+=($!)
	wait_for 10 "listeners on $*" test -s "$file"
}

listen_many "$T/l" 127.1.3.7 127.1.9.200 127.1.15.1
PORTS="$(cut -d' ' -f2 "$T/l" | paste -sd,),1"
finished() { sql_is "SELECT count(*) FROM scans WHERE status NOT IN ('completed', 'failed', 'cancelled')" 0; }
found() { sql "SELECT target || ':' || port FROM findings WHERE kind = 'open_port' AND scan_id IN
	(SELECT id FROM scans WHERE id = $1 OR parent_id = $1)" | sort; }

# The reference: the same scan unsplit (a shard size larger than the block).
start_serve --workers 2 --concurrency 4
one=$(SCANQ_FLOW_SHARD_ADDRESSES=8192 q submit portscan 127.1.0.0/20 --ports "$PORTS") || fail "submit"
[ "$(sql "SELECT count(*) FROM scans WHERE parent_id = $one")" = 0 ] || fail "the reference was split"
wait_for 120 "the unsplit scan $one" finished
[ "$(status "$one")" = completed ] || fail "unsplit scan: $(status "$one")"
ref=$(found "$one")
[ "$(echo "$ref" | wc -l)" = 3 ] || fail "the unsplit scan found: $ref"

# The split run, by 2 workers x 4 (PostgreSQL: serve's one and a second process).
if [ "$BACKEND" = pg ]; then
	kill -TERM "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
	start_serve --workers 1 --concurrency 4
	start_worker w-extra --concurrency 4
	victim_sql="SELECT pid FROM workers WHERE name = 'w-extra' AND stopped_at IS NULL"
else
	victim_sql="SELECT pid FROM workers WHERE stopped_at IS NULL ORDER BY name LIMIT 1"
fi
code=$(req POST /api/v1/scans -H 'Content-Type: application/json' -d '{"type": "portscan",
	"targets": ["127.1.0.0/20"], "ports": "'"$PORTS"'", "options": {"rate": 4000}}')
[ "$code" = 202 ] || fail "submit: $code $(cat "$dir/body")"
id=$(json_field id)
[ "$(sql "SELECT count(*) FROM scans WHERE parent_id = $id")" = 16 ] || fail "not 16 shards"
sql "SELECT options FROM scans WHERE parent_id = $id LIMIT 1" | grep -q '"rate":250' \
	|| fail "the rate is not divided among the shards: $(sql "SELECT options FROM scans WHERE parent_id = $id LIMIT 1")"
ok "a 4,096-address scan is split into 16 shards of 256, its rate divided among them"

two_done() { [ "$(sql "SELECT count(*) FROM scans WHERE parent_id = $id AND status = 'completed'")" -ge 2 ]; }
wait_for 120 "two shards completed" two_done
[ "$(req GET "/api/v1/scans/$id/tree")" = 200 ] || fail "tree: $(cat "$dir/body")"
grep -q '"shards":{.*"total":16' "$dir/body" || fail "no shard counts in the tree: $(head -c 400 "$dir/body")"
early=$(sql "SELECT id || ':' || attempt FROM scans WHERE parent_id = $id AND status = 'completed'" | sort)
victim=$(sql "$victim_sql")
[ -n "$victim" ] || fail "no worker to kill"
kill -KILL "$victim"
echo "killed worker $victim with $(sql "SELECT count(*) FROM scans WHERE parent_id = $id AND status = 'running'") shards running"
wait_for 180 "the split scan $id to finish" finished
[ "$(status "$id")" = completed ] || fail "parent: $(status "$id") $(sql "SELECT error_message FROM scans WHERE id = $id")"
ok "the parent completes when its last shard does, after a worker was SIGKILLed mid-run"

[ "$(sql "SELECT count(*) FROM scan_events e JOIN scans s ON s.id = e.scan_id
	WHERE s.parent_id = $id AND e.to_status = 'completed'")" = 16 ] || fail "not 16 shard completions"
[ "$(sql "SELECT count(*) FROM scan_events WHERE scan_id = $id AND to_status = 'completed'")" = 1 ] \
	|| fail "the parent completed more than once"
for e in $early; do
	[ "$(sql "SELECT id || ':' || attempt FROM scans WHERE id = ${e%%:*}")" = "$e" ] \
		|| fail "shard ${e%%:*}, completed before the kill, ran again"
done
[ "$(sql "SELECT count(DISTINCT worker_id) FROM scans WHERE parent_id = $id")" -ge 2 ] \
	|| fail "the shards did not spread over the workers"
again=$(sql "SELECT count(*) FROM scans WHERE parent_id = $id AND attempt > 1 OR id IN
	(SELECT scan_id FROM scan_events WHERE reason LIKE '%handed back%' OR reason LIKE '%lease expired%')")
echo "shards run again after the kill: $again"
ok "every shard completed exactly once; finished shards never ran again; the shards spread over the workers"

[ "$(found "$id")" = "$ref" ] || fail "split findings $(found "$id") != unsplit $ref"
[ "$(req GET "/api/v1/scans/$id/findings?limit=1000")" = 200 ] || fail "findings API"
ports_of() { python3 -c 'import json, sys
d = json.load(sys.stdin)
for f in (d["findings"] if isinstance(d, dict) else d):
    if f["kind"] == "open_port": print("%s:%d" % (f["target"], f["port"]))' | sort; }
api=$(ports_of < "$dir/body")
[ "$api" = "$ref" ] || fail "the parent's findings (API): $api; unsplit: $ref"
cli=$(q findings "$id" --json | ports_of)
[ "$cli" = "$ref" ] || fail "the parent's findings (CLI): $cli; unsplit: $ref"
q show "$id" | grep -q "shards: 16 (16 completed" || fail "show does not count the shards"
ok "the parent's findings, one list in the API and the CLI, equal the unsplit scan's"

# The parent's summary adds up what is a share of the whole (hosts, open
# ports, findings by severity) but not the port list's length, which
# every shard scanned in full: the unsplit scan's numbers.
python3 - "$(sql "SELECT summary FROM scans WHERE id = $id")" "$(sql "SELECT summary FROM scans WHERE id = $one")" <<'PY' \
	|| fail "the split scan's summary differs from the unsplit one's"
import json, sys
split, one = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for k in ("ports", "hosts", "open", "findings", "severity"):
    assert split[k] == one[k], (k, split[k], one[k])
PY
ok "the split scan's summary: ports $(sql "SELECT summary FROM scans WHERE id = $id" | sed -n 's/.*"ports":\([0-9]*\).*/\1/p') as unsplit (not summed over 16 shards), hosts, open and severity summed"

# Change tracking sees a split scan as one result: the same scan again is
# compared, parent with parent, with nothing changed; shards have no
# baseline of their own.
code=$(req POST /api/v1/scans -H 'Content-Type: application/json' -d '{"type": "portscan",
	"targets": ["127.1.0.0/20"], "ports": "'"$PORTS"'", "options": {"rate": 4000}}')
[ "$code" = 202 ] || fail "submit: $code $(cat "$dir/body")"
id2=$(json_field id)
wait_for 180 "the second split scan $id2" finished
[ "$(status "$id2")" = completed ] || fail "second split scan: $(status "$id2")"
[ "$(sql "SELECT baseline_id || ' ' || new || ' ' || gone || ' ' || changed FROM scan_baselines
	WHERE scan_id = $id2")" = "$id 0 0 0" ] \
	|| fail "the second split scan's baseline: $(sql "SELECT * FROM scan_baselines WHERE scan_id = $id2")"
[ "$(sql "SELECT count(*) FROM scan_baselines b JOIN scans s ON s.id = b.scan_id
	WHERE (s.flow & 4) <> 0")" = 0 ] || fail "shards were compared on their own"
# Read as a chain, a split scan is one scan: its shards are not stages.
q diff "$id2" --chain | head -1 | grep -q "^chain of scan $id2: 1 scan, 1 compared: 0 new, 0 gone, 0 changed\$" \
	|| fail "diff --chain of a split scan: $(q diff "$id2" --chain | head -3)"
ok "a split scan is compared with its baseline as one result, its shards not on their own"

# Cancel and retry of a split scan.
kill -TERM "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
[ "$BACKEND" = pg ] && { kill -TERM "$last_pid"; wait "$last_pid" 2>/dev/null; }
c=$(q submit portscan 127.1.0.0/20 --ports 1) || fail "submit"
q cancel "$c" >/dev/null || fail "cancel"
[ "$(status "$c")" = cancelled ] || fail "parent not cancelled: $(status "$c")"
[ "$(sql "SELECT count(*) FROM scans WHERE parent_id = $c AND status = 'cancelled'")" = 16 ] \
	|| fail "the shards were not cancelled with the parent"
q retry "$c" >/dev/null || fail "retry"
[ "$(status "$c")" = running ] && [ "$(sql "SELECT count(*) FROM scans WHERE parent_id = $c AND status = 'pending'")" = 16 ] \
	|| fail "retry: parent $(status "$c"), shards not pending"
start_serve --workers 2 --concurrency 4
wait_for 120 "the retried split scan $c" finished
[ "$(status "$c")" = completed ] || fail "retried parent: $(status "$c")"
[ "$(sql "SELECT count(*) FROM scans WHERE parent_id = $c AND attempt = 1")" = 16 ] || fail "a shard ran twice"
ok "cancel of a split scan cancels its shards; its retry runs them, and it completes"

f=$(q submit test-fail 127.1.0.0/23 --max-attempts 1 --options '{"exit": 3}') || fail "submit"
wait_for 60 "the failing split scan $f" finished
[ "$(status "$f")" = failed ] || fail "parent of failed shards: $(status "$f")"
[ "$(sql "SELECT error_code FROM scans WHERE id = $f")" = shard_failed ] || fail "error code"
msg=$(sql "SELECT error_message FROM scans WHERE id = $f")
named=$(echo "$msg" | sed -n 's/^shards did not complete: \([0-9]*\) (exit_status).*/\1/p')
[ -n "$named" ] && [ "$(sql "SELECT parent_id || status FROM scans WHERE id = $named")" = "${f}failed" ] \
	|| fail "the failed shard is not named: $msg"
ok "a shard out of attempts fails its parent, which names it"

out=$(SCANQ_FLOW_SHARD_ADDRESSES=0 q submit portscan 127.1.0.0/20 2>&1) && fail "shard_addresses 0 accepted"
echo "$out" | grep -qi "shard_addresses" || fail "the message does not name the setting: $out"
ok "a bad shard setting is refused, naming it"
