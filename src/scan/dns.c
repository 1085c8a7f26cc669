/*
 * dns.c — the "dns" scan type (see dns.h): records, reverse names,
 * subdomains and zone transfers.
 *
 * Queries go through one c-ares channel pointed at one resolver, in
 * phases: (1) each domain's records and two wildcard probes (random labels)
 * and each address's PTR name; (2) every word of the list under each
 * domain (A, then AAAA unless the A said NXDOMAIN) and each name server's
 * addresses; (3) one wildcard
 * probe under each name found; then (4) an AXFR attempt against each name
 * server address in scope.  A phase starts when the one before has
 * answered, so the wildcard of a domain is known before its words are
 * judged.  Sending is paced by a token bucket (options.rate, queries per
 * second to the resolver) and bounded by options.concurrency queries in
 * flight; every query has a timeout, so a silent resolver costs timeouts,
 * never a hang.  Caps: DNS_FOUND_MAX names, DNS_WILD_MAX wildcard values,
 * DNS_AXFR_RECORDS records per transfer; past a cap the rest is counted in
 * the summary, not kept.
 */
#include <ares.h>
#include <assert.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/select.h>
#include <unistd.h>
#include "core/clock.h"
#include "core/config.h"
#include "dns.h"
#include "scanner.h"
#include "scope.h"
#include "targets.h"

#define DNS_FOUND_MAX 20000	/* names kept per scan */
#define DNS_HASH_SIZE 65536	/* slots of the name index: > 2 x DNS_FOUND_MAX */
#define DNS_WILD_MAX 16		/* wildcard values kept per domain */
#define DNS_NS_MAX 16		/* name servers kept per domain */
#define DNS_ADDRS_MAX 8		/* addresses kept per name */
#define DNS_AXFR_RECORDS 100000	/* records taken from one transfer */
#define DNS_AXFR_NAMES 100	/* names listed in an AXFR finding */
#define DNS_ANSWER_MAX 64	/* records read from one answer */

/* Query types (IANA numbers). */
enum { T_A = 1, T_NS = 2, T_CNAME = 5, T_SOA = 6, T_PTR = 12, T_MX = 15, T_TXT = 16, T_AAAA = 28 };
static const int record_types[] = { T_A, T_AAAA, T_CNAME, T_MX, T_NS, T_TXT, T_SOA };
#define NRECORD_TYPES (int)(sizeof record_types / sizeof record_types[0])

enum purpose { P_RECORD, P_PROBE, P_PTR, P_WORD, P_NSADDR, P_SUBPROBE };

struct domain {
	char name[DNS_NAME_MAX];
	char wild[DNS_WILD_MAX][DNS_VALUE_MAX];	/* values a random label got */
	int nwild, wildcard;
	char ns[DNS_NS_MAX][DNS_NAME_MAX];
	int nns;
};

struct found {
	char name[DNS_NAME_MAX];
	int dom;
	const char *source;		/* "record", "wordlist", "ns", "axfr" */
	struct target_addr addrs[DNS_ADDRS_MAX];
	int naddrs;
	char cname[DNS_NAME_MAX];
	int wild_below;			/* a wildcard answers under this name */
};

/* One query in flight: what it asks and why. */
struct job {
	struct run *run;
	struct job *next;		/* in run.later */
	char name[DNS_NAME_MAX];
	int type;
	enum purpose purpose;
	int dom, ref;			/* domain index; found index or address index */
};


struct run {
	struct scanctx *ctx;
	struct dns_opts o;
	struct scope *scope;
	struct target_list *targets;
	ares_channel ch;
	struct domain *doms;
	int ndoms;
	struct target_addr *addrs;	/* address targets (PTR) */
	size_t naddrs;
	char **words;			/* a word list read from a file, or NULL */
	const char *const *wl;		/* the word list in use */
	size_t nwl;
	struct found *found;
	int nfound;
	int *index;			/* DNS_HASH_SIZE slots: found index + 1, or 0 */
	/* the phase being sent and its cursor */
	int phase;
	size_t cur_a, cur_b, cur_c;
	long inflight, sent, answered, errors, dropped, wildcard_hits, found_over_cap, ptrs, wildcards;
	double tokens, last_refill, last_tick;
	double done_units, total_units;
	char rand[13];			/* the random label of this scan's wildcard probes */
	struct job *later;		/* AAAA questions of words whose A did not say NXDOMAIN */
	long skipped_aaaa;		/* words whose A said NXDOMAIN: no AAAA asked */
};

/* ---- the word list -------------------------------------------------------- */

/* Reads one name a line ('#' starts a comment); each must be a valid name
 * part.  Returns 0, or -1 with a reason. */
static int read_wordlist(struct run *r, char *msg, size_t msglen)
{
	FILE *f = fopen(r->o.wordlist, "r");
	char line[512];
	size_t n = 0, lineno = 0;
	int rc = -1;

	if (!f) {
		snprintf(msg, msglen, "wordlist '%.100s' cannot be read: %s", r->o.wordlist, strerror(errno));
		return -1;
	}
	r->words = calloc(DNS_WORDS_MAX, sizeof *r->words);
	if (!r->words) {
		snprintf(msg, msglen, "out of memory");
		goto out;
	}
	while (fgets(line, sizeof line, f)) {
		size_t len;

		lineno++;
		line[strcspn(line, "#\r\n")] = '\0';
		len = strlen(line);
		while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if (len > DNS_NAME_MAX - 2 || !targets_name_valid(line)) {
			snprintf(msg, msglen, "wordlist '%.80s' line %zu: '%.40s' is not a valid name",
				 r->o.wordlist, lineno, line);
			goto out;
		}
		if (n == DNS_WORDS_MAX) {
			snprintf(msg, msglen, "wordlist '%.80s' has more than %d names", r->o.wordlist, DNS_WORDS_MAX);
			goto out;
		}
		if (!(r->words[n++] = strdup(line))) {
			snprintf(msg, msglen, "out of memory");
			goto out;
		}
	}
	if (ferror(f)) {
		snprintf(msg, msglen, "wordlist '%.100s' cannot be read", r->o.wordlist);
		goto out;
	}
	r->wl = (const char *const *)r->words;
	r->nwl = n;
	rc = 0;
out:
	fclose(f);
	return rc;
}

/* ---- names found ---------------------------------------------------------- */

static unsigned hash(const char *s)
{
	unsigned h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* The found name `name`; when new and source is set, added (from domain
 * dom); NULL when not found or past the cap. */
static struct found *find_name(struct run *r, const char *name, int dom, const char *source)
{
	unsigned slot = hash(name) & (DNS_HASH_SIZE - 1);
	struct found *f;

	while (r->index[slot]) {
		f = &r->found[r->index[slot] - 1];
		if (strcmp(f->name, name) == 0)
			return f;
		slot = (slot + 1) & (DNS_HASH_SIZE - 1);
	}
	if (!source)
		return NULL;
	if (r->nfound == DNS_FOUND_MAX) {
		r->found_over_cap++;
		return NULL;
	}
	f = &r->found[r->nfound];
	memset(f, 0, sizeof *f);
	snprintf(f->name, sizeof f->name, "%s", name);
	f->dom = dom;
	f->source = source;
	r->index[slot] = ++r->nfound;
	return f;
}

static void add_addr(struct found *f, const struct target_addr *a)
{
	for (int i = 0; i < f->naddrs; i++)
		if (memcmp(&f->addrs[i], a, sizeof *a) == 0)
			return;
	if (f->naddrs < DNS_ADDRS_MAX)
		f->addrs[f->naddrs++] = *a;
}

/* The address of an A or AAAA record, or -1. */
static int rec_addr(const struct dns_rec *rec, struct target_addr *a)
{
	memset(a, 0, sizeof *a);
	if (strcmp(rec->type, "A") == 0 && inet_pton(AF_INET, rec->value, a->a) == 1)
		a->family = AF_INET;
	else if (strcmp(rec->type, "AAAA") == 0 && inet_pton(AF_INET6, rec->value, a->a) == 1)
		a->family = AF_INET6;
	else
		return -1;
	return 0;
}

/* 1 if every A/AAAA/CNAME value of the answer is one the domain's random
 * labels got: the name exists only through the wildcard. */
static int only_wildcard(const struct domain *d, const struct dns_rec *recs, int n)
{
	int seen = 0;

	if (!d->wildcard)
		return 0;
	for (int i = 0; i < n; i++) {
		int hit = 0;

		if (strcmp(recs[i].type, "A") && strcmp(recs[i].type, "AAAA") && strcmp(recs[i].type, "CNAME"))
			continue;
		seen++;
		for (int k = 0; k < d->nwild; k++)
			hit |= strcmp(d->wild[k], recs[i].value) == 0;
		if (!hit)
			return 0;
	}
	return seen > 0;
}

/* ---- findings ------------------------------------------------------------- */

/* Reports a finding built by json_pack (NULL only on a format error, which
 * the assert makes loud in tests rather than a silently missing finding). */
static void finding(struct run *r, json_t *f)
{
	assert(f);
	if (f)
		scanner_finding(r->ctx, f);
	json_decref(f);
}

static void record_finding(struct run *r, const struct domain *d, const struct dns_rec *rec)
{
	char title[DNS_NAME_MAX + DNS_VALUE_MAX + 32];

	snprintf(title, sizeof title, "%.253s %.11s %.200s", rec->name, rec->type, rec->value);
	finding(r, json_pack("{sssssissss s{ssssssss}}", "kind", "dns_record", "target", d->name,
			     "port", 0, "severity", "info", "title", title, "detail", "domain", d->name,
			     "name", rec->name, "type", rec->type, "value", rec->value));
}

/* ---- answers -------------------------------------------------------------- */

static void on_record(struct run *r, struct job *j, const struct dns_rec *recs, int n)
{
	struct domain *d = &r->doms[j->dom];

	for (int i = 0; i < n; i++) {
		struct target_addr a;

		record_finding(r, d, &recs[i]);
		if (strcmp(recs[i].type, "NS") == 0 && strcmp(recs[i].name, d->name) == 0
		    && d->nns < DNS_NS_MAX)
			snprintf(d->ns[d->nns++], DNS_NAME_MAX, "%.253s", recs[i].value);
		if (rec_addr(&recs[i], &a) == 0) {
			struct found *f = find_name(r, d->name, j->dom, "record");

			if (f)
				add_addr(f, &a);
		}
	}
}

static void on_probe(struct run *r, struct job *j, const struct dns_rec *recs, int n)
{
	struct domain *d = &r->doms[j->dom];

	for (int i = 0; i < n; i++) {
		int dup = 0;

		if (strcmp(recs[i].type, "A") && strcmp(recs[i].type, "AAAA") && strcmp(recs[i].type, "CNAME"))
			continue;
		d->wildcard = 1;
		for (int k = 0; k < d->nwild; k++)
			dup |= strcmp(d->wild[k], recs[i].value) == 0;
		if (!dup && d->nwild < DNS_WILD_MAX)
			snprintf(d->wild[d->nwild++], sizeof d->wild[0], "%s", recs[i].value);
	}
}

/* A name's A/AAAA answer: the name with its addresses (and CNAME). */
static void on_name(struct run *r, struct job *j, const struct dns_rec *recs, int n, const char *source)
{
	struct found *f = NULL;

	if (j->purpose == P_WORD && only_wildcard(&r->doms[j->dom], recs, n)) {
		r->wildcard_hits++;
		return;
	}
	for (int i = 0; i < n; i++) {
		struct target_addr a;

		if (strcmp(recs[i].type, "CNAME") && rec_addr(&recs[i], &a) < 0)
			continue;
		if (!f && !(f = find_name(r, j->name, j->dom, source)))
			return;
		if (strcmp(recs[i].type, "CNAME") == 0) {
			if (strcmp(recs[i].name, j->name) == 0)
				snprintf(f->cname, sizeof f->cname, "%.253s", recs[i].value);
		} else {
			add_addr(f, &a);
		}
	}
}

static void on_ptr(struct run *r, struct job *j, const struct dns_rec *recs, int n)
{
	char text[64], title[DNS_NAME_MAX + 80];
	const struct target_addr *a = &r->addrs[j->ref];

	targets_addr_str(a, text, sizeof text);
	for (int i = 0; i < n; i++) {
		if (strcmp(recs[i].type, "PTR"))
			continue;
		r->ptrs++;
		snprintf(title, sizeof title, "%s is %.253s", text, recs[i].value);
		finding(r, json_pack("{sssssissss s{ssssss}}", "kind", "dns_ptr", "target", text, "port", 0,
				     "severity", "info", "title", title, "detail", "address", text,
				     "name", recs[i].value, "query", j->name));
	}
}

static void on_subprobe(struct run *r, struct job *j, const struct dns_rec *recs, int n)
{
	struct found *f = &r->found[j->ref];

	if (only_wildcard(&r->doms[f->dom], recs, n))
		return;		/* the domain's own wildcard, already reported */
	for (int i = 0; i < n; i++)
		if (!strcmp(recs[i].type, "A") || !strcmp(recs[i].type, "AAAA") || !strcmp(recs[i].type, "CNAME"))
			f->wild_below = 1;
}

/*
 * A word's AAAA is asked only when its A did not say NXDOMAIN: a name that
 * does not exist has no record of any type (RFC 8020), and most words of
 * a list do not exist, so this halves the queries a list costs the
 * resolver (and the time it takes at a given rate).  An A that got an
 * answer, no data or no answer at all (a timeout) still gets its AAAA.
 */
static void ask_aaaa_after(struct run *r, const struct job *j, int status)
{
	struct job *aaaa;

	if (status == ARES_ENOTFOUND) {
		r->skipped_aaaa++;
		r->done_units++;	/* the AAAA counted in total_units */
		return;
	}
	if (!(aaaa = malloc(sizeof *aaaa)))
		return;
	*aaaa = *j;
	aaaa->type = T_AAAA;
	aaaa->next = r->later;
	r->later = aaaa;
}


static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct job *j = arg;
	struct run *r = j->run;
	struct dns_rec recs[DNS_ANSWER_MAX];
	int n = 0, rcode;

	(void)timeouts;
	r->inflight--;
	r->done_units++;
	if (status == ARES_SUCCESS) {
		n = dns_answer_records(abuf, (size_t)alen, recs, DNS_ANSWER_MAX, &rcode, &r->dropped);
		if (n < 0) {
			r->errors++;
			n = 0;
		} else {
			r->answered++;
		}
	} else if (status == ARES_ENOTFOUND || status == ARES_ENODATA) {
		r->answered++;
	} else if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) {
		free(j);
		return;
	} else {
		r->errors++;
	}
	if (j->purpose == P_WORD && j->type == T_A)
		ask_aaaa_after(r, j, status);
	switch (j->purpose) {
	case P_RECORD: on_record(r, j, recs, n); break;
	case P_PROBE: on_probe(r, j, recs, n); break;
	case P_PTR: on_ptr(r, j, recs, n); break;
	case P_WORD: on_name(r, j, recs, n, "wordlist"); break;
	case P_NSADDR: on_name(r, j, recs, n, "ns"); break;
	case P_SUBPROBE: on_subprobe(r, j, recs, n); break;
	}
	free(j);
}

/* ---- sending -------------------------------------------------------------- */

/* The reverse name of an address: 4.3.2.1.in-addr.arpa or the ip6.arpa
 * nibbles. */
static void reverse_name(const struct target_addr *a, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t k = 0;

	if (a->family == AF_INET) {
		snprintf(buf, len, "%u.%u.%u.%u.in-addr.arpa", a->a[3], a->a[2], a->a[1], a->a[0]);
		return;
	}
	for (int i = 15; i >= 0 && k + 4 < len; i--) {
		buf[k++] = hex[a->a[i] & 15];
		buf[k++] = '.';
		buf[k++] = hex[a->a[i] >> 4];
		buf[k++] = '.';
	}
	snprintf(buf + k, len - k, "ip6.arpa");
}

/* The next query of the current phase into j; 0 when the phase has none
 * left. */
static int next_job(struct run *r, struct job *j)
{
	memset(j, 0, sizeof *j);
	j->run = r;
	switch (r->phase) {
	case 0:
		if (r->cur_a < (size_t)r->ndoms) {
			struct domain *d = &r->doms[r->cur_a];

			j->dom = (int)r->cur_a;
			if (r->cur_b < NRECORD_TYPES) {
				j->purpose = P_RECORD;
				j->type = record_types[r->cur_b];
				snprintf(j->name, sizeof j->name, "%s", d->name);
			} else {
				j->purpose = P_PROBE;
				j->type = r->cur_b == NRECORD_TYPES ? T_A : T_AAAA;
				snprintf(j->name, sizeof j->name, "scanq-%s.%.200s", r->rand, d->name);
			}
			if (++r->cur_b == NRECORD_TYPES + (r->o.subdomains ? 2 : 0)) {
				r->cur_b = 0;
				r->cur_a++;
			}
			return 1;
		}
		if (r->cur_c < r->naddrs) {
			j->purpose = P_PTR;
			j->type = T_PTR;
			j->ref = (int)r->cur_c;
			reverse_name(&r->addrs[r->cur_c++], j->name, sizeof j->name);
			return 1;
		}
		return 0;
	case 1:
		/* cur_a: domain; cur_b: word (nwl .. nwl + nns: name servers); cur_c: A or AAAA
		 * (a word's AAAA comes later, from ask_aaaa_after(), first in line) */
		if (r->later) {
			struct job *l = r->later;

			r->later = l->next;
			*j = *l;
			j->next = NULL;
			free(l);
			return 1;
		}
		while (r->cur_a < (size_t)r->ndoms) {
			struct domain *d = &r->doms[r->cur_a];
			size_t nw = r->o.subdomains ? r->nwl : 0;

			if (r->cur_b < nw + (size_t)d->nns) {
				j->dom = (int)r->cur_a;
				j->type = r->cur_c ? T_AAAA : T_A;
				if (r->cur_b < nw) {
					j->purpose = P_WORD;
					snprintf(j->name, sizeof j->name, "%.60s.%.190s", r->wl[r->cur_b], d->name);
					r->cur_b++;
					return 1;
				}
				j->purpose = P_NSADDR;
				snprintf(j->name, sizeof j->name, "%s", d->ns[r->cur_b - nw]);
				if (++r->cur_c == 2) {
					r->cur_c = 0;
					r->cur_b++;
				}
				return 1;
			}
			r->cur_b = 0;
			r->cur_a++;
		}
		return 0;
	case 2:
		while (r->o.subdomains && r->cur_a < (size_t)r->nfound) {
			struct found *f = &r->found[r->cur_a++];

			if (strcmp(f->source, "wordlist"))
				continue;
			j->purpose = P_SUBPROBE;
			j->type = T_A;
			j->ref = (int)(r->cur_a - 1);
			j->dom = f->dom;
			snprintf(j->name, sizeof j->name, "scanq-%s.%.200s", r->rand, f->name);
			return 1;
		}
		return 0;
	}
	return 0;
}

static void tick(struct run *r, int force)
{
	double now = clock_mono_s();

	if (!force && now - r->last_tick < 1.0)
		return;
	r->last_tick = now;
	scanner_progress(r->ctx, r->total_units > 0 ? 0.95 * r->done_units / r->total_units : 0);
}

/* Sends the current phase's queries, paced and bounded, and waits for every
 * answer (or timeout). */
static void run_phase(struct run *r)
{
	struct job next;
	int have = 0;

	r->cur_a = r->cur_b = r->cur_c = 0;
	r->last_refill = clock_mono_s();
	r->tokens = 1;
	for (;;) {
		double now = clock_mono_s(), burst = r->o.rate / 20.0 > 1 ? r->o.rate / 20.0 : 1;
		struct timeval tv, *tvp, cap = { 0, 0 };
		fd_set rd, wr;
		int nfds;

		r->tokens += (now - r->last_refill) * r->o.rate;
		if (r->tokens > burst)
			r->tokens = burst;
		r->last_refill = now;
		if (!have)
			have = next_job(r, &next);
		while (have && r->inflight < r->o.concurrency && r->tokens >= 1) {
			struct job *j = malloc(sizeof *j);

			if (!j)
				break;
			*j = next;
			r->inflight++;
			r->sent++;
			r->tokens -= 1;
			ares_query(r->ch, j->name, 1 /* IN */, j->type, on_answer, j);
			have = next_job(r, &next);
		}
		if (!have && r->inflight == 0)
			break;
		FD_ZERO(&rd);
		FD_ZERO(&wr);
		nfds = ares_fds(r->ch, &rd, &wr);
		/* Wake for the next token when sending waits on the rate. */
		cap.tv_usec = have && r->inflight < r->o.concurrency ? 2000 : 200000;
		tvp = ares_timeout(r->ch, &cap, &tv);
		if (select(nfds, &rd, &wr, NULL, tvp) < 0 && errno != EINTR)
			break;
		ares_process(r->ch, &rd, &wr);
		tick(r, 0);
	}
}

/* ---- zone transfers ------------------------------------------------------- */

struct axfr_take {
	struct run *r;
	int dom;
	json_t *names;
};

static void on_axfr_record(const struct dns_rec *rec, void *arg)
{
	struct axfr_take *t = arg;
	struct target_addr a;
	size_t n = json_array_size(t->names);
	int dup = 0;

	if (strncmp(rec->name, "*.", 2) && rec_addr(rec, &a) == 0) {	/* a wildcard is no name */
		struct found *f = find_name(t->r, rec->name, t->dom, "axfr");

		if (f)
			add_addr(f, &a);
	}
	for (size_t i = 0; i < n && !dup; i++)
		dup = strcmp(json_string_value(json_array_get(t->names, i)), rec->name) == 0;
	if (!dup && n < DNS_AXFR_NAMES)
		json_array_append_new(t->names, json_string(rec->name));
}

/* An AXFR attempt of each domain from each of its name servers' addresses in
 * scope; the outcomes go to `log` (the summary). */
static void run_axfr(struct run *r, json_t *log)
{
	for (int di = 0; di < r->ndoms; di++) {
		struct domain *d = &r->doms[di];

		for (int k = 0; k < d->nns; k++) {
			struct found *f = find_name(r, d->ns[k], di, NULL);

			for (int i = 0; f && i < f->naddrs; i++) {
				struct axfr_take t = { .r = r, .dom = di, .names = json_array() };
				struct dns_axfr_result res;
				char text[64], title[DNS_NAME_MAX * 2 + 96];

				targets_addr_str(&f->addrs[i], text, sizeof text);
				if (!dns_may_send(r->scope, &f->addrs[i])) {
					json_array_append_new(log, json_pack("{sssssss}", "zone", d->name, "server",
						d->ns[k], "address", text, "result", "skipped: out of scope"));
				} else if (dns_axfr(text, r->o.ns_port, d->name, r->o.timeout_ms, DNS_AXFR_RECORDS,
						    on_axfr_record, &t, &res) == 0) {
					json_array_append_new(log, json_pack("{sssssssssI}", "zone", d->name, "server",
						d->ns[k], "address", text, "result", res.ok ? "transferred" : res.error,
						"records", (json_int_t)res.records));
					if (res.ok) {
						snprintf(title, sizeof title, "zone transfer of %s allowed by %s (%s)",
							 d->name, d->ns[k], text);
						finding(r, json_pack("{sssssissss s{sssssssisIsO}}", "kind", "dns_axfr",
							"target", d->name, "port", 0, "severity", "high", "title", title,
							"detail", "zone", d->name, "server", d->ns[k], "address", text,
							"port", r->o.ns_port, "records", (json_int_t)res.records,
							"names", t.names));
					}
				}
				json_decref(t.names);
				r->done_units++;
				tick(r, 0);
			}
		}
	}
}

/* ---- the scan ------------------------------------------------------------- */

/* The resolver's channel: options.resolver, else the system's; each server
 * must be loopback or in scope. */
static int open_channel(struct run *r, char *msg, size_t msglen)
{
	struct ares_options ao = { .timeout = r->o.timeout_ms, .tries = 2 };
	struct ares_addr_port_node *servers = NULL;
	int rc = ares_library_init(ARES_LIB_INIT_ALL);

	if (rc == ARES_SUCCESS)
		rc = ares_init_options(&r->ch, &ao, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (rc != ARES_SUCCESS) {
		snprintf(msg, msglen, "resolver: %s", ares_strerror(rc));
		return -1;
	}
	if (r->o.resolver[0]) {
		struct ares_addr_port_node s = { .family = r->o.raddr.family,
						  .udp_port = r->o.rport, .tcp_port = r->o.rport };

		memcpy(&s.addr, r->o.raddr.a, r->o.raddr.family == AF_INET ? 4 : 16);
		rc = ares_set_servers_ports(r->ch, &s);
		if (rc != ARES_SUCCESS) {
			snprintf(msg, msglen, "resolver: %s", ares_strerror(rc));
			return -1;
		}
	}
	if (ares_get_servers_ports(r->ch, &servers) != ARES_SUCCESS) {
		snprintf(msg, msglen, "resolver: cannot read the servers");
		return -1;
	}
	rc = 0;
	for (struct ares_addr_port_node *s = servers; s; s = s->next) {
		struct target_addr a = { .family = s->family };
		char text[64];

		memcpy(a.a, &s->addr, s->family == AF_INET ? 4 : 16);
		if (!dns_may_send(r->scope, &a)) {
			snprintf(msg, msglen, "resolver %s is out of scope (give options.resolver, or see"
				 " [scope] allow in the configuration)", targets_addr_str(&a, text, sizeof text));
			rc = -1;
			break;
		}
	}
	ares_free_data(servers);
	return rc;
}

/* Domains and addresses from the targets, each checked against the scope. */
static int read_targets(struct run *r)
{
	char code[32], msg[256];
	struct target_iter it;
	struct target_addr a;
	uint64_t n;

	r->targets = targets_new();
	if (!r->targets)
		return scanner_error(r->ctx, "internal", "out of memory");
	if (targets_parse(r->targets, (const char *const *)r->ctx->targets, r->ctx->ntargets,
			  config.max_targets, code, sizeof code, msg, sizeof msg) < 0)
		return scanner_error(r->ctx, code, "%s", msg);
	for (int i = 0; i < r->ctx->ntargets; i++) {
		targets_u128 lo, hi, bad;
		int kind = targets_classify(r->ctx->targets[i], &lo, &hi);

		if ((kind == 1 && !scope_check_range(r->scope, lo, hi, &bad))
		    || (kind == 2 && !scope_check_name(r->scope, r->ctx->targets[i])))
			return scanner_error(r->ctx, "out_of_scope", "target '%.80s' is out of scope "
					     "(see [scope] allow in the configuration)", r->ctx->targets[i]);
	}
	r->ndoms = (int)targets_nnames(r->targets);
	n = targets_count(r->targets);
	r->doms = calloc(r->ndoms ? (size_t)r->ndoms : 1, sizeof *r->doms);
	r->addrs = calloc(n ? n : 1, sizeof *r->addrs);
	if (!r->doms || !r->addrs)
		return scanner_error(r->ctx, "internal", "out of memory");
	for (int i = 0; i < r->ndoms; i++) {
		const char *name = targets_name(r->targets, (size_t)i);
		size_t len = strlen(name);

		if (len > 200)
			return scanner_error(r->ctx, "invalid_target", "domain '%.80s...' is too long", name);
		for (size_t k = 0; k <= len; k++)
			r->doms[i].name[k] = (char)(name[k] >= 'A' && name[k] <= 'Z' ? name[k] + 32 : name[k]);
		if (len && r->doms[i].name[len - 1] == '.')
			r->doms[i].name[len - 1] = '\0';
	}
	targets_iter_init(&it, r->targets);
	while (r->naddrs < n && targets_iter_next(&it, &a))
		r->addrs[r->naddrs++] = a;
	if (r->ndoms == 0 && r->naddrs == 0)
		return scanner_error(r->ctx, "no_targets", "no domain or address to ask about");
	return 0;
}

/* The dns_name and host findings of every name found. */
static void report_names(struct run *r)
{
	json_t *hosts = json_object();
	const char *key;
	json_t *v;

	for (int i = 0; i < r->nfound; i++) {
		struct found *f = &r->found[i];
		json_t *addrs = json_array(), *out = json_array();
		char title[DNS_NAME_MAX + 160];
		size_t len;

		for (int k = 0; k < f->naddrs; k++) {
			char text[64];

			targets_addr_str(&f->addrs[k], text, sizeof text);
			if (!scope_check_addr(r->scope, &f->addrs[k])) {
				json_array_append_new(out, json_string(text));
				continue;
			}
			json_array_append_new(addrs, json_string(text));
			if (!json_object_get(hosts, text))
				json_object_set_new(hosts, text, json_array());
			if (json_array_size(json_object_get(hosts, text)) < 32)
				json_array_append_new(json_object_get(hosts, text), json_string(f->name));
		}
		len = (size_t)snprintf(title, sizeof title, "%s", f->name);
		for (int k = 0; k < f->naddrs && k < 4 && len < sizeof title - 50; k++) {
			char text[64];

			len += (size_t)snprintf(title + len, sizeof title - len, "%s%s", k ? ", " : ": ",
						targets_addr_str(&f->addrs[k], text, sizeof text));
		}
		if (strcmp(f->name, r->doms[f->dom].name))
			finding(r, json_pack("{sssssissss s{sssssssOsOss*}}", "kind", "dns_name", "target", f->name,
					     "port", 0, "severity", "info", "title", title, "detail",
					     "name", f->name, "domain", r->doms[f->dom].name, "source", f->source,
					     "addresses", addrs, "out_of_scope", out,
					     "cname", f->cname[0] ? f->cname : NULL));
		if (f->wild_below) {
			char wild[DNS_NAME_MAX + 2];

			r->wildcards++;
			snprintf(wild, sizeof wild, "*.%s", f->name);
			snprintf(title, sizeof title, "wildcard: every name under %s answers", f->name);
			finding(r, json_pack("{sssssissss s{ssss}}", "kind", "dns_wildcard", "target", wild,
					     "port", 0, "severity", "info", "title", title, "detail",
					     "name", wild, "domain", r->doms[f->dom].name));
		}
		json_decref(addrs);
		json_decref(out);
	}
	json_object_foreach(hosts, key, v) {
		char title[DNS_NAME_MAX + 80];

		snprintf(title, sizeof title, "%s is %s", key, json_string_value(json_array_get(v, 0)));
		finding(r, json_pack("{sssssissss s{sssO}}", "kind", "host", "target", key, "port", 0,
				     "severity", "info", "title", title, "detail", "address", key, "names", v));
	}
	json_decref(hosts);
}

/* The wildcard findings of the domains themselves (once each). */
static void report_wildcards(struct run *r)
{
	for (int i = 0; i < r->ndoms; i++) {
		struct domain *d = &r->doms[i];
		char wild[DNS_NAME_MAX + 2], title[DNS_NAME_MAX + 80];
		json_t *vals = json_array();

		if (!d->wildcard) {
			json_decref(vals);
			continue;
		}
		r->wildcards++;
		for (int k = 0; k < d->nwild; k++)
			json_array_append_new(vals, json_string(d->wild[k]));
		snprintf(wild, sizeof wild, "*.%s", d->name);
		snprintf(title, sizeof title, "wildcard: every name under %s answers", d->name);
		finding(r, json_pack("{sssssissss s{sssssOsI}}", "kind", "dns_wildcard", "target", wild,
				     "port", 0, "severity", "info", "title", title, "detail", "name", wild,
				     "domain", d->name, "values", vals, "words_hidden",
				     (json_int_t)r->wildcard_hits));
		json_decref(vals);
	}
}

int dns_run(struct scanctx *ctx)
{
	struct run r = { .ctx = ctx };
	unsigned char rnd[6];
	char msg[256];
	json_t *axfr = json_array(), *s;
	double t0 = clock_mono_s(), elapsed;
	int rc = 0;

	if (dns_options_read(ctx->options, &r.o, msg, sizeof msg) < 0) {
		rc = scanner_error(ctx, "invalid_options", "%s", msg);
		goto out;
	}
	r.scope = scope_from_config(&config, msg, sizeof msg);
	if (!r.scope) {
		rc = scanner_error(ctx, "internal", "scope: %s", msg);
		goto out;
	}
	if ((rc = read_targets(&r)) != 0)
		goto out;
	if (r.o.wordlist && read_wordlist(&r, msg, sizeof msg) < 0) {
		rc = scanner_error(ctx, "invalid_options", "%s", msg);
		goto out;
	}
	if (!r.o.wordlist && !(r.wl = dns_names_default(&r.nwl))) {
		rc = scanner_error(ctx, "internal", "out of memory");
		goto out;
	}
	if (open_channel(&r, msg, sizeof msg) < 0) {
		rc = scanner_error(ctx, strstr(msg, "out of scope") ? "out_of_scope" : "scanner_error", "%s", msg);
		goto out;
	}
	r.found = malloc(DNS_FOUND_MAX * sizeof *r.found);
	r.index = calloc(DNS_HASH_SIZE, sizeof *r.index);
	if (!r.found || !r.index || getrandom(rnd, sizeof rnd, 0) != sizeof rnd) {
		rc = scanner_error(ctx, "internal", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(r.rand + 2 * i, 3, "%02x", rnd[i]);
	r.total_units = (double)r.ndoms * (NRECORD_TYPES + 2 + (r.o.subdomains ? 2.0 * (double)r.nwl : 0))
			+ (double)r.naddrs;
	for (r.phase = 0; r.phase < 3; r.phase++) {
		if (r.phase == 1)
			for (int i = 0; i < r.ndoms; i++)
				r.total_units += 2.0 * r.doms[i].nns + (r.o.axfr ? r.doms[i].nns : 0);
		if (r.phase == 2)
			r.total_units += r.o.subdomains ? r.nfound : 0;
		run_phase(&r);
	}
	/* A resolver that answered nothing at all is a failed scan, not an
	 * empty result: "no names" would be a lie. */
	if (r.sent > 0 && r.answered == 0) {
		rc = scanner_error(ctx, "scanner_error", "resolver %s answered none of %ld queries (%ld errors)",
				   r.o.resolver[0] ? r.o.resolver : "of the system", r.sent, r.errors);
		goto out;
	}
	if (r.o.axfr)
		run_axfr(&r, axfr);
	report_wildcards(&r);
	report_names(&r);
	scanner_progress(ctx, 1);
	elapsed = clock_mono_s() - t0;
	s = json_pack("{sisIsisIsIsIsIsIsIsIsIsOsfsf}", "domains", r.ndoms, "addresses", (json_int_t)r.naddrs,
		      "words", (int)r.nwl, "names", (json_int_t)r.nfound, "queries", (json_int_t)r.sent,
		      "answered", (json_int_t)r.answered, "errors", (json_int_t)r.errors,
		      "wildcard_hits", (json_int_t)r.wildcard_hits, "wildcards", (json_int_t)r.wildcards,
		      "ptr", (json_int_t)r.ptrs, "over_cap", (json_int_t)(r.found_over_cap + r.dropped),
		      "axfr", axfr, "elapsed_s", elapsed,
		      "words_per_s", elapsed > 0 ? (double)r.ndoms * (double)r.nwl / elapsed : 0.0);
	json_object_set_new(s, "resolver", json_string(r.o.resolver[0] ? r.o.resolver : "system"));
	json_object_set_new(s, "aaaa_skipped", json_integer(r.skipped_aaaa));
	scanner_summary(ctx, s);
	json_decref(s);
out:
	if (r.ch)
		ares_destroy(r.ch);
	while (r.later) {
		struct job *l = r.later;

		r.later = l->next;
		free(l);
	}
	json_decref(axfr);
	if (r.words)
		for (size_t i = 0; i < DNS_WORDS_MAX && r.words[i]; i++)
			free(r.words[i]);
	free(r.words);
	free(r.found);
	free(r.index);
	free(r.doms);
	free(r.addrs);
	targets_free(r.targets);
	scope_free(r.scope);
	return rc;
}
