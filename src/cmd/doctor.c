/*
 * doctor.c — `scanq doctor [--json]`: the checks of the seeds' runbooks in
 * one command.  Each check prints one line: ok, warn or fail, its name, and
 * what it found (with the next step when it is not ok).  Exit status 0
 * when nothing failed (warnings allowed), 1 when a check failed.
 *
 *   db.open         the database opens (and migrates)
 *   db.schema       the schema is at this build's newest version
 *   workers.alive   some worker heartbeats (fail when scans wait and none does)
 *   workers.dead    workers that stopped heartbeating, and scans they held
 *   queue.backlog   pending scans vs [maintenance] backlog_warn / backlog_fail
 *   scans.stuck     the stuck-scan report (see `scanq stuck`)
 *   scans.fenced    late writes rejected by fencing (zombie workers) so far
 *   profiles.tools  which external tool profiles can run on this host
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "cmd/cmd.h"
#include "config.h"
#include "profile.h"
#include "store/store.h"

enum verdict { OK, WARN, FAIL };

struct report {
	json_t *checks;
	int json;
	enum verdict worst;
};

static void check(struct report *r, enum verdict v, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void check(struct report *r, enum verdict v, const char *name, const char *fmt, ...)
{
	static const char *names[] = { "ok", "warn", "fail" };
	char msg[512];
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
		printf("%-5s %-17s %s\n", names[v], name, msg);
}

static void check_workers(struct report *r, struct store *s, const struct queue_status *q)
{
	struct worker_info *w = NULL;
	size_t n = 0;
	int64_t now = scan_now_ms();
	int alive = q->workers_active + q->workers_idle;

	if (alive)
		check(r, OK, "workers.alive", "%d active, %d idle", q->workers_active,
		      q->workers_idle);
	else if (q->by_status[SCAN_PENDING] > 0)
		check(r, FAIL, "workers.alive", "no live worker and %lld scans pending; start "
		      "`scanq serve` (or `scanq worker`)", (long long)q->by_status[SCAN_PENDING]);
	else
		check(r, WARN, "workers.alive", "no live worker; scans will wait until `scanq serve` "
		      "runs");
	if (store_worker_list(s, &w, &n) != STORE_OK) {
		check(r, FAIL, "workers.dead", "%s", store_error(s));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(worker_state(&w[i], now), "dead") != 0)
			continue;
		if (w[i].nrunning_ids)
			check(r, WARN, "workers.dead", "%s (pid %d on %s) stopped heartbeating %llds ago "
			      "holding %d scan(s); their leases expire and lease recovery hands them "
			      "back", w[i].name, w[i].pid, w[i].host,
			      (long long)(now - w[i].heartbeat_at) / 1000, w[i].nrunning_ids);
		else
			check(r, OK, "workers.dead", "%s stopped %llds ago holding no scan%s%s",
			      w[i].name, (long long)(now - w[i].heartbeat_at) / 1000,
			      w[i].last_exit[0] ? "; last exit: " : "", w[i].last_exit);
	}
	free(w);
}

int cmd_doctor(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct report r = { .checks = json_array() };
	struct queue_status q;
	struct store_counters cnt;
	struct stuck_scan *st = NULL;
	struct store *s;
	char err[512], runnable[512];
	int64_t stuck = 0;
	size_t n = 0;
	int c, ver;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c != 'j') {
			json_decref(r.checks);
			return cli_bad_option("doctor", argv, c);
		}
		r.json = 1;
	}
	if (optind != argc) {
		json_decref(r.checks);
		return cli_usage("doctor", "unexpected argument '%s'", argv[optind]);
	}

	s = store_open(cli->db_url, err, sizeof err);
	if (!s) {
		check(&r, FAIL, "db.open", "%s", err);
		goto report;
	}
	check(&r, OK, "db.open", "%s backend, %s", store_backend(s),
	      store_url_redacted(cli->db_url, err, sizeof err));
	ver = store_schema_version(s);
	if (ver == store_schema_latest(s))
		check(&r, OK, "db.schema", "version %d (current)", ver);
	else
		check(&r, FAIL, "db.schema", "version %d, this build expects %d; run `scanq migrate`",
		      ver, store_schema_latest(s));

	if (store_queue_status(s, &q) != STORE_OK) {
		check(&r, FAIL, "queue.backlog", "%s", store_error(s));
		goto profiles;
	}
	check_workers(&r, s, &q);
	if (q.by_status[SCAN_PENDING] >= config.backlog_fail)
		check(&r, FAIL, "queue.backlog", "%lld pending (fail at %d), oldest %.0fs",
		      (long long)q.by_status[SCAN_PENDING], config.backlog_fail,
		      (double)q.oldest_pending_ms / 1000);
	else if (q.by_status[SCAN_PENDING] >= config.backlog_warn)
		check(&r, WARN, "queue.backlog", "%lld pending (warn at %d), oldest %.0fs",
		      (long long)q.by_status[SCAN_PENDING], config.backlog_warn,
		      (double)q.oldest_pending_ms / 1000);
	else
		check(&r, OK, "queue.backlog", "%lld pending, %lld running, %lld finished in the "
		      "last minute", (long long)q.by_status[SCAN_PENDING],
		      (long long)q.by_status[SCAN_RUNNING], (long long)q.finished_last_minute);

	if (store_stuck(s, (int64_t)config.stuck_hours * 3600000, 10, &st, &n, &stuck) != STORE_OK)
		check(&r, FAIL, "scans.stuck", "%s", store_error(s));
	else if (stuck)
		check(&r, WARN, "scans.stuck", "%lld stuck (first: scan %lld); see `scanq stuck`",
		      (long long)stuck, n ? (long long)st[0].id : 0LL);
	else
		check(&r, OK, "scans.stuck", "none (threshold %dh)", config.stuck_hours);
	free(st);
	if (store_counters(s, &cnt) == STORE_OK)
		check(&r, OK, "scans.fenced", "%lld late writes rejected, %lld lease recoveries so far",
		      (long long)cnt.fenced_writes, (long long)cnt.lease_recoveries);
profiles:
	runnable[0] = '\0';
	for (int i = 0; i < config.nprofiles; i++) {
		const struct config_profile *p = &config.profiles[i];
		if (p->argc && profile_tool_exists(p->argv[0])) {
			check(&r, OK, "profiles.tools", "%s: %s found", p->type, p->argv[0]);
			snprintf(runnable + strlen(runnable), sizeof runnable - strlen(runnable), "%s%s",
				 runnable[0] ? ", " : "", p->type);
		} else {
			check(&r, WARN, "profiles.tools", "%s: %s is not installed; scans of this type "
			      "fail with tool_missing", p->type, p->argc ? p->argv[0] : "(no argv)");
		}
	}
	check(&r, runnable[0] ? OK : WARN, "profiles.runnable", "%s",
	      runnable[0] ? runnable : "no tool profile can run on this host");
	store_close(s);
report:
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
