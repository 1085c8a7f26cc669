#!/bin/bash
# The operator's tools on a real database: the stuck report and lease
# recovery from the CLI, `serve` healing an expired lease by itself,
# pruning, and doctor's verdicts.
. "$(dirname "$0")/lib.sh"

# A scan "claimed" by a worker that then vanished: claim it with a lease of
# one millisecond straight through SQL, as a dead worker would leave it.
a=$(sq submit test-ok 127.0.0.1)
b=$(sq submit test-ok 127.0.0.1)
sql "UPDATE scans SET status='running', attempt=1, worker_id='w-gone',
	claimed_at=1, lease_expires_at=1 WHERE id=$a;
	INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt, worker_id, reason)
	VALUES ($a, 1, 'pending', 'running', 1, 'w-gone', 'claimed')" || fail "setup"

sq stuck | grep -q "^1 stuck scan" || fail "stuck: expired lease not reported"
sq stuck | grep -q "lease_expired" || fail "stuck: reason"
sq stuck --max-age-hours 0 | grep -q "^2 stuck scans" || fail "stuck: overdue pending not reported"
sq stuck --json | grep -q '"stuck_scans": 1' || fail "stuck --json"
before=$(db_hash)
sq stuck --recover --dry-run | grep -q "would take back 1" || fail "dry run"
[ "$(db_hash)" = "$before" ] || fail "a dry run changed the database"
sq stuck --recover | grep -q "1 back to pending" || fail "recover"
[ "$(status_of "$a")" = pending ] || fail "recovered scan is not pending"
sq show "$a" | grep -q "lease expired; worker w-gone lost" || fail "timeline names the lost worker"
ok "stuck report, dry run and recovery"

# serve heals an expired lease by itself within seconds (and its workers
# then run the scan to the end).
sql "UPDATE scans SET status='running', attempt=2, worker_id='w-gone',
	lease_expires_at=1 WHERE id=$b" || fail "setup 2"
"$SCANQ" --db "$DB" serve 2>"$T/serve.log" & PIDS="$PIDS $!"
recovered() { sq show "$b" | grep -q "attempt 2  w-gone  lease expired; worker w-gone lost"; }
wait_for 20 recovered || fail "serve did not recover the lease: $(cat "$T/serve.log")"
grep -q 'msg="expired leases recovered"' "$T/serve.log" || fail "serve did not log the recovery"
wait_for 30 sh -c "\"$SCANQ\" --db '$DB' show $b | grep -q '^scan $b  test-ok  completed'" \
	|| fail "the recovered scan was not completed by a live worker"
kill -TERM $PIDS; wait 2>/dev/null; PIDS=""
grep -q 'msg="scanq stopped"' "$T/serve.log" || fail "serve did not stop cleanly on SIGTERM"
ok "serve recovers expired leases and stops on SIGTERM"

# prune: only finished scans older than the cut-off.
c=$(sq submit test-ok 127.0.0.1)
sql "UPDATE scans SET finished_at = finished_at - 3456000000 WHERE id=$a" || fail "age"
sq prune --dry-run | grep -q "would delete 1 " || fail "prune dry run"
sq prune | grep -q "deleted 1 " || fail "prune"
sq show "$a" >/dev/null 2>&1 && fail "pruned scan still there"
[ "$(status_of "$b")" = completed ] || fail "young scan pruned"
[ "$(status_of "$c")" = pending ] || fail "pending scan pruned"
[ "$(sql "SELECT count(*) FROM scan_events WHERE scan_id=$a")" = 0 ] || fail "events left"
sq prune --older-than-days 0 | grep -q "deleted 1 " || fail "prune 0 days"
[ "$(status_of "$c")" = pending ] || fail "pending scan pruned at 0 days"
ok "prune"

# doctor: pending scans and no live worker is a failure; exit 1.
sq doctor > "$T/doc.txt"; rc=$?
[ "$rc" = 1 ] || fail "doctor exited $rc with scans waiting and no worker"
grep -q "^fail  workers.alive" "$T/doc.txt" || fail "doctor workers.alive"
grep -q "^ok    db.schema" "$T/doc.txt" || fail "doctor db.schema"
sq cancel "$c" >/dev/null
sq doctor >/dev/null || fail "doctor fails with nothing pending"
sq doctor --json | grep -q '"check": "queue.backlog"' || fail "doctor --json"
"$SCANQ" --db "sqlite:///nonexistent-dir/x.db" doctor | grep -q "^fail  db.open" \
	|| fail "doctor on an unreachable database"
ok "doctor"

for bad in "stuck --max-age-hours -1" "stuck --dry-run" "prune --batch 0" "prune --older-than-days x" "doctor extra"; do
	before=$(db_hash)
	# shellcheck disable=SC2086
	out=$(sq $bad 2>&1); rc=$?
	[ "$rc" = 2 ] || fail "'scanq $bad' exited $rc"
	echo "$out" | head -1 | grep -q "^error: " || fail "'scanq $bad' said $out"
	[ "$(db_hash)" = "$before" ] || fail "'scanq $bad' changed the database"
done
ok "bad operator input is refused"
