# api_lib.bash — helpers of the HTTP API tests (sourced after lib.sh; not a test).
# start_serve ARGS...: runs `scanq serve --listen 127.0.0.1:0 ARGS` on $DB in
# the background, waits for it to listen and sets $BASE.
start_serve() {
	"$SCANQ" --db "$DB" serve --listen 127.0.0.1:0 "$@" >"$T/serve.log" 2>&1 &
	SERVE_PID=$!
	PIDS="$PIDS $SERVE_PID"
	wait_for 30 grep -q 'msg="http listening"' "$T/serve.log" \
		|| { cat "$T/serve.log"; fail "serve did not start"; }
	local port
	port=$(sed -n 's/.*msg="http listening".* port=\([0-9]*\).*/\1/p' "$T/serve.log" | head -1)
	BASE="http://127.0.0.1:$port"
}

# req METHOD PATH [curl args...]: prints "STATUS" on line 1 and the body
# after it; the body also lands in $T/body and headers in $T/headers.
# Each response is also kept in $T/responses/ for the OpenAPI check below.
req() {
	local method=$1 path=$2 code rec; shift 2
	code=$(curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' -X "$method" "$@" "$BASE$path")
	mkdir -p "$T/responses"
	rec=$(mktemp "$T/responses/rXXXXXXXX")
	printf '%s %s\n' "$method" "$path" >"$rec"
	cp "$T/headers" "$rec.headers"
	cp "$T/body" "$rec.body" 2>/dev/null || : >"$rec.body"
	printf '%s' "$code"
}

# At the end of every suite that sources this file, each response req()
# received, error bodies included, must match docs/openapi.json: its
# operation, status, Content-Type and schema (tests/openapi/validate.js).
# A suite that passed fails here if one does not; one that failed already
# is not checked again.
openapi_validate() {
	local repo
	repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	command -v node >/dev/null || { echo "FAIL: node is missing (apt-get install nodejs npm)"; return 1; }
	if [ ! -d "$repo/tests/openapi/node_modules/ajv" ]; then
		(cd "$repo/tests/openapi" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) \
			|| { echo "FAIL: npm ci in tests/openapi failed"; return 1; }
	fi
	node "$repo/tests/openapi/validate.js" "$repo/docs/openapi.json" "$T/responses" \
		|| { echo "FAIL: responses that do not match docs/openapi.json (above)"; return 1; }
}
openapi_on_exit() {
	local rc=$?
	if [ "$rc" = 0 ] && [ -d "$T/responses" ]; then
		openapi_validate || rc=1
	fi
	cleanup
	exit "$rc"
}
trap openapi_on_exit EXIT

# json_field NAME: a scalar field of $T/body (compact JSON from scanq).
json_field() {
	sed -n "s/.*\"$1\":\\(\"[^\"]*\"\\|[-0-9.a-z]*\\).*/\\1/p" "$T/body" | head -1 | tr -d '"'
}
