#!/bin/bash
# Malformed, hostile and unauthorized requests to the HTTP API: each gets
# the right 4xx with an application/problem+json body carrying the expected
# stable code, and the database is byte-for-byte unchanged afterwards
# (nothing queued, nothing retried or cancelled, no token created).
source "$(dirname "$0")/lib.sh"

# Tokens of every role, and one pending scan (id 1) to aim at.
VIEW=$(q token create --role viewer --name v) || fail "token create viewer"
OP=$(q token create --role operator --name o) || fail "token create operator"
ADMIN=$(q token create --role admin --name a) || fail "token create admin"
q submit test-ok 127.0.0.1 >/dev/null || fail "submit"
start_serve --workers 0
before=$(db_hash)

long=$(printf 'a%.0s' $(seq 1 300))
big="$dir/big.json"
{ printf '{"type":"portscan","targets":["'; head -c 2000000 /dev/zero | tr '\0' 'a'; printf '"]}'; } >"$big"
printf '{"type":"port\xff\xfescan","targets":["127.0.0.1"]}' >"$dir/badutf8.json"
printf '{"type":"portscan","targets":["127.0.0.1\xc3"]}' >"$dir/badutf8b.json"

n=0; bad=0
# check STATUS CODE METHOD PATH AUTH [BODY [curl args...]]
#   AUTH: op, view, admin, none, or a literal Authorization value after "raw:"
#   BODY: inline JSON text, @FILE, or - for none; $CT overrides the Content-Type
check() {
	local want=$1 code=$2 method=$3 path=$4 auth=$5 body=${6:--}; shift 6 2>/dev/null || shift $#
	local args=(-H "Content-Type: ${CT:-application/json}")
	case $auth in
	op) args+=(-H "Authorization: Bearer $OP") ;;
	view) args+=(-H "Authorization: Bearer $VIEW") ;;
	admin) args+=(-H "Authorization: Bearer $ADMIN") ;;
	raw:*) args+=(-H "Authorization: ${auth#raw:}") ;;
	none) ;;
	esac
	if [ "$body" != - ]; then
		args+=(--data-binary "$body")	# "@FILE" reads the file
	fi
	n=$((n + 1))
	local got
	got=$(req "$method" "$path" "${args[@]}" "$@")
	local gotcode
	gotcode=$(json_field code)
	if [ "$got" != "$want" ] || [ "$gotcode" != "$code" ] \
	   || ! grep -qi '^content-type: application/problem+json' "$dir/headers" \
	   || ! grep -q '"detail":"' "$dir/body"; then
		echo "not ok $n - $method $path ($auth): want $want $code, got $got $gotcode: $(head -c 300 "$dir/body")"
		bad=$((bad + 1))
	else
		echo "ok $n - $method $path -> $want $code"
	fi
}

SCANS=/api/v1/scans
ok_body='{"type":"portscan","targets":["127.0.0.1"]}'
# -- malformed bodies
check 400 invalid_json   POST $SCANS op '{'
check 400 invalid_json   POST $SCANS op 'not json at all'
check 400 empty_body     POST $SCANS op ''
check 400 invalid_body   POST $SCANS op '[1,2,3]'
check 400 invalid_json   POST $SCANS op '"portscan"'
check 400 invalid_json   POST $SCANS op '{"type":"portscan","type":"discovery","targets":["127.0.0.1"]}'
check 400 invalid_json   POST $SCANS op @"$dir/badutf8.json"
check 400 invalid_json   POST $SCANS op @"$dir/badutf8b.json"
check 400 invalid_json   POST $SCANS op '{"type":"portscan\u0000x","targets":["127.0.0.1"]}'
check 400 invalid_json   POST $SCANS op '{"type":"portscan","targets":["127.0.0.1"],"priority":123456789012345678901234567890}'
check 413 body_too_large POST $SCANS op @"$big"
CT=text/plain check 415 unsupported_media_type POST $SCANS op "$ok_body"
CT=application/x-www-form-urlencoded check 415 unsupported_media_type POST $SCANS op "$ok_body"
# -- wrong types, missing and unknown fields
check 422 missing_field  POST $SCANS op '{}'
check 422 missing_field  POST $SCANS op '{"type":"portscan"}'
check 422 missing_field  POST $SCANS op '{"targets":["127.0.0.1"]}'
check 422 invalid_field  POST $SCANS op '{"type":5,"targets":["127.0.0.1"]}'
check 422 invalid_field  POST $SCANS op '{"type":"portscan","targets":"127.0.0.1"}'
check 422 invalid_field  POST $SCANS op '{"type":"portscan","targets":[127001]}'
check 422 invalid_field  POST $SCANS op '{"type":"portscan","targets":["127.0.0.1"],"ports":80}'
check 422 invalid_field  POST $SCANS op '{"type":"portscan","targets":["127.0.0.1"],"options":[1]}'
check 422 unknown_field  POST $SCANS op '{"type":"portscan","targets":["127.0.0.1"],"shell":"id"}'
check 422 no_targets     POST $SCANS op '{"type":"portscan","targets":[]}'
check 422 invalid_type   POST $SCANS op '{"type":"nosuchscan","targets":["127.0.0.1"]}'
# -- numbers out of range
check 422 invalid_field  POST $SCANS op '{"type":"portscan","targets":["127.0.0.1"],"priority":-5000}'
check 422 invalid_field  POST $SCANS op '{"type":"portscan","targets":["127.0.0.1"],"priority":1.5}'
check 422 invalid_field  POST $SCANS op '{"type":"portscan","targets":["127.0.0.1"],"priority":1e308}'
check 422 invalid_field  POST $SCANS op '{"type":"portscan","targets":["127.0.0.1"],"max_attempts":0}'
check 422 invalid_field  POST $SCANS op '{"type":"portscan","targets":["127.0.0.1"],"time_limit_s":-1}'
check 422 invalid_field  POST $SCANS op '{"type":"portscan","targets":["127.0.0.1"],"time_limit_s":"60"}'
check 422 invalid_field  POST $SCANS op '{"type":"portscan","targets":["127.0.0.1"],"time_limit_s":99999999999}'
check 422 invalid_ports  POST $SCANS op '{"type":"portscan","targets":["127.0.0.1"],"ports":"99999"}'
# -- hostile strings
check 422 invalid_target POST $SCANS op '{"type":"portscan","targets":["127.0.0.1; touch /tmp/x"]}'
check 422 invalid_target POST $SCANS op '{"type":"portscan","targets":["--script=evil"]}'
check 422 invalid_target POST $SCANS op "{\"type\":\"portscan\",\"targets\":[\"$long\"]}"
check 422 invalid_target POST $SCANS op "{\"type\":\"portscan\",\"targets\":[\"127.0.0.1' OR '1'='1\"]}"
check 422 invalid_type   POST $SCANS op "{\"type\":\"portscan'; DROP TABLE scans;--\",\"targets\":[\"127.0.0.1\"]}"
check 422 invalid_type   POST $SCANS op "{\"type\":\"$long\",\"targets\":[\"127.0.0.1\"]}"
check 400 invalid_header POST $SCANS op "$ok_body" -H "Idempotency-Key: $long"
# -- out of scope
check 403 out_of_scope   POST $SCANS op '{"type":"portscan","targets":["8.8.8.8"]}'
check 403 out_of_scope   POST $SCANS op '{"type":"portscan","targets":["127.0.0.1","192.0.2.7"]}'
# -- ids and queries
check 404 not_found      GET "$SCANS/999999" op
check 400 invalid_id     GET "$SCANS/abc" op
check 400 invalid_id     GET "$SCANS/-1" op
check 400 invalid_id     GET "$SCANS/0" op
check 400 invalid_id     GET "$SCANS/99999999999999999999999" op
check 400 invalid_id     GET "$SCANS/1%27%20OR%201=1" op
check 404 not_found      POST "$SCANS/999999/retry" op
check 404 not_found      GET "$SCANS/999999/findings" op
check 409 illegal_transition POST "$SCANS/1/retry" op
check 400 invalid_query  GET "$SCANS?status=bogus" op
check 400 invalid_query  GET "$SCANS?limit=0" op
check 400 invalid_query  GET "$SCANS?limit=100000" op
check 400 invalid_query  GET "$SCANS?cursor=abc" op
check 400 invalid_query  GET "$SCANS/1/findings?after=-5" op
check 404 not_found      GET /api/v1/nothing-here op
# -- control characters in a query parameter (its name or its value) or in
#    the path, after percent-decoding: 400 invalid_parameter on every route,
#    a known one or not, before anything is read or written (the POST below
#    has a valid body and queues nothing).  The detail names the parameter.
for qs in 'cursor=%00%01' 'status=%00x' 'limit=5%00abc' 'type=port%01scan' 'target=127.0.0.1%1f' \
	  'target=127.0.0.1%7f' 'limit=5&cursor=1%0a' 'status=pending%0d%0aX:1' 'sta%00tus=pending' \
	  '%01=1' 'x%7f' 'limit=%00'; do
	check 400 invalid_parameter GET "$SCANS?$qs" op
done
detail_says() { grep -q "$1" "$dir/body" || { echo "not ok - the detail does not say $1: $(cat "$dir/body")"; bad=$((bad + 1)); }; }
check 400 invalid_parameter GET "$SCANS?limit=5&cursor=%00%01" op;	detail_says "'cursor'"
check 400 invalid_parameter GET "$SCANS?sta%00tus=pending" op;	detail_says "'sta?tus'"
check 400 invalid_parameter POST "$SCANS?x=%00" op "$ok_body";	detail_says "'x'"
check 400 invalid_parameter POST "$SCANS/1/cancel?reason=a%01" op
check 400 invalid_parameter GET "$SCANS/1/findings?after=1%00" op
check 400 invalid_parameter GET "/api/v1/inventory?port=80%00" op
check 400 invalid_parameter GET "/readyz?x=%00" none
check 400 invalid_parameter GET "/healthz?%1f" none
for p in "$SCANS%00" "$SCANS/1%00" "$SCANS/1%00/cancel" "$SCANS%2f1%01" "$SCANS/1%7f" \
	 "/healthz%0a" "/static/app.js%00.png" "/api/v1/nothing%1f"; do
	check 400 invalid_parameter GET "$p" op
done
check 400 invalid_parameter POST "$SCANS%00" op "$ok_body";	detail_says "path"
check 400 invalid_parameter POST "$SCANS/1%00/cancel" op
check 400 invalid_parameter GET "$SCANS/1%01" none
# The same bytes sent as they are (no client sends them; curl cannot): a raw
# NUL cuts libmicrohttpd's C strings short like %00 does.
raw_request() { # LINE (Python escapes): the status and code of that request line
	python3 - "${BASE##*:}" "$1" "$OP" <<'PY'
import json, socket, sys
line = sys.argv[2].encode().decode("unicode_escape").encode("latin-1")
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(line + b"\r\nHost: t\r\nAuthorization: Bearer " + sys.argv[3].encode()
	  + b"\r\nConnection: close\r\n\r\n")
resp = b""
while (b := s.recv(65536)):
	resp += b
head, _, body = resp.partition(b"\r\n\r\n")
code = json.loads(body).get("code", "") if body.startswith(b"{") else ""
print(head.split(b" ")[1].decode(), code)
PY
}
for line in 'GET /api/v1/scans\x00x HTTP/1.1' 'GET /api/v1/scans?limit=5\x00abc HTTP/1.1' \
	    'GET /api/v1/scans?cursor=\x00 HTTP/1.1' 'GET /api/v1/scans/1\x01 HTTP/1.1' \
	    'GET /api/v1/scans?status=pending\x1f HTTP/1.1' 'POST /api/v1/scans/1/cancel?x=\x7f HTTP/1.1'; do
	n=$((n + 1))
	got=$(raw_request "$line")
	if [ "$got" = "400 invalid_parameter" ]; then
		echo "ok $n - raw $line -> $got"
	else
		echo "not ok $n - raw $line: want 400 invalid_parameter, got $got"
		bad=$((bad + 1))
	fi
done
[ "$(raw_request 'GET /api/v1/scans?limit=5 HTTP/1.1')" = "200 " ] || fail "raw_request: a clean request line"
check 405 method_not_allowed DELETE "$SCANS/1" op
check 405 method_not_allowed PUT "$SCANS" op "$ok_body"
# -- authentication and roles
check 401 unauthorized   GET "$SCANS" none
check 401 unauthorized   POST "$SCANS" none "$ok_body"
check 401 unauthorized   GET "$SCANS" 'raw:Basic dXNlcjpwYXNz'
check 401 invalid_token  GET "$SCANS" 'raw:Bearer sq_1_deadbeef'
check 401 invalid_token  GET "$SCANS" "raw:Bearer sq_1_$(printf '0%.0s' $(seq 1 64))"
check 401 invalid_token  GET "$SCANS" "raw:Bearer sq_999_$(printf 'a%.0s' $(seq 1 64))"
check 401 invalid_token  GET "$SCANS" "raw:Bearer ${OP}x"
check 403 forbidden      POST "$SCANS" view "$ok_body"
check 403 forbidden      POST "$SCANS/1/cancel" view
check 403 forbidden      POST /api/v1/tokens op '{"role":"admin"}'
check 422 invalid_field  POST /api/v1/tokens admin '{"role":"root"}'
check 422 unknown_field  POST /api/v1/tokens admin '{"role":"viewer","scope":"all"}'

# -- a 2 MiB body sent slowly, without Expect: 100-continue (as a script's
#    client sends it): every byte goes out without a broken pipe, the 413
#    comes back readable, and then the server closes the connection.
slow_413=$(python3 - "${BASE##*:}" "$OP" <<'PY' 2>&1
import socket, sys, time
body = b'{"type":"portscan","targets":["' + b'a' * (2 << 20) + b'"]}'
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"POST /api/v1/scans HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + sys.argv[2].encode()
	  + b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode()
	  + b"\r\n\r\n")
try:
	for i in range(0, len(body), 64 << 10):
		s.sendall(body[i:i + (64 << 10)])
		time.sleep(0.01)
except OSError as e:
	print("send failed after %d bytes: %s" % (i, e))
	sys.exit(1)
resp, end = b"", "the server kept the connection open"
try:
	while True:
		b = s.recv(65536)
		if not b:
			end = "then the server closed"
			break
		resp += b
except OSError as e:
	end = "then %s" % e
print(resp.split(b"\r\n")[0].decode(errors="replace"), "-", end)
PY
)
case $slow_413 in
"HTTP/1.1 413 "*"- then the server closed") ok "a 2 MiB body sent slowly reads back its 413, then the connection closes" ;;
*) echo "not ok - a 2 MiB body sent slowly: $slow_413"; bad=$((bad + 1)) ;;
esac

after=$(db_hash)
[ "$before" = "$after" ] || fail "the database changed"
ok "database unchanged after $n refused requests"
[ "$n" -ge 30 ] || fail "only $n cases"
[ "$bad" = 0 ] || fail "$bad of $n cases answered wrongly"
kill "$SERVE_PID"
echo PASS
