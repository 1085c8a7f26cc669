/*
 * testutil.h — what the cmocka suites share: a fresh SQLite database file
 * per test in a temporary folder, and the store suites' PostgreSQL
 * database of their own.
 */
#ifndef SCANQ_TESTUTIL_H
#define SCANQ_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ftw.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <libpq-fe.h>
#include "store/store.h"

/* Makes a new temporary directory; returns a static path "sqlite://DIR/t.db"
 * in url (at least 512 bytes) and the directory in dir. */
static inline void testutil_tmpdb(char *dir, size_t dirlen, char *url, size_t urllen)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	snprintf(dir, dirlen, "%s/scanq-test-XXXXXX", base);
	if (!mkdtemp(dir))
		fail_msg("mkdtemp failed");
	snprintf(url, urllen, "sqlite://%s/t.db", dir);
}

static inline int testutil_rm_one(const char *path, const struct stat *sb, int flag,
				  struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

/* Removes a directory made by testutil_tmpdb (best effort). */
static inline void testutil_rmdir(const char *dir)
{
	nftw(dir, testutil_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Runs SQL on the PostgreSQL database at url; fails the test if it fails. */
static inline void testutil_pg_exec(const char *url, const char *sql)
{
	PGconn *c = PQconnectdb(url);
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

/*
 * The PostgreSQL half of a store suite runs in a database of its own on
 * the server that SCANQ_TEST_PG_URL names: tests/run.sh runs the plain and
 * the sanitizer build's suites at the same time on one server, and every
 * test empties its database (testutil_pg_reset).  testutil_pg_create()
 * makes "unit_PID" and writes its URL into url (at least 512 bytes); it
 * returns 0, or -1 when SCANQ_TEST_PG_URL is unset.  testutil_pg_drop()
 * removes it.
 */
static inline int testutil_pg_create(char *url, size_t len)
{
	const char *base = getenv("SCANQ_TEST_PG_URL");
	char sql[128];
	int n;

	if (!base || !*base)
		return -1;
	if (!strrchr(base, '/') || strchr(base, '?'))
		fail_msg("SCANQ_TEST_PG_URL must be postgres://USER@HOST:PORT/DB: %s", base);
	snprintf(sql, sizeof sql, "CREATE DATABASE unit_%ld", (long)getpid());
	testutil_pg_exec(base, sql);
	n = snprintf(url, len, "%.*s/unit_%ld", (int)(strrchr(base, '/') - base), base, (long)getpid());
	if (n < 0 || (size_t)n >= len)
		fail_msg("SCANQ_TEST_PG_URL is too long");
	return 0;
}

static inline void testutil_pg_drop(void)
{
	char sql[128];

	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS unit_%ld WITH (FORCE)", (long)getpid());
	testutil_pg_exec(getenv("SCANQ_TEST_PG_URL"), sql);
}

/* Empties the database at url for the next test: the schema and the
 * functions the store's migrations create outside it. */
static inline void testutil_pg_reset(const char *url)
{
	testutil_pg_exec(url, "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"
			      " DROP FUNCTION IF EXISTS scanq_now_ms(); DROP FUNCTION IF EXISTS scanq_count();");
}

/* ---- the store suites' fixture ---------------------------------------- */

/* A fresh, empty database for one test: a new SQLite file in a folder of
 * its own, or (pg_url set) the PostgreSQL database emptied. */
struct testutil_store {
	char dir[256];		/* the test's temporary folder */
	char url[512];		/* the database the store opens */
	char path[512];		/* DIR/t.db: the SQLite file */
	struct store *s;	/* open on url, migrated */
};

static inline void testutil_store_fresh(struct testutil_store *f, const char *pg_url)
{
	testutil_tmpdb(f->dir, sizeof f->dir, f->url, sizeof f->url);
	snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
	if (pg_url) {
		snprintf(f->url, sizeof f->url, "%s", pg_url);
		testutil_pg_reset(pg_url);
	}
}

static inline struct testutil_store *testutil_store_new(const char *pg_url)
{
	struct testutil_store *f = calloc(1, sizeof *f);
	char err[256];

	if (!f)
		fail_msg("out of memory");
	testutil_store_fresh(f, pg_url);
	f->s = store_open(f->url, err, sizeof err);
	if (!f->s)
		fail_msg("store_open: %s", err);
	return f;
}

static inline void testutil_store_free(struct testutil_store *f)
{
	store_close(f->s);
	testutil_rmdir(f->dir);
	free(f);
}

#endif
