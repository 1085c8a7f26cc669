/*
 * stuck_clear.c — `scanq stuck report [--max-age-hours H] [--json]` and
 * `scanq stuck clear [--max-age-hours H] [--dry-run] [--force] [--json]`:
 * every category of scan that needs a look (store_stuck_categories()), with
 * its reason and fix, and the repair of each.
 *
 * report exits 1 when it found anything, so a cron job or a monitor can
 * act on it.  clear asks on a terminal unless given --force, and refuses
 * without --force when stdin is not a terminal; --dry-run prints exactly
 * what a real run would change (the same repairs, rolled back) and needs
 * neither.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app/views.h"
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "core/config.h"
#include "core/num.h"
#include "maintenance/scheduler.h"
#include "store/store.h"

#define REPORT_PER_CATEGORY 200

static int parse(const char *cmd, int argc, char **argv, long long *hours, int *json, int *dry,
		 int *force)
{
	static const struct option opts[] = {
		{ "max-age-hours", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*hours = config.stuck_hours;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (num_parse(optarg, 0, 24 * 365, hours))
				return cli_usage(cmd, "--max-age-hours must be a whole number of hours "
						 "from 0 to 8760");
			break;
		case 'j': *json = 1; break;
		case 'n':
			if (!dry)
				return cli_usage(cmd, "unknown option '--dry-run' (it goes with stuck clear)");
			*dry = 1;
			break;
		case 'f':
			if (!force)
				return cli_usage(cmd, "unknown option '--force' (it goes with stuck clear)");
			*force = 1;
			break;
		default: return cli_bad_option(cmd, argv, c);
		}
	}
	if (optind != argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	return CLI_OK;
}

static void print_json(json_t *o)
{
	json_dumpf(o, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(o);
}

/* The schedules that did not fire when due: not scans, so a section of
 * their own after the scan categories. */
static void print_late_schedules(const struct schedule *late, size_t n, int64_t now)
{
	if (!n)
		return;
	printf("\nschedules_not_fired: %zu\n  why: not paused, and more than %d s past its next"
	       " run: no `scanq serve` fires schedules, or firing keeps failing\n  fix: run"
	       " `scanq serve` (every serve runs the scheduler) and read its log; `scanq doctor"
	       " --check schedules.firing`\n", n, SCHEDULE_LATE_MS / 1000);
	for (size_t i = 0; i < n; i++) {
		char t[40];

		printf("  schedule %-20s %-14s due %s (%lld s ago)\n", late[i].name, late[i].cron,
		       scan_format_time(late[i].next_run_at, t, sizeof t),
		       (long long)((now - late[i].next_run_at) / 1000));
	}
}

int cmd_stuck_report(int argc, char **argv, struct cli *cli)
{
	const struct stuck_category *cat;
	struct schedule *late = NULL;
	size_t nlate = 0;
	int64_t now = scheduler_now_ms();
	struct stuck_item *it = NULL;
	int counts[64] = { 0 }, ncat, json = 0, rc;
	long long hours;
	size_t n = 0, at = 0;
	struct store *s;

	if ((rc = parse("stuck", argc, argv, &hours, &json, NULL, NULL)) != CLI_OK)
		return rc;
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (store_stuck_report(s, hours * 3600000, REPORT_PER_CATEGORY, 0, &it, &n, counts, NULL)
	    != STORE_OK
	    || store_schedules_late(s, now, SCHEDULE_LATE_MS, &late, &nlate) != STORE_OK) {
		rc = cli_error("%s", store_error(s));
		free(it);
		store_close(s);
		return rc;
	}
	store_close(s);
	cat = store_stuck_categories(&ncat);
	if (json) {
		json_t *o = stuck_report_to_json(it, n, counts, hours * 3600000), *a = json_array();

		for (size_t i = 0; i < nlate; i++)
			json_array_append_new(a, schedule_to_json(&late[i], now));
		json_object_set_new(o, "schedules_not_fired", a);
		print_json(o);
	} else {
		size_t distinct = 0;

		for (size_t i = 0; i < n; i++) {
			size_t k = 0;

			while (k < i && it[k].id != it[i].id)
				k++;
			distinct += k == i;
		}
		printf("stuck report: %zu scan%s need a look, %zu finding%s (pending counts after "
		       "%lldh)\n", distinct, distinct == 1 ? "" : "s", n, n == 1 ? "" : "s", hours);
		for (int i = 0; i < ncat; i++) {
			if (!counts[i])
				continue;
			printf("\n%s: %d%s\n  why: %s\n  fix: %s\n", cat[i].name, counts[i],
			       counts[i] == REPORT_PER_CATEGORY ? " (or more)" : "", cat[i].reason,
			       cat[i].fix);
			for (int k = 0; k < counts[i] && at < n; k++, at++) {
				char t[40];

				printf("  scan %-8lld %-12s %-9s attempt %d%s%s since %s%s%s\n",
				       (long long)it[at].id, it[at].type,
				       scan_status_name(it[at].status), it[at].attempt,
				       it[at].worker_id[0] ? " worker " : "", it[at].worker_id,
				       scan_format_time(it[at].since, t, sizeof t),
				       it[at].detail[0] ? " — " : "", it[at].detail);
			}
		}
		print_late_schedules(late, nlate, now);
	}
	free(it);
	schedule_array_free(late, nlate);
	return n || nlate ? CLI_FAIL : CLI_OK;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* How many scans the n changes listed touch: a scan in two categories is
 * one scan with two changes.  -1 without memory. */
static int64_t distinct_scans(const struct stuck_change *ch, size_t n)
{
	int64_t *ids = malloc((n ? n : 1) * sizeof *ids), k = 0;

	if (!ids)
		return -1;
	for (size_t i = 0; i < n; i++)
		ids[i] = ch[i].id;
	qsort(ids, n, sizeof *ids, cmp_id);
	for (size_t i = 0; i < n; i++)
		k += i == 0 || ids[i] != ids[i - 1];
	free(ids);
	return k;
}

/* "8 changes to 6 scans" (or "to at least 6 scans" when the list was cut
 * at STUCK_CLEAR_MAX). */
static const char *changes_text(const struct stuck_change *ch, size_t n, int64_t total, char *buf,
				size_t len)
{
	int64_t k = distinct_scans(ch, n);

	if (k < 0)
		snprintf(buf, len, "%lld change%s", (long long)total, total == 1 ? "" : "s");
	else
		snprintf(buf, len, "%lld change%s to %s%lld scan%s", (long long)total, total == 1 ? "" : "s",
			 (int64_t)n < total ? "at least " : "", (long long)k, k == 1 ? "" : "s");
	return buf;
}

int cmd_stuck_clear(int argc, char **argv, struct cli *cli)
{
	struct stuck_change *ch = NULL;
	int json = 0, dry = 0, force = 0, rc;
	long long hours;
	int64_t total = 0;
	char actor[80];
	struct store *s;

	if ((rc = parse("stuck", argc, argv, &hours, &json, &dry, &force)) != CLI_OK)
		return rc;
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (!dry && !force) {
		struct stuck_change *wch = NULL;
		int64_t would = 0;
		size_t nw = 0;
		char q[200], what[96];

		if (store_stuck_clear(s, hours * 3600000, STUCK_CLEAR_DRY_RUN, NULL, &wch, &nw, &would)
		    != STORE_OK) {
			rc = cli_error("%s", store_error(s));
			goto out;
		}
		changes_text(wch, nw, would, what, sizeof what);
		free(wch);
		if (would == 0) {
			printf("stuck clear: nothing to change\n");
			goto out;
		}
		snprintf(q, sizeof q, "stuck clear would make %s (see --dry-run); go ahead?", what);
		switch (cli_confirm(q)) {
		case 1:
			break;
		case 0:
			printf("stuck clear: nothing changed\n");
			goto out;
		default:
			rc = cli_usage("stuck", "stuck clear would make %s; stdin is not a "
				       "terminal, so confirm with --force (or look first with --dry-run)", what);
			goto out;
		}
	}
	cli_actor(actor, sizeof actor);
	size_t n = 0;
	if (store_stuck_clear(s, hours * 3600000, dry ? STUCK_CLEAR_DRY_RUN : 0, actor, &ch, &n,
			      &total) != STORE_OK) {
		rc = cli_error("%s (%lld changes were committed before the error)", store_error(s),
			       (long long)total);
		goto out;
	}
	if (json) {
		print_json(stuck_changes_to_json(ch, n, total, dry));
	} else {
		int ncat;
		const struct stuck_category *cat = store_stuck_categories(&ncat);

		for (size_t i = 0; i < n; i++)
			printf("%sscan %lld [%s] %s -> %s: %s\n", dry ? "would: " : "", (long long)ch[i].id,
			       ch[i].category >= 0 && ch[i].category < ncat ? cat[ch[i].category].name
			       : "?", scan_status_name(ch[i].from), scan_status_name(ch[i].to),
			       ch[i].action);
		if ((int64_t)n < total)
			printf("... and %lld more\n", (long long)(total - (int64_t)n));
		char what[96];

		if (total == 0)
			printf("%s: nothing to change\n", dry ? "dry run" : "stuck clear");
		else
			printf("%s %s\n", dry ? "dry run: would make" : "stuck clear: made",
			       changes_text(ch, n, total, what, sizeof what));
	}
out:
	free(ch);
	store_close(s);
	return rc;
}

/* ---- reset ---------------------------------------------------------------------------------- */

int cmd_reset(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	int c, force = 0, released = 0, rc = CLI_OK;
	int64_t workers = 0;
	char actor[80];
	struct store *s;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c != 'f')
			return cli_bad_option("reset", argv, c);
		force = 1;
	}
	if (optind != argc)
		return cli_usage("reset", "unexpected argument '%s'", argv[optind]);
	if (!force)
		return cli_usage("reset", "reset hands every running scan back to pending and clears "
				 "the worker registrations; run it with --force");
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (store_reset(s, cli_actor(actor, sizeof actor), &released, &workers) != STORE_OK)
		rc = cli_error("%s (%d scans were handed back before the error)", store_error(s),
			       released);
	else
		printf("reset: %d running scan%s back to pending (no attempt spent), %lld worker "
		       "registration%s cleared; recorded as %s\n", released, released == 1 ? "" : "s",
		       (long long)workers, workers == 1 ? "" : "s", actor);
	store_close(s);
	return rc;
}

/* ---- audit ---------------------------------------------------------------------------------- */

int cmd_audit(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'l' },
		{ "before", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	long long limit = 50, before = 0;
	struct audit_entry *e = NULL;
	int c, json = 0, rc = CLI_OK;
	struct store *s;
	size_t n = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (num_parse(optarg, 1, STORE_LIST_MAX, &limit))
				return cli_usage("audit", "--limit must be from 1 to %d", STORE_LIST_MAX);
			break;
		case 'b':
			if (num_parse(optarg, 1, INT64_MAX, &before))
				return cli_usage("audit", "--before must be a positive entry id");
			break;
		case 'j': json = 1; break;
		default: return cli_bad_option("audit", argv, c);
		}
	}
	if (optind != argc)
		return cli_usage("audit", "unexpected argument '%s'", argv[optind]);
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (store_audit_list(s, before, (int)limit, &e, &n) != STORE_OK) {
		rc = cli_error("%s", store_error(s));
		goto out;
	}
	if (json) {
		json_t *a = json_array();

		for (size_t i = 0; i < n; i++) {
			json_t *o = json_pack("{sI sI ss ss ss ss}", "id", (json_int_t)e[i].id, "at",
					      (json_int_t)e[i].at, "actor", e[i].actor, "action",
					      e[i].action, "detail", e[i].detail, "client", e[i].client);

			json_object_set_new(o, "scan_id", e[i].scan_id ? json_integer(e[i].scan_id)
					    : json_null());
			json_array_append_new(a, o);
		}
		print_json(a);
	} else {
		for (size_t i = 0; i < n; i++) {
			char t[40], scan[32] = "";

			if (e[i].scan_id)
				snprintf(scan, sizeof scan, " scan %lld", (long long)e[i].scan_id);
			printf("%-6lld %s  %-24s %-12s%s%s%s%s%s\n", (long long)e[i].id,
			       scan_format_time(e[i].at, t, sizeof t), e[i].actor, e[i].action, scan,
			       e[i].detail[0] ? "  " : "", e[i].detail,
			       e[i].client[0] ? "  from " : "", e[i].client);
		}
		if (!n)
			printf("the audit trail is empty\n");
	}
out:
	free(e);
	store_close(s);
	return rc;
}
