#!/bin/bash
# bench/dashboard.sh — GET /api/v1/dashboard on a big SQLite database:
# BENCH_SCANS (default 1,000,000) scans finished over the last 30 days,
# one in 20 with a change, BENCH_STATES (default 100,000) finding states
# (70 % open or reopened, 20 % fixed, spread over 60 days) and a scan of
# each in `findings` for the lifecycle's baselines.  The requests are sent
# one after the other with curl (REQUESTS, default 500) to `scanq serve
# --workers 0`; the script prints p50, p90, p99 and max of curl's total
# time.  Target (issue 24): p99 <= 50 ms.  Nothing is scanned.
#
#   SCANQ=build/scanq bash bench/dashboard.sh
set -eu
SCANQ=${SCANQ:-build/scanq}
N=${BENCH_SCANS:-1000000}
NS=${BENCH_STATES:-100000}
REQ=${REQUESTS:-500}
command -v sqlite3 >/dev/null || { echo "sqlite3 is missing" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/scanq-bench-dash-XXXXXX")
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "${BENCH_KEEP:-}" ] || rm -rf "$dir"' EXIT
db="$dir/bench.db"
now=$(date +%s%3N)
"$SCANQ" --db "sqlite://$db" migrate >/dev/null
t0=$(date +%s)
sqlite3 "$db" <<SQL
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO scans (id, type, targets, options, status, attempt, run_after, created_at, claimed_at,
  finished_at, progress, summary)
SELECT i, 'portscan', '["10.0.' || (i % 256) || '.0/24"]', '{}', 'completed', 1, 0,
  $now - (($N - i) * 2592000000 / $N) - 1000, $now - (($N - i) * 2592000000 / $N) - 900,
  $now - (($N - i) * 2592000000 / $N), 1.0, '{"findings":0}'
FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N / 20)
INSERT INTO scan_changes (scan_id, baseline_id, change_type, kind, target, port, proto, severity, title)
SELECT i * 20, i * 20 - 1, CASE i % 3 WHEN 0 THEN 'new' WHEN 1 THEN 'gone' ELSE 'changed' END,
  'open_port', '10.0.0.1', 22, 'tcp', 'info', 'open port 22/tcp' FROM n;
INSERT INTO finding_baselines (id, key, created_at) VALUES (1, 'bench', 0);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $NS)
INSERT INTO finding_states (baseline_id, fingerprint, state, kind, target, port, proto, severity, title,
  first_seen, last_seen, times_seen, first_scan_id, last_scan_id, updated_at)
SELECT 1, printf('%032x', i), CASE WHEN i % 10 < 6 THEN 'open' WHEN i % 10 < 7 THEN 'reopened'
  WHEN i % 10 < 9 THEN 'fixed' ELSE 'accepted' END,
  'open_port', '10.1.' || (i / 250 % 256) || '.' || (i % 250), 22, 'tcp',
  CASE i % 5 WHEN 0 THEN 'critical' WHEN 1 THEN 'high' WHEN 2 THEN 'medium' WHEN 3 THEN 'low' ELSE 'info' END,
  'open port 22/tcp', $now - (i * 5184000000 / $NS), $now, 1, 1, 1,
  $now - (i * 2592000000 / $NS)
FROM n;
COMMIT;
ANALYZE;
SQL
echo "filled: $N scans, $((N / 20)) changes, $NS finding states in $(( $(date +%s) - t0 )) s"
"$SCANQ" --db "sqlite://$db" serve --listen 127.0.0.1:0 --workers 0 >"$dir/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q 'http listening' "$dir/serve.log" && break; sleep 0.1; done
port=$(sed -n 's/.*msg="http listening".* port=\([0-9]*\).*/\1/p' "$dir/serve.log" | head -1)
curl -sf "http://127.0.0.1:$port/api/v1/dashboard" >/dev/null		# warm the cache
for _ in $(seq "$REQ"); do
	curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/api/v1/dashboard"
done | sort -n | awk '{ t[NR] = $1 * 1000 } END {
	printf "GET /api/v1/dashboard x %d: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
		NR, t[int(NR * 0.5)], t[int(NR * 0.9)], t[int(NR * 0.99)], t[NR] }'
