#!/bin/sh
# Runs every suite and ends with one line: "N passed, N failed".
# Storage tests run against SQLite and against a PostgreSQL server that
# this script starts on 127.0.0.1 (tools/pg-test-server.sh) and stops.
#   unit:        each cmocka binary in BUILD/tests/
#   integration: each tests/integration/*.sh against BUILD/scanq, once on
#                SQLite and once on PostgreSQL (SCANQ_TEST_BACKEND=pg), but
#                once only for a suite that says "# backends: own", and not
#                in a sanitizer build for one that says "# sanitizers: no";
#                a suite that exits 77 was skipped on that backend
#   fuzz:        each build-fuzz/fuzz_* for FUZZ_SECONDS (default 20) seconds,
#                one after another on a runner of their own at nice 19 that first
#                builds them when SCANQ_FUZZ_BUILD is set (as `make test` does)
# With SCANQ_ASAN_BUILD set (as `make test` does), the sanitizer build is
# made here (`make asan`, at nice 10) while the plain build's tasks run; its
# own tasks wait in a queue of their own and go first once it is built.
# for every BUILD in $SCANQ_BUILDS (default "build build-asan").  Four
# runners take the tasks from one list, the longest first (each suite makes
# its own database, folder and ports; two cores are mostly waiting on child
# processes and timers).  A sanitizer build (a name with "asan")
# runs the integration suites on SQLite only ($SCANQ_ASAN_BACKENDS, default
# "sqlite"): its
# PostgreSQL dialect runs under the sanitizers in the unit tests (test_store*,
# test_changes: both backends) and in the suites that choose their own
# backends (the fault suites), and every suite runs on PostgreSQL in the
# plain build; both backends under ASan would take the run past 30 minutes.
# While developing, SCANQ_TESTS="test_store api_happy" runs only the unit and
# integration suites so named (no fuzzing then), and SCANQ_BACKENDS="sqlite"
# only that backend's runs.
# A test's output goes to test-logs/; a failing test's tail is printed.
cd "$(dirname "$0")/.." || exit 1
builds=${SCANQ_BUILDS:-"build build-asan"}
fuzz_seconds=${FUZZ_SECONDS:-20}
# Not passed on: scanq warns about a SCANQ_ variable it does not know.
fuzz_build=${SCANQ_FUZZ_BUILD:-}
unset SCANQ_FUZZ_BUILD
deferred=""			# the build made beside the suites, if any
if [ -n "${SCANQ_ASAN_BUILD:-}" ]; then
	case " $builds " in *" build-asan "*) deferred=build-asan ;; esac
fi
unset SCANQ_ASAN_BUILD
logs=test-logs
rm -rf "$logs"; mkdir -p "$logs"
results=$logs/results		# one "PASS|FAIL|SKIP NAME" line a test, from every job
: >"$results"
# Every `scanq serve` a test starts listens on a free loopback port unless the
# test says otherwise, so two runs on one machine never collide on 8080.
export SCANQ_HTTP_LISTEN=${SCANQ_HTTP_LISTEN:-127.0.0.1:0}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

pg_dir=""
if [ -z "$SCANQ_TEST_PG_URL" ]; then
	if pg_env=$(sh tools/pg-test-server.sh start 2>"$logs/pg-start.log"); then
		eval "$pg_env"
		pg_dir=$SCANQ_TEST_PG_DIR
		echo "PostgreSQL test server: $SCANQ_TEST_PG_URL"
	else
		echo "FAIL postgres: could not start a test server (see $logs/pg-start.log)"
	fi
fi
trap '[ -n "$pg_dir" ] && sh tools/pg-test-server.sh stop "$pg_dir"' EXIT
export SCANQ_TEST_PG_URL

# wanted NAME: is this suite selected by $SCANQ_TESTS (all when unset)?
wanted() {
	[ -z "$SCANQ_TESTS" ] && return 0
	case " $SCANQ_TESTS " in *" $1 "*) return 0 ;; esac
	return 1
}
[ -n "$SCANQ_TESTS" ] && SCANQ_NO_FUZZ=1

run_one() { # name, command...
	name=$1; shift
	log="$logs/$(echo "$name" | tr '/ ' '__').log"
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	# One write per test, so that the lines of two builds never interleave.
	if [ "$rc" = 0 ]; then
		echo "PASS $name ${secs}s" >>"$results"
		printf 'PASS %s (%ss)\n' "$name" "$secs"
	elif [ "$rc" = 77 ]; then
		echo "SKIP $name" >>"$results"
		printf 'SKIP %s: %s\n' "$name" "$(grep '^SKIP' "$log" | head -n 1)"
	else
		echo "FAIL $name ${secs}s" >>"$results"
		# The failing check's own line first: a suite's fail() may print
		# pages of logs after it.
		printf 'FAIL %s (%ss): %s\n    last lines of %s:\n%s\n' "$name" "$secs" \
			"$(grep -m 1 -E '^(FAIL|not ok|\[  FAILED|ERROR:)' "$log")" \
			"$log" "$(tail -n 25 "$log" | sed 's/^/    /')"
	fi
}

# The work is a list of tasks, one line each ("KIND BUILD ARG [BACKEND]"),
# taken in order by $SCANQ_RUNNERS (default 4) runners that share it (a
# lock around a counter):
# whichever runner is free takes the next task, so no runner idles while
# another still holds a long queue, as three fixed jobs did.  The suites
# known to be long go first (tests/slow-first.txt, measured names).
#   unit BUILD BINARY            a cmocka binary
#   int BUILD SUITE BACKEND      an integration suite on one backend
#   own BUILD SUITE              a suite that chooses its own backends
tasks=$logs/tasks
: >"$tasks.unsorted"
# add_build BUILD BACKENDS: BUILD's unit tests, its own-backend suites and
# its integration suites on each of BACKENDS.
# A deferred build's binaries do not exist yet: its unit tests are named
# from their sources.
add_build() {
	b=$1 backends=$2
	if [ "$b" = "$deferred" ]; then
		for t in tests/unit/test_*.c; do
			wanted "$(basename "$t" .c)" || continue
			echo "unit $b $b/tests/$(basename "$t" .c)" >>"$tasks.unsorted"
		done
	else
		[ -x "$b/scanq" ] || { echo "FAIL $b/scanq" >>"$results"; echo "FAIL $b: $b/scanq is not built"; return; }
		for t in "$b"/tests/test_*; do
			[ -x "$t" ] || continue
			wanted "$(basename "$t")" || continue
			echo "unit $b $t" >>"$tasks.unsorted"
		done
	fi
	for t in tests/integration/*.sh; do
		[ -f "$t" ] || continue
		[ "$(basename "$t")" = lib.sh ] && continue	# sourced by the others
		wanted "$(basename "$t" .sh)" || continue
		# A suite that measures cost ("# sanitizers: no": CPU, log lines,
		# connection attempts) means nothing under ASan, which only makes
		# it slower: the plain build runs it.
		case $b in *asan*) head -n 3 "$t" | grep -q '^# sanitizers: no' && continue ;; esac
		if head -n 3 "$t" | grep -q '^# backends: own'; then
			echo "own $b $t" >>"$tasks.unsorted"
			continue
		fi
		for backend in $backends; do
			[ "$backend" = pg ] && [ -z "$SCANQ_TEST_PG_URL" ] && continue
			echo "int $b $t $backend" >>"$tasks.unsorted"
		done
	done
}
for b in $builds; do
	case $b in
	*asan*)	add_build "$b" "${SCANQ_BACKENDS:-${SCANQ_ASAN_BACKENDS:-sqlite}}" ;;
	*)	add_build "$b" "${SCANQ_BACKENDS:-sqlite pg}" ;;
	esac
done
# task_name LINE: the name a task's result carries (as before the queue)
task_name() {
	set -- $1
	case $1 in
	unit) echo "$2/unit/$(basename "$3")" ;;
	int)  echo "$2/integration/$4/$(basename "$3" .sh)" ;;
	own)  echo "$2/integration/$(basename "$3" .sh)" ;;
	esac
}
# Order: the names in tests/slow-first.txt in its order, then the rest as
# listed.
while read -r line; do
	printf '%s\t%s\n' "$(task_name "$line")" "$line"
done <"$tasks.unsorted" >"$tasks.named"
{
	slow=tests/slow-first.txt; [ -f "$slow" ] || slow=/dev/null
	awk -F '\t' 'FILENAME == ARGV[1] { if ($0 !~ /^(#|$)/) rank[$0] = FNR; next }
		{ print (($1 in rank) ? rank[$1] : 100000 + FNR) "\t" $2 }' \
		"$slow" "$tasks.named" | sort -n -k1,1 | cut -f 2
} >"$tasks"
# Two queues: the tasks whose build is ready, and the deferred build's.
awk -v d="$deferred" '$2 != d' "$tasks" >"$tasks.now"
awk -v d="$deferred" '$2 == d' "$tasks" >"$tasks.later"

# fuzz_one TARGET: one fuzz target for $fuzz_seconds, on its seed corpus, at
# the lowest CPU priority (it runs beside the suites)
fuzz_one() {
	corpus="tests/fuzz/corpus/$(basename "$1")"
	mkdir -p "$logs/corpus-$(basename "$1")"
	run_one "fuzz/$(basename "$1")" nice -n 19 "$1" -max_total_time="$fuzz_seconds" \
		"$logs/corpus-$(basename "$1")" $( [ -d "$corpus" ] && echo "$corpus" )
}
# fuzzer: a runner of its own.  It builds the fuzz targets first when
# SCANQ_FUZZ_BUILD is set (make's own -j, not the caller's jobserver), then
# runs each in turn.  A failed build is one failure, and no target runs.
fuzzer() {
	if [ -n "$fuzz_build" ]; then
		run_one build-fuzz nice -n 19 env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make fuzz
		grep -q '^FAIL build-fuzz ' "$results" && return 0
	fi
	for f in build-fuzz/fuzz_*; do
		[ -x "$f" ] && fuzz_one "$f"
	done
	return 0
}
# run_task LINE: one task of the list
run_task() {
	set -- $1
	name=$(task_name "$*")
	case $1 in
	unit) run_one "$name" env SCANQ="$2/scanq" "$3" ;;
	int)  run_one "$name" env SCANQ="$(pwd)/$2/scanq" SCANQ_TEST_BACKEND="$4" bash "$3" ;;
	own)  run_one "$name" env SCANQ="$(pwd)/$2/scanq" bash "$3" ;;
	esac
}
# take QUEUE: the next task of QUEUE no runner has taken (nothing when none
# is left); a counter beside the queue, under a lock.
echo 1 >"$tasks.now.next"
echo 1 >"$tasks.later.next"
take() {
	n=$(flock "$1.lock" sh -c 'n=$(cat "$1"); echo $((n + 1)) >"$1"; echo "$n"' sh "$1.next")
	sed -n "${n}p" "$1"
}
built=$logs/deferred.built	# exists once the deferred build ended (or none)
[ -n "$deferred" ] || : >"$built"
# A runner takes the deferred build's tasks first once it is built, then
# the others; with none ready it waits for the build.
runner() {
	while :; do
		line=""
		[ -f "$built" ] && line=$(take "$tasks.later")
		[ -n "$line" ] || line=$(take "$tasks.now")
		if [ -z "$line" ] && [ -f "$built" ]; then
			line=$(take "$tasks.later")	# it may have ended just now
			[ -n "$line" ] || return 0
		elif [ -z "$line" ]; then
			sleep 1
			continue
		fi
		run_task "$line"
	done
}
jobs=""
# The deferred build: a failed one is one failure, and none of its tasks run.
if [ -n "$deferred" ]; then
	(
		run_one "$deferred" nice -n 10 env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make asan
		grep -q "^FAIL $deferred " "$results" && : >"$tasks.later"
		: >"$built"
	) &
	jobs="$jobs $!"
fi
# Four: with three a quiet run used 1.2 of the two cores and took 25-26
# minutes (the suites mostly wait on timers and child processes).  Four
# raise the load average to 14 at moments; the checks that measured a
# single scan's send rate or a CLI call's time under such load were made
# to hold there (docs/BENCHMARKS.md, "make test on a fresh clone").
for r in $(seq "${SCANQ_RUNNERS:-4}"); do
	runner &
	jobs="$jobs $!"
done
if [ -z "$SCANQ_NO_FUZZ" ]; then
	fuzzer &
	jobs="$jobs $!"
fi
for j in $jobs; do wait "$j"; done

[ -z "$SCANQ_TEST_PG_URL" ] && echo "FAIL postgres-server" >>"$results"
pass=$(grep -c '^PASS ' "$results"); fail=$(grep -c '^FAIL ' "$results"); skip=$(grep -c '^SKIP ' "$results")
[ "$fail" -gt 0 ] && echo "failed: $(sed -n 's/^FAIL \([^ ]*\).*/\1/p' "$results" | tr '\n' ' ')"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
