/*
 * ratecap.c — the syntax of rate caps and the rule of which caps a
 * scan's targets count against (see ratecap.h).  Networks are the target
 * parser's intervals (targets.h: IPv4 as IPv4-mapped IPv6), so "most
 * specific" is "smallest interval".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ratecap.h"

#define V4_LO (((targets_u128)0xffff) << 32)
#define V4_HI (V4_LO | 0xffffffffu)

/* 1 if [lo, hi] lies in IPv4's part of the address space.  A cap and a
 * target of different families never match: ::/0 is IPv6's catch-all,
 * not IPv4's too, though the parser keeps IPv4 inside IPv6's space. */
static int is_v4(targets_u128 lo, targets_u128 hi)
{
	return lo >= V4_LO && hi <= V4_HI;
}

/* The prefix length of the interval [lo, hi], in the address's own family
 * (32 for one IPv4 address), or -1 when it is not a CIDR block. */
static int prefix_of(targets_u128 lo, targets_u128 hi, int v4)
{
	targets_u128 size = hi - lo;
	int bits = 0;

	while (size & 1) {
		size >>= 1;
		bits++;
	}
	if (size != 0)
		return -1;
	return (v4 ? 32 : 128) - bits;
}

int ratecap_make(const char *net, long probes, struct ratecap *out, char *err, size_t errlen)
{
	struct target_addr a;
	char addr[48];
	int v4, prefix;

	memset(out, 0, sizeof *out);
	if (!net || targets_classify(net, &out->lo, &out->hi) != 1
	    || (strchr(net, '-') && !strchr(net, '/'))) {
		snprintf(err, errlen, "bad network '%.60s' (a CIDR block or an address)",
			 net ? net : "");
		return -1;
	}
	v4 = is_v4(out->lo, out->hi) && !strchr(net, ':');
	prefix = prefix_of(out->lo, out->hi, v4);
	if (prefix < 0) {
		snprintf(err, errlen, "bad network '%.60s' (a CIDR block or an address)", net);
		return -1;
	}
	if (probes < 1 || probes > RATECAP_PROBES_MAX) {
		snprintf(err, errlen, "the cap of %.60s must be 1..%d probes per second", net,
			 RATECAP_PROBES_MAX);
		return -1;
	}
	targets_to_addr(out->lo, &a);
	targets_addr_str(&a, addr, sizeof addr);
	snprintf(out->net, sizeof out->net, "%s/%d", addr, prefix);
	out->probes = probes;
	return 0;
}

int ratecap_parse(const char *entry, struct ratecap *out, char *err, size_t errlen)
{
	char net[RATECAP_NET_MAX + 1];
	const char *colon = strrchr(entry, ':');
	char *end;
	long v;

	if (!colon || colon == entry || (size_t)(colon - entry) > RATECAP_NET_MAX - 1) {
		snprintf(err, errlen, "bad rate cap '%.60s' (NETWORK:PROBES, as 10.0.0.0/8:2000)",
			 entry);
		return -1;
	}
	memcpy(net, entry, (size_t)(colon - entry));
	net[colon - entry] = '\0';
	errno = 0;
	v = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end) {
		snprintf(err, errlen, "bad rate cap '%.60s' (NETWORK:PROBES, as 10.0.0.0/8:2000)",
			 entry);
		return -1;
	}
	return ratecap_make(net, v, out, err, errlen);
}

int ratecap_entry_valid(const char *entry, char *err, size_t errlen)
{
	struct ratecap c;

	return ratecap_parse(entry, &c, err, errlen);
}

/* Adds cap i to idx, or keeps the smaller of two caps of one network. */
static size_t add(const struct ratecap *caps, size_t *idx, size_t k, size_t i)
{
	for (size_t j = 0; j < k; j++)
		if (caps[idx[j]].lo == caps[i].lo && caps[idx[j]].hi == caps[i].hi) {
			if (caps[i].probes < caps[idx[j]].probes)
				idx[j] = i;
			return k;
		}
	idx[k] = i;
	return k + 1;
}

/* The most specific cap holding [lo, hi], or n for none. */
static size_t holder(const struct ratecap *caps, size_t n, targets_u128 lo, targets_u128 hi)
{
	size_t best = n;

	for (size_t i = 0; i < n; i++)
		if (is_v4(caps[i].lo, caps[i].hi) == is_v4(lo, hi) && caps[i].lo <= lo && hi <= caps[i].hi
		    && (best == n || caps[i].hi - caps[i].lo < caps[best].hi - caps[best].lo
			|| (caps[i].hi - caps[i].lo == caps[best].hi - caps[best].lo
			    && caps[i].probes < caps[best].probes)))
			best = i;
	return best;
}

size_t ratecap_match(const struct ratecap *caps, size_t n, const char *const *targets,
		     size_t ntargets, size_t *idx)
{
	size_t k = 0;

	for (size_t t = 0; t < ntargets; t++) {
		targets_u128 lo, hi;
		int kind = targets[t] ? targets_classify(targets[t], &lo, &hi) : 0;
		size_t h;

		if (kind != 1) {
			/* A name: the catch-all caps of both families. */
			for (size_t i = 0; i < n; i++)
				if ((caps[i].lo == V4_LO && caps[i].hi == V4_HI)
				    || (caps[i].lo == 0 && caps[i].hi == ~(targets_u128)0))
					k = add(caps, idx, k, i);
			continue;
		}
		if ((h = holder(caps, n, lo, hi)) < n)
			k = add(caps, idx, k, h);
		for (size_t i = 0; i < n; i++)
			if (is_v4(caps[i].lo, caps[i].hi) == is_v4(lo, hi)
			    && lo <= caps[i].lo && caps[i].hi <= hi && !(caps[i].lo == lo && caps[i].hi == hi))
				k = add(caps, idx, k, i);
	}
	return k;
}
