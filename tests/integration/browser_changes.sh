#!/bin/bash
# The UI of changes, the inventory and webhooks in a real browser
# (tests/browser/changes.test.js, Debian's headless Chromium): two scans of
# loopback listeners, one closed, one opened and one with a new version in
# between, then `scanq serve` and the pages.  Screenshots go to
# test-logs/browser/.
source "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
export SCANQ_CONFIG=/dev/null

three_ports
scan() {
	local id
	id=$(q submit portscan 127.0.0.1 --ports "$A,$B,$C" --options '{"detect":true,"detect_ms":1000}')
	q worker --once --name once >>"$T/worker.log" 2>&1
	is_status "$id" completed || fail "scan $id is $(status "$id")"
	echo "$id"
}
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

export SCANQ_WEB_DIR="$REPO/web"
start_serve --workers 1
browser_test changes SCANQ_S1="$s1" SCANQ_S2="$s2" SCANQ_GONE="$B" SCANQ_NEW="$C"
ok "the changes, the inventory and the webhooks panel in the browser"
