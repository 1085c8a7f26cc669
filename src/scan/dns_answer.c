/*
 * dns_answer.c — DNS replies to records as text (see dns.h).  The wire
 * format is parsed by libldns; this file only turns what it parsed into
 * bounded text records: the owner lower case without its root dot, the
 * data as a zone file writes it, cut at DNS_VALUE_MAX, at most the caller's
 * count of records.  It is what the scan and the zone transfer share, and
 * what tests/fuzz/fuzz_dns_answer.c feeds with arbitrary bytes.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ldns/ldns.h>
#include "dns.h"

/* Copies text into buf (cap bytes), dropping a final root dot, lower-casing
 * when lower is set and stopping short of cap. */
static void put(char *buf, size_t cap, const char *text, int lower)
{
	size_t n = strlen(text);

	if (n > 1 && text[n - 1] == '.')
		n--;
	if (n >= cap)
		n = cap - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = lower ? (char)tolower((unsigned char)text[i]) : text[i];
	/* A name cut short (escapes make its text longer than the buffer)
	 * does not end in a separator. */
	while (lower && n > 1 && buf[n - 1] == '.' && buf[n - 2] != '\\')
		n--;
	buf[n] = '\0';
}

int dns_answer_rr(const struct ldns_struct_rr *rr, struct dns_rec *out)
{
	const ldns_rr *r = (const ldns_rr *)rr;
	char *owner = ldns_rdf2str(ldns_rr_owner(r));
	char *type = ldns_rr_type2str(ldns_rr_get_type(r));
	size_t len = 0;
	int rc = -1;

	if (!owner || !type)
		goto out;
	put(out->name, sizeof out->name, owner, 1);
	put(out->type, sizeof out->type, type, 0);
	out->value[0] = '\0';
	for (size_t i = 0; i < ldns_rr_rd_count(r) && len + 1 < sizeof out->value; i++) {
		char *d = ldns_rdf2str(ldns_rr_rdf(r, i));

		if (!d)
			goto out;
		if (i > 0)
			out->value[len++] = ' ';
		/* Names lose their root dot; the rest is as libldns writes it. */
		put(out->value + len, sizeof out->value - len, d,
		    ldns_rdf_get_type(ldns_rr_rdf(r, i)) == LDNS_RDF_TYPE_DNAME);
		len += strlen(out->value + len);
		free(d);
	}
	rc = 0;
out:
	free(owner);
	free(type);
	return rc;
}

int dns_answer_records(const unsigned char *msg, size_t len, struct dns_rec *out, int max,
		       int *rcode, long *dropped)
{
	ldns_pkt *p = NULL;
	ldns_rr_list *an;
	int n = 0;

	*rcode = -1;
	if (ldns_wire2pkt(&p, msg, len) != LDNS_STATUS_OK || !p)
		return -1;
	*rcode = ldns_pkt_get_rcode(p);
	an = ldns_pkt_answer(p);
	for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
		if (n >= max) {
			(*dropped)++;
			continue;
		}
		if (dns_answer_rr(ldns_rr_list_rr(an, i), &out[n]) < 0) {
			n = -1;
			break;
		}
		n++;
	}
	ldns_pkt_free(p);
	return n;
}
