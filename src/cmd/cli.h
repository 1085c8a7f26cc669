/*
 * cli.h — what every `scanq` subcommand shares: the dispatch table entry,
 * the global options, the exit codes and the one-line error helpers.
 *
 * Each subcommand lives in src/cmd/NAME.c and exports cmd_NAME(); the table
 * in commands.c lists them with their usage and help text, from which both
 * `scanq help` and `scanq CMD --help` are generated.
 */
#ifndef SCANQ_CLI_H
#define SCANQ_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define CLI_OK     0	/* success */
#define CLI_FAIL   1	/* the command ran and failed */
#define CLI_USAGE  2	/* the command line was wrong */

struct store;
struct option;

struct cli {
	const char *db_url;	/* --db, else $DATABASE_URL, else the default */
	const char *self;	/* absolute path of this executable */
	int must_exist;		/* the command only reads: never create a database */
};

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv, struct cli *cli);
	const char *usage;	/* "submit TYPE TARGET... [--ports SPEC]" */
	const char *summary;	/* one line for `scanq help` */
	const char *help;	/* options and details for `scanq CMD --help` */
	int reads_only;		/* CLI_READS: refuses a SQLite file that does not exist */
};

enum { CLI_WRITES = 0, CLI_READS = 1 };

/* The table, terminated by an entry with name NULL. */
extern const struct cli_command cli_commands[];

/* Finds a command by name, or NULL. */
const struct cli_command *cli_find(const char *name);

/* What scanq is and where it finds its database and settings: the
 * paragraph of `scanq help` and of scanq(1), in buf.  Returns buf. */
const char *cli_description(char *buf, size_t len);

/* Prints `scanq help` (all commands) or one command's help to stdout. */
void cli_print_help(const struct cli_command *cmd);

/* Prints "error: MESSAGE" on stderr.  Returns CLI_FAIL. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "error: MESSAGE" and the command's usage line on stderr.
 * Returns CLI_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One subcommand of a command that has them: its name and what runs it
 * (with argv[0] the subcommand's name). */
struct cli_sub {
	const char *name;
	int (*run)(int argc, char **argv, struct cli *cli);
};

/* Runs the subcommand that argv[1] names among subs (ended by a NULL name),
 * or says which ones there are (CLI_USAGE). */
int cli_dispatch(const char *cmd, const struct cli_sub *subs, int argc, char **argv,
		 struct cli *cli);

/* After getopt_long() (optstring starting with ':') returned c, '?' or ':':
 * prints "unknown option 'X'" or "option 'X' needs a value" with the usage
 * line.  Returns CLI_USAGE. */
int cli_bad_option(const char *cmd, char **argv, int c);

/* The default: of a getopt_long() switch in a command that lists: --json
 * ('j') sets *json, --limit N ('l', N in optarg) sets *limit to N in
 * 1..max; any other c is reported as cli_bad_option() reports it.
 * Returns CLI_OK, or CLI_USAGE after saying what was wrong. */
int cli_list_option(const char *cmd, char **argv, int c, int *json, long long *limit,
		    long long max);
/*
 * Reads a command's options when each takes a string: opts is a
 * getopt_long() table (ended by a zero entry) and vals[k] receives the
 * value of opts[k] (vals left as the caller set them for options not
 * given).  Resets optind first.  Returns CLI_OK, or CLI_USAGE after saying
 * what was wrong (cli_bad_option()).
 */
int cli_string_options(const char *cmd, int argc, char **argv, const struct option *opts,
		       const char **vals);

/* A `CMD list [--json]` command line (argv[0] being "list"): sets *json.
 * Returns CLI_OK, or CLI_USAGE after saying "CMD list takes only --json". */
int cli_list_json(const char *cmd, int argc, char **argv, int *json);

/* Prints v indented with a newline, and frees it (NULL: nothing). */
void cli_print_json(json_t *v);

/*
 * `CMD rm NAME` of the commands that keep named rows (exclude, window,
 * ratecap): opens the store, runs rm(s, name), and when it is done prints
 * "PRE NAME POST" and records "CMD rm" NAME in the audit trail.  Returns
 * CLI_OK, CLI_FAIL after the store's error.
 */
int cli_rm_named(struct cli *cli, const char *cmd, const char *name,
		 int (*rm)(struct store *, const char *), const char *pre, const char *post);

#define CLI_LIST_OPTIONS \
	{ "json", no_argument, NULL, 'j' }, \
	{ "limit", required_argument, NULL, 'l' }	/* their entries of a getopt_long() table */

/* What a store call about scan `id` came to, on stderr: nothing for
 * STORE_OK, "no scan N" for STORE_NOT_FOUND, the store's error otherwise.
 * Returns CLI_OK for STORE_OK, else CLI_FAIL. */
int cli_scan_rc(struct store *s, int rc, int64_t id);

/* Opens (and migrates) the store named by cli->db_url.  Returns the handle
 * or NULL after printing the reason.  Free with store_close(). */
struct store *cli_open_store(struct cli *cli);

/* Parses a scan id (a positive integer).  Returns 0 or -1. */
int cli_parse_id(const char *s, int64_t *id);

/* The one scan id a command takes, argv[at], which must be the last word.
 * Returns CLI_OK with *id set, or CLI_USAGE after saying what was wrong. */
int cli_scan_id(const char *cmd, int argc, char **argv, int at, int64_t *id);

/* Who runs this command, for the audit trail: "cli:USER" (the login name
 * of the effective uid, else $USER, else the uid).  Returns buf. */
const char *cli_actor(char *buf, size_t len);

/* Asks `question` [y/N] on the terminal.  Returns 1 for yes, 0 for no, and
 * -1 when stdin is not a terminal (the caller refuses: pass --yes/--force). */
int cli_confirm(const char *question);

/* Records an operator action in the audit trail as cli_actor(); a failure
 * is reported on stderr but does not fail the command (the action is done). */
void cli_audit(struct store *s, const char *action, int64_t scan_id, const char *detail);

#endif
