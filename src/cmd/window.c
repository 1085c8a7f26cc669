/*
 * window.c — `scanq window add|rm|list`: maintenance windows, times when
 * no scan of a pool or of some targets starts (store/windows.c,
 * maintenance/window.c).  Held scans stay pending and start when the
 * window closes; running ones finish, or are handed back at the window's
 * start without spending an attempt.  Changes go to the audit trail.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "core/clock.h"
#include "maintenance/window.h"
#include "store/store.h"

static int add(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "cron", required_argument, NULL, 'c' }, { "duration", required_argument, NULL, 'd' },
		{ "tz", required_argument, NULL, 'z' }, { "pool", required_argument, NULL, 'p' },
		{ "targets", required_argument, NULL, 't' },
		{ "running", required_argument, NULL, 'r' }, { NULL, 0, NULL, 0 },
	};
	/* in opts' order */
	const char *v[6] = { NULL }, *cron, *duration, *tz, *pool, *targets, *running;
	char actor[80], code[32], msg[300], detail[1600], t1[40], t2[40];
	struct window w;
	struct store *s;
	int64_t id;
	int rc;

	if ((rc = cli_string_options("window", argc, argv, opts, v)) != CLI_OK)
		return rc;
	cron = v[0], duration = v[1], tz = v[2], pool = v[3], targets = v[4], running = v[5];
	if (optind != argc - 1)
		return cli_usage("window", "window add takes one NAME and its options");
	if (!duration)
		return cli_usage("window", "window add needs --duration (9h, 90m, 1h30m)");
	if (window_build(argv[optind], cron, tz, duration, pool, targets, running,
			 cli_actor(actor, sizeof actor), &w, code, sizeof code, msg, sizeof msg) < 0)
		return cli_usage("window", "%s", msg);
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (store_window_add(s, &w, window_overlap, &id) != STORE_OK) {
		rc = cli_error("%s", store_error(s));
		goto out;
	}
	snprintf(detail, sizeof detail, "%s: %s for %s%s%s%s%s, running %s", w.name, w.cron,
		 duration, w.pool[0] ? " pool " : "", w.pool, w.targets[0] ? " targets " : "",
		 w.targets, w.running);
	cli_audit(s, "window add", 0, detail);
	printf("window %s added: %s from %s to %s (%s)\n", w.name,
	       window_open(&w, scan_now_ms()) ? "open now" : "next open",
	       scan_format_time(w.opens_at, t1, sizeof t1),
	       scan_format_time(w.closes_at, t2, sizeof t2), w.tz);
out:
	store_close(s);
	return rc;
}

static int rm(int argc, char **argv, struct cli *cli)
{
	if (argc != 2)
		return cli_usage("window", "window rm takes one NAME");
	return cli_rm_named(cli, "window", argv[1], store_window_rm, "window ", " removed");
}

static int list(int argc, char **argv, struct cli *cli)
{
	struct window *w = NULL;
	struct store *s;
	size_t n = 0;
	int64_t now = scan_now_ms();
	int json, rc;

	if ((rc = cli_list_json("window", argc, argv, &json)) != CLI_OK)
		return rc;
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (store_window_list(s, &w, &n) != STORE_OK) {
		rc = cli_error("%s", store_error(s));
	} else if (json) {
		json_t *a = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, window_to_json(&w[i], now));
		cli_print_json(a);
	} else {
		if (!n)
			printf("no maintenance windows\n");
		for (size_t i = 0; i < n; i++) {
			char t1[40], t2[40];

			printf("%-20s %-16s %s %6llds %-10s %-8s %s %s..%s\n", w[i].name, w[i].cron,
			       w[i].tz, (long long)(w[i].duration_ms / 1000),
			       w[i].pool[0] ? w[i].pool : "all-pools", w[i].running,
			       w[i].targets[0] ? w[i].targets : "all-targets",
			       scan_format_time(w[i].opens_at, t1, sizeof t1),
			       scan_format_time(w[i].closes_at, t2, sizeof t2));
			if (window_open(&w[i], now))
				printf("%-20s   open now\n", "");
		}
	}
	free(w);
	store_close(s);
	return rc;
}

int cmd_window(int argc, char **argv, struct cli *cli)
{
	static const struct cli_sub subs[] = {
		{ "add", add }, { "rm", rm }, { "list", list }, { NULL, NULL },
	};

	return cli_dispatch("window", subs, argc, argv, cli);
}
