/*
 * targets.h — what a scan may be pointed at, parsed and bounded.
 *
 * A target spec is one of: an IPv4 or IPv6 address, a CIDR block
 * ("10.0.0.0/30", "2001:db8::/126"), a range ("192.0.2.1-20" or
 * "192.0.2.1-192.0.2.20", IPv6 in the full form only) or a hostname (RFC
 * 1123 letters, digits, '-' and '.', no label starting or ending with '-').
 * Anything else is refused with the spec named, so a target can never look
 * like an option ("--script=x") or carry shell syntax (";touch /tmp/x").
 *
 * Addresses are kept as merged, sorted intervals of 128-bit numbers (IPv4 as
 * ::ffff:a.b.c.d), so overlapping blocks count once and a /8 costs sixteen
 * bytes, not sixteen million entries; an iterator walks them one address at
 * a time.  Every list has a cap on addresses (config.max_targets) checked
 * before anything is expanded.
 */
#ifndef SCANQ_TARGETS_H
#define SCANQ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

#define TARGETS_SPEC_MAX  256	/* longest spec accepted */
#define TARGETS_NAME_MAX  253	/* longest hostname (RFC 1035) */
#define TARGETS_SPECS_MAX 4096	/* specs in one scan */

typedef unsigned __int128 targets_u128;	/* an address as a number */

/* One address: family AF_INET (4 bytes used) or AF_INET6 (16 bytes). */
struct target_addr {
	int family;
	unsigned char a[16];
};

struct target_list;

/* A new empty list (free with targets_free()), or NULL without memory. */
struct target_list *targets_new(void);

/* Frees a list; NULL is a no-op. */
void targets_free(struct target_list *l);

/*
 * Parses specs[0..n) into l, merges overlapping addresses and checks the
 * cap: at most `max` addresses, hostnames counting one each.  Returns 0, or
 * -1 with code set to "invalid_target" (msg names the spec),
 * "too_many_targets" or "no_targets" and a one-line msg.  On error l holds
 * nothing useful; free it.
 */
int targets_parse(struct target_list *l, const char *const *specs, int n, long max,
		  char *code, size_t codelen, char *msg, size_t msglen);

/* Addresses in the list (after merging), hostnames not counted. */
uint64_t targets_count(const struct target_list *l);

/* The merged address intervals, ascending: how many, and the i-th. */
size_t targets_nranges(const struct target_list *l);
void targets_range(const struct target_list *l, size_t i, targets_u128 *lo, targets_u128 *hi);

/* 1 if the address is one of the list's addresses, else 0. */
int targets_contains(const struct target_list *l, targets_u128 v);

/* Hostnames in the list, and the i-th one (owned by the list). */
size_t targets_nnames(const struct target_list *l);
const char *targets_name(const struct target_list *l, size_t i);

/* Walks the addresses in ascending order: init, then next() until it
 * returns 0.  The list must outlive the iterator. */
struct target_iter {
	const struct target_list *l;
	size_t range;
	targets_u128 cur;
	int started;
};
void targets_iter_init(struct target_iter *it, const struct target_list *l);
int targets_iter_next(struct target_iter *it, struct target_addr *out);

/*
 * Checks the syntax of one spec without adding it anywhere.  Returns 1 for
 * an address form (address, CIDR or range), 2 for a hostname, 0 if invalid.
 * `lo`/`hi` (may be NULL) get the interval of an address form.
 */
int targets_classify(const char *spec, targets_u128 *lo, targets_u128 *hi);

/* Parses a single IPv4 or IPv6 address (no prefix).  Returns 0 or -1. */
int targets_parse_addr(const char *s, targets_u128 *out);

/* Converts between the number and struct target_addr. */
void targets_to_addr(targets_u128 v, struct target_addr *out);
targets_u128 targets_from_addr(const struct target_addr *a);

/* Formats an address ("127.0.0.1", "::1") into buf (at least 46 bytes).
 * Returns buf. */
char *targets_addr_str(const struct target_addr *a, char *buf, size_t len);

/* 1 if a hostname passes the RFC 1123 syntax check, else 0. */
int targets_name_valid(const char *name);

#endif
