#!/bin/bash
# bench/dns.sh — subdomain discovery of the `dns` scan type against
# dnsrecon's brute force (`dnsrecon -t brt`, Debian's dnsrecon), with the
# same word list (the built-in one, printed by build/bench/dnsnames) and
# the same server: Debian's nsd, started here on a loopback address of its
# own, port 53 (dnsrecon asks port 53 only; so this needs root), serving
# bench.test where every 7th name of the list exists (A, every other one
# AAAA as well).  Loopback only.
#
#   bench/dns.sh [RUNS] [RATE]   (default 2 pairs; RATE: the scan's queries/s, default 20000;
#                                 "default": no rate option, the scan type's own default)
#   SCANQ_SCAN=path/to/scanq-scan (default build/scanq-scan)
#
# Runs, interleaved (A B A B), RUNS times each:
#   scanq-scan dns bench.test --options '{"resolver":ADDR,"wordlist":LIST,"rate":RATE,"axfr":false}'
#   dnsrecon -d bench.test -t brt -D LIST -n ADDR --threads 32 -j FILE
# and checks that both find the same names.  Prints each pair's times,
# names per second (words of the list / wall time) and the ratio
# (dnsrecon / scanq), then the medians.
set -u
cd "$(dirname "$0")/.." || exit 1
RUNS=${1:-2}
RATE=${2:-20000}
RATE_OPT="\"rate\":$RATE,"
[ "$RATE" = default ] && RATE_OPT=""
SCAN=${SCANQ_SCAN:-build/scanq-scan}
NAMES=build/bench/dnsnames
[ -x "$SCAN" ] && [ -x "$NAMES" ] || { echo "error: $SCAN or $NAMES is not built (make all)" >&2; exit 1; }
command -v nsd >/dev/null || { echo "error: nsd is not installed (make deps-test)" >&2; exit 1; }
command -v dnsrecon >/dev/null || { echo "error: dnsrecon is not installed (make deps-test)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "error: nsd must listen on port 53 for dnsrecon: run as root" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/scanq-bench-XXXXXX")
NSD=""
trap '[ -n "$NSD" ] && kill "$NSD" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
ADDR=127.$(( RANDOM % 200 + 20 )).53.1
printf '[scope]\nallow = 127.0.0.0/8, ::1, bench.test\n' > "$T/scanq.ini"
export SCANQ_CONFIG=$T/scanq.ini

"$NAMES" > "$T/list" || exit 1
WORDS=$(wc -l < "$T/list")
{
	printf '$ORIGIN bench.test.\n$TTL 300\n'
	printf '@ IN SOA ns1.bench.test. hostmaster.bench.test. 1 3600 600 86400 300\n@ IN NS ns1.bench.test.\n'
	printf 'ns1 IN A %s\n' "$ADDR"
	awk 'NR % 7 == 0 { printf "%s IN A 127.1.%d.%d\n", $1, int(NR / 250), NR % 250;
			   if (NR % 14 == 0) printf "%s IN AAAA ::1\n", $1 }' "$T/list" | grep -v '^ns1 '
} > "$T/bench.test.zone"
awk 'NR % 7 == 0 { print $1 ".bench.test" }' "$T/list" | sort -u > "$T/expect"
echo ns1.bench.test >> "$T/expect"; sort -u -o "$T/expect" "$T/expect"
grep -qx ns1 "$T/list" || sed -i '/^ns1.bench.test$/d' "$T/expect"
cat > "$T/nsd.conf" <<EOF
server:
	ip-address: $ADDR@53
	username: ""
	chroot: ""
	zonesdir: "$T"
	database: ""
	zonelistfile: "$T/zone.list"
	xfrdfile: "$T/xfrd.state"
	pidfile: "$T/nsd.pid"
	logfile: "$T/nsd.log"
	server-count: 1
	rrl-ratelimit: 0
remote-control:
	control-enable: no
zone:
	name: bench.test
	zonefile: bench.test.zone
EOF
nsd -d -c "$T/nsd.conf" > "$T/nsd.out" 2>&1 &
NSD=$!
for _ in $(seq 100); do grep -q 'nsd started' "$T/nsd.log" 2>/dev/null && break; sleep 0.1; done
grep -q 'nsd started' "$T/nsd.log" || { echo "error: nsd did not start: $(cat "$T/nsd.out" "$T/nsd.log")" >&2; exit 1; }

now() { date +%s.%N; }
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
: > "$T/a.times"; : > "$T/b.times"; : > "$T/ratios"
echo "words: $WORDS; names in the zone: $(wc -l < "$T/expect"); server: nsd on $ADDR:53; scan rate: $RATE queries/s"
printf '%-4s %-9s %-11s %-11s %-13s %-8s %s\n' pair scanq_s scanq_n/s dnsrecon_s dnsrecon_n/s ratio same_names
for r in $(seq "$RUNS"); do
	t0=$(now)
	"$SCAN" dns bench.test --json --options "{\"resolver\":\"$ADDR\",\"wordlist\":\"$T/list\",$RATE_OPT\"axfr\":false}" \
		> "$T/scanq.out" || { echo "error: scanq dns failed: $(tail -2 "$T/scanq.out")" >&2; exit 1; }
	t1=$(now)
	dnsrecon -d bench.test -t brt -D "$T/list" -n "$ADDR" --threads 32 -j "$T/dnsrecon.json" \
		> "$T/dnsrecon.out" 2>&1 || { echo "error: dnsrecon failed: $(tail -3 "$T/dnsrecon.out")" >&2; exit 1; }
	t2=$(now)
	sed -n 's/.*"kind":"dns_name","target":"\([^"]*\)".*/\1/p' "$T/scanq.out" | sort -u > "$T/a.names"
	python3 -c 'import json,sys
for r in json.load(open(sys.argv[1])):
    if r.get("type") in ("A", "AAAA", "CNAME") and r.get("name"): print(r["name"])' "$T/dnsrecon.json" \
		| grep -v '^bench.test$' | sort -u > "$T/b.names"
	same=no
	cmp -s "$T/a.names" "$T/b.names" && cmp -s "$T/a.names" "$T/expect" && same=yes
	a=$(echo "$t1 - $t0" | bc -l); b=$(echo "$t2 - $t1" | bc -l)
	echo "$a" >> "$T/a.times"; echo "$b" >> "$T/b.times"; echo "$b / $a" | bc -l >> "$T/ratios"
	printf '%-4s %-9.3f %-11.0f %-11.3f %-13.0f %-8.1f %s\n' "$r" "$a" "$(echo "$WORDS / $a" | bc -l)" \
		"$b" "$(echo "$WORDS / $b" | bc -l)" "$(echo "$b / $a" | bc -l)" "$same"
	[ "$same" = yes ] || { echo "names differ: scanq $(wc -l < "$T/a.names"), dnsrecon $(wc -l < "$T/b.names"), zone $(wc -l < "$T/expect")"; diff "$T/a.names" "$T/b.names" | head; }
done
a=$(median < "$T/a.times"); b=$(median < "$T/b.times")
printf 'median: scanq %.3f s (%.0f names/s), dnsrecon %.3f s (%.0f names/s), ratio of medians %.1f, median of ratios %.1f\n' \
	"$a" "$(echo "$WORDS / $a" | bc -l)" "$b" "$(echo "$WORDS / $b" | bc -l)" "$(echo "$b / $a" | bc -l)" \
	"$(median < "$T/ratios")"
