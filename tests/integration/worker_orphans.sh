#!/bin/bash
# No process outlives its scan.  `scanq serve` is the child subreaper of
# its workers' scans: when a worker is SIGKILLed mid-scan, every process of
# its scans — the child, the grandchildren in its process group, and
# grandchildren that left the group with setsid — is gone within 2 s, and
# before the scans, handed back, run again.
# The worker, which had registered and run, is restarted at once.
# A standalone worker SIGKILLed takes its scans' process groups with it:
# the tools they run and the grandchildren they fork.
source "$(dirname "$0")/lib.sh"
export SCANQ_WORKER_HEARTBEAT=1 SCANQ_WORKER_GRACE=2	# the second attempts still run at the end

# live_marked: live processes whose command line holds $marker (the
# scan children and their forks carry it in their --options).
live_marked() {
	local n=0 f st
	for f in $(grep -laF -- "$marker" /proc/[0-9]*/cmdline 2>/dev/null); do
		st=$(cat "${f%/cmdline}/stat" 2>/dev/null) || continue
		st=${st##*) }
		[ "${st%% *}" != Z ] && n=$((n + 1))
	done
	echo "$n"
}
marked_count_is() { [ "$(live_marked)" = "$1" ]; }
# marked_pids: the pids of those processes
marked_pids() { grep -laF -- "$marker" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3; }
# first_gone: none of the processes of the first attempts ($first) lives
first_gone() {
	local p st
	for p in $first; do
		st=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		st=${st##*) }
		[ "${st%% *}" = Z ] || return 1
	done
}
# On a failure, what escaped must not outlive the test either.
kill_marked() {
	local f
	for f in $(grep -laF -- "$marker" /proc/[0-9]*/cmdline 2>/dev/null); do
		f=${f#/proc/}
		kill -KILL "${f%/cmdline}" 2>/dev/null
	done
}
trap 'kill_marked; cleanup' EXIT

q migrate >/dev/null || fail "migrate"
"$S" --db "$DB" serve --workers 1 --concurrency 2 --listen 127.0.0.1:0 >"$dir/serve.log" 2>&1 &
serve=$!
pids+=($serve)
marker="\"seconds\":$(( 600000 + $$ % 100000 ))"
a=$(submit test-fork 127.0.0.1 --options "{\"children\":3,$marker}" --max-attempts 1) || fail "submit"
b=$(submit test-fork 127.0.0.1 --options "{\"children\":2,\"setsid\":1,$marker}" --max-attempts 1) || fail "submit"
wait_for 20 "scans $a and $b running" sql_is "SELECT count(*) FROM scans WHERE status = 'running'" 2
# 2 scan children + 5 grandchildren
wait_for 10 "7 processes of the two scans" marked_count_is 7
ca=$(child_pid "$a" "$dir/serve.log")
[ -n "$ca" ] || fail "no child pid logged for scan $a"
worker=$(awk '{print $4}' "/proc/$ca/stat")
grep -q "msg=\"worker started\" worker=w-1 pid=$worker " "$dir/serve.log" || fail "$worker is not w-1"
pids+=($worker)

first=$(marked_pids)
kill -KILL "$worker"
killed_at=$(now_ms)
# The scans are handed back (their worker died, not they) and run again:
# no process of their first attempts may be alive by then.
wait_for 2 "no process of the first attempts of scans $a and $b left" first_gone
wait_for 10 "scans $a and $b running again" sql_is "SELECT count(*) FROM scans WHERE status = 'running' AND attempt = 2" 2
first_gone || fail "a process of a first attempt is alive beside the second"
echo "every process of both scans gone $(( $(now_ms) - killed_at )) ms after the worker's SIGKILL"
# (by the sweep after the reap, or by the periodic one if it came first)
grep -q 'msg="killed a process a scan left behind"' "$dir/serve.log" \
	|| fail "serve did not say it killed the scans' processes"

# It had registered and run: restarted at once, not after a backoff.
wait_for 5 "w-1 restarted" grep -q 'msg="worker exited, restarting it" worker=w-1 .*registered=yes in_ms=0' "$dir/serve.log"
wait_for 5 "a new w-1 process" bash -c "[ \$(grep -c 'msg=\"worker started\" worker=w-1 ' '$dir/serve.log') -ge 2 ]"
echo "w-1 restarted $(( $(now_ms) - killed_at )) ms after its SIGKILL"

kill -TERM "$serve"
wait_for 30 "serve to exit" bash -c "! kill -0 $serve 2>/dev/null"
marked_count_is 0 || fail "a process of the scans is alive after serve stopped"

# A standalone `scanq worker` (no serve, no subreaper) SIGKILLed while a
# profile scan runs its tool and a test-fork scan its three grandchildren:
# each scanner takes its process group down with the worker (its
# parent-death signal, scanner.c), so the tool and the grandchildren go too.
cat >"$dir/slowtool" <<'PERL'
#!/usr/bin/perl
sleep 600;
PERL
chmod +x "$dir/slowtool"
printf '[profile.slowtool]\nargv = %s {targets}\nparser = lines\n' "$dir/slowtool" >"$dir/slow.ini"
export SCANQ_CONFIG="$dir/slow.ini"
marker="$dir/slowtool"
for i in $(sql "SELECT id FROM scans WHERE status = 'pending'"); do q cancel "$i" >/dev/null; done
sql_is "SELECT count(*) FROM scans WHERE status IN ('pending', 'running')" 0 || fail "scans left from above"
s=$(submit slowtool 127.0.0.1 --max-attempts 1) || fail "submit slowtool"
f=$(submit test-fork 127.0.0.1 --options "{\"children\":3,\"seconds\":600,\"tag\":\"$marker\"}" \
	--max-attempts 1) || fail "submit test-fork"
start_worker solo --concurrency 2
solo=$last_pid
# the tool, the test-fork child and its three grandchildren
wait_for 20 "the tool of scan $s and the processes of scan $f" marked_count_is 5
kill -KILL "$solo"
killed_at=$(now_ms)
wait_for 2 "every process of scans $s and $f to die with their worker" marked_count_is 0
echo "a standalone worker's SIGKILL: its scans' tool and grandchildren gone $(( $(now_ms) - killed_at )) ms later"
echo PASS
