#!/bin/bash
# scan_tls.sh — the built-in `tls` scan against `openssl s_server`
# instances started here: an expired self-signed certificate, one for
# another name, a 1024-bit RSA key, TLS 1.0 at @SECLEVEL=0, NULL and
# anonymous suites, and a clean modern configuration that yields no high
# finding.  A closed port is no finding, a plain-text port says "no TLS",
# and a silent port costs one timeout, not a stall.
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

start=$(date +%s%N)
"$LEAN" tls localhost --json --ports "$expired,$clean,$soon,$other,$weak,$tls10,$null,$plain,$silent,$C" \
	--options '{"timeout_ms":700,"resolve_ms":2000}' > "$T/out" || fail "tls scan failed: $(cat "$T/out")"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
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
ok "a clean modern configuration yields no high finding (only self-signed, medium)"

grep -q "\"port\":$C," "$T/out" && fail "a closed port gave a finding"
grep "\"port\":$plain," "$T/out" | grep -q '"check":"no_tls"' || fail "plain port not no_tls"
grep "\"port\":$silent," "$T/out" | grep -q '"check":"no_tls"' || fail "silent port not no_tls"
grep -q '"summary":{"endpoints":10,"tls":7,"closed":1,"not_tls":2' "$T/out" \
	|| fail "summary: $(grep summary "$T/out")"
ok "a closed port is counted, a plain-text and a silent port say no TLS"

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
