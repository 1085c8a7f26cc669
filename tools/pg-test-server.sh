#!/bin/sh
# Starts or stops a throwaway PostgreSQL server for the tests and benches:
# a fresh cluster in a temporary folder, listening on 127.0.0.1 only, on a
# free port, trust authentication (nothing but loopback can reach it).
#
#   eval "$(tools/pg-test-server.sh start)"   # exports SCANQ_TEST_PG_URL, SCANQ_TEST_PG_DIR
#   tools/pg-test-server.sh stop "$SCANQ_TEST_PG_DIR"
#   tools/pg-test-server.sh down DIR    # fault tests: stop the server (fast), keep the cluster
#   tools/pg-test-server.sh up DIR      # ... and start it again on the same port
#
# PostgreSQL refuses to run as root, so as root the cluster belongs to the
# `postgres` user (from Debian's postgresql package).
set -e
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/initdb" ] || { echo "echo 'no PostgreSQL server installed (apt-get install postgresql)' >&2"; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "$1" in
start)
	dir=$(mktemp -d "${TMPDIR:-/tmp}/scanq-pg-XXXXXX")
	[ "$(id -u)" = 0 ] && chown postgres "$dir"
	# A free port: ask the kernel for one, then hand it to postgres.
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
		|| echo $((20000 + $$ % 20000)))
	as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-sync >"$dir/initdb.log" 2>&1
	echo "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=on -c max_connections=200" >"$dir/opts"
	as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$(cat "$dir/opts")" \
		start >/dev/null
	echo "export SCANQ_TEST_PG_URL='postgres://postgres@127.0.0.1:$port/postgres'"
	echo "export SCANQ_TEST_PG_DIR='$dir'"
	;;
stop)
	[ -n "$2" ] && [ -d "$2/data" ] || exit 0
	as_pg "$bin/pg_ctl" -D "$2/data" -m immediate -w stop >/dev/null 2>&1 || true
	rm -rf "$2"
	;;
down)
	[ -n "$2" ] && [ -d "$2/data" ] || exit 2
	as_pg "$bin/pg_ctl" -D "$2/data" -m fast -w stop >/dev/null
	;;
up)
	[ -n "$2" ] && [ -f "$2/opts" ] || exit 2
	as_pg "$bin/pg_ctl" -D "$2/data" -l "$2/server.log" -w -t 60 -o "$(cat "$2/opts")" \
		start >/dev/null
	;;
*)
	echo "usage: $0 start | stop DIR | down DIR | up DIR" >&2
	exit 2
	;;
esac
