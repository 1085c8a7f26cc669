/*
 * maintenance.h — the periodic housekeeping of `scanq serve`: lease
 * recovery every LEASE_RECOVERY_INTERVAL_MS, and pruning of finished scans
 * older than [maintenance] prune_days once an hour.  Call
 * maintenance_tick() as often as you like; it does each job when it is due.
 */
#ifndef SCANQ_MAINTENANCE_H
#define SCANQ_MAINTENANCE_H

#include <stdint.h>

struct store;

#define MAINTENANCE_PRUNE_INTERVAL_MS (3600 * 1000)
#define MAINTENANCE_PRUNE_BATCHES 100	/* per round: at most 100 x prune_batch scans */

struct maintenance {
	int64_t next_recovery;	/* ms since the epoch; 0 = now */
	int64_t next_prune;
};

/* Runs the jobs that are due.  Returns the ms until the next one is due. */
int64_t maintenance_tick(struct maintenance *m, struct store *s);

#endif
