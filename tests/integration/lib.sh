# lib.sh — the one library of the integration tests (sourced, not run).
#
# Each test gets $S (= $SCANQ, the binary under test), a fresh folder $dir
# (also $T), a fresh database $DB on the backend tests/run.sh chose
# (backend.bash: SQLite, or PostgreSQL with SCANQ_TEST_BACKEND=pg), and, on
# exit, every process it added to the pids array (or to $PIDS) stopped
# (SIGTERM, SIGKILL what is left after 10 s), its database dropped and
# $dir removed.  A suite that used req() has every response checked
# against docs/openapi.json on a successful exit.
#
# One rule for waiting (common.bash, shared with fault_lib.bash): wait_for
# SECONDS DESCRIPTION COMMAND... runs COMMAND every 0.1 s until it
# succeeds; if it has not after SECONDS, the test fails with "timed out
# after SECONDS s waiting for: DESCRIPTION".
# One rule for failing (common.bash too): fail MESSAGE prints "FAIL:
# MESSAGE" and the last lines of every $dir/*.log, and exits 1.
set -u
S=${SCANQ:?set SCANQ to the scanq binary}
SCANQ=$S
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)	# before any cd of the test
dir=$(mktemp -d "${TMPDIR:-/tmp}/scanq-it-XXXXXX")
T=$dir
# Without its library a suite would run on with no fail() and pass: stop.
source "$(dirname "${BASH_SOURCE[0]}")/common.bash" || { echo "FAIL: cannot read common.bash"; exit 1; }
source "$(dirname "${BASH_SOURCE[0]}")/backend.bash"
new_db "$dir"
pids=()
PIDS=""

cleanup_backend() { drop_test_db; }
trap on_exit EXIT

ok() { echo "ok - $*"; }

# ---- the database ----------------------------------------------------------

# q and sql come from common.bash, db_hash from backend.bash; sq is q.
sq() { q "$@"; }
# sql_is QUERY VALUE: the query's one value is VALUE
sql_is() { [ "$(sql "$1" 2>/dev/null)" = "$2" ]; }
status() { sql "SELECT status FROM scans WHERE id = $1"; }
status_of() { status "$1"; }
is_status() { [ "$(status "$1")" = "$2" ]; }
# submit ARGS...: prints the new scan's id
submit() { q submit "$@"; }
# scan_once SUBMIT-ARGS...: submits, runs `worker --once` (log in
# $dir/worker.log) and prints the scan's id; fails unless it completed
scan_once() {
	local id
	id=$(q submit "$@") || fail "submit $*"
	q worker --once --name once >>"$dir/worker.log" 2>&1
	is_status "$id" completed || fail "scan $id is $(status "$id")"
	echo "$id"
}

# ---- workers and their children --------------------------------------------

# start_worker NAME [ARGS...]: a background `scanq worker`, log in $dir/NAME.log
start_worker() {
	local name=$1
	shift
	"$S" --db "$DB" worker --name "$name" "$@" >"$dir/$name.log" 2>&1 &
	pids+=($!)
	last_pid=$!
}

# live_in_group PGID: how many live (not zombie) processes are in that group
live_in_group() {
	local n=0 f st
	for f in /proc/[0-9]*/stat; do
		st=$(cat "$f" 2>/dev/null) || continue
		st=${st##*) }			# after "pid (comm) ": state ppid pgrp ...
		read -r state _ pgrp _ <<<"$st"
		[ "$pgrp" = "$1" ] && [ "$state" != Z ] && n=$((n + 1))
	done
	echo "$n"
}
group_empty() { [ "$(live_in_group "$1")" = 0 ]; }

# child_pid SCAN LOG: the pid of the child the worker started for SCAN
child_pid() { sed -n "s/.*msg=\"scan marked running\" scan=$1 .*pid=\([0-9]*\).*/\1/p" "$2" | tail -n 1; }

# ---- the HTTP API ----------------------------------------------------------

# start_serve ARGS...: runs `scanq serve --listen 127.0.0.1:0 ARGS` on $DB in
# the background (log $dir/serve.log, pid $SERVE_PID), waits for it to
# listen and sets $BASE.
start_serve() {
	local port
	# Emptied here, not by the background job's redirection: that runs in
	# the forked child, maybe after wait_for has read the previous serve's
	# "http listening" line (and its dead port) from the same file.
	: >"$dir/serve.log"
	"$S" --db "$DB" serve --listen 127.0.0.1:0 "$@" >>"$dir/serve.log" 2>&1 &
	SERVE_PID=$!
	pids+=($SERVE_PID)
	wait_for 30 "serve to listen" grep -q 'msg="http listening"' "$dir/serve.log"
	port=$(sed -n 's/.*msg="http listening".* port=\([0-9]*\).*/\1/p' "$dir/serve.log" | head -1)
	BASE="http://127.0.0.1:$port"
}

# req METHOD PATH [curl args...]: prints the HTTP status; the body lands in
# $dir/body and the headers in $dir/headers.  Each response is also kept in
# $dir/responses/ for the OpenAPI check at exit.
req() {
	local method=$1 path=$2 code rec; shift 2
	code=$(curl -s -o "$dir/body" -D "$dir/headers" -w '%{http_code}' -X "$method" "$@" "$BASE$path")
	mkdir -p "$dir/responses"
	rec=$(mktemp "$dir/responses/rXXXXXXXX")
	printf '%s %s\n' "$method" "$path" >"$rec"
	cp "$dir/headers" "$rec.headers"
	cp "$dir/body" "$rec.body" 2>/dev/null || : >"$rec.body"
	printf '%s' "$code"
}

# json_field NAME: a scalar field of $dir/body (compact JSON from scanq).
json_field() {
	sed -n "s/.*\"$1\":\\(\"[^\"]*\"\\|[-0-9.a-z]*\\).*/\\1/p" "$dir/body" | head -1 | tr -d '"'
}

# ---- SQLite's write lock held by another process ------------------------------

# hold_write_lock: a sqlite3 process takes the write lock of $DBFILE (BEGIN
# EXCLUSIVE, waiting out a transaction in flight: its "database is locked"
# would be no lock of ours) and holds it until release_write_lock.  Sets
# LOCKER to its pid.
hold_write_lock() {
	rm -f "$dir/lock.in"
	mkfifo "$dir/lock.in"
	sqlite3 -cmd ".timeout 20000" "$DBFILE" <"$dir/lock.in" >"$dir/lock.log" 2>&1 &
	LOCKER=$!
	pids+=($LOCKER)
	exec 7>"$dir/lock.in"
	echo "BEGIN EXCLUSIVE; SELECT 'locked';" >&7
	wait_for 30 "the write lock" grep -qx locked "$dir/lock.log"
}
release_write_lock() {
	echo "COMMIT;" >&7
	exec 7>&-
}

# ---- loopback listeners for the scanners -----------------------------------
# (perl: perl-base is part of every Debian system)

# listen_banner FILE TEXT: starts a listener on a random 127.0.0.1 port that
# sends TEXT to every connection; writes the port to FILE once listening.
listen_banner() {
	local file=$1 text=$2
	perl -MIO::Socket::INET -e '
		my ($file, $text) = @ARGV;
		my $s = IO::Socket::INET->new(Listen => 64, LocalAddr => "127.0.0.1",
			LocalPort => 0, ReuseAddr => 1) or die "listen: $!";
		open(my $f, ">", "$file.tmp") or die; print $f $s->sockport, "\n"; close $f;
		rename("$file.tmp", $file);
		$SIG{PIPE} = "IGNORE";
		while (my $c = $s->accept) { print $c $text; close $c; }
	' "$file" "$text" &
	pids+=($!)
	wait_for 10 "the listener on $file" test -s "$file"
}

# closed_port: a port that was free a moment ago (bound, then released).
closed_port() {
	perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0, Proto => "tcp")
			or die; print $s->sockport, "\n";'
}

# three_ports: A, B and C set to three different closed ports.
three_ports() {
	A=$(closed_port); B=$(closed_port); C=$(closed_port)
	while [ "$B" = "$A" ]; do B=$(closed_port); done
	while [ "$C" = "$A" ] || [ "$C" = "$B" ]; do C=$(closed_port); done
}

# banner_on PORT TEXT [ADDR]: a listener on ADDR:PORT (127.0.0.1 by
# default; a port a test closes and opens again keeps its number) sending
# TEXT to every connection; its pid in $last.
banner_on() {
	local addr=${3:-127.0.0.1}
	perl -MIO::Socket::INET -e '
		my ($port, $text, $addr) = @ARGV; $SIG{PIPE} = "IGNORE";
		my $s = IO::Socket::INET->new(Listen => 16, LocalAddr => $addr,
			LocalPort => $port, ReuseAddr => 1) or die "listen $addr:$port: $!";
		while (my $c = $s->accept) { print $c $text; close $c; }' "$1" "$2" "$addr" &
	last=$!
	pids+=($last)
	wait_for 10 "a listener on $addr:$1" bash -c "exec 3<>/dev/tcp/$addr/$1"
}

# listen_http FILE SERVER TITLE: starts a small HTTP server on a random
# 127.0.0.1 port (port written to FILE): every request gets a page titled
# TITLE with "Server: SERVER"; a request with a Range header gets 206, as
# a server with the Apache byterange bug (CVE-2011-3192) answers.  One
# child per connection, each gone after 5 s of silence.
listen_http() {
	local file=$1 server=$2 title=$3
	perl -MIO::Socket::INET -e '
		my ($file, $server, $title) = @ARGV;
		my $s = IO::Socket::INET->new(Listen => 64, LocalAddr => "127.0.0.1",
			LocalPort => 0, ReuseAddr => 1) or die "listen: $!";
		open(my $f, ">", "$file.tmp") or die; print $f $s->sockport, "\n"; close $f;
		rename("$file.tmp", $file);
		$SIG{PIPE} = "IGNORE"; $SIG{CHLD} = "IGNORE";
		while (my $c = $s->accept) {
			if (fork) { close $c; next; }
			alarm 5;
			my ($head, $range) = (0, 0);
			my $first = <$c>; exit unless defined $first;
			$head = 1 if $first =~ /^HEAD /;
			while (my $l = <$c>) { $range = 1 if $l =~ /^Range:/i; last if $l =~ /^\r?\n$/; }
			my $body = "<html><head><title>$title</title></head><body>ok</body></html>\n";
			print $c ($range ? "HTTP/1.1 206 Partial Content\r\n" : "HTTP/1.1 200 OK\r\n"),
				"Server: $server\r\nContent-Type: text/html\r\nContent-Length: ",
				length($body), "\r\nConnection: close\r\n\r\n", ($head ? "" : $body);
			exit;
		}
	' "$file" "$server" "$title" &
	pids+=($!)
	wait_for 10 "the http listener on $file" test -s "$file"
}

# tls_server FILE ARGS...: starts `openssl s_server` on a free 127.0.0.1
# port with ARGS (cert, key, ciphers...) and writes the port to FILE once
# it accepts connections.
tls_server() {
	local file=$1 port; shift
	port=$(closed_port)
	openssl s_server -accept "127.0.0.1:$port" -quiet "$@" </dev/null >/dev/null 2>"$file.err" &
	pids+=($!)
	wait_for 10 "s_server $* on $port" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"
	echo "$port" > "$file"
}

# make_cert NAME CN DAYS [KEYARGS...]: a self-signed certificate $T/NAME.crt
# with key $T/NAME.key for CN (also its DNS subjectAltName), valid for DAYS
# days from now, or, with DAYS "expired", for January 2020 only, or with
# "future", for 2040 only (openssl ca sets dates; req cannot).  KEYARGS
# default to -newkey rsa:2048.
make_cert() {
	local name=$1 cn=$2 days=$3; shift 3
	local keyargs=("$@") d="$T/ca-$name"
	[ ${#keyargs[@]} -eq 0 ] && keyargs=(-newkey rsa:2048)
	mkdir -p "$d" && : > "$d/index.txt" && echo 01 > "$d/serial"
	printf '[ca]\ndefault_ca=d\n[d]\ndir=%s\ndatabase=%s/index.txt\nnew_certs_dir=%s\nserial=%s/serial\ndefault_md=sha256\npolicy=p\ncopy_extensions=copy\n[p]\ncommonName=supplied\n' \
		"$d" "$d" "$d" "$d" > "$d/ca.cnf"
	openssl req -new "${keyargs[@]}" -nodes -keyout "$T/$name.key" -out "$d/csr" -subj "/CN=$cn" \
		-addext "subjectAltName=DNS:$cn" 2>"$d/err" || fail "openssl req for $name: $(cat "$d/err")"
	if [ "$days" = expired ]; then
		set -- -startdate 20200101000000Z -enddate 20200201000000Z
	elif [ "$days" = future ]; then
		set -- -startdate 20400101000000Z -enddate 20410101000000Z
	else
		set -- -days "$days"
	fi
	openssl ca -batch -notext -config "$d/ca.cnf" -selfsign -keyfile "$T/$name.key" -in "$d/csr" \
		-out "$T/$name.crt" "$@" 2>"$d/err" || fail "openssl ca for $name: $(cat "$d/err")"
}

# listen_reply FILE PERLCODE: a listener on a free 127.0.0.1 port (port in
# FILE) that runs PERLCODE for every connection with the client in $c,
# one child per connection, gone after 5 s.
listen_reply() {
	local file=$1 code=$2
	perl -MIO::Socket::INET -e '
		my ($file, $code) = @ARGV;
		my $s = IO::Socket::INET->new(Listen => 64, LocalAddr => "127.0.0.1",
			LocalPort => 0, ReuseAddr => 1) or die "listen: $!";
		open(my $f, ">", "$file.tmp") or die; print $f $s->sockport, "\n"; close $f;
		rename("$file.tmp", $file);
		$SIG{PIPE} = "IGNORE"; $SIG{CHLD} = "IGNORE";
		while (my $c = $s->accept) {
			if (fork) { close $c; next; }
			alarm 5; $c->autoflush(1);
			eval $code; exit;
		}
	' "$file" "$code" &
	pids+=($!)
	wait_for 10 "the listener on $file" test -s "$file"
}

# ---- the web UI in a real browser ----------------------------------------------

# browser_test NAME [VAR=VALUE...]: runs tests/browser/NAME.test.js (Debian's
# headless Chromium through playwright-core; tests/browser/lib.js) against
# the serve at $BASE, with the VARs in its environment.  Screenshots go to
# test-logs/browser/ (ART), and serve's log beside them if a part failed,
# which fails the suite.  `make test` installs the npm packages first
# (make node-deps); run alone, a suite installs them itself.
ART="$REPO/test-logs/browser"
browser_test() {
	local name=$1
	shift
	[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing (apt-get install chromium)"
	command -v node >/dev/null || fail "node is missing (apt-get install nodejs npm)"
	if [ ! -d "$REPO/tests/browser/node_modules/playwright-core" ]; then
		(cd "$REPO/tests/browser" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) \
			|| fail "npm ci in tests/browser failed"
	fi
	mkdir -p "$ART"
	env SCANQ_URL="$BASE" SCANQ_ARTIFACTS="$ART" "$@" \
		timeout 600 node "$REPO/tests/browser/$name.test.js" && return 0
	cp "$dir/serve.log" "$ART/$name-serve.log" 2>/dev/null
	fail "browser test $name failed (serve log: $ART/$name-serve.log)"
}

# ---- at exit -----------------------------------------------------------------

# Each response req() received, error bodies included, must match
# docs/openapi.json: its operation, status, Content-Type and schema
# (tests/openapi/validate.js).  A suite that passed fails here if one does
# not; one that failed already is not checked again.
openapi_validate() {
	local repo=$REPO
	command -v node >/dev/null || { echo "FAIL: node is missing (apt-get install nodejs npm)"; return 1; }
	if [ ! -d "$repo/tests/openapi/node_modules/ajv" ]; then
		(cd "$repo/tests/openapi" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) \
			|| { echo "FAIL: npm ci in tests/openapi failed"; return 1; }
	fi
	node "$repo/tests/openapi/validate.js" "$repo/docs/openapi.json" "$dir/responses" \
		|| { echo "FAIL: responses that do not match docs/openapi.json (above)"; return 1; }
}
on_exit() {
	local rc=$?
	if [ "$rc" = 0 ] && [ -d "$dir/responses" ]; then
		openapi_validate || rc=1
	fi
	cleanup
	exit "$rc"
}
