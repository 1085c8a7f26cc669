#!/bin/bash
# backends: own (no database: the scanner alone)
# scan_vuln.sh — the default `vuln` profile is Debian's nmap with its
# "vuln and safe" NSE scripts: against loopback fixtures where a script
# fires (an HTTP server with the Apache byterange bug's answer, an
# s_server with a 1024-bit DH group) it reports `vuln` findings with the
# script, the state, the CVE and a severity, and the summary counts them
# by severity.  nuclei is a second profile that says when it is missing.
source "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
export SCANQ_CONFIG=/dev/null
command -v nmap >/dev/null || fail "nmap is not installed (make deps-test installs it)"

listen_http "$T/http" "Apache/2.2.8 (Unix)" "scanq fixture"
make_cert dh localhost 30
openssl dhparam -out "$T/dh1024.pem" 1024 2>/dev/null || fail "dhparam"
tls_server "$T/tls" -cert "$T/dh.crt" -key "$T/dh.key" -dhparam "$T/dh1024.pem" \
	-cipher 'DHE-RSA-AES128-SHA:@SECLEVEL=0' -no_tls1_3
H=$(cat "$T/http"); TP=$(cat "$T/tls")

out=$("$SCANQ" scan vuln 127.0.0.1 --ports "$H,$TP" --time-limit 300 --json) || fail "vuln scan failed: $out"
echo "$out" | grep '"kind":"vuln"' > "$T/vulns" || fail "no vuln finding: $out"
grep -q "\"port\":$H,.*\"severity\":\"medium\",\"title\":\"Apache byterange filter DoS (http-vuln-cve2011-3192)\"" "$T/vulns" \
	|| fail "byterange finding missing or wrong: $(cat "$T/vulns")"
grep "http-vuln-cve2011-3192" "$T/vulns" | grep -q '"cve":\["CVE-2011-3192"\]' \
	|| fail "the CVE is not in detail.cve: $(cat "$T/vulns")"
grep "http-vuln-cve2011-3192" "$T/vulns" | grep -q '"state":"VULNERABLE"' || fail "state missing"
ok "nmap's http-vuln-cve2011-3192 fires: a vuln finding with CVE-2011-3192, state and severity"

grep -q "\"port\":$TP,.*\"title\":\"Diffie-Hellman Key Exchange Insufficient Group Strength (ssl-dh-params)\"" "$T/vulns" \
	|| fail "weak DH finding missing: $(cat "$T/vulns")"
ok "nmap's ssl-dh-params fires on a 1024-bit DH group behind TLS"

echo "$out" | grep -q "\"kind\":\"open_port\",\"target\":\"127.0.0.1\",\"port\":$H," || fail "open port missing"
echo "$out" | grep -q '"summary":{.*"severity":{"info":2,"low":0,"medium":2,"high":0,"critical":0}' \
	|| fail "summary lacks the count by severity: $(echo "$out" | grep summary)"
ok "the summary counts the findings by severity"

out=$(PATH=/nonexistent "$SCANQ" scan nuclei 127.0.0.1 --json 2>/dev/null); rc=$?
[ "$rc" = 1 ] && echo "$out" | grep -q '"code":"tool_missing"' || fail "nuclei profile without nuclei: $rc $out"
out=$(PATH=/usr/bin:/bin "$SCANQ" doctor --db "sqlite://$T/d.db" --json 2>&1)
echo "$out" | tr -d '\n ' | grep -q '"check":"scanners.tools","status":"warn","detail":"built-inportscan,discovery,tls;profilesthatcanrun:vuln,nmap;toolmissing:nuclei' \
	|| fail "doctor does not name the runnable profiles (vuln, nmap; not nuclei): $out"
ok "nuclei is a second profile; doctor names the profiles that can run"
