/*
 * agent.h — the server as a worker's source of scans (source.h): what
 * `scanq agent` runs on.  It holds no database credentials: it claims,
 * renews and finishes scans over HTTPS through the server's
 * /api/v1/agent/ endpoints (docs/AGENTS.md has the protocol), and the
 * server writes the database.
 *
 * Claims are a long poll held by a thread of the agent's own, so the
 * worker loop never waits on the network for work: the scans it receives
 * wait in a queue and the source's wake-up fires.  Every other call is a
 * short request from the loop itself.
 *
 * Results (completions, failures, cancels) are written to the spool
 * (spool.h) and fsynced before they are sent, and removed once the server
 * has answered for them; a result that cannot be sent stays and is sent
 * again, by the loop while the scan's slot waits, or by the next agent
 * started on the same spool.  The server's answer to a resend is
 * idempotent, so nothing is applied twice.
 */
#ifndef SCANQ_WORKER_AGENT_H
#define SCANQ_WORKER_AGENT_H

#include <stddef.h>
#include <jansson.h>

#define AGENT_PROTOCOL 1
#define AGENT_WAIT_MS 25000		/* the longest claim long poll */

struct agent_opts {
	const char *server;		/* https://HOST:PORT (http only on loopback) */
	const char *token;		/* the agent token's text */
	const char *ca;			/* CA file to verify the server; NULL: the system's */
	const char *cert, *key;		/* client certificate (mutual TLS); may be NULL */
	const char *spool;		/* the spool directory */
	const char *name;		/* shown on the server */
	const char *id;			/* the agent's identity (worker_identity()) */
	int wait_ms;			/* claim long poll, 0 .. AGENT_WAIT_MS */
};

struct source;

/*
 * Checks the server's URL, opens the spool and says hello (an empty renew):
 * the token, the protocol version and the server's certificate are checked
 * here.  *lease_ms gets the server's lease.  Returns the source, or NULL
 * with a one-line reason in err; *fatal is 1 when retrying cannot help (a
 * refused token, an untrusted certificate, a bad URL) and 0 when the
 * server was not reachable.
 */
struct source *agent_open(const struct agent_opts *o, int *lease_ms, int *fatal, char *err,
			  size_t errlen);

/*
 * One scan of a claim's reply (scan_to_json()'s object) into *s: id,
 * attempt, type, targets (a JSON array) and options (a JSON object or
 * absent) are required, time_limit_s, max_attempts, priority and flow
 * read if there.  Returns 0, or -1 with *s holding nothing to free but
 * what scan_release() frees.
 */
struct scan;
int agent_scan_from_json(json_t *o, struct scan *s);

/* 1 if the host of a URL is a loopback address or "localhost". */
int agent_url_loopback(const char *url);

#endif
