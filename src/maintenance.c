/*
 * maintenance.c — see maintenance.h.  Pruning runs in bounded rounds of
 * short transactions, so a large backlog of old scans never holds the
 * database lock for long; what is left is pruned in the next round.
 */
#include "config.h"
#include "lease.h"
#include "log.h"
#include "maintenance.h"
#include "store.h"

static void prune(struct store *s, int64_t now)
{
	int64_t deleted = 0;

	if (store_prune(s, now - (int64_t)config.prune_days * 86400000, config.prune_batch,
			MAINTENANCE_PRUNE_BATCHES, 0, &deleted) != STORE_OK) {
		log_warn("pruning failed", "error=\"%s\" deleted=%lld", store_error(s),
			 (long long)deleted);
		return;
	}
	if (deleted)
		log_info("old finished scans pruned", "deleted=%lld older_than_days=%d",
			 (long long)deleted, config.prune_days);
}

int64_t maintenance_tick(struct maintenance *m, struct store *s)
{
	int64_t now = scan_now_ms(), next;

	if (now >= m->next_recovery) {
		lease_recover(s);
		m->next_recovery = now + LEASE_RECOVERY_INTERVAL_MS;
	}
	if (now >= m->next_prune) {
		prune(s, now);
		m->next_prune = now + MAINTENANCE_PRUNE_INTERVAL_MS;
	}
	next = m->next_recovery < m->next_prune ? m->next_recovery : m->next_prune;
	return next > now ? next - now : 0;
}
