#!/bin/sh
# bench/peer-graphile.sh — scanq's store against graphile-worker on one
# PostgreSQL, side by side, A B A B: for each of PAIRS pairs, scanq then
# graphile-worker, each on a fresh database of the same throwaway cluster
# (tools/pg-test-server.sh: loopback, fsync on, default durability).
#
#   sh bench/peer-graphile.sh [N [PAIRS]]        (defaults 20000 3)
#
# Both sides: N no-op jobs enqueued in batches of 1,000 (scanq:
# store_submit_many; graphile: addJobs), then drained at concurrency 10
# (scanq: claims of 10 and grouped completions of 10 in one thread, the
# store level, no child processes; graphile: run() with concurrency 10 and a
# task that returns at once), and graphile again in its batched
# configuration (bench/graphile/drain.js: 24 jobs, local queue 500,
# completions batched at once).  Prints each pair's figures and ratios,
# then the min, median and max of each ratio.
set -e
cd "$(dirname "$0")/.."
N=${1:-20000}
PAIRS=${2:-3}
[ -x build/bench/queue ] || make -s build/bench/queue
[ -d bench/graphile/node_modules/graphile-worker ] || npm ci --prefix bench/graphile --no-audit --no-fund >/dev/null
eval "$(sh tools/pg-test-server.sh start)"
trap 'sh tools/pg-test-server.sh stop "$SCANQ_TEST_PG_DIR"' EXIT
base=${SCANQ_TEST_PG_URL%/*}
out=$(mktemp)
echo "N=$N, $PAIRS pairs, $(nproc) cores, PostgreSQL $(psql "$SCANQ_TEST_PG_URL" -tAc 'SHOW server_version'), node $(node --version)"
for i in $(seq "$PAIRS"); do
	psql "$SCANQ_TEST_PG_URL" -qc "CREATE DATABASE sq_$i" -c "CREATE DATABASE gw_$i" -c "CREATE DATABASE gb_$i"
	a=$(build/bench/queue "$N" 10 "$base/sq_$i" 1000)
	sq_enq=$(echo "$a" | sed -n 's/^insert: *\([0-9]*\).*/\1/p')
	sq_drain=$(echo "$a" | sed -n 's/^claim+complete: *\([0-9]*\).*/\1/p')
	b=$(node bench/graphile/drain.js "$base/gw_$i" "$N" 10 1000 2>/dev/null | tail -n 1)
	gw_enq=$(echo "$b" | sed -n 's/.*enqueue=\([0-9]*\).*/\1/p')
	gw_drain=$(echo "$b" | sed -n 's/.*drain=\([0-9]*\).*/\1/p')
	c=$(node bench/graphile/drain.js "$base/gb_$i" "$N" 24 1000 batched 2>/dev/null | tail -n 1)
	gb_drain=$(echo "$c" | sed -n 's/.*drain=\([0-9]*\).*/\1/p')
	r_drain=$(echo "scale=2; $sq_drain / $gw_drain" | bc)
	r_batched=$(echo "scale=2; $sq_drain / $gb_drain" | bc)
	r_enq=$(echo "scale=2; $sq_enq / $gw_enq" | bc)
	echo "pair $i: drain scanq $sq_drain/s graphile $gw_drain/s ratio $r_drain;" \
		"graphile batched $gb_drain/s ratio $r_batched;" \
		"enqueue scanq $sq_enq/s graphile $gw_enq/s ratio $r_enq"
	echo "$r_drain $r_enq $r_batched" >>"$out"
done
for col in 1 3 2; do
	name=$([ $col = 1 ] && echo drain || { [ $col = 3 ] && echo "drain vs batched" || echo enqueue; })
	sort -n -k$col "$out" | awk -v c=$col -v name="$name" '{ v[NR] = $c } END {
		printf "%s ratio (scanq / graphile): min %s, median %s, max %s\n", name, v[1], v[int((NR + 1) / 2)], v[NR] }'
done
rm -f "$out"
