/*
 * backoff.c — exponential backoff with jitter (see backoff.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include "core/backoff.h"

int64_t backoff_failed(struct backoff *b, int64_t now)
{
	int max = b->max_ms > 0 ? b->max_ms : BACKOFF_MAX_MS, wait;

	if (!b->seed)
		b->seed = (unsigned)getpid() ^ (unsigned)now ^ (unsigned)(uintptr_t)b;
	b->delay_ms = b->delay_ms ? b->delay_ms * 2 : BACKOFF_MIN_MS;
	if (b->delay_ms > max)
		b->delay_ms = max;
	/* 75..100 % of the delay */
	wait = b->delay_ms - (int)(rand_r(&b->seed) % (unsigned)(b->delay_ms / 4 + 1));
	b->next_ms = now + wait;
	return b->next_ms;
}

void backoff_reset(struct backoff *b)
{
	b->delay_ms = 0;
	b->next_ms = 0;
}

int64_t backoff_wait_ms(const struct backoff *b, int64_t now)
{
	return b->next_ms > now ? b->next_ms - now : 0;
}
