/*
 * tls_hello.h — a raw TLS (and SSL 3.0) ClientHello and the parser of the
 * server's first answer, for the probes libssl cannot make: Debian's
 * OpenSSL 3 has no SSL 3.0 at all and no RC4, DES, 3DES or EXPORT suites,
 * so asking "does this server still accept them?" needs a hello written
 * by hand.  Only the first flight is exchanged: the probe learns the
 * version and the suite the server picked (or its refusal) and hangs up;
 * no key is ever derived.
 *
 * Both functions are pure (no I/O); the parser takes hostile bytes and is
 * fuzzed (tests/fuzz/fuzz_tls_hello.c).
 */
#ifndef SCANQ_TLS_HELLO_H
#define SCANQ_TLS_HELLO_H

#include <stddef.h>
#include <stdint.h>

#define TLS_HELLO_MAX 1024		/* bytes of a ClientHello built here */
#define TLS_HELLO_RECORD_MAX (5 + 18432)	/* the largest record a parser reads */

#define TLS_HELLO_SSL3  0x0300
#define TLS_HELLO_TLS10 0x0301
#define TLS_HELLO_TLS11 0x0302
#define TLS_HELLO_TLS12 0x0303
#define TLS_HELLO_TLS13 0x0304

/* Why a suite is weak (TLS_HELLO_WEAK_*), and its name. */
struct tls_hello_suite {
	uint16_t id;
	const char *name;	/* the IANA name */
	const char *weakness;	/* "NULL", "anonymous", "EXPORT", "RC4", "DES", "3DES", or NULL */
};

/* Suites offered by a version probe: common ones of every era, so that any
 * server that speaks the version finds one it accepts. */
extern const uint16_t tls_hello_common[];
extern const size_t tls_hello_ncommon;

/* The suites of a TLS 1.3 probe: libssl's default TLS 1.3 suites, in its
 * order, so that the server picks the one a libssl handshake would get. */
extern const uint16_t tls_hello_tls13[];
extern const size_t tls_hello_ntls13;

/* The weak suites a cipher probe offers (each with its weakness). */
extern const struct tls_hello_suite tls_hello_weak[];
extern const size_t tls_hello_nweak;

/*
 * Writes a ClientHello record for `version` offering suites[0..n) into buf
 * (cap bytes), with SNI `sni` (NULL or "" for none) and the extensions a
 * TLS 1.2 server needs to pick an ECDHE suite (SSL 3.0 gets none).  A
 * TLS_HELLO_TLS13 hello says 1.2 in its version field and 1.3 alone in
 * supported_versions (RFC 8446 4.1.2), with libssl's default groups and
 * signature algorithms and an empty key_share: a TLS 1.3 server then asks
 * for a share (HelloRetryRequest) instead of making one and signing.
 * Returns its length, or 0 when it does not fit.
 */
size_t tls_hello_build(unsigned char *buf, size_t cap, int version, const uint16_t *suites, size_t n,
		       const char *sni);

/* What the server's first bytes said. */
enum tls_hello_answer {
	TLS_HELLO_MORE = -1,	/* incomplete: read more */
	TLS_HELLO_REFUSED = 0,	/* an alert: no common version or suite */
	TLS_HELLO_ACCEPTED = 1,	/* a ServerHello: *version, *suite set */
	TLS_HELLO_NOT_TLS = 2,	/* not a TLS record, or malformed */
};

/* Parses the first len bytes a server sent after a ClientHello. */
enum tls_hello_answer tls_hello_parse(const unsigned char *buf, size_t len, int *version, int *suite);

/*
 * Whether an ACCEPTED answer (version, suite from tls_hello_parse) is an
 * answer at the version `asked`: the same version; for TLS_HELLO_TLS13,
 * whose ServerHello (or HelloRetryRequest) says 1.2 in its version field,
 * a TLS 1.3 suite (0x1301 - 0x1305), which no earlier version can pick.
 */
int tls_hello_answered_at(int asked, int version, int suite);

/* The IANA name of a suite id from the tables above, or NULL. */
const char *tls_hello_suite_name(int id);

#endif
