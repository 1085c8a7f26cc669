#!/bin/bash
# bench/flow.sh — shards and chains (issue 14), loopback only.
#
#   bench/flow.sh [RUNS [PG_URL]]     (default 3 runs; PG_URL: an empty-able
#                                      PostgreSQL server URL for the second table)
#
# 1. 127.1.0.0/20 (4,096 addresses) x the top 100 ports, three listeners to
#    find (127.1.0.1:8080, 127.1.7.7:8443, 127.1.15.200:8888).  Interleaved,
#    RUNS times each, on SQLite, `scanq serve --workers 2 --concurrency 4`:
#      sharded  — the default [flow] shard_addresses = 256: 16 shards
#      unsplit  — SCANQ_FLOW_SHARD_ADDRESSES=65536: one scan
#      nmap     — nmap -sT -T4 -n -Pn --top-ports 100 127.1.0.0/20
#    Time: submit to the scan's completion (polled every 20 ms); nmap: its
#    run.  Every run must find the three listeners.
# 2. With PG_URL: the sharded scan on PostgreSQL by `serve --workers 1`
#    alone, and by serve plus a second `scanq worker` (4 slots each).
# 3. A 3-stage chain (discovery -> portscan -> tls of 127.0.0.1) against the
#    same three scans submitted by hand, each as soon as the previous one is
#    seen completed: the hand-off per stage is the time from one stage's
#    finished_at to the next one's claimed_at (database timestamps).
set -u
cd "$(dirname "$0")/.." || exit 1
RUNS=${1:-3}
PG=${2:-}
S=${SCANQ:-$PWD/build/scanq}
[ -x "$S" ] || { echo "error: $S is not built (make all)" >&2; exit 1; }
command -v nmap >/dev/null || { echo "error: nmap is not installed" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/scanq-bench-XXXXXX")
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
export SCANQ_CONFIG=/dev/null SCANQ_WORKER_HEARTBEAT=1
LISTEN="127.1.0.1:8080 127.1.7.7:8443 127.1.15.200:8888"
for hp in $LISTEN 127.0.0.1:8443; do
	perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(Listen => 128, LocalAddr => $ARGV[0], ReuseAddr => 1)
			or die "listen $ARGV[0]: $!";
		$SIG{PIPE} = "IGNORE";
		while (my $c = $s->accept) { print $c "SSH-2.0-bench\r\n"; close $c; }' "$hp" &
	PIDS="$PIDS $!"
	for _ in $(seq 100); do (exec 3<>"/dev/tcp/${hp%:*}/${hp#*:}") 2>/dev/null && break; sleep 0.05; done
done

now() { date +%s.%N; }
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
sql() { case $DB in postgres*) psql "$DB" -tAq -c "$1" ;; *) sqlite3 -cmd ".timeout 5000" "${DB#sqlite://}" "$1" ;; esac; }

# serve_up DB WORKERS [extra worker]: starts serve (and a second worker process)
serve_up() {
	DB=$1
	"$S" --db "$DB" serve --listen 127.0.0.1:0 --workers "$2" --concurrency 4 > "$T/serve.log" 2>&1 &
	SERVE=$!
	EXTRA=""
	for _ in $(seq 200); do grep -q 'msg="http listening"' "$T/serve.log" && break; sleep 0.05; done
	if [ "${3:-}" = extra ]; then
		"$S" --db "$DB" worker --name bench-extra --concurrency 4 > "$T/extra.log" 2>&1 &
		EXTRA=$!
	fi
	sleep 1
}
serve_down() { kill "$SERVE" $EXTRA 2>/dev/null; wait "$SERVE" $EXTRA 2>/dev/null; }

# timed_scan [ENV...]: submits the /20 scan, prints seconds until it completed
timed_scan() {
	local id t0 t1
	t0=$(now)
	id=$(env "$@" "$S" --db "$DB" submit portscan 127.1.0.0/20 --ports top100) || exit 1
	until [ "$(sql "SELECT status FROM scans WHERE id = $id")" = completed ]; do sleep 0.02; done
	t1=$(now)
	found=$(sql "SELECT count(DISTINCT target || ':' || port) FROM findings WHERE kind = 'open_port'
		AND scan_id IN (SELECT id FROM scans WHERE id = $id OR parent_id = $id)")
	[ "$found" = 3 ] || { echo "error: scan $id found $found open ports, not 3" >&2; exit 1; }
	awk "BEGIN { print $t1 - $t0 }"
}

fresh_db() {
	if [ -n "${1:-}" ]; then
		psql "$1" -qc "DROP DATABASE IF EXISTS scanq_bench_flow WITH (FORCE)" >/dev/null 2>&1
		psql "$1" -qc "CREATE DATABASE scanq_bench_flow" >/dev/null
		echo "${1%/*}/scanq_bench_flow"
	else
		rm -f "$T"/s.db*; echo "sqlite://$T/s.db"
	fi
}

echo "## 127.1.0.0/20 x top 100, SQLite, serve --workers 2 --concurrency 4 ($RUNS runs, interleaved)"
printf '%-4s %-10s %-10s %-10s\n' run sharded_s unsplit_s nmap_s
: > "$T/a"; : > "$T/b"; : > "$T/c"
for r in $(seq "$RUNS"); do
	serve_up "$(fresh_db)" 2
	a=$(timed_scan) || exit 1
	b=$(timed_scan SCANQ_FLOW_SHARD_ADDRESSES=65536) || exit 1
	serve_down
	t0=$(now)
	nmap -sT -T4 -n -Pn --top-ports 100 -oG "$T/nmap.out" 127.1.0.0/20 > /dev/null || exit 1
	c=$(awk "BEGIN { print $(now) - $t0 }")
	[ "$(grep -c '/open/' "$T/nmap.out")" = 3 ] || { echo "error: nmap did not find the 3 listeners" >&2; exit 1; }
	echo "$a" >> "$T/a"; echo "$b" >> "$T/b"; echo "$c" >> "$T/c"
	printf '%-4s %-10.2f %-10.2f %-10.2f\n' "$r" "$a" "$b" "$c"
done
ma=$(median < "$T/a"); mb=$(median < "$T/b"); mc=$(median < "$T/c")
printf 'median %-10.2f %-10.2f %-10.2f  unsplit/sharded %.2fx  nmap/sharded %.2fx\n' "$ma" "$mb" "$mc" \
	"$(awk "BEGIN { print $mb / $ma }")" "$(awk "BEGIN { print $mc / $ma }")"

if [ -n "$PG" ]; then
	echo
	echo "## the same sharded scan on PostgreSQL: serve --workers 1, alone and with a second scanq worker"
	printf '%-4s %-10s %-10s\n' run one_proc_s two_procs_s
	: > "$T/d"; : > "$T/e"
	for r in $(seq "$RUNS"); do
		serve_up "$(fresh_db "$PG")" 1
		d=$(timed_scan) || exit 1
		serve_down
		serve_up "$(fresh_db "$PG")" 1 extra
		e=$(timed_scan) || exit 1
		serve_down
		echo "$d" >> "$T/d"; echo "$e" >> "$T/e"
		printf '%-4s %-10.2f %-10.2f\n' "$r" "$d" "$e"
	done
	md=$(median < "$T/d"); me=$(median < "$T/e")
	printf 'median %-10.2f %-10.2f  one/two %.2fx\n' "$md" "$me" "$(awk "BEGIN { print $md / $me }")"
fi

echo
echo "## a 3-stage chain against the same three scans submitted by hand (SQLite; hand-off ms per stage)"
serve_up "$(fresh_db)" 2
: > "$T/chain"; : > "$T/hand"
handoff() {	# handoff PREV NEXT: ms from PREV's finished_at to NEXT's claimed_at
	sql "SELECT (SELECT claimed_at FROM scans WHERE id = $2) - (SELECT finished_at FROM scans WHERE id = $1)"
}
wait_done() { until [ "$(sql "SELECT status FROM scans WHERE id = $1")" = completed ]; do sleep 0.005; done; }
for r in $(seq $((RUNS * 3))); do
	root=$("$S" --db "$DB" submit discovery 127.0.0.1 --then portscan:8443 --then tls) || exit 1
	wait_done "$root"
	until [ -n "$(sql "SELECT id FROM scans WHERE parent_id = $root")" ]; do sleep 0.005; done
	ps=$(sql "SELECT id FROM scans WHERE parent_id = $root"); wait_done "$ps"
	until [ -n "$(sql "SELECT id FROM scans WHERE parent_id = $ps")" ]; do sleep 0.005; done
	tl=$(sql "SELECT id FROM scans WHERE parent_id = $ps"); wait_done "$tl"
	handoff "$root" "$ps" >> "$T/chain"; handoff "$ps" "$tl" >> "$T/chain"
	d=$("$S" --db "$DB" submit discovery 127.0.0.1) || exit 1; wait_done "$d"
	p=$("$S" --db "$DB" submit portscan 127.0.0.1 --ports 8443) || exit 1; wait_done "$p"
	t=$("$S" --db "$DB" submit tls 127.0.0.1 --ports 8443) || exit 1; wait_done "$t"
	handoff "$d" "$p" >> "$T/hand"; handoff "$p" "$t" >> "$T/hand"
done
serve_down
printf 'hand-off per stage, median of %d: chain %s ms, by hand %s ms (chain - hand: %s ms)\n' \
	"$(wc -l < "$T/chain")" "$(median < "$T/chain")" "$(median < "$T/hand")" \
	"$(awk "BEGIN { print $(median < "$T/chain") - $(median < "$T/hand") }")"
