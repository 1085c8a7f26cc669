/*
 * maintenance.c — see maintenance.h.  Pruning runs in bounded rounds of
 * short transactions, so a large backlog of old scans never holds the
 * database lock for long; what is left is pruned in the next round.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include "config.h"
#include "lease.h"
#include "log.h"
#include "maintenance.h"
#include "store/store.h"

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
	deleted = 0;
	if (store_worker_prune(s, (int64_t)config.worker_keep_hours * 3600000, &deleted) != STORE_OK)
		log_warn("pruning workers failed", "error=\"%s\"", store_error(s));
	else if (deleted)
		log_info("stopped workers pruned", "deleted=%lld older_than_hours=%d",
			 (long long)deleted, config.worker_keep_hours);
}

void maintenance_init(struct maintenance *m)
{
	char host[64] = "?";
	unsigned r = 0;

	memset(m, 0, sizeof *m);
	gethostname(host, sizeof host - 1);
	if (getrandom(&r, sizeof r, 0) != sizeof r)
		r = (unsigned)getpid();
	snprintf(m->holder, sizeof m->holder, "%.60s:%d:%08x", host, (int)getpid(), r);
}

void maintenance_release(struct maintenance *m, struct store *s)
{
	if (m->leading && store_leader_drop(s, m->holder) == STORE_OK)
		log_info("maintenance leadership given up", "holder=%s", m->holder);
	m->leading = 0;
}

/* Takes or renews the leadership; logs each change.  Returns 1 if leading. */
static int lead(struct maintenance *m, struct store *s)
{
	int rc = store_leader_take(s, m->holder, MAINTENANCE_LEADER_TTL_MS);

	if (rc < 0) {
		/* Cut off: whoever leads cannot be known; stop until we can renew. */
		if (m->leading)
			log_warn("maintenance leadership unknown", "holder=%s error=\"%s\"",
				 m->holder, store_error(s));
		m->leading = 0;
		return 0;
	}
	if (rc != m->leading)
		log_info(rc ? "maintenance leader now" : "maintenance leadership lost",
			 "holder=%s", m->holder);
	m->leading = rc;
	return rc;
}

int64_t maintenance_tick(struct maintenance *m, struct store *s)
{
	int64_t now = scan_now_ms(), next;

	if (now < m->next_recovery && now < m->next_prune)
		return (m->next_recovery < m->next_prune ? m->next_recovery : m->next_prune) - now;
	if (!m->holder[0])
		maintenance_init(m);
	if (!lead(m, s)) {
		m->next_recovery = now + LEASE_RECOVERY_INTERVAL_MS;
		return LEASE_RECOVERY_INTERVAL_MS;
	}

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
