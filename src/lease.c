/*
 * lease.c — one round of lease recovery (see lease.h), with its log lines.
 * The decisions (back to pending, cancelled or failed with worker_lost) are
 * the store's, made in one transaction with the timeline events.
 */
#include "clock.h"
#include "lease.h"
#include "log.h"
#include "store/store.h"

/* A round that began far later than the previous one's sleep explains: the
 * pause counts as an outage of the store handle, once. */
static void pause_check(struct lease_pause *p, struct store *s)
{
	int64_t late = clock_mono_ms() - p->round_at - p->sleep_ms;

	if (p->round_at && late > LEASE_PAUSE_MS) {
		store_note_pause(s, late);
		p->round_at += late;	/* counted once */
	}
}

int lease_recover(struct store *s, struct lease_pause *p)
{
	int recovered = 0, failed = 0, rc;

	pause_check(p, s);
	rc = store_recover_leases(s, &recovered, &failed);
	if (rc != STORE_OK) {
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
