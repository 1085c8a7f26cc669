/*
 * tls.c — the "tls" scan type (see tls.h).  One thread per endpoint in
 * flight, which asks the endpoint its questions together (tls_flight.c,
 * non-blocking sockets with deadlines); each endpoint's findings are
 * gathered first and written together under one lock, so the child
 * protocol never interleaves.  libssl reads each endpoint's certificate
 * (a handshake stopped once the certificate is in; a full one for a server
 * of TLS 1.3 alone) and verifies the chain; everything else is a raw
 * hello (tls_hello.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include "core/clock.h"
#include "ports.h"
#include "resolve.h"
#include "scanner.h"
#include "sock.h"
#include "tls.h"
#include "tls_flight.h"
#include "tls_hello.h"

#define WEAK_PROBES_MAX 8	/* weak suites enumerated per endpoint */

struct opts {
	int concurrency, timeout_ms, expiry_days;
	int in_flight;		/* connections at once to one endpoint */
	int rate;		/* connections per second, all threads; 0: no cap */
	int starttls;		/* -1: by port (25, 587), 0: never, 1: always (smtp) */
};

struct endpoint {
	const struct resolve_host *host;
	int port;
};

struct scan {
	struct scanctx *ctx;
	struct opts o;
	struct endpoint *eps;
	size_t n, next, done;
	pthread_mutex_t lock;
	double tokens, last_refill;	/* the rate's bucket, under lock */
	SSL_CTX *ssl;		/* full handshakes, and the trust store */
	SSL_CTX *cert_ssl;	/* certificate handshakes (certificate_ctx) */
	long tls, closed, not_tls;
};

/* ---- STARTTLS and raw probes --------------------------------------------- */

int tls_smtp_reply(const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t n;
		int code;

		if (!nl)
			return 0;
		n = (size_t)(nl - (buf + i));
		if (n < 3 || buf[i] < '2' || buf[i] > '5' || buf[i + 1] < '0' || buf[i + 1] > '9'
		    || buf[i + 2] < '0' || buf[i + 2] > '9')
			return -1;
		code = (buf[i] - '0') * 100 + (buf[i + 1] - '0') * 10 + (buf[i + 2] - '0');
		if (n == 3 || buf[i + 3] == ' ' || buf[i + 3] == '\r')
			return code;		/* the last line */
		if (buf[i + 3] != '-')
			return -1;
		i += n + 1;
	}
	return 0;
}

/* Reads one SMTP reply.  Returns its code, or -1. */
static int smtp_read(int fd)
{
	char buf[TLS_SMTP_REPLY_MAX];
	size_t len = 0;

	for (;;) {
		ssize_t n;
		int code;

		if (len == sizeof buf)
			return -1;
		n = recv(fd, buf + len, sizeof buf - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		len += (size_t)n;
		code = tls_smtp_reply(buf, len);
		if (code != 0)
			return code;
	}
}

/* Greeting, EHLO, STARTTLS: after 0 the socket is ready for a ClientHello. */
static int smtp_starttls(int fd)
{
	if (smtp_read(fd) != 220 || sock_send_all(fd, "EHLO scanq.invalid\r\n", 20) < 0 || smtp_read(fd) != 250
	    || sock_send_all(fd, "STARTTLS\r\n", 10) < 0 || smtp_read(fd) != 220)
		return -1;
	return 0;
}

/* The scan's rate (tls_flight.h's pace): a token bucket shared by every
 * thread, a tenth of a second deep, so no burst exceeds the rate by much. */
static int pace(void *arg)
{
	struct scan *s = arg;
	double now = clock_mono_s();
	int go;

	pthread_mutex_lock(&s->lock);
	s->tokens += (now - s->last_refill) * s->o.rate;
	if (s->tokens > s->o.rate / 10.0 + 1)
		s->tokens = s->o.rate / 10.0 + 1;
	s->last_refill = now;
	go = s->tokens >= 1;
	if (go)
		s->tokens -= 1;
	pthread_mutex_unlock(&s->lock);
	return go;
}

/* The endpoint as a flight target (tls_flight.h): STARTTLS where needed. */
static struct tls_flight_target target_of(const struct scan *s, const struct endpoint *ep)
{
	int smtp = s->o.starttls == 1 || (s->o.starttls < 0 && (ep->port == 25 || ep->port == 587));

	return (struct tls_flight_target){ .addr = &ep->host->addr, .port = ep->port, .sni = ep->host->name,
					   .ctx = s->ssl, .cert_ctx = s->cert_ssl, .timeout_ms = s->o.timeout_ms,
					   .in_flight = s->o.in_flight, .prepare = smtp ? smtp_starttls : NULL,
					   .pace = s->o.rate > 0 ? pace : NULL, .pace_arg = (void *)s };
}

/*
 * One raw hello: offers suites at `version`.  Returns TLS_HELLO_ACCEPTED
 * (with *suite) only when the server answered with exactly that version;
 * else REFUSED, NOT_TLS, TLS_FLIGHT_SILENT or TLS_FLIGHT_CLOSED.
 */
static int probe(const struct scan *s, const struct endpoint *ep, int version, const uint16_t *suites,
		 size_t n, int *suite)
{
	struct tls_flight_target t = target_of(s, ep);
	struct tls_flight_job j = { .version = version, .suites = suites, .nsuites = n };

	tls_flight_run(&t, &j, 1);
	*suite = j.suite;
	return j.rc;
}

/* ---- findings ----------------------------------------------------------- */

/* Adds one finding of kind "tls" to `out`: check, severity, title, fix. */
static json_t *add(json_t *out, const struct endpoint *ep, const char *check, const char *severity,
		   const char *fix, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static json_t *add(json_t *out, const struct endpoint *ep, const char *check, const char *severity,
		   const char *fix, const char *fmt, ...)
{
	char title[400], addr[64];
	va_list ap;
	json_t *f;

	va_start(ap, fmt);
	vsnprintf(title, sizeof title, fmt, ap);
	va_end(ap);
	targets_addr_str(&ep->host->addr, addr, sizeof addr);
	f = json_pack("{sssssisssssssss{ssssss}}", "kind", "tls", "target", ep->host->name ? ep->host->name : addr,
		      "port", ep->port, "proto", "tcp", "service", "tls", "severity", severity, "title", title,
		      "detail", "check", check, "fix", fix ? fix : "", "address", addr);
	if (!f)
		return NULL;
	json_array_append_new(out, f);
	return json_object_get(f, "detail");
}

static void date_of(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1 || !strftime(buf, len, "%Y-%m-%d", &tm))
		snprintf(buf, len, "?");
}

/* What verification against the system store found, beyond expiry. */
struct verdict {
	int self_signed, untrusted;
	char why[128];
};

static int on_verify(int ok, X509_STORE_CTX *xs)
{
	struct verdict *v = X509_STORE_CTX_get_app_data(xs);
	int e = X509_STORE_CTX_get_error(xs);

	if (ok || !v)
		return 1;
	if (e == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT || e == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN) {
		v->self_signed = 1;
	} else if (e != X509_V_ERR_CERT_HAS_EXPIRED && e != X509_V_ERR_CERT_NOT_YET_VALID
		   && e != X509_V_ERR_CA_KEY_TOO_SMALL && e != X509_V_ERR_EE_KEY_TOO_SMALL
		   && e != X509_V_ERR_CA_MD_TOO_WEAK) {
		if (!v->untrusted)
			snprintf(v->why, sizeof v->why, "%s", X509_verify_cert_error_string(e));
		v->untrusted = 1;
	}
	return 1;	/* go on: every problem is reported, not only the first */
}

static void verify(SSL_CTX *ssl, X509 *leaf, STACK_OF(X509) *chain, struct verdict *v)
{
	X509_STORE_CTX *xs = X509_STORE_CTX_new();

	memset(v, 0, sizeof *v);
	if (!xs || !X509_STORE_CTX_init(xs, SSL_CTX_get_cert_store(ssl), leaf, chain)) {
		v->untrusted = 1;
		snprintf(v->why, sizeof v->why, "could not verify");
		X509_STORE_CTX_free(xs);
		return;
	}
	X509_STORE_CTX_set_app_data(xs, v);
	X509_STORE_CTX_set_verify_cb(xs, on_verify);
	X509_STORE_CTX_set_default(xs, "ssl_server");
	X509_VERIFY_PARAM_set_auth_level(X509_STORE_CTX_get0_param(xs), 0);
	X509_verify_cert(xs);
	X509_STORE_CTX_free(xs);
}

/* The certificate checks of the certificate (and the chain) a server sent. */
static void check_cert(const struct scan *s, const struct endpoint *ep, X509 *leaf, STACK_OF(X509) *chain,
		       json_t *out, json_t *info)
{
	EVP_PKEY *pk = leaf ? X509_get0_pubkey(leaf) : NULL;
	char subject[256], issuer[256], from[16], until[16];
	int days = 0, secs = 0, bits, type, mdnid = NID_undef, signid;
	const char *ktype;
	struct verdict v;
	json_t *names, *ch;
	GENERAL_NAMES *san;

	if (!leaf) {
		add(out, ep, "no_certificate", "medium", "configure a certificate for this service",
		    "the server sent no certificate");
		return;
	}
	X509_NAME_oneline(X509_get_subject_name(leaf), subject, sizeof subject);
	X509_NAME_oneline(X509_get_issuer_name(leaf), issuer, sizeof issuer);
	date_of(X509_get0_notBefore(leaf), from, sizeof from);
	date_of(X509_get0_notAfter(leaf), until, sizeof until);
	bits = pk ? EVP_PKEY_get_bits(pk) : 0;
	type = pk ? EVP_PKEY_get_base_id(pk) : NID_undef;
	ktype = type == EVP_PKEY_RSA ? "RSA" : type == EVP_PKEY_EC ? "EC" : type == EVP_PKEY_DSA ? "DSA"
		: type == EVP_PKEY_ED25519 ? "Ed25519" : type == EVP_PKEY_ED448 ? "Ed448" : "unknown";
	signid = X509_get_signature_nid(leaf);
	OBJ_find_sigid_algs(signid, &mdnid, NULL);
	names = json_array();
	san = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; san && i < sk_GENERAL_NAME_num(san) && i < 32; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);

		if (g->type == GEN_DNS)
			json_array_append_new(names, json_stringn((const char *)ASN1_STRING_get0_data(g->d.dNSName),
							       (size_t)ASN1_STRING_length(g->d.dNSName)));
	}
	GENERAL_NAMES_free(san);
	ch = json_array();
	for (int i = 0; chain && i < sk_X509_num(chain) && i < 10; i++) {
		char sub[256], iss[256];

		X509_NAME_oneline(X509_get_subject_name(sk_X509_value(chain, i)), sub, sizeof sub);
		X509_NAME_oneline(X509_get_issuer_name(sk_X509_value(chain, i)), iss, sizeof iss);
		json_array_append_new(ch, json_pack("{ssss}", "subject", sub, "issuer", iss));
	}
	json_object_set_new(info, "subject", json_string(subject));
	json_object_set_new(info, "issuer", json_string(issuer));
	json_object_set_new(info, "not_before", json_string(from));
	json_object_set_new(info, "not_after", json_string(until));
	json_object_set_new(info, "key_type", json_string(ktype));
	json_object_set_new(info, "key_bits", json_integer(bits));
	json_object_set_new(info, "signature", json_string(OBJ_nid2ln(signid) ? OBJ_nid2ln(signid) : "?"));
	json_object_set_new(info, "names", names);
	json_object_set_new(info, "chain", ch);

	ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(leaf));
	if (days < 0 || (days == 0 && secs < 0))
		add(out, ep, "expired", "high", "renew the certificate and install the new one",
		    "certificate expired on %s", until);
	else if (days < s->o.expiry_days)
		add(out, ep, "expiring", "medium", "renew the certificate before it expires",
		    "certificate expires in %d days (%s)", days, until);
	ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notBefore(leaf));
	if (days > 0 || (days == 0 && secs > 0))
		add(out, ep, "not_yet_valid", "medium", "fix the certificate's dates or the server's clock",
		    "certificate is not valid before %s", from);

	verify(s->ssl, leaf, chain, &v);
	json_object_set_new(info, "trusted", json_boolean(!v.self_signed && !v.untrusted));
	if (v.self_signed)
		add(out, ep, "self_signed", "medium", "use a certificate issued by a CA the clients trust",
		    "self-signed certificate (%s)", subject);
	else if (v.untrusted)
		add(out, ep, "untrusted", "medium", "serve the whole chain up to a CA in the system store",
		    "certificate not trusted: %s", v.why);
	if (ep->host->name && X509_check_host(leaf, ep->host->name, 0, 0, NULL) != 1)
		add(out, ep, "name_mismatch", "high", "issue the certificate for this name (subjectAltName)",
		    "certificate does not match %s (it is for %s)", ep->host->name, subject);

	if ((type == EVP_PKEY_RSA || type == EVP_PKEY_DSA) && bits < 2048)
		add(out, ep, "weak_key", bits < 1024 ? "critical" : "high",
		    "use an RSA key of 2048 bits or more, or ECDSA P-256",
		    "%s key of %d bits", ktype, bits);
	else if (type == EVP_PKEY_EC && bits < 224)
		add(out, ep, "weak_key", "high", "use ECDSA P-256 or stronger", "EC key of %d bits", bits);
	if (mdnid == NID_md5 || mdnid == NID_md4 || mdnid == NID_md2 || mdnid == NID_sha1)
		add(out, ep, "weak_signature", mdnid == NID_sha1 ? "medium" : "high",
		    "reissue the certificate signed with SHA-256",
		    "certificate signed with %s", OBJ_nid2ln(signid));
}

/* The legacy versions: the name, its severity, and a CVE where one applies. */
static const struct {
	int version;
	const char *name, *severity, *cve;
} legacy[] = {
	{ TLS_HELLO_SSL3, "SSLv3", "high", "CVE-2014-3566" },
	{ TLS_HELLO_TLS10, "TLSv1.0", "medium", NULL },
	{ TLS_HELLO_TLS11, "TLSv1.1", "medium", NULL },
	{ TLS_HELLO_TLS12, "TLSv1.2", NULL, NULL },
};

static const char *weak_cve(const char *weakness)
{
	if (strcmp(weakness, "3DES") == 0)
		return "CVE-2016-2183";	/* SWEET32 */
	if (strcmp(weakness, "RC4") == 0)
		return "CVE-2015-2808";	/* Bar Mitzvah */
	if (strcmp(weakness, "EXPORT") == 0)
		return "CVE-2015-0204";	/* FREAK */
	return NULL;
}

/* Enumerates the weak suites the server accepts at `version`. */
static void check_ciphers(const struct scan *s, const struct endpoint *ep, int version, json_t *out)
{
	uint16_t offer[64];
	size_t n = 0;

	for (size_t i = 0; i < tls_hello_nweak && n < sizeof offer / sizeof offer[0]; i++)
		offer[n++] = tls_hello_weak[i].id;
	for (int round = 0; round < WEAK_PROBES_MAX && n > 0; round++) {
		int suite = -1;
		const struct tls_hello_suite *w = NULL;
		json_t *d;

		if (probe(s, ep, version, offer, n, &suite) != TLS_HELLO_ACCEPTED)
			return;
		for (size_t i = 0; i < tls_hello_nweak; i++)
			if (tls_hello_weak[i].id == suite)
				w = &tls_hello_weak[i];
		if (!w)
			return;		/* it picked a suite not offered: nothing to trust */
		d = add(out, ep, "weak_cipher", strcmp(w->weakness, "3DES") == 0 ? "medium" : "high",
			"remove NULL, anonymous, EXPORT, DES, RC4 and 3DES suites from the server's cipher list",
			"weak cipher suite accepted: %s (%s)", w->name, w->weakness);
		if (d) {
			json_object_set_new(d, "suite", json_string(w->name));
			json_object_set_new(d, "weakness", json_string(w->weakness));
			if (weak_cve(w->weakness))
				json_object_set_new(d, "cve", json_pack("[s]", weak_cve(w->weakness)));
		}
		for (size_t i = 0; i < n; i++)
			if (offer[i] == suite) {
				offer[i] = offer[--n];
				break;
			}
	}
}

/* libssl's name of a TLS 1.3 suite (an IANA name: the same for 1.3). */
static const char *tls13_suite_name(int id)
{
	static const char *const names[] = { "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
					     "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_CCM_SHA256",
					     "TLS_AES_128_CCM_8_SHA256" };

	return id >= 0x1301 && id <= 0x1305 ? names[id - 0x1301] : "?";
}

/* The record of what was seen, first in `out`: the certificate summary
 * (`info`, with `protocols`), titled by what it holds. */
static void record(const struct endpoint *ep, json_t *info, json_t *protocols, json_t *out)
{
	char title[400], addr[64];
	json_t *f;

	json_object_set(info, "protocols", protocols);
	targets_addr_str(&ep->host->addr, addr, sizeof addr);
	json_object_set_new(info, "check", json_string("certificate"));
	json_object_set_new(info, "address", json_string(addr));
	if (json_string_value(json_object_get(info, "subject")))
		snprintf(title, sizeof title, "TLS %s, certificate %s, %s %lld bits, %s, expires %s",
			 json_string_value(json_object_get(info, "protocol")),
			 json_string_value(json_object_get(info, "subject")),
			 json_string_value(json_object_get(info, "key_type")),
			 (long long)json_integer_value(json_object_get(info, "key_bits")),
			 json_string_value(json_object_get(info, "signature")),
			 json_string_value(json_object_get(info, "not_after")));
	else
		snprintf(title, sizeof title, "TLS: no handshake with a modern client (legacy only)");
	f = json_pack("{sssssisssssssssO}", "kind", "tls", "target", ep->host->name ? ep->host->name : addr,
		      "port", ep->port, "proto", "tcp", "service", "tls", "severity", "info", "title", title,
		      "detail", info);
	if (f)
		json_array_insert_new(out, 0, f);
}

/* The protocol findings of the legacy versions (accepted[i] for
 * legacy[i]); returns the best version accepted, or 0. */
static int check_legacy(const struct endpoint *ep, const int *accepted, json_t *protocols, json_t *out)
{
	int best = 0;

	for (size_t i = 0; i < sizeof legacy / sizeof legacy[0]; i++) {
		json_t *d;

		if (!accepted[i])
			continue;
		best = legacy[i].version;
		json_array_append_new(protocols, json_string(legacy[i].name));
		if (!legacy[i].severity)
			continue;
		d = add(out, ep, "protocol", legacy[i].severity, "disable SSLv3, TLS 1.0 and TLS 1.1; offer TLS 1.2 and 1.3",
			"%s accepted", legacy[i].name);
		if (d) {
			json_object_set_new(d, "protocol", json_string(legacy[i].name));
			if (legacy[i].cve)
				json_object_set_new(d, "cve", json_pack("[s]", legacy[i].cve));
		}
	}
	return best;
}

static void job_release(struct tls_flight_job *j)
{
	X509_free(j->cert);
	sk_X509_pop_free(j->chain, X509_free);
	j->cert = NULL;
	j->chain = NULL;
}

/*
 * Everything about one endpoint, into `out` (an array of findings).  Its
 * questions are independent, so they go out together (tls_flight.h): a
 * libssl handshake up to TLS 1.2 that stops at the certificate (sent in
 * the clear there, before the server makes or signs a key if it follows
 * the client's order), a TLS 1.3 hello without a key share (answered by a
 * HelloRetryRequest, nothing signed) and a raw hello per version below
 * 1.2.  The certificate handshake answers "TLS 1.2?" when it agreed on
 * 1.2; otherwise a raw 1.2 hello asks in a second round, with the full
 * handshake that reads the certificate of a server of TLS 1.3 alone
 * (encrypted there).  A port that gave no TLS answer in the first round
 * is not asked again.  The weak suites are asked last, at the best
 * version below 1.3.
 */
static void scan_endpoint(struct scan *s, const struct endpoint *ep, json_t *out, int *state)
{
	enum { NLEGACY = sizeof legacy / sizeof legacy[0], CERT = 0, TLS13 = 1, LEGACY = 2, N1 = LEGACY + NLEGACY - 1 };
	struct tls_flight_target t = target_of(s, ep);
	struct tls_flight_job jobs[N1] = {
		{ .version = TLS_FLIGHT_CERTIFICATE },
		{ .version = TLS_HELLO_TLS13, .suites = tls_hello_tls13, .nsuites = tls_hello_ntls13 },
	}, late[2], *cert = &jobs[CERT];
	json_t *info = json_object(), *protocols = json_array();
	int accepted[NLEGACY] = { 0 }, best, connected = 0, tls = 0, tls13, nlate = 0;

	*state = 0;
	for (size_t i = 0; i + 1 < NLEGACY; i++)	/* the last, TLS 1.2, is the certificate's */
		jobs[LEGACY + i] = (struct tls_flight_job){ .version = legacy[i].version, .suites = tls_hello_common,
							    .nsuites = tls_hello_ncommon };
	tls_flight_run(&t, jobs, N1);
	for (size_t i = 0; i < N1; i++) {
		connected |= jobs[i].rc != TLS_FLIGHT_CLOSED;
		tls |= jobs[i].rc == TLS_HELLO_ACCEPTED || jobs[i].rc == TLS_HELLO_REFUSED;
		if (i >= LEGACY)
			accepted[i - LEGACY] = jobs[i].rc == TLS_HELLO_ACCEPTED;
	}
	if (!connected) {
		*state = -1;	/* closed, filtered or no STARTTLS */
		goto out;
	}
	tls13 = jobs[TLS13].rc == TLS_HELLO_ACCEPTED;
	accepted[NLEGACY - 1] = cert->rc == TLS_HELLO_ACCEPTED && cert->negotiated == TLS_HELLO_TLS12;
	if (tls && !accepted[NLEGACY - 1])
		late[nlate++] = (struct tls_flight_job){ .version = TLS_HELLO_TLS12, .suites = tls_hello_common,
							 .nsuites = tls_hello_ncommon };
	if (tls13 && cert->rc != TLS_HELLO_ACCEPTED)
		late[nlate++] = (struct tls_flight_job){ .version = TLS_FLIGHT_HANDSHAKE };
	if (nlate > 0) {
		tls_flight_run(&t, late, (size_t)nlate);
		if (late[0].version == TLS_HELLO_TLS12)
			accepted[NLEGACY - 1] = late[0].rc == TLS_HELLO_ACCEPTED;
		if (late[nlate - 1].version == TLS_FLIGHT_HANDSHAKE)
			cert = &late[nlate - 1];
	}
	if (tls13)
		json_array_append_new(protocols, json_string("TLSv1.3"));
	if (cert->rc == TLS_HELLO_ACCEPTED) {
		/* What a client gets: TLS 1.3 and the suite it picked where it speaks 1.3. */
		json_object_set_new(info, "protocol", json_string(tls13 ? "TLSv1.3" : cert->protocol ? cert->protocol : "?"));
		json_object_set_new(info, "cipher", json_string(tls13 ? tls13_suite_name(jobs[TLS13].suite)
								: cert->cipher ? cert->cipher : "?"));
		check_cert(s, ep, cert->cert, cert->chain, out, info);
	}
	best = check_legacy(ep, accepted, protocols, out);
	if (!tls13 && cert->rc != TLS_HELLO_ACCEPTED && !best) {
		*state = 1;
		add(out, ep, "no_tls", "info", NULL, "no TLS on this port");
		goto out;
	}
	if (best)
		check_ciphers(s, ep, best, out);
	record(ep, info, protocols, out);
out:
	for (size_t i = 0; i < N1; i++)
		job_release(&jobs[i]);
	for (int i = 0; i < nlate; i++)
		job_release(&late[i]);
	ERR_clear_error();
	json_decref(protocols);
	json_decref(info);
}

static void *worker(void *arg)
{
	struct scan *s = arg;

	for (;;) {
		json_t *out = json_array(), *f;
		size_t i, k;
		int state;

		pthread_mutex_lock(&s->lock);
		i = s->next < s->n ? s->next++ : s->n;
		pthread_mutex_unlock(&s->lock);
		if (i >= s->n) {
			json_decref(out);
			return NULL;
		}
		scan_endpoint(s, &s->eps[i], out, &state);
		pthread_mutex_lock(&s->lock);
		json_array_foreach(out, k, f)
			scanner_finding(s->ctx, f);
		if (state < 0)
			s->closed++;
		else if (state > 0)
			s->not_tls++;
		else
			s->tls++;
		s->done++;
		scanner_progress(s->ctx, (double)s->done / (double)s->n);
		pthread_mutex_unlock(&s->lock);
		json_decref(out);
	}
}

static int parse_opts(struct opts *o, json_t *options, char *err, size_t errlen)
{
	json_t *st = json_object_get(options, "starttls");

	*o = (struct opts){ .concurrency = 32, .timeout_ms = 3000, .expiry_days = 30, .starttls = -1,
			    .in_flight = TLS_IN_FLIGHT_DEFAULT };
	if (scanner_opt_int(options, "concurrency", 1, TLS_CONCURRENCY_MAX, &o->concurrency, err, errlen) < 0
	    || scanner_opt_int(options, "in_flight", 1, TLS_FLIGHT_MAX, &o->in_flight, err, errlen) < 0
	    || scanner_opt_int(options, "rate", 0, 100000, &o->rate, err, errlen) < 0
	    || scanner_opt_int(options, "timeout_ms", 50, 60000, &o->timeout_ms, err, errlen) < 0
	    || scanner_opt_int(options, "expiry_days", 0, 3650, &o->expiry_days, err, errlen) < 0)
		return -1;
	if (st) {
		if (json_is_string(st) && strcmp(json_string_value(st), "smtp") == 0) {
			o->starttls = 1;
		} else if (json_is_string(st) && strcmp(json_string_value(st), "none") == 0) {
			o->starttls = 0;
		} else {
			snprintf(err, errlen, "option starttls must be \"smtp\" or \"none\"");
			return -1;
		}
	}
	return 0;
}

/*
 * The system store, read as it is needed: the hashed directory
 * (/etc/ssl/certs, or $SSL_CERT_DIR) opens one file per issuer looked up,
 * where OpenSSL's default also parses the whole bundle file up front
 * (some 140 certificates, ~40 ms of CPU in every scan).  The directory
 * holds the same CAs as the bundle.  $SSL_CERT_FILE, when set, is loaded
 * as it would be by default.
 */
static void system_store(SSL_CTX *c)
{
	const char *dir = getenv(X509_get_default_cert_dir_env());
	const char *file = getenv(X509_get_default_cert_file_env());

	SSL_CTX_load_verify_dir(c, dir && *dir ? dir : X509_get_default_cert_dir());
	if (file && *file)
		SSL_CTX_load_verify_file(c, file);
	ERR_clear_error();
}

/* The client context of the full handshake: any version and suite libssl
 * still has (SECLEVEL 0) except those without a certificate (anonymous,
 * NULL), and the system store to verify the chain afterwards. */
static SSL_CTX *client_ctx(void)
{
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());

	if (!c)
		return NULL;
	SSL_CTX_set_security_level(c, 0);
	SSL_CTX_set_min_proto_version(c, TLS1_VERSION);
	SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION);
	SSL_CTX_set_cipher_list(c, "ALL:!aNULL:!eNULL:@SECLEVEL=0");
	SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
	system_store(c);
	return c;
}

/* The context of the certificate handshake (tls_flight.h): the same
 * suites up to TLS 1.2, where the certificate comes in the clear, listed
 * so that a server following the client's order signs as little as it
 * can: ECDSA with ECDHE first (a cheap signature, and the ECDSA
 * certificate of a server with two, as a TLS 1.3 client is served), then
 * RSA key exchange (no signature at all), then the rest. */
static SSL_CTX *certificate_ctx(void)
{
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());

	if (!c)
		return NULL;
	SSL_CTX_set_security_level(c, 0);
	SSL_CTX_set_min_proto_version(c, TLS1_VERSION);
	SSL_CTX_set_max_proto_version(c, TLS1_2_VERSION);
	SSL_CTX_set_cipher_list(c, "kECDHE+aECDSA:kRSA:ALL:!aNULL:!eNULL:@SECLEVEL=0");
	tls_flight_stop_at_certificate(c);
	return c;
}

int tls_run(struct scanctx *ctx)
{
	struct resolve_hostset hs = { 0 };
	struct port_set *ps = NULL;
	struct scan s = { .ctx = ctx };
	pthread_t th[TLS_CONCURRENCY_MAX];
	const char *spec = json_string_value(json_object_get(ctx->options, "ports"));
	char err[320];
	int nth = 0, rc;
	double t0 = clock_mono_s();

	if (parse_opts(&s.o, ctx->options, err, sizeof err) < 0)
		return scanner_error(ctx, "invalid_options", "%s", err);
	ps = malloc(sizeof *ps);
	if (!ps)
		return scanner_error(ctx, "internal", "out of memory");
	if (ports_parse(spec ? spec : TLS_PORTS_DEFAULT, ps, err, sizeof err) < 0) {
		free(ps);
		return scanner_error(ctx, "invalid_ports", "%s", err);
	}
	pthread_mutex_init(&s.lock, NULL);
	rc = resolve_hosts(ctx, &hs);
	if (rc != 0)
		goto out;
	if (hs.n * (size_t)ps->count > (size_t)1 << 20) {
		rc = scanner_error(ctx, "too_many_targets", "%zu endpoints; at most %d per tls scan",
				   hs.n * (size_t)ps->count, 1 << 20);
		goto out;
	}
	s.eps = calloc(hs.n * (size_t)ps->count + 1, sizeof *s.eps);
	s.ssl = client_ctx();
	s.cert_ssl = certificate_ctx();
	if (!s.eps || !s.ssl || !s.cert_ssl) {
		rc = scanner_error(ctx, "internal", "out of memory (or no TLS library)");
		goto out;
	}
	for (size_t h = 0; h < hs.n; h++)
		for (int p = ports_next(ps, 0); p; p = ports_next(ps, p))
			s.eps[s.n++] = (struct endpoint){ .host = &hs.hosts[h], .port = p };
	scanner_progress(ctx, 0);
	s.last_refill = clock_mono_s();
	s.tokens = 1;
	nth = s.o.concurrency < (int)s.n ? s.o.concurrency : (int)s.n;
	for (int i = 0; i < nth; i++)
		if (pthread_create(&th[i], NULL, worker, &s) != 0) {
			nth = i;
			break;
		}
	if (nth == 0 && s.n > 0)
		worker(&s);
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	scanner_progress(ctx, 1);
	{
		json_t *sum = json_pack("{sIsIsIsIsIsIsf}", "endpoints", (json_int_t)s.n, "tls", (json_int_t)s.tls,
					"closed", (json_int_t)s.closed, "not_tls", (json_int_t)s.not_tls,
					"skipped", (json_int_t)hs.skipped,
					"excluded", (json_int_t)hs.excluded,
					"elapsed_s", clock_mono_s() - t0);

		scanner_summary(ctx, sum);
		json_decref(sum);
	}
	rc = 0;
out:
	SSL_CTX_free(s.ssl);
	SSL_CTX_free(s.cert_ssl);
	free(s.eps);
	free(ps);
	resolve_hostset_release(&hs);
	pthread_mutex_destroy(&s.lock);
	return rc;
}
