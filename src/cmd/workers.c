/*
 * workers.c — `scanq workers [--json]`: every registered worker process as
 * active (heartbeating, running scans), idle (heartbeating, none), dead
 * (no heartbeat for STORE_WORKER_DEAD_MS) or stopped (it exited and
 * recorded why), with the scans it runs and why its previous process
 * ended.  Read from the workers table only.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app/views.h"
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "store/store.h"

int cmd_workers(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct worker_info *ws = NULL;
	struct store *s;
	size_t n = 0;
	int64_t now;
	int c, json = 0, count[4] = { 0, 0, 0, 0 };

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c != 'j')
			return cli_bad_option("workers", argv, c);
		json = 1;
	}
	if (optind != argc)
		return cli_usage("workers", "unexpected argument '%s'", argv[optind]);
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (store_worker_list(s, &ws, &n) != STORE_OK) {
		cli_error("%s", store_error(s));
		store_close(s);
		return CLI_FAIL;
	}
	store_close(s);
	now = scan_now_ms();
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, worker_info_to_json(&ws[i], now));
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(arr);
		free(ws);
		return CLI_OK;
	}
	for (size_t i = 0; i < n; i++) {
		const char *st = worker_state(&ws[i], now);
		count[st[0] == 'a' ? 0 : st[0] == 'i' ? 1 : st[0] == 'd' ? 2 : 3]++;
	}
	printf("workers: %d active, %d idle, %d dead, %d stopped\n", count[0], count[1],
	       count[2], count[3]);
	if (n)
		printf("%-16s %-7s %-8s %7s %7s %9s %8s  %-24s %-6s %-10s %-15s %-10s %s\n", "NAME",
		       "STATE", "PID", "RUNNING", "CONC", "DONE", "BEAT", "SCANS", "KIND", "POOL",
		       "ADDRESS", "VERSION", "LAST EXIT");
	for (size_t i = 0; i < n; i++) {
		const struct worker_info *w = &ws[i];
		const char *hint = worker_exit_hint(w->last_exit);
		char ids[128] = "-", beat[32];
		size_t off = 0;

		for (int k = 0; k < w->nrunning_ids && off + 24 < sizeof ids; k++)
			off += (size_t)snprintf(ids + off, sizeof ids - off, "%s%lld", k ? "," : "",
						(long long)w->running_ids[k]);
		snprintf(beat, sizeof beat, "%.1fs", (double)(now - w->heartbeat_at) / 1000);
		printf("%-16s %-7s %-8d %7d %7d %9lld %8s  %-24s %-6s %-10s %-15s %-10s %s%s%s%s\n",
		       w->name, worker_state(w, now), w->pid, w->running, w->concurrency,
		       (long long)w->scans_done, beat, ids, w->kind[0] ? w->kind : "worker",
		       w->pool[0] ? w->pool : "local", w->address[0] ? w->address : "-",
		       w->version[0] ? w->version : "-", w->last_exit[0] ? w->last_exit : "-",
		       hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
	}
	free(ws);
	return CLI_OK;
}
