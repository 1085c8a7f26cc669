/*
 * scantype.h — the scan types built into the binary, and the command line
 * that runs one of them (`scanq scan` and the lean `scanq-scan`).  Each
 * type is a function that reports through scanner.h; this table sits
 * above them all, so the scanners never include it.
 */
#ifndef SCANQ_SCANTYPE_H
#define SCANQ_SCANTYPE_H

#include "scanner.h"

/* A scan type built into the binary. */
struct scantype {
	const char *name;
	const char *summary;	/* one line for `scanq help` and the UI */
	int test_only;		/* 1: a type for tests of the worker */
	int (*run)(struct scanctx *ctx);	/* returns the exit status */
};

/*
 * The `scan TYPE [--ports SPEC] [--options JSON] [--time-limit S] [--json]
 * [--] TARGET...` command line (--time-limit: the worker passes the scan's
 * limit so a scanner can pace itself within it), shared by `scanq scan` and the lean `scanq-scan` binary
 * (argv[0] is the command's own name).  A type that is not built in goes
 * to `other` (tool profiles, in `scanq scan`); with other NULL it is
 * refused.  Returns the exit status: the scanner's, or 2 for a usage error.
 * Uses no database and links no HTTP library (the http type loads libcurl
 * when it runs, libcurl.h), so the lean binary links neither.
 */
int scantype_main(int argc, char **argv, int (*other)(struct scanctx *ctx));

/* Finds a built-in type by name, or NULL. */
const struct scantype *scantype_find(const char *name);

/* Registers with config_set_checks() what config_load() asks of the scan
 * layer: scope_entry_valid() for allow/deny entries and scantype_find() for
 * the names a [profile.NAME] may not take.  Call before config_load(). */
void scantype_config_checks(void);

/* The table of built-in types, terminated by an entry with name NULL. */
extern const struct scantype scantype_table[];

#endif
