#!/bin/bash
# backends: own (no database involved)
# The include graph of src/ keeps the floors of docs/LAYOUT.md: no file
# includes a header of a higher floor and no two modules include each other
# in a circle (tools/floors.sh).  The checker itself is tried first on a
# small tree that breaks each rule, so a checker that sees nothing fails
# here too.
source "$(dirname "$0")/lib.sh"

# -- the checker sees an arrow up a floor and a circle
mkdir -p "$T/t/src/core" "$T/t/src/scan" "$T/t/src/api"
printf '#include "scan/up.h"\n' >"$T/t/src/core/low.c"
: >"$T/t/src/scan/up.h"
printf '#include "api/b.h"\n' >"$T/t/src/api/a.c"
printf '#include "api/a.h"\n' >"$T/t/src/api/b.c"
: >"$T/t/src/api/a.h"; : >"$T/t/src/api/b.h"
sh "$REPO/tools/floors.sh" "$T/t/src" >"$T/bad.out" 2>&1 \
	&& fail "floors.sh passed a tree with an arrow up and a circle: $(cat "$T/bad.out")"
grep -qx 'floors: arrow up a floor: src/core/low -> src/scan/up' "$T/bad.out" \
	|| fail "floors.sh did not name the arrow up: $(cat "$T/bad.out")"
grep -q '^floors: circle: .*src/api/a' "$T/bad.out" && grep -q '^floors: circle: .*src/api/b' "$T/bad.out" \
	|| fail "floors.sh did not name the circle: $(cat "$T/bad.out")"
rm "$T/t/src/core/low.c" "$T/t/src/api/b.c"
sh "$REPO/tools/floors.sh" "$T/t/src" >"$T/good.out" 2>&1 \
	|| fail "floors.sh refused a tree without fault: $(cat "$T/good.out")"
ok "the checker names an arrow up a floor and a circle, and passes a clean tree"

# -- src/ itself
sh "$REPO/tools/floors.sh" "$REPO/src" >"$T/src.out" 2>&1 \
	|| fail "src/ breaks its floors: $(cat "$T/src.out")"
ok "$(tail -n 1 "$T/src.out")"
