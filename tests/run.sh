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
#   fuzz:        each build-fuzz/fuzz_* for FUZZ_SECONDS (default 20) seconds
# for every BUILD in $SCANQ_BUILDS (default "build build-asan").  Three jobs
# run side by side: the plain build on SQLite, the plain build on PostgreSQL
# and the sanitizer build (each suite makes its own database, folder and
# ports; two cores are mostly waiting on child processes and timers), then
# the fuzz targets, two at a time.  A sanitizer build (a name with "asan")
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

# run_build BUILD BACKENDS FIRST: BUILD's integration suites on each of
# BACKENDS; with FIRST=1 its unit tests and the suites that choose their own
# backends ("# backends: own") too.
run_build() {
	b=$1 backends=$2 first=$3
	[ -x "$b/scanq" ] || { echo "FAIL $b/scanq" >>"$results"; echo "FAIL $b: $b/scanq is not built"; return; }
	if [ "$first" = 1 ]; then
		for t in "$b"/tests/test_*; do
			[ -x "$t" ] || continue
			wanted "$(basename "$t")" || continue
			run_one "$b/unit/$(basename "$t")" env SCANQ="$b/scanq" "$t"
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
			[ "$first" = 1 ] && run_one "$b/integration/$(basename "$t" .sh)" \
				env SCANQ="$(pwd)/$b/scanq" bash "$t"
			continue
		fi
		for backend in $backends; do
			[ "$backend" = pg ] && [ -z "$SCANQ_TEST_PG_URL" ] && continue
			run_one "$b/integration/$backend/$(basename "$t" .sh)" \
				env SCANQ="$(pwd)/$b/scanq" SCANQ_TEST_BACKEND=$backend bash "$t"
		done
	done
}

# Three jobs side by side: the sanitizer build (SQLite), the plain build on
# SQLite (with its unit tests and own-backend suites), the plain build on
# PostgreSQL.  With SCANQ_BACKENDS set, one job a build on those backends.
jobs=""
for b in $builds; do
	if [ -n "${SCANQ_BACKENDS:-}" ]; then
		run_build "$b" "$SCANQ_BACKENDS" 1 &
		jobs="$jobs $!"
		continue
	fi
	case $b in
	*asan*)	run_build "$b" "${SCANQ_ASAN_BACKENDS:-sqlite}" 1 &
		jobs="$jobs $!" ;;
	*)	run_build "$b" sqlite 1 &
		jobs="$jobs $!"
		run_build "$b" pg 0 &
		jobs="$jobs $!" ;;
	esac
done
for j in $jobs; do wait "$j"; done

# fuzz_one TARGET: one fuzz target for $fuzz_seconds, on its seed corpus
fuzz_one() {
	corpus="tests/fuzz/corpus/$(basename "$1")"
	mkdir -p "$logs/corpus-$(basename "$1")"
	run_one "fuzz/$(basename "$1")" "$1" -max_total_time="$fuzz_seconds" \
		"$logs/corpus-$(basename "$1")" $( [ -d "$corpus" ] && echo "$corpus" )
}
# Two targets at a time (one per core): odd and even ones side by side.
if [ -z "$SCANQ_NO_FUZZ" ]; then
	for half in 0 1; do
		(
			i=0
			for f in build-fuzz/fuzz_*; do
				[ -x "$f" ] || continue
				[ $((i % 2)) = "$half" ] && fuzz_one "$f"
				i=$((i + 1))
			done
		) &
	done
	wait
fi

[ -z "$SCANQ_TEST_PG_URL" ] && echo "FAIL postgres-server" >>"$results"
pass=$(grep -c '^PASS ' "$results"); fail=$(grep -c '^FAIL ' "$results"); skip=$(grep -c '^SKIP ' "$results")
[ "$fail" -gt 0 ] && echo "failed: $(sed -n 's/^FAIL \([^ ]*\).*/\1/p' "$results" | tr '\n' ' ')"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
