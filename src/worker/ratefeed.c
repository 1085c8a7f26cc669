/*
 * ratefeed.c — feeding a capped scan's child its slices (see ratefeed.h).
 * The first slice is taken before the child exists and kept until it
 * does, so a capped scan starts with tokens and an uncapped one costs one
 * store call and nothing after.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "core/clock.h"
#include "core/log.h"
#include "budget.h"
#include "worker/ratefeed.h"

#define SLICE_MS (1000 / STORE_RATE_SLICES)

/* The scan's own `rate` option (0: none). */
static long scan_rate(const struct scan *sc)
{
	json_t *o = json_loads(sc->options && *sc->options ? sc->options : "{}", 0, NULL);
	json_t *r = json_object_get(o, "rate");
	long v = json_is_integer(r) && json_integer_value(r) > 0 ? (long)json_integer_value(r) : 0;

	json_decref(o);
	return v;
}

/* Writes a slice to the child; drops it when the pipe is full. */
static void feed(struct ratefeed *rf, const struct rate_grant *g)
{
	char line[96];
	int n = snprintf(line, sizeof line, "%lld %ld %ld\n", g->window, g->probes, g->ms_left);

	if (rf->fd >= 0 && write(rf->fd, line, (size_t)n) == n)
		rf->taken += g->probes;
}

/* When to ask next: a slice's time, or just after the window ends when
 * that comes first, so a new second's first slice is not late. */
static int64_t next_at(int64_t now, const struct rate_grant *g)
{
	int64_t at = now + SLICE_MS;

	if (g && g->ms_left + 2 < SLICE_MS)
		at = now + g->ms_left + 2;
	return at;
}

int ratefeed_open(struct ratefeed *rf, struct source *src, const struct scan *sc,
		  int *child_fd, const char *worker)
{
	long rate = scan_rate(sc);
	int p[2];

	memset(rf, 0, sizeof *rf);
	rf->fd = -1;
	*child_fd = -1;
	if (!src->ops->rate_take || !budget_paced_type(sc->type))
		return 0;	/* a type that is not paced takes no slices it would waste */
	/* The first ask takes one probe: it says whether a cap applies and
	 * which, and so how large a slice is. */
	if (src->ops->rate_take(src, sc, 1, &rf->last) != STORE_OK) {
		log_warn("cannot read the rate caps, handing the scan back", "scan=%lld worker=%s"
			 " error=\"%s\"", (long long)sc->id, worker, src->ops->error(src));
		return -1;
	}
	if (!rf->last.capped)
		return 0;
	rf->slice = rf->last.cap;
	if (rate > 0 && rate < rf->slice)
		rf->slice = rate;
	rf->slice = (rf->slice + STORE_RATE_SLICES - 1) / STORE_RATE_SLICES;
	if (pipe2(p, O_CLOEXEC) < 0) {
		log_warn("cannot make a pipe for the rate cap", "scan=%lld worker=%s error=\"%s\"",
			 (long long)sc->id, worker, strerror(errno));
		return -1;
	}
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	rf->fd = p[1];
	*child_fd = p[0];
	log_info("scan under a rate cap", "scan=%lld worker=%s cap=%ld slice=%ld", (long long)sc->id,
		 worker, rf->last.cap, rf->slice);
	return 1;
}

int ratefeed_spawn(struct ratefeed *rf, struct source *src, const struct scan *sc,
		   const char *worker, char **base, char **env, struct spawn_opts *so, int *fd)
{
	static char feed_env[] = BUDGET_ENV "=stdin";
	int r = ratefeed_open(rf, src, sc, fd, worker), n = 0;

	so->env = base;
	if (r <= 0)
		return r;
	while (base[n] && n < SPAWN_ENV_MAX - 1) {
		env[n] = base[n];
		n++;
	}
	env[n++] = feed_env;
	env[n] = NULL;
	so->env = env;
	so->stdin_fd = *fd;
	return 0;
}

void ratefeed_started(struct ratefeed *rf, int *child_fd)
{
	if (*child_fd >= 0)
		close(*child_fd);
	*child_fd = -1;
	if (rf->fd < 0)
		return;
	feed(rf, &rf->last);	/* the one probe the first ask took */
	rf->next_ms = rf->asked_ms = clock_mono_ms();	/* the first real slice at once */
	rf->owed_ms = SLICE_MS;
}

/* What to ask for at now_ms: the slices of the time since the last ask,
 * at least one and at most RATEFEED_CATCH_UP.  What is left over is kept
 * (owed_ms), so asks that each come 15 ms late (7 a second was measured at
 * a load average of 25) still add up to eight slices a second. */
static long want_now(struct ratefeed *rf, int64_t now_ms)
{
	int64_t due;

	rf->owed_ms += now_ms - rf->asked_ms;
	rf->asked_ms = now_ms;
	due = rf->owed_ms / SLICE_MS;
	if (due < 1)
		due = 1;		/* asked early (a new second): one, owed back */
	if (due > RATEFEED_CATCH_UP)
		due = RATEFEED_CATCH_UP;
	rf->owed_ms -= due * SLICE_MS;
	if (rf->owed_ms < -SLICE_MS)
		rf->owed_ms = -SLICE_MS;	/* early asks owe at most a slice */
	if (rf->owed_ms > SLICE_MS)
		rf->owed_ms = SLICE_MS;		/* a stall past the catch-up is lost */
	return rf->slice * (long)due;
}

void ratefeed_step(struct ratefeed *rf, struct source *src, const struct scan *sc,
		   int64_t now_ms)
{
	struct rate_grant g;
	long want;

	if (rf->fd < 0 || now_ms < rf->next_ms)
		return;
	rf->next_ms = now_ms + SLICE_MS;
	want = want_now(rf, now_ms);
	if (src->ops->rate_take(src, sc, want, &g) != STORE_OK)
		return;		/* no answer: no tokens; again at the next slice */
	if (!g.capped) {
		/* The cap was removed while the scan runs: it goes on at the
		 * old cap's pace (a slice per slice time) until it ends. */
		g = rf->last;
		g.probes = want;
		g.ms_left = SLICE_MS;
	} else {
		rf->last = g;
		rf->next_ms = next_at(now_ms, &g);
	}
	feed(rf, &g);
}

int64_t ratefeed_next(const struct ratefeed *rf)
{
	return rf->fd >= 0 ? rf->next_ms : 0;
}

void ratefeed_close(struct ratefeed *rf)
{
	if (rf->fd >= 0)
		close(rf->fd);
	rf->fd = -1;
}
