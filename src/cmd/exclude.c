/*
 * exclude.c — `scanq exclude add|rm|list`: the global exclusion list, held
 * in the database so every host and worker sees it (store/exclusions.c).
 * An excluded address is never scanned: a scan wholly excluded is refused
 * at submit, a follow-up stage never gets one, and a scanner skips and
 * counts the ones a target holds.  Changes go to the audit trail.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "core/config.h"
#include "scope.h"
#include "store/store.h"

static int add(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *vals[1] = { "" }, *reason;
	char actor[80], detail[512], err[200];
	struct store *s;
	int rc;

	if ((rc = cli_string_options("exclude", argc, argv, opts, vals)) != CLI_OK)
		return rc;
	reason = vals[0];
	if (optind != argc - 1)
		return cli_usage("exclude", "exclude add takes one CIDR block, address or domain suffix");
	if (scope_entry_valid(argv[optind], err, sizeof err) < 0)
		return cli_usage("exclude", "bad exclusion '%.60s' (a CIDR block, an address or a"
				 " domain suffix)", argv[optind]);
	if (strlen(reason) > STORE_EXCLUSION_REASON_MAX)
		return cli_usage("exclude", "a reason is at most %d bytes", STORE_EXCLUSION_REASON_MAX);
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (store_exclusion_add(s, argv[optind], reason, cli_actor(actor, sizeof actor)) != STORE_OK) {
		rc = cli_error("%s", store_error(s));
	} else {
		printf("%s excluded: no scan touches it from now on\n", argv[optind]);
		snprintf(detail, sizeof detail, "%.255s%s%.200s", argv[optind], *reason ? ": " : "",
			 reason);
		cli_audit(s, "exclude add", 0, detail);
	}
	store_close(s);
	return rc;
}

static int rm(int argc, char **argv, struct cli *cli)
{
	if (argc != 2)
		return cli_usage("exclude", "exclude rm takes one entry, as exclude list shows it");
	return cli_rm_named(cli, "exclude", argv[1], store_exclusion_rm, "", " is no longer excluded");
}

static int list(int argc, char **argv, struct cli *cli)
{
	struct exclusion *x = NULL;
	struct store *s;
	size_t n = 0;
	int json, rc;

	if ((rc = cli_list_json("exclude", argc, argv, &json)) != CLI_OK)
		return rc;
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (store_exclusion_list(s, &x, &n) != STORE_OK) {
		rc = cli_error("%s", store_error(s));
	} else if (json) {
		cli_print_json(store_exclusions_json(x, n));
	} else {
		for (int i = 0; i < config.nexclude; i++)
			printf("%-40s config ([scope] exclude)\n", config.scope_exclude[i]);
		for (size_t i = 0; i < n; i++) {
			char when[32];

			printf("%-40s %s by %s%s%s\n", x[i].entry,
			       scan_format_time(x[i].created_at, when, sizeof when), x[i].created_by,
			       x[i].reason[0] ? ": " : "", x[i].reason);
		}
	}
	free(x);
	store_close(s);
	return rc;
}

int cmd_exclude(int argc, char **argv, struct cli *cli)
{
	static const struct cli_sub subs[] = {
		{ "add", add }, { "rm", rm }, { "list", list }, { NULL, NULL },
	};

	return cli_dispatch("exclude", subs, argc, argv, cli);
}
