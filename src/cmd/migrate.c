/*
 * migrate.c — `scanq migrate [--to VERSION] [--status]`: bring the schema
 * up to date (every command that opens the store does this too; this one
 * says what it did).  --to stops at an older version, for tests of
 * upgrades; --status only prints the versions.
 */
#include <getopt.h>
#include <stdio.h>
#include "cmd/cli.h"
#include "core/num.h"
#include "cmd/cmd.h"
#include "store/store.h"

int cmd_migrate(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "status", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct store *s;
	char err[512];
	long long to = -1;
	int c, applied = 0, status_only = 0, before, rc = CLI_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (num_parse(optarg, 1, 1000, &to))
				return cli_usage("migrate", "--to must be a schema version");
			break;
		case 's': status_only = 1; break;
		default: return cli_bad_option("migrate", argv, c);
		}
	}
	if (optind != argc)
		return cli_usage("migrate", "unexpected argument '%s'", argv[optind]);
	s = store_open_flags(cli->db_url, STORE_NO_MIGRATE, err, sizeof err);
	if (!s)
		return cli_error("%s", err);
	before = store_schema_version(s);
	if (to > store_schema_latest(s)) {
		rc = cli_usage("migrate", "--to %lld: the newest schema version is %d", to,
			       store_schema_latest(s));
	} else if (status_only) {
		printf("schema version %d (newest %d)\n", before, store_schema_latest(s));
	} else if (before < 0 || store_migrate(s, (int)to, &applied) != STORE_OK) {
		rc = cli_error("%s", store_error(s));
	} else if (applied == 0) {
		printf("schema is at version %d; nothing to do\n", before);
	} else {
		printf("migrated schema from version %d to %d (%d migration%s)\n", before,
		       store_schema_version(s), applied, applied == 1 ? "" : "s");
	}
	store_close(s);
	return rc;
}
