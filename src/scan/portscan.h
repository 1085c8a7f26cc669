/*
 * portscan.h — the built-in TCP connect scanner.
 *
 * Non-blocking sockets and epoll: up to `concurrency` connection attempts
 * are in flight at once, each with its own deadline.
 * A port is open when the handshake completes, closed when the host
 * answers with a reset (ECONNREFUSED), filtered when nothing answers before
 * the timeout on every try.  Open sockets are closed with a reset (SO_LINGER
 * 0) so a large scan leaves no TIME_WAIT behind.  An optional banner grab
 * reads at most PORTSCAN_BANNER_MAX bytes within banner_ms of an open port.
 *
 * portscan_probe() is the engine (the discovery scanner and the benchmark
 * use it too); portscan_run() is the "portscan" scan type of scanner.h.
 */
#ifndef SCANQ_PORTSCAN_H
#define SCANQ_PORTSCAN_H

#include <stddef.h>
#include <jansson.h>
#include "targets.h"

struct scanctx;

#define PORTSCAN_BANNER_MAX 256		/* bytes of a banner kept */
#define PORTSCAN_CONCURRENCY_MAX 16384	/* connection attempts in flight */
#define PORTSCAN_THREADS_MAX 8		/* engines running side by side */

enum portscan_state { PORTSCAN_OPEN, PORTSCAN_CLOSED, PORTSCAN_FILTERED };

struct portscan_opts {
	int concurrency;	/* attempts in flight: 512; capped by RLIMIT_NOFILE */
	int timeout_ms;		/* per attempt: 1000 */
	int retries;		/* extra tries after a timeout: 1 */
	int rate;		/* attempts started per second; 0 = no limit (else one thread) */
	int banner;		/* 1: read a banner from open ports */
	int banner_ms;		/* how long to wait for one: 500 */
	int threads;		/* 0: one per CPU for scans of 4096+ probes */
	struct budget *budget;	/* the networks' rate caps (budget.h), or NULL; one thread */
};

/* One port's result, passed to the callback; `banner` is borrowed. */
struct portscan_hit {
	size_t host;		/* index into the hosts array */
	int port;
	enum portscan_state state;
	const char *banner;	/* NULL, or banner_len bytes (not NUL-terminated) */
	size_t banner_len;
};

struct portscan_stats {
	long open, closed, filtered;
	long attempts;		/* connect() calls, retries included */
	double elapsed_s;
};

typedef void (*portscan_cb)(void *arg, const struct portscan_hit *hit);

/* Fills the defaults above. */
void portscan_opts_default(struct portscan_opts *o);

/*
 * Reads concurrency, timeout_ms, retries, rate, banner, banner_ms and threads from a
 * scan's options object over the current values, each range-checked.
 * Returns 0, or -1 with a reason naming the option.
 */
int portscan_opts_from_json(struct portscan_opts *o, json_t *options, char *err, size_t errlen);

/*
 * Probes every port of `ports` (nports entries, 1..65535) on every host;
 * calls cb once per (host, port) as results come, in no particular order,
 * never two calls at once (threads take turns).
 * Fills *stats (may be NULL).  Returns 0, or -1 with a reason in err when
 * the scan could not run at all (no epoll, no sockets).
 */
int portscan_probe(const struct target_addr *hosts, size_t nhosts, const int *ports,
		   size_t nports, const struct portscan_opts *o, portscan_cb cb, void *arg,
		   struct portscan_stats *stats, char *err, size_t errlen);

/* The "portscan" scan type: targets, options.ports (default top1000) and
 * the options above.  Returns the exit status. */
int portscan_run(struct scanctx *ctx);

#endif
