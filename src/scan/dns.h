/*
 * dns.h — the "dns" scan type: records, reverse names, subdomains and zone
 * transfers of the scan's targets, asked of one configurable resolver.
 *
 * A hostname target is a domain: its A/AAAA/CNAME/MX/NS/TXT/SOA records,
 * the names of the word list under it that exist (a wildcard is detected
 * first, so a wildcard zone gives one finding, not one per word), a
 * wildcard probe under each name found, and an AXFR attempt against each
 * of its name servers.  An address target (or range) gets its PTR name.
 *
 * Every packet goes to the resolver (options.resolver, else the system's)
 * or, for AXFR, to a name server's address; each of those must be in scope
 * or loopback before anything is sent.  Addresses the names resolve to are
 * only reported: those in scope become `host` findings (target: the
 * address), which is what a follow-up stage scans (store/flow.c).
 *
 * The modules: dns.c (the scan), dns_options.c (its options, the rule of
 * where packets may go), dns_answer.c (answers, as parsed by libldns, to
 * records), dns_axfr.c (zone transfers, libldns), dns_names.c (the default
 * word list).
 */
#ifndef SCANQ_DNS_H
#define SCANQ_DNS_H

#include <stddef.h>
#include <jansson.h>
#include "targets.h"

struct scanctx;
struct scope;

#define DNS_NAME_MAX 254	/* text of a name, without the root dot, and its NUL */
#define DNS_LABEL_MAX 63
#define DNS_VALUE_MAX 512	/* text of one record's data; longer is cut */
#define DNS_WORDS_MAX 100000	/* names read from a word list; more is an error */

/* One resource record, as text. */
struct dns_rec {
	char name[DNS_NAME_MAX];	/* owner, lower case, no trailing dot */
	char type[12];			/* "A", "MX", ... */
	char value[DNS_VALUE_MAX];	/* the data as in a zone file (names without the dot) */
};

/* The scan type (scanner.c's table).  Returns the exit status. */
int dns_run(struct scanctx *ctx);

/* A dns scan's options (dns_options.c), defaults filled in. */
struct dns_opts {
	char resolver[64];		/* as given; "" for the system's */
	struct target_addr raddr;	/* the resolver's address and port */
	int rport;
	const char *wordlist;		/* borrowed from the options; NULL: the built-in list */
	int subdomains, axfr, ns_port, rate, concurrency, timeout_ms;
};

/*
 * Reads the options into o: the known keys only (and those the system adds
 * to a stage: ports, then, rate_of_scan), each of its type and range, the
 * word list readable.  Returns 0, or -1 with a one-line reason in msg.  The
 * resolver's scope is not judged here (see dns_options_check()).
 */
int dns_options_read(const json_t *options, struct dns_opts *o, char *msg, size_t msglen);

/*
 * Checks a dns scan's options before it is queued: dns_options_read(),
 * and the resolver loopback or in the configuration's scope.  Returns 0,
 * or -1 with a one-line reason in msg.
 */
int dns_options_check(const json_t *options, char *msg, size_t msglen);

/* 1 if a packet may go to this address (a resolver, a name server):
 * loopback, or in scope.  0 if not. */
int dns_may_send(const struct scope *sc, const struct target_addr *a);

/*
 * Parses a DNS message (a reply as received) into the records of its
 * answer section, at most max of them (the rest are dropped, counted in
 * *dropped).  *rcode gets the reply's rcode.  Returns the number of records
 * written, or -1 when the bytes are not a DNS message.  Nothing is
 * allocated that outlives the call.
 */
int dns_answer_records(const unsigned char *msg, size_t len, struct dns_rec *out, int max,
		       int *rcode, long *dropped);

/* One record of libldns as text (the owner lower case, names without the
 * root dot, data cut at DNS_VALUE_MAX).  Returns 0, or -1 without memory. */
struct ldns_struct_rr;
int dns_answer_rr(const struct ldns_struct_rr *rr, struct dns_rec *out);

/* Outcome of one zone transfer. */
struct dns_axfr_result {
	int ok;			/* 1: the transfer completed */
	long records;		/* records received */
	char error[96];		/* why not: "refused", "timed out", ... */
};

/* Called for each record a transfer yields; arg is the caller's. */
typedef void (*dns_axfr_fn)(const struct dns_rec *r, void *arg);

/*
 * Asks the server at addr (text form), port, for a transfer of zone over
 * TCP, giving up after timeout_ms per read; at most max_records are taken
 * (then the transfer is abandoned, still counted ok).  Each record goes to
 * fn.  Returns 0 (result filled, ok or not), or -1 without memory.
 */
int dns_axfr(const char *addr, int port, const char *zone, int timeout_ms, long max_records,
	     dns_axfr_fn fn, void *arg, struct dns_axfr_result *res);

/* The built-in word list: *n names, sorted, owned by the module (built
 * once, never freed).  NULL without memory. */
const char *const *dns_names_default(size_t *n);

#endif
