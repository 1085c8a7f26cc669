#!/bin/sh
# bench/inventory.sh — the inventory on a big database: how long `scanq
# inventory --json` takes with the best-known service derived at read time
# (S_INVENTORY and its partial index findings_detected, migration 24).
#
#   bench/inventory.sh FILL_SCANQ READ_SCANQ DB_FILE [FINDINGS] [RUNS]
#
# Makes DB_FILE (SQLite) with FILL_SCANQ's schema (`scanq migrate`), then
# FINDINGS (default 1,000,000) open_port findings in completed scans of 200
# findings each, over 2,000 hosts x 10 ports (20,000 inventory rows, each
# seen FINDINGS / 20,000 times); every other scan ran service detection
# (its details say detected_by), the others did not.  Prints the time of
# READ_SCANQ's migration of the filled database (migration 24 builds its
# index then) and of RUNS (default 5) reads by READ_SCANQ, and their
# median.  A/B: the binary before a change reads, then the one after:
#   bench/inventory.sh /tmp/old-scanq /tmp/old-scanq /tmp/a.db
#   bench/inventory.sh /tmp/old-scanq build/scanq /tmp/b.db
set -e
F=$1 S=$2 DB=$3 N=${4:-1000000} RUNS=${5:-5}
[ -x "$F" ] && [ -x "$S" ] && [ -n "$DB" ] \
	|| { echo "usage: $0 FILL_SCANQ READ_SCANQ DB_FILE [FINDINGS] [RUNS]" >&2; exit 2; }
rm -f "$DB" "$DB-wal" "$DB-shm"
export SCANQ_CONFIG=/dev/null
"$F" --db "sqlite://$DB" migrate >/dev/null
scans=$(( (N + 199) / 200 ))
t0=$(date +%s.%N)
sqlite3 "$DB" <<SQL
PRAGMA journal_mode = WAL;
BEGIN;
WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < $scans)
INSERT INTO scans (id, type, targets, status, run_after, created_at, claimed_at, finished_at, attempt)
SELECT n, 'portscan', '["10.0.0.0/21"]', 'completed', n * 1000, n * 1000, n * 1000, n * 1000 + 500, 1 FROM i;
WITH RECURSIVE i(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n < $N - 1)
INSERT INTO findings (scan_id, kind, target, port, proto, service, severity, title, detail, created_at)
SELECT 1 + n / 200, 'open_port', '10.0.' || (n % 2000 / 256) || '.' || (n % 2000 % 256),
 1 + (n / 2000) % 10, 'tcp', CASE WHEN (n / 200) % 2 = 0 THEN 'ssh' END, 'info', 'open port',
 CASE WHEN (n / 200) % 2 = 0
  THEN '{"state":"open","address":"10.0.0.1","product":"OpenSSH","version":"9.' || (n / 200 % 10) || '","detected_by":"banner"}'
  ELSE '{"state":"open","address":"10.0.0.1"}' END, 0 FROM i;
INSERT INTO scan_baselines (scan_id, key) SELECT id, 'portscan' FROM scans;
COMMIT;
SQL
echo "filled: $scans scans, $N findings in $(echo "$(date +%s.%N) - $t0" | bc) s"
t0=$(date +%s.%N)
"$S" --db "sqlite://$DB" migrate >/dev/null
echo "migrate by READ_SCANQ (none if the schema is current): $(echo "$(date +%s.%N) - $t0" | bc) s"
times=""
for r in $(seq "$RUNS"); do
	t0=$(date +%s.%N)
	rows=$("$S" --db "sqlite://$DB" inventory --json | grep -c '"target"')
	t=$(echo "$(date +%s.%N) - $t0" | bc)
	echo "run $r: $t s, $rows rows"
	times="$times $t"
done
echo "median: $(echo $times | tr ' ' '\n' | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p") s"
