#!/bin/sh
# floors.sh — checks the include graph of src/ against the floors of
# docs/LAYOUT.md: no file includes a header of a higher floor, and no two
# modules include each other in a circle.  A module is a .c and its .h
# (src/api/reply.c and src/api/reply.h are one node); a quoted include is
# resolved as the compiler does (the including file's folder, then src/,
# then src/scan/).  Prints one line per arrow up a floor and per circle,
# and exits 1 if there is any; prints "floors: ok ..." and exits 0 if not.
#
# Usage: tools/floors.sh [SRC_DIR]   (default: src of this repository)
set -eu

src=${1:-$(dirname "$0")/../src}
src=$(cd "$src" && pwd)

# The floor of a path relative to the repository, lowest first.  Keep in
# step with the drawing in docs/LAYOUT.md.
floor_awk='
function floor(p) {
	if (p ~ /^src\/core\//) return 0
	if (p ~ /^src\/scan\//) return 1
	if (p ~ /^src\/store\//) return 2
	if (p ~ /^src\/app\//) return 3
	if (p ~ /^src\/(worker|maintenance)\//) return 4
	if (p ~ /^src\/api\//) return 5
	if (p ~ /^src\/cmd\//) return 6
	if (p ~ /^src\/(bin\/)?[^\/]+$/) return 7
	return -1
}'

edges=$(mktemp)
trap 'rm -f "$edges"' EXIT

# One line per include: "from-module to-module" (paths relative to the
# repository, extension dropped).
cd "$src/.."
find src -name '*.[ch]' | sort | while read -r f; do
	dir=$(dirname "$f")
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
	while read -r inc; do
		if [ -f "$dir/$inc" ]; then to="$dir/$inc"
		elif [ -f "src/$inc" ]; then to="src/$inc"
		elif [ -f "src/scan/$inc" ]; then to="src/scan/$inc"
		else continue; fi
		# "a/../b" as written by a dialect's include of its parent
		to=$(printf '%s\n' "$to" | sed -e ':a' -e 's#[^/][^/]*/\.\./##' -e 'ta')
		printf '%s %s\n' "${f%.*}" "${to%.*}"
	done
done | awk '$1 != $2' | sort -u >"$edges"

bad=0

# Arrows up a floor.
up=$(awk "$floor_awk"'
{ a = floor($1); b = floor($2)
  if (a < 0 || b < 0) { print "floors: no floor for " ($1) " or " ($2); next }
  if (b > a) print "floors: arrow up a floor: " $1 " -> " $2 }' "$edges")
if [ -n "$up" ]; then
	printf '%s\n' "$up"
	bad=1
fi

# Circles: the strongly connected components of more than one module
# (Tarjan's algorithm over the edge list).
circles=$(awk '
{ n[$1] = 1; n[$2] = 1; adj[$1, ++deg[$1]] = $2 }
function visit(v,    i, w, c) {
	idx[v] = low[v] = ++counter; stack[++sp] = v; on[v] = 1
	for (i = 1; i <= deg[v]; i++) {
		w = adj[v, i]
		if (!(w in idx)) { visit(w); if (low[w] < low[v]) low[v] = low[w] }
		else if (on[w] && idx[w] < low[v]) low[v] = idx[w]
	}
	if (low[v] == idx[v]) {
		c = ""; k = 0
		do { w = stack[sp--]; on[w] = 0; c = c " " w; k++ } while (w != v)
		if (k > 1) print "floors: circle:" c
	}
}
END { for (v in n) if (!(v in idx)) visit(v) }' "$edges" | sort)
if [ -n "$circles" ]; then
	printf '%s\n' "$circles"
	bad=1
fi

if [ $bad = 0 ]; then
	printf 'floors: ok, %s arrows, none up a floor, no circle\n' "$(wc -l <"$edges" | tr -d ' ')"
fi
exit $bad
