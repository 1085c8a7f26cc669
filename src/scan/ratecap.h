/*
 * ratecap.h — rate caps per network: their syntax and which of them a
 * scan's targets fall under (ratecap.c).  A cap is "NETWORK:PROBES", a
 * CIDR block or one address and a number of probes per second shared by
 * every scan inside that network (`[rate] cap` and `scanq ratecap set`).
 * The store hands out each network's budget (store_rate_take()); this
 * module is the arithmetic both the store and the tests use, with no state.
 *
 * Which caps a target counts against: the most specific cap whose network
 * holds the whole target, and every cap whose network lies inside the
 * target (a part of it).  So a scan inside 10.0.0.0/8 counts against a
 * 10.0.0.0/8 cap only, not against 0.0.0.0/0 as well.  A target given as a
 * name is not resolved here: it counts against the caps of 0.0.0.0/0 and
 * ::/0 when there are such.
 */
#ifndef SCANQ_RATECAP_H
#define SCANQ_RATECAP_H

#include <stddef.h>
#include "targets.h"

#define RATECAP_MAX 64			/* caps in all: the file's and the store's */
#define RATECAP_PROBES_MAX 10000000	/* probes per second of one cap */
#define RATECAP_NET_MAX 64		/* bytes of a network's canonical text */

struct ratecap {
	char net[RATECAP_NET_MAX];	/* canonical: "10.0.0.0/8", "2001:db8::/32" */
	targets_u128 lo, hi;
	long probes;			/* per second, 1..RATECAP_PROBES_MAX */
};

/*
 * Parses a network (a CIDR block or one address; not a range, not a name)
 * and a cap into *out, with the network in canonical form (host bits
 * cleared, the prefix always written).  Returns 0, or -1 with a one-line
 * reason in err.
 */
int ratecap_make(const char *net, long probes, struct ratecap *out, char *err, size_t errlen);

/* Parses "NETWORK:PROBES" (the form of [rate] cap) as ratecap_make().
 * The last ':' separates, so "::1/128:50" is an IPv6 cap. */
int ratecap_parse(const char *entry, struct ratecap *out, char *err, size_t errlen);

/* The config check of one [rate] cap entry: 0, or -1 with a reason. */
int ratecap_entry_valid(const char *entry, char *err, size_t errlen);

/*
 * Which of caps[0..n) the targets (strings as a scan stores them) count
 * against, as above.  Writes the indexes into idx (room for n), each once,
 * and returns how many.  Two caps of one network: the smaller wins (the
 * other is not listed).
 */
size_t ratecap_match(const struct ratecap *caps, size_t n, const char *const *targets,
		     size_t ntargets, size_t *idx);

#endif
