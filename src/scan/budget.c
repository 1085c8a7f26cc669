/*
 * budget.c — the token budget a worker feeds its scanner (see budget.h).
 * Tokens are released evenly over what is left of their window: at each
 * look, the part dt / (time left) of what is not yet released is.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "budget.h"

#define RELEASE_EARLY_S 0.01

void budget_init(struct budget *b, int fd)
{
	memset(b, 0, sizeof *b);
	b->fd = fd;
	b->window = -1;
}

int budget_paced_type(const char *type)
{
	return type && (strcmp(type, "portscan") == 0 || strcmp(type, "discovery") == 0);
}

struct budget *budget_get(void)
{
	static struct budget b;
	static int decided, fed;
	const char *v;

	if (!decided) {
		decided = 1;
		v = getenv(BUDGET_ENV);
		if (v && strcmp(v, "stdin") == 0) {
			budget_init(&b, 0);
			fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
			fed = 1;
		}
	}
	return fed ? &b : NULL;
}

/* Releases tokens up to `now`, the last of them RELEASE_EARLY_S before
 * the window ends (so a slice is usable whole); drops them all once the
 * window is over. */
static void release(struct budget *b, double now)
{
	double left = b->expiry - RELEASE_EARLY_S - b->last;

	if (now >= b->expiry) {
		b->avail = b->credit = 0;
	} else if (left <= 0 || now >= b->expiry - RELEASE_EARLY_S) {
		b->credit = b->avail;
	} else if (now > b->last) {
		b->credit += (b->avail - b->credit) * (now - b->last) / left;
	}
	b->last = now;
}

void budget_grant(struct budget *b, long long window, long probes, long ms_left, double now)
{
	if (window < b->window || probes < 0 || ms_left < 0)
		return;
	release(b, now);
	if (window > b->window) {
		b->window = window;
		b->avail = b->credit = 0;
	}
	b->avail += (double)probes;
	b->granted += probes;
	b->expiry = now + (double)ms_left / 1000.0;
	b->last = now;
}

int budget_read(struct budget *b, double now)
{
	char *nl;
	ssize_t n;

	if (b->fd < 0)
		return 0;
	for (;;) {
		n = read(b->fd, b->buf + b->blen, sizeof b->buf - 1 - b->blen);
		if (n == 0) {
			b->fd = -1;
			return -1;
		}
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		b->blen += (size_t)n;
		b->buf[b->blen] = '\0';
		while ((nl = strchr(b->buf, '\n'))) {
			long long w;
			long p, ms;

			*nl = '\0';
			if (sscanf(b->buf, "%lld %ld %ld", &w, &p, &ms) == 3)
				budget_grant(b, w, p, ms, now);
			b->blen -= (size_t)(nl + 1 - b->buf);
			memmove(b->buf, nl + 1, b->blen + 1);
		}
		if (b->blen == sizeof b->buf - 1)
			b->blen = 0;	/* a line longer than any slice: drop it */
	}
}

int budget_take(struct budget *b, double now)
{
	release(b, now);
	if (b->credit < 1)
		return 0;
	b->credit -= 1;
	b->avail -= 1;
	b->spent++;
	return 1;
}
