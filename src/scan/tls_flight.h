/*
 * tls_flight.h — several TLS openings to one endpoint in flight at once.
 * The tls scan asks each endpoint a handful of independent questions (a
 * libssl handshake for the certificate, one raw ClientHello per protocol
 * version); asked one after another, the endpoint's round trips add up.
 * Here they share one poll loop over non-blocking sockets, at most
 * `in_flight` connections open at a time, each with its own deadline.
 * The answers are the ones the questions give asked alone.
 */
#ifndef SCANQ_TLS_FLIGHT_H
#define SCANQ_TLS_FLIGHT_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>
#include "targets.h"

#define TLS_FLIGHT_MAX 16	/* jobs in one flight, and the in_flight cap */

/* A job's result beyond enum tls_hello_answer (tls_hello.h). */
#define TLS_FLIGHT_CLOSED (-1)	/* the port did not connect (or STARTTLS failed) */
#define TLS_FLIGHT_SILENT 3	/* connected, but no byte before the timeout */

/* The two libssl jobs (a raw hello's `version` is TLS_HELLO_SSL3 or more). */
#define TLS_FLIGHT_HANDSHAKE 0		/* a full handshake with the target's ctx */
#define TLS_FLIGHT_CERTIFICATE 1	/* a handshake with cert_ctx, stopped at the certificate */

struct tls_flight_job {
	/* In: TLS_FLIGHT_HANDSHAKE, TLS_FLIGHT_CERTIFICATE, or a raw hello at
	 * this version (TLS_HELLO_*) offering `suites`. */
	int version;
	const uint16_t *suites;
	size_t nsuites;
	/* Out.  rc: TLS_HELLO_ACCEPTED (a raw hello answered at `version`,
	 * tls_hello_answered_at, *suite set; a handshake completed; or the
	 * certificate read), TLS_HELLO_REFUSED, TLS_HELLO_NOT_TLS,
	 * TLS_FLIGHT_SILENT or TLS_FLIGHT_CLOSED.  An ACCEPTED libssl job
	 * leaves the server's certificate and the chain it sent (leaf first) to
	 * the caller, who frees them (X509_free, sk_X509_pop_free); either may
	 * be NULL (a handshake without a certificate).  `negotiated` is the
	 * version agreed (TLS1_2_VERSION, ...), `protocol` and `cipher`
	 * libssl's names of the version and suite (static strings), or NULL.
	 * Every connection is closed when its job ends. */
	int rc, suite;
	X509 *cert;
	STACK_OF(X509) *chain;
	int negotiated;
	const char *protocol, *cipher;
	int fd;		/* internal: the connection while the job runs */
	SSL *ssl;	/* internal: a libssl job's connection */
};

struct tls_flight_target {
	const struct target_addr *addr;
	int port;
	const char *sni;	/* NULL: no server name sent */
	SSL_CTX *ctx;		/* for the full handshakes */
	SSL_CTX *cert_ctx;	/* for the certificate jobs: tls_flight_stop_at_certificate() */
	int timeout_ms;		/* for the connect, and between two reads */
	int in_flight;		/* 1..TLS_FLIGHT_MAX connections at once */
	/* When set, called on each connected (blocking) socket before the
	 * hello, e.g. to speak STARTTLS; -1 counts as TLS_FLIGHT_CLOSED.  The
	 * connects are then made one at a time. */
	int (*prepare)(int fd);
	/* When set, asked before each connection: 1 to go now, 0 to wait (the
	 * loop asks again within TLS_FLIGHT_PACE_MS).  The scan's rate. */
	int (*pace)(void *arg);
	void *pace_arg;
};

#define TLS_FLIGHT_PACE_MS 5

/*
 * Makes `c` a context for TLS_FLIGHT_CERTIFICATE jobs: its handshakes end
 * as soon as the server's certificate is in, before the client sends a key
 * of its own (the chain is kept, not verified; the server gets an alert).
 * With suites that need no signature listed first (RSA key exchange), a
 * server that follows the client's order has then made no key and signed
 * nothing.  Only meaningful up to TLS 1.2, where the certificate is in the
 * clear: cap the context's version there.
 */
void tls_flight_stop_at_certificate(SSL_CTX *c);

/*
 * Runs the n (<= TLS_FLIGHT_MAX) jobs against one endpoint, started in
 * index order (a server that serves one connection at a time meets the
 * first job first), and fills in their results.  Never fails as a whole:
 * what could not be done is in each job's rc.  Once a raw hello has met
 * silence (TLS_FLIGHT_SILENT) and no job has had an answer, the jobs not
 * started yet end silent too, without a connection (a libssl job's
 * silence alone does not count: a server may ignore a modern hello).
 */
void tls_flight_run(const struct tls_flight_target *t, struct tls_flight_job *jobs, size_t n);

#endif
