#!/bin/bash
# The UI of changes, the inventory and webhooks in a real browser
# (tests/browser/changes.test.js, Debian's headless Chromium): two scans of
# loopback listeners, one closed, one opened and one with a new version in
# between, then `scanq serve` and the pages.  Screenshots go to
# test-logs/browser/.
source "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
export SCANQ_CONFIG=/dev/null

banner_on() {
	perl -MIO::Socket::INET -e '
		my ($port, $text) = @ARGV; $SIG{PIPE} = "IGNORE";
		my $s = IO::Socket::INET->new(Listen => 16, LocalAddr => "127.0.0.1",
			LocalPort => $port, ReuseAddr => 1) or die "listen $port: $!";
		while (my $c = $s->accept) { print $c $text; close $c; }' "$1" "$2" &
	last=$!
	pids+=($last)
	wait_for 10 "a listener on $1" bash -c "exec 3<>/dev/tcp/127.0.0.1/$1"
}
A=$(closed_port); B=$(closed_port); C=$(closed_port)
while [ "$B" = "$A" ]; do B=$(closed_port); done
while [ "$C" = "$A" ] || [ "$C" = "$B" ]; do C=$(closed_port); done
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
