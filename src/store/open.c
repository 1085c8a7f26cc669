/*
 * open.c — opening a store: the database URL picks the dialect
 * (dialect.h), and a database whose schema is behind is migrated.  It is
 * the one file of the core that knows the dialects by name, and it sits
 * above them, so a dialect calls the core's primitives (db.c) and the core
 * never calls back into a dialect except through struct dialect.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "store/dialect.h"

struct store *store_open(const char *url, char *err, size_t errlen)
{
	return store_open_flags(url, 0, err, errlen);
}

struct store *store_open_flags(const char *url, int flags, char *err, size_t errlen)
{
	struct store *s;
	int v;

	if (!url || !*url) {
		snprintf(err, errlen, "no database URL given");
		return NULL;
	}
	if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
		s = store_pg_open(url, err, errlen);
	} else {
		if (strncmp(url, "sqlite://", 9) == 0)
			url += 9;
		else if (strstr(url, "://")) {
			snprintf(err, errlen, "unsupported database URL '%.100s' (expected "
				 "sqlite://PATH or postgres://...)", url);
			return NULL;
		}
		if (!*url) {
			snprintf(err, errlen, "the database URL names no file");
			return NULL;
		}
		if ((flags & STORE_MUST_EXIST) && access(url, F_OK) != 0) {
			snprintf(err, errlen, "database %.300s does not exist (a mistyped --db or "
				 "DATABASE_URL? `scanq serve` or `scanq migrate` creates it)", url);
			return NULL;
		}
		s = store_sqlite_open(url, err, errlen);
	}
	if (s)
		s->on_demand = !!(flags & STORE_ON_DEMAND);
	if (!s || (flags & STORE_NO_MIGRATE))
		return s;
	/* Read first: a database that is up to date is never write-locked by
	 * opening it, so read-only commands work while another process writes. */
	v = store_schema_version(s);
	if (v != store_schema_latest(s) && store_migrate(s, -1, NULL) != STORE_OK) {
		snprintf(err, errlen, "cannot migrate the database: %s", s->err);
		store_close(s);
		return NULL;
	}
	return s;
}
