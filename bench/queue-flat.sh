#!/bin/sh
# bench/queue-flat.sh — does the store slow down as finished scans
# accumulate?  For each F in 10,000, 100,000 and 1,000,000: a database with
# F completed scans (each with its three timeline events) made once, then,
# ROUNDS times and the sizes interleaved, a copy of it drained by
# `build/bench/queue N BATCH` (N new scans inserted, then claimed and
# completed as a worker does, durable commits).  Prints each run's
# claim+complete rate and each size's median against the 10,000 one.
#
#   sh bench/queue-flat.sh [N [BATCH [ROUNDS [sqlite|pg]]]]   (defaults 20000 100 3 sqlite)
#
# SQLite: the seeded file is made with sqlite3 and copied for each run.
# PostgreSQL: a server of its own (tools/pg-test-server.sh, stopped at the
# end) unless SCANQ_TEST_PG_URL names one; the seeded databases are
# templates, each run drains a CREATE DATABASE ... TEMPLATE copy made by
# copying files (STRATEGY FILE_COPY, PostgreSQL 15 and later), followed by a
# CHECKPOINT: PostgreSQL 15's default copy writes the whole database
# through the WAL, and the checkpoints it then owes fell inside the
# measurement, the larger the copy the more (1,000,000 seeded scans drained
# at 0.35x the 10,000 figure that way, at 0.9-1.2x after a checkpoint).  Either
# way the bench checks, after each run, that the copy still holds the F
# seeded scans besides the N it drained: the history was there.
set -e
cd "$(dirname "$0")/.."
N=${1:-20000}
BATCH=${2:-100}
ROUNDS=${3:-3}
BACKEND=${4:-sqlite}
[ -x build/bench/queue ] && [ -x build/scanq ] || make -s build/scanq build/bench/queue
tmp=$(mktemp -d)
pgdir=""
trap '[ -n "$pgdir" ] && sh tools/pg-test-server.sh stop "$pgdir"; rm -rf "$tmp"' EXIT
sizes="10000 100000 1000000"
case $BACKEND in
sqlite) ;;
pg)
	if [ -z "$SCANQ_TEST_PG_URL" ]; then
		eval "$(sh tools/pg-test-server.sh start)"
		pgdir=$SCANQ_TEST_PG_DIR
	fi
	base=${SCANQ_TEST_PG_URL%/*}
	copy=""
	[ "$(psql "$base/postgres" -XAtc 'SHOW server_version_num')" -ge 150000 ] && copy="STRATEGY = FILE_COPY"
	;;
*) echo "usage: queue-flat.sh [N [BATCH [ROUNDS [sqlite|pg]]]]" >&2; exit 2 ;;
esac

# The seeded rows, the same in both dialects: F completed scans (x from 1
# to F, from each dialect's series) and their three timeline events each.
SCANS="INSERT INTO scans (type, targets, options, status, priority, attempt, max_attempts,
	run_after, created_at, claimed_at, finished_at, progress, summary, worker_id)
SELECT 'test-ok', '[\"127.0.0.1\"]', '{}', 'completed', 0, 1, 3, 1700000000000 + x,
	1700000000000 + x, 1700000000001 + x, 1700000000006 + x, 1, '{}', 'w-1'"
EVENTS=""
for ev in "created_at, NULL, 'pending', 0, NULL, 'submitted'" \
	"claimed_at, 'pending', 'running', 1, 'w-1', 'claimed'" \
	"finished_at, 'running', 'completed', 1, 'w-1', 'completed'"; do
	EVENTS="$EVENTS
INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt, worker_id, reason)
SELECT id, $ev FROM scans;"
done
# seed_sqlite F / seed_pg F: the database of F completed scans to copy
seed_sqlite() {
	build/scanq --db "sqlite://$tmp/base$1.db" migrate >/dev/null
	sqlite3 "$tmp/base$1.db" <<SQL
BEGIN;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $1)
$SCANS FROM c;
$EVENTS
COMMIT;
SQL
}
seed_pg() {
	psql "$base/postgres" -qX -c "DROP DATABASE IF EXISTS flat_base_$1" -c "CREATE DATABASE flat_base_$1" >/dev/null
	build/scanq --db "$base/flat_base_$1" migrate >/dev/null
	psql "$base/flat_base_$1" -qX -v ON_ERROR_STOP=1 >/dev/null <<SQL
BEGIN;
$SCANS
FROM generate_series(1, $1) AS x;
$EVENTS
COMMIT;
VACUUM ANALYZE;
SQL
}
# run_once F: one drain of a copy of F's database; prints its rate
run_once() {
	if [ "$BACKEND" = pg ]; then
		psql "$base/postgres" -qX -c "DROP DATABASE IF EXISTS flat_run" \
			-c "CREATE DATABASE flat_run TEMPLATE flat_base_$1 $copy" -c "CHECKPOINT" >/dev/null
		rate=$(build/bench/queue "$N" "$BATCH" "$base/flat_run" | sed -n 's/^claim+complete: *\([0-9]*\).*/\1/p')
		have=$(psql "$base/flat_run" -XAtc "SELECT count(*) FROM scans WHERE status = 'completed'")
		psql "$base/postgres" -qX -c "DROP DATABASE flat_run" >/dev/null
	else
		cp "$tmp/base$1.db" "$tmp/run.db"
		rate=$(build/bench/queue "$N" "$BATCH" "$tmp/run.db" | sed -n 's/^claim+complete: *\([0-9]*\).*/\1/p')
		have=$(sqlite3 "$tmp/run.db" "SELECT count(*) FROM scans WHERE status = 'completed'")
		rm -f "$tmp/run.db" "$tmp/run.db-wal" "$tmp/run.db-shm"
	fi
	# The seeded scans were there while it measured: they are there after.
	[ "$have" = $(($1 + N)) ] || { echo "error: $have completed scans after the run, expected $(($1 + N))" >&2; exit 1; }
	echo "$rate"
}
for f in $sizes; do
	seed_$BACKEND "$f"
done
if [ "$BACKEND" = pg ]; then
	echo "N=$N BATCH=$BATCH, $ROUNDS rounds, $(nproc) cores, PostgreSQL $(psql "$base/postgres" -XAtc 'SHOW server_version')"
else
	echo "N=$N BATCH=$BATCH, $ROUNDS rounds, $(nproc) cores, SQLite $(sqlite3 --version | cut -d' ' -f1)"
fi
for r in $(seq "$ROUNDS"); do
	for f in $sizes; do
		rate=$(run_once "$f")
		echo "round $r: $f finished scans: $rate scans/s"
		echo "$f $rate" >>"$tmp/rates"
	done
done
for f in $sizes; do
	grep "^$f " "$tmp/rates" | sort -n -k2 | awk '{ v[NR] = $2 } END { print v[int((NR + 1) / 2)] }' >"$tmp/m$f"
done
for f in $sizes; do
	echo "median with $f finished: $(cat "$tmp/m$f") scans/s, $(echo "scale=2; $(cat "$tmp/m$f") / $(cat "$tmp/m10000")" | bc)x the 10,000 figure"
done
