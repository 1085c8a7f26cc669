/*
 * scheduler.c — see scheduler.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/bg.h"
#include "core/cron.h"
#include "core/log.h"
#include "maintenance/scheduler.h"
#include "store/store.h"
#include "app/submit.h"
#include "app/workflow.h"

#define SCHEDULER_BATCH 100
/* A scheduler at most this late (a slow database, a busy host) still fires
 * each slot; later than that, the missed slots fire once. */
#define SCHEDULER_CATCHUP_MS 60000

int64_t scheduler_now_ms(void)
{
	const char *t = getenv("SCANQ_TEST_CLOCK");
	long long real0, sim0;
	double speed;
	int64_t now = scan_now_ms();

	if (t && *t && sscanf(t, "%lld,%lld,%lf", &real0, &sim0, &speed) == 3 && speed > 0)
		return (int64_t)sim0 + (int64_t)((double)(now - real0) * speed);
	return now;
}

/* The test clock's parameters, or 0 when none is set. */
static int clock_params(long long *real0, long long *sim0, double *speed)
{
	const char *t = getenv("SCANQ_TEST_CLOCK");

	return t && *t && sscanf(t, "%lld,%lld,%lf", real0, sim0, speed) == 3 && *speed > 0;
}

int64_t scheduler_to_real(int64_t t)
{
	long long real0, sim0;
	double speed;

	return clock_params(&real0, &sim0, &speed)
		? (int64_t)real0 + (int64_t)((double)(t - sim0) / speed) : t;
}

int64_t scheduler_from_real(int64_t t)
{
	long long real0, sim0;
	double speed;

	return clock_params(&real0, &sim0, &speed)
		? (int64_t)sim0 + (int64_t)((double)(t - real0) * speed) : t;
}

static int test_clock(void)
{
	const char *t = getenv("SCANQ_TEST_CLOCK");

	return t && *t;
}

int scheduler_plan(struct schedule *sc, int64_t now, char *err, size_t errlen)
{
	struct cron c;
	char why[160];

	if (cron_parse(sc->cron, &c, why, sizeof why) < 0) {
		snprintf(err, errlen, "invalid cron expression: %s", why);
		return -1;
	}
	if (cron_tz_check(sc->tz, why, sizeof why) < 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if ((sc->next_run_at = cron_next(&c, sc->tz, now)) < 0) {
		snprintf(err, errlen, "cron expression '%s' never fires", sc->cron);
		return -1;
	}
	return 0;
}

int schedule_build(const char *name, const char *cron, const char *tz, const char *overlap,
		   const struct submit_input *scan, int64_t now, struct schedule *out,
		   struct submit_error *err)
{
	size_t n = name ? strlen(name) : 0;
	char why[256];

	memset(out, 0, sizeof *out);
	if (!tz || !*tz)
		tz = "UTC";
	if (!overlap || !*overlap)
		overlap = "skip";
#define REFUSE(c, ...) do { snprintf(err->code, sizeof err->code, "%s", c); \
		snprintf(err->message, sizeof err->message, __VA_ARGS__); goto fail; } while (0)
	if (!n || n >= SCHEDULE_NAME_MAX || strspn(name, "0123456789") == n
	    || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n)
		REFUSE("invalid_name", "schedule name must be 1 to %d of A-Z a-z 0-9 . _ -, not"
		       " all digits", SCHEDULE_NAME_MAX - 1);
	if (!cron || !*cron)
		REFUSE("invalid_cron", "a cron expression is required");
	if (strlen(cron) >= sizeof out->cron)
		REFUSE("invalid_cron", "cron expression longer than %d bytes", CRON_EXPR_MAX);
	if (strlen(tz) >= sizeof out->tz)
		REFUSE("invalid_tz", "time zone name longer than %d bytes", (int)sizeof out->tz - 1);
	if (strcmp(overlap, "skip") && strcmp(overlap, "queue"))
		REFUSE("invalid_overlap", "overlap must be skip or queue, not '%.20s'", overlap);
	snprintf(out->name, sizeof out->name, "%s", name);
	snprintf(out->cron, sizeof out->cron, "%s", cron);
	snprintf(out->tz, sizeof out->tz, "%s", tz);
	snprintf(out->overlap, sizeof out->overlap, "%s", overlap);
	if (scheduler_plan(out, now, why, sizeof why) < 0)
		REFUSE(strstr(why, "cron") ? "invalid_cron" : "invalid_tz", "%s", why);
	if (submit_prepare(scan, &out->targets, &out->options, err) < 0)
		goto fail;
	if (scan->idempotency_key)
		REFUSE("invalid_field", "a schedule takes no idempotency key");
	snprintf(out->type, sizeof out->type, "%s", scan->type);
	out->priority = (int)scan->priority;
	out->max_attempts = (int)scan->max_attempts;
	out->time_limit_s = (int)scan->time_limit_s;
	snprintf(out->pool, sizeof out->pool, "%s", scan->pool && *scan->pool ? scan->pool
										: SCAN_POOL_LOCAL);
	return 0;
#undef REFUSE
fail:
	schedule_release(out);
	return -1;
}

/* The slices a scan of sc is split into, as a submitted scan of the same
 * targets and ports would be (workflow_slices()), as the store takes them;
 * NULL when one scan holds them.  free() it. */
static char *schedule_slices(const struct schedule *sc)
{
	json_t *targets = json_loads(sc->targets ? sc->targets : "[]", 0, NULL);
	json_t *opts = json_loads(sc->options ? sc->options : "{}", 0, NULL);
	char *slices = json_is_array(targets)
		? workflow_slices(targets, json_string_value(json_object_get(opts, "ports"))) : NULL;

	json_decref(targets);
	json_decref(opts);
	return slices;
}

int schedule_run_now(struct store *s, const struct schedule *sc, int64_t *scan_id)
{
	char *slices = schedule_slices(sc);
	int rc = store_schedule_run_now(s, sc, slices, scheduler_now_ms(), scan_id);

	free(slices);
	return rc;
}

/* When an open window holds sc's scans, moves its next firing to the
 * window's end (the latest, if several hold it).  Returns 1 when it did
 * (or another scheduler did), 0 when no window holds it. */
static int held(struct store *s, struct schedule *sc, const struct window *w, size_t nw)
{
	int64_t real = scan_now_ms(), until = 0, next;
	const char *name = "";
	char t[40];

	for (size_t i = 0; i < nw; i++)
		if (window_open(&w[i], real) && w[i].closes_at > until
		    && window_holds(&w[i], sc->pool, sc->targets)) {
			until = w[i].closes_at;
			name = w[i].name;
		}
	if (!until)
		return 0;
	next = scheduler_from_real(until);
	if (store_schedule_defer(s, sc->id, sc->next_run_at, next) != STORE_OK) {
		if (!store_outage(s))
			log_warn("holding a schedule for a maintenance window failed",
				 "schedule=%s error=\"%s\"", sc->name, store_error(s));
		return 1;
	}
	log_info("schedule due inside a maintenance window: it fires when the window closes",
		 "schedule=%s window=%s fires=%s", sc->name, name,
		 scan_format_time(next, t, sizeof t));
	return 1;
}

int scheduler_tick(struct store *s)
{
	struct schedule *due;
	struct window *win = NULL;
	size_t n, nwin = 0;
	int64_t now = scheduler_now_ms();
	int fired = 0;

	if (store_schedules_due(s, now, SCHEDULER_BATCH, &due, &n) != STORE_OK) {
		if (!store_outage(s))	/* an outage is the store's to log */
			log_warn("reading due schedules failed", "error=\"%s\"", store_error(s));
		return -1;
	}
	if (n && store_window_list(s, &win, &nwin) != STORE_OK) {
		if (!store_outage(s))
			log_warn("reading maintenance windows failed", "error=\"%s\"", store_error(s));
		schedule_array_free(due, n);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct schedule *sc = &due[i];
		enum schedule_fired what;
		int64_t old = sc->next_run_at, scan_id = 0;
		char err[256], t1[40], t2[40];

		if (held(s, sc, win, nwin))
			continue;
		/* A short lag (this slot is less than a minute old) loses no slot:
		 * the next is the one after this.  After a downtime (older) the
		 * missed slots fire once, now, and the next is the first slot
		 * after now: planning from a minute ago fired a `* * * * *`
		 * schedule twice within a second (the missed slot, then the one
		 * of the last minute). */
		if (scheduler_plan(sc, old > now - SCHEDULER_CATCHUP_MS ? old : now, err,
				   sizeof err) < 0) {
			log_warn("schedule cannot be planned", "schedule=%s error=\"%s\"", sc->name, err);
			continue;
		}
		{
			int64_t next = sc->next_run_at;
			char *slices = schedule_slices(sc);
			int rc;

			sc->next_run_at = old;
			rc = store_schedule_fire(s, sc, slices, now, next, &what, &scan_id);
			free(slices);
			if (rc != STORE_OK) {
				if (store_outage(s))
					continue;
				log_warn("firing a schedule failed", "schedule=%s error=\"%s\"", sc->name,
					 store_error(s));
				continue;
			}
			if (what == SCHEDULE_FIRED) {
				fired++;
				log_info("schedule fired", "schedule=%s scan=%lld slot=%s next=%s",
					 sc->name, (long long)scan_id, scan_format_time(old, t1, sizeof t1),
					 scan_format_time(next, t2, sizeof t2));
			} else if (what == SCHEDULE_SKIPPED) {
				log_info("schedule skipped: its previous scan is still pending or running",
					 "schedule=%s last_scan=%lld next=%s", sc->name,
					 (long long)sc->last_scan_id, scan_format_time(next, t2, sizeof t2));
			}
		}
	}
	schedule_array_free(due, n);
	free(win);
	return fired;
}

struct scheduler {
	struct bg bg;
	struct store *s;
	int (*round)(struct store *s);
};

static void *run(void *arg)
{
	struct scheduler *sch = arg;
	/* A simulated clock runs fast: look more often. */
	int64_t period = test_clock() ? 100 : 1000;

	while (!bg_wait(&sch->bg, 0)) {
		if (sch->round)
			sch->round(sch->s);
		scheduler_tick(sch->s);
		bg_wait(&sch->bg, period);
	}
	return NULL;
}

struct scheduler *scheduler_start(const char *db_url, int (*round)(struct store *s), char *err,
				   size_t errlen)
{
	struct scheduler *sch = calloc(1, sizeof *sch);

	if (!sch) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	sch->round = round;
	if (!(sch->s = store_open_flags(db_url, STORE_NO_MIGRATE, err, errlen))) {
		free(sch);
		return NULL;
	}
	if (bg_start(&sch->bg, run, sch) < 0) {
		snprintf(err, errlen, "cannot start the scheduler thread");
		store_close(sch->s);
		free(sch);
		return NULL;
	}
	return sch;
}

void scheduler_stop(struct scheduler *sch)
{
	if (!sch)
		return;
	bg_stop(&sch->bg);
	store_close(sch->s);
	bg_release(&sch->bg);
	free(sch);
}
