#!/bin/bash
# api_proxy.sh — `scanq serve` behind a reverse proxy ([http]
# trusted_proxies).  127.0.0.2 plays the proxy (trusted), 127.0.0.3 an
# ordinary client; the per-address limit is 2.  Through the proxy the
# limit is per forwarded client: two requests in progress for 203.0.113.7
# make a third one 429, while 203.0.113.8 is still served, and the proxy's
# own idle connections never count.  The untrusted client's X-Forwarded-For
# is ignored: it is limited, counted and audited as 127.0.0.3.  The audit
# trail names the forwarded client.  With room for 64 connections, 300 idle
# keep-alive connections from the proxy do not keep a new client waiting.
source "$(dirname "$0")/lib.sh"
export SCANQ_CONFIG=/dev/null SCANQ_HTTP_TRUSTED_PROXIES=127.0.0.2 \
	SCANQ_HTTP_MAX_CONNECTIONS_PER_IP=2 SCANQ_HTTP_MAX_CONNECTIONS=64
q migrate >/dev/null || fail "migrate"
start_serve --workers 0
PORT=${BASE##*:}

# hold FROM N FILE [XFF]: N connections from address FROM, each with a
# request whose body never comes (XFF: with that header), or, without XFF,
# each answered once and then idle keep-alive; "ready [ANSWERED]" in FILE
# when all are.
hold() {
	perl -MIO::Socket::INET -e '
		my ($from, $n, $file, $port, $xff) = @ARGV; my @s; my $answered = 0;
		for (1 .. $n) {
			my $c = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port,
				LocalAddr => $from) or die "connect: $!";
			if (defined $xff) {
				print $c "POST /api/v1/scans HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: $xff\r\n"
					. "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{";
			} else {
				print $c "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
				my $got = ""; while ($got !~ /\r\n\r\n.*ok/s) { sysread($c, $got, 4096, length $got) or last }
				$answered++ if $got =~ /^HTTP\/1.1 200/;
			}
			push @s, $c;
		}
		open(my $f, ">", $file) or die; print $f "ready $answered\n"; close $f;
		sleep 600;
	' "$1" "$2" "$3" "$PORT" ${4:+"$4"} &
	pids+=($!)
	last_hold=$!
	wait_for 30 "$2 connections from $1" test -s "$3"
}
# get FROM [XFF]: the status of GET /api/v1/me from FROM (000: no answer)
get() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 --interface "$1" ${2:+-H "X-Forwarded-For: $2"} \
		"http://127.0.0.1:$PORT/api/v1/me"
}

hold 127.0.0.2 2 "$T/h1" "198.51.100.9, 203.0.113.7"
# Until the server has both held requests' headers, a third is still served.
is_code() { [ "$(get "$2" "${3:-}")" = "$1" ]; }
wait_for 10 "a third request for 203.0.113.7 through the proxy to be refused" is_code 429 127.0.0.2 "203.0.113.7"
[ "$(get 127.0.0.2 "203.0.113.8")" = 200 ] || fail "203.0.113.8 through the proxy was refused"
[ "$(get 127.0.0.2 "203.0.113.7, 127.0.0.2")" = 429 ] || fail "a trusted hop in the header was not skipped"
[ "$(get 127.0.0.2 "203.0.113.7, 10.0.0.1")" = 200 ] || fail "the right-most untrusted entry is not the client"
[ "$(get 127.0.0.2 "203.0.113.7, bogus")" = 200 ] || fail "a malformed entry did not stop the walk at the proxy"
[ "$(get 127.0.0.2)" = 200 ] || fail "the proxy itself without the header was refused"
grep -q 'msg="http request refused" client=203.0.113.7 reason=per_ip' "$T/serve.log" \
	|| fail "the log does not name the forwarded client"
ok "behind a trusted proxy the per-address limit is per forwarded client (right-most untrusted entry)"

# 127.0.0.3 is not trusted: its header names 203.0.113.8 but it is itself.
[ "$(get 127.0.0.3 "203.0.113.7")" = 200 ] || fail "an untrusted client's header was believed (429 for 203.0.113.7)"
hold 127.0.0.3 2 "$T/h2"
[ "$(get 127.0.0.3 "203.0.113.8")" = 000 ] || fail "a third connection from 127.0.0.3 was served"
kill "$last_hold"; wait "$last_hold" 2>/dev/null
wait_for 10 "127.0.0.3's connections to close" is_code 200 127.0.0.3
ok "an untrusted client's X-Forwarded-For is ignored: it is limited as its own address"

J=(-H "Content-Type: application/json")
code=$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.2 -H "X-Forwarded-For: 203.0.113.8" \
	"${J[@]}" -d '{"entry":"10.30.0.0/16"}' "http://127.0.0.1:$PORT/api/v1/exclusions")
[ "$code" = 201 ] || fail "POST through the proxy: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.3 -H "X-Forwarded-For: 198.51.100.1" \
	"${J[@]}" -d '{"entry":"10.31.0.0/16"}' "http://127.0.0.1:$PORT/api/v1/exclusions")
[ "$code" = 201 ] || fail "POST from 127.0.0.3: $code"
q audit | grep -q "exclude add.*10.30.0.0/16  from 203.0.113.8" || fail "audit: no forwarded client: $(q audit)"
q audit | grep -q "exclude add.*10.31.0.0/16  from 127.0.0.3" || fail "audit: the untrusted client is not its own address: $(q audit)"
ok "the audit trail names the forwarded client behind the proxy, and the peer otherwise"

# 300 idle keep-alive connections from the proxy; room for 64.
hold 127.0.0.2 300 "$T/h3"
[ "$(cat "$T/h3")" = "ready 300" ] || fail "the proxy's connections were not all answered: $(cat "$T/h3")"
t0=$(now_ms)
[ "$(get 127.0.0.4)" = 200 ] || fail "a new client was not served beside 300 idle proxy connections"
t=$(( $(now_ms) - t0 ))
[ "$t" -lt 1000 ] || fail "a new client waited $t ms"
[ "$(get 127.0.0.2 "203.0.113.20")" = 200 ] || fail "a new request through the proxy was not served"
ok "300 idle keep-alive connections from the proxy do not block a new client ($t ms)"
