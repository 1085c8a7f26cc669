/*
 * token.c — `scanq token create --role R [--name N]`: makes an API token
 * and prints its secret once, on stdout.  Only a hash of it is stored
 * (auth.h), so a lost secret cannot be shown again: create another.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "auth.h"
#include "cli.h"
#include "cmd/cmd.h"
#include "store/store.h"

static int token_create(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	char secret[AUTH_SECRET_MAX], err[256];
	const char *name = "cli";
	enum auth_role role = AUTH_NONE;
	struct store *s;
	int64_t id;
	int c, rc = CLI_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (auth_role_parse(optarg, &role) < 0)
				return cli_usage("token", "--role must be viewer, operator or admin");
			break;
		case 'n':
			if (!*optarg || strlen(optarg) > AUTH_NAME_MAX)
				return cli_usage("token", "--name must be 1 to %d characters",
						 AUTH_NAME_MAX);
			name = optarg;
			break;
		default:
			return cli_bad_option("token", argv, c);
		}
	}
	if (optind != argc)
		return cli_usage("token", "unexpected argument '%s'", argv[optind]);
	if (role == AUTH_NONE)
		return cli_usage("token", "--role is required (viewer, operator or admin)");
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (auth_token_create(s, role, name, secret, sizeof secret, &id, err, sizeof err) < 0)
		rc = cli_error("%s", err);
	else
		printf("%s\n", secret);
	store_close(s);
	return rc;
}

int cmd_token(int argc, char **argv, struct cli *cli)
{
	if (argc < 2)
		return cli_usage("token", "expected a subcommand: create");
	if (strcmp(argv[1], "create") == 0)
		return token_create(argc - 1, argv + 1, cli);
	return cli_usage("token", "unknown subcommand '%s' (create)", argv[1]);
}
