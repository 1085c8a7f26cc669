#!/usr/bin/env python3
"""
store-graph.py — the include and call graph of src/store/, checked: prints
every circle between its files (a file is a module: db.c and db.h are
"db") and every include or call that points up out of the store (into
api/, worker/, app/, cmd/, maintenance/), then exits 1 if it found any.

A call edge is a .c file naming a function or variable that another .c
file of src/store/ defines without `static`; an include edge is an
#include "store/...".  Comments and string literals are ignored.

Usage: python3 tools/store-graph.py [--edges] [ROOT]
(ROOT: the repository to read; default the one this script is in.)
"""
import os
import re
import sys

ROOT = "src"
STORE = os.path.join(ROOT, "store")
ABOVE = ("api/", "worker/", "app/", "cmd/", "maintenance/", "bin/")
DEF = re.compile(r"^(?!static\b|typedef\b|extern\b|#)[A-Za-z_][\w \t\*]*?\b([a-z_]\w*)\s*(\(|=|\[)", re.M)
INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
WORD = re.compile(r"\b[a-z_]\w*\b")


def strip(text):
    """Comments and string literals blanked out, line structure kept."""
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r'"(\\.|[^"\\\n])*"', '""', text)
    # a struct's tag is not a call of the function of the same name
    return re.sub(r"\b(struct|enum|union)\s+\w+", r"\1", text)


def module(path):
    rel = os.path.relpath(path, STORE)
    return os.path.splitext(rel)[0]


def exported(paths):
    """name -> module of every function or variable the .c files define."""
    owner = {}
    for f in paths:
        if not f.endswith(".c"):
            continue
        t = strip(open(f, encoding="utf-8").read())
        for m in DEF.finditer(t):
            # a definition: the line does not end in ';' (a prototype)
            line = t[m.start():t.find("\n", m.start())]
            if not line.rstrip().endswith(";") or m.group(2) == "=":
                owner.setdefault(m.group(1), f)
    return owner


def main():
    roots = [a for a in sys.argv[1:] if not a.startswith("--")]
    os.chdir(roots[0] if roots else os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    above = []
    for d in ABOVE:
        for dd, _, names in os.walk(os.path.join(ROOT, d)):
            above += [os.path.join(dd, n) for n in sorted(names)]
    above_owner = exported(above)
    files = []
    for d, _, names in os.walk(STORE):
        files += [os.path.join(d, n) for n in sorted(names) if n.endswith((".c", ".h"))]
    raw = {f: open(f, encoding="utf-8").read() for f in files}
    text = {f: strip(raw[f]) for f in files}
    owner = {k: module(v) for k, v in exported(files).items()}
    edges, bad = {}, []
    for f in files:
        src = module(f)
        for inc in INC.findall(raw[f]):
            if inc.startswith(ABOVE):
                bad.append("%s includes %s (a floor above the store)" % (f, inc))
            if inc.startswith("store/"):
                dst = os.path.splitext(inc[len("store/"):])[0]
                if dst != src:
                    edges.setdefault(src, {}).setdefault(dst, "include %s" % inc)
        if f.endswith(".c"):
            for w in set(WORD.findall(text[f])):
                dst = owner.get(w)
                if dst and dst != src:
                    edges.setdefault(src, {}).setdefault(dst, "name %s" % w)
                if w in above_owner and w not in owner:
                    bad.append("%s calls %s() of %s (a floor above the store)" % (f, w, above_owner[w]))
    if "--edges" in sys.argv:
        for a in sorted(edges):
            for b in sorted(edges[a]):
                print("%s -> %s  (%s)" % (a, b, edges[a][b]))
    # Tarjan's strongly connected components: each one of size > 1 is a circle.
    index, low, stack, on, comps = {}, {}, [], set(), []
    counter = [0]
    nodes = sorted(set(edges) | {b for a in edges for b in edges[a]})

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in nodes:
        if v not in index:
            visit(v)
    for comp in comps:
        print("circle: " + " <-> ".join(comp))
        for a in comp:
            for b in comp:
                if b in edges.get(a, {}):
                    print("    %s -> %s  (%s)" % (a, b, edges[a][b]))
    for b in bad:
        print(b)
    print("%d files, %d modules, %d edges, %d circles, %d up a floor"
          % (len(files), len(nodes), sum(len(e) for e in edges.values()), len(comps), len(bad)))
    return 1 if comps or bad else 0


if __name__ == "__main__":
    sys.exit(main())
