#!/bin/sh
# bench/queue-flat.sh — does the SQLite store slow down as finished scans
# accumulate?  For each F in 10,000, 100,000 and 1,000,000: a database with
# F completed scans (each with its three timeline events) made once with
# sqlite3, then, ROUNDS times and the sizes interleaved, a copy of it drained
# by `build/bench/queue N BATCH` (N new scans inserted, then claimed and
# completed as a worker does, synchronous=FULL).  Prints each run's
# claim+complete rate and each size's median against the 10,000 one.
#
#   sh bench/queue-flat.sh [N [BATCH [ROUNDS]]]      (defaults 20000 100 3)
set -e
cd "$(dirname "$0")/.."
N=${1:-20000}
BATCH=${2:-100}
ROUNDS=${3:-3}
[ -x build/bench/queue ] && [ -x build/scanq ] || make -s build/scanq build/bench/queue
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sizes="10000 100000 1000000"
for f in $sizes; do
	build/scanq --db "sqlite://$tmp/base$f.db" migrate >/dev/null
	sqlite3 "$tmp/base$f.db" <<SQL
BEGIN;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $f)
INSERT INTO scans (type, targets, options, status, priority, attempt, max_attempts,
	run_after, created_at, claimed_at, finished_at, progress, summary, worker_id)
SELECT 'test-ok', '["127.0.0.1"]', '{}', 'completed', 0, 1, 3, 1700000000000 + x,
	1700000000000 + x, 1700000000001 + x, 1700000000006 + x, 1, '{}', 'w-1' FROM c;
INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt, worker_id, reason)
SELECT id, created_at, NULL, 'pending', 0, NULL, 'submitted' FROM scans;
INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt, worker_id, reason)
SELECT id, claimed_at, 'pending', 'running', 1, 'w-1', 'claimed' FROM scans;
INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt, worker_id, reason)
SELECT id, finished_at, 'running', 'completed', 1, 'w-1', 'completed' FROM scans;
COMMIT;
SQL
done
echo "N=$N BATCH=$BATCH, $ROUNDS rounds, $(nproc) cores, SQLite $(sqlite3 --version | cut -d' ' -f1)"
for r in $(seq "$ROUNDS"); do
	for f in $sizes; do
		cp "$tmp/base$f.db" "$tmp/run.db"
		rate=$(build/bench/queue "$N" "$BATCH" "$tmp/run.db" | sed -n 's/^claim+complete: *\([0-9]*\).*/\1/p')
		# The seeded scans were there while it measured: they are there after.
		have=$(sqlite3 "$tmp/run.db" "SELECT count(*) FROM scans WHERE status = 'completed'")
		[ "$have" = $((f + N)) ] || { echo "error: $have completed scans after the run, expected $((f + N))" >&2; exit 1; }
		rm -f "$tmp/run.db" "$tmp/run.db-wal" "$tmp/run.db-shm"
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
