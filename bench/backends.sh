#!/bin/sh
# bench/backends.sh — the worker pipeline end to end on PostgreSQL against
# SQLite, same machine, same run, alternating (SQLite then PostgreSQL) for
# PAIRS pairs: throughput of N test-ok scans through `serve --workers 2
# --concurrency 8` (real children), and pickup (submit -> child started)
# over M scans, p50 / p99.  PostgreSQL is a throwaway cluster on 127.0.0.1
# (tools/pg-test-server.sh, fsync on).  Prints each pair and the ratio
# PostgreSQL / SQLite of the throughput.
#
#   sh bench/backends.sh [N [M [PAIRS]]]        (defaults 3000 200 3)
set -e
cd "$(dirname "$0")/.."
N=${1:-3000}
M=${2:-200}
PAIRS=${3:-3}
[ -x build/bench/pipeline ] || make -s build/scanq build/bench/pipeline
eval "$(sh tools/pg-test-server.sh start)"
trap 'sh tools/pg-test-server.sh stop "$SCANQ_TEST_PG_DIR"' EXIT
pg=${SCANQ_TEST_PG_URL%/*}
rate() { sed -n 's/^throughput:.* \([0-9]*\) scans\/s$/\1/p'; }
pick() { sed -n 's/^pickup:.*p50 \([0-9.]*\) ms, p99 \([0-9.]*\) ms.*/\1 \/ \2 ms/p'; }
echo "N=$N M=$M, $PAIRS pairs, $(nproc) cores, PostgreSQL $(psql "$SCANQ_TEST_PG_URL" -tAc 'SHOW server_version')"
for i in $(seq "$PAIRS"); do
	sq_t=$(build/bench/pipeline throughput "$N" | rate)
	pg_t=$(SCANQ_BENCH_PG=$pg build/bench/pipeline throughput "$N" | rate)
	sq_p=$(build/bench/pipeline pickup "$M" | pick)
	pg_p=$(SCANQ_BENCH_PG=$pg build/bench/pipeline pickup "$M" | pick)
	echo "pair $i: throughput sqlite $sq_t/s postgres $pg_t/s ratio $(echo "scale=2; $pg_t / $sq_t" | bc);" \
		"pickup p50/p99 sqlite $sq_p, postgres $pg_p"
done
