#!/bin/bash
# The UI of changes, the inventory and webhooks in a real browser
# (tests/browser/changes.test.js, Debian's headless Chromium): two scans of
# loopback listeners, one closed, one opened and one with a new version in
# between, a plain portscan of the first (no detection), then `scanq serve`
# and the pages.  Screenshots go to
# test-logs/browser/.
source "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
export SCANQ_CONFIG=/dev/null

three_ports
scan() { scan_once portscan 127.0.0.1 --ports "$A,$B,$C" --options '{"detect":true,"detect_ms":1000}'; }
banner_on "$A" "SSH-2.0-OpenSSH_9.2p1
"; pa=$last
banner_on "$B" "220 (vsFTPd 3.0.3)
"; pb=$last
s1=$(scan)
kill "$pa" "$pb"; wait "$pa" "$pb" 2>/dev/null
banner_on "$A" "SSH-2.0-OpenSSH_9.3p1
"
banner_on "$C" "220 mx ESMTP Postfix
"
s2=$(scan)
ok "two scans: $s1 (baseline) and $s2 (a port closed, one opened, one changed)"
# A plain portscan of port A after them: the inventory keeps what detection found.
s3=$(q submit portscan 127.0.0.1 --ports "$A")
q worker --once --name once >>"$T/worker.log" 2>&1
is_status "$s3" completed || fail "plain scan $s3 is $(status "$s3")"

export SCANQ_WEB_DIR="$REPO/web"
start_serve --workers 1

# Two runs of a chain (portscan --then tls) on two more listeners, the
# second after one of them closed: its root and its tls stage each find
# that port gone, and the root's page gathers both.
D=$(closed_port); E=$(closed_port)
while [ "$E" = "$D" ] || [ "$E" = "$A" ] || [ "$E" = "$C" ]; do E=$(closed_port); done
banner_on "$D" "hello
"; banner_on "$E" "hello
"; pe=$last
chain() {
	local root
	root=$(q submit portscan 127.0.0.1 --ports "$D,$E" --then tls) || fail "submit chain"
	# The tls stage is written in the transaction that completes the root.
	wait_for 60 "chain $root" sql_is "SELECT count(*) FROM scans WHERE (id = $root AND status = 'completed')
		OR (parent_id = $root AND status = 'completed')" 2
	echo "$root"
}
c1=$(chain)
kill "$pe"; wait "$pe" 2>/dev/null
c2=$(chain)
[ "$(sql "SELECT count(*) FROM scan_changes WHERE change_type = 'gone' AND port = $E
	AND (scan_id = $c2 OR scan_id IN (SELECT id FROM scans WHERE parent_id = $c2))")" = 2 ] \
	|| fail "chain $c2 did not record port $E gone twice"
ok "two runs of a chain: $c1, then $c2 with port $E closed"

browser_test changes SCANQ_S1="$s1" SCANQ_S2="$s2" SCANQ_GONE="$B" SCANQ_NEW="$C" \
	SCANQ_CHAIN="$c2" SCANQ_CHAIN_GONE="$E" SCANQ_SSH="$A" SCANQ_PLAIN="$s3"
ok "the changes, the inventory and the webhooks panel in the browser"
