/*
 * resolve.h — from a scan's targets to the addresses it may touch.
 *
 * resolve_hosts() is the one path every scanner takes from `ctx->targets`
 * to a host list: parse (targets.c), refuse literal addresses out of
 * scope, resolve hostnames (A and AAAA at once, with c-ares, under one
 * deadline), and check each resolved address against the scope again.  A
 * name that resolves out of scope, or not at all, is skipped and reported
 * as a finding of kind "skipped"; it never reaches a socket.  When nothing
 * is left to scan, the scan fails with "no_targets" (every scan type the
 * same way; docs/SCANNERS.md says why).
 */
#ifndef SCANQ_RESOLVE_H
#define SCANQ_RESOLVE_H

#include <stddef.h>
#include "targets.h"

struct scanctx;

#define RESOLVE_ADDRS_MAX 32		/* addresses kept per resolved name */
#define RESOLVE_MS 3000	/* default deadline for all names */

/* One host to scan: an address, and the name it came from (or NULL). */
struct resolve_host {
	struct target_addr addr;
	const char *name;		/* borrowed from the hostset */
};

struct resolve_hostset {
	struct resolve_host *hosts;
	size_t n;
	long skipped;			/* addresses out of scope after resolution */
	long unresolved;		/* names with no address */
	long excluded;			/* addresses and names an exclusion skipped (scope.h) */
	struct target_list *list;	/* owns the names */
	unsigned char *name_state;	/* per name of list: a RESOLVE_NAME_* */
};

#define RESOLVE_NAME_OK      0	/* every address in scope */
#define RESOLVE_NAME_PARTIAL 1	/* some addresses skipped */
#define RESOLVE_NAME_NONE    2	/* unresolved, or every address skipped */

/* The result of resolving one name. */
struct resolve_name {
	const char *name;		/* borrowed */
	struct target_addr addrs[RESOLVE_ADDRS_MAX];
	int naddrs;
	char error[64];			/* "" or why it did not resolve */
};

/*
 * Resolves n names at once (A and AAAA), giving up on whatever has not
 * answered after timeout_ms.  Fills each names[i] (name set by the
 * caller).  Returns 0, or -1 with a reason when the resolver could not
 * start at all.
 */
int resolve_names(struct resolve_name *names, size_t n, int timeout_ms,
		  char *err, size_t errlen);

/*
 * Builds the host list of a scan as described above (options.resolve_ms
 * overrides the resolver deadline).  Returns 0, or the exit status after
 * reporting the error (invalid_target, no_targets, too_many_targets,
 * out_of_scope) through scanner_error().  Release with
 * resolve_hostset_release() either way.
 */
int resolve_hosts(struct scanctx *ctx, struct resolve_hostset *out);

/* Frees what a hostset owns and zeroes it; safe on a zeroed one. */
void resolve_hostset_release(struct resolve_hostset *hs);

#endif
