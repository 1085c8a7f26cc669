/*
 * stuck.c — `scanq stuck [--max-age-hours N] [--recover [--dry-run]] [--json]`:
 * the stuck-scan report of the seeds' runbooks, answered from the database.
 *
 * In scanq a running scan is only stuck between its lease expiring and the
 * next lease recovery (seconds, when `serve` runs), so the report names
 * those, and due pending scans that nobody claimed for longer than the
 * threshold (default [maintenance] stuck_hours = 2) — with the likely
 * reason: no live worker.  --recover runs lease recovery now.
 *
 * `stuck report` and `stuck clear` (stuck_clear.c) are the full report,
 * every category with its fix, and the repair of each; the bare `stuck`
 * stays as the short report it always was: the same report
 * (store_stuck_report()), its categories with a brief reason only.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cli.h"
#include "core/num.h"
#include "cmd/cmd.h"
#include "core/config.h"
#include "store/store.h"

#define STUCK_LIST_MAX 200	/* of each category */

/* The brief reason of an item of the short report. */
static const char *reason_of(const struct stuck_item *it)
{
	int ncat;
	const struct stuck_category *cat = store_stuck_categories(&ncat);

	return it->category >= 0 && it->category < ncat && cat[it->category].brief
	       ? cat[it->category].brief : "?";
}

/* The stuck list, as JSON or as text with a hint when no worker is alive. */
static void print_stuck(const struct stuck_item *st, size_t n, int64_t total, long long hours,
			const struct queue_status *q, int json)
{
	char t[40];

	if (json) {
		json_t *o = json_object(), *a = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, json_pack("{sIsssssssisssIss}", "id", (json_int_t)st[i].id,
				"type", st[i].type, "status", scan_status_name(st[i].status),
				"reason", reason_of(&st[i]), "attempt", st[i].attempt,
				"worker_id", st[i].worker_id, "since_ms", (json_int_t)st[i].since,
				"since", scan_format_time(st[i].since, t, sizeof t)));
		json_object_set_new(o, "stuck_scans", json_integer(total));
		json_object_set_new(o, "max_age_hours", json_integer(hours));
		json_object_set_new(o, "scans", a);
		json_object_set_new(o, "workers_alive", json_integer(q->workers_active + q->workers_idle));
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
		return;
	}
	printf("%lld stuck scan%s (pending and due for over %lldh, or running with an "
	       "expired lease)\n", (long long)total, total == 1 ? "" : "s", hours);
	for (size_t i = 0; i < n; i++)
		printf("  %-8lld %-12s %-9s %-17s attempt %d%s%s since %s\n",
		       (long long)st[i].id, st[i].type, scan_status_name(st[i].status),
		       reason_of(&st[i]), st[i].attempt,
		       st[i].worker_id[0] ? " worker " : "", st[i].worker_id,
		       scan_format_time(st[i].since, t, sizeof t));
	if ((size_t)total > n)
		printf("  ... and %lld more\n", (long long)total - (long long)n);
	if (total && q->workers_active + q->workers_idle == 0)
		printf("hint: no worker is alive; start `scanq serve` (or `scanq worker`)\n");
}

/* --recover: lease recovery now, or with dry what it would take back (the
 * scans whose lease expired). */
static int recover_now(struct store *s, int64_t expired, int dry)
{
	int rec = 0, failed = 0;

	if (dry) {
		printf("dry run: lease recovery would take back %lld running scan%s\n",
		       (long long)expired, expired == 1 ? "" : "s");
		return CLI_OK;
	}
	if (store_recover_leases(s, 0, &rec, &failed) != STORE_OK)
		return cli_error("%s", store_error(s));
	printf("lease recovery: %d back to pending, %d failed (worker_lost)\n", rec, failed);
	return CLI_OK;
}

int cmd_stuck(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "max-age-hours", required_argument, NULL, 'a' },
		{ "recover", no_argument, NULL, 'r' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	long long hours = config.stuck_hours;
	int c, json = 0, recover = 0, dry = 0, rc = CLI_FAIL, ncat;
	const struct stuck_category *cat = store_stuck_categories(&ncat);
	int64_t totals[STUCK_CATEGORIES_MAX] = { 0 }, total = 0, expired = 0;
	struct stuck_item *st = NULL;
	struct queue_status q;
	struct store *s;
	size_t n = 0;

	if (argc >= 2 && strcmp(argv[1], "report") == 0)
		return cmd_stuck_report(argc - 1, argv + 1, cli);
	if (argc >= 2 && strcmp(argv[1], "clear") == 0)
		return cmd_stuck_clear(argc - 1, argv + 1, cli);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (num_parse(optarg, 0, 24 * 365, &hours))
				return cli_usage("stuck", "--max-age-hours must be a whole number of hours "
						 "from 0 to 8760");
			break;
		case 'r': recover = 1; break;
		case 'n': dry = 1; break;
		case 'j': json = 1; break;
		default: return cli_bad_option("stuck", argv, c);
		}
	}
	if (optind != argc)
		return cli_usage("stuck", "unexpected argument '%s'", argv[optind]);
	if (dry && !recover)
		return cli_usage("stuck", "--dry-run goes with --recover");
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (store_stuck_report(s, hours * 3600 * 1000, STUCK_LIST_MAX, STUCK_REPORT_BRIEF, &st, &n,
			       NULL, totals) != STORE_OK
	    || store_queue_status(s, &q) != STORE_OK) {
		cli_error("%s", store_error(s));
		goto out;
	}
	for (int i = 0; i < ncat; i++) {
		total += totals[i];
		if (cat[i].brief && strcmp(cat[i].brief, "lease_expired") == 0)
			expired += totals[i];
	}
	print_stuck(st, n, total, hours, &q, json);
	if (recover && recover_now(s, expired, dry) != CLI_OK)
		goto out;
	rc = CLI_OK;
out:
	free(st);
	store_close(s);
	return rc;
}
