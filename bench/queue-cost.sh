#!/bin/sh
# bench/queue-cost.sh — what one job of the queue costs the PostgreSQL
# server: rows and index entries written, WAL, statements and round trips,
# per job, over a drain of N scans by build/bench/queue (claims of BATCH,
# each batch completed and the next claimed as a worker does).
#
#   sh bench/queue-cost.sh [N [BATCH]]                 (defaults 20000 10)
#   SCANQ_BENCH_QUEUE=/tmp/qmain/build/bench/queue sh bench/queue-cost.sh
#                                                      (another build's store)
#   SCANQ_BENCH_BEATS=5 sh bench/queue-cost.sh        (each scan's lease renewed
#                                                      5 times before it completes)
#
# Starts its own throwaway cluster (tools/pg-test-server.sh: loopback, fsync
# on) with pg_stat_statements preloaded (track = all, so trigger statements
# are counted as nested ones) and autovacuum off (its WAL and index work
# would land in the window at random), on a fresh database.  bench/queue
# inserts the N scans, then runs this script as its hook (SCANQ_BENCH_HOOK)
# with its connection idle: the hook waits until the inserts are in the
# statistics, checks that N scans are pending, and takes the first snapshot.
# After the drain (bench/queue has exited, so its backend has reported its
# last statistics) the script checks that N scans are completed and takes
# the second.  The figures are the differences, divided by N:
#
#   heap tuples      pg_stat_user_tables n_tup_ins + n_tup_upd + n_tup_del,
#                    all tables (of which HOT updates: n_tup_hot_upd)
#   index tuples     btree leaf inserts in the WAL between the two
#                    snapshots (pg_walinspect: Btree/INSERT_LEAF and
#                    INSERT_POST records, one per index entry written;
#                    pg_stat_user_indexes counts reads only)
#   index scans      pg_stat_user_indexes idx_scan
#   WAL              pg_stat_wal wal_records, wal_bytes, wal_fpi, and
#                    the LSN distance as a cross-check
#   statements       pg_stat_statements calls of the bench's user in the
#                    bench's database: top-level ones (each a round trip
#                    when the client does not pipeline) and nested ones
#                    (triggers, functions)
#   transactions     pg_stat_database xact_commit
#
# The snapshots are read by a role of their own (obs), so its queries are
# not counted as the bench's statements.  Then the WAL records of the
# window by kind, and the top-level statements by calls.
set -e
cd "$(dirname "$0")/.."
N=${1:-20000}
BATCH=${2:-10}
Q=${SCANQ_BENCH_QUEUE:-build/bench/queue}
[ -x "$Q" ] || make -s build/bench/queue
eval "$(sh tools/pg-test-server.sh start)"
tmp=$(mktemp -d)
trap 'sh tools/pg-test-server.sh stop "$SCANQ_TEST_PG_DIR"; rm -rf "$tmp"' EXIT
# wal_keep_size: the window's WAL is read back by pg_walinspect at the end,
# so no checkpoint may recycle it first (a long run, e.g. with heartbeats,
# outlives checkpoint_timeout).
psql "$SCANQ_TEST_PG_URL" -qX -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" \
	-c "ALTER SYSTEM SET autovacuum = off" -c "ALTER SYSTEM SET wal_keep_size = '8GB'"
sh tools/pg-test-server.sh down "$SCANQ_TEST_PG_DIR"
sh tools/pg-test-server.sh up "$SCANQ_TEST_PG_DIR"
# Known only once the library is loaded; a reload is enough.
psql "$SCANQ_TEST_PG_URL" -qX -c "ALTER SYSTEM SET pg_stat_statements.track = 'all'" \
	-c "SELECT pg_reload_conf()" >/dev/null
base=${SCANQ_TEST_PG_URL%/*}
psql "$SCANQ_TEST_PG_URL" -qX -c "CREATE DATABASE sq" -c "CREATE ROLE obs SUPERUSER LOGIN"
psql "$base/sq" -qX -c "CREATE EXTENSION pg_stat_statements" -c "CREATE EXTENSION pg_walinspect"
obs=$(echo "$base/sq" | sed 's|//postgres@|//obs@|')

# The hook and the after-snapshot: snap FILE STATUS COLUMN MIN waits until
# pg_stat_user_tables.COLUMN of scans reaches MIN (the bench's statistics
# are in), checks that N scans have STATUS, and writes key=value lines.
cat >"$tmp/snap.sh" <<EOF
#!/bin/sh
set -e
q() { psql "$obs" -qXAt -c "\$1"; }
i=0
while [ "\$(q "SELECT coalesce(sum(\$3), 0) FROM pg_stat_user_tables WHERE relname = 'scans'")" -lt "\$4" ]; do
	i=\$((i + 1)); [ \$i -lt 300 ] || { echo "statistics never arrived" >&2; exit 1; }
	sleep 0.1
done
have=\$(q "SELECT count(*) FROM scans WHERE status = '\$2'")
[ "\$have" = "$N" ] || { echo "expected $N \$2 scans, found \$have" >&2; exit 1; }
{
	echo "rows_\$2=\$have"
	q "SELECT 'lsn=' || pg_current_wal_lsn()"
	q "SELECT 'ins=' || sum(n_tup_ins), 'upd=' || sum(n_tup_upd), 'hot=' || sum(n_tup_hot_upd),
		'del=' || sum(n_tup_del) FROM pg_stat_user_tables" | tr '|' '\n'
	q "SELECT 'idx_scan=' || sum(idx_scan) FROM pg_stat_user_indexes"
	q "SELECT 'wal_records=' || wal_records, 'wal_bytes=' || wal_bytes, 'wal_fpi=' || wal_fpi
		FROM pg_stat_wal" | tr '|' '\n'
	q "SELECT 'top=' || coalesce(sum(calls) FILTER (WHERE toplevel), 0),
		'nested=' || coalesce(sum(calls) FILTER (WHERE NOT toplevel), 0)
		FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'sq')
		AND userid = 'postgres'::regrole" | tr '|' '\n'
	q "SELECT 'xacts=' || xact_commit FROM pg_stat_database WHERE datname = 'sq'"
} >"\$1"
EOF
cat >"$tmp/hook.sh" <<EOF
#!/bin/sh
sh "$tmp/snap.sh" "$tmp/before" pending n_tup_ins $N
psql "$obs" -qXAt -c "SELECT pg_stat_statements_reset()" >/dev/null
EOF
# pg_stat_statements is reset at the hook, so its "before" is zero.

echo "N=$N, batch $BATCH, ${SCANQ_BENCH_BEATS:-0} heartbeats a scan, $(nproc) cores, PostgreSQL $(psql "$SCANQ_TEST_PG_URL" -XtAc 'SHOW server_version'), $Q"
SCANQ_BENCH_HOOK="sh $tmp/hook.sh" "$Q" "$N" "$BATCH" "$base/sq" 1000 | grep -E '^(insert|claim\+complete|heartbeats)'
sh "$tmp/snap.sh" "$tmp/after" completed n_tup_upd $((2 * N))
sed -i -e 's/^top=.*/top=0/' -e 's/^nested=.*/nested=0/' "$tmp/before"

v() { sed -n "s/^$1=//p" "$2"; }
per() { echo "scale=2; ($(v "$1" "$tmp/after") - $(v "$1" "$tmp/before")) / $N" | bc; }
lsn0=$(v lsn "$tmp/before")
lsn1=$(v lsn "$tmp/after")
walinspect() {
	psql "$obs" -qXAt -F ' ' -c "SELECT \"resource_manager/record_type\", count, combined_size
		FROM pg_get_wal_stats('$lsn0', '$lsn1', true) WHERE count > 0 ORDER BY count DESC"
}
walinspect >"$tmp/wal"
idx=$(awk '$1 == "Btree/INSERT_LEAF" || $1 == "Btree/INSERT_POST" { n += $2 } END { print n + 0 }' "$tmp/wal")
heap=$(echo "scale=2; ($(v ins "$tmp/after") + $(v upd "$tmp/after") + $(v del "$tmp/after") \
	- $(v ins "$tmp/before") - $(v upd "$tmp/before") - $(v del "$tmp/before")) / $N" | bc)
lsnbytes=$(psql "$obs" -XAtc "SELECT pg_wal_lsn_diff('$lsn1', '$lsn0')")
echo "per job (the drain: claim + complete of $N scans):"
echo "  heap tuples written   $heap  (inserted $(per ins), updated $(per upd) of which HOT $(per hot), deleted $(per del))"
# The lease table (migration 26): absent from an older build's schema.
lt=$(psql "$obs" -qXAt -c "SELECT n_tup_upd || ' updated, ' || n_tup_hot_upd || ' HOT'
	FROM pg_stat_user_tables WHERE relname = 'leases'")
[ -z "$lt" ] || echo "  lease table           $lt (in all: inserts, heartbeats and deletes of $N leases)"
echo "  index tuples written  $(echo "scale=2; $idx / $N" | bc)  (btree leaf inserts in the WAL)"
echo "  index scans           $(per idx_scan)"
echo "  WAL records           $(per wal_records)  (full-page images $(per wal_fpi))"
echo "  WAL bytes             $(per wal_bytes)  (LSN distance $(echo "scale=2; $lsnbytes / $N" | bc))"
echo "  statements            $(per top) top-level, $(per nested) nested"
echo "  round trips           $(per top)  (one per top-level statement: the store does not pipeline)"
echo "  transactions          $(per xacts)"
echo "WAL records by kind, per job:"
awk -v n="$N" '{ printf "  %-28s %7.2f  %8.1f bytes\n", $1, $2 / n, $3 / n }' "$tmp/wal" | head -n 16
echo "top-level statements by calls, per job:"
psql "$obs" -qXAt -F ' ' -c "SELECT calls, regexp_replace(left(query, 70), '\s+', ' ', 'g')
	FROM pg_stat_statements WHERE toplevel AND userid = 'postgres'::regrole
	AND dbid = (SELECT oid FROM pg_database WHERE datname = 'sq') ORDER BY calls DESC LIMIT 8" |
	awk -v n="$N" '{ c = $1; $1 = ""; printf "  %6.2f %s\n", c / n, $0 }'
