#!/bin/bash
# bench/dashboard.sh — GET /api/v1/dashboard on a big database, SQLite and
# PostgreSQL: BENCH_SCANS (default 1,000,000) scans finished over the
# last 30 days (one in 50 failed), a finished event for each, one in 20
# with a change, BENCH_STATES (default 100,000) finding states (70 % open
# or reopened, 20 % fixed, spread over 60 days), 200 schedules (20 late)
# and 8 workers.  The rows go in by SQL, so the rollups of migration 25
# are kept by its triggers as they would be by the store.  The requests
# are sent one after the other with curl (REQUESTS, default 500) to
# `scanq serve --workers 0`; the script prints p50, p90, p99 and max of
# curl's total time and serve's CPU time a request, then the plan of each
# statement the dashboard runs
# (EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN ANALYZE with its timing).
# Target (issue 24): p99 <= 50 ms.  Nothing is scanned.  The load average
# is printed before each backend: the machine may be shared.
#
#   SCANQ=build/scanq bash bench/dashboard.sh            # both backends
#   BENCH_BACKENDS=sqlite bash bench/dashboard.sh       # one
# PostgreSQL: a throwaway server from tools/pg-test-server.sh, unless
# SCANQ_TEST_PG_URL names one (a database is made in it and dropped).
set -eu
SCANQ=${SCANQ:-build/scanq}
N=${BENCH_SCANS:-1000000}
NS=${BENCH_STATES:-100000}
REQ=${REQUESTS:-500}
BACKENDS=${BENCH_BACKENDS:-"sqlite pg"}
command -v sqlite3 >/dev/null || { echo "sqlite3 is missing" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/scanq-bench-dash-XXXXXX")
pid= pg_dir= pg_made=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	[ -n "$pg_made" ] && psql "$pg_admin" -qXc "DROP DATABASE IF EXISTS $pg_made" >/dev/null 2>&1
	[ -n "$pg_dir" ] && sh tools/pg-test-server.sh stop "$pg_dir"
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT

# fill NOW OVERRIDE FP: the rows, in SQL both databases take (OVERRIDE:
# PostgreSQL's clause for explicit identity values; FP: a 32-digit hex of i).
fill() {
	local now=$1 ovr=$2 fp=$3
	cat <<SQL
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO scans (id, type, targets, options, status, attempt, run_after, created_at, claimed_at,
  finished_at, progress, summary) $ovr
SELECT i, 'portscan', '["10.0.' || (i % 256) || '.0/24"]', '{}',
  CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'completed' END, 1, 0,
  $now - (($N - i) * 2592000000 / $N) - 1000, $now - (($N - i) * 2592000000 / $N) - 900,
  $now - (($N - i) * 2592000000 / $N), 1.0, '{"findings":0}'
FROM n;
INSERT INTO scan_events (scan_id, at, from_status, to_status, attempt, worker_id)
SELECT id, finished_at, 'running', status, 1, 'w-1' FROM scans;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N / 20)
INSERT INTO scan_changes (scan_id, baseline_id, change_type, kind, target, port, proto, severity, title)
SELECT i * 20 - 1, i * 20 - 2, CASE i % 3 WHEN 0 THEN 'new' WHEN 1 THEN 'gone' ELSE 'changed' END,
  'open_port', '10.0.0.1', 22, 'tcp', 'info', 'open port 22/tcp' FROM n;
INSERT INTO finding_baselines (id, key, created_at) $ovr VALUES (1, 'bench', 0);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $NS)
INSERT INTO finding_states (baseline_id, fingerprint, state, kind, target, port, proto, severity, title,
  first_seen, last_seen, times_seen, first_scan_id, last_scan_id, updated_at)
SELECT 1, $fp, CASE WHEN i % 10 < 6 THEN 'open' WHEN i % 10 < 7 THEN 'reopened'
  WHEN i % 10 < 9 THEN 'fixed' ELSE 'accepted' END,
  'open_port', '10.1.' || (i / 250 % 256) || '.' || (i % 250), 22, 'tcp',
  CASE i % 5 WHEN 0 THEN 'critical' WHEN 1 THEN 'high' WHEN 2 THEN 'medium' WHEN 3 THEN 'low' ELSE 'info' END,
  'open port 22/tcp', $now - (i * 5184000000 / $NS), $now, 1, 1, 1,
  $now - (i * 2592000000 / $NS)
FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
INSERT INTO schedules (name, cron, tz, overlap, type, targets, options, priority, max_attempts,
  time_limit_s, paused, next_run_at, created_at)
SELECT 'bench-' || i, '0 * * * *', 'UTC', 'skip', 'portscan', '["10.2.0.0/24"]', '{}', 0, 3, 60, 0,
  CASE WHEN i % 10 = 0 THEN $now - 7200000 ELSE $now + i * 60000 END, 0 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8)
INSERT INTO workers (id, name, host, pid, started_at, heartbeat_at, concurrency, running, scans_done)
SELECT 'bench-w' || i, 'w-' || i, 'bench', i, $now - 86400000, $now, 4, 0, 0 FROM n;
COMMIT;
SQL
}

# The statements of GET /api/v1/dashboard (src/store/sql.c and the
# dialects' schema.c, with this run's values), to explain.
statements() {
	local now=$1 nowsql=$2 hint_fs=$3 hint_ev=$4 hint_sd=$5 distinct=$6
	local day=$(( (now / 86400000) - 29 )) since=$(( now - 604800000 ))
	local hour=$(( (since + 3599999) / 3600000 ))
	local minute=$(( (since + 59999) / 60000 ))
	cat <<SQL
-- S_DASH_TREND (the chart)
SELECT severity, CASE WHEN day < $day THEN -1 ELSE day - $day END, sum(n)
 FROM dash_trend GROUP BY 1, 2 HAVING sum(n) <> 0;
-- S_DASH_CHANGES (the last 7 days)
SELECT ty, sum(n) FROM (SELECT change_type AS ty, n FROM dash_changes WHERE span = 3600000
 AND bucket >= $hour UNION ALL SELECT change_type, n FROM dash_changes WHERE span = 60000
 AND bucket >= $minute AND bucket < $(( hour * 60 ))
 UNION ALL SELECT 'new', (SELECT count(*) FROM scan_changes c WHERE c.scan_id = s.id
  AND c.change_type = 'new') FROM scans s $hint_fs WHERE s.status = 'completed'
  AND s.finished_at >= $since AND s.finished_at < $(( minute * 60000 ))
 UNION ALL SELECT 'gone', (SELECT count(*) FROM scan_changes c WHERE c.scan_id = s.id
  AND c.change_type = 'gone') FROM scans s $hint_fs WHERE s.status = 'completed'
  AND s.finished_at >= $since AND s.finished_at < $(( minute * 60000 ))
 UNION ALL SELECT 'changed', (SELECT count(*) FROM scan_changes c WHERE c.scan_id = s.id
  AND c.change_type = 'changed') FROM scans s $hint_fs WHERE s.status = 'completed'
  AND s.finished_at >= $since AND s.finished_at < $(( minute * 60000 ))
) x GROUP BY ty;
-- S_DASH_NEWEST (the newest findings)
SELECT fs.id, fs.fingerprint, (SELECT name FROM schedules WHERE id = fb.schedule_id)
 FROM finding_states fs JOIN finding_baselines fb ON fb.id = fs.baseline_id
 WHERE fs.state || '' IN ('open', 'reopened') ORDER BY fs.id DESC LIMIT 10;
-- S_FINISHED_HOUR (completed and failed in the last hour)
SELECT count(*) FILTER (WHERE to_status = 'completed'), count(*) FILTER (WHERE to_status = 'failed')
 FROM scan_events $hint_ev WHERE at >= $nowsql - 3600000
 AND to_status IN ('completed', 'failed', 'cancelled') AND from_status $distinct to_status;
-- S_SCHED_LATE (late schedules)
SELECT id, name, next_run_at FROM schedules $hint_sd WHERE paused = 0
 AND next_run_at < $now - 60000 ORDER BY next_run_at;
-- S_COUNTS (pending, running)
SELECT type, status, sum(n) FROM scan_counts GROUP BY type, status HAVING sum(n) <> 0 ORDER BY type;
-- S_WORKER_LIST (workers and agents)
SELECT w.id, (SELECT count(*) FROM leases l WHERE l.worker_id = w.id)
 FROM workers w ORDER BY w.name, w.started_at DESC;
SQL
}

# cpu PID: the process's user + system time so far, in clock ticks.
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# pg_cpu: the same summed over the bench database's backends but psql's.
pg_cpu() {
	local t=0 p
	for p in $(psql "$url" -tAXc "SELECT pid FROM pg_stat_activity WHERE datname = current_database()
		AND pid <> pg_backend_pid()"); do
		t=$(( t + $(cpu "$p" 2>/dev/null || echo 0) ))
	done
	echo "$t"
}

# measure URL NAME [DBCPU]: serve on URL, REQ requests, the percentiles,
# and the CPU time serve (and DBCPU's processes) spent on them: the
# latency is the shared machine's too, the CPU time is the work.
measure() {
	"$SCANQ" --db "$1" serve --listen 127.0.0.1:0 --workers 0 >"$dir/serve.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do grep -q 'http listening' "$dir/serve.log" && break; sleep 0.1; done
	port=$(sed -n 's/.*msg="http listening".* port=\([0-9]*\).*/\1/p' "$dir/serve.log" | head -1)
	curl -sf "http://127.0.0.1:$port/api/v1/dashboard" >"$dir/first.json"	# warm the cache
	cpu0=$(cpu "$pid") db0=$( [ -n "${3:-}" ] && $3 || echo 0)
	for _ in $(seq "$REQ"); do
		curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/api/v1/dashboard"
	done | sort -n | awk -v b="$2" '{ t[NR] = $1 * 1000 } END {
		printf "%s: GET /api/v1/dashboard x %d: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
			b, NR, t[int(NR * 0.5)], t[int(NR * 0.9)], t[int(NR * 0.99)], t[NR] }'
	echo "$2: CPU time a request: serve $(( ($(cpu "$pid") - cpu0) * 1000 / $(getconf CLK_TCK) / REQ )) ms" \
		"(user + system)${3:+, its PostgreSQL backends $(( ($($3) - db0) * 1000 / $(getconf CLK_TCK) / REQ )) ms}"
	kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
}

for b in $BACKENDS; do
	echo "$b: load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
	now=$(date +%s%3N)
	t0=$(date +%s)
	case $b in
	sqlite)
		db="$dir/bench.db"
		"$SCANQ" --db "sqlite://$db" migrate >/dev/null
		{ echo "PRAGMA synchronous = OFF;"; fill "$now" "" "printf('%032x', i)"; echo "ANALYZE;"; } \
			| sqlite3 "$db"
		echo "$b: filled $N scans, $((N / 20)) changes, $NS finding states in $(( $(date +%s) - t0 )) s"
		measure "sqlite://$db" "$b"
		statements "$now" "$now" "INDEXED BY scans_finished_status" "INDEXED BY scan_events_finished" \
			"INDEXED BY schedules_due" "IS NOT" \
			| sed 's/^SELECT/EXPLAIN QUERY PLAN SELECT/' | sqlite3 "$db" ;;
	pg)
		if [ -z "${SCANQ_TEST_PG_URL:-}" ]; then
			eval "$(sh tools/pg-test-server.sh start)"
			pg_dir=$SCANQ_TEST_PG_DIR
		fi
		pg_admin=$SCANQ_TEST_PG_URL
		pg_made=scanq_bench_dash_$$
		psql "$pg_admin" -qXc "CREATE DATABASE $pg_made"
		url="${pg_admin%/*}/$pg_made"
		"$SCANQ" --db "$url" migrate >/dev/null
		{ echo "SET synchronous_commit = off;"
		  fill "$now" "OVERRIDING SYSTEM VALUE" "lpad(to_hex(i), 32, '0')"
		  echo "SELECT setval(pg_get_serial_sequence('scans', 'id'), $N);"
		  echo "SELECT setval(pg_get_serial_sequence('finding_baselines', 'id'), 1);"
		  # The fill is one transaction, so its 150,000 updates of the
		  # rollups' few hundred rows are dead versions no HOT pruning
		  # could take: a live system's transactions update a row a few
		  # times each.  VACUUM FULL gives the tables the live size.
		  echo "VACUUM FULL dash_trend, dash_changes;"
		  echo "VACUUM ANALYZE;"; } | psql "$url" -qX -v ON_ERROR_STOP=1 >/dev/null
		echo "$b: filled $N scans, $((N / 20)) changes, $NS finding states in $(( $(date +%s) - t0 )) s"
		measure "$url" "$b" pg_cpu
		statements "$now" "(SELECT scanq_now_ms())" "" "" "" "IS DISTINCT FROM" \
			| sed 's/^SELECT/EXPLAIN (ANALYZE, COSTS OFF) SELECT/' | psql "$url" -qX ;;
	*) echo "unknown backend $b (sqlite, pg)" >&2; exit 2 ;;
	esac
done
