/*
 * lease.h — lease recovery: the loop step that heals scans whose worker
 * died.  A scan is recovered because its lease expired (its worker stopped
 * renewing it), never because it has run for long.
 */
#ifndef SCANQ_LEASE_H
#define SCANQ_LEASE_H

struct store;

#define LEASE_RECOVERY_INTERVAL_MS 2000	/* how often serve looks for expired leases */

/*
 * Recovers every expired lease once and logs each outcome.  Returns the
 * number of scans recovered or failed, or -1 on a store error (logged).
 */
int lease_recover(struct store *s);

#endif
