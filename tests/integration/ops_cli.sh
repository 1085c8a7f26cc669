#!/bin/bash
# The operator CLI:
#  - `scanq config show`: every effective value with its source (default,
#    file:line, environment, flag), also as JSON; an unknown SCANQ_*
#    variable is warned about at the start of any command, naming the
#    closest known one, and known ones are not;
#  - `scanq queue status --watch [SECONDS]`: one line per interval when
#    piped, redrawn in place on a terminal, JSON lines with --json; the
#    throughput of the last 1 and 5 minutes; "oldest pending" counted from
#    when the scan became due (run_after), not created_at.
source "$(dirname "$0")/lib.sh"

# ---- config show ---------------------------------------------------------------
printf '; test settings\n[worker]\nlease = 45\n\n[scope]\nallow = 127.0.0.0/8, ::1\n[webhooks]\nallow = 127.0.0.2/32\n' >"$T/s.ini"
out=$(SCANQ_WORKER_GRACE=7 "$S" --config "$T/s.ini" --db "$DB" config show 2>"$T/err") || fail "config show"
[ -s "$T/err" ] && fail "config show warned: $(cat "$T/err")"
has() { echo "$out" | grep -Eq "^$1 +=  *$2 +\($3\)\$" || fail "config show lacks $1 = $2 ($3): $(echo "$out" | grep "^$1 ")"; }
has worker.lease 45 "file $T/s.ini:3"
has scope.allow "127.0.0.0/8, ::1" "file $T/s.ini:6"
# each list shows its own values, not another section's of the same key
has webhooks.allow "127.0.0.2/32" "file $T/s.ini:8"
has worker.grace 7 "environment SCANQ_WORKER_GRACE"
has worker.max_attempts 3 default
has database.url "$DB" "flag --db"
echo "$out" | grep -q '^profile.vuln.parser  *= nmap-xml  *(default)$' || fail "profiles: $out"
[ "$(echo "$out" | wc -l)" -ge 30 ] || fail "config show lists only $(echo "$out" | wc -l) settings"
out=$(DATABASE_URL="$DB" "$S" config show --json) || fail "config show --json"
echo "$out" | grep -q '"source": "environment DATABASE_URL"' || fail "json: $out"
q config frob 2>/dev/null; [ $? = 2 ] || fail "config frob is a usage error"
ok "config show: default, file:line, environment, flag; JSON"

q migrate >/dev/null || fail "migrate"	# list only reads: it never creates the database
warned=$(SCANQ_WORKER_LEESE=60 q list 2>&1 >/dev/null)
[ "$warned" = "warning: unknown environment variable SCANQ_WORKER_LEESE is ignored (did you mean SCANQ_WORKER_LEASE?)" ] \
	|| fail "misspelled variable: '$warned'"
warned=$(SCANQ_HTTP_LISTN=127.0.0.1:1 q queue status 2>&1 >/dev/null)
[[ $warned == *"SCANQ_HTTP_LISTN"*"did you mean SCANQ_HTTP_LISTEN?"* ]] || fail "listn: '$warned'"
warned=$(SCANQ_WEB_DIRR=/x q config show 2>&1 >/dev/null)
[[ $warned == *"did you mean SCANQ_WEB_DIR?"* ]] || fail "web dir: '$warned'"
[ -z "$(SCANQ_WORKER_LEASE=60 SCANQ_LOG_LEVEL=info SCANQ_TEST_ANYTHING=1 q list 2>&1 >/dev/null)" ] \
	|| fail "known variables were warned about"
ok "an unknown SCANQ_* variable is warned about at start, naming the closest known one"

# ---- queue status: oldest pending from run_after, throughput -------------------
old=$(q submit test-ok 127.0.0.1) || fail "submit"
later=$(q submit test-ok 127.0.0.1) || fail "submit"
now=$(now_ms)
# Created three hours ago, due (retried) just now; the other due in an hour.
sql "UPDATE scans SET created_at = $now - 10800000, run_after = $now - 5000 WHERE id = $old" >/dev/null
sql "UPDATE scans SET created_at = $now - 20000000, run_after = $now + 3600000 WHERE id = $later" >/dev/null
age=$(q queue status --json | sed -n 's/.*"oldest_pending_s": *\([0-9.]*\).*/\1/p')
[ -n "$age" ] && awk "BEGIN { exit !($age >= 4 && $age < 120) }" || fail "oldest pending is ${age}s, not ~5s from run_after"
q queue status | grep -q "oldest due [0-9.]*s ago" || fail "text: $(q queue status)"
sql "UPDATE scans SET run_after = $now - 5000 WHERE id = $later" >/dev/null
for i in 1 2 3; do q submit test-ok 127.0.0.1 >/dev/null; done
q worker --once --name w1 --concurrency 8 >"$dir/w1.log" 2>&1 || fail "worker --once"
done5() { [ "$(sql "SELECT count(*) FROM scans WHERE status = 'completed'")" = 5 ]; }
wait_for 30 "five scans to complete" done5
j=$(q queue status --json)
echo "$j" | grep -q '"finished_last_5_minutes": 5' || fail "5 min: $j"
echo "$j" | grep -Eq '"last_1m": 5(\.0+)?,' || fail "1 min throughput: $j"
echo "$j" | grep -Eq '"last_5m": 1(\.0+)?' || fail "5 min throughput: $j"
q queue status | grep -q "throughput: 5.0/min over 1 min, 1.0/min over 5 min" || fail "text: $(q queue status)"
ok "oldest pending counts from run_after; throughput over 1 and 5 minutes"


# ---- --watch ----------------------------------------------------------------------
lines=$(q queue status --watch 1 --count 3) || fail "--watch piped"
[ "$(echo "$lines" | wc -l)" = 3 ] || fail "3 refreshes printed: $lines"
echo "$lines" | grep -Evq '^[0-9T:.-]+Z pending=0 running=0 completed=5 failed=0 cancelled=0 oldest_pending_s=[0-9.]+ per_min_1m=[0-9.]+ per_min_5m=[0-9.]+ workers=[0-9]+/[0-9]+/[0-9]+$' \
	&& fail "a piped line: $lines"
[ "$(q queue status --watch --json --count 2 | grep -c '^{"by_status"')" = 2 ] || fail "json lines"
script -qec "$S --db '$DB' queue status --watch 1 --count 2" /dev/null >"$T/tty" 2>&1 || fail "--watch on a terminal"
[ "$(grep -c $'\e\[H\e\[2J' "$T/tty")" = 2 ] || fail "no redraw in place: $(cat -v "$T/tty" | head -3)"
grep -q "throughput:" "$T/tty" || fail "tty output"
q queue status --watch 0 2>/dev/null; [ $? = 2 ] || fail "--watch 0 accepted"
q queue status --count 2 2>/dev/null; [ $? = 2 ] || fail "--count without --watch accepted"
ok "queue status --watch: lines when piped, redrawn in place on a terminal, JSON lines"

# ---- worker --once with nothing due ------------------------------------------------
# A scan due in an hour is not work for --once: it exits at once and leaves it.
future=$(q submit test-ok 127.0.0.1) || fail "submit"
sql "UPDATE scans SET run_after = $(now_ms) + 3600000 WHERE id = $future" >/dev/null
timeout 20 "$S" --db "$DB" worker --once --name w0 >"$dir/w0.log" 2>&1 || fail "worker --once with nothing due: rc $? $(tail -n 3 "$dir/w0.log")"
grep -q 'msg="nothing due, worker exits"' "$dir/w0.log" || fail "no 'nothing due' line: $(tail -n 3 "$dir/w0.log")"
is_status "$future" pending || fail "the future scan is $(status "$future")"
q cancel "$future" >/dev/null || fail "cancel the future scan"
ok "worker --once with nothing due exits at once, leaving a future scan pending"
