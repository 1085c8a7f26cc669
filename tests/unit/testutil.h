/*
 * testutil.h — what the cmocka suites share: a fresh SQLite database file
 * per test in a temporary folder.
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

#endif
