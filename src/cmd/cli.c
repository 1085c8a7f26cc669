/*
 * cli.c — helpers shared by the subcommands: help generated from the
 * command table, error lines, number parsing and opening the store.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cli.h"
#include "core/config.h"
#include "core/num.h"
#include "store/store.h"

const struct cli_command *cli_find(const char *name)
{
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

const char *cli_description(char *buf, size_t len)
{
	snprintf(buf, len,
		 "scanq queues security scans in a database and runs them in supervised\n"
		 "child processes.  The database is the single source of truth: --db URL,\n"
		 "else $DATABASE_URL, else [database] url of the settings (default\n"
		 "%s).\n"
		 "Settings come from --config PATH, else $SCANQ_CONFIG, else ./scanq.ini%s%s,\n"
		 "then SCANQ_<SECTION>_<KEY> variables.\n",
		 CONFIG_DEFAULT_DB_URL, CONFIG_SYSTEM_FILE[0] ? ",\nelse " : "", CONFIG_SYSTEM_FILE);
	return buf;
}

void cli_print_help(const struct cli_command *cmd)
{
	char text[1024];

	if (cmd) {
		printf("usage: scanq %s\n\n%s\n", cmd->usage, cmd->summary);
		if (cmd->help && *cmd->help)
			printf("\n%s", cmd->help);
		return;
	}
	printf("usage: scanq [--db URL] [--config PATH] COMMAND [ARGS]\n\n%s\ncommands:\n",
	       cli_description(text, sizeof text));
	for (const struct cli_command *c = cli_commands; c->name; c++)
		printf("  %-10s %s\n", c->name, c->summary);
	printf("\nRun 'scanq COMMAND --help' for one command's options.\n"
	       "Exit codes: 0 ok, 1 failure, 2 usage error.\n");
}

/* Prints "error: MESSAGE" as one line: control bytes from user input (an
 * escape sequence in a target, a newline) are shown as '?'. */
static void error_line(const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof msg, fmt, ap);
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	fprintf(stderr, "error: %s\n", msg);
}

int cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_line(fmt, ap);
	va_end(ap);
	return CLI_FAIL;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
	const struct cli_command *c = cli_find(cmd);
	va_list ap;

	va_start(ap, fmt);
	error_line(fmt, ap);
	va_end(ap);
	if (c)
		fprintf(stderr, "usage: scanq %s\n", c->usage);
	return CLI_USAGE;
}

int cli_dispatch(const char *cmd, const struct cli_sub *subs, int argc, char **argv,
		 struct cli *cli)
{
	char names[256] = "";
	size_t len = 0;

	for (const struct cli_sub *s = subs; s->name; s++) {
		if (argc >= 2 && strcmp(argv[1], s->name) == 0)
			return s->run(argc - 1, argv + 1, cli);
		len += (size_t)snprintf(names + len, len < sizeof names ? sizeof names - len : 0, "%s%s",
					s == subs ? "" : ", ", s->name);
		if (len >= sizeof names)
			len = sizeof names - 1;
	}
	if (argc < 2)
		return cli_usage(cmd, "expected a subcommand: %s", names);
	return cli_usage(cmd, "unknown subcommand '%.40s' (%s)", argv[1], names);
}

int cli_bad_option(const char *cmd, char **argv, int c)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";

	if (c == ':')
		return cli_usage(cmd, "option '%s' needs a value", arg);
	return cli_usage(cmd, "unknown option '%s'", arg);
}

int cli_string_options(const char *cmd, int argc, char **argv, const struct option *opts,
		       const char **vals)
{
	int c, k;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		for (k = 0; opts[k].name && opts[k].val != c; k++)
			;
		if (!opts[k].name || opts[k].has_arg != required_argument)
			return cli_bad_option(cmd, argv, c);
		vals[k] = optarg;
	}
	return CLI_OK;
}

int cli_list_json(const char *cmd, int argc, char **argv, int *json)
{
	*json = argc == 2 && strcmp(argv[1], "--json") == 0;
	if (argc > 2 || (argc == 2 && !*json))
		return cli_usage(cmd, "%s list takes only --json", cmd);
	return CLI_OK;
}

void cli_print_json(json_t *v)
{
	if (!v)
		return;
	json_dumpf(v, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(v);
}

int cli_rm_named(struct cli *cli, const char *cmd, const char *name,
		 int (*rm)(struct store *, const char *), const char *pre, const char *post)
{
	struct store *s;
	char action[40];
	int rc = CLI_OK;

	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (rm(s, name) != STORE_OK) {
		rc = cli_error("%s", store_error(s));
	} else {
		printf("%s%s%s\n", pre, name, post);
		snprintf(action, sizeof action, "%s rm", cmd);
		cli_audit(s, action, 0, name);
	}
	store_close(s);
	return rc;
}

int cli_list_option(const char *cmd, char **argv, int c, int *json, long long *limit,
		    long long max)
{
	if (c == 'j') {
		*json = 1;
		return CLI_OK;
	}
	if (c != 'l')
		return cli_bad_option(cmd, argv, c);
	if (num_parse(optarg, 1, max, limit) < 0)
		return cli_usage(cmd, "--limit must be 1..%lld", max);
	return CLI_OK;
}

int cli_scan_rc(struct store *s, int rc, int64_t id)
{
	if (rc == STORE_OK)
		return CLI_OK;
	if (rc == STORE_NOT_FOUND)
		return cli_error("no scan %lld", (long long)id);
	return cli_error("%s", store_error(s));
}

struct store *cli_open_store(struct cli *cli)
{
	char err[256];
	struct store *s = store_open_flags(cli->db_url, cli->must_exist ? STORE_MUST_EXIST : 0, err,
					   sizeof err);

	if (!s)
		cli_error("%s", err);
	return s;
}

int cli_scan_id(const char *cmd, int argc, char **argv, int at, int64_t *id)
{
	if (at != argc - 1)
		return cli_usage(cmd, "expected one scan id");
	if (cli_parse_id(argv[at], id) < 0)
		return cli_usage(cmd, "invalid scan id '%s'", argv[at]);
	return CLI_OK;
}

int cli_parse_id(const char *s, int64_t *id)
{
	long long v;

	if (num_parse(s, 1, INT64_MAX, &v) < 0)
		return -1;
	*id = (int64_t)v;
	return 0;
}
