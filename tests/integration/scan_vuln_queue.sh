#!/bin/bash
# A vulnerability scan through the queue, as a user runs one: `scanq submit
# vuln` (the default profile, Debian's nmap with its "vuln and safe" NSE
# scripts) against a loopback HTTP server that answers as one with the
# Apache byterange bug, a worker runs it, and the database holds the vuln
# finding with its CVE and severity: `scanq findings --min-severity`, the
# API's ?severity= and the scan's summary count by severity agree.  On
# SQLite and on PostgreSQL (scan_vuln.sh tests the scanner alone).
source "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
export SCANQ_CONFIG=/dev/null
command -v nmap >/dev/null || fail "nmap is not installed (make deps-test installs it)"

listen_http "$T/http" "Apache/2.2.8 (Unix)" "scanq fixture"
H=$(cat "$T/http")
id=$(q submit vuln 127.0.0.1 --ports "$H" --time-limit 300) || fail "submit vuln"
q worker --once --name vuln >"$T/worker.log" 2>&1 || fail "worker: $(tail -n 5 "$T/worker.log")"
is_status "$id" completed || fail "scan $id is $(status "$id"): $(tail -n 5 "$T/worker.log")"
ok "a vuln scan submitted to the queue completed on a worker"

q findings "$id" --min-severity medium --json | tr -d '\n ' >"$T/medium" || fail "findings --min-severity"
grep -q '"kind":"vuln"' "$T/medium" && grep -q '"cve":\["CVE-2011-3192"\]' "$T/medium" \
	&& grep -q '"severity":"medium"' "$T/medium" || fail "no medium vuln finding with its CVE: $(cat "$T/medium")"
grep -q '"kind":"open_port"' "$T/medium" && fail "--min-severity medium let an info finding through"
q findings "$id" --min-severity medium | grep -q '^vuln .*\[CVE-2011-3192\]$' \
	|| fail "the text output lacks the CVE: $(q findings "$id")"
ok "findings --min-severity medium: the byterange finding with CVE-2011-3192, no info; the text line ends with its CVE"

start_serve --workers 0
[ "$(req GET "/api/v1/scans/$id/findings?severity=medium")" = 200 ] || fail "GET findings?severity=medium"
grep -q 'http-vuln-cve2011-3192' "$dir/body" || fail "the API filter lost the finding: $(cat "$dir/body")"
[ "$(req GET "/api/v1/scans/$id")" = 200 ] || fail "GET scan"
grep -q '"severity":{"info":1,"low":0,"medium":1,"high":0,"critical":0}' "$dir/body" \
	|| fail "the summary does not count by severity: $(cat "$dir/body")"
ok "the API's ?severity= and the scan's summary agree"
echo PASS
