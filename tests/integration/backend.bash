# backend.bash — which database an integration test runs on (sourced by
# lib.sh, not a test).  tests/run.sh runs each suite
# once per backend: SQLite by default, and with SCANQ_TEST_BACKEND=pg on a
# fresh database of the PostgreSQL server it started ($SCANQ_TEST_PG_URL).
# A suite whose first lines say "# backends: own" runs once and picks its
# databases itself.
#
# new_db DIR: sets DB (the URL; common.bash's sql() reads it), BACKEND
# (sqlite | pg) and DBFILE (SQLite only), and defines
#   db_hash        a digest of the whole database content (not its layout),
#                  less the maintenance leader's term, which a running
#                  `serve` renews every 2 s
#   sqlite_only    ends a test that cannot run on this backend (exit 77:
#                  run.sh counts it as skipped, and says so)
new_db() {
	BACKEND=${SCANQ_TEST_BACKEND:-sqlite}
	case $BACKEND in
	sqlite)
		DBFILE="$1/t.db"
		DB="sqlite://$DBFILE"
		db_hash() { sqlite3 "$DBFILE" .dump | grep -v '^INSERT INTO leader' | sha256sum | cut -d' ' -f1; }
		;;
	pg)
		local name="t_$$_${RANDOM}"
		: "${SCANQ_TEST_PG_URL:?SCANQ_TEST_BACKEND=pg needs SCANQ_TEST_PG_URL}"
		psql "$SCANQ_TEST_PG_URL" -qc "CREATE DATABASE $name" >/dev/null \
			|| { echo "cannot create database $name" >&2; exit 1; }
		DB="${SCANQ_TEST_PG_URL%/*}/$name"
		DBNAME=$name
		DBFILE=""
		db_hash() {
			pg_dump --data-only --inserts "$DB" 2>/dev/null | grep '^INSERT\|^SELECT pg_catalog.setval' \
				| grep -v '^INSERT INTO public.leader' | sort | sha256sum | cut -d' ' -f1
		}
		;;
	*)
		echo "SCANQ_TEST_BACKEND must be sqlite or pg" >&2
		exit 2
		;;
	esac
}

# drop_test_db: removes a PostgreSQL test database (cleanup calls it; SQLite's
# file goes with the test's folder).
drop_test_db() {
	[ "$BACKEND" = pg ] && [ -n "${DBNAME:-}" ] \
		&& psql -q "$SCANQ_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)" >/dev/null 2>&1
	return 0
}

sqlite_only() {
	[ "$BACKEND" = sqlite ] && return 0
	echo "SKIP on $BACKEND: $*"
	exit 77
}
