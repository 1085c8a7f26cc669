#!/bin/bash
# A worker killed with SIGKILL in the middle of a scan: the scan's lease
# expires, lease recovery sends it back to pending, and another worker
# completes it as attempt 2; both attempts are in its timeline.  Prints how
# long the recovery took.  Short leases: 3 s lease, 1 s heartbeat.
source "$(dirname "$0")/lib.sh"
export SCANQ_WORKER_LEASE=3 SCANQ_WORKER_HEARTBEAT=1

id=$(submit test-sleep 127.0.0.1 --options '{"seconds":3}') || fail "submit"
start_worker wa --concurrency 1
wa=$last_pid
wait_for 20 "scan $id running on wa" \
	sql_is "SELECT status FROM scans WHERE id = $id AND worker_id LIKE 'wa@%'" running
child=$(child_pid "$id" "$dir/wa.log")
[ -n "$child" ] || fail "no child pid logged"
kill -KILL "$wa"
killed_at=$(now_ms)

# The child dies with its worker (PR_SET_PDEATHSIG): no orphan keeps scanning.
wait_for 10 "the dead worker's child to be gone" group_empty "$child"

start_worker wb --concurrency 1
wait_for 30 "scan $id back to pending or rerun" \
	sql_is "SELECT attempt FROM scans WHERE id = $id" 2
recovered_at=$(now_ms)
wait_for 30 "scan $id completed" is_status "$id" completed
done_at=$(now_ms)

[ "$(sql "SELECT attempt FROM scans WHERE id = $id")" = 2 ] || fail "attempt is not 2"
case "$(sql "SELECT worker_id FROM scans WHERE id = $id")" in wb@*) ;; *) fail "not completed by wb" ;; esac
timeline=$(sql "SELECT coalesce(from_status,'new') || '>' || to_status || '#' || attempt || '@' || coalesce(worker_id,'') FROM scan_events WHERE scan_id = $id ORDER BY id" | tr '\n' ' ')
echo "timeline: $timeline"
case "$timeline" in
*"pending>running#1@wa@"*" running>pending#1"*"pending>running#2@wb@"*" running>completed#2@wb@"*) ;;
*) fail "unexpected timeline: $timeline" ;;
esac
q show "$id" --json | grep -q '"events"' || fail "show --json has no events"
echo "recovery: back in the queue and claimed again $((recovered_at - killed_at)) ms after SIGKILL" \
     "(lease 3 s); completed $((done_at - killed_at)) ms after SIGKILL"
echo PASS
