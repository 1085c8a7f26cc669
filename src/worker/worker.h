/*
 * worker.h — the worker process: claims scans from the store, runs each in
 * a supervised child (`scanq scan TYPE --json ...`, see spawn.h and
 * scanner.h), renews their leases, and writes how each one ended.
 *
 * Guarantees: every write about a running scan is fenced by its
 * (id, attempt); a scan whose renewal says it is no longer ours has its
 * child's process group killed and its result dropped.  A result is
 * written with its terminal status in one transaction; when the database
 * cannot be written the worker keeps the lease alive and retries with
 * backoff, and logs "scan completed" only after the database said so.  On
 * SIGTERM/SIGINT it stops claiming, lets running scans finish within
 * config.grace_s, then kills them and hands them back to pending without
 * spending an attempt; a second signal does that at once.
 *
 * Error codes written to scans.error_code (the fixed list; scanners that
 * report {"error":{"code":...}} must use one of these):
 *   timeout           the soft or hard time limit of the attempt fired
 *   killed_oom        the child ran out of memory (see spawn.h for the rule)
 *   crashed           the child died of a signal (named in the message)
 *   exit_status       the child exited non-zero without a known code
 *   output_too_large  stdout passed config.output_limit_kb, or too many findings
 *   worker_lost       the worker died (written by lease recovery)
 *   cancelled         an operator cancelled it
 *   no_targets        the scan has no target (not retried)
 *   tool_missing      the scanner program cannot be run (not retried)
 *   out_of_scope      a target is outside the configured scope (not retried)
 *   bad_options       the scanner rejected its options (not retried)
 *   spawn_failed      the child could not be started (fork, pipes)
 *   scanner_error     the scanner reported an error of its own
 */
#ifndef SCANQ_WORKER_H
#define SCANQ_WORKER_H

#include <stdint.h>

#include "worker/codes.h"

struct source;

struct worker_opts {
	const char *db_url;		/* the store, unless `source` is given */
	struct source *source;		/* an agent's server (agent.h), taken over and
					 * closed by worker_run(); NULL: open db_url */
	int check_scope;		/* refuse a scan with a target outside the
					 * configured scope before starting it (an agent) */
	const char *self;		/* absolute path of the scanq binary */
	const char *name;		/* registry name; NULL: HOST-PID */
	int concurrency;		/* 1 .. WORKER_CONCURRENCY_MAX */
	int once;			/* claim one batch of what is due, run it,
					 * exit (at once when nothing is due) */
	int max_scans;			/* exit cleanly after this many; 0 = no limit */
	int recover_leases;		/* run lease recovery (no serve around) */
	int heartbeat_fd;		/* write a byte here every second (supervisor); -1 */
	uint32_t instance;		/* of its identity (supervisor); 0: draw one */
};

/*
 * Runs the worker until a signal, --once or --max-scans ends it.  Installs
 * its own SIGTERM/SIGINT handlers.  Returns 0 after a clean exit, 1 when
 * the store could not be opened or the worker could not register.
 */
int worker_run(const struct worker_opts *opts);


#endif
