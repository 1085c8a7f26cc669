/*
 * queue.h — the one way a scan row goes into the queue (queue.c), for the
 * core's files that queue scans inside a transaction of their own (flow.c:
 * follow-up stages, split scans and their shards; schedule.c through it).
 * Callers outside the store use store_submit*() (store.h).
 */
#ifndef SCANQ_STORE_QUEUE_H
#define SCANQ_STORE_QUEUE_H

#include "store/db.h"

/* One scan row to queue.  Strings are borrowed for the call. */
struct queue_row {
	const char *type, *targets, *options;	/* targets and options: JSON text */
	int priority, max_attempts, time_limit_s;
	int64_t parent;				/* the scan it follows or is a shard of; 0: none */
	int flow;				/* SCAN_FLOW_* bits */
	const char *status;			/* "pending" (NULL), or "running" for a split parent */
	const char *key;			/* idempotency key, or NULL / "" */
	const char *pool;			/* NULL: the parent's pool, or "local" */
};

/*
 * The span of a scan's addresses, which maintenance windows with targets
 * are matched against (DB_WINDOW_HOLDS in db.h): the lowest and the
 * highest address of the address forms among `targets` (a JSON array of
 * specs), each as 32 lower-case hex digits of its 128-bit number (IPv4 as
 * ::ffff:a.b.c.d, as targets.h numbers it), so text order is number order.
 * Hostnames have no address before resolution and add nothing.  Returns
 * 1 with lo and hi set, or 0 when the targets hold no address.
 */
#define QUEUE_SPAN_HEX 33
int queue_span(const char *targets, char lo[QUEUE_SPAN_HEX], char hi[QUEUE_SPAN_HEX]);

/* A 128-bit address number as queue_span() writes it. */
void queue_hex(unsigned __int128 v, char out[QUEUE_SPAN_HEX]);

/*
 * Inserts r with its timeline event (from nothing to r's status, `reason`)
 * inside the caller's write transaction.  *id gets the new scan's id, or 0
 * when r's idempotency key was taken (nothing written; STORE_OK).  Counts
 * nothing and wakes no one: the caller bumps "submitted" and notifies once
 * for its batch.  Returns a store rc.
 */
int queue_insert(struct store *s, const struct queue_row *r, const char *reason, int64_t *id);

/*
 * After queue_insert() of request r: a new keyed scan (*id set) keeps r's
 * hash; a taken key (*id 0) gets the scan that took it in *id and
 * *existed 1, or STORE_KEY_REUSED when that scan was queued by a
 * different request (existed may be NULL).  Nothing for a request without
 * a key.  Inside the caller's transaction; returns a store rc.
 */
int queue_keyed(struct store *s, const struct scan_request *r, int64_t *id, int *existed);

#endif
