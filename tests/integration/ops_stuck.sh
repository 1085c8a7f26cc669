#!/bin/bash
# The stuck report and its repairs, built the way a crash would leave the
# database: every category made on purpose with SQL; `stuck report` finds
# each (and exits 1), `stuck clear --dry-run` changes nothing (the whole
# database hashes the same), `stuck clear` repairs each with a timeline
# entry and an audit row.  Then the emergency reset, on this backend.
source "$(dirname "$0")/lib.sh"

now=$(now_ms)
H=3600000
new() { q submit test-ok 127.0.0.1; }
ev() { # ev SCAN AT FROM TO ATTEMPT WORKER
	sql "INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt, worker_id, reason)
	     VALUES ($1, $2, $3, '$4', $5, $6, 'test')" >/dev/null || fail "event for $1"
}

# lease_expired: running, its worker gone, the lease long over.
lease=$(new)
sql "UPDATE scans SET status='running', attempt=1, worker_id='w-gone', claimed_at=1 WHERE id=$lease;
     INSERT INTO leases (scan_id, attempt, worker_id, lease_expires_at)
     VALUES ($lease, 1, 'w-gone', 1)" || fail "setup lease"
ev "$lease" 1 "'pending'" running 1 "'w-gone'"
# over_time_limit: running for hours past a 60 s limit, the lease still renewed.
slow=$(new)
sql "UPDATE scans SET status='running', attempt=1, worker_id='w-slow', time_limit_s=60,
     claimed_at=$((now - 2 * H)) WHERE id=$slow;
     INSERT INTO leases (scan_id, attempt, worker_id, lease_expires_at)
     VALUES ($slow, 1, 'w-slow', $((now + 600000)))" || fail "setup slow"
ev "$slow" $((now - 2 * H)) "'pending'" running 1 "'w-slow'"
# pending_no_worker: due for 3 hours, no worker registered.
waiting=$(new)
sql "UPDATE scans SET run_after=$((now - 3 * H)) WHERE id=$waiting" || fail "setup waiting"
# finished_without_time: completed at T by its timeline, finished_at lost.
nofin=$(new)
T=$((now - 5000))
sql "UPDATE scans SET status='completed', attempt=1, finished_at=NULL WHERE id=$nofin" || fail "setup nofin"
ev "$nofin" $((T - 1000)) "'pending'" running 1 "'w-1'"
ev "$nofin" "$T" "'running'" completed 1 "'w-1'"
# running_without_lease, twice: the timeline says running (back to pending),
# and the timeline says completed (the row follows it).
nolease=$(new)
sql "UPDATE scans SET status='running', attempt=1, worker_id=NULL,
     claimed_at=$now WHERE id=$nolease" || fail "setup nolease"
ev "$nolease" "$now" "'pending'" running 1 NULL
nolease2=$(new)
sql "UPDATE scans SET status='running', attempt=1, worker_id='w-2',
     claimed_at=$now WHERE id=$nolease2" || fail "setup nolease2"
ev "$nolease2" "$now" "'pending'" running 1 "'w-2'"
ev "$nolease2" "$T" "'running'" completed 1 "'w-2'"
# cancel_left_set: completed with a cancel request still set.
cancelset=$(new)
sql "UPDATE scans SET status='completed', attempt=1, finished_at=$T, cancel_requested=1
     WHERE id=$cancelset" || fail "setup cancelset"
ev "$cancelset" "$T" "'pending'" completed 1 NULL
# timeline_mismatch, twice: pending but the timeline says failed (the row
# follows); completed but the timeline ends at running (the timeline follows).
tl=$(new)
sql "UPDATE scans SET attempt=1 WHERE id=$tl" || fail "setup tl"
ev "$tl" "$T" "'pending'" failed 1 NULL
tl2=$(new)
sql "UPDATE scans SET status='completed', attempt=1, finished_at=$T WHERE id=$tl2" || fail "setup tl2"
ev "$tl2" "$T" "'pending'" running 1 NULL
# attempt_over_budget: pending with attempt 5 of 3.
budget=$(new)
sql "UPDATE scans SET attempt=5, attempt_base=0, max_attempts=3 WHERE id=$budget" || fail "setup budget"
ev "$budget" "$now" "'running'" pending 5 NULL

q stuck report --max-age-hours 1 >"$dir/report.txt"; rc=$?
[ "$rc" = 1 ] || fail "stuck report exited $rc with stuck scans"
has() { # has CATEGORY SCAN: the report lists SCAN under CATEGORY
	awk -v c="$1:" -v id="$2" '$1 == c { on = 1; next } /^[a-z_]+: / { on = 0 }
		on && $1 == "scan" && $2 == id { found = 1 } END { exit !found }' "$dir/report.txt"
}
for pair in lease_expired:$lease over_time_limit:$slow pending_no_worker:$waiting \
	finished_without_time:$nofin running_without_lease:$nolease running_without_lease:$nolease2 \
	cancel_left_set:$cancelset timeline_mismatch:$tl timeline_mismatch:$tl2 \
	attempt_over_budget:$budget; do
	has "${pair%%:*}" "${pair#*:}" || { cat "$dir/report.txt"; fail "report lacks ${pair%%:*} scan ${pair#*:}"; }
done
grep -q "fix: " "$dir/report.txt" || fail "report without a fix"
q stuck report --max-age-hours 1 --json >"$dir/report.json"
grep -q '"name": "pending_no_worker"' "$dir/report.json" || fail "report --json"
ok "stuck report finds every category, each with its reason and fix"

# The backlog: the same overdue scan while a worker is alive.
sql "INSERT INTO workers (id, name, host, pid, started_at, heartbeat_at, concurrency)
     VALUES ('w-live@h:1', 'w-live', 'h', 1, $now, $(now_ms), 1)" || fail "live worker"
q stuck report --max-age-hours 1 >"$dir/report.txt"
has backlog "$waiting" || fail "an overdue scan with a live worker is not a backlog"
has pending_no_worker "$waiting" && fail "pending_no_worker while a worker is alive"
sql "DELETE FROM workers" || fail "drop worker"
ok "with a live worker, an overdue scan is a backlog"

before=$(db_hash)
q stuck clear --max-age-hours 1 --dry-run >"$dir/dry.txt" || fail "dry run failed"
[ "$(db_hash)" = "$before" ] || fail "stuck clear --dry-run changed the database"
for id in $lease $slow $waiting $nofin $nolease $nolease2 $cancelset $tl $tl2 $budget; do
	grep -q "^would: scan $id " "$dir/dry.txt" || { cat "$dir/dry.txt"; fail "dry run does not show scan $id"; }
done
[ "$(tail -n 1 "$dir/dry.txt")" = "dry run: would make 10 changes to 10 scans" ] \
	|| fail "dry run's count: $(tail -n 1 "$dir/dry.txt")"
out=$(q stuck clear --max-age-hours 1 </dev/null 2>&1); rc=$?
[ "$rc" = 2 ] || fail "stuck clear without --force on a non-terminal exited $rc"
echo "$out" | grep -q "would make 10 changes to 10 scans; stdin is not a terminal" || fail "refusal: $out"
for cmd in "stuck" "stuck clear --dry-run" "stuck report"; do
	out=$(q $cmd --max-age-hours 1.5 2>&1); rc=$?
	[ "$rc" = 2 ] && echo "$out" | grep -q -- "--max-age-hours must be a whole number of hours from 0 to 8760" \
		|| fail "$cmd --max-age-hours 1.5: exit $rc: $out"
done
[ "$(db_hash)" = "$before" ] || fail "a refused --max-age-hours changed the database"
[ "$(db_hash)" = "$before" ] || fail "a refused stuck clear changed the database"
ok "--dry-run prints every change and counts changes and scans; without --force off a terminal it refuses; a fraction of an hour is refused as not a whole number"

q stuck clear --max-age-hours 1 --force >"$dir/clear.txt" || fail "stuck clear: $(cat "$dir/clear.txt")"
# Each the way the timeline says, with a timeline entry.
is_status "$lease" pending || fail "lease_expired scan is $(status "$lease")"
[ "$(sql "SELECT error_code FROM scans WHERE id=$slow")" = timeout ] || fail "over_time_limit not ended as timeout"
is_status "$slow" pending || fail "over_time_limit scan is $(status "$slow") (attempts were left)"
is_status "$waiting" failed || fail "pending_no_worker scan is $(status "$waiting")"
sql_is "SELECT finished_at FROM scans WHERE id=$nofin" "$T" || fail "finished_at not from the timeline"
is_status "$nolease" pending || fail "running without lease (timeline running) is $(status "$nolease")"
sql_is "SELECT attempt_base FROM scans WHERE id=$nolease" 1 || fail "the repair spent an attempt"
is_status "$nolease2" completed || fail "running without lease (timeline completed) is $(status "$nolease2")"
sql_is "SELECT finished_at FROM scans WHERE id=$nolease2" "$T" || fail "nolease2 finished_at"
sql_is "SELECT cancel_requested FROM scans WHERE id=$cancelset" 0 || fail "cancel request left set"
is_status "$tl" failed || fail "timeline said failed; the scan is $(status "$tl")"
is_status "$tl2" completed || fail "the row's completed was lost"
sql_is "SELECT to_status FROM scan_events WHERE scan_id=$tl2 ORDER BY id DESC LIMIT 1" completed \
	|| fail "tl2's timeline not brought up to completed"
is_status "$budget" failed || fail "over budget scan is $(status "$budget")"
for id in $lease $slow $waiting $nofin $nolease $nolease2 $cancelset $tl $tl2 $budget; do
	[ "$(sql "SELECT count(*) FROM scan_events WHERE scan_id=$id AND reason LIKE 'stuck clear:%'")" -ge 1 ] \
		|| fail "scan $id has no timeline entry of the repair"
done
q stuck report --max-age-hours 1 >"$dir/after.txt"; rc=$?
[ "$rc" = 0 ] || { cat "$dir/after.txt"; fail "stuck report after clear exited $rc"; }
q audit | grep -q "cli:.*stuck clear .*10 changes" || fail "stuck clear not in the audit trail: $(q audit)"
ok "stuck clear repairs every category from the timeline, each with a timeline entry and an audit row"

# A second run finds nothing to do (the repairs are idempotent).
q stuck clear --max-age-hours 1 --force | grep -qx "stuck clear: nothing to change" || fail "second clear"
ok "a second clear changes nothing"

# ---- reset --------------------------------------------------------------------
r1=$(new); r2=$(new)
for id in $r1 $r2; do
	sql "UPDATE scans SET status='running', attempt=1, worker_id='w-9@h:9', claimed_at=$now
	     WHERE id=$id;
	     INSERT INTO leases (scan_id, attempt, worker_id, lease_expires_at)
	     VALUES ($id, 1, 'w-9@h:9', $((now + 600000)))" || fail "setup reset"
	ev "$id" "$now" "'pending'" running 1 "'w-9@h:9'"
done
sql "INSERT INTO workers (id, name, host, pid, started_at, heartbeat_at, concurrency)
     VALUES ('w-9@h:9', 'w-9', 'h', 9, $now, $now, 2)" || fail "worker row"
before=$(db_hash)
out=$(q reset 2>&1); rc=$?
[ "$rc" = 2 ] && echo "$out" | grep -q -- "--force" || fail "reset without --force: $rc $out"
[ "$(db_hash)" = "$before" ] || fail "reset without --force changed the database"
q reset --force | grep -q "2 running scans back to pending" || fail "reset --force"
for id in $r1 $r2; do
	is_status "$id" pending || fail "scan $id is $(status "$id") after reset"
	sql_is "SELECT attempt - attempt_base FROM scans WHERE id=$id" 0 || fail "reset spent an attempt of $id"
	q show "$id" | grep -q "reset by cli:" || fail "timeline of $id does not name who reset"
done
sql_is "SELECT count(*) FROM workers" 0 || fail "worker registrations left"
q audit | grep -q "cli:.* reset .*2 running scans back to pending, 1 worker" || fail "reset not audited"
ok "reset --force: running scans back to pending without spending an attempt, workers cleared, audited"

# Bad input changes nothing.
for bad in "stuck report --max-age-hours -1" "stuck report extra" "stuck clear --max-age-hours x" \
	"stuck report --dry-run" "reset --yes" "reset now" "audit --limit 0" "token revoke x" \
	"token create --role admin --expires 5y" "doctor --check nope"; do
	before=$(db_hash)
	# shellcheck disable=SC2086
	out=$(q $bad 2>&1); rc=$?
	[ "$rc" = 2 ] || fail "'$bad' exited $rc: $out"
	[ "$(echo "$out" | grep -c '^error: ')" = 1 ] || fail "'$bad' did not say what was wrong in one line: $out"
	[ "$(db_hash)" = "$before" ] || fail "'$bad' changed the database"
done
ok "bad input: one line, exit 2, nothing changed"
