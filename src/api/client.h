/*
 * client.h — who a request comes from (internal to src/api/): the peer's
 * address, or, when the peer is a trusted reverse proxy ([http]
 * trusted_proxies), the address its X-Forwarded-For names.
 *
 * The rule: walking X-Forwarded-For from the right (the hop nearest to
 * us), every address in trusted_proxies is skipped; the first one that is
 * not is the client.  A malformed entry stops the walk: the client is then
 * the last good hop walked (a trusted proxy), or the peer itself.  When
 * every entry is trusted, the left-most is the client.  Entries may carry
 * a port (1.2.3.4:5678, [2001:db8::1]:443); "unknown" and any other token
 * is malformed.  A peer not in the list is the client whatever its header
 * says, so no client can choose the address it is counted and audited as.
 */
#ifndef SCANQ_API_CLIENT_H
#define SCANQ_API_CLIENT_H

#include <stddef.h>
#include "targets.h"

struct scope;
struct sockaddr;

#define CLIENT_XFF_MAX 4096	/* bytes of X-Forwarded-For read (the right-most part) */
#define CLIENT_TEXT_MAX 64	/* an address as text, with its NUL */

/* A new list of trusted proxies from config.http_trusted (empty: none
 * trusted).  NULL with a reason (free with scope_free()). */
struct scope *client_trusted_new(char *err, size_t errlen);

/* 1 if addr is in the trusted list (NULL: none trusted), 0 if not. */
int client_trusted(const struct scope *trusted, targets_u128 addr);

/*
 * The client behind `peer` (above).  xff is the X-Forwarded-For value (all
 * its headers joined by ", "; NULL when absent) of at most CLIENT_XFF_MAX
 * bytes; a longer one is read from its right-most CLIENT_XFF_MAX bytes.
 * Returns the client address; *forwarded (may be NULL) is 1 when it came
 * from the header.
 */
targets_u128 client_from(targets_u128 peer, const char *xff, const struct scope *trusted,
			 int *forwarded);

/* The address of a socket address (an IPv4-mapped IPv6 one as IPv4).
 * Returns 0, or -1 for another family. */
int client_sockaddr(const struct sockaddr *sa, targets_u128 *out);

/* An address as text into buf (CLIENT_TEXT_MAX bytes); returns buf. */
char *client_text(targets_u128 a, char *buf, size_t len);

/*
 * The client of a request on connection mc: its peer, through
 * client_from() with every X-Forwarded-For header of the request joined.
 * Returns 0 with *out and *forwarded set, or -1 when the peer address is
 * unknown.
 */
struct MHD_Connection;
int client_of(struct MHD_Connection *mc, const struct scope *trusted, targets_u128 *out,
	      int *forwarded);

/* Parses one X-Forwarded-For entry (spaces around it allowed).  Returns 0
 * with *out set, or -1 when malformed. */
int client_parse_entry(const char *s, size_t len, targets_u128 *out);

#endif
