/*
 * config.c — `scanq config show [--json]`: every effective setting, its
 * value and where it came from: the built-in default, a line of the
 * settings file, an environment variable, or the --db flag.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "core/config.h"

struct show {
	json_t *arr;			/* --json, else NULL */
	const char *db_flag;		/* the --db value when it overrides */
};

static void one(void *arg, const char *name, const char *value, const char *source)
{
	struct show *sh = arg;

	if (!strcmp(name, "database.url") && sh->db_flag) {
		value = sh->db_flag;
		source = "flag --db";
	}
	if (sh->arr)
		json_array_append_new(sh->arr, json_pack("{ss ss ss}", "name", name, "value", value,
							 "source", source));
	else
		printf("%-32s = %-40s  (%s)\n", name, value, source);
}

int cmd_config(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct show sh = { NULL, NULL };
	int c, json = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c != 'j')
			return cli_bad_option("config", argv, c);
		json = 1;
	}
	if (optind != argc - 1 || strcmp(argv[optind], "show") != 0)
		return cli_usage("config", optind >= argc ? "missing subcommand (show)"
				 : "unknown subcommand '%s' (expected: show)", argv[optind]);
	/* main() points db_url at the configuration's unless --db gave one. */
	if (cli->db_url && cli->db_url != config.database_url)
		sh.db_flag = cli->db_url;
	if (json)
		sh.arr = json_array();
	config_each(one, &sh);
	if (json) {
		json_dumpf(sh.arr, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(sh.arr);
	}
	return CLI_OK;
}
