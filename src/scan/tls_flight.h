/*
 * tls_flight.h — several TLS openings to one endpoint in flight at once.
 * The tls scan asks each endpoint a handful of independent questions (one
 * full handshake for the certificate, one raw ClientHello per protocol
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

struct tls_flight_job {
	/* In: 0 for a full libssl handshake, else a raw hello at this version
	 * offering `suites`. */
	int version;
	const uint16_t *suites;
	size_t nsuites;
	/* Out.  rc: TLS_HELLO_ACCEPTED (a raw hello answered at exactly
	 * `version`, *suite set; or the handshake completed), TLS_HELLO_REFUSED,
	 * TLS_HELLO_NOT_TLS, TLS_FLIGHT_SILENT or TLS_FLIGHT_CLOSED.  A completed
	 * handshake leaves `ssl` to the caller (SSL_free it), its connection
	 * already closed; otherwise it is NULL. */
	int rc, suite;
	SSL *ssl;
	int fd;		/* internal: the connection while the job runs */
};

struct tls_flight_target {
	const struct target_addr *addr;
	int port;
	const char *sni;	/* NULL: no server name sent */
	SSL_CTX *ctx;		/* for the full handshakes */
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
 * Runs the n (<= TLS_FLIGHT_MAX) jobs against one endpoint, started in
 * index order (a server that serves one connection at a time meets the
 * first job first), and fills in their results.  Never fails as a whole:
 * what could not be done is in each job's rc.  Once a raw hello has met
 * silence (TLS_FLIGHT_SILENT) and no job has had an answer, the jobs not
 * started yet end silent too, without a connection (a full handshake's
 * silence alone does not count: a server may ignore a modern hello).
 */
void tls_flight_run(const struct tls_flight_target *t, struct tls_flight_job *jobs, size_t n);

#endif
