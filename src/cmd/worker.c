/*
 * worker.c — `scanq worker [--concurrency N] [--name NAME] [--pool NAME]
 * [--once] [--max-scans N]`: one worker process (see worker.h).  Run alone it also
 * does lease recovery, so a scan whose worker died is healed even when no
 * `scanq serve` runs; under `scanq serve` the supervisor passes
 * --no-recovery and --heartbeat-fd.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cli.h"
#include "core/num.h"
#include "cmd/cmd.h"
#include "core/config.h"
#include "core/scan.h"
#include "core/log.h"
#include "worker/worker.h"

int cmd_worker(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "concurrency", required_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "once", no_argument, NULL, 'o' },
		{ "max-scans", required_argument, NULL, 'm' },
		{ "no-recovery", no_argument, NULL, 'R' },
		{ "heartbeat-fd", required_argument, NULL, 'H' },
		{ "instance", required_argument, NULL, 'I' },
		{ "pool", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	struct worker_opts o = { .db_url = cli->db_url, .self = cli->self,
				 .concurrency = config.concurrency, .recover_leases = 1,
				 .heartbeat_fd = -1 };
	long long v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (num_parse(optarg, 1, WORKER_CONCURRENCY_MAX, &v) < 0)
				return cli_usage("worker", "--concurrency must be 1..%d",
						 WORKER_CONCURRENCY_MAX);
			o.concurrency = (int)v;
			break;
		case 'n':
			if (!*optarg || strlen(optarg) >= SCAN_WORKER_MAX)
				return cli_usage("worker", "--name must be 1..%d bytes",
						 SCAN_WORKER_MAX - 1);
			o.name = optarg;
			break;
		case 'o':
			o.once = 1;
			break;
		case 'P':
			if (!config_pool_name_valid(optarg))
				return cli_usage("worker", "--pool must be a pool name: a-z, 0-9, _ and -, "
						 "1 to 32");
			snprintf(config.worker_pool, sizeof config.worker_pool, "%s", optarg);
			break;
		case 'm':
			if (num_parse(optarg, 1, 1000000000, &v) < 0)
				return cli_usage("worker", "--max-scans must be a positive number");
			o.max_scans = (int)v;
			break;
		case 'R':
			o.recover_leases = 0;
			break;
		case 'H':
			if (num_parse(optarg, 3, 1024, &v) < 0)
				return cli_usage("worker", "--heartbeat-fd must be a descriptor 3..1024");
			o.heartbeat_fd = (int)v;
			break;
		case 'I': {
			char *end;
			unsigned long u;

			errno = 0;
			u = strtoul(optarg, &end, 16);
			if (errno || end == optarg || *end || u == 0 || u > 0xffffffffUL)
				return cli_usage("worker", "--instance must be 1..8 hex digits, not 0");
			o.instance = (uint32_t)u;
			break;
		}
		default:
			return cli_bad_option("worker", argv, c);
		}
	}
	if (optind != argc)
		return cli_usage("worker", "unexpected argument '%s'", argv[optind]);
	if (o.concurrency > WORKER_CONCURRENCY_MAX)
		o.concurrency = WORKER_CONCURRENCY_MAX;
	log_set_component("worker");
	return worker_run(&o) == 0 ? CLI_OK : CLI_FAIL;
}
