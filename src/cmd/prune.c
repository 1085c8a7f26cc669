/*
 * prune.c — `scanq prune [--older-than-days N] [--batch N] [--dry-run]`:
 * deletes finished scans (completed, failed, cancelled) older than N days
 * (default [maintenance] prune_days = 30) with their timelines and
 * findings, in short transactions of --batch scans (default 1000) so
 * workers are never blocked for long.  Pending and running scans are never
 * touched.  `scanq serve` runs the same pruning once an hour.
 */
#include <getopt.h>
#include <stdio.h>
#include "cli.h"
#include "num.h"
#include "cmd/cmd.h"
#include "config.h"
#include "store/store.h"

int cmd_prune(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "older-than-days", required_argument, NULL, 'd' },
		{ "batch", required_argument, NULL, 'b' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	long long days = config.prune_days, batch = config.prune_batch;
	int64_t deleted = 0;
	struct store *s;
	int c, dry = 0, rc = CLI_OK;

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
		default: return cli_bad_option("prune", argv, c);
		}
	}
	if (optind != argc)
		return cli_usage("prune", "unexpected argument '%s'", argv[optind]);
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (store_prune(s, scan_now_ms() - days * 86400000LL, (int)batch, 0, dry, &deleted)
	    != STORE_OK)
		rc = cli_error("%s (%lld scans were deleted before the error)", store_error(s),
			       (long long)deleted);
	else
		printf("%s %lld finished scan%s older than %lld day%s\n",
		       dry ? "dry run: would delete" : "deleted", (long long)deleted,
		       deleted == 1 ? "" : "s", days, days == 1 ? "" : "s");
	store_close(s);
	return rc;
}
