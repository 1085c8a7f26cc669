/*
 * show.c — `scanq show ID [--json]`: one scan with its timeline.  The CLI
 * is an operator's tool, so it shows the internal error_detail too.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include "app/views.h"
#include "cmd/cli.h"
#include "cmd/chain.h"
#include "cmd/cmd.h"
#include "store/store.h"

#define SHOW_EVENTS_MAX 200

static void print_human(const struct scan *sc, const struct scan_event *ev, size_t nev)
{
	char t1[40];

	printf("scan %lld  %s  %s\n", (long long)sc->id, sc->type, scan_status_name(sc->status));
	printf("  targets       %s\n", sc->targets);
	printf("  options       %s\n", sc->options);
	/* Counted within the current retry budget (a retry starts a new one). */
	printf("  attempt       %d of %d%s\n", sc->attempts_used, sc->max_attempts,
	       sc->cancel_requested ? "  (cancel requested)" : "");
	if (sc->schedule_id)
		printf("  schedule      %lld\n", (long long)sc->schedule_id);
	printf("  priority      %d\n", sc->priority);
	printf("  pool          %s\n", sc->pool);
	printf("  progress      %.0f%%\n", sc->progress * 100);
	printf("  created       %s\n", scan_format_time(sc->created_at, t1, sizeof t1));
	if (sc->claimed_at)
		printf("  claimed       %s by %s\n", scan_format_time(sc->claimed_at, t1, sizeof t1),
		       sc->worker_id);
	if (sc->lease_expires_at)
		printf("  lease until   %s\n", scan_format_time(sc->lease_expires_at, t1, sizeof t1));
	if (sc->status == SCAN_PENDING && sc->run_after > scan_now_ms())
		printf("  runs after    %s\n", scan_format_time(sc->run_after, t1, sizeof t1));
	if (sc->finished_at)
		printf("  finished      %s\n", scan_format_time(sc->finished_at, t1, sizeof t1));
	if (sc->error_code[0])
		printf("  error         %s: %s\n", sc->error_code,
		       sc->error_message ? sc->error_message : "");
	if (sc->error_detail && *sc->error_detail)
		printf("  error detail  %s\n", sc->error_detail);
	if (sc->summary)
		printf("  summary       %s\n", sc->summary);
	printf("timeline:\n");
	for (size_t i = 0; i < nev; i++)
		printf("  %s  %-9s -> %-9s attempt %d%s%s  %s\n",
		       scan_format_time(ev[i].at, t1, sizeof t1),
		       ev[i].from < 0 ? "" : scan_status_name((enum scan_status)ev[i].from),
		       scan_status_name(ev[i].to), ev[i].attempt,
		       ev[i].worker_id[0] ? "  " : "", ev[i].worker_id, ev[i].reason);
}

int cmd_show(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct scan sc = { 0 };
	struct scan_event *ev = NULL;
	struct store *s = NULL;
	json_t *tree = NULL;
	const char *err;
	size_t nev = 0;
	int64_t id;
	int c, json = 0, rc = CLI_FAIL, src;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c != 'j')
			return cli_bad_option("show", argv, c);
		json = 1;
	}
	if (cli_scan_id("show", argc, argv, optind, &id) != CLI_OK)
		return CLI_USAGE;
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	src = store_get(s, id, &sc);
	if (src == STORE_OK)
		src = store_events(s, id, SHOW_EVENTS_MAX, &ev, &nev);
	if (src != STORE_OK) {
		cli_error("%s", store_error(s));
		goto out;
	}
	/* A stage of a chain, or a split scan: the whole tree (app/views.c). */
	if ((sc.flow || sc.parent_id) && flow_tree_read(s, id, &tree, &err) != STORE_OK) {
		cli_error("%s", err);
		goto out;
	}
	if (json) {
		json_t *o = scan_to_json(&sc, 1), *events = json_array();
		for (size_t i = 0; i < nev; i++)
			json_array_append_new(events, scan_event_to_json(&ev[i]));
		json_object_set_new(o, "events", events);
		if (tree)
			json_object_set(o, "flow", tree);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else {
		print_human(&sc, ev, nev);
		if (tree)
			chain_print(stdout, tree, (long long)id);
	}
	rc = CLI_OK;
out:
	free(ev);
	json_decref(tree);
	scan_release(&sc);
	store_close(s);
	return rc;
}
