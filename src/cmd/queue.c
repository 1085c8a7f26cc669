/*
 * queue.c — `scanq queue status [--json]`: how many scans are in each
 * status (overall and by type), how old the oldest pending one is, the
 * throughput of the last minute and the workers' health.  Served from
 * counters the database keeps, never from a scan of the whole table.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "cmd/cmd.h"
#include "store/store.h"

int cmd_queue(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct queue_status q;
	struct store *s;
	int c, json = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c != 'j')
			return cli_bad_option("queue", argv, c);
		json = 1;
	}
	if (optind != argc - 1 || strcmp(argv[optind], "status") != 0)
		return cli_usage("queue", optind >= argc ? "missing subcommand (status)"
				 : "unknown subcommand (expected: status)");
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (store_queue_status(s, &q) != STORE_OK) {
		cli_error("%s", store_error(s));
		store_close(s);
		return CLI_FAIL;
	}
	store_close(s);
	if (json) {
		json_t *o = queue_status_to_json(&q);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
		return CLI_OK;
	}
	printf("queue depth: %lld pending", (long long)q.by_status[SCAN_PENDING]);
	if (q.oldest_pending_ms)
		printf(" (oldest %.1fs)", (double)q.oldest_pending_ms / 1000);
	printf("\nscans: ");
	for (int i = 0; i < SCAN_STATUS_COUNT; i++)
		printf("%s%s %lld", i ? ", " : "", scan_status_name((enum scan_status)i),
		       (long long)q.by_status[i]);
	printf("\nfinished in the last minute: %lld\n", (long long)q.finished_last_minute);
	printf("workers: %d active, %d idle, %d dead\n", q.workers_active, q.workers_idle,
	       q.workers_dead);
	for (int t = 0; t < q.ntypes; t++) {
		printf("  %-12s", q.types[t].type);
		for (int i = 0; i < SCAN_STATUS_COUNT; i++)
			printf(" %s %lld", scan_status_name((enum scan_status)i),
			       (long long)q.types[t].by_status[i]);
		putchar('\n');
	}
	return CLI_OK;
}
