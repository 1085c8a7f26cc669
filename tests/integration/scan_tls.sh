#!/bin/bash
# scan_tls.sh — the built-in `tls` scan against `openssl s_server`
# instances started here: an expired self-signed certificate, one for
# another name, a 1024-bit RSA key, TLS 1.0 at @SECLEVEL=0, NULL and
# anonymous suites, and a clean modern configuration that yields no high
# finding.  A closed port is no finding, a plain-text port says "no TLS",
# and a silent port costs one timeout, not a stall.  Then a leaf from a CA
# outside the system store, a certificate not yet valid, one signed with
# SHA-1, and two servers of the past played by a perl listener (SSL 3.0
# with EXPORT and RC4 suites; TLS 1.0 preferring 3DES), which Debian's
# OpenSSL cannot serve.
source "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
export SCANQ_CONFIG=/dev/null
LEAN=$(dirname "$SCANQ")/scanq-scan
[ -x "$LEAN" ] || fail "$LEAN is not built"

make_cert old localhost expired
make_cert good localhost 365
make_cert soon localhost 10
make_cert other other.example 365
make_cert weak localhost 365 -newkey rsa:1024
tls_server "$T/expired" -cert "$T/old.crt" -key "$T/old.key"
tls_server "$T/clean" -cert "$T/good.crt" -key "$T/good.key"
tls_server "$T/soon" -cert "$T/soon.crt" -key "$T/soon.key"
tls_server "$T/other" -cert "$T/other.crt" -key "$T/other.key"
tls_server "$T/weak" -cert "$T/weak.crt" -key "$T/weak.key" -cipher 'DEFAULT:@SECLEVEL=0'
tls_server "$T/tls10" -cert "$T/good.crt" -key "$T/good.key" -cipher 'DEFAULT:@SECLEVEL=0' -tls1
tls_server "$T/null" -cert "$T/good.crt" -key "$T/good.key" \
	-cipher 'NULL-SHA:ADH-AES128-SHA:AES128-SHA:@SECLEVEL=0' -no_tls1_3
listen_banner "$T/plain" "220 not tls here"
perl -MIO::Socket::INET -e '
	my $s = IO::Socket::INET->new(Listen => 8, LocalAddr => "127.0.0.1", LocalPort => 0) or die;
	open(my $f, ">", "$ARGV[0]") or die; print $f $s->sockport, "\n"; close $f;
	my @keep; while (my $c = $s->accept) { push @keep, $c; }' "$T/silent" &
PIDS="$PIDS $!"
wait_for 10 "the silent listener" test -s "$T/silent"
for n in expired clean soon other weak tls10 null plain silent; do eval "$n=\$(cat \"\$T/$n\")"; done
C=$(closed_port)

# tls_check NAME PORT CHECK SEVERITY: the scan output has that finding.
tls_check() {
	grep "\"port\":$2," "$T/out" | grep "\"check\":\"$3\"" | grep -q "\"severity\":\"$4\"" \
		|| fail "$1: no $3 finding of severity $4 on port $2: $(grep "\"port\":$2," "$T/out")"
}

# scan_ms FILE: the scan's own time from its summary (elapsed_s), without
# the process's start, which the sanitizers make slow.
scan_ms() { sed -n 's/.*"elapsed_s":\([0-9.]*\).*/\1/p' "$1" | awk '{ printf "%d", $1 * 1000 }'; }
"$LEAN" tls localhost --json --ports "$expired,$clean,$soon,$other,$weak,$tls10,$null,$plain,$silent,$C" \
	--options '{"timeout_ms":700,"resolve_ms":2000}' > "$T/out" || fail "tls scan failed: $(cat "$T/out")"
# Its five questions asked in turn, each waiting its timeout, would be 3.5 s.
ms=$(scan_ms "$T/out")
[ "$ms" -lt 3000 ] || fail "the scan took $ms ms: the silent port stalled it"
ok "ten endpoints (one silent) in $ms ms"

tls_check expired "$expired" expired high
tls_check expired "$expired" self_signed medium
grep "\"port\":$expired," "$T/out" | grep '"check":"expired"' | grep -q '"fix":"renew' || fail "no fix line"
ok "an expired self-signed certificate is reported (high) with a fix, and as self-signed"
tls_check soon "$soon" expiring medium
ok "a certificate expiring in 10 days is reported (expiry_days 30)"
tls_check other "$other" name_mismatch high
ok "a certificate for another name is a name mismatch for a hostname target"
tls_check weak "$weak" weak_key high
grep "\"port\":$weak," "$T/out" | grep '"check":"certificate"' | grep -q '"key_type":"RSA","key_bits":1024' \
	|| fail "key type and size not in the certificate record"
ok "a 1024-bit RSA key is a weak key (high)"
tls_check tls10 "$tls10" protocol medium
grep "\"port\":$tls10," "$T/out" | grep -q '"title":"TLSv1.0 accepted"' || fail "TLS 1.0 not named"
ok "TLS 1.0 at @SECLEVEL=0 is found and reported"
tls_check null "$null" weak_cipher high
grep "\"port\":$null," "$T/out" | grep -q 'TLS_RSA_WITH_NULL_SHA (NULL)' || fail "NULL suite not named"
grep "\"port\":$null," "$T/out" | grep -q 'TLS_DH_anon_WITH_AES_128_CBC_SHA (anonymous)' || fail "anon suite not named"
ok "NULL and anonymous suites are weak ciphers (high), each named"

grep "\"port\":$clean," "$T/out" | grep -q '"severity":"\(high\|critical\)"' \
	&& fail "the clean configuration has a high finding: $(grep "\"port\":$clean," "$T/out")"
grep "\"port\":$clean," "$T/out" | grep '"check":"certificate"' | grep -q '"protocols":\["TLSv1.3","TLSv1.2"\]' \
	|| fail "clean: protocols not recorded: $(grep "\"port\":$clean," "$T/out")"
# TLS 1.3 and the suite a libssl client is given, though the certificate
# was read from a TLS 1.2 handshake.
grep "\"port\":$clean," "$T/out" | grep '"check":"certificate"' \
	| grep -q '"protocol":"TLSv1.3","cipher":"TLS_AES_256_GCM_SHA384"' \
	|| fail "clean: protocol and cipher: $(grep "\"port\":$clean," "$T/out")"
ok "a clean modern configuration yields no high finding (only self-signed, medium)"

grep -q "\"port\":$C," "$T/out" && fail "a closed port gave a finding"
grep "\"port\":$plain," "$T/out" | grep -q '"check":"no_tls"' || fail "plain port not no_tls"
grep "\"port\":$silent," "$T/out" | grep -q '"check":"no_tls"' || fail "silent port not no_tls"
grep -q '"summary":{"endpoints":10,"tls":7,"closed":1,"not_tls":2' "$T/out" \
	|| fail "summary: $(grep summary "$T/out")"
ok "a closed port is counted, a plain-text and a silent port say no TLS"

# The questions to one endpoint go out together (in_flight, default 8):
# asked one at a time they give the same findings, and together a silent
# port costs one timeout, not one per question.
"$LEAN" tls localhost --json --ports "$expired,$clean,$soon,$other,$weak,$tls10,$null,$plain,$silent,$C" \
	--options '{"timeout_ms":700,"resolve_ms":2000,"in_flight":1}' > "$T/out1" || fail "in_flight 1 failed"
findings() { grep '"finding"' "$1" | sort; }
[ "$(findings "$T/out")" = "$(findings "$T/out1")" ] \
	|| fail "in_flight 1 and 8 differ: $(diff <(findings "$T/out") <(findings "$T/out1") | head -5)"
# Timeouts of 2 s, timed by the scan itself: the bounds below leave 2 to
# 3 s for the scanner's own work, which a loaded machine and the sanitizers
# stretch (700 ms timeouts and the wall clock left too little: 3.3 s was
# seen for two of them).
"$LEAN" tls localhost --json --ports "$silent" --options '{"timeout_ms":2000,"resolve_ms":2000}' > "$T/out1"
ms=$(scan_ms "$T/out1")
# One timeout is 2 s, one per question (five) would be 10 s.
[ "$ms" -lt 4000 ] || fail "a silent port took $ms ms with timeout_ms 2000: its questions waited in turn"
grep -q '"check":"no_tls"' "$T/out1" || fail "silent port alone: $(cat "$T/out1")"
"$LEAN" tls localhost --json --ports "$silent" --options '{"timeout_ms":2000,"resolve_ms":2000,"in_flight":1}' \
	> "$T/out1"
ms=$(scan_ms "$T/out1")
# Two asked in turn are 4 s; one per question would be 10 s.
[ "$ms" -lt 7000 ] || fail "a silent port took $ms ms asked one at a time: each question waited its timeout"
out=$("$LEAN" tls localhost --json --ports "$clean" --options '{"in_flight":0}' 2>&1) && fail "in_flight 0 accepted"
echo "$out" | grep -q 'option in_flight must be an integer from 1 to 16' || fail "in_flight 0: $out"
ok "questions to one endpoint in flight together: same findings as one at a time; a silent port costs one timeout (two asked in turn)"

# The scan's rate holds over all threads: three endpoints (at least 15
# connections) at 10 connections/s take over a second, with the same findings.
"$LEAN" tls localhost --json --ports "$expired,$clean,$tls10" --options '{"resolve_ms":2000}' > "$T/fast"
start=$(date +%s%N)
"$LEAN" tls localhost --json --ports "$expired,$clean,$tls10" --options '{"resolve_ms":2000,"rate":10}' > "$T/slow"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -ge 1200 ] || fail "15 connections at rate 10 took $ms ms: the rate is not held"
[ "$(findings "$T/fast")" = "$(findings "$T/slow")" ] || fail "rate 10 changed the findings"
out=$("$LEAN" tls localhost --json --ports "$clean" --options '{"rate":-1}' 2>&1) && fail "rate -1 accepted"
echo "$out" | grep -q 'option rate must be an integer from 0 to 100000' || fail "rate -1: $out"
ok "the scan's rate (connections/s) is held across threads and changes no finding ($ms ms)"

# Through the queue: a tls scan submitted, run by a worker, findings with severities.
id=$(sq submit tls localhost --ports "$expired" --options '{"resolve_ms":2000}' --json | sed -n 's/.*"id": *\([0-9]*\).*/\1/p')
[ -n "$id" ] || fail "submit tls failed"
sq worker --once >/dev/null 2>&1 || true
wait_for 20 "tls scan $id to complete" is_status "$id" completed
sq findings "$id" --json | grep -q '"severity": *"high"' || fail "findings lack the high one: $(sq findings "$id" --json)"
ok "a tls scan runs through the queue and stores its findings with severities"

# STARTTLS: an SMTP server (perl) that, after "STARTTLS", relays the
# connection to an s_server with an expired certificate.
tls_server "$T/behind" -cert "$T/old.crt" -key "$T/old.key"
behind=$(cat "$T/behind")
listen_reply "$T/smtp" 'use IO::Select; print $c "220 mx.test ESMTP\r\n";
	while (my $l = <$c>) {
		if ($l =~ /^EHLO/i) { print $c "250-mx.test\r\n250 STARTTLS\r\n" }
		elsif ($l =~ /^STARTTLS/i) { print $c "220 go ahead\r\n"; last }
		else { print $c "500 ?\r\n" } }
	my $b = IO::Socket::INET->new("127.0.0.1:'"$behind"'") or exit;
	my $sel = IO::Select->new($c, $b);
	while (my @r = $sel->can_read(5)) { for my $h (@r) {
		my $n = sysread($h, my $buf, 16384); exit unless $n;
		syswrite($h == $c ? $b : $c, $buf) } }'
smtp=$(cat "$T/smtp")
"$LEAN" tls localhost --json --ports "$smtp" --options '{"starttls":"smtp","resolve_ms":2000}' > "$T/out" \
	|| fail "starttls scan failed: $(cat "$T/out")"
tls_check starttls "$smtp" expired high
grep '"check":"certificate"' "$T/out" | grep -q '"protocols":\["TLSv1.3","TLSv1.2"\]' || fail "starttls: $(cat "$T/out")"
"$LEAN" tls localhost --json --ports "$smtp" --options '{"starttls":"none","timeout_ms":500,"resolve_ms":2000}' > "$T/out"
grep -q '"check":"no_tls"' "$T/out" || fail "without STARTTLS the SMTP port must be no TLS: $(cat "$T/out")"
ok "STARTTLS on an SMTP port reaches the certificate behind it (starttls: smtp)"

# A port that accepts and resets at once (SO_LINGER 0: an RST while the
# ClientHello is written): the scan reports it and goes on; SIGPIPE must not kill it.
perl -MIO::Socket::INET -MSocket -e '
	my $s = IO::Socket::INET->new(Listen => 8, LocalAddr => "127.0.0.1", LocalPort => 0) or die;
	open(my $f, ">", "$ARGV[0]") or die; print $f $s->sockport, "\n"; close $f;
	while (my $c = $s->accept) { setsockopt($c, SOL_SOCKET, SO_LINGER, pack("ii", 1, 0)); close $c; }' "$T/slam" &
PIDS="$PIDS $!"
wait_for 10 "the closing listener" test -s "$T/slam"
slam=$(cat "$T/slam")
for _ in 1 2 3; do
	"$LEAN" tls 127.0.0.1 --json --ports "$slam,$clean" --options '{"timeout_ms":700}' > "$T/out"
	rc=$?
	[ "$rc" -lt 128 ] || fail "the tls scan died of signal $((rc - 128)) on a port that closes at once"
	grep -q "\"port\":$clean," "$T/out" || fail "the scan stopped at the closing port: $(cat "$T/out")"
done
ok "a port that closes at once does not kill the scan"

# ---- certificates a modern server still serves, and servers of the past ----

# A leaf issued by a CA that is not in the system store: untrusted, not
# self-signed.  (make_cert's CA is the leaf itself; this CA signs another key.)
make_cert ca scanq-test-ca 365
d="$T/ca-leaf" && mkdir -p "$d" && : > "$d/index.txt" && echo 01 > "$d/serial"
sed "s|$T/ca-ca|$d|g" "$T/ca-ca/ca.cnf" > "$d/ca.cnf"
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/leaf.key" -out "$d/csr" -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost 2>"$d/err" || fail "leaf csr: $(cat "$d/err")"
openssl ca -batch -notext -config "$d/ca.cnf" -cert "$T/ca.crt" -keyfile "$T/ca.key" -in "$d/csr" \
	-out "$T/leaf.crt" -days 365 2>"$d/err" || fail "leaf cert: $(cat "$d/err")"
cat "$T/leaf.crt" "$T/ca.crt" > "$T/leaf-chain.crt"
# Not valid before 2040; and one signed with SHA-1 (served at @SECLEVEL=0).
make_cert future localhost future
make_cert sha1 localhost 365
openssl x509 -in "$T/sha1.crt" -signkey "$T/sha1.key" -sha1 -days 365 -out "$T/sha1.crt" 2>"$T/err" \
	|| fail "sha1 cert: $(cat "$T/err")"
tls_server "$T/untrusted" -cert "$T/leaf-chain.crt" -key "$T/leaf.key"
tls_server "$T/future" -cert "$T/future.crt" -key "$T/future.key"
tls_server "$T/sha1" -cert "$T/sha1.crt" -key "$T/sha1.key" -cipher 'DEFAULT:@SECLEVEL=0'
# The certificate is read from a TLS 1.2 handshake where the server has
# 1.2, else from a full TLS 1.3 handshake: a server of each alone.
tls_server "$T/only13" -cert "$T/old.crt" -key "$T/old.key" -tls1_3
tls_server "$T/only12" -cert "$T/old.crt" -key "$T/old.key" -tls1_2

# legacy_server FILE VERSION SUITE...: a server of the past that Debian's
# OpenSSL cannot play (no SSL 3.0, RC4, 3DES or EXPORT): it answers a
# ClientHello of VERSION (hex, 0300 for SSL 3.0) with a ServerHello that
# picks the first of its SUITEs (hex) the client offers, and anything else
# with an alert (protocol_version, or handshake_failure for no common suite).
legacy_server() {
	local file=$1 version=$2; shift 2
	listen_reply "$file" 'my ($v, @pref) = (hex("'"$version"'"), map { hex } qw('"$*"'));
		sub rd { my $n = shift; my $b = ""; while (length $b < $n) {
			sysread($c, my $x, $n - length $b) or exit; $b .= $x } $b }
		my ($type, $rv, $len) = unpack("C n n", rd(5));
		exit unless $type == 22;
		my $h = rd($len);
		my ($cv, $sidlen) = unpack("x4 n x32 C", $h);
		my $slen = unpack("n", substr($h, 39 + $sidlen, 2));
		my %offered = map { $_ => 1 } unpack("n*", substr($h, 41 + $sidlen, $slen));
		my ($pick) = grep { $offered{$_} } @pref;
		if ($cv != $v || !defined $pick) {
			print $c pack("C n n C C", 21, $v, 2, 2, $cv != $v ? 70 : 40); exit }
		my $body = pack("n", $v) . ("\xab" x 32) . pack("C n C", 0, $pick, 0);
		print $c pack("C n n C C n", 22, $v, length($body) + 4, 2, 0, length $body) . $body;
		sleep 1;'
}
legacy_server "$T/ssl3" 0300 0003 0005
legacy_server "$T/tls10des" 0301 000a 002f
for n in untrusted future sha1 ssl3 tls10des only13 only12; do eval "$n=\$(cat \"\$T/$n\")"; done

"$LEAN" tls localhost --json --ports "$untrusted,$future,$sha1,$ssl3,$tls10des,$only13,$only12" \
	--options '{"timeout_ms":1500,"resolve_ms":2000}' > "$T/out" || fail "tls scan failed: $(cat "$T/out")"

tls_check untrusted "$untrusted" untrusted medium
grep "\"port\":$untrusted," "$T/out" | grep -q '"check":"self_signed"' && fail "a CA-issued leaf called self-signed"
grep "\"port\":$untrusted," "$T/out" | grep '"check":"certificate"' | grep -q '"trusted":false' \
	|| fail "untrusted: the certificate record does not say trusted false"
grep "\"port\":$untrusted," "$T/out" | grep '"check":"certificate"' | grep -q 'scanq-test-ca.*scanq-test-ca' \
	|| fail "untrusted: the chain does not list the CA: $(grep "\"port\":$untrusted," "$T/out")"
ok "a leaf from a CA not in the system store is untrusted (medium), not self-signed, its chain listed"
tls_check future "$future" not_yet_valid medium
grep "\"port\":$future," "$T/out" | grep -q '"check":"expired"' && fail "a future certificate called expired"
ok "a certificate valid only from 2040 is not yet valid (medium)"
tls_check sha1 "$sha1" weak_signature medium
grep "\"port\":$sha1," "$T/out" | grep '"check":"weak_signature"' | grep -q 'sha1WithRSAEncryption' \
	|| fail "sha1: the signature is not named"
ok "a certificate signed with SHA-1 is a weak signature (medium)"
tls_check ssl3 "$ssl3" protocol high
grep "\"port\":$ssl3," "$T/out" | grep '"title":"SSLv3 accepted"' | grep -q 'CVE-2014-3566' \
	|| fail "SSLv3 without its CVE: $(grep "\"port\":$ssl3," "$T/out")"
grep "\"port\":$ssl3," "$T/out" | grep '"weakness":"EXPORT"' | grep -q 'CVE-2015-0204' || fail "EXPORT suite not found"
grep "\"port\":$ssl3," "$T/out" | grep '"weakness":"RC4"' | grep -q 'CVE-2015-2808' || fail "RC4 suite not found"
grep "\"port\":$ssl3," "$T/out" | grep '"check":"certificate"' | grep -q '"protocols":\["SSLv3"\]' \
	|| fail "ssl3: protocols: $(grep "\"port\":$ssl3," "$T/out")"
ok "an SSL 3.0 server is found (high, POODLE), its EXPORT and RC4 suites each named with their CVE"
tls_check tls10des "$tls10des" weak_cipher medium
grep "\"port\":$tls10des," "$T/out" | grep '"weakness":"3DES"' | grep -q 'CVE-2016-2183' || fail "3DES without SWEET32"
[ "$(grep "\"port\":$tls10des," "$T/out" | grep -c '"check":"weak_cipher"')" = 1 ] \
	|| fail "tls10des: a strong suite was called weak: $(grep "\"port\":$tls10des," "$T/out")"
tls_check tls10des "$tls10des" protocol medium
ok "a TLS 1.0 server that prefers 3DES: 3DES is a weak cipher (medium, SWEET32), its AES suite is not"
for v in 13 12; do
	eval "p=\$only$v"
	tls_check "only$v" "$p" expired high
	tls_check "only$v" "$p" self_signed medium
	grep "\"port\":$p," "$T/out" | grep '"check":"certificate"' \
		| grep '"protocol":"TLSv1.'${v#1}'"' | grep '"subject":"/CN=localhost"' | grep '"not_after":"2020-02-01"' \
		| grep -q '"protocols":\["TLSv1.'${v#1}'"\]' \
		|| fail "only TLS 1.${v#1}: the certificate record: $(grep "\"port\":$p," "$T/out")"
	[ "$(grep -c "\"port\":$p,.*\"check\":\"protocol\"" "$T/out")" = 0 ] \
		|| fail "only TLS 1.${v#1}: a legacy protocol reported: $(grep "\"port\":$p," "$T/out")"
done
ok "a server of TLS 1.3 alone and one of TLS 1.2 alone both give their certificate and its findings"
