#!/bin/bash
# The findings lifecycle in a real browser (tests/browser/findings.test.js,
# Debian's headless Chromium): two scans of loopback listeners with one
# port closed in between, then `scanq serve` and the pages: the Findings
# page lists the open and the fixed one by state; on the scan page an
# operator accepts a finding with a reason (refused without one) and
# reopens it, and the store says so.  Screenshots go to test-logs/browser/.
source "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
export SCANQ_CONFIG=/dev/null

three_ports
scan() { scan_once portscan 127.0.0.1 --ports "$A,$B"; }
banner_on "$A" "SSH-2.0-OpenSSH_9.2p1
"
banner_on "$B" "220 (vsFTPd 3.0.3)
"; pb=$last
s1=$(scan)
kill "$pb"; wait "$pb" 2>/dev/null
s2=$(scan)
FA=$(sql "SELECT fingerprint FROM finding_states WHERE port = $A AND state = 'open'")
[ -n "$FA" ] && [ "$(sql "SELECT state FROM finding_states WHERE port = $B")" = fixed ] || fail "states before the browser"
ok "two scans: $s1, then $s2 with port $B closed (its finding fixed)"

export SCANQ_WEB_DIR="$REPO/web"
start_serve --workers 0
browser_test findings SCANQ_SCAN="$s2" SCANQ_OPEN="$A" SCANQ_FIXED="$B" SCANQ_FP="$FA"
[ "$(sql "SELECT state FROM finding_states WHERE fingerprint = '$FA'")" = reopened ] || fail "the store after the browser"
[ "$(sql "SELECT count(*) FROM audit WHERE action IN ('finding accepted', 'finding reopened')")" = 2 ] \
	|| fail "the browser's triage is not audited"
ok "the Findings page and the scan page's triage buttons, in Chromium; the store and the audit trail agree"

# The scan page's Web table: an http scan of a listener that names a title
# and a server (its technology is in the table).
listen_http "$T/http.port" "Apache/2.4.57 (Debian)" "Dashboard [Jenkins]"
HP=$(cat "$T/http.port")
web=$(q submit http 127.0.0.1 --ports "$HP") || fail "submit http"
q worker --once --name once >>"$T/worker.log" 2>&1
is_status "$web" completed || fail "the http scan $web is $(status "$web")"
# A TLS listener whose certificate names ci.internal.test: an http scan of
# it makes that name a hostname of 127.0.0.1 in the inventory.
make_cert web ci.internal.test 30
tls_server "$T/tls.port" -WWW -cert "$T/web.crt" -key "$T/web.key"
TP=$(cat "$T/tls.port")
tweb=$(q submit http 127.0.0.1 --ports "$TP") || fail "submit http over TLS"
q worker --once --name once >>"$T/worker.log" 2>&1
is_status "$tweb" completed || fail "the http scan $tweb is $(status "$tweb")"
browser_test web SCANQ_WEB="$web" SCANQ_WEB_URL="http://127.0.0.1:$HP/" SCANQ_SCAN="$s2" \
	SCANQ_NAME=ci.internal.test
ok "an http scan's page ($web, \"Dashboard [Jenkins]\") in the scan page's Web table, and a certificate's name in the inventory's hostnames, as the API has them"
