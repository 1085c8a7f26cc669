/*
 * doctor.c — `scanq doctor [--check NAME] [--json]`: the checks of the
 * seeds' runbooks in one command.  Each check prints one line: ok, warn or
 * fail, its name, what it found, and — when it is not ok — the one step
 * that fixes it.  Exit status 0 when nothing failed (warnings allowed), 1
 * when a check failed, 2 for an unknown check name.
 *
 * The checks are a table (`checks` below): adding one (schedules.firing,
 * once schedules exist) is one function and one row.  --check NAME runs
 * that one alone; the database is opened only when a check needs it.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/statvfs.h>
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "core/clock.h"
#include "core/config.h"
#include "profile.h"
#include "maintenance/scheduler.h"
#include "store/store.h"

enum verdict { OK, WARN, FAIL };

struct report {
	json_t *checks;
	int json;
	enum verdict worst;
	struct cli *cli;
	struct store *s;		/* NULL when it could not be opened */
	char open_err[512];
	double open_ms;
	struct queue_status q;
	int have_q;
};

static void check(struct report *r, enum verdict v, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void check(struct report *r, enum verdict v, const char *name, const char *fmt, ...)
{
	static const char *names[] = { "ok", "warn", "fail" };
	char msg[640];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (v > r->worst)
		r->worst = v;
	if (r->json)
		json_array_append_new(r->checks, json_pack("{ssssss}", "check", name,
							   "status", names[v], "detail", msg));
	else
		printf("%-5s %-21s %s\n", names[v], name, msg);
}

/* The store, opened once for every check that needs it; NULL after the
 * check reported why not. */
static struct store *need_store(struct report *r, const char *name)
{
	if (!r->s)
		check(r, FAIL, name, "the database cannot be opened: %s", r->open_err);
	return r->s;
}

static const struct queue_status *need_queue(struct report *r, const char *name)
{
	if (!need_store(r, name))
		return NULL;
	if (!r->have_q) {
		if (store_queue_status(r->s, &r->q) != STORE_OK) {
			check(r, FAIL, name, "%s; fix: see db.reachable", store_error(r->s));
			return NULL;
		}
		r->have_q = 1;
	}
	return &r->q;
}

/* ---- the checks ----------------------------------------------------------------------------- */

static void c_db_reachable(struct report *r)
{
	char url[512];
	double t0;

	if (!r->s) {
		check(r, FAIL, "db.reachable", "%s; fix: check DATABASE_URL / --db and that the "
		      "server runs", r->open_err);
		return;
	}
	t0 = clock_mono_s() * 1e3;
	if (store_schema_version(r->s) < 0) {
		check(r, FAIL, "db.reachable", "%s; fix: check that the database server runs",
		      store_error(r->s));
		return;
	}
	check(r, OK, "db.reachable", "%s backend, %s, opened in %.1f ms, a query in %.2f ms",
	      store_backend(r->s), store_url_redacted(r->cli->db_url, url, sizeof url),
	      r->open_ms, clock_mono_s() * 1e3 - t0);
}

static void c_db_schema(struct report *r)
{
	int ver, latest;

	if (!need_store(r, "db.schema"))
		return;
	ver = store_schema_version(r->s);
	latest = store_schema_latest(r->s);
	if (ver == latest)
		check(r, OK, "db.schema", "version %d (current)", ver);
	else
		check(r, FAIL, "db.schema", "version %d, this build expects %d; fix: run the newer "
		      "`scanq migrate`", ver, latest);
}

static void c_workers_alive(struct report *r)
{
	const struct queue_status *q = need_queue(r, "workers.alive");
	int alive;

	if (!q)
		return;
	alive = q->workers_active + q->workers_idle;
	if (alive)
		check(r, OK, "workers.alive", "%d active, %d idle, %d dead", q->workers_active,
		      q->workers_idle, q->workers_dead);
	else if (q->by_status[SCAN_PENDING] > 0)
		check(r, FAIL, "workers.alive", "no live worker and %lld scans pending; fix: start "
		      "`scanq serve` (or `scanq worker`)", (long long)q->by_status[SCAN_PENDING]);
	else
		check(r, WARN, "workers.alive", "no live worker; fix: start `scanq serve` before "
		      "submitting scans");
}

/* Every pool of agents with pending scans has someone live to claim them. */
static void c_pool_agents(struct report *r)
{
	struct store *s = need_store(r, "pool.agents");
	struct pool_status *p = NULL;
	size_t n = 0, pools = 0;
	char bad[160] = "";
	int nbad = 0;

	if (!s)
		return;
	if (store_pool_status(s, &p, &n) != STORE_OK) {
		check(r, FAIL, "pool.agents", "%s", store_error(s));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(bad);

		if (strcmp(p[i].pool, SCAN_POOL_LOCAL) == 0)
			continue;		/* workers.alive looks at the local pool */
		pools++;
		if (p[i].pending > 0 && p[i].live == 0 && used + 48 < sizeof bad) {
			snprintf(bad + used, sizeof bad - used, "%s%s (%lld pending)", nbad ? ", " : "",
				 p[i].pool, (long long)p[i].pending);
			nbad++;
		}
	}
	free(p);
	if (nbad)
		check(r, FAIL, "pool.agents", "no live agent in pool%s %s; fix: start an agent of the "
		      "pool (docs/AGENTS.md)", nbad > 1 ? "s" : "", bad);
	else
		check(r, OK, "pool.agents", "%zu pool%s of agents, each with a live agent or nothing "
		      "pending", pools, pools == 1 ? "" : "s");
}

static void c_workers_dead(struct report *r)
{
	struct worker_info *w = NULL;
	int64_t now = scan_now_ms();
	int held = 0, dead = 0;
	size_t n = 0;

	if (!need_store(r, "workers.dead"))
		return;
	if (store_worker_list(r->s, &w, &n) != STORE_OK) {
		check(r, FAIL, "workers.dead", "%s", store_error(r->s));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(worker_state(&w[i], now), "dead") != 0)
			continue;
		dead++;
		held += w[i].nrunning_ids;
	}
	free(w);
	if (held)
		check(r, WARN, "workers.dead", "%d dead worker%s holding %d scan%s; fix: none needed, "
		      "lease recovery hands them back (or `scanq stuck clear`)", dead,
		      dead == 1 ? "" : "s", held, held == 1 ? "" : "s");
	else
		check(r, OK, "workers.dead", "%d dead worker%s, holding no scan", dead,
		      dead == 1 ? "" : "s");
}

/* The verdict of v against its two thresholds; *word and *at (for a
 * detail such as "warn at 100") get the one crossed. */
static enum verdict against(double v, int warn, int fail, const char **word, int *at)
{
	*word = v >= fail ? "fail" : "warn";
	*at = v >= fail ? fail : warn;
	return v >= fail ? FAIL : v >= warn ? WARN : OK;
}

static void c_queue_backlog(struct report *r)
{
	const struct queue_status *q = need_queue(r, "queue.backlog");
	enum verdict v;
	const char *word;
	long long p;
	int at;

	if (!q)
		return;
	p = (long long)q->by_status[SCAN_PENDING];
	v = against((double)p, config.backlog_warn, config.backlog_fail, &word, &at);
	if (v != OK)
		check(r, v, "queue.backlog", "%lld pending (%s at %d); fix: more workers or "
		      "concurrency (`scanq serve --workers N --concurrency C`)", p, word, at);
	else
		check(r, OK, "queue.backlog", "%lld pending, %lld running, %lld finished in the last "
		      "minute", p, (long long)q->by_status[SCAN_RUNNING],
		      (long long)q->finished_last_minute);
}

static void c_queue_oldest(struct report *r)
{
	const struct queue_status *q = need_queue(r, "queue.oldest_pending");
	double min;

	if (!q)
		return;
	min = (double)q->oldest_pending_ms / 60000;
	if (min >= config.stuck_hours * 60.0)
		check(r, FAIL, "queue.oldest_pending", "a scan has been due for %.0f min (fail at %d h); "
		      "fix: start workers, then `scanq stuck report`", min, config.stuck_hours);
	else if (min >= config.oldest_pending_warn_min)
		check(r, WARN, "queue.oldest_pending", "a scan has been due for %.0f min (warn at %d); "
		      "fix: more workers or concurrency", min, config.oldest_pending_warn_min);
	else
		check(r, OK, "queue.oldest_pending", "oldest due scan waits %.1f s (counted from when "
		      "it became due)", (double)q->oldest_pending_ms / 1000);
}

static void c_queue_paused(struct report *r)
{
	struct pause *p = NULL;
	char all[600] = "", one[400];
	size_t n = 0, o = 0;

	if (!r->s || store_pause_list(r->s, &p, &n) != STORE_OK) {
		check(r, FAIL, "queue.paused", "cannot read the pauses: %s",
		      r->s ? store_error(r->s) : r->open_err);
		return;
	}
	for (size_t i = 0; i < n && o < sizeof all; i++)
		o += (size_t)snprintf(all + o, sizeof all - o, "%s%s", i ? "; " : "",
				      pause_describe(&p[i], one, sizeof one));
	if (n)
		check(r, WARN, "queue.paused", "%s; fix: `scanq resume` when it should run again", all);
	else
		check(r, OK, "queue.paused", "nothing is paused");
	free(p);
}

static void c_queue_windows(struct report *r)
{
	struct window *w = NULL;
	char all[600] = "", one[400];
	int64_t now = scan_now_ms();
	size_t n = 0, o = 0;
	int open = 0;

	if (!r->s || store_window_list(r->s, &w, &n) != STORE_OK) {
		check(r, FAIL, "queue.windows", "cannot read the maintenance windows: %s",
		      r->s ? store_error(r->s) : r->open_err);
		return;
	}
	for (size_t i = 0; i < n && o < sizeof all; i++)
		if (window_open(&w[i], now))
			o += (size_t)snprintf(all + o, sizeof all - o, "%s%s", open++ ? "; " : "",
					      window_describe(&w[i], one, sizeof one));
	/* A window is planned downtime, not a fault: it is reported, not warned. */
	if (open)
		check(r, OK, "queue.windows", "maintenance window open: %s", all);
	else
		check(r, OK, "queue.windows", "no maintenance window is open (%zu defined)", n);
	free(w);
}

static void c_failure_rate(struct report *r)
{
	int64_t done = 0, failed = 0;
	enum verdict v;
	const char *word;
	double pct;
	int at;

	if (!need_store(r, "scans.failure_rate"))
		return;
	if (store_finished_last_hour(r->s, &done, &failed) != STORE_OK) {
		check(r, FAIL, "scans.failure_rate", "%s", store_error(r->s));
		return;
	}
	if (done + failed == 0) {
		check(r, OK, "scans.failure_rate", "no scan finished in the last hour");
		return;
	}
	pct = 100.0 * (double)failed / (double)(done + failed);
	v = against(pct, config.failure_warn_pct, config.failure_fail_pct, &word, &at);
	if (v != OK)
		check(r, v, "scans.failure_rate", "%.1f%% of the last hour's scans failed (%lld of "
		      "%lld; %s at %d%%); fix: `scanq list --status failed` and their error codes",
		      pct, (long long)failed, (long long)(done + failed), word, at);
	else
		check(r, OK, "scans.failure_rate", "%.1f%% failed in the last hour (%lld of %lld)", pct,
		      (long long)failed, (long long)(done + failed));
}

static void c_scans_stuck(struct report *r)
{
	const struct stuck_category *cat;
	struct stuck_item *it = NULL;
	int counts[64] = { 0 }, ncat, broken = 0;
	size_t n = 0;

	if (!need_store(r, "scans.stuck"))
		return;
	if (store_stuck_report(r->s, (int64_t)config.stuck_hours * 3600000, 10, 0, &it, &n, counts,
			       NULL) != STORE_OK) {
		check(r, FAIL, "scans.stuck", "%s", store_error(r->s));
		return;
	}
	free(it);
	cat = store_stuck_categories(&ncat);
	/* A broken invariant fails; an expired lease, an attempt past its time
	 * limit or a cancel request that lost the race to completion warn. */
	for (int i = 0; i < ncat; i++)
		broken += cat[i].automatic && strcmp(cat[i].name, "lease_expired") != 0
			  && strcmp(cat[i].name, "over_time_limit") != 0
			  && strcmp(cat[i].name, "cancel_left_set") != 0 ? counts[i] : 0;
	if (broken)
		check(r, FAIL, "scans.stuck", "%zu scan%s need a look, %d break an invariant; fix: "
		      "`scanq stuck report`, then `scanq stuck clear`", n, n == 1 ? "" : "s", broken);
	else if (n)
		check(r, WARN, "scans.stuck", "%zu scan%s need a look; fix: `scanq stuck report`", n,
		      n == 1 ? "" : "s");
	else
		check(r, OK, "scans.stuck", "none (pending counts after %d h)", config.stuck_hours);
}

static void c_scans_fenced(struct report *r)
{
	struct store_counters cnt;

	if (!need_store(r, "scans.fenced"))
		return;
	if (store_counters(r->s, &cnt) != STORE_OK)
		check(r, FAIL, "scans.fenced", "%s", store_error(r->s));
	else
		check(r, OK, "scans.fenced", "%lld late writes rejected, %lld lease recoveries so far",
		      (long long)cnt.fenced_writes, (long long)cnt.lease_recoveries);
}

/* Schedules that did not fire when due (SCHEDULE_LATE_MS past next_run_at):
 * no serve runs a scheduler, or it keeps failing. */
static void c_schedules_firing(struct report *r)
{
	struct schedule *late = NULL, *all = NULL;
	size_t nlate = 0, nall = 0;

	if (!need_store(r, "schedules.firing"))
		return;
	if (store_schedules_late(r->s, scheduler_now_ms(), SCHEDULE_LATE_MS, &late, &nlate) != STORE_OK
	    || store_schedule_list(r->s, &all, &nall) != STORE_OK)
		check(r, FAIL, "schedules.firing", "%s", store_error(r->s));
	else if (nlate)
		check(r, FAIL, "schedules.firing", "%zu of %zu schedule%s did not fire when due (%s: due"
		      " %lld s ago); fix: run `scanq serve` (it fires schedules), see its log",
		      nlate, nall, nall == 1 ? "" : "s", late[0].name,
		      (long long)((scheduler_now_ms() - late[0].next_run_at) / 1000));
	else
		check(r, OK, "schedules.firing", "%zu schedule%s, none late", nall, nall == 1 ? "" : "s");
	schedule_array_free(late, nlate);
	schedule_array_free(all, nall);
}

/* The folder of a SQLite database, or "" for a database on a server. */
static void db_dir(const char *url, char *dir, size_t len)
{
	const char *p = url, *slash;

	dir[0] = '\0';
	if (strncmp(p, "sqlite://", 9) == 0)
		p += 9;
	else if (strstr(p, "://"))
		return;
	slash = strrchr(p, '/');
	if (!slash)
		snprintf(dir, len, ".");
	else if (slash == p)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - p), p);
}

static void c_disk_space(struct report *r)
{
	char dir[512];
	struct statvfs v;
	double free_pct, free_mb;

	db_dir(r->cli->db_url, dir, sizeof dir);
	if (!dir[0]) {
		check(r, OK, "storage.disk_space", "the database is on a server; its disk is watched "
		      "there (this host's is not the one that fills)");
		return;
	}
	if (statvfs(dir, &v) != 0 || v.f_blocks == 0) {
		check(r, FAIL, "storage.disk_space", "cannot read the free space of %s; fix: check "
		      "that the database folder exists", dir);
		return;
	}
	free_pct = 100.0 * (double)v.f_bavail / (double)v.f_blocks;
	free_mb = (double)v.f_bavail * (double)v.f_frsize / 1048576;
	if (free_pct < config.disk_fail_pct)
		check(r, FAIL, "storage.disk_space", "%.1f%% free (%.0f MiB) in %s (fail below %d%%); "
		      "fix: `scanq prune`, or free space", free_pct, free_mb, dir, config.disk_fail_pct);
	else if (free_pct < config.disk_warn_pct || free_mb < config.disk_warn_mb)
		check(r, WARN, "storage.disk_space", "%.1f%% free (%.0f MiB) in %s (warn below %d%% "
		      "or %d MiB); fix: `scanq prune`, or free space", free_pct, free_mb, dir,
		      config.disk_warn_pct, config.disk_warn_mb);
	else
		check(r, OK, "storage.disk_space", "%.1f%% free (%.0f MiB) in %s", free_pct, free_mb,
		      dir);
}

static void c_scanners_tools(struct report *r)
{
	char ok[512] = "", missing[512] = "";

	for (int i = 0; i < config.nprofiles; i++) {
		const struct config_profile *p = &config.profiles[i];
		char *dst = p->argc && profile_tool_exists(p->argv[0]) ? ok : missing;

		snprintf(dst + strlen(dst), 512 - strlen(dst), "%s%s", dst[0] ? ", " : "", p->type);
	}
	if (!missing[0])
		check(r, OK, "scanners.tools", "built-in portscan, discovery, tls; profiles that can "
		      "run: %s", ok[0] ? ok : "(none configured)");
	else
		check(r, WARN, "scanners.tools", "built-in portscan, discovery, tls; profiles that can "
		      "run: %s; tool missing: %s (their "
		      "scans fail with tool_missing); fix: install the tool or remove its [profile]",
		      ok[0] ? ok : "none", missing);
}

static const struct {
	const char *name;
	void (*run)(struct report *r);
	int store;			/* needs the database */
} checks[] = {
	{ "db.reachable", c_db_reachable, 1 },
	{ "db.schema", c_db_schema, 1 },
	{ "workers.alive", c_workers_alive, 1 },
	{ "workers.dead", c_workers_dead, 1 },
	{ "pool.agents", c_pool_agents, 1 },
	{ "queue.backlog", c_queue_backlog, 1 },
	{ "queue.oldest_pending", c_queue_oldest, 1 },
	{ "queue.paused", c_queue_paused, 1 },
	{ "queue.windows", c_queue_windows, 1 },
	{ "scans.failure_rate", c_failure_rate, 1 },
	{ "scans.stuck", c_scans_stuck, 1 },
	{ "scans.fenced", c_scans_fenced, 1 },
	{ "schedules.firing", c_schedules_firing, 1 },
	{ "storage.disk_space", c_disk_space, 0 },
	{ "scanners.tools", c_scanners_tools, 0 },
};
#define NCHECKS ((int)(sizeof checks / sizeof checks[0]))

int cmd_doctor(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "check", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct report r = { .cli = cli };
	const char *only = NULL;
	int c, which = -1, need = 0;
	double t0;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'j': r.json = 1; break;
		case 'c': only = optarg; break;
		default: return cli_bad_option("doctor", argv, c);
		}
	}
	if (optind != argc)
		return cli_usage("doctor", "unexpected argument '%s'", argv[optind]);
	if (only) {
		char names[512] = "";

		for (int i = 0; i < NCHECKS; i++) {
			if (strcmp(only, checks[i].name) == 0)
				which = i;
			snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
				 i ? ", " : "", checks[i].name);
		}
		if (which < 0)
			return cli_usage("doctor", "unknown check '%.60s' (%s)", only, names);
	}
	for (int i = 0; i < NCHECKS; i++)
		need |= (which < 0 || which == i) && checks[i].store;
	r.checks = json_array();
	if (need) {
		t0 = clock_mono_s() * 1e3;
		r.s = store_open_flags(cli->db_url, STORE_MUST_EXIST, r.open_err, sizeof r.open_err);
		r.open_ms = clock_mono_s() * 1e3 - t0;
	}
	for (int i = 0; i < NCHECKS; i++) {
		if (which >= 0 && which != i)
			continue;
		/* Without a database, one line says so; the other database checks
		 * would only repeat it. */
		if (!r.s && checks[i].store && which < 0 && i > 0)
			continue;
		checks[i].run(&r);
	}
	store_close(r.s);
	if (r.json) {
		json_t *o = json_pack("{sssO}", "status", r.worst == FAIL ? "fail"
				      : r.worst == WARN ? "warn" : "ok", "checks", r.checks);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	}
	json_decref(r.checks);
	return r.worst == FAIL ? CLI_FAIL : CLI_OK;
}
