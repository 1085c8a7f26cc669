#!/bin/bash
# How a child ends decides error_code: the time limit kills the child and
# every process of its group (timeout); past the memory limit it is
# killed_oom; exit 3 is exit_status and is retried with backoff until the
# attempts run out; SIGSEGV is crashed; a flood is output_too_large.
source "$(dirname "$0")/lib.sh"
export SCANQ_WORKER_HEARTBEAT=1 SCANQ_WORKER_MEMORY_LIMIT_MB=256 \
       SCANQ_WORKER_OUTPUT_LIMIT_KB=256 SCANQ_WORKER_BACKOFF_BASE=1
# In a sanitizer build ASan must let SIGSEGV kill the child (no-op otherwise).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0"

q migrate >/dev/null || fail "migrate"
start_worker wa --concurrency 8
wait_for 20 "worker started" grep -q 'msg="worker started"' "$dir/wa.log"
# A sanitizer build runs children without RLIMIT_AS (see spawn.h).
oom=0; grep -q "memory_limit=on" "$dir/wa.log" && oom=1
t=$(submit test-fork 127.0.0.1 --options '{"children":3,"seconds":600}' --time-limit 2 --max-attempts 1)
h=$(submit test-fork 127.0.0.1 --options '{"children":3,"seconds":600,"ignore_term":1}' --time-limit 3 --max-attempts 1)
[ $oom = 1 ] && m=$(submit test-alloc 127.0.0.1 --options '{"mb":2048}' --max-attempts 1)
e=$(submit test-fail 127.0.0.1 --options '{"exit":3}' --max-attempts 2)
c=$(submit test-crash 127.0.0.1 --max-attempts 1)
f=$(submit test-flood 127.0.0.1 --max-attempts 1)

wait_for 30 "timeout scan $t failed" is_status "$t" failed
[ "$(sql "SELECT error_code FROM scans WHERE id = $t")" = timeout ] || fail "scan $t: not timeout"
pg=$(child_pid "$t" "$dir/wa.log")
[ -n "$pg" ] || fail "no child pid logged for $t"
wait_for 10 "no process left in group $pg" group_empty "$pg"
# test-fork dies of the soft limit's SIGTERM (at 5/6 of 2 s); its three
# grandchildren are killed with the group when it is reaped.
sql "SELECT error_detail FROM scans WHERE id = $t" | grep -q "soft time limit (SIGTERM)" \
	|| fail "scan $t: error_detail does not say the soft time limit fired"

# This one and its three grandchildren ignore SIGTERM: the soft limit (at
# 2.5 s) cannot end it, the hard limit (3 s) SIGKILLs the whole group.
wait_for 30 "hard-limit scan $h failed" is_status "$h" failed
[ "$(sql "SELECT error_code FROM scans WHERE id = $h")" = timeout ] || fail "scan $h: not timeout"
sql "SELECT error_detail FROM scans WHERE id = $h" | grep -q "hard time limit (SIGKILL)" \
	|| fail "scan $h: error_detail does not say the hard limit fired: $(sql "SELECT error_detail FROM scans WHERE id = $h")"
ph=$(child_pid "$h" "$dir/wa.log")
[ -n "$ph" ] || fail "no child pid logged for $h"
wait_for 2 "no process left in group $ph" group_empty "$ph"
ms=$(sql "SELECT b.at - a.at FROM scan_events a, scan_events b WHERE a.scan_id = $h AND b.scan_id = $h AND a.to_status = 'running' AND b.to_status = 'failed'")
[ "$ms" -ge 2900 ] || fail "scan $h ended after $ms ms, before its hard limit"
echo "hard limit: scan $h failed (timeout) $ms ms after it started; its group is empty"

if [ $oom = 1 ]; then
	wait_for 30 "oom scan $m failed" is_status "$m" failed
	[ "$(sql "SELECT error_code FROM scans WHERE id = $m")" = killed_oom ] || fail "scan $m: not killed_oom"
	sql "SELECT error_message FROM scans WHERE id = $m" | grep -q "out of memory" || fail "scan $m message"
else
	echo "memory limit not enforced in this (sanitizer) build: killed_oom not checked"
fi

wait_for 30 "exit-3 scan $e failed after 2 attempts" is_status "$e" failed
[ "$(sql "SELECT error_code || ' ' || attempt FROM scans WHERE id = $e")" = "exit_status 2" ] \
	|| fail "scan $e: $(sql "SELECT error_code || ' ' || attempt FROM scans WHERE id = $e")"
sql "SELECT reason FROM scan_events WHERE scan_id = $e AND from_status = 'running' AND to_status = 'pending'" \
	| grep -q "exit_status; retry 1 of 1" || fail "scan $e: no retry event"
# the retry waited for its backoff (base 1 s, jitter 0.5..1.5)
gap=$(sql "SELECT b.at - a.at FROM scan_events a, scan_events b WHERE a.scan_id = $e AND b.scan_id = $e AND a.to_status = 'pending' AND a.from_status = 'running' AND b.to_status = 'running' AND b.attempt = 2")
[ "$gap" -ge 450 ] || fail "scan $e: retried after only $gap ms"
sql "SELECT error_detail FROM scans WHERE id = $e" | grep -q "failing on purpose" || fail "no stderr tail"

wait_for 30 "crash scan $c failed" is_status "$c" failed
[ "$(sql "SELECT error_code FROM scans WHERE id = $c")" = crashed ] || fail "scan $c: not crashed"
sql "SELECT error_message FROM scans WHERE id = $c" | grep -q SIGSEGV || fail "scan $c: no signal name"

wait_for 30 "flood scan $f failed" is_status "$f" failed
[ "$(sql "SELECT error_code FROM scans WHERE id = $f")" = output_too_large ] || fail "scan $f: not output_too_large"
echo PASS
