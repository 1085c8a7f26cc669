#!/bin/bash
# backends: own (no database involved)
# The floors of src/store/: no file of the store calls or includes a file
# that calls or includes it back, and none reaches above the store
# (tools/store-graph.py).  The checker itself is shown a copy of the store
# with a circle and a call up a floor added, and must refuse it.
source "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
graph="$root/tools/store-graph.py"

out=$(python3 "$graph" 2>&1) || fail "src/store/ has a circle or an arrow up a floor: $out"
echo "$out" | grep -q ' 0 circles, 0 up a floor$' || fail "unexpected summary: $out"
ok "src/store/ has no circle and no arrow up a floor ($(echo "$out" | tail -n 1))"

# The same check on a copy where tx.c calls back into lifecycle.c and
# read.c calls the worker's loop.
mkdir -p "$dir/copy/src"
cp -r "$root/src/store" "$root/src/worker" "$dir/copy/src/" || fail "copy"
printf 'int tx_probe(struct store *s) { return lifecycle_running(s, 0, 0, 0); }\n' \
	>>"$dir/copy/src/store/tx.c"
printf 'int read_probe(void) { return worker_run(0, 0); }\n' >>"$dir/copy/src/store/read.c"
out=$(python3 "$graph" "$dir/copy" 2>&1); rc=$?
[ "$rc" = 1 ] || fail "the checker passed a store with a circle (exit $rc): $out"
echo "$out" | grep '^circle:' | grep 'lifecycle' | grep -q ' tx' || fail "the circle was not named: $out"
echo "$out" | grep -q 'read.c calls worker_run()' || fail "the call up a floor was not named: $out"
ok "the checker names a circle and a call up a floor"
