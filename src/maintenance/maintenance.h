/*
 * maintenance.h — the periodic housekeeping of `scanq serve`: lease
 * recovery every LEASE_RECOVERY_INTERVAL_MS, the repairable stuck categories
 * every [maintenance] stuck_clear_minutes (60), and pruning of finished
 * scans past their retention every [maintenance] prune_hours (24).  Call
 * maintenance_tick() as often as you like; it does each job when it is due.
 *
 * Only one process per database does this work: the maintenance leader
 * (store_leader_take()).  Every `serve` asks at each tick; the leader renews
 * its term, the others wait.  When the leader dies, its term runs out
 * (MAINTENANCE_LEADER_TTL_MS) and another `serve` takes over at its next
 * tick, so the gap is a few seconds.
 */
#ifndef SCANQ_MAINTENANCE_H
#define SCANQ_MAINTENANCE_H

#include "worker/lease.h"

#include <stdint.h>

struct store;

#define MAINTENANCE_PRUNE_INTERVAL_MS (3600 * 1000)
#define MAINTENANCE_PRUNE_BATCHES 100	/* per round: at most 100 x prune_batch scans */
#define MAINTENANCE_LEADER_TTL_MS 6000	/* a leader that stops renewing is replaced after this */

struct maintenance {
	int64_t next_recovery;	/* ms since the epoch; 0 = now */
	int64_t next_prune;
	int64_t next_stuck;	/* the automatic stuck clear ([maintenance] stuck_clear_minutes) */
	char holder[96];	/* this process's name as a leader: host, pid, random */
	int leading;
	struct lease_pause pause;	/* this process's own pauses (lease.h) */
};

/* Names this process for leadership.  Call once before the first tick. */
void maintenance_init(struct maintenance *m);

/* Gives up the leadership at once (clean shutdown), so another process
 * need not wait for the term to run out. */
void maintenance_release(struct maintenance *m, struct store *s);

/*
 * Prunes finished scans by final status: each status older than its
 * [maintenance] keep_<status>_days (0: prune_days), or all older than
 * `days` when days >= 0.  Batches of `batch`, at most max_batches each (0:
 * no limit), a short pause between batches so claims are never held up.
 * deleted[3] gets completed, failed, cancelled.  Returns 0, or -1 with the
 * store's error (what was deleted before it stays deleted).
 */
#define MAINTENANCE_PRUNE_PAUSE_MS 20
int maintenance_prune(struct store *s, int64_t now, int days, int batch, int max_batches,
		      int dry_run, int64_t deleted[3]);

/* Runs the jobs that are due.  Returns the ms until the next one is due. */
int64_t maintenance_tick(struct maintenance *m, struct store *s);

#endif
