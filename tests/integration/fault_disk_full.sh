#!/bin/bash
# backends: own
# A tiny disk that fills and drains (SQLite; PostgreSQL's disk is the
# server's and is not filled here).  The database lives on a 6 MiB tmpfs of
# the test's own: SQLite's WAL grows to 4 MiB between automatic
# checkpoints, so a 2 MiB disk (the issue's) can fill by itself while the
# test sets up, at a moment the test does not choose (CI saw it full before
# the fill, and a checkpoint then could not grow the database file).
# While 12 scans run and 8 wait, a file fills the disk; the running scans
# finish into the full disk and cannot write their results (the workers
# stop claiming while the store reports it full).  Then 512 KiB are
# freed: every scan must complete exactly once within 30 s (the workers
# checkpoint and truncate the WAL before they claim again), and PRAGMA
# integrity_check says ok.
source "$(dirname "$0")/fault_lib.bash"
export SCANQ_WORKER_LEASE=30 SCANQ_WORKER_HEARTBEAT=1

disk=$dir/disk
mkdir -p "$disk"
if ! mount -t tmpfs -o size=6m tmpfs "$disk" 2>"$dir/mount.err"; then
	echo "SKIP: cannot mount a 6 MiB tmpfs (needs root): $(cat "$dir/mount.err")"
	exit 77
fi
# The processes first (they hold the disk's files), then the disk, then
# fault_lib's cleanup (which removes $dir).
trap 'for p in "${pids[@]}"; do mine "$p" && kill -KILL "$p" 2>/dev/null; done; wait 2>/dev/null
	umount -l "$disk" 2>/dev/null; [ -n "${KEEP:-}" ] && cp "$dir"/*.log /tmp/ 2>/dev/null; cleanup' EXIT

BACKEND=sqlite
DB="sqlite://$disk/t.db"	# common.bash's sql() follows DB

running_n() { sql "SELECT count(*) FROM scans WHERE status = 'running'"; }
at_least_running() { [ "$(running_n)" -ge "$1" ]; }
claims() { sql "SELECT count(*) FROM scan_events WHERE to_status = 'running'"; }
# no worker of this database has a scan's child left
children_gone() { [ "$(pgrep -f -- "--db sqlite://$disk/t.db worker" | xargs -r -n1 pgrep -P | wc -l)" = 0 ]; }

serve_bg serve --workers 2 --concurrency 6
workers_live() { [ "$(sql "SELECT count(*) FROM workers WHERE stopped_at IS NULL" 2>/dev/null)" = 2 ]; }
wait_for 20 "two workers registered" workers_live
submit_many 20 '{"type":"test-sleep","targets":["127.0.0.1"],"options":{"seconds":6}}'
wait_for 30 "12 scans running" at_least_running 12

# Fill the disk to the last block, then let the running scans finish into
# it.  The WAL is emptied first, as a checkpoint leaves it now and then, so
# that what the disk holds when it fills is known.
ck=$(sql "PRAGMA wal_checkpoint(TRUNCATE)") || fail "checkpoint before the fill: $ck"
[ "$(df -k "$disk" | awk 'NR == 2 { print $4 }')" -ge 2048 ] || fail "the disk filled before the test filled it"
dd if=/dev/zero of="$disk/fill" bs=4k >/dev/null 2>&1
echo "disk: $(df -k "$disk" | awk 'NR == 2 { print $4 }') KiB free," \
	"database $(du -k "$disk/t.db" | cut -f1) KiB, WAL $(du -k "$disk/t.db-wal" 2>/dev/null | cut -f1) KiB"
# The scans end into the full disk: their children exit, their results wait.
wait_for 30 "the running scans' children to end" children_gone
# (Whether a claim slips in while the disk is full is not checked: a
# checkpoint after any write that fits gives WAL space back, and a claim
# may then fit too; the workers do not claim while the store reports the
# disk full, and give the space back before they claim again.)
sleep 5
echo "full for 5 s: $(running_n) scans still running (their results waiting), $(claims) claims"

# 512 KiB back: every scan completes exactly once within 30 s.
[ "$(stat -c %s "$disk/fill")" -ge 524288 ] || fail "the fill file is too small to free 512 KiB"
truncate -s -512K "$disk/fill"
t0=$(now_ms)
wait_for 30 "every scan finished within 30 s of the space returning" all_finished
echo "all finished $(( $(now_ms) - t0 )) ms after 512 KiB came back"
check_exactly_once 20
[ "$(sql "PRAGMA integrity_check")" = ok ] || fail "integrity_check: $(sql "PRAGMA integrity_check")"
# doctor: a 6 MiB disk is under the 64 MiB margin, whatever its percent
# free (warn), or nearly full again (fail): never ok
doc=$(q doctor --check storage.disk_space)
case $doc in warn*|fail*) ;; *) fail "doctor on a 6 MiB disk: $doc" ;; esac
echo "doctor: $doc"
echo "PASS: a full disk stalls nothing once space returns"
