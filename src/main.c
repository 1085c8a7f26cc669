/*
 * main.c — the `scanq` entry point: global options, then dispatch to the
 * subcommand named by the first argument (git-style).  `--db URL` may stand
 * anywhere before a `--`, and so may `--config PATH`; `--help` after a command prints that command's help.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "core/config.h"
#include "scantype.h"

int main(int argc, char **argv)
{
	static char self[PATH_MAX];
	struct cli cli = { 0 };
	const struct cli_command *cmd;
	const char *config_path = NULL;
	char err[512];
	int n = 0;
	ssize_t len;

	len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (len > 0) {
		self[len] = '\0';
		cli.self = self;
	} else {
		cli.self = argv[0];
	}

	/* Take the global options out of argv, wherever they stand. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				argv[++n] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "--db") == 0 || strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "error: %s needs a value\n", argv[i]);
				return CLI_USAGE;
			}
			if (argv[i][2] == 'd')
				cli.db_url = argv[++i];
			else
				config_path = argv[++i];
		} else if (strncmp(argv[i], "--db=", 5) == 0) {
			cli.db_url = argv[i] + 5;
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			config_path = argv[i] + 9;
		} else {
			argv[++n] = argv[i];
		}
	}
	argc = n + 1;
	argv[argc] = NULL;

	opterr = 0;	/* commands print their own one-line errors */

	/* Defaults, then the config file, then the environment, then --db. */
	scantype_config_checks();
	if (config_load(config_path, err, sizeof err) < 0) {
		fprintf(stderr, "error: %s\n", err);
		return CLI_FAIL;
	}
	/* A misspelled SCANQ_* variable would be ignored without a word. */
	config_warn_unknown_env(stderr);
	/* Workers and scan children read the same file: they inherit
	 * SCANQ_CONFIG (an absolute path, as they may run elsewhere). */
	if (config_path) {
		char abs[PATH_MAX];
		if (!realpath(config_path, abs)) {
			fprintf(stderr, "error: config file %s: cannot resolve its path\n", config_path);
			return CLI_FAIL;
		}
		setenv("SCANQ_CONFIG", abs, 1);
	}
	if (!cli.db_url)
		cli.db_url = config.database_url;

	if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0
	    || strcmp(argv[1], "-h") == 0) {
		if (argc >= 3) {
			cmd = cli_find(argv[2]);
			if (!cmd) {
				fprintf(stderr, "error: unknown command '%s'\n", argv[2]);
				return CLI_USAGE;
			}
			cli_print_help(cmd);
			return CLI_OK;
		}
		cli_print_help(NULL);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	/* The build's generators (man pages, completion, settings file):
	 * hidden from `scanq help`, see src/cmd/gen.c. */
	if (strncmp(argv[1], "__", 2) == 0)
		return cmd_generate(argc - 1, argv + 1, &cli);
	cmd = cli_find(argv[1]);
	if (!cmd) {
		fprintf(stderr, "error: unknown command '%s' (see 'scanq help')\n", argv[1]);
		return CLI_USAGE;
	}
	for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cli_print_help(cmd);
			return CLI_OK;
		}
	}
	/* A command that only reads never creates a database (a mistyped
	 * --db would otherwise list the scans of a new, empty file). */
	cli.must_exist = cmd->reads_only;
	return cmd->run(argc - 1, argv + 1, &cli);
}
