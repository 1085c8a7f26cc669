#!/bin/bash
# /api/v1/schedules and /health/scheduler:
#  - the role matrix: no token 401; a viewer reads (list, one) and is
#    refused every write (403); an operator creates, pauses, resumes, runs
#    now and deletes;
#  - bad input answered in one line naming what was wrong, nothing written:
#    a bad cron (the field named), zone, overlap, name, unknown field, scan
#    type, target; a taken name is 409; a missing schedule 404;
#  - a schedule no scheduler can fire (here: serve without the zone
#    database) is reported late by /health/scheduler and `schedule list`.
source "$(dirname "$0")/lib.sh"

q migrate >/dev/null || fail "migrate"
V=$(q token create --role viewer --name v) || fail "viewer token"
O=$(q token create --role operator --name o) || fail "operator token"
start_serve --workers 0
J=(-H 'Content-Type: application/json')
asv=(-H "Authorization: Bearer $V")
aso=(-H "Authorization: Bearer $O")
body='{"name":"api-nightly","cron":"0 3 * * mon-fri","tz":"America/New_York","type":"test-ok","targets":["127.0.0.1"],"ports":"22"}'

# ---- roles -----------------------------------------------------------------------
[ "$(req GET /api/v1/schedules)" = 401 ] || fail "list without a token"
[ "$(req POST /api/v1/schedules "${J[@]}" --data-binary "$body")" = 401 ] || fail "create without a token"
[ "$(req POST /api/v1/schedules "${asv[@]}" "${J[@]}" --data-binary "$body")" = 403 ] || fail "viewer create"
[ "$(req POST /api/v1/schedules "${aso[@]}" "${J[@]}" --data-binary "$body")" = 201 ] || fail "operator create: $(cat "$T/body")"
grep -qi '^location: /api/v1/schedules/[0-9]' "$T/headers" || fail "Location"
[ "$(json_field tz)" = America/New_York ] && [ "$(json_field overlap)" = skip ] || fail "created: $(cat "$T/body")"
next=$(json_field next_run_at)
[[ $next == *T07:00:00.000Z || $next == *T08:00:00.000Z ]] || fail "03:00 New York is 07:00 or 08:00 UTC, not $next"
[ "$(req GET /api/v1/schedules "${asv[@]}")" = 200 ] || fail "viewer list"
grep -q '"name":"api-nightly"' "$T/body" || fail "list: $(cat "$T/body")"
[ "$(req GET /api/v1/schedules/api-nightly "${asv[@]}")" = 200 ] || fail "viewer get"
id=$(json_field id)
[ "$(req GET /api/v1/schedules/$id "${asv[@]}")" = 200 ] || fail "get by id"
for w in pause resume run-now; do
	[ "$(req POST /api/v1/schedules/api-nightly/$w "${asv[@]}")" = 403 ] || fail "viewer $w"
done
[ "$(req DELETE /api/v1/schedules/api-nightly "${asv[@]}")" = 403 ] || fail "viewer delete"
[ "$(req POST /api/v1/schedules/api-nightly/pause "${aso[@]}")" = 200 ] || fail "pause: $(cat "$T/body")"
[ "$(json_field paused)" = true ] && [ "$(json_field next_run_at)" = null ] || fail "paused: $(cat "$T/body")"
[ "$(req POST /api/v1/schedules/api-nightly/resume "${aso[@]}")" = 200 ] || fail "resume"
[ "$(json_field paused)" = false ] || fail "resumed: $(cat "$T/body")"
[ "$(req POST /api/v1/schedules/api-nightly/run-now "${aso[@]}")" = 202 ] || fail "run-now: $(cat "$T/body")"
scan=$(json_field id)
sql_is "SELECT schedule_id FROM scans WHERE id = $scan" "$id" || fail "run-now scan not tagged"
[ "$(req GET /api/v1/scans/$scan "${asv[@]}")" = 200 ] && [ "$(json_field schedule_id)" = "$id" ] || fail "scan JSON: $(cat "$T/body")"
[ "$(req GET /api/v1/schedules/api-nightly "${asv[@]}")" = 200 ] && [ "$(json_field last_status)" = pending ] \
	&& [ "$(json_field last_scan_id)" = "$scan" ] || fail "last status: $(cat "$T/body")"
ok "roles: 401 without a token, viewer reads only (403 on every write), operator creates, pauses, resumes, runs now"

# A schedule of a /22 on one port: run now queues a parent and its 4 shards.
big='{"name":"api-big","cron":"0 3 * * *","type":"test-ok","targets":["127.1.0.0/22"],"ports":"80"}'
[ "$(req POST /api/v1/schedules "${aso[@]}" "${J[@]}" --data-binary "$big")" = 201 ] || fail "create api-big: $(cat "$T/body")"
[ "$(req POST /api/v1/schedules/api-big/run-now "${aso[@]}")" = 202 ] || fail "run-now api-big: $(cat "$T/body")"
bigscan=$(json_field id)
sql_is "SELECT count(*) FROM scans WHERE parent_id = $bigscan" 4 \
	|| fail "run now of a /22: $(sql "SELECT count(*) FROM scans WHERE parent_id = $bigscan") shards, not 4"
[ "$(req DELETE /api/v1/schedules/api-big "${aso[@]}")" = 200 ] || fail "delete api-big: $(cat "$T/body")"
q cancel "$bigscan" >/dev/null || fail "cancel the split scan"	# no worker here runs it
ok "run now of a scheduled /22 through the API queues it split into 4 shards"

# ---- bad input ---------------------------------------------------------------------
before=$(db_hash); sqlite3 "$DBFILE" .dump 2>/dev/null >"$T/before.sql"
bad() {	# STATUS CODE TEXT BODY
	local st
	st=$(req POST /api/v1/schedules "${aso[@]}" "${J[@]}" --data-binary "$4")
	[ "$st" = "$1" ] || fail "$4: $st $(cat "$T/body")"
	[ "$(json_field code)" = "$2" ] || fail "$4: code $(cat "$T/body")"
	grep -q "$3" "$T/body" || fail "$4: detail $(cat "$T/body")"
}
bad 422 invalid_cron "day-of-month field: 32 is out of range 1-31" '{"name":"b","cron":"0 0 32 * *","type":"test-ok","targets":["127.0.0.1"]}'
bad 422 invalid_cron "5 needed" '{"name":"b","cron":"0 0 *","type":"test-ok","targets":["127.0.0.1"]}'
bad 422 invalid_tz "unknown time zone" '{"name":"b","cron":"@daily","tz":"Moon/Base","type":"test-ok","targets":["127.0.0.1"]}'
bad 422 invalid_overlap "overlap must be" '{"name":"b","cron":"@daily","overlap":"both","type":"test-ok","targets":["127.0.0.1"]}'
bad 422 invalid_name "schedule name" '{"name":"a b","cron":"@daily","type":"test-ok","targets":["127.0.0.1"]}'
bad 422 missing_field "cron is required" '{"name":"b","type":"test-ok","targets":["127.0.0.1"]}'
bad 422 unknown_field "unknown field 'cronn'" '{"name":"b","cron":"@daily","cronn":"x","type":"test-ok","targets":["127.0.0.1"]}'
bad 422 invalid_field "cron must be a string" '{"name":"b","cron":5,"type":"test-ok","targets":["127.0.0.1"]}'
bad 422 invalid_type "unknown scan type" '{"name":"b","cron":"@daily","type":"nope","targets":["127.0.0.1"]}'
bad 422 invalid_target "" '{"name":"b","cron":"@daily","type":"test-ok","targets":["bad target!"]}'
bad 403 out_of_scope "out of scope" '{"name":"b","cron":"@daily","type":"test-ok","targets":["192.0.2.1"]}'
bad 400 invalid_json "not valid JSON" '{"name":'
bad 409 name_taken "exists" "$body"
[ "$(req GET /api/v1/schedules/nope "${asv[@]}")" = 404 ] || fail "get missing"
[ "$(req POST /api/v1/schedules/nope/pause "${aso[@]}")" = 404 ] || fail "pause missing"
[ "$(req DELETE /api/v1/schedules/nope "${aso[@]}")" = 404 ] || fail "delete missing"
[ "$(db_hash)" = "$before" ] || { sqlite3 "$DBFILE" .dump | diff "$T/before.sql" - | head; fail "a refused request wrote something"; }
[ "$(req DELETE /api/v1/schedules/api-nightly "${aso[@]}")" = 200 ] || fail "delete"
[ "$(req GET /api/v1/schedules/api-nightly "${asv[@]}")" = 404 ] || fail "deleted but still there"
[ "$(status "$scan")" = pending ] || fail "delete took the scan"
[ "$(req GET /api/v1/scan-types "${asv[@]}")" = 200 ] && grep -q '"name":"test-ok","kind":"builtin"' "$T/body" \
	&& grep -q '"kind":"profile"' "$T/body" || fail "scan types: $(cat "$T/body")"
ok "bad cron (field named), zone, overlap, name, fields, type, target, scope refused; 409, 404; nothing written"

# ---- a late schedule -----------------------------------------------------------------
q cancel "$scan" >/dev/null || fail "cancel"
[ "$(req GET /health/scheduler "${asv[@]}")" = 200 ] && [ "$(json_field status)" = healthy ] || fail "health: $(cat "$T/body")"
kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
# Planned an hour ago (its first run 10 minutes ago), fired by no one:
# this serve cannot read the zone database, so it cannot plan a next run.
SCANQ_TEST_CLOCK="$(now_ms),$(( $(now_ms) - 3600000 )),1" q schedule add late1 --cron "*/50 * * * *" test-ok 127.0.0.1 >/dev/null \
	|| fail "add late1"
sql "UPDATE schedules SET next_run_at = $(( $(now_ms) - 600000 )) WHERE name = 'late1'" >/dev/null
TZDIR=$T/nozones start_serve --workers 0
wait_for 10 "the scheduler to try" grep -q 'schedule cannot be planned.*late1' "$dir/serve.log"
[ "$(req GET /health/scheduler "${asv[@]}")" = 200 ] || fail "health"
[ "$(json_field status)" = warning ] && [ "$(json_field late_schedules)" = 1 ] || fail "health: $(cat "$T/body")"
grep -q '"reason":"schedules did not fire when due"' "$T/body" || fail "reason: $(cat "$T/body")"
grep -q '"schedules":\[{"name":"late1","due_at":"[^"]*","late_s":[0-9]*}\]' "$T/body" || fail "health body: $(cat "$T/body")"
q schedule list | grep -q "^late1 .* late " || fail "list: $(q schedule list)"
[ "$(req GET /api/v1/schedules/late1 "${asv[@]}")" = 200 ] && [ "$(json_field late)" = true ] || fail "late flag"
kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
# A serve that can plan it fires it once, and it is no longer late.
start_serve --workers 0
fired() { [ "$(sql "SELECT fired FROM schedules WHERE name = 'late1'")" = 1 ]; }
wait_for 20 "late1 to fire" fired
# (still a warning: its scan is pending and this serve runs no worker)
[ "$(req GET /health/scheduler "${asv[@]}")" = 200 ] && ! grep -q late_schedules "$T/body" || fail "health after: $(cat "$T/body")"
q schedule list | grep -q "^late1 .* active " || fail "list after: $(q schedule list)"
ok "a schedule no serve fired is late in /health/scheduler and schedule list; fired once when a scheduler can"
