#!/bin/bash
# scan_http.sh — the built-in `http` scan against loopback servers that
# play its cases (http_cases.py): a plain page with a title and known
# technologies, TLS with SANs (found by trying, on a port no name hints
# at), an expired certificate, a redirect chain that follows a name in
# scope and stops at an address out of scope, a redirect loop, a body that
# never ends, a 10 MiB body, a slowloris, a gzip bomb, invalid UTF-8, a
# huge header, a silent and a closed port.  Each gets a correct finding or
# a clear per-endpoint error, in bounded time and memory.  Then bad
# options, the queue, and a `portscan --then http` chain end to end.
source "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
export SCANQ_CONFIG=/dev/null
LEAN=$(dirname "$SCANQ")/scanq-scan
[ -x "$LEAN" ] || fail "$LEAN is not built"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/san.key" -out "$T/san.crt" -days 365 -subj "/CN=web.test" \
	-addext "subjectAltName=DNS:web.test,DNS:ci.internal.example,IP:127.0.0.1" 2>"$T/openssl.err" \
	|| fail "openssl: $(cat "$T/openssl.err")"
make_cert old old.test expired
python3 "$REPO/tests/integration/http_cases.py" "$T" "$T/san.crt" "$T/san.key" "$T/old.crt" "$T/old.key" \
	2>"$T/cases.log" &
pids+=($!)
wait_for 20 "the case servers" test -s "$T/ports"
port() { awk -v n="$1" '$1 == n { print $2 }' "$T/ports"; }
C=$(closed_port)
ALL="$(awk '{print $2}' "$T/ports" | paste -sd,),$C"

# f NAME: the finding lines of the case NAME's port.
f() { grep "\"port\":$(port "$1")," "$T/out"; }
has() { f "$1" | grep -q "$2" || fail "$1: no $2 in: $(f "$1" | cut -c1-600)"; }

start=$(date +%s%N)
/usr/bin/time -f '%M' -o "$T/rss" "$LEAN" http 127.0.0.1 --json --ports "$ALL" \
	--options '{"timeout_ms":2000,"resolve_ms":2000}' > "$T/out" 2>"$T/err" \
	|| fail "http scan failed: $(cat "$T/err" "$T/out")"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
# The silent port costs the TLS try and the plain try (2 s each) and no more.
[ "$ms" -lt 8000 ] || fail "the scan took $ms ms"
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/out" || fail "output is not JSON lines"
rss=$(cat "$T/rss")
[ "$rss" -lt 200000 ] || fail "the scan used $rss KiB"
ok "fourteen endpoints (a silent one, a 10 MiB body, a gzip bomb) in $ms ms and $rss KiB, valid JSON lines"

has plain '"kind":"http"'
has plain '"status":200'
has plain '"html_title":"Plain Page & more"'
has plain '"server":"nginx/1.22.1"'
has plain '"content_type":"text/html"'
has plain '"content_length":[0-9]'
has plain '"body_sha256":"[0-9a-f]\{64\}"'
has plain '"favicon_sha256":"054edec1d0211f624fed0cbca9d4f9400b0e491c43742af2c5b0abebf0c990d8"'
has plain '{"name":"nginx","category":"server","version":"1.22.1"}'
has plain '{"name":"PHP","category":"language","version":"8.2.7"}'
has plain '{"name":"jQuery","category":"javascript","version":"3.6.4"}'
has plain '"service":"http"'
ok "a plain page: status, title (entities decoded, spaces collapsed), server, type, length, hashes, technologies"

has tls '"service":"https"'
has tls '"subject":"CN = web.test"'
has tls '"sans":\["DNS:web.test","DNS:ci.internal.example","IP Address:127.0.0.1"\]'
has tls '"names":\["web.test","ci.internal.example"\]'
has tls '"not_after":"'
has tls '{"name":"Jenkins","category":"devops","version":"2.401.3"}'
has tls '"html_title":"Dashboard \[Jenkins\]"'
f tls | grep -q '"severity":"\(low\|medium\)"' && fail "a certificate valid for a year is a finding: $(f tls)"
ok "TLS is found by trying on a random port: subject, issuer, SANs, names, technologies"

f expired | grep '"check":"cert_expired"' | grep -q '"severity":"medium"' || fail "expired: $(f expired)"
has expired '"expired":true'
ok "an expired certificate is a medium finding beside the endpoint's"

has redirect '"redirects":\[{"url":"http://127.0.0.1:[0-9]*/","status":302,"location":"http://127.0.0.1:[0-9]*/two","followed":true}'
has redirect '"location":"http://localhost:'"$(port outside)"'/","followed":true'
has redirect '"location":"http://198.51.100.7:8080/admin","followed":false,"reason":"out of scope"'
has redirect '"names":\["localhost"\]'
has redirect '"final_status":301'
has outside '"followed":false,"reason":"out of scope"'
grep -q '"redirects_out_of_scope":2' "$T/out" || fail "summary: $(grep summary "$T/out")"
has loop '"reason":"too many redirects"'
[ "$(f loop | grep -o '"followed":true' | wc -l)" = 5 ] || fail "loop: not 5 redirects followed: $(f loop)"
ok "redirects: a name in scope is followed (pinned), an address out of scope recorded, a loop stops at 5"

has endless '"html_title":"Endless"'
has endless '"incomplete":"Operation timed out after'
has big '"body_bytes":1048576,"body_truncated":true'
has big '"content_length":10485760'
has big '"html_title":"Ten MiB"'
has bomb '"body_bytes":1048576,"body_truncated":true'
ok "a body without end stops at the timeout, 10 MiB and a gzip bomb at the 1 MiB cap, each still a finding"

f slowloris | grep -q '"kind":"http_error"' || has slowloris '"incomplete":"Operation timed out'
has slowloris 'timed out after 2'
has silent '"kind":"http_error"'
has silent '"error":"Operation timed out'
grep -q "\"port\":$C," "$T/out" && fail "a closed port gave a finding"
grep -q '"closed":1' "$T/out" || fail "summary: $(grep summary "$T/out")"
ok "a slowloris and a silent port are clear per-endpoint errors; a closed port is only counted"

has badutf8 '"html_title":"caf\\uFFFD \\uFFFD\\uFFFD\\uFFFD( ok"'
has badutf8 '"server":"b\\uFFFDd server"'
f badutf8 | grep -q '"favicon_sha256":null' || fail "a page served as the favicon was hashed as one"
has hugeheader '"incomplete":"a response header over 100 KiB'
ok "invalid UTF-8 is replaced, not passed on; a huge header is a clear error"

# Bad input: a one-line error, no finding.
for o in '{"rate":-1}' '{"concurrency":0}' '{"body_max":99999999}' '{"favicon":"yes"}'; do
	"$LEAN" http 127.0.0.1 --json --ports "$(port plain)" --options "$o" > "$T/bad" 2>"$T/bad.err" \
		&& fail "options $o accepted"
	grep -q '"code":"invalid_options"' "$T/bad" || fail "options $o: $(cat "$T/bad")"
	grep -q '"finding"' "$T/bad" && fail "options $o: a finding before the error"
	[ "$(wc -l < "$T/bad.err")" = 1 ] || fail "options $o: not one line: $(cat "$T/bad.err")"
done
"$LEAN" http 8.8.8.8 --json --ports 80 > "$T/bad" 2>&1 && fail "a target out of scope was scanned"
grep -q '"code":"out_of_scope"' "$T/bad" || fail "out of scope: $(cat "$T/bad")"
ok "bad options and a target out of scope are refused in one line, before any request"

# Through the queue, and as the stage after a port scan.
id=$(sq submit http 127.0.0.1 --ports "$(port plain)" --json | sed -n 's/.*"id": *\([0-9]*\).*/\1/p')
[ -n "$id" ] || fail "submit http failed"
sq worker --once >/dev/null 2>&1 || true
wait_for 30 "http scan $id to complete" is_status "$id" completed
sq findings "$id" --json | grep -q 'Plain Page & more' || fail "findings: $(sq findings "$id" --json)"
ok "an http scan runs through the queue and stores its finding"

root=$(q submit portscan 127.0.0.1 --ports "$(port plain),$(port tls),$C" --then http) || fail "submit chain"
start_serve --workers 1 --concurrency 2
chained() { [ "$(sql "SELECT count(*) FROM scans WHERE parent_id = $root AND type = 'http' AND status = 'completed'")" = 1 ]; }
wait_for 60 "the chain of $root to finish" chained
child=$(sql "SELECT id FROM scans WHERE parent_id = $root AND type = 'http'")
ports=$(sql "SELECT options FROM scans WHERE id = $child")
echo "$ports" | grep -q "\"ports\": *\"[0-9,]*\"" || fail "stage options: $ports"
sq findings "$child" --json > "$T/chain"
grep -q 'Plain Page & more' "$T/chain" || fail "chain: no plain page: $(cat "$T/chain")"
grep -q 'Dashboard \[Jenkins\]' "$T/chain" || fail "chain: no TLS page: $(cat "$T/chain")"
grep -q "\"port\": *$C" "$T/chain" && fail "chain: the closed port was probed into a finding"
ok "portscan --then http: the open ports found are fetched, over TLS where they speak it"

# The certificate's names are hostnames of 127.0.0.1 in the inventory,
# and an address is never its own name.
sq inventory --target 127.0.0.1 --json > "$T/inv" || fail "inventory failed"
python3 - "$T/inv" <<'PY' || fail "inventory hostnames: $(cat "$T/inv")"
import json, sys
rows = json.load(open(sys.argv[1]))
assert rows, "no inventory rows"
for r in rows:
    names = {h["name"]: h["sources"] for h in r["hostnames"]}
    assert names.get("ci.internal.example") == ["http"], names
    assert names.get("web.test") == ["http"], names
    assert "127.0.0.1" not in names, names
PY
code=$(req GET "/api/v1/inventory?target=127.0.0.1")
[ "$code" = 200 ] && grep -q '"name":"ci.internal.example","sources":\["http"\]' "$dir/body" \
	|| fail "API inventory: $code $(cat "$dir/body")"
ok "the certificate's names (SANs) are hostnames of the address in the inventory (CLI and API)"
