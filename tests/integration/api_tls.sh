#!/bin/bash
# HTTPS: `scanq serve` with [http] tls_cert and tls_key (here through
# SCANQ_HTTP_TLS_CERT / _KEY) answers over TLS with that certificate, and
# only over TLS; a client that does not trust it is refused by its own
# verification.  A wrong pair of files stops serve at start with one line
# naming the file, before it listens.
source "$(dirname "$0")/lib.sh"

# A throwaway CA and a server certificate it signs, for 127.0.0.1.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 2 \
	-subj "/CN=scanq test CA" >/dev/null 2>&1 || fail "openssl: CA"
openssl req -newkey rsa:2048 -nodes -keyout "$dir/srv.key" -out "$dir/srv.csr" \
	-subj "/CN=127.0.0.1" >/dev/null 2>&1 || fail "openssl: request"
printf 'subjectAltName=IP:127.0.0.1\n' >"$dir/san.ext"
openssl x509 -req -in "$dir/srv.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
	-days 2 -extfile "$dir/san.ext" -out "$dir/srv.pem" >/dev/null 2>&1 || fail "openssl: sign"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/other.key" -out "$dir/other.pem" -days 2 \
	-subj "/CN=other" >/dev/null 2>&1 || fail "openssl: other"
q migrate >/dev/null || fail "migrate"

# serve_refuses WHAT EXPECTED ENV...: serve exits 1 at start, saying EXPECTED
serve_refuses() {
	local what=$1 want=$2 out rc
	shift 2
	out=$(env "$@" timeout 20 "$S" --db "$DB" serve --listen 127.0.0.1:0 --workers 0 2>&1); rc=$?
	[ "$rc" = 1 ] || fail "$what: serve exited $rc, expected 1: $out"
	echo "$out" | grep -q "$want" || fail "$what: no '$want' in: $out"
	echo "$out" | grep -q 'msg="http listening"' && fail "$what: serve listened: $out"
	ok "$what: $(echo "$out" | grep -m1 "$want" | cut -c1-140)"
}
serve_refuses "a certificate without its key" "tls_cert and http.tls_key go together" \
	SCANQ_HTTP_TLS_CERT="$dir/srv.pem"
serve_refuses "a missing certificate file" "http.tls_cert $dir/none.pem: No such file" \
	SCANQ_HTTP_TLS_CERT="$dir/none.pem" SCANQ_HTTP_TLS_KEY="$dir/srv.key"
serve_refuses "a key as the certificate" "http.tls_cert $dir/srv.key: no certificate" \
	SCANQ_HTTP_TLS_CERT="$dir/srv.key" SCANQ_HTTP_TLS_KEY="$dir/srv.key"
serve_refuses "another certificate's key" "is not the key of the certificate" \
	SCANQ_HTTP_TLS_CERT="$dir/srv.pem" SCANQ_HTTP_TLS_KEY="$dir/other.key"
serve_refuses "a certificate as the key" "http.tls_key $dir/srv.pem: no private key" \
	SCANQ_HTTP_TLS_CERT="$dir/srv.pem" SCANQ_HTTP_TLS_KEY="$dir/srv.pem"
[ "$(sql "SELECT count(*) FROM scans")" = 0 ] || fail "a refused start changed the database"

SCANQ_HTTP_TLS_CERT="$dir/srv.pem" SCANQ_HTTP_TLS_KEY="$dir/srv.key" start_serve --workers 0
grep -q 'msg="http listening".* tls=on ' "$dir/serve.log" || fail "no tls=on in the listening line"
BASE=${BASE/http:/https:}

# A client that trusts the CA: the API works, a scan is queued.
code=$(curl -s --cacert "$dir/ca.pem" -o "$dir/body" -w '%{http_code}' "$BASE/healthz")
[ "$code" = 200 ] || fail "healthz over https: $code"
code=$(curl -s --cacert "$dir/ca.pem" -o "$dir/body" -w '%{http_code}' -H 'Content-Type: application/json' \
	-d '{"type":"test-ok","targets":["127.0.0.1"]}' "$BASE/api/v1/scans")
[ "$code" = 202 ] || fail "submit over https: $code $(cat "$dir/body")"
[ "$(sql "SELECT count(*) FROM scans")" = 1 ] || fail "the scan submitted over https is not stored"
ok "a client that trusts the certificate reads and writes over https"

# A client that does not trust it fails its own verification (curl 60).
curl -s -o /dev/null "$BASE/healthz"; rc=$?
[ "$rc" = 60 ] || fail "an untrusting client: curl exited $rc, expected 60 (certificate problem)"
# Plain HTTP to the TLS port gets no HTTP answer.
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "${BASE/https:/http:}/healthz")
[ "$code" = 000 ] || fail "plain http to the https port answered $code"
# The certificate served is the one configured.
subj=$(openssl s_client -connect "${BASE#https://}" -CAfile "$dir/ca.pem" </dev/null 2>/dev/null \
	| openssl x509 -noout -subject 2>/dev/null)
case $subj in *127.0.0.1*) ;; *) fail "served certificate: $subj" ;; esac
ok "no plain http on the https port; untrusting clients refused; the configured certificate served"

# Mutual TLS: with [http] tls_client_ca every request needs a client
# certificate that CA signed; without one, or with another's, a 403 that
# says why, and nothing is written.
serve_refuses "a client CA without https" "http.tls_client_ca needs http.tls_cert" \
	SCANQ_HTTP_TLS_CLIENT_CA="$dir/ca.pem"
serve_refuses "a client CA file that holds no certificate" "http.tls_client_ca $dir/srv.key: no certificate" \
	SCANQ_HTTP_TLS_CERT="$dir/srv.pem" SCANQ_HTTP_TLS_KEY="$dir/srv.key" \
	SCANQ_HTTP_TLS_CLIENT_CA="$dir/srv.key"
openssl req -newkey rsa:2048 -nodes -keyout "$dir/cli.key" -out "$dir/cli.csr" \
	-subj "/CN=agent one" >/dev/null 2>&1 || fail "openssl: client request"
openssl x509 -req -in "$dir/cli.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
	-days 2 -out "$dir/cli.pem" >/dev/null 2>&1 || fail "openssl: client sign"
kill -TERM "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
SCANQ_HTTP_TLS_CERT="$dir/srv.pem" SCANQ_HTTP_TLS_KEY="$dir/srv.key" \
	SCANQ_HTTP_TLS_CLIENT_CA="$dir/ca.pem" start_serve --workers 0
grep -q 'msg="http listening".* tls=mutual ' "$dir/serve.log" || fail "no tls=mutual in the listening line"
BASE=${BASE/http:/https:}
scans=$(sql "SELECT count(*) FROM scans")
code=$(curl -s --cacert "$dir/ca.pem" -o "$dir/body" -w '%{http_code}' -H 'Content-Type: application/json' \
	-d '{"type":"test-ok","targets":["127.0.0.1"]}' "$BASE/api/v1/scans")
[ "$code" = 403 ] || fail "no client certificate: $code $(cat "$dir/body")"
grep -q '"client_certificate"' "$dir/body" || fail "no client_certificate code: $(cat "$dir/body")"
code=$(curl -s --cacert "$dir/ca.pem" --cert "$dir/other.pem" --key "$dir/other.key" -o "$dir/body" \
	-w '%{http_code}' -H 'Content-Type: application/json' \
	-d '{"type":"test-ok","targets":["127.0.0.1"]}' "$BASE/api/v1/scans")
[ "$code" = 403 ] || fail "a client certificate of another CA: $code $(cat "$dir/body")"
grep -q 'not signed by http.tls_client_ca' "$dir/body" || fail "why: $(cat "$dir/body")"
[ "$(sql "SELECT count(*) FROM scans")" = "$scans" ] || fail "a refused client changed the database"
code=$(curl -s --cacert "$dir/ca.pem" --cert "$dir/cli.pem" --key "$dir/cli.key" -o "$dir/body" \
	-w '%{http_code}' -H 'Content-Type: application/json' \
	-d '{"type":"test-ok","targets":["127.0.0.1"]}' "$BASE/api/v1/scans")
[ "$code" = 202 ] || fail "the CA's client certificate: $code $(cat "$dir/body")"
ok "mutual TLS: no certificate and another CA's refused with a 403 that says why; the CA's accepted"
echo PASS
