/*
 * backoff.h — the one retry rule of scanq: after a failure, wait 100 ms,
 * then twice as long after each further failure, up to a cap (1 s unless
 * the caller sets another), each wait shortened by up to a quarter at
 * random so that processes that lost the database together do not come
 * back in step.  A success resets it.  Plain data, one per retry loop; not
 * thread-safe on its own (store/db.c guards the process-wide one).
 */
#ifndef SCANQ_BACKOFF_H
#define SCANQ_BACKOFF_H

#include <stdint.h>

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 1000

struct backoff {
	int max_ms;		/* the cap; 0 means BACKOFF_MAX_MS */
	int delay_ms;		/* the last wait before jitter; 0 after a success */
	int64_t next_ms;	/* monotonic: no attempt before this (0: go) */
	unsigned seed;		/* the jitter's own random state */
};

/* A failure at monotonic time `now`: sets and returns the time of the next
 * attempt. */
int64_t backoff_failed(struct backoff *b, int64_t now);

/* A success: the next failure waits BACKOFF_MIN_MS again. */
void backoff_reset(struct backoff *b);

/* Milliseconds until an attempt may be made at `now` (0: now). */
int64_t backoff_wait_ms(const struct backoff *b, int64_t now);

#endif
