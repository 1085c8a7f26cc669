#!/bin/sh
# bench/peer-beanstalkd.sh — scanq's SQLite store against beanstalkd, same
# machine, same run, alternating for PAIRS pairs: scanq
# (`build/bench/queue N BATCH` on a temp file, synchronous=FULL: an fsync on
# every commit), beanstalkd with an fsync on every write (`-f 0`) and with
# its default (`-f 50`: fsync at most every 50 ms, so up to 50 ms of
# acknowledged jobs can be lost), each beanstalkd fresh with a binlog in a
# temp folder on 127.0.0.1 (build/bench/beanstalk drives it, BATCH requests
# in flight).  Prints each pair's claim+complete (scanq) and reserve+delete
# (beanstalkd) rates and the ratios, then min / median / max of each.
#
#   sh bench/peer-beanstalkd.sh [N [BATCH [PAIRS]]]      (defaults 20000 100 3)
set -e
cd "$(dirname "$0")/.."
N=${1:-20000}
BATCH=${2:-100}
PAIRS=${3:-3}
command -v beanstalkd >/dev/null || { echo "beanstalkd is missing (apt-get install beanstalkd)" >&2; exit 1; }
[ -x build/bench/queue ] && [ -x build/bench/beanstalk ] || make -s build/bench/queue build/bench/beanstalk
tmp=$(mktemp -d)
bpid=""
# Only the beanstalkd this script started, by its PID.
trap '[ -n "$bpid" ] && kill "$bpid" 2>/dev/null; rm -rf "$tmp"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
	|| echo $((30000 + $$ % 20000)))
# bean FSYNC_ARGS: reserve+delete rate of a fresh beanstalkd
bean() {
	rm -rf "$tmp/bin"; mkdir "$tmp/bin"
	beanstalkd -l 127.0.0.1 -p "$port" -b "$tmp/bin" "$@" &
	bpid=$!
	for _ in 1 2 3 4 5 6 7 8 9 10; do build/bench/beanstalk "$port" 1 1 >/dev/null 2>&1 && break; sleep 0.2; done
	build/bench/beanstalk "$port" "$N" "$BATCH" | sed -n 's/^reserve+delete: *\([0-9]*\).*/\1/p'
	kill "$bpid"; wait "$bpid" 2>/dev/null || true
	bpid=""
}
out=$tmp/ratios
echo "N=$N BATCH=$BATCH, $PAIRS pairs, $(nproc) cores, $(beanstalkd -v)"
for i in $(seq "$PAIRS"); do
	sq=$(build/bench/queue "$N" "$BATCH" "$tmp/q$i.db" | sed -n 's/^claim+complete: *\([0-9]*\).*/\1/p')
	f0=$(bean -f 0)
	f50=$(bean)
	r0=$(echo "scale=2; $sq / $f0" | bc); r50=$(echo "scale=2; $sq / $f50" | bc)
	echo "pair $i: scanq $sq/s; beanstalkd -f 0 $f0/s (ratio $r0); beanstalkd -f 50 $f50/s (ratio $r50)"
	echo "$r0 $r50" >>"$out"
done
for col in 1 2; do
	name=$([ $col = 1 ] && echo "vs -f 0" || echo "vs -f 50")
	sort -n -k$col "$out" | awk -v c=$col -v name="$name" '{ v[NR] = $c } END {
		printf "scanq / beanstalkd %s: min %s, median %s, max %s\n", name, v[1], v[int((NR + 1) / 2)], v[NR] }'
done
