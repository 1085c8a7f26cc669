/*
 * ratecap.c — `scanq ratecap set|rm|list`: rate caps per network held in
 * the database (store/ratecaps.c), beside the configuration's [rate] cap.
 * A cap is probes per second shared by every worker, agent and shard
 * scanning inside the network; workers read the caps at most once a
 * second, so a change reaches running scans within about a second.
 * Changes go to the audit trail.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "core/config.h"
#include "ratecap.h"
#include "store/store.h"

static int set(int argc, char **argv, struct cli *cli)
{
	struct ratecap c;
	char actor[80], detail[160], err[200], *end;
	struct store *s;
	long probes;
	int rc = CLI_OK;

	if (argc != 3)
		return cli_usage("ratecap", "ratecap set takes a network and probes per second"
				 " (ratecap set 10.0.0.0/8 2000)");
	errno = 0;
	probes = strtol(argv[2], &end, 10);
	if (errno || end == argv[2] || *end)
		return cli_usage("ratecap", "probes per second must be a number, not '%.40s'", argv[2]);
	if (ratecap_make(argv[1], probes, &c, err, sizeof err) < 0)
		return cli_usage("ratecap", "%s", err);
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (store_ratecap_set(s, c.net, c.probes, cli_actor(actor, sizeof actor)) != STORE_OK) {
		rc = cli_error("%s", store_error(s));
	} else {
		printf("%s capped at %ld probes per second, shared by every scan inside it\n", c.net,
		       c.probes);
		snprintf(detail, sizeof detail, "%s:%ld", c.net, c.probes);
		cli_audit(s, "ratecap set", 0, detail);
	}
	store_close(s);
	return rc;
}

static int rm(int argc, char **argv, struct cli *cli)
{
	struct ratecap c;
	char err[200];

	if (argc != 2)
		return cli_usage("ratecap", "ratecap rm takes one network, as ratecap list shows it");
	if (ratecap_make(argv[1], 1, &c, err, sizeof err) < 0)
		return cli_usage("ratecap", "%s", err);
	return cli_rm_named(cli, "ratecap", c.net, store_ratecap_rm, "",
			    " is no longer capped by the database");
}

static int list(int argc, char **argv, struct cli *cli)
{
	struct store *s;
	json_t *a;
	int json, rc;

	if ((rc = cli_list_json("ratecap", argc, argv, &json)) != CLI_OK)
		return rc;
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (!(a = store_ratecaps_json(s))) {
		rc = cli_error("%s", store_error(s));
	} else if (json) {
		json_dumpf(a, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		for (size_t i = 0; i < json_array_size(a); i++) {
			json_t *e = json_array_get(a, i);
			char when[32];

			if (!strcmp(json_string_value(json_object_get(e, "source")), "config")) {
				printf("%-24s %8lld/s  config ([rate] cap)\n",
				       json_string_value(json_object_get(e, "network")),
				       (long long)json_integer_value(json_object_get(e, "probes")));
				continue;
			}
			printf("%-24s %8lld/s  %s by %s\n",
			       json_string_value(json_object_get(e, "network")),
			       (long long)json_integer_value(json_object_get(e, "probes")),
			       scan_format_time(json_integer_value(json_object_get(e, "created_at")),
						when, sizeof when),
			       json_string_value(json_object_get(e, "created_by")));
		}
	}
	json_decref(a);
	store_close(s);
	return rc;
}

int cmd_ratecap(int argc, char **argv, struct cli *cli)
{
	static const struct cli_sub subs[] = {
		{ "set", set }, { "rm", rm }, { "list", list }, { NULL, NULL },
	};

	return cli_dispatch("ratecap", subs, argc, argv, cli);
}
