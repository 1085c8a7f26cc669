/*
 * maintenance.c — see maintenance.h.  Pruning runs in bounded rounds of
 * short transactions, so a large backlog of old scans never holds the
 * database lock for long; what is left is pruned in the next round.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include "core/config.h"
#include "worker/lease.h"
#include "core/log.h"
#include "maintenance/maintenance.h"
#include "store/store.h"

int maintenance_prune(struct store *s, int64_t now, int days, int batch, int max_batches,
		      int dry_run, int64_t deleted[3])
{
	static const enum scan_status finals[3] = { SCAN_COMPLETED, SCAN_FAILED, SCAN_CANCELLED };
	const int keep[3] = { config.keep_completed_days, config.keep_failed_days,
			      config.keep_cancelled_days };

	for (int i = 0; i < 3; i++) {
		int d = days >= 0 ? days : keep[i] ? keep[i] : config.prune_days;

		deleted[i] = 0;
		if (store_prune_status(s, finals[i], now - (int64_t)d * 86400000, batch, max_batches,
				       MAINTENANCE_PRUNE_PAUSE_MS, dry_run, &deleted[i]) != STORE_OK)
			return -1;
	}
	return 0;
}

static void prune(struct store *s, int64_t now)
{
	int64_t d[3] = { 0, 0, 0 }, deleted = 0;

	if (maintenance_prune(s, now, -1, config.prune_batch, MAINTENANCE_PRUNE_BATCHES, 0, d) < 0) {
		if (store_outage(s))	/* the store's to log */
			return;
		log_warn("pruning failed", "error=\"%s\" completed=%lld failed=%lld cancelled=%lld",
			 store_error(s), (long long)d[0], (long long)d[1], (long long)d[2]);
		return;
	}
	if (d[0] + d[1] + d[2]) {
		log_info("old finished scans pruned", "deleted=%lld completed=%lld failed=%lld "
			 "cancelled=%lld older_than_days=%d", (long long)(d[0] + d[1] + d[2]),
			 (long long)d[0], (long long)d[1], (long long)d[2], config.prune_days);
		if (store_audit(s, "maintenance", "prune", 0, "automatic") != STORE_OK)
			log_warn("audit failed", "error=\"%s\"", store_error(s));
	}
	if (store_worker_prune(s, (int64_t)config.worker_keep_hours * 3600000, &deleted) != STORE_OK) {
		if (!store_outage(s))
			log_warn("pruning workers failed", "error=\"%s\"", store_error(s));
	} else if (deleted)
		log_info("stopped workers pruned", "deleted=%lld older_than_hours=%d",
			 (long long)deleted, config.worker_keep_hours);
}

/* The automatic stuck clear: the categories marked automatic, logged with
 * a count per category. */
static void stuck_clear(struct store *s)
{
	int counts[32] = { 0 }, ncat;
	const struct stuck_category *cat = store_stuck_categories(&ncat);
	struct stuck_change *ch = NULL;
	int64_t total = 0;
	size_t n = 0;
	char what[512] = "";

	if (store_stuck_clear(s, (int64_t)config.stuck_hours * 3600000, STUCK_CLEAR_AUTOMATIC,
			      "maintenance", &ch, &n, &total) != STORE_OK && !store_outage(s))
		log_warn("stuck clear failed", "error=\"%s\" changed=%lld", store_error(s),
			 (long long)total);
	for (size_t i = 0; i < n; i++)
		if (ch[i].category >= 0 && ch[i].category < 32)
			counts[ch[i].category]++;
	for (int i = 0; i < ncat && i < 32; i++)
		if (counts[i])
			snprintf(what + strlen(what), sizeof what - strlen(what), " %s=%d",
				 cat[i].name, counts[i]);
	if (total)
		log_info("stuck scans repaired", "changed=%lld%s", (long long)total, what);
	free(ch);
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

/* Acceptances of findings past their expiry become reopened (readers see
 * them so already; this makes the stored state agree).  One indexed
 * statement, at the lease recovery's cadence. */
static void expire_acceptances(struct store *s)
{
	int64_t n = 0;

	if (store_finding_states_expire(s, &n) != STORE_OK)
		log_warn("expiring accepted findings failed", "error=\"%s\"", store_error(s));
	else if (n)
		log_info("accepted findings expired, reopened", "count=%lld", (long long)n);
}

static int64_t earliest(const struct maintenance *m)
{
	int64_t t = m->next_recovery < m->next_prune ? m->next_recovery : m->next_prune;

	return m->next_stuck < t ? m->next_stuck : t;
}

int64_t maintenance_tick(struct maintenance *m, struct store *s)
{
	int64_t now = scan_now_ms(), next;

	lease_pause_round(&m->pause, s);
	if (now < m->next_recovery && now < m->next_prune && now < m->next_stuck)
		return lease_pause_sleep(&m->pause, earliest(m) - now);
	if (!m->holder[0])
		maintenance_init(m);
	if (!lead(m, s)) {
		m->next_recovery = now + LEASE_RECOVERY_INTERVAL_MS;
		return lease_pause_sleep(&m->pause, LEASE_RECOVERY_INTERVAL_MS);
	}

	if (now >= m->next_recovery) {
		lease_recover(s, &m->pause);
		expire_acceptances(s);
		m->next_recovery = now + LEASE_RECOVERY_INTERVAL_MS;
	}
	if (now >= m->next_prune) {
		if (config.prune_hours)
			prune(s, now);
		if (store_dashboard_fold(s, now) != STORE_OK && !store_outage(s))
			log_warn("folding the dashboard's rollups failed", "error=\"%s\"", store_error(s));
		m->next_prune = now + (config.prune_hours ? (int64_t)config.prune_hours * 3600000
				       : MAINTENANCE_PRUNE_INTERVAL_MS);
	}
	if (now >= m->next_stuck) {
		if (config.stuck_clear_minutes)
			stuck_clear(s);
		m->next_stuck = now + (config.stuck_clear_minutes
				       ? (int64_t)config.stuck_clear_minutes * 60000
				       : MAINTENANCE_PRUNE_INTERVAL_MS);
	}
	next = earliest(m);
	return lease_pause_sleep(&m->pause, next > now ? next - now : 0);
}
