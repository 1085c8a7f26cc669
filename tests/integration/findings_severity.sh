#!/bin/bash
# findings_severity.sh — severities end to end: a tls scan through the
# queue (expired, other-name and 1024-bit certificates) stores findings of
# info, medium and high severity; the summary counts them by severity;
# `scanq findings --min-severity` and the API's ?severity= keep only those
# at or above the level, with keyset cursors that neither skip nor repeat
# (limit 1 pages through the high ones one by one); a bad level is one
# line (CLI exit 2, API 400); CVE ids are lifted to a top-level "cve".
source "$(dirname "$0")/lib.sh"
export SCANQ_CONFIG=/dev/null SCANQ_WORKER_HEARTBEAT=1

make_cert old localhost expired
make_cert other other.example 365
make_cert weak localhost 365 -newkey rsa:1024
tls_server "$T/p1" -cert "$T/old.crt" -key "$T/old.key"
tls_server "$T/p2" -cert "$T/other.crt" -key "$T/other.key"
tls_server "$T/p3" -cert "$T/weak.crt" -key "$T/weak.key" -cipher 'DEFAULT:@SECLEVEL=0' -tls1_1
P="$(cat "$T/p1"),$(cat "$T/p2"),$(cat "$T/p3")"

id=$(sq submit tls localhost --ports "$P" --options '{"resolve_ms":2000}' --json | sed -n 's/.*"id": *\([0-9]*\).*/\1/p')
[ -n "$id" ] || fail "submit failed"
sq worker --once >/dev/null 2>&1
[ "$(status_of "$id")" = completed ] || fail "scan $id: $(sq show "$id")"
sq show "$id" --json | tr -d ' \n' | grep -q '"severity":{"info":3,"low":0,"medium":[0-9]*,"high":3,"critical":0}' \
	|| fail "summary lacks the count by severity: $(sq show "$id" --json)"
ok "the scan's summary counts its findings by severity"

all=$(sq findings "$id" --json | grep -c '"severity":')
high=$(sq findings "$id" --json --min-severity high | grep -c '"severity":')
med=$(sq findings "$id" --json --min-severity medium | grep -c '"severity":')
[ "$high" = 3 ] || fail "--min-severity high gave $high findings"
[ "$med" -gt "$high" ] && [ "$all" -gt "$med" ] || fail "all $all, medium+ $med, high+ $high"
sq findings "$id" --json --min-severity high | grep '"severity":' | grep -v '"high"\|"critical"' \
	&& fail "a finding below high passed the filter"
sq findings "$id" --min-severity high | awk '{print $4}' | grep -qv '^high$' \
	&& fail "human output: $(sq findings "$id" --min-severity high)"
[ "$(sq findings "$id" --json --min-severity high --limit 2 | grep -c '"severity":')" = 2 ] || fail "--limit with a filter"
ok "findings --min-severity keeps high and above ($high of $all), --limit counts matching rows"

out=$(sq findings "$id" --min-severity severe 2>&1); rc=$?
[ "$rc" = 2 ] && [ "$(echo "$out" | grep -c .)" -le 2 ] && echo "$out" | grep -q 'min-severity must be' \
	|| fail "a bad level: exit $rc: $out"
ok "a bad --min-severity is a usage error"

sq findings "$id" --json | tr -d ' \n' | grep -q '"cve":\[\]' || fail "no top-level cve array"
ok "findings carry a top-level cve list"

start_serve --workers 0
[ "$(req GET "/api/v1/scans/$id/findings?severity=high")" = 200 ] || fail "api severity: $(cat "$T/body")"
[ "$(grep -o '"severity":"[a-z]*"' "$T/body" | sort -u)" = '"severity":"high"' ] || fail "api filter: $(cat "$T/body")"
[ "$(grep -o '"severity":"high"' "$T/body" | wc -l)" = 3 ] || fail "api: not 3 high: $(cat "$T/body")"
# Keyset pages of one matching row each: every high finding once, then the end.
seen="" cursor=""
for i in 1 2 3 4; do
	[ "$(req GET "/api/v1/scans/$id/findings?severity=high&limit=1${cursor:+&after=$cursor}")" = 200 ] || fail "page $i"
	fid=$(sed -n 's/.*"findings":\[{"id":\([0-9]*\).*/\1/p' "$T/body")
	[ -n "$fid" ] && seen="$seen $fid"
	cursor=$(json_field next_cursor)
	[ "$cursor" = null ] && break
done
[ "$(echo $seen | wc -w)" = 3 ] && [ "$(echo $seen | tr ' ' '\n' | sort -u | wc -l)" = 3 ] \
	|| fail "paging saw '$seen'"
ok "API ?severity=high with limit=1 pages through the three high findings once each"
[ "$(req GET "/api/v1/scans/$id/findings?severity=urgent")" = 400 ] && grep -q 'severity must be' "$T/body" \
	|| fail "api bad severity: $(cat "$T/body")"
ok "API ?severity= with an unknown level is a 400"
