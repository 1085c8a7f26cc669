#!/bin/bash
# doctor --check NAME: each check driven to ok, warn and fail by editing the
# database (or a threshold) as far as the check has that verdict.  Not
# drivable: db.reachable and db.schema have no warn; workers.dead and
# scanners.tools no fail; scans.fenced is informational (always ok);
# storage.disk_space is always ok on PostgreSQL (the disk is the server's).
source "$(dirname "$0")/lib.sh"

# verdict WANT CHECK [ENV...]: `doctor --check CHECK` says WANT, exits 1 on fail
verdict() {
	local want=$1 name=$2 out rc; shift 2
	out=$(env "$@" "$S" --db "$DB" doctor --check "$name" 2>&1); rc=$?
	printf '%-5s %s\n' "$want" "$name" >>"$dir/driven"
	echo "$out" | grep -q "^$(printf '%-5s' "$want") $name " || fail "$name: wanted $want, got: $out"
	[ "$(echo "$out" | wc -l)" = 1 ] || fail "$name printed more than its one line: $out"
	if [ "$want" = fail ]; then [ "$rc" = 1 ] || fail "$name fail exited $rc"; else
		[ "$rc" = 0 ] || fail "$name $want exited $rc"; fi
	[ "$want" = ok ] || echo "$out" | grep -q "fix: " || fail "$name $want without a fix: $out"
}
now=$(now_ms)
min=60000
q migrate >/dev/null || fail "migrate"

# db.reachable, db.schema
verdict ok db.reachable
out=$("$S" --db "sqlite:///nonexistent-dir/x.db" doctor --check db.reachable); rc=$?
[ "$rc" = 1 ] && echo "$out" | grep -q "^fail  db.reachable .*fix: " || fail "unreachable: $rc $out"
echo "fail  db.reachable" >>"$dir/driven"
echo "$out" | grep -q "ms" || true
q doctor --check db.reachable | grep -q "a query in [0-9.]* ms" || fail "db.reachable without latency"
verdict ok db.schema
sql "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from the future', 0)" >/dev/null \
	|| fail "setup schema"
verdict fail db.schema
sql "DELETE FROM schema_migrations WHERE version = 99" >/dev/null || fail "undo schema"
ok "db.reachable: ok, fail; db.schema: ok, fail"

# workers.alive: no worker and nothing pending (warn), a scan pending (fail),
# a live worker (ok); workers.dead: a silent worker holding a scan (warn).
verdict warn workers.alive
a=$(q submit test-ok 127.0.0.1)
verdict fail workers.alive
sql "INSERT INTO workers (id, name, host, pid, started_at, heartbeat_at, concurrency)
     VALUES ('w-live@h:1', 'w-live', 'h', 1, $now, $(now_ms), 1)" || fail "live worker"
verdict ok workers.alive
verdict ok workers.dead
b=$(q submit test-ok 127.0.0.1)
sql "INSERT INTO workers (id, name, host, pid, started_at, heartbeat_at, concurrency)
     VALUES ('w-dead@h:2', 'w-dead', 'h', 2, 1, 1, 1);
     UPDATE scans SET status='running', attempt=1, worker_id='w-dead@h:2', claimed_at=$now
     WHERE id=$b;
     INSERT INTO leases (scan_id, attempt, worker_id, lease_expires_at)
     VALUES ($b, 1, 'w-dead@h:2', $((now + 3600000)))" || fail "dead worker"
verdict warn workers.dead
sql "UPDATE scans SET status='pending', worker_id=NULL WHERE id=$b;
     DELETE FROM leases WHERE scan_id=$b;
     DELETE FROM workers WHERE id='w-dead@h:2'" || fail "undo dead"
ok "workers.alive: ok, warn, fail; workers.dead: ok, warn"

# queue.backlog by its thresholds
verdict ok queue.backlog
verdict warn queue.backlog SCANQ_MAINTENANCE_BACKLOG_WARN=2
verdict fail queue.backlog SCANQ_MAINTENANCE_BACKLOG_WARN=1 SCANQ_MAINTENANCE_BACKLOG_FAIL=2
# queue.oldest_pending counts from when a scan became due: a retry whose
# backoff ends in an hour is not old, however old the scan.
sql "UPDATE scans SET created_at = $((now - 5 * 3600000)), run_after = $((now + 3600000)) WHERE id IN ($a, $b)" \
	|| fail "setup not due"
verdict ok queue.oldest_pending
q queue status --json | grep -q '"oldest_pending_s": 0' || fail "queue status counts a scan not yet due"
sql "UPDATE scans SET run_after = $((now - 20 * min)) WHERE id = $a" || fail "setup 20 min"
verdict warn queue.oldest_pending
sql "UPDATE scans SET run_after = $((now - 3 * 60 * min)) WHERE id = $a" || fail "setup 3 h"
verdict fail queue.oldest_pending
ok "queue.backlog and queue.oldest_pending (from when due): ok, warn, fail"

# scans.stuck: the overdue scan with a live worker is a backlog (warn); an
# invariant broken (fail); none (ok).
verdict warn scans.stuck
c=$(q submit test-ok 127.0.0.1)
sql "UPDATE scans SET status='completed', attempt=1 WHERE id=$c" || fail "setup broken"
verdict fail scans.stuck
q stuck clear --force >/dev/null || fail "clear"
sql "UPDATE scans SET run_after = $now WHERE id = $a" || fail "undo overdue"
verdict ok scans.stuck
ok "scans.stuck: ok, warn, fail"

# scans.failure_rate over the last hour's timeline
verdict ok scans.failure_rate
ev() { sql "INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt, reason)
	    VALUES ($a, $(now_ms), 'running', '$1', 1, 'test')" >/dev/null || fail "event"; }
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19; do ev completed; done
verdict ok scans.failure_rate
ev failed; ev failed
verdict warn scans.failure_rate
ev failed; ev failed
verdict fail scans.failure_rate
ok "scans.failure_rate: ok, warn (2 of 21), fail (4 of 23)"

verdict ok scans.fenced

# storage.disk_space by its thresholds (SQLite: the database's folder)
verdict ok storage.disk_space
if [ "$BACKEND" = sqlite ]; then
	verdict warn storage.disk_space SCANQ_MAINTENANCE_DISK_WARN=100
	# ... and by its margin in MiB, whatever the percent (1 TiB: more than is free)
	verdict warn storage.disk_space SCANQ_MAINTENANCE_DISK_WARN=0 SCANQ_MAINTENANCE_DISK_WARN_MB=1048576
	verdict fail storage.disk_space SCANQ_MAINTENANCE_DISK_WARN=100 SCANQ_MAINTENANCE_DISK_FAIL=100
fi

# scanners.tools: every profile's tool present (ok), one missing (warn)
cat >"$dir/ok.conf" <<'CONF'
[profile.vuln]
argv = echo {targets}
parser = lines
[profile.nmap]
argv = echo {targets}
parser = lines
[profile.nuclei]
argv = echo {targets}
parser = lines
CONF
sed '/^\[profile.nuclei\]/,$ s/^argv = .*/argv = no-such-scanner-tool {targets}/' "$dir/ok.conf" >"$dir/warn.conf"
verdict ok scanners.tools SCANQ_CONFIG="$dir/ok.conf"
verdict warn scanners.tools SCANQ_CONFIG="$dir/warn.conf"
q doctor --check scanners.tools | grep -q "portscan" || fail "scanners.tools does not name the built-in scanners"
ok "storage.disk_space and scanners.tools"

# schedules.firing: ok with a schedule due later, fail once one is past due
# by more than two minutes (as if no serve had run its scheduler).
q schedule add doctor-check --cron "0 3 * * *" portscan 127.0.0.1 >/dev/null || fail "schedule add"
verdict ok schedules.firing
sql "UPDATE schedules SET next_run_at = next_run_at - 86400000 - 600000 WHERE name = 'doctor-check'" >/dev/null
verdict fail schedules.firing
q doctor --check schedules.firing | grep -q "doctor-check" || fail "schedules.firing does not name the late schedule"
out=$(q stuck report); rc=$?
[ "$rc" = 1 ] && echo "$out" | grep -q "^schedules_not_fired: 1" && echo "$out" | grep -q "schedule doctor-check" \
	|| fail "stuck report (exit $rc) does not list the late schedule: $out"
q stuck report --json | grep -q '"schedules_not_fired": \[' || fail "stuck report --json lacks schedules_not_fired"
q schedule rm doctor-check >/dev/null || fail "schedule rm"
for action in "schedule add" "schedule rm"; do
	[ "$(sql "SELECT count(*) FROM audit WHERE action = '$action' AND detail = 'schedule doctor-check'
		AND actor LIKE 'cli:%'")" = 1 ] || fail "no audit row for $action: $(q audit)"
done
ok "schedules.firing: ok, and fail naming a schedule that did not fire, as stuck report does; schedule changes audited"

# The whole report, and --json
q doctor --json >"$dir/all.json"; rc=$?
for name in db.reachable db.schema workers.alive workers.dead queue.backlog queue.oldest_pending \
	scans.failure_rate scans.stuck scans.fenced schedules.firing storage.disk_space scanners.tools; do
	grep -q "\"check\": \"$name\"" "$dir/all.json" || fail "doctor --json lacks $name"
done
echo "driven on $BACKEND:"; sort -u "$dir/driven" | sed 's/^/  /'
ok "doctor runs every check; each driven as far as it goes"
