#!/bin/bash
# backends: own (the document and the route table do not depend on it)
# docs/openapi.json, the OpenAPI 3.1 document of the HTTP API: it lints
# clean with @redocly/cli (tests/openapi/redocly.yaml: recommended-strict),
# it names exactly the routes of the server's route table (`scanq
# __routes`: every route documented with its role, no documented operation
# without a route), and the server serves this very document at
# /api/v1/openapi.json.  The responses of this suite (the document, the
# UI's files, health) are validated against it like every API suite's.
source "$(dirname "$0")/lib.sh"
repo=$(cd "$(dirname "$0")/../.." && pwd)
doc="$repo/docs/openapi.json"
tools="$repo/tests/openapi"

command -v node >/dev/null || fail "node is missing (apt-get install nodejs npm)"
if [ ! -x "$tools/node_modules/.bin/redocly" ]; then
	(cd "$tools" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci in tests/openapi"
fi

# -- lint: no error and no warning
(cd "$tools" && ./node_modules/.bin/redocly lint --config redocly.yaml "$doc") >"$T/lint.log" 2>&1 \
	|| { grep -v '[║╔╚]' "$T/lint.log"; fail "redocly lint"; }
grep -q 'Your API description is valid' "$T/lint.log" || { cat "$T/lint.log"; fail "lint output"; }
grep -Eq 'You have [0-9]+ warning' "$T/lint.log" && { cat "$T/lint.log"; fail "lint warnings"; }
ok "redocly lint: valid, no warnings"

# -- the route table against the document: method, path and role
"$SCANQ" __routes | sort >"$T/routes" || fail "scanq __routes"
[ "$(wc -l <"$T/routes")" -ge 10 ] || fail "too few routes: $(cat "$T/routes")"
node -e '
	const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	for (const [p, item] of Object.entries(d.paths))
		for (const [m, op] of Object.entries(item))
			if (["get","put","post","delete","patch","head","options","trace"].includes(m))
				console.log(m.toUpperCase() + " " + p + " " + (op["x-scanq-role"] || "?"));
' "$doc" | sort >"$T/documented"
diff "$T/routes" "$T/documented" >"$T/diff" || {
	sed -e 's/^</  route table only:/' -e 's/^>/  document only:/' "$T/diff" | grep ':'
	fail "docs/openapi.json and the route table differ (method, path or role)"
}
ok "$(wc -l <"$T/routes") routes, each documented with its role; nothing documented without a route"

# -- served: the document of this build, and its answers match it
export SCANQ_WEB_DIR="$repo/web"
start_serve --workers 0
[ "$(req GET /api/v1/openapi.json)" = 200 ] || fail "GET /api/v1/openapi.json"
cmp -s "$T/body" "$doc" || fail "the served document differs from docs/openapi.json"
grep -qi '^content-type: application/json' "$T/headers" || fail "content type"
sq token create --role viewer --name v >/dev/null || fail "token"
[ "$(req GET /api/v1/openapi.json)" = 200 ] || fail "the document needs a token"
[ "$(req GET /healthz)" = 200 ] || fail "healthz"
[ "$(req GET /readyz)" = 200 ] || fail "readyz"
for p in / /scans/7 /static/app.js /static/style.css; do
	[ "$(req GET "$p")" = 200 ] || fail "GET $p"
done
[ "$(req GET /static/nothing.js)" = 404 ] || fail "a missing UI file"
[ "$(req GET /api/v1/workers)" = 401 ] || fail "workers without a token"
[ "$(req POST /healthz)" = 405 ] || fail "POST /healthz"
kill "$SERVE_PID"
ok "served at /api/v1/openapi.json without a token, byte for byte docs/openapi.json"
echo PASS
