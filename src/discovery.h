/*
 * discovery.h — from a scan's targets to the addresses it may touch, and
 * the "discovery" scan type.
 *
 * discovery_hosts() is the one path every built-in scanner takes from
 * `ctx->targets` to a host list: parse (targets.c), refuse literal
 * addresses out of scope, resolve hostnames (A and AAAA at once, with
 * c-ares, under one deadline), and check each resolved address against the
 * scope again.  A name that resolves out of scope, or not at all, is
 * skipped and reported as a finding of kind "skipped"; it never reaches a
 * socket.
 *
 * The discovery scan then asks every host on a few common TCP ports; an
 * answer of any kind (handshake or reset) means the host is up.
 */
#ifndef SCANQ_DISCOVERY_H
#define SCANQ_DISCOVERY_H

#include <stddef.h>
#include "targets.h"

struct scanctx;

#define DISCOVERY_ADDRS_MAX 32		/* addresses kept per resolved name */
#define DISCOVERY_RESOLVE_MS 3000	/* default deadline for all names */

/* One host to scan: an address, and the name it came from (or NULL). */
struct discovery_host {
	struct target_addr addr;
	const char *name;		/* borrowed from the hostset */
};

struct discovery_hostset {
	struct discovery_host *hosts;
	size_t n;
	long skipped;			/* addresses out of scope after resolution */
	long unresolved;		/* names with no address */
	struct target_list *list;	/* owns the names */
	unsigned char *name_state;	/* per name of list: a DISCOVERY_NAME_* */
};

#define DISCOVERY_NAME_OK      0	/* every address in scope */
#define DISCOVERY_NAME_PARTIAL 1	/* some addresses skipped */
#define DISCOVERY_NAME_NONE    2	/* unresolved, or every address skipped */

/* The result of resolving one name. */
struct discovery_name {
	const char *name;		/* borrowed */
	struct target_addr addrs[DISCOVERY_ADDRS_MAX];
	int naddrs;
	char error[64];			/* "" or why it did not resolve */
};

/*
 * Resolves n names at once (A and AAAA), giving up on whatever has not
 * answered after timeout_ms.  Fills each names[i] (name set by the
 * caller).  Returns 0, or -1 with a reason when the resolver could not
 * start at all.
 */
int discovery_resolve(struct discovery_name *names, size_t n, int timeout_ms,
		      char *err, size_t errlen);

/*
 * Builds the host list of a scan as described above (options.resolve_ms
 * overrides the resolver deadline).  Returns 0, or the exit status after
 * reporting the error (invalid_target, no_targets, too_many_targets,
 * out_of_scope) through scanner_error().  Release with
 * discovery_hostset_release() either way.
 */
int discovery_hosts(struct scanctx *ctx, struct discovery_hostset *out);

/* Frees what a hostset owns and zeroes it; safe on a zeroed one. */
void discovery_hostset_release(struct discovery_hostset *hs);

/* The "discovery" scan type.  Returns the exit status. */
int discovery_run(struct scanctx *ctx);

#endif
