#!/bin/bash
# backends: own
# A tiny disk that fills and drains (SQLite; PostgreSQL's disk is the
# server's and is not filled here).  The database lives on a 2 MiB tmpfs of
# the test's own.  While 12 scans run and 8 wait, a file fills the disk;
# the running scans finish into the full disk and cannot write their
# results.  Meanwhile no worker claims another scan (what space comes back
# goes to the running ones).  Then 512 KiB are freed: every scan must
# complete exactly once within 30 s, and PRAGMA integrity_check says ok.
source "$(dirname "$0")/fault_lib.bash"
export SCANQ_WORKER_LEASE=30 SCANQ_WORKER_HEARTBEAT=1

disk=$dir/disk
mkdir -p "$disk"
if ! mount -t tmpfs -o size=2m tmpfs "$disk" 2>"$dir/mount.err"; then
	echo "SKIP: cannot mount a 2 MiB tmpfs (needs root): $(cat "$dir/mount.err")"
	exit 77
fi
# The processes first (they hold the disk's files), then the disk, then
# fault_lib's cleanup (which removes $dir).
trap 'for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done; wait 2>/dev/null
	umount -l "$disk" 2>/dev/null; cleanup' EXIT

BACKEND=sqlite
DB="sqlite://$disk/t.db"
sql() { sqlite3 -cmd ".timeout 20000" "${DB#sqlite://}" "$1"; }

running_n() { sql "SELECT count(*) FROM scans WHERE status = 'running'"; }
at_least_running() { [ "$(running_n)" -ge "$1" ]; }
claims() { sql "SELECT count(*) FROM scan_events WHERE to_status = 'running'"; }
full_logged() { grep -q 'msg="database disk full"' "$dir"/serve.log; }

serve_bg serve --workers 2 --concurrency 6
workers_live() { [ "$(sql "SELECT count(*) FROM workers WHERE stopped_at IS NULL" 2>/dev/null)" = 2 ]; }
wait_for 20 "two workers registered" workers_live
submit_many 20 '{"type":"test-sleep","targets":["127.0.0.1"],"options":{"seconds":6}}'
wait_for 30 "12 scans running" at_least_running 12

# Fill the disk to the last block, then let the running scans finish into
# it.  The WAL is emptied first, as a checkpoint leaves it now and then, so
# that what the disk holds when it fills is known (SQLite's WAL grows to
# 4 MiB between automatic checkpoints: 2 MiB would fill by themselves).
sql "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
dd if=/dev/zero of="$disk/fill" bs=4k >/dev/null 2>&1
echo "disk: $(df -k "$disk" | awk 'NR == 2 { print $4 }') KiB free," \
	"database $(du -k "$disk/t.db" | cut -f1) KiB, WAL $(du -k "$disk/t.db-wal" 2>/dev/null | cut -f1) KiB"
wait_for 30 "the workers' finished scans meeting the full disk" full_logged
c0=$(claims)
sleep 5
c1=$(claims)
[ "$c1" = "$c0" ] || fail "$((c1 - c0)) scans claimed while the disk was full"
echo "full for 5 s: no claim, $(running_n) scans still running (their results waiting)"

# 512 KiB back: every scan completes exactly once within 30 s.
truncate -s -512K "$disk/fill"
t0=$(now_ms)
wait_for 30 "every scan finished within 30 s of the space returning" all_finished
echo "all finished $(( $(now_ms) - t0 )) ms after 512 KiB came back"
check_exactly_once 20
[ "$(sql "PRAGMA integrity_check")" = ok ] || fail "integrity_check: $(sql "PRAGMA integrity_check")"
grep -q 'msg="database disk space back, claiming again"' "$dir"/serve.log \
	|| fail "no WAL checkpoint before claiming again"
# doctor: a 2 MiB disk is under the 64 MiB margin, whatever its percent
# free (warn), or nearly full again (fail): never ok
doc=$(q doctor --check storage.disk_space)
case $doc in warn*|fail*) ;; *) fail "doctor on a 2 MiB disk: $doc" ;; esac
echo "doctor: $doc"
echo "PASS: a full disk stalls nothing once space returns; no claim while it is full"
