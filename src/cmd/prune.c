/*
 * prune.c — `scanq prune [--older-than-days N] [--batch N] [--dry-run]
 * [--yes]`: deletes finished scans (completed, failed, cancelled) past their
 * retention with their timelines and findings, in short transactions of
 * --batch scans (default 1000) with a pause between them, so a worker's
 * claim never waits behind more than one batch.  Pending and running scans
 * are never touched.
 *
 * Retention is by final status: [maintenance] keep_completed_days,
 * keep_failed_days and keep_cancelled_days (0: prune_days, 30); with
 * --older-than-days N every status keeps N days.  It counts first and
 * prints the count; on a terminal it asks unless given --yes, and when
 * stdin is not a terminal it refuses without --yes.  `scanq serve` prunes
 * by itself every [maintenance] prune_hours.
 */
#include <getopt.h>
#include <stdio.h>
#include "cmd/cli.h"
#include "core/num.h"
#include "cmd/cmd.h"
#include "core/config.h"
#include "maintenance/maintenance.h"
#include "store/store.h"

int cmd_prune(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "older-than-days", required_argument, NULL, 'd' },
		{ "batch", required_argument, NULL, 'b' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "yes", no_argument, NULL, 'y' },
		{ NULL, 0, NULL, 0 },
	};
	long long days = -1, batch = config.prune_batch;
	int64_t d[3] = { 0, 0, 0 }, count, now = scan_now_ms();
	struct store *s;
	int c, dry = 0, yes = 0, rc = CLI_OK;
	char why[64], q[200], detail[128];

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (num_parse(optarg, 0, 36500, &days))
				return cli_usage("prune", "--older-than-days must be from 0 to 36500");
			break;
		case 'b':
			if (num_parse(optarg, 1, 100000, &batch))
				return cli_usage("prune", "--batch must be from 1 to 100000");
			break;
		case 'n': dry = 1; break;
		case 'y': yes = 1; break;
		default: return cli_bad_option("prune", argv, c);
		}
	}
	if (optind != argc)
		return cli_usage("prune", "unexpected argument '%s'", argv[optind]);
	if (days >= 0)
		snprintf(why, sizeof why, "older than %lld day%s", days, days == 1 ? "" : "s");
	else
		snprintf(why, sizeof why, "past their retention");
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (maintenance_prune(s, now, (int)days, (int)batch, 0, 1, d) < 0) {
		rc = cli_error("%s", store_error(s));
		goto out;
	}
	count = d[0] + d[1] + d[2];
	if (dry || count == 0) {
		printf("%s %lld finished scan%s %s (completed %lld, failed %lld, cancelled %lld)\n",
		       dry ? "dry run: would delete" : "deleted", (long long)count,
		       count == 1 ? "" : "s", why, (long long)d[0], (long long)d[1], (long long)d[2]);
		goto out;
	}
	if (!yes) {
		snprintf(q, sizeof q, "prune deletes %lld finished scan%s %s with their timelines and "
			 "findings; go ahead?", (long long)count, count == 1 ? "" : "s", why);
		switch (cli_confirm(q)) {
		case 1:
			break;
		case 0:
			printf("prune: nothing deleted\n");
			goto out;
		default:
			rc = cli_usage("prune", "prune would delete %lld finished scan%s %s; stdin is not "
				       "a terminal, so confirm with --yes", (long long)count,
				       count == 1 ? "" : "s", why);
			goto out;
		}
	}
	if (maintenance_prune(s, now, (int)days, (int)batch, 0, 0, d) < 0) {
		rc = cli_error("%s (%lld scans were deleted before the error)", store_error(s),
			       (long long)(d[0] + d[1] + d[2]));
		goto out;
	}
	count = d[0] + d[1] + d[2];
	printf("deleted %lld finished scan%s %s (completed %lld, failed %lld, cancelled %lld)\n",
	       (long long)count, count == 1 ? "" : "s", why, (long long)d[0], (long long)d[1],
	       (long long)d[2]);
	snprintf(detail, sizeof detail, "%lld deleted, %s", (long long)count, why);
	cli_audit(s, "prune", 0, detail);
out:
	store_close(s);
	return rc;
}
