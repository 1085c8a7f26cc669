/*
 * lease.h — lease recovery: the loop step that heals scans whose worker
 * died.  A scan is recovered because its lease expired (its worker stopped
 * renewing it), never because it has run for long.
 */
#ifndef SCANQ_LEASE_H
#define SCANQ_LEASE_H

#include <stdint.h>

struct store;

#define LEASE_RECOVERY_INTERVAL_MS 2000	/* how often serve looks for expired leases */

/*
 * A loop that recovers leases watches for its own pauses: when a round
 * starts far later than the previous round's sleep explains (more than
 * STORE_PAUSE_MS), this process was stopped or its machine paused, and the
 * workers whose leases it judges may have been paused with it.  The pause
 * then counts as an outage of the store handle (store_note_pause()), made
 * up to every lease before the next recovery.  A pause that lands after
 * the last look, inside the recovery itself, the store catches
 * (store_recover_leases()).
 */

struct lease_pause {
	int64_t round_at;	/* monotonic ms when the last round began, 0 = none yet */
	int64_t sleep_ms;	/* how long that round meant to sleep afterwards */
};

/* At the start of every round of the loop. */
void lease_pause_round(struct lease_pause *p, struct store *s);

/*
 * Recovers every expired lease once and logs each outcome.  It first
 * checks `p` for a pause once more: a pause may land anywhere in a round,
 * and this round's own store calls may be what it interrupted.  Returns
 * the number of scans recovered or failed, or -1 on a store error (logged).
 */
int lease_recover(struct store *s, struct lease_pause *p);

/* Before the loop sleeps (or returns a wait to its caller). */
static inline int64_t lease_pause_sleep(struct lease_pause *p, int64_t ms)
{
	p->sleep_ms = ms;
	return ms;
}

#endif
