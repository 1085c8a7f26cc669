#!/bin/bash
# bench/api.sh — HTTP API throughput and latency with wrk, on a SQLite
# database holding BENCH_SCANS (default 1,000,000) scans, default
# durability (WAL, synchronous=FULL, as `scanq serve` opens it).
#
#   SCANQ=build/scanq sh bench/api.sh
#
# Measures: GET /api/v1/scans/{id} (random ids, with their timelines),
# POST /api/v1/scans (each one a real queued scan), GET /metrics latency,
# and the peak RSS (VmHWM) of `scanq serve`.  Targets (issue 5): GET
# >= 15,000 req/s with p99 <= 5 ms, POST >= 3,000 req/s, /metrics < 5 ms.
# Knobs: BENCH_SCANS, BENCH_SECONDS (10), BENCH_CONNS (16), BENCH_THREADS
# (wrk threads, 2).
# Only 127.0.0.1 is used.
set -eu
SCANQ=${SCANQ:-build/scanq}
N=${BENCH_SCANS:-1000000}
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNS:-16}
WT=${BENCH_THREADS:-2}
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is missing" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/scanq-bench-api-XXXXXX")
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
db="$dir/bench.db"

# One scan every 2 s over the last 23 days: as a busy install keeps them
# under the 30-day pruning (which would delete older ones at start).
echo "== loading $N scans (3 events each) into $db"
t0=$(date +%s)
"$SCANQ" --db "sqlite://$db" migrate >/dev/null
sqlite3 "$db" <<SQL
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO scans (type, targets, options, status, attempt, run_after, created_at, claimed_at,
                   finished_at, worker_id, progress, summary)
SELECT 'portscan', '["127.0.0.1"]', '{"ports":"1-1024"}', 'completed', 1, t, t, t + 100,
       t + 1500, 'w-1', 1.0, '{"hosts":1,"open":1,"findings":1}'
FROM (SELECT CAST(strftime('%s', 'now') AS INTEGER) * 1000 - ($N - i) * 2000 AS t FROM n);
INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt, worker_id, reason)
SELECT id, created_at, NULL, 'pending', 0, NULL, 'submitted' FROM scans;
INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt, worker_id, reason)
SELECT id, claimed_at, 'pending', 'running', 1, 'w-1', 'claimed' FROM scans;
INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt, worker_id, reason)
SELECT id, finished_at, 'running', 'completed', 1, 'w-1', 'finished' FROM scans;
UPDATE counters SET value = $N WHERE name IN ('submitted', 'claims', 'completed');
COMMIT;
SQL
echo "loaded in $(( $(date +%s) - t0 )) s; $(du -h "$db" | cut -f1)"

"$SCANQ" --db "sqlite://$db" serve --workers 0 --listen 127.0.0.1:0 >"$dir/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do grep -q 'msg="http listening"' "$dir/serve.log" && break; sleep 0.1; done
port=$(sed -n 's/.*msg="http listening".* port=\([0-9]*\).*/\1/p' "$dir/serve.log" | head -1)
[ -n "$port" ] || { cat "$dir/serve.log"; exit 1; }
base="http://127.0.0.1:$port"
echo "== scanq serve pid $pid on $base ($(nproc) cores)"

# metrics_latency LABEL: 50 sequential scrapes, curl's time_total.
metrics_latency() {
	for _ in $(seq 1 50); do
		curl -s -o /dev/null -w '%{time_total}\n' "$base/metrics"
	done | sort -n >"$dir/metrics.txt"
	awk -v l="$1" '{ a[NR] = $1 } END { printf "GET /metrics (%s): min %.2f ms, median %.2f ms, p95 %.2f ms, max %.2f ms\n",
		l, a[1] * 1000, a[int(NR / 2)] * 1000, a[int(NR * 0.95)] * 1000, a[NR] * 1000 }' \
		"$dir/metrics.txt" | tee -a "$dir/summary.txt"
}

metrics_latency "$N scans, before the runs"

cat >"$dir/get.lua" <<LUA
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/v1/scans/" .. math.random(1, $N))
end
LUA
cat >"$dir/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"type":"portscan","targets":["127.0.0.1"],"ports":"22,80,443"}'
wrk.headers["Content-Type"] = "application/json"
LUA

curl -sf "$base/api/v1/scans/1" >/dev/null || { echo "GET failed" >&2; exit 1; }
echo "== GET /api/v1/scans/{id}: wrk -t$WT -c$CONNS -d${SECS}s"
wrk -t"$WT" -c"$CONNS" -d"${SECS}s" --latency -s "$dir/get.lua" "$base" | tee "$dir/get.txt"
echo "== POST /api/v1/scans: wrk -t$WT -c$CONNS -d${SECS}s"
wrk -t"$WT" -c"$CONNS" -d"${SECS}s" --latency -s "$dir/post.lua" "$base/api/v1/scans" \
	| tee "$dir/post.txt"
queued=$(sqlite3 "$db" "SELECT value FROM counters WHERE name = 'submitted'")
echo "submitted counter after the POST run: $queued (was $N)"
# The POST run just queued tens of thousands of scans within one minute:
# the worst case for the "finished in the last minute" figure.
metrics_latency "right after the POST run"


hwm=$(sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$pid/status")
echo "== peak RSS of scanq serve (VmHWM): $hwm"
echo "== summary"
cat "$dir/summary.txt"
printf 'GET  /api/v1/scans/{id}: %s req/s, p99 %s\n' "$(awk '/Requests\/sec/ { print $2 }' "$dir/get.txt")" \
	"$(awk '$1 == "99%" { print $2 }' "$dir/get.txt")"
printf 'POST /api/v1/scans:      %s req/s, p99 %s\n' "$(awk '/Requests\/sec/ { print $2 }' "$dir/post.txt")" \
	"$(awk '$1 == "99%" { print $2 }' "$dir/post.txt")"
for f in get post; do
	grep -q 'Non-2xx' "$dir/$f.txt" && { echo "$f: non-2xx answers:"; grep 'Non-2xx' "$dir/$f.txt"; }
done
exit 0
