/*
 * window.c — see window.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "core/config.h"
#include "core/cron.h"
#include "core/log.h"
#include "core/num.h"
#include "maintenance/scheduler.h"
#include "maintenance/window.h"
#include "store/store.h"
#include "targets.h"

/* The overlap walk's bound: occurrences looked at per pair. */
#define OVERLAP_STEPS 50000

int64_t window_parse_duration(const char *text)
{
	long long ms = num_parse_duration_ms(text);

	return ms > WINDOW_DURATION_MAX_MS ? -1 : ms;
}

/* The first occurrence of w that ends after `now` (scheduler's clock):
 * its start, or -1. */
static int64_t occurrence(const struct cron *c, const struct window *w, int64_t now)
{
	return cron_next(c, w->tz, now - w->duration_ms);
}

int window_plan(struct window *w, char *err, size_t errlen)
{
	struct cron c;
	char why[160];
	int64_t start;

	if (cron_parse(w->cron, &c, why, sizeof why) < 0) {
		snprintf(err, errlen, "invalid cron expression: %s", why);
		return -1;
	}
	if (cron_tz_check(w->tz, why, sizeof why) < 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if ((start = occurrence(&c, w, scheduler_now_ms())) < 0) {
		snprintf(err, errlen, "cron expression '%s' never fires", w->cron);
		return -1;
	}
	w->opens_at = scheduler_to_real(start);
	w->closes_at = scheduler_to_real(start + w->duration_ms);
	return 0;
}

int window_overlap(const struct window *a, const struct window *b, char *why, size_t len)
{
	struct cron ca, cb;
	char e[160], t[40];
	int64_t now = scheduler_now_ms(), horizon = now + WINDOW_OVERLAP_DAYS * 86400000LL;
	int64_t sa, sb;

	if (cron_parse(a->cron, &ca, e, sizeof e) < 0 || cron_parse(b->cron, &cb, e, sizeof e) < 0)
		return 0;
	sa = occurrence(&ca, a, now);
	sb = occurrence(&cb, b, now);
	/* Walk both sequences of occurrences in time order, stepping the one
	 * that ends first, until one shares an instant with the other. */
	for (int i = 0; i < OVERLAP_STEPS && sa >= 0 && sb >= 0; i++) {
		if (sa >= horizon || sb >= horizon)
			return 0;
		if (sa < sb + b->duration_ms && sb < sa + a->duration_ms) {
			snprintf(why, len, "both are open at %s", scan_format_time(
				scheduler_to_real(sa > sb ? sa : sb), t, sizeof t));
			return 1;
		}
		if (sa + a->duration_ms <= sb + b->duration_ms)
			sa = cron_next(&ca, a->tz, sa);
		else
			sb = cron_next(&cb, b->tz, sb);
	}
	return 0;
}

/* Reads a target list into out ("a/n,b/m", no spaces).  Returns 0 or -1
 * with a message. */
static int read_targets(const char *in, char *out, size_t outlen, char *msg, size_t msglen)
{
	char buf[STORE_WINDOW_TARGETS_MAX + 1], *save = NULL, *tok;
	size_t used = 0;
	int n = 0;

	out[0] = '\0';
	if (strlen(in) > STORE_WINDOW_TARGETS_MAX) {
		snprintf(msg, msglen, "targets are at most %d bytes", STORE_WINDOW_TARGETS_MAX);
		return -1;
	}
	snprintf(buf, sizeof buf, "%s", in);
	for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (targets_classify(tok, NULL, NULL) != 1 || strchr(tok, '-')) {
			snprintf(msg, msglen, "'%.60s' is not a CIDR block or an address", tok);
			return -1;
		}
		if (++n > STORE_WINDOW_RANGES_MAX) {
			snprintf(msg, msglen, "a window names at most %d blocks", STORE_WINDOW_RANGES_MAX);
			return -1;
		}
		used += (size_t)snprintf(out + used, outlen - used, "%s%s", n > 1 ? "," : "", tok);
	}
	if (!n) {
		snprintf(msg, msglen, "--targets names no CIDR block");
		return -1;
	}
	return 0;
}

int window_build(const char *name, const char *cron, const char *tz, const char *duration,
		 const char *pool, const char *targets, const char *running, const char *actor,
		 struct window *out, char *code, size_t codelen, char *msg, size_t msglen)
{
	size_t n = name ? strlen(name) : 0;
	struct cron c;
	char why[200];

	memset(out, 0, sizeof *out);
#define REFUSE(k, ...) do { snprintf(code, codelen, "%s", k); \
		snprintf(msg, msglen, __VA_ARGS__); return -1; } while (0)
	if (!n || n >= sizeof out->name || strspn(name, "0123456789") == n
	    || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n)
		REFUSE("invalid_name", "window name must be 1 to %d of A-Z a-z 0-9 . _ -, not all"
		       " digits", (int)sizeof out->name - 1);
	if (!cron || !*cron)
		REFUSE("invalid_cron", "a cron expression is required (--cron)");
	if (strlen(cron) > CRON_EXPR_MAX)
		REFUSE("invalid_cron", "cron expression longer than %d bytes", CRON_EXPR_MAX);
	if (cron_parse(cron, &c, why, sizeof why) < 0)
		REFUSE("invalid_cron", "invalid cron expression: %s", why);
	if (!tz || !*tz)
		tz = "UTC";
	if (strlen(tz) >= sizeof out->tz || cron_tz_check(tz, why, sizeof why) < 0)
		REFUSE("invalid_tz", "unknown time zone '%.64s'", tz);
	if (!duration || (out->duration_ms = window_parse_duration(duration)) < 0)
		REFUSE("invalid_duration", "duration must be a positive NUMBER with s, m, h or d"
		       " (9h, 90m, 1h30m), at most 31d, not '%.40s'", duration ? duration : "");
	if (pool && *pool && strcmp(pool, SCAN_POOL_LOCAL) && !config_pool(pool))
		REFUSE("unknown_pool", "unknown pool '%.40s' (local, or a [pool.NAME] of the"
		       " configuration)", pool);
	if (targets && *targets
	    && read_targets(targets, out->targets, sizeof out->targets, why, sizeof why) < 0)
		REFUSE("invalid_targets", "%s", why);
	if (running && strcmp(running, "finish") && strcmp(running, "handback"))
		REFUSE("invalid_running", "running must be finish or handback, not '%.20s'", running);
	snprintf(out->name, sizeof out->name, "%s", name);
	snprintf(out->cron, sizeof out->cron, "%s", cron);
	snprintf(out->tz, sizeof out->tz, "%s", tz);
	snprintf(out->pool, sizeof out->pool, "%s", pool ? pool : "");
	snprintf(out->running, sizeof out->running, "%s", running ? running : "finish");
	snprintf(out->created_by, sizeof out->created_by, "%s", actor ? actor : "");
	if (window_plan(out, why, sizeof why) < 0)
		REFUSE("invalid_cron", "%s", why);
	return 0;
#undef REFUSE
}

/* Moves a closed window on to its next occurrence. */
static void replan(struct store *s, struct window *w)
{
	int64_t old = w->closes_at;
	char err[200], t1[40], t2[40];

	if (window_plan(w, err, sizeof err) < 0) {
		log_warn("maintenance window cannot be planned", "window=%s error=\"%s\"", w->name, err);
		return;
	}
	if (store_window_replan(s, w->id, old, w->opens_at, w->closes_at) != STORE_OK) {
		if (!store_outage(s))
			log_warn("planning a maintenance window failed", "window=%s error=\"%s\"",
				 w->name, store_error(s));
		return;
	}
	log_debug("maintenance window planned", "window=%s opens=%s closes=%s", w->name,
		  scan_format_time(w->opens_at, t1, sizeof t1),
		  scan_format_time(w->closes_at, t2, sizeof t2));
}

int window_tick(struct store *s)
{
	struct window *w = NULL;
	size_t n = 0;
	int64_t now;
	int rc = 0;

	if (store_window_list(s, &w, &n) != STORE_OK) {
		if (!store_outage(s))
			log_warn("reading maintenance windows failed", "error=\"%s\"", store_error(s));
		return -1;
	}
	now = scan_now_ms();
	for (size_t i = 0; i < n; i++) {
		int back = 0;
		char t[40];

		if (w[i].closes_at <= now)
			replan(s, &w[i]);
		if (!window_open(&w[i], now) || strcmp(w[i].running, "handback") != 0
		    || w[i].handed_at == w[i].opens_at)
			continue;
		if (store_window_handback(s, &w[i], &back) != STORE_OK) {
			if (!store_outage(s))
				log_warn("maintenance window hand-back failed", "window=%s error=\"%s\"",
					 w[i].name, store_error(s));
			rc = -1;
			continue;
		}
		if (back)
			log_info("maintenance window opened, running scans handed back",
				 "window=%s released=%d until=%s", w[i].name, back,
				 scan_format_time(w[i].closes_at, t, sizeof t));
	}
	free(w);
	return rc;
}
