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
req() {
	local method=$1 path=$2; shift 2
	curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' -X "$method" "$@" "$BASE$path"
}

# json_field NAME: a scalar field of $T/body (compact JSON from scanq).
json_field() {
	sed -n "s/.*\"$1\":\\(\"[^\"]*\"\\|[-0-9.a-z]*\\).*/\\1/p" "$T/body" | head -1 | tr -d '"'
}
