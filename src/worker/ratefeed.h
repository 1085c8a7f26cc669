/*
 * ratefeed.h — the worker's side of a capped scan's budget (ratefeed.c):
 * it takes slices of the networks' budgets from its source (the store, or
 * the server for an agent) and writes them to the child's stdin, in the
 * line format of scan/budget.h.
 *
 * Every running scan under a cap asks for a slice STORE_RATE_SLICES times
 * a second (and at the start of each second of the database's clock), a
 * slice being 1/STORE_RATE_SLICES of the smaller of the cap and the scan's
 * own `rate`; the store grants what is left.  So the scans of one network
 * share its cap whichever worker, agent or host runs them, and a scan that
 * finished or died stops asking.  A worker that asks late (its loop held
 * up on a loaded host: 2 to 5 asks a second were seen at a load average
 * of 20, about one at 25) asks for the slices of the time since its last
 * ask, up to a second's (RATEFEED_CATCH_UP), so a scan alone in its
 * network still gets the whole cap while its worker asks at least once a
 * second; asking a slice at a time, it got half or less, as if a dead
 * worker's share had never come back.  What an ask leaves over (asks
 * that each come 15 ms late) is carried to the next.  The store grants at most the cap
 * of each second either way (a span of N seconds not aligned to them may
 * hold up to N + 1 caps' worth, as it always could at the edges).  A
 * slice that cannot be taken (an outage) is not written: the child waits
 * for tokens, it never runs unpaced.
 * Only the types budget_paced_type() names are fed; the others run at
 * their own pace (README, "Not built yet").
 */
#ifndef SCANQ_WORKER_RATEFEED_H
#define SCANQ_WORKER_RATEFEED_H

#include <stdint.h>
#include "store/store.h"
#include "worker/source.h"
#include "worker/spawn.h"

#define RATEFEED_CATCH_UP STORE_RATE_SLICES	/* most slices one late ask takes: a second's */

struct ratefeed {
	int fd;			/* the pipe to the child's stdin; -1: not capped */
	long slice;		/* probes asked for each time */
	int64_t next_ms;	/* monotonic ms of the next slice */
	int64_t asked_ms;	/* monotonic ms of the last ask */
	int64_t owed_ms;	/* time since then not yet asked for (may be < 0) */
	long long taken;	/* probes granted in all, for the log */
	struct rate_grant last;	/* the last slice taken */
};

/*
 * Decides whether scan sc is capped, by taking its first slice.  Returns
 * 0 with rf->fd -1 when no cap applies; 1 when one does, with the read
 * end of a new pipe in *child_fd (hand it to spawn_opts.stdin_fd, then
 * ratefeed_started()); -1 when the source could not answer (logged; the
 * scan should be handed back rather than run unpaced).
 */
int ratefeed_open(struct ratefeed *rf, struct source *src, const struct scan *sc,
		  int *child_fd, const char *worker);

/*
 * ratefeed_open() for a child about to be spawned with *so: an uncapped
 * scan keeps so->env = base; a capped one gets env (room for
 * SPAWN_ENV_MAX + 2), base with BUDGET_ENV=stdin added, and the pipe's
 * read end in *fd and so->stdin_fd.  Returns 0, or -1 as ratefeed_open().
 */
int ratefeed_spawn(struct ratefeed *rf, struct source *src, const struct scan *sc,
		   const char *worker, char **base, char **env, struct spawn_opts *so, int *fd);

/* After the child started (or failed to): closes *child_fd and writes
 * the first slice. */
void ratefeed_started(struct ratefeed *rf, int *child_fd);

/* Takes and writes the next slice when it is due (never blocks on the
 * pipe: a slice the pipe has no room for is dropped). */
void ratefeed_step(struct ratefeed *rf, struct source *src, const struct scan *sc,
		   int64_t now_ms);

/* When the next slice is due (monotonic ms), or 0 when not capped. */
int64_t ratefeed_next(const struct ratefeed *rf);

/* Closes the pipe; a no-op when not capped.  Safe to call twice. */
void ratefeed_close(struct ratefeed *rf);

#endif
