#!/bin/bash
# backends: own (no database: the scanner alone)
# scan_detect.sh — portscan's opt-in service detection ({"detect": true})
# against loopback fixtures started here: an ssh-like banner, a small HTTP
# server with a Server header and a title, a TLS port serving HTTP (s_server
# -www), Redis-, PostgreSQL- and MariaDB-like listeners, SMTP and FTP
# greetings.  Product and version are found; a silent port costs its
# budget (detect_ms) and does not stall the scan.
source "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
export SCANQ_CONFIG=/dev/null

listen_banner "$T/ssh" "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3
"
listen_http "$T/http" "nginx/1.22.1" "Welcome to scanq"
make_cert good localhost 365
tls_server "$T/tls" -cert "$T/good.crt" -key "$T/good.key" -www
# Redis closes on an HTTP request's Host: line, as the real one does.
listen_reply "$T/redis" 'while (my $l = <$c>) { exit if $l =~ /^Host:/i;
	if ($l =~ /^PING/) { print $c "+PONG\r\n" }
	elsif ($l =~ /^INFO/) { my $b = "# Server\r\nredis_version:7.0.15\r\n"; print $c "\$" . length($b) . "\r\n$b\r\n" }
	else { print $c "-ERR unknown command\r\n" } }'
# PostgreSQL: a startup packet of length 8 is the SSLRequest; anything else is refused.
listen_reply "$T/pg" 'my $b; read($c, $b, 4); exit unless unpack("N", $b) == 8;
	read($c, $b, 4); print $c "N" if $b eq "\x04\xd2\x16\x2f";'
listen_reply "$T/mysql" 'my $p = "\x0a5.5.5-10.11.6-MariaDB-0+deb12u1\x00" . ("\x01" x 40);
	print $c substr(pack("V", length($p)), 0, 3), "\x00", $p; sleep 2;'
listen_banner "$T/smtp" "220 mx.example ESMTP Postfix (Debian/GNU)
"
listen_banner "$T/ftp" "220 (vsFTPd 3.0.3)
"
perl -MIO::Socket::INET -e '
	my $s = IO::Socket::INET->new(Listen => 8, LocalAddr => "127.0.0.1", LocalPort => 0) or die;
	open(my $f, ">", "$ARGV[0]") or die; print $f $s->sockport, "\n"; close $f;
	my @keep; while (my $c = $s->accept) { push @keep, $c; }' "$T/silent" &
PIDS="$PIDS $!"
wait_for 10 "the silent listener" test -s "$T/silent"
for n in ssh http tls redis pg mysql smtp ftp silent; do eval "$n=\$(cat \"\$T/$n\")"; done
C=$(closed_port)

start=$(date +%s%N)
"$SCANQ" scan portscan 127.0.0.1 --json --ports "$ssh,$http,$tls,$redis,$pg,$mysql,$smtp,$ftp,$silent,$C" \
	--options '{"detect":true,"detect_ms":1500}' > "$T/out" || fail "scan failed: $(cat "$T/out")"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -lt 3500 ] || fail "detection took $ms ms: the silent port stalled it"
ok "ten ports (one silent, one closed) detected in $ms ms"

# has PORT SERVICE PRODUCT VERSION: the open_port finding of PORT names them.
has() {
	grep "\"kind\":\"open_port\",\"target\":\"127.0.0.1\",\"port\":$1," "$T/out" > "$T/f" || fail "port $1 not reported"
	grep -q "\"service\":\"$2\"" "$T/f" || fail "port $1: service is not $2: $(cat "$T/f")"
	grep -q "\"product\":\"$3\"" "$T/f" || fail "port $1: product is not $3: $(cat "$T/f")"
	grep -q "\"version\":\"$4\"" "$T/f" || fail "port $1: version is not $4: $(cat "$T/f")"
}
has "$ssh" ssh OpenSSH 9.2p1
grep -q '"extrainfo":"Debian-2+deb12u3"' "$T/f" || fail "ssh comment missing"
ok "an ssh banner gives ssh, OpenSSH, 9.2p1"
has "$http" http nginx 1.22.1
grep -q '"http_status":200' "$T/f" && grep -q '"http_title":"Welcome to scanq"' "$T/f" || fail "http status/title: $(cat "$T/f")"
ok "an HTTP server gives http, its Server header (nginx 1.22.1), status and title"
has "$tls" https "" ""
grep -q '"tls":"TLSv1.3"' "$T/f" || fail "tls version missing: $(cat "$T/f")"
ok "a TLS port serving HTTP is https, with its TLS version"
has "$redis" redis Redis 7.0.15
has "$pg" postgresql PostgreSQL ""
has "$mysql" mysql MariaDB 10.11.6
has "$smtp" smtp Postfix ""
has "$ftp" ftp vsFTPd 3.0.3
ok "redis (PING, INFO), postgresql (SSLRequest), mariadb, smtp and ftp are named"
grep "\"port\":$silent," "$T/out" | grep -q '"service":null' || fail "the silent port got a service: $(grep "\"port\":$silent," "$T/out")"
grep -q "\"port\":$C," "$T/out" && fail "the closed port was reported"
grep -q '"summary":{.*"open":9,"closed":1' "$T/out" || fail "summary: $(grep summary "$T/out")"
ok "the silent port stays unnamed and the closed one unreported"

out=$("$SCANQ" scan portscan 127.0.0.1 --json --ports "$ssh" --options '{"detect":"yes"}'); rc=$?
[ "$rc" = 1 ] && echo "$out" | grep -q '"code":"invalid_options","message":"option detect must be true or false"' \
	|| fail "a bad detect option: $rc $out"
out=$("$SCANQ" scan portscan 127.0.0.1 --json --ports "$ssh"); echo "$out" | grep -q '"product"' \
	&& fail "detection ran without being asked: $out"
ok "detection is opt-in, and a bad option is one line"
