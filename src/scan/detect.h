/*
 * detect.h — service detection for open ports (the portscan option
 * "detect"): a passive wait for a banner (ssh, ftp, smtp, mysql, pop3,
 * imap speak first), then a few safe probes, each on its own connection
 * and each stopping at the first answer: a TLS handshake (and HTTP inside
 * it), an HTTP GET /, a Redis PING (and INFO server), a PostgreSQL
 * SSLRequest.  No probe logs in, writes data or sends anything a service
 * could act on.
 *
 * Every port has a budget (budget_ms, all its connections together);
 * connections are started no faster than the scan's rate limit; no port
 * is started after the deadline.  So a silent port costs its budget and
 * no more, and detection stays inside the scan's limits.
 *
 * The parsers (detect_banner, detect_http, detect_redis) take hostile
 * bytes and are fuzzed (tests/fuzz/fuzz_detect.c).
 */
#ifndef SCANQ_DETECT_H
#define SCANQ_DETECT_H

#include <stddef.h>
#include "targets.h"

#define DETECT_READ_MAX 8192	/* bytes of an answer read per probe */
#define DETECT_PASSIVE_MS 500	/* the wait for a banner, within the budget */

/* What was found; every string NUL-terminated, "" when unknown. */
struct detect_result {
	char service[32];	/* ssh, http, https, ftp, smtp, mysql, redis, postgresql, pop3, imap, tls */
	char product[64];
	char version[64];
	char extra[128];	/* ssh comments, "(Debian)", ... */
	char title[128];	/* HTTP <title> */
	int http_status;	/* 0 when not HTTP */
	char tls_version[16];	/* "TLSv1.3" when TLS-wrapped, else "" */
	const char *method;	/* "banner" or the probe that answered; NULL: nothing */
};

/* One open port to identify; `banner` (may be NULL) is what the port scan
 * already read from it. */
struct detect_job {
	struct target_addr addr;
	const char *name;	/* SNI and HTTP Host, or NULL */
	int port;
	const char *banner;
	size_t banner_len;
	struct detect_result r;	/* filled by detect_all() */
};

/*
 * Identifies every job's service, `concurrency` ports at a time, each port
 * within budget_ms, connections started at most `rate` per second (0: no
 * limit), no port started after the monotonic time `deadline_s` (0: none).
 * Returns 0, or -1 when it could not start (no TLS library context).
 */
int detect_all(struct detect_job *jobs, size_t n, int concurrency, int budget_ms, int rate,
	       double deadline_s);

/* A banner a service sent first.  Returns 1 if it named the service. */
int detect_banner(const char *buf, size_t len, int port, struct detect_result *r);

/* An HTTP response.  Returns 1 if it is one (status, Server, title). */
int detect_http(const char *buf, size_t len, struct detect_result *r);

/* A Redis reply to PING (+PONG, -NOAUTH ...).  Returns 1 if it is Redis;
 * a reply to INFO server sets the version. */
int detect_redis(const char *buf, size_t len, struct detect_result *r);

#endif
