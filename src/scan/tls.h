/*
 * tls.h — the built-in "tls" scan type: for every target:port it reports
 * the certificate chain and what is wrong with it (expired or expiring,
 * self-signed or untrusted against the system store, a name mismatch for
 * hostname targets, a weak key or signature), the protocol versions the
 * server still accepts (SSL 3.0, TLS 1.0 and 1.1 are findings) and the weak
 * cipher suites it accepts.  Each finding has a severity and a one-line
 * fix (docs/SCANNERS.md lists them).
 *
 * The certificate is read by OpenSSL's libssl from a handshake up to
 * TLS 1.2 that stops once the certificate is in (a full TLS 1.3 handshake
 * only for a server of 1.3 alone); versions and weak suites come from raw
 * ClientHellos (tls_hello.h), because Debian's libssl cannot offer SSL
 * 3.0, RC4, DES, 3DES or EXPORT suites, and TLS 1.3 from a hello without
 * a key share, which the server answers without signing.  Endpoints are
 * scanned side by side by `concurrency` threads, and each endpoint's
 * independent questions go out together, at most `in_flight` connections
 * to it at once (tls_flight.h); every connection and read has
 * `timeout_ms`.  SMTP ports (25, 587) speak STARTTLS first.
 */
#ifndef SCANQ_TLS_H
#define SCANQ_TLS_H

#include <stddef.h>

struct scanctx;

#define TLS_PORTS_DEFAULT "443,465,636,853,993,995,8443"
#define TLS_CONCURRENCY_MAX 256		/* endpoints in flight */
#define TLS_IN_FLIGHT_DEFAULT 8		/* connections at once to one endpoint */
#define TLS_SMTP_REPLY_MAX 4096		/* bytes of an SMTP reply read */

/* The "tls" scan type: targets, options.ports (default above), concurrency
 * (32), in_flight (8, at most TLS_FLIGHT_MAX), rate (connections per
 * second over the whole scan, 0: no cap, the default), timeout_ms (3000),
 * expiry_days (30), starttls ("smtp", "none" or absent for by-port).
 * Returns the exit status. */
int tls_run(struct scanctx *ctx);

/*
 * Parses an SMTP reply (RFC 5321 4.2: lines "CODE-text" then "CODE text").
 * Returns the code of a complete reply, 0 when more bytes are needed, or
 * -1 when the bytes are not an SMTP reply.
 */
int tls_smtp_reply(const char *buf, size_t len);

#endif
