/*
 * serve.c — `scanq serve`: the whole system in one process tree on one
 * database.  Today it runs the maintenance loop (maintenance.h: lease
 * recovery every 2 s, pruning hourly); SIGTERM or SIGINT stops it cleanly.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "cmd/cmd.h"
#include "maintenance.h"
#include "log.h"
#include "store.h"

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	stopping = sig;
}

int cmd_serve(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ NULL, 0, NULL, 0 },
	};
	struct maintenance m = { 0 };
	struct sigaction sa;
	struct store *s;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1)
		return cli_bad_option("serve", argv, c);
	if (optind != argc)
		return cli_usage("serve", "unexpected argument '%s'", argv[optind]);
	log_set_component("serve");
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	log_info("scanq serving", "db=%s backend=%s schema=%d", cli->db_url, store_backend(s),
		 store_schema_version(s));
	while (!stopping) {
		int64_t wait = maintenance_tick(&m, s);
		struct timespec ts = { (time_t)(wait / 1000), (long)(wait % 1000) * 1000000L };

		while (!stopping && nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	log_info("scanq stopped", "signal=%d", (int)stopping);
	store_close(s);
	return CLI_OK;
}
