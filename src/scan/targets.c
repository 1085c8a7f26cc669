/*
 * targets.c — target specs parsed into merged address intervals plus a
 * list of hostnames (see targets.h).  Nothing here resolves a name or
 * touches the network; the cap is checked on interval sizes, so even
 * "::/0" costs one comparison, not an expansion.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include "core/config.h"
#include "targets.h"

#define V4MAPPED(v)  (((targets_u128)0xffff << 32) | (v))
#define U128_MAX     (~(targets_u128)0)

struct range {
	targets_u128 lo, hi;
};

struct target_list {
	struct range *ranges;
	size_t nranges;
	char **names;
	size_t nnames;
	uint64_t count;		/* addresses after merging */
};

struct target_list *targets_new(void)
{
	return calloc(1, sizeof(struct target_list));
}

static void clear(struct target_list *l)
{
	for (size_t i = 0; i < l->nnames; i++)
		free(l->names[i]);
	free(l->names);
	free(l->ranges);
	memset(l, 0, sizeof *l);
}

void targets_free(struct target_list *l)
{
	if (!l)
		return;
	clear(l);
	free(l);
}

static int is_v4(targets_u128 v)
{
	return (v >> 32) == 0xffff;
}

int targets_parse_addr(const char *s, targets_u128 *out)
{
	unsigned char b[16];
	targets_u128 v = 0;

	if (strlen(s) > INET6_ADDRSTRLEN)
		return -1;
	if (inet_pton(AF_INET, s, b) == 1) {
		*out = V4MAPPED(((targets_u128)b[0] << 24) | ((targets_u128)b[1] << 16)
				| ((targets_u128)b[2] << 8) | b[3]);
		return 0;
	}
	if (strchr(s, ':') && inet_pton(AF_INET6, s, b) == 1) {
		for (int i = 0; i < 16; i++)
			v = (v << 8) | b[i];
		*out = v;
		return 0;
	}
	return -1;
}

void targets_to_addr(targets_u128 v, struct target_addr *out)
{
	memset(out, 0, sizeof *out);
	if (is_v4(v)) {
		out->family = AF_INET;
		for (int i = 3; i >= 0; i--, v >>= 8)
			out->a[i] = (unsigned char)(v & 0xff);
		return;
	}
	out->family = AF_INET6;
	for (int i = 15; i >= 0; i--, v >>= 8)
		out->a[i] = (unsigned char)(v & 0xff);
}

targets_u128 targets_from_addr(const struct target_addr *a)
{
	targets_u128 v = 0;

	if (a->family == AF_INET)
		return V4MAPPED(((targets_u128)a->a[0] << 24) | ((targets_u128)a->a[1] << 16)
				| ((targets_u128)a->a[2] << 8) | a->a[3]);
	for (int i = 0; i < 16; i++)
		v = (v << 8) | a->a[i];
	return v;
}

char *targets_addr_str(const struct target_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family, a->a, buf, (socklen_t)len) && len)
		buf[0] = '\0';
	return buf;
}

int targets_name_valid(const char *name)
{
	size_t len = strlen(name), label = 0;
	int all_digits = 1;

	if (len == 0 || len > TARGETS_NAME_MAX)
		return 0;
	if (name[len - 1] == '.')	/* a fully qualified name ends in one dot */
		len--;
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (c == '.') {
			if (label == 0 || name[i - 1] == '-')
				return 0;
			label = 0;
			all_digits = 1;
			continue;
		}
		if (c == '-') {
			if (label == 0)
				return 0;	/* also refuses a leading '-' */
		} else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
			return 0;
		}
		if (c < '0' || c > '9')
			all_digits = 0;
		if (++label > 63)
			return 0;
	}
	/* The last label must not be numeric, or "1.2.3.400" would pass as a name. */
	return label > 0 && name[len - 1] != '-' && !all_digits;
}

/* Parses a whole decimal number in [0, max].  Returns 0 or -1. */
static int parse_num(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 6)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int targets_classify(const char *spec, targets_u128 *lo, targets_u128 *hi)
{
	char buf[TARGETS_SPEC_MAX + 1], *sep;
	targets_u128 a, b;
	unsigned long n;
	size_t len = strlen(spec);

	if (len == 0 || len > TARGETS_SPEC_MAX || spec[0] == '-')
		return 0;
	memcpy(buf, spec, len + 1);
	if ((sep = strchr(buf, '/'))) {		/* CIDR */
		*sep = '\0';
		if (targets_parse_addr(buf, &a) < 0 || parse_num(sep + 1, 128, &n) < 0)
			return 0;
		if (is_v4(a) && !strchr(buf, ':')) {
			if (n > 32)
				return 0;
			n += 96;
		}
		b = n == 0 ? U128_MAX : (((targets_u128)1 << (128 - n)) - 1);
		a &= ~b;
		b |= a;
	} else if ((sep = strchr(buf, '-')) && (*sep = '\0', targets_parse_addr(buf, &a) == 0)) {
		/* a range; "a-b.example" is a hostname and goes on below */
		if (targets_parse_addr(sep + 1, &b) < 0) {
			/* "192.0.2.1-20": the end replaces the last octet. */
			if (!is_v4(a) || strchr(buf, ':') || parse_num(sep + 1, 255, &n) < 0)
				return 0;
			b = (a & ~(targets_u128)0xff) | n;
		} else if (is_v4(a) != is_v4(b)) {
			return 0;
		}
		if (b < a)
			return 0;
	} else if (targets_parse_addr(spec, &a) == 0) {
		b = a;
	} else {
		return targets_name_valid(spec) ? 2 : 0;
	}
	if (lo)
		*lo = a;
	if (hi)
		*hi = b;
	return 1;
}

/* Why a spec is invalid, for the message. */
static const char *why_invalid(const char *spec)
{
	char buf[TARGETS_SPEC_MAX + 1], *sep;
	targets_u128 a, b;
	unsigned long n;

	if (!*spec)
		return "an empty target";
	if (strlen(spec) > TARGETS_SPEC_MAX)
		return "too long";
	if (spec[0] == '-')
		return "a target may not start with '-'";
	memcpy(buf, spec, strlen(spec) + 1);
	if ((sep = strchr(buf, '-')) && !strchr(buf, '/')) {
		*sep = '\0';
		if (targets_parse_addr(buf, &a) == 0) {
			if (targets_parse_addr(sep + 1, &b) < 0 && parse_num(sep + 1, 255, &n) == 0)
				b = (a & ~(targets_u128)0xff) | n;
			else if (targets_parse_addr(sep + 1, &b) < 0)
				b = a;
			if (b < a)
				return "the range is reversed";
		}
	}
	if (strpbrk(spec, " \t\r\n;|&$`'\"\\<>(){}*?!~#%="))
		return "not an address, CIDR block, range or hostname (forbidden character)";
	return "not an address, CIDR block, range or hostname";
}

static int cmp_range(const void *x, const void *y)
{
	const struct range *a = x, *b = y;

	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

/* 1 if two names are the same in DNS: case and one final dot aside. */
static int same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la && a[la - 1] == '.')
		la--;
	if (lb && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

static int add_name(struct target_list *l, const char *name, size_t cap)
{
	char **n;

	for (size_t i = 0; i < l->nnames; i++)
		if (same_name(l->names[i], name))
			return 0;
	if (l->nnames % 16 == 0) {
		if (l->nnames >= cap)
			return -1;
		n = realloc(l->names, (l->nnames + 16) * sizeof *n);
		if (!n)
			return -1;
		l->names = n;
	}
	l->names[l->nnames] = strdup(name);
	if (!l->names[l->nnames])
		return -1;
	l->nnames++;
	return 0;
}

int targets_parse(struct target_list *l, const char *const *specs, int n, long max,
		  char *code, size_t codelen, char *msg, size_t msglen)
{
	targets_u128 total = 0;
	size_t m = 0;

	clear(l);
	if (n > TARGETS_SPECS_MAX) {
		snprintf(code, codelen, "too_many_targets");
		snprintf(msg, msglen, "more than %d target specs", TARGETS_SPECS_MAX);
		return -1;
	}
	l->ranges = calloc(n > 0 ? (size_t)n : 1, sizeof *l->ranges);
	if (!l->ranges)
		goto nomem;
	for (int i = 0; i < n; i++) {
		struct range r;
		int kind = targets_classify(specs[i], &r.lo, &r.hi);

		if (kind == 0) {
			snprintf(code, codelen, "invalid_target");
			snprintf(msg, msglen, "invalid target '%.80s': %s", specs[i], why_invalid(specs[i]));
			return -1;
		}
		if (kind == 2) {
			if (add_name(l, specs[i], TARGETS_SPECS_MAX) < 0)
				goto nomem;
			continue;
		}
		if (r.hi - r.lo >= (targets_u128)max) {
			snprintf(code, codelen, "too_many_targets");
			snprintf(msg, msglen, "target '%.80s' has more than %ld addresses (the limit per scan)",
				 specs[i], max);
			return -1;
		}
		l->ranges[l->nranges++] = r;
	}
	/* Merge overlapping and adjacent intervals. */
	qsort(l->ranges, l->nranges, sizeof *l->ranges, cmp_range);
	for (size_t i = 0; i < l->nranges; i++) {
		if (m > 0 && l->ranges[i].lo <= l->ranges[m - 1].hi + 1 && l->ranges[m - 1].hi != U128_MAX) {
			if (l->ranges[i].hi > l->ranges[m - 1].hi)
				l->ranges[m - 1].hi = l->ranges[i].hi;
		} else {
			l->ranges[m++] = l->ranges[i];
		}
	}
	l->nranges = m;
	for (size_t i = 0; i < m; i++)
		total += l->ranges[i].hi - l->ranges[i].lo + 1;
	if (total + l->nnames > (targets_u128)max) {
		snprintf(code, codelen, "too_many_targets");
		snprintf(msg, msglen, "the targets expand to %llu addresses and names, more than the limit of %ld",
			 (unsigned long long)(total + l->nnames), max);
		return -1;
	}
	if (total + l->nnames == 0) {
		snprintf(code, codelen, "no_targets");
		snprintf(msg, msglen, "no targets given");
		return -1;
	}
	l->count = (uint64_t)total;
	return 0;
nomem:
	snprintf(code, codelen, "internal");
	snprintf(msg, msglen, "out of memory");
	return -1;
}

uint64_t targets_count(const struct target_list *l)
{
	return l->count;
}

size_t targets_nranges(const struct target_list *l)
{
	return l->nranges;
}

void targets_range(const struct target_list *l, size_t i, targets_u128 *lo, targets_u128 *hi)
{
	*lo = l->ranges[i].lo;
	*hi = l->ranges[i].hi;
}

int targets_contains(const struct target_list *l, targets_u128 v)
{
	size_t lo = 0, hi = l->nranges;

	while (lo < hi) {	/* the ranges are sorted and disjoint */
		size_t mid = lo + (hi - lo) / 2;

		if (v < l->ranges[mid].lo)
			hi = mid;
		else if (v > l->ranges[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

size_t targets_nnames(const struct target_list *l)
{
	return l->nnames;
}

const char *targets_name(const struct target_list *l, size_t i)
{
	return i < l->nnames ? l->names[i] : NULL;
}

void targets_iter_init(struct target_iter *it, const struct target_list *l)
{
	memset(it, 0, sizeof *it);
	it->l = l;
}

int targets_iter_next(struct target_iter *it, struct target_addr *out)
{
	const struct target_list *l = it->l;

	if (it->range >= l->nranges)
		return 0;
	if (!it->started) {
		it->cur = l->ranges[it->range].lo;
		it->started = 1;
	} else if (it->cur == l->ranges[it->range].hi) {
		if (++it->range >= l->nranges)
			return 0;
		it->cur = l->ranges[it->range].lo;
	} else {
		it->cur++;
	}
	targets_to_addr(it->cur, out);
	return 1;
}
