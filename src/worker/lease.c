/*
 * lease.c — one round of lease recovery (see lease.h), with its log lines.
 * The decisions (back to pending, cancelled or failed with worker_lost) are
 * the store's, made in one transaction with the timeline events.
 */
#include "core/clock.h"
#include "worker/lease.h"
#include "core/log.h"
#include "store/store.h"

/* A round that began far later than the previous one's sleep explains: the
 * pause counts as an outage of the store handle, once.  Returns the time
 * up to which pauses are counted. */
static int64_t pause_check(struct lease_pause *p, struct store *s)
{
	int64_t now = clock_mono_ms(), late = now - p->round_at - p->sleep_ms;

	if (p->round_at && late > STORE_PAUSE_MS) {
		store_note_pause(s, late);
		p->round_at += late;	/* counted once */
	}
	return now;
}

int lease_recover(struct store *s, struct lease_pause *p)
{
	int recovered = 0, failed = 0, rc;

	/* A pause after this check, up to the moment the store reads the
	 * expired leases, the store catches itself (store.h). */
	rc = store_recover_leases(s, pause_check(p, s), &recovered, &failed);
	if (rc != STORE_OK) {
		if (!store_outage(s))	/* an outage is the store's to log */
			log_warn("lease recovery failed", "error=\"%s\"", store_error(s));
		return -1;
	}
	if (recovered || failed)
		log_info("expired leases recovered", "pending=%d failed=%d", recovered, failed);
	return recovered + failed;
}

void lease_pause_round(struct lease_pause *p, struct store *s)
{
	pause_check(p, s);
	p->round_at = clock_mono_ms();
	p->sleep_ms = 0;
}
