#!/bin/bash
# bench/portscan24.sh — the built-in port scan against nmap's connect scan
# on 127.0.0.0/24 x the top 1,000 ports (256,000 probes; loopback only).
#
#   bench/portscan24.sh [RUNS]        (default 3; SCANQ_SCAN=path/to/scanq-scan, default build/scanq-scan)
#
# Three listeners (on 127.0.0.1, 127.0.0.7 and 127.0.0.200, at top-1000
# ports 8080, 8888 and 9090) give something to find.  Runs, interleaved
# (A B A B), RUNS times each:
#   scanq-scan portscan 127.0.0.0/24 --ports top1000 --json
#   nmap -sT -T4 -n -Pn --top-ports 1000 -oG - 127.0.0.0/24
# checks that both found the same open address:port pairs, and prints each
# pair's times and ratio (nmap / scanq), and the medians.
set -u
cd "$(dirname "$0")/.." || exit 1
RUNS=${1:-3}
SCAN=${SCANQ_SCAN:-build/scanq-scan}
[ -x "$SCAN" ] || { echo "error: $SCAN is not built (make all)" >&2; exit 1; }
command -v nmap >/dev/null || { echo "error: nmap is not installed" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/scanq-bench-XXXXXX")
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
export SCANQ_CONFIG=/dev/null
for hp in 127.0.0.1:8080 127.0.0.7:8888 127.0.0.200:9090; do
	perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(Listen => 128, LocalAddr => $ARGV[0], ReuseAddr => 1)
			or die "listen $ARGV[0]: $!";
		while (my $c = $s->accept) { close $c; }' "$hp" &
	PIDS="$PIDS $!"
	for _ in $(seq 100); do (exec 3<>"/dev/tcp/${hp%:*}/${hp#*:}") 2>/dev/null && break; sleep 0.05; done
done

now() { date +%s.%N; }
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
: > "$T/a.times"; : > "$T/b.times"
printf '%-4s %-10s %-10s %-8s %s\n' pair scanq_s nmap_s ratio same_open
for r in $(seq "$RUNS"); do
	t0=$(now)
	"$SCAN" portscan 127.0.0.0/24 --ports top1000 --json > "$T/scanq.out" || { echo "error: scanq failed" >&2; exit 1; }
	t1=$(now)
	nmap -sT -T4 -n -Pn --top-ports 1000 -oG "$T/nmap.out" 127.0.0.0/24 > /dev/null || { echo "error: nmap failed" >&2; exit 1; }
	t2=$(now)
	a=$(awk "BEGIN { print $t1 - $t0 }"); b=$(awk "BEGIN { print $t2 - $t1 }")
	echo "$a" >> "$T/a.times"; echo "$b" >> "$T/b.times"
	sed -n 's/.*"kind":"open_port","target":"\([0-9.]*\)","port":\([0-9]*\),.*/\1:\2/p' "$T/scanq.out" | sort > "$T/o.scanq"
	perl -ne 'if (/^Host: (\S+).*Ports: (.*)/) { my $h = $1; for (split /, /, $2) { print "$h:$1\n" if m{^(\d+)/open/} } }' \
		"$T/nmap.out" | sort > "$T/o.nmap"
	same=yes; cmp -s "$T/o.scanq" "$T/o.nmap" || same=NO
	for hp in 127.0.0.1:8080 127.0.0.7:8888 127.0.0.200:9090; do grep -qx "$hp" "$T/o.scanq" || same=NO; done
	printf '%-4s %-10.3f %-10.3f %-8.1f %s\n' "$r" "$a" "$b" "$(awk "BEGIN { print $b / $a }")" "$same"
	if [ "$same" != yes ]; then
		echo "error: open ports differ:" >&2; diff "$T/o.scanq" "$T/o.nmap" | head >&2; exit 1
	fi
done
ma=$(median < "$T/a.times"); mb=$(median < "$T/b.times")
echo
echo "open address:port pairs found by both: $(wc -l < "$T/o.scanq") ($(grep -c '^127\.0\.0\.1:' "$T/o.scanq") on 127.0.0.1)"
awk -v a="$ma" -v b="$mb" 'BEGIN { printf "median wall time: scanq %.3f s, nmap -sT -T4 %.3f s, nmap/scanq = %.1fx\n", a, b, b / a }'
