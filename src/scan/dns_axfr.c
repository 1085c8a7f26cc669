/*
 * dns_axfr.c — one zone transfer (AXFR over TCP) with libldns (see dns.h).
 * The caller has checked the server's address against the scope; this
 * file only talks to that one address, with a timeout on every read and a
 * cap on the records taken, so a server that never ends a transfer costs
 * one timeout and at most max_records records.
 */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <ldns/ldns.h>
#include "dns.h"

int dns_axfr(const char *addr, int port, const char *zone, int timeout_ms, long max_records,
	     dns_axfr_fn fn, void *arg, struct dns_axfr_result *res)
{
	ldns_resolver *r = ldns_resolver_new();
	ldns_rdf *ns = ldns_rdf_new_frm_str(strchr(addr, ':') ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, addr);
	ldns_rdf *dname = ldns_dname_new_frm_str(zone);
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	ldns_status st;
	ldns_rr *rr;
	int rc = -1;

	memset(res, 0, sizeof *res);
	if (!r || !ns || !dname)
		goto out;
	if (ldns_resolver_push_nameserver(r, ns) != LDNS_STATUS_OK)
		goto out;
	ldns_resolver_set_port(r, (uint16_t)port);
	ldns_resolver_set_timeout(r, tv);
	ldns_resolver_set_retry(r, 1);
	ldns_resolver_set_recursive(r, false);
	rc = 0;
	st = ldns_axfr_start(r, dname, LDNS_RR_CLASS_IN);
	if (st != LDNS_STATUS_OK) {
		snprintf(res->error, sizeof res->error, "%s", ldns_get_errorstr_by_id(st));
		goto out;
	}
	while (res->records < max_records && (rr = ldns_axfr_next(r))) {
		struct dns_rec rec;

		if (dns_answer_rr(rr, &rec) == 0) {
			res->records++;
			fn(&rec, arg);
		}
		ldns_rr_free(rr);
	}
	if (res->records >= max_records) {
		ldns_axfr_abort(r);
		res->ok = 1;
	} else if (ldns_axfr_complete(r) && res->records > 0) {
		res->ok = 1;
	} else {
		const ldns_pkt *last = ldns_axfr_last_pkt(r);
		ldns_pkt_rcode code = last ? ldns_pkt_get_rcode(last) : LDNS_RCODE_NOERROR;

		if (code == LDNS_RCODE_REFUSED)
			snprintf(res->error, sizeof res->error, "refused");
		else if (code != LDNS_RCODE_NOERROR)
			snprintf(res->error, sizeof res->error, "rcode %d", (int)code);
		else
			snprintf(res->error, sizeof res->error, "transfer did not complete");
	}
out:
	if (r)
		ldns_resolver_deep_free(r);
	ldns_rdf_deep_free(ns);		/* the resolver holds its own copy */
	ldns_rdf_deep_free(dname);
	return rc;
}
