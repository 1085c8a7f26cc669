/*
 * scope.c — the scope policy of scope.h.  Entries are parsed once into
 * address intervals and lower-case domain suffixes; every check is a walk
 * over at most CONFIG_LIST_MAX entries per list (CONFIG_EXCLUDE_MAX for
 * the exclusions), with deny winning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/config.h"
#include "scope.h"
#include "targets.h"

struct rule {
	int is_name;
	targets_u128 lo, hi;		/* address entries */
	char name[TARGETS_NAME_MAX + 1];	/* suffix entries, lower case, no dots at the ends */
};

struct scope {
	struct rule allow[CONFIG_LIST_MAX];
	int nallow;
	struct rule deny[CONFIG_LIST_MAX];
	int ndeny;
	struct rule exclude[CONFIG_EXCLUDE_MAX];
	int nexclude;
};

static int parse_rule(const char *entry, struct rule *r, char *err, size_t errlen)
{
	const char *s = entry;
	size_t len;
	int kind;

	memset(r, 0, sizeof *r);
	kind = targets_classify(s, &r->lo, &r->hi);
	if (kind == 1)
		return 0;
	/* A suffix may be written ".example.com" or "*.example.com". */
	if (s[0] == '*' && s[1] == '.')
		s += 2;
	else if (s[0] == '.')
		s++;
	len = strlen(s);
	if (kind == 0 && !targets_name_valid(s)) {
		snprintf(err, errlen, "bad scope entry '%.60s' (a CIDR block, an address or a domain suffix)",
			 entry);
		return -1;
	}
	r->is_name = 1;
	while (len && s[len - 1] == '.')
		len--;
	if (len == 0 || len > TARGETS_NAME_MAX) {
		snprintf(err, errlen, "bad scope entry '%.60s'", entry);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		r->name[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] - 'A' + 'a' : s[i]);
	r->name[len] = '\0';
	return 0;
}

int scope_entry_valid(const char *entry, char *err, size_t errlen)
{
	struct rule r;

	return parse_rule(entry, &r, err, errlen);
}

struct scope *scope_new(char *const *allow, int nallow, char *const *deny, int ndeny,
			char *err, size_t errlen)
{
	struct scope *s;

	if (nallow > CONFIG_LIST_MAX || ndeny > CONFIG_LIST_MAX) {
		snprintf(err, errlen, "a scope list has more than %d entries", CONFIG_LIST_MAX);
		return NULL;
	}
	s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (int i = 0; i < nallow; i++)
		if (parse_rule(allow[i], &s->allow[s->nallow++], err, errlen) < 0)
			goto fail;
	for (int i = 0; i < ndeny; i++)
		if (parse_rule(deny[i], &s->deny[s->ndeny++], err, errlen) < 0)
			goto fail;
	return s;
fail:
	free(s);
	return NULL;
}

struct scope *scope_from_config(const struct config *c, char *err, size_t errlen)
{
	struct scope *s = scope_new(c->scope_allow, c->nallow, c->scope_deny, c->ndeny, err, errlen);

	for (int i = 0; s && i < c->nexclude; i++)
		if (scope_exclude_add(s, c->scope_exclude[i], err, errlen) < 0) {
			scope_free(s);
			s = NULL;
		}
	return s;
}

void scope_free(struct scope *s)
{
	free(s);
}

/* 1 if the address rules of rules[0..n) cover every address of [lo, hi]
 * (the blocks may overlap), else 0 with *bad (when not NULL) the first
 * address left out. */
static int covered(const struct rule *rules, int n, targets_u128 lo, targets_u128 hi,
		   targets_u128 *bad)
{
	targets_u128 cur = lo;

	for (;;) {
		const struct rule *best = NULL;

		for (int i = 0; i < n; i++) {
			const struct rule *r = &rules[i];

			if (!r->is_name && r->lo <= cur && r->hi >= cur && (!best || r->hi > best->hi))
				best = r;
		}
		if (!best) {
			if (bad)
				*bad = cur;
			return 0;
		}
		if (best->hi >= hi)
			return 1;
		cur = best->hi + 1;
	}
}

int scope_check_range(const struct scope *s, targets_u128 lo, targets_u128 hi,
		      targets_u128 *bad)
{
	for (int i = 0; i < s->ndeny; i++) {
		const struct rule *d = &s->deny[i];

		if (!d->is_name && d->lo <= hi && d->hi >= lo) {
			if (bad)
				*bad = d->lo > lo ? d->lo : lo;
			return 0;
		}
	}
	/* Walk [lo, hi] through the allowed blocks, which may overlap. */
	return covered(s->allow, s->nallow, lo, hi, bad);
}

int scope_check_addr(const struct scope *s, const struct target_addr *a)
{
	targets_u128 v = targets_from_addr(a);

	return scope_check_range(s, v, v, NULL);
}

/* 1 if `name` is `suffix` or ends in ".suffix" (both lower case). */
static int under(const char *name, size_t len, const char *suffix)
{
	size_t sl = strlen(suffix);

	if (len < sl || memcmp(name + len - sl, suffix, sl) != 0)
		return 0;
	return len == sl || name[len - sl - 1] == '.';
}

/* A name as the rules compare it: lower case, without trailing dots, in
 * low[TARGETS_NAME_MAX + 1] and *len.  Returns 0, or -1 when it is too long
 * to be a name (no rule matches it). */
static int fold(const char *name, char *low, size_t *len)
{
	size_t n = strlen(name);

	if (n > TARGETS_NAME_MAX)
		return -1;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] - 'A' + 'a' : name[i]);
	while (n && low[n - 1] == '.')
		n--;
	low[n] = '\0';
	*len = n;
	return 0;
}

int scope_check_name(const struct scope *s, const char *name)
{
	char low[TARGETS_NAME_MAX + 1];
	size_t len;
	int allowed = 0;

	if (fold(name, low, &len) < 0)
		return 0;
	for (int i = 0; i < s->ndeny; i++)
		if (s->deny[i].is_name && under(low, len, s->deny[i].name))
			return 0;
	for (int i = 0; i < s->nallow; i++)
		if (s->allow[i].is_name && under(low, len, s->allow[i].name))
			allowed = 1;
	/* localhost names resolve to loopback (RFC 6761); the addresses are
	 * checked again after resolution. */
	if (under(low, len, "localhost"))
		allowed = 1;
	return allowed;
}

/* ---- exclusions ---------------------------------------------------------- */

int scope_exclude_add(struct scope *s, const char *entry, char *err, size_t errlen)
{
	if (s->nexclude >= CONFIG_EXCLUDE_MAX) {
		snprintf(err, errlen, "more than %d exclusions", CONFIG_EXCLUDE_MAX);
		return -1;
	}
	if (parse_rule(entry, &s->exclude[s->nexclude], err, errlen) < 0)
		return -1;
	s->nexclude++;
	return 0;
}

int scope_nexcluded(const struct scope *s)
{
	return s->nexclude;
}

int scope_excluded_range(const struct scope *s, targets_u128 lo, targets_u128 hi)
{
	/* Walk [lo, hi] through the excluded blocks, which may overlap. */
	return covered(s->exclude, s->nexclude, lo, hi, NULL);
}

int scope_excluded_addr(const struct scope *s, const struct target_addr *a)
{
	targets_u128 v = targets_from_addr(a);

	return scope_excluded_range(s, v, v);
}

int scope_excluded_name(const struct scope *s, const char *name)
{
	char low[TARGETS_NAME_MAX + 1];
	size_t len;

	if (fold(name, low, &len) < 0)
		return 0;
	for (int i = 0; i < s->nexclude; i++)
		if (s->exclude[i].is_name && under(low, len, s->exclude[i].name))
			return 1;
	return 0;
}

int scope_excluded_spec(const struct scope *s, const char *spec)
{
	targets_u128 lo, hi;
	int kind = targets_classify(spec, &lo, &hi);

	if (kind == 1)
		return scope_excluded_range(s, lo, hi);
	if (kind == 2)
		return scope_excluded_name(s, spec);
	return 0;
}
