/*
 * supervisor.h — the master side of `scanq serve`: starts N worker
 * processes (`scanq worker --name w-K ...`, fork + exec of this binary),
 * watches them and restarts any that exits or stalls, nginx-style.
 *
 * Liveness: each worker writes a byte to a pipe every second from its main
 * loop (--heartbeat-fd).  A worker whose pipe stays silent for stall_ms —
 * stopped with SIGSTOP, stuck in a loop, blocked for good — is killed with
 * SIGKILL and replaced.  A worker that exits is replaced too: at once when
 * it had registered (its first heartbeat byte comes only after it
 * registered in the store: it ran, then died or was killed), with
 * exponential backoff (100 ms doubling, up to SUPERVISOR_BACKOFF_MAX_MS)
 * while it keeps dying before it registers (bad database URL, a crash at
 * start).  A clean exit 0 is a recycle (--max-scans-per-worker) and
 * restarts at once.  Every exit is logged with its reason and recorded in
 * the workers table (store_worker_exited).
 *
 * No process outlives its scan: serve is the child subreaper of every
 * process its workers start (subreaper.h).  When a worker dies, even by
 * SIGKILL, what its scans left is killed with its process groups and
 * reaped before the exit is recorded; every SUBREAPER_SWEEP_MS any other
 * orphan that comes up (a process that left its scan's group) is killed.
 *
 * Workers get PR_SET_PDEATHSIG(SIGTERM): if serve itself dies, even by
 * SIGKILL, they stop as on a SIGTERM rather than live on unsupervised.
 *
 * Shutdown: the first SIGTERM/SIGINT is forwarded to every worker (they
 * stop claiming and finish or hand back their scans within the grace);
 * a second one is forwarded too (the workers stop at once).  Workers still
 * alive grace_ms after the first signal are killed with SIGKILL (their
 * scans then come back through lease recovery).
 */
#ifndef SCANQ_SUPERVISOR_H
#define SCANQ_SUPERVISOR_H

#include <stdint.h>

struct store;

#define SUPERVISOR_WORKERS_MAX 64
#define SUPERVISOR_BACKOFF_MAX_MS 30000

struct supervisor_config {
	const char *self;		/* absolute path of the scanq binary */
	const char *db_url;		/* passed to the workers with --db */
	struct store *store;		/* for store_worker_exited() */
	int workers;			/* 1 .. SUPERVISOR_WORKERS_MAX */
	int concurrency;		/* scans per worker */
	int max_scans;			/* per worker before it recycles; 0 = never */
	int stall_ms;			/* pipe silence that counts as a stall */
	int grace_ms;			/* shutdown: SIGKILL after this long */
	char (*names)[16];		/* the workers' names, taken per database
					 * (store_worker_names_take()); NULL: w-1, w-2... */
};

/*
 * Runs until SIGTERM/SIGINT and every worker is gone.  Calls tick(arg)
 * whenever the time it last returned (ms until it is due again) has
 * passed, from the same thread (so the tick may use cfg->store).  Installs
 * its own SIGTERM, SIGINT and SIGCHLD handlers.  Returns 0, or -1 when no
 * worker could be set up at all (errno-level failure, logged).
 */
int supervisor_run(const struct supervisor_config *cfg, int64_t (*tick)(void *arg), void *arg);

#endif
