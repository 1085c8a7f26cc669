#!/bin/bash
# The core CLI on a real database (SQLite or PostgreSQL, see backend.bash): submit, show, list, cancel, retry,
# queue status, migrate; and every bad input is refused with one line on
# stderr, the documented exit code, and the database left unchanged.
source "$(dirname "$0")/lib.sh"

q migrate | grep -q "migrated schema from version 0" || fail "first migrate did not migrate"
q migrate | grep -q "nothing to do" || fail "second migrate changed something"

id=$(q submit test-ok 127.0.0.1) || fail "submit"
[ "$id" = 1 ] || fail "first id is '$id'"
k1=$(q submit test-ok 127.0.0.1 --idempotency-key build-7 2>/dev/null)
k2=$(q submit test-ok 127.0.0.1 --idempotency-key build-7 2>/dev/null)
[ "$k1" = "$k2" ] || fail "idempotency key gave two scans ($k1, $k2)"
# The key with another request: refused, nothing queued.
q submit test-ok 127.0.0.2 --idempotency-key build-7 2>&1 | grep -q idempotency_key_reused \
	|| fail "a reused key with another target was not refused"
q submit test-ok 127.0.0.1 --priority 5 --max-attempts 2 --time-limit 60 --json \
	| grep -q '"status":"pending"' || fail "submit --json"
q show 1 --json | grep -q '"status": "pending"' || fail "show --json status"
q show 1 --json | grep -q '"created_at": "20[0-9-]*T[0-9:.]*Z"' || fail "show: RFC 3339 time"
q show 1 | grep -q "submitted" || fail "show: timeline"
[ "$(q list --json | grep -c '"id":')" = 3 ] || fail "list --json count"
newest=$(q list --json | grep -o '"id": *[0-9]*' | tr -dc '0-9\n' | sort -n | tail -n 1)
q list --status pending --limit 1 | grep -q "^$newest " || fail "list newest first"
q cancel 1 | grep -q cancelled || fail "cancel pending"
[ "$(status 1)" = cancelled ] || fail "status after cancel"
q retry 1 | grep -q pending || fail "retry cancelled"
q queue status | grep -q "queue depth: 3 pending" || fail "queue status"
q queue status --json | grep -q '"pending": 3' || fail "queue status --json"
ok "submit, show, list, cancel, retry, queue status"

# Each bad command: exit code, one line starting with "error:", no change.
bad() { # expected-exit, args...
	local want=$1; shift
	local before after out rc
	before=$(db_hash)
	out=$(q "$@" 2>&1 >/dev/null); rc=$?
	after=$(db_hash)
	[ "$rc" = "$want" ] || fail "'scanq $*' exited $rc, expected $want ($out)"
	echo "$out" | head -1 | grep -q "^error: " || fail "'scanq $*' said: $out"
	[ "$before" = "$after" ] || fail "'scanq $*' changed the database"
	echo "ok - refused: scanq $*  ->  $(echo "$out" | head -1)"
}
bad 1 submit nosuchtype 127.0.0.1
bad 2 submit test-ok
bad 2 submit
bad 1 submit test-ok ";touch /tmp/x"
bad 2 submit test-ok --script=evil
bad 1 submit test-ok -- --script=evil
bad 1 submit test-ok ""
bad 1 submit test-ok $'\e[31mred\nline'   # an escape sequence and a newline
q submit test-ok $'\e[31m' 2>&1 | grep -q $'\e' && fail "an escape byte reached the terminal"
bad 1 submit test-ok 192.0.2.7          # refused at submit: never contacted
bad 1 submit test-ok 127.0.0.0/8        # 16M addresses, over the cap
bad 1 submit test-ok 127.0.0.1 --ports 70000
bad 2 submit test-ok 127.0.0.1 --priority 5000
bad 2 submit test-ok 127.0.0.1 --priority abc
bad 2 submit test-ok 127.0.0.1 --max-attempts 0
bad 2 submit test-ok 127.0.0.1 --time-limit -1
bad 2 submit test-ok 127.0.0.1 --options '[1]'
bad 2 submit test-ok 127.0.0.1 --bogus
bad 2 show abc
bad 2 show 0
bad 2 show -5
bad 2 show 99999999999999999999999
bad 1 show 424242
bad 2 show
bad 2 list --status in_progress
bad 2 list --limit 0
bad 2 list --limit 100000
bad 2 retry x
bad 1 retry 424242
bad 1 retry 2
bad 1 cancel 424242
bad 2 cancel
bad 2 queue
bad 2 queue stats
bad 2 migrate --to 99
bad 2 nosuchcommand
# A completed scan can be neither retried nor cancelled: finish one directly.
sql "UPDATE scans SET status='completed', finished_at=1 WHERE id=2" \
	|| fail "could not prepare a completed scan"
bad 1 retry 2
bad 1 cancel 2
bad 1 --db "postgres://localhost/x" list

q help | grep -q "submit" || fail "help lists commands"
q submit --help | grep -q -- "--idempotency-key" || fail "submit --help"
for c in submit show list retry cancel queue migrate serve scan; do
	"$S" help "$c" | grep -q "^usage: scanq $c" || fail "help $c"
done
ok "help is generated for every command"

# The same commands on PostgreSQL, in a database of this test's own.
if [ -n "${SCANQ_TEST_PG_URL:-}" ]; then
	pgdb="cli_$$_$RANDOM"
	psql -q "$SCANQ_TEST_PG_URL" -c "CREATE DATABASE $pgdb" || fail "createdb"
	PGURL="${SCANQ_TEST_PG_URL%/*}/$pgdb"
	pq() { "$S" --db "$PGURL" "$@"; }
	id=$(pq submit test-ok 127.0.0.1 --idempotency-key once) || fail "pg submit"
	[ "$(pq submit test-ok 127.0.0.1 --idempotency-key once 2>/dev/null)" = "$id" ] || fail "pg idempotency"
	pq show "$id" --json | grep -q '"status": "pending"' || fail "pg show"
	pq cancel "$id" | grep -q cancelled || fail "pg cancel"
	pq retry "$id" | grep -q pending || fail "pg retry"
	pq list --status pending | grep -q "^$id " || fail "pg list"
	pq queue status | grep -q "queue depth: 1 pending" || fail "pg queue status"
	pq retry "$id" 2>&1 | grep -q "^error: scan $id is pending" || fail "pg illegal retry"
	pq doctor | grep -q "postgres backend" || fail "pg doctor"
	psql -q "$SCANQ_TEST_PG_URL" -c "DROP DATABASE $pgdb" || fail "dropdb"
	ok "the CLI on PostgreSQL"
fi

# A command that only reads never creates a database: a mistyped SQLite path
# is one line and exit 1, and no file appears.
typo="$dir/mistyped/scanq.db"
mkdir -p "$dir/mistyped"
for c in "list" "show 1" "queue status" "workers" "findings 1" "diff 1" "inventory" \
	"doctor --check db.reachable"; do
	out=$("$S" --db "sqlite://$typo" $c 2>&1); rc=$?
	[ "$rc" = 1 ] || fail "'$c' on a missing database exited $rc: $out"
	echo "$out" | grep -q "database $typo does not exist" || fail "'$c' on a missing database: $out"
	[ -e "$typo" ] && fail "'$c' created $typo"
done
# ... while a command that writes still creates it (as serve and migrate do).
"$S" --db "sqlite://$typo" submit test-ok 127.0.0.1 >/dev/null || fail "submit on a new file"
[ -e "$typo" ] || fail "submit did not create the database"
ok "read-only commands refuse a database that does not exist"
