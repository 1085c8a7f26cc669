/*
 * scope.h — the policy of what scanq may scan at all.
 *
 * An allow list and a deny list (config [scope] allow / deny), each entry a
 * CIDR block, a single address or a domain suffix ("example.com" matches
 * example.com and every name under it).  Deny wins over allow.  The default
 * is loopback only (127.0.0.0/8, ::1), so a fresh install scans nothing else.
 *
 * Addresses are in scope when an allowed block holds them and no denied one
 * does.  A hostname is accepted at submit time when it is under an allowed
 * suffix and no denied one, or is "localhost" (or under ".localhost", which
 * RFC 6761 reserves for loopback); either way the scanner checks every
 * address it resolves to again and skips those out of scope, so a suffix
 * alone never lets a scan reach an address outside the allowed blocks.
 *
 * A third list, the exclusions ([scope] exclude and the store's `scanq
 * exclude` list, which a worker hands its child as [scope] exclude), is a
 * deny list that skips instead of refusing: a target partly excluded is
 * scanned without its excluded addresses; one wholly excluded is refused
 * at submit.  Exclusions do not change scope_check_range()'s answer.
 */
#ifndef SCANQ_SCOPE_H
#define SCANQ_SCOPE_H

#include <stddef.h>
#include "targets.h"

struct config;
struct scope;

/* Checks one list entry's syntax.  Returns 0, or -1 with a reason. */
int scope_entry_valid(const char *entry, char *err, size_t errlen);

/*
 * Builds the policy from lists of entries.  Returns a new scope (free with
 * scope_free()), or NULL with a reason in err.
 */
struct scope *scope_new(char *const *allow, int nallow, char *const *deny, int ndeny,
			char *err, size_t errlen);

/* Builds the policy of a configuration (its [scope] lists). */
struct scope *scope_from_config(const struct config *c, char *err, size_t errlen);

/* Frees a scope; NULL is a no-op. */
void scope_free(struct scope *s);

/* 1 if the address is in scope, 0 if not. */
int scope_check_addr(const struct scope *s, const struct target_addr *a);

/* 1 if every address of [lo, hi] is in scope, 0 if not; *bad (may be NULL)
 * gets the first address out of scope. */
int scope_check_range(const struct scope *s, targets_u128 lo, targets_u128 hi,
		      targets_u128 *bad);

/* 1 if the hostname is accepted before resolution (see above), 0 if not. */
int scope_check_name(const struct scope *s, const char *name);

/* Adds one exclusion entry (syntax as for the other lists; at most
 * CONFIG_EXCLUDE_MAX in all).  Returns 0, or -1 with a reason. */
int scope_exclude_add(struct scope *s, const char *entry, char *err, size_t errlen);

/* The number of exclusion entries. */
int scope_nexcluded(const struct scope *s);

/* 1 if an exclusion holds the address, 0 if not. */
int scope_excluded_addr(const struct scope *s, const struct target_addr *a);

/* 1 if exclusions hold every address of [lo, hi], 0 if not. */
int scope_excluded_range(const struct scope *s, targets_u128 lo, targets_u128 hi);

/* 1 if the name is under an excluded suffix, 0 if not. */
int scope_excluded_name(const struct scope *s, const char *name);

/* 1 if the target spec (an address, block, range or name, as
 * targets_classify() reads it) is wholly excluded, 0 if not. */
int scope_excluded_spec(const struct scope *s, const char *spec);

#endif
