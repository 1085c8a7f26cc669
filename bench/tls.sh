#!/bin/bash
# bench/tls.sh — the built-in `tls` scan against Debian's sslscan over 50
# loopback TLS endpoints (openssl s_server, started here; loopback only).
#
#   bench/tls.sh [RUNS [equal|full]]   (default 2 equal; SCANQ_SCAN=path/to/scanq-scan)
#
# With SCANQ_SCAN_BEFORE=path/to/another/scanq-scan (e.g. one built from an
# earlier commit), each round also runs that one on the same endpoints,
# before or after the first (they swap every round), checks its verdicts
# too, and reports its times and before/after ratio: the change itself
# under the same load.
#
# The endpoints: 20 clean (TLS 1.2/1.3, a certificate valid for a year), 15
# that also accept TLS 1.0 and 1.1 (@SECLEVEL=0), 15 with an expired
# certificate.  Runs, interleaved (A B A B), RUNS times each:
#   scanq-scan tls 127.0.0.1 --ports P1,...,P50 --json
#   sslscan --no-colour --xml=FILE --targets=FILE     (the 50 endpoints)
# and checks that both give the same verdicts per endpoint: TLS 1.0
# accepted or not, TLS 1.1 accepted or not, certificate expired or not.
# `equal` (the default) asks sslscan for those verdicts only: protocols and
# the certificate, without its per-suite cipher enumeration, groups,
# renegotiation, compression, fallback and heartbleed checks, so that both
# tools do the same work.  `full` runs sslscan's default (every cipher
# suite on every endpoint, one handshake each): the figure published
# before 2026-12-07 compared that with scanq's checks, which is not equal
# work.
# Prints each pair's times and ratio (sslscan / scanq), and the medians.
set -u
cd "$(dirname "$0")/.." || exit 1
RUNS=${1:-2}
MODE=${2:-equal}
case $MODE in
equal) SSLSCAN_ARGS=(--no-ciphersuites --no-groups --no-renegotiation --no-compression --no-fallback
	--no-heartbleed --no-cipher-details) ;;
full) SSLSCAN_ARGS=() ;;
*) echo "error: mode is equal or full, not '$MODE'" >&2; exit 2 ;;
esac
SCAN=${SCANQ_SCAN:-build/scanq-scan}
BEFORE=${SCANQ_SCAN_BEFORE:-}
[ -x "$SCAN" ] || { echo "error: $SCAN is not built (make all)" >&2; exit 1; }
[ -z "$BEFORE" ] || [ -x "$BEFORE" ] || { echo "error: SCANQ_SCAN_BEFORE=$BEFORE is not executable" >&2; exit 1; }
command -v sslscan >/dev/null || { echo "error: sslscan is not installed (make deps-test)" >&2; exit 1; }
command -v openssl >/dev/null || { echo "error: openssl is not installed" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/scanq-bench-XXXXXX")
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
export SCANQ_CONFIG=/dev/null
# Both tools use the system's trust store as Debian sets it up, not one a
# shell may name (SSL_CERT_FILE makes OpenSSL parse a whole bundle first).
unset SSL_CERT_FILE SSL_CERT_DIR

# Certificates: a good one, and an expired one (openssl ca backdates).
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/good.key" -out "$T/good.crt" -days 365 \
	-subj /CN=localhost 2>/dev/null || exit 1
mkdir -p "$T/ca" && : > "$T/ca/index.txt" && echo 01 > "$T/ca/serial"
printf '[ca]\ndefault_ca=d\n[d]\ndir=%s\ndatabase=%s/index.txt\nnew_certs_dir=%s\nserial=%s/serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n' \
	"$T/ca" "$T/ca" "$T/ca" "$T/ca" > "$T/ca/ca.cnf"
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/old.key" -out "$T/ca/csr" -subj /CN=localhost 2>/dev/null
openssl ca -batch -notext -config "$T/ca/ca.cnf" -selfsign -keyfile "$T/old.key" -in "$T/ca/csr" \
	-out "$T/old.crt" -startdate 20200101000000Z -enddate 20200201000000Z 2>/dev/null || exit 1

free_port() { perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0)->sockport'; }
: > "$T/targets"; : > "$T/expect"; ports=""
for i in $(seq 50); do
	p=$(free_port)
	if [ "$i" -le 20 ]; then kind=clean; args=(-cert "$T/good.crt" -key "$T/good.key")
	elif [ "$i" -le 35 ]; then kind=legacy; args=(-cert "$T/good.crt" -key "$T/good.key" -cipher 'DEFAULT:@SECLEVEL=0')
	else kind=expired; args=(-cert "$T/old.crt" -key "$T/old.key"); fi
	openssl s_server -accept "127.0.0.1:$p" -quiet "${args[@]}" </dev/null >/dev/null 2>&1 &
	PIDS="$PIDS $!"
	echo "127.0.0.1:$p" >> "$T/targets"
	echo "$p $kind" >> "$T/expect"
	ports="$ports${ports:+,}$p"
done
for p in $(cut -d' ' -f1 "$T/expect"); do
	for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break; sleep 0.05; done
done

# verdicts FILE: "port tls10 tls11 expired" per endpoint, sorted.
scanq_verdicts() {
	for p in $(cut -d' ' -f1 "$T/expect"); do
		grep "\"port\":$p," "$1" > "$T/one"
		printf '%s %s %s %s\n' "$p" \
			"$(grep -q '"title":"TLSv1.0 accepted"' "$T/one" && echo 1 || echo 0)" \
			"$(grep -q '"title":"TLSv1.1 accepted"' "$T/one" && echo 1 || echo 0)" \
			"$(grep -q '"check":"expired"' "$T/one" && echo 1 || echo 0)"
	done | sort
}
sslscan_verdicts() {
	perl -ne '
		if (/<ssltest host="[^"]*" sniname="[^"]*" port="(\d+)"/) { $p = $1 }
		if (/<protocol type="tls" version="1\.0" enabled="(\d)"/) { $t10{$p} = $1 }
		if (/<protocol type="tls" version="1\.1" enabled="(\d)"/) { $t11{$p} = $1 }
		if (/<expired>(\w+)<\/expired>/) { $e{$p} = $1 eq "true" ? 1 : 0 }
		END { print "$_ $t10{$_} $t11{$_} $e{$_}\n" for keys %t10 }' "$1" | sort
}

now() { date +%s.%N; }
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
: > "$T/a.times"; : > "$T/b.times"; : > "$T/c.times"
echo "sslscan $MODE: sslscan ${SSLSCAN_ARGS[*]}"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-4s %-10s %-10s %-8s %s%s\n' pair scanq_s sslscan_s ratio same_verdicts "${BEFORE:+  before_s  before/scanq}"
# timed BIN OUT: runs the scan with BIN into OUT, prints its seconds.
timed() {
	local t0
	t0=$(now)
	"$1" tls 127.0.0.1 --ports "$ports" --json > "$2" || { echo "error: $1 tls failed" >&2; return 1; }
	awk "BEGIN { print $(now) - $t0 }"
}
for r in $(seq "$RUNS"); do
	c=""
	# With a second scanq, the two swap places every round: the one that
	# follows sslscan is not always the same.
	if [ -n "$BEFORE" ] && [ $((r % 2)) = 0 ]; then
		c=$(timed "$BEFORE" "$T/before.out") || exit 1
	fi
	a=$(timed "$SCAN" "$T/scanq.out") || exit 1
	if [ -n "$BEFORE" ] && [ $((r % 2)) = 1 ]; then
		c=$(timed "$BEFORE" "$T/before.out") || exit 1
	fi
	[ -z "$c" ] || echo "$c" >> "$T/c.times"
	t1=$(now)
	sslscan --no-colour "${SSLSCAN_ARGS[@]}" --xml="$T/sslscan.xml" --targets="$T/targets" > /dev/null 2>&1 \
		|| { echo "error: sslscan failed" >&2; exit 1; }
	t2=$(now)
	b=$(awk "BEGIN { print $t2 - $t1 }")
	echo "$a" >> "$T/a.times"; echo "$b" >> "$T/b.times"
	scanq_verdicts "$T/scanq.out" > "$T/v.scanq"; sslscan_verdicts "$T/sslscan.xml" > "$T/v.sslscan"
	same=yes; cmp -s "$T/v.scanq" "$T/v.sslscan" || same=NO
	[ "$(wc -l < "$T/v.scanq")" = 50 ] || same=NO
	if [ -n "$BEFORE" ]; then
		scanq_verdicts "$T/before.out" > "$T/v.before"
		cmp -s "$T/v.before" "$T/v.sslscan" || same=NO
		c=$(awk "BEGIN { printf \"  %-9.3f %.2f\", $c, $c / $a }")
	fi
	printf '%-4s %-10.3f %-10.3f %-8.1f %s%s\n' "$r" "$a" "$b" "$(awk "BEGIN { print $b / $a }")" "$same" "$c"
	if [ "$same" != yes ]; then
		echo "error: verdicts differ (port tls1.0 tls1.1 expired):" >&2
		diff "$T/v.scanq" "$T/v.sslscan" | head -20 >&2
		[ -z "$BEFORE" ] || diff "$T/v.before" "$T/v.sslscan" | head -20 >&2
		exit 1
	fi
done
ma=$(median < "$T/a.times"); mb=$(median < "$T/b.times")
echo
echo "verdicts per endpoint (both): $(awk '{ t10 += $2; t11 += $3; e += $4 } END { print t10 " accept TLS 1.0, " t11 " accept TLS 1.1, " e " expired, of " NR }' "$T/v.scanq")"
awk -v a="$ma" -v b="$mb" 'BEGIN { printf "median wall time: scanq tls %.3f s, sslscan %.3f s, sslscan/scanq = %.1fx\n", a, b, b / a }'
if [ -n "$BEFORE" ]; then
	mc=$(median < "$T/c.times")
	awk -v a="$ma" -v c="$mc" 'BEGIN { printf "median wall time of the scanq before: %.3f s, before/scanq = %.2fx\n", c, c / a }'
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
