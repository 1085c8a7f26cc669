#!/bin/bash
# The operator's tools on a real database: the stuck report and lease
# recovery from the CLI, `serve` healing an expired lease by itself,
# pruning, and doctor's verdicts.
source "$(dirname "$0")/lib.sh"

# A scan "claimed" by a worker that then vanished: claim it with a lease of
# one millisecond straight through SQL, as a dead worker would leave it.
a=$(q submit test-ok 127.0.0.1)
b=$(q submit test-ok 127.0.0.1)
sql "UPDATE scans SET status='running', attempt=1, worker_id='w-gone',
	claimed_at=1 WHERE id=$a;
	INSERT INTO leases (scan_id, attempt, worker_id, lease_expires_at) VALUES ($a, 1, 'w-gone', 1);
	INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt, worker_id, reason)
	VALUES ($a, 1, 'pending', 'running', 1, 'w-gone', 'claimed')" || fail "setup"

q stuck | grep -q "^1 stuck scan" || fail "stuck: expired lease not reported"
q stuck | grep -q "lease_expired" || fail "stuck: reason"
q stuck --max-age-hours 0 | grep -q "^2 stuck scans" || fail "stuck: overdue pending not reported"
q stuck --json | grep -q '"stuck_scans": 1' || fail "stuck --json"
before=$(db_hash)
q stuck --recover --dry-run | grep -q "would take back 1" || fail "dry run"
[ "$(db_hash)" = "$before" ] || fail "a dry run changed the database"
q stuck --recover | grep -q "1 back to pending" || fail "recover"
[ "$(status "$a")" = pending ] || fail "recovered scan is not pending"
q show "$a" | grep -q "lease expired; worker w-gone lost" || fail "timeline names the lost worker"
ok "stuck report, dry run and recovery"

# serve heals an expired lease by itself within seconds (and its workers
# then run the scan to the end).
sql "UPDATE scans SET status='running', attempt=2, worker_id='w-gone' WHERE id=$b;
	INSERT INTO leases (scan_id, attempt, worker_id, lease_expires_at)
	VALUES ($b, 2, 'w-gone', 1)" || fail "setup 2"
"$S" --db "$DB" serve 2>"$dir/serve.log" & pids+=($!)
recovered() { q show "$b" | grep -q "attempt 2  w-gone  lease expired; worker w-gone lost"; }
wait_for 20 "serve to recover the expired lease" recovered
grep -q 'msg="expired leases recovered"' "$dir/serve.log" || fail "serve did not log the recovery"
wait_for 30 "the recovered scan completed by a live worker" \
	sh -c "\"$S\" --db '$DB' show $b | grep -q '^scan $b  test-ok  completed'"
kill -TERM "${pids[@]}"; wait 2>/dev/null; pids=()
grep -q 'msg="scanq stopped"' "$dir/serve.log" || fail "serve did not stop cleanly on SIGTERM"
ok "serve recovers expired leases and stops on SIGTERM"

# prune: only finished scans older than the cut-off.
c=$(q submit test-ok 127.0.0.1)
sql "UPDATE scans SET finished_at = finished_at - 3456000000 WHERE id=$a" || fail "age"
q prune --dry-run | grep -q "would delete 1 " || fail "prune dry run"
q prune </dev/null >/dev/null 2>&1 && fail "prune without --yes on a non-terminal deleted"
q prune --yes | grep -q "deleted 1 " || fail "prune"
q show "$a" >/dev/null 2>&1 && fail "pruned scan still there"
[ "$(status "$b")" = completed ] || fail "young scan pruned"
[ "$(status "$c")" = pending ] || fail "pending scan pruned"
[ "$(sql "SELECT count(*) FROM scan_events WHERE scan_id=$a")" = 0 ] || fail "events left"
q prune --older-than-days 0 --yes | grep -q "deleted 1 " || fail "prune 0 days"
[ "$(status "$c")" = pending ] || fail "pending scan pruned at 0 days"
ok "prune"

# doctor: pending scans and no live worker is a failure; exit 1.
q doctor > "$dir/doc.txt"; rc=$?
[ "$rc" = 1 ] || fail "doctor exited $rc with scans waiting and no worker"
grep -q "^fail  workers.alive" "$dir/doc.txt" || fail "doctor workers.alive"
grep -q "^ok    db.schema" "$dir/doc.txt" || fail "doctor db.schema"
q cancel "$c" >/dev/null
q doctor >/dev/null || fail "doctor fails with nothing pending"
q doctor --json | grep -q '"check": "queue.backlog"' || fail "doctor --json"
"$S" --db "sqlite:///nonexistent-dir/x.db" doctor | grep -q "^fail  db.reachable" \
	|| fail "doctor on an unreachable database"
ok "doctor"

for bad in "stuck --max-age-hours -1" "stuck --dry-run" "prune --batch 0" "prune --older-than-days x" "doctor extra"; do
	before=$(db_hash)
	# shellcheck disable=SC2086
	out=$(q $bad 2>&1); rc=$?
	[ "$rc" = 2 ] || fail "'scanq $bad' exited $rc"
	echo "$out" | head -1 | grep -q "^error: " || fail "'scanq $bad' said $out"
	[ "$(db_hash)" = "$before" ] || fail "'scanq $bad' changed the database"
done
ok "bad operator input is refused"
