#!/bin/bash
# bench/portscan.sh — the built-in TCP connect scanner against nmap's, on
# all 65,535 TCP ports of 127.0.0.1 (loopback only: the target is fixed).
#
#   bench/portscan.sh [RUNS]        (default 5; SCANQ=path/to/scanq, default build/scanq)
#
# Starts three loopback listeners so there is something to find, then runs,
# interleaved RUNS times each:
#   scanq scan portscan 127.0.0.1 --ports - --json
#   nmap -sT -p- -n -Pn -T4 127.0.0.1
# checks that both found the same open ports every time, and prints the
# wall time of each run, the medians, their ratio (nmap / scanq) and the
# peak resident memory of each (from /usr/bin/time, Debian package "time").
set -u
cd "$(dirname "$0")/.." || exit 1
RUNS=${1:-5}
SCANQ=${SCANQ:-build/scanq}
TARGET=127.0.0.1	# never anything else
[ -x "$SCANQ" ] || { echo "error: $SCANQ is not built (make BUILD=build all)" >&2; exit 1; }
command -v nmap >/dev/null || { echo "error: nmap is not installed (apt-get install nmap)" >&2; exit 1; }
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "error: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/scanq-bench-XXXXXX")
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
export SCANQ_CONFIG=/dev/null	# the default scope: loopback only

for i in 1 2 3; do
	perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(Listen => 128, LocalAddr => "127.0.0.1",
			LocalPort => 0, ReuseAddr => 1) or die "listen: $!";
		open(my $f, ">", $ARGV[0]) or die; print $f $s->sockport, "\n"; close $f;
		while (my $c = $s->accept) { close $c; }' "$T/listener$i" &
	PIDS="$PIDS $!"
done
for i in 1 2 3; do
	for _ in $(seq 100); do [ -s "$T/listener$i" ] && break; sleep 0.05; done
done

now() { date +%s.%N; }
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

: >"$T/scanq.times"; : >"$T/nmap.times"; : >"$T/scanq.mem"; : >"$T/nmap.mem"
printf '%-4s %-12s %-12s %-8s\n' run scanq_s nmap_s same_open
for r in $(seq "$RUNS"); do
	t0=$(now)
	"$TIME" -f %M -o "$T/mem" "$SCANQ" scan portscan "$TARGET" --ports - --json >"$T/scanq.out" || { echo "error: scanq failed" >&2; exit 1; }
	t1=$(now)
	cat "$T/mem" >>"$T/scanq.mem"
	"$TIME" -f %M -o "$T/mem" nmap -sT -p- -n -Pn -T4 "$TARGET" >"$T/nmap.out" || { echo "error: nmap failed" >&2; exit 1; }
	t2=$(now)
	cat "$T/mem" >>"$T/nmap.mem"
	a=$(echo "$t1 - $t0" | bc -l 2>/dev/null || awk "BEGIN { print $t1 - $t0 }")
	b=$(echo "$t2 - $t1" | bc -l 2>/dev/null || awk "BEGIN { print $t2 - $t1 }")
	echo "$a" >>"$T/scanq.times"; echo "$b" >>"$T/nmap.times"
	grep -o '"port":[0-9]*' "$T/scanq.out" | cut -d: -f2 | sort -n >"$T/scanq.ports"
	grep -E '^[0-9]+/tcp +open ' "$T/nmap.out" | cut -d/ -f1 | sort -n >"$T/nmap.ports"
	same=yes
	cmp -s "$T/scanq.ports" "$T/nmap.ports" || same=NO
	for i in 1 2 3; do grep -qx "$(cat "$T/listener$i")" "$T/scanq.ports" || same=NO; done
	printf '%-4s %-12.3f %-12.3f %-8s\n' "$r" "$a" "$b" "$same"
	if [ "$same" != yes ]; then
		echo "error: the open ports differ: scanq $(paste -sd, "$T/scanq.ports"), nmap $(paste -sd, "$T/nmap.ports")" >&2
		exit 1
	fi
done
ms=$(median <"$T/scanq.times"); mn=$(median <"$T/nmap.times")
echo
echo "open ports found by both: $(paste -sd, "$T/scanq.ports")"
awk -v s="$ms" -v n="$mn" 'BEGIN { printf "median wall time: scanq %.3f s, nmap %.3f s, nmap/scanq = %.2fx\n", s, n, n / s }'
echo "peak RSS: scanq $(sort -n "$T/scanq.mem" | tail -1) KiB, nmap $(sort -n "$T/nmap.mem" | tail -1) KiB (max over runs)"
