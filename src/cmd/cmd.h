/*
 * cmd.h — the entry points of the subcommands in src/cmd/, one file each.
 * Each takes the command's own argv (argv[0] is the command name) and
 * returns an exit code (CLI_OK, CLI_FAIL, CLI_USAGE).
 */
#ifndef SCANQ_CMD_H
#define SCANQ_CMD_H

#include <jansson.h>

struct cli;

int cmd_submit(int argc, char **argv, struct cli *cli);
int cmd_show(int argc, char **argv, struct cli *cli);
int cmd_list(int argc, char **argv, struct cli *cli);
int cmd_retry(int argc, char **argv, struct cli *cli);
int cmd_cancel(int argc, char **argv, struct cli *cli);
int cmd_queue(int argc, char **argv, struct cli *cli);
int cmd_migrate(int argc, char **argv, struct cli *cli);
int cmd_serve(int argc, char **argv, struct cli *cli);
int cmd_scan(int argc, char **argv, struct cli *cli);
int cmd_findings(int argc, char **argv, struct cli *cli);
int cmd_finding(int argc, char **argv, struct cli *cli);
int cmd_export(int argc, char **argv, struct cli *cli);
int cmd_stuck(int argc, char **argv, struct cli *cli);
int cmd_prune(int argc, char **argv, struct cli *cli);
int cmd_doctor(int argc, char **argv, struct cli *cli);
int cmd_worker(int argc, char **argv, struct cli *cli);
int cmd_agent(int argc, char **argv, struct cli *cli);
int cmd_workers(int argc, char **argv, struct cli *cli);
int cmd_token(int argc, char **argv, struct cli *cli);
/* changes, webhooks, inventory */
int cmd_diff(int argc, char **argv, struct cli *cli);
int cmd_webhook(int argc, char **argv, struct cli *cli);
int cmd_exclude(int argc, char **argv, struct cli *cli);
int cmd_ratecap(int argc, char **argv, struct cli *cli);
int cmd_pause(int argc, char **argv, struct cli *cli);
int cmd_window(int argc, char **argv, struct cli *cli);
int cmd_resume(int argc, char **argv, struct cli *cli);
int cmd_inventory(int argc, char **argv, struct cli *cli);
int cmd_schedule(int argc, char **argv, struct cli *cli);
int cmd_config(int argc, char **argv, struct cli *cli);

/* operations: stuck report / clear (stuck_clear.c, reached through
 * cmd_stuck), reset, audit. */
int cmd_stuck_report(int argc, char **argv, struct cli *cli);
int cmd_stuck_clear(int argc, char **argv, struct cli *cli);
int cmd_reset(int argc, char **argv, struct cli *cli);
int cmd_audit(int argc, char **argv, struct cli *cli);
/*
 * The options of a scan request that `submit` and `schedule add` share:
 * --ports (p), --priority (P), --max-attempts (m), --time-limit (t) and
 * --options (o).  Sets option `c` (getopt's value, its argument `arg`) in
 * `in`; --options parses into *options (freed when replaced).  Meant as
 * the default: of the command's own switch: a `c` that is none of these is
 * reported as cli_bad_option() reports it (argv).  Returns CLI_OK if done,
 * or CLI_USAGE after one line naming what was wrong (for `cmd`).
 */
struct submit_input;
#define CMD_SCAN_OPTIONS \
	{ "ports", required_argument, NULL, 'p' }, \
	{ "priority", required_argument, NULL, 'P' }, \
	{ "max-attempts", required_argument, NULL, 'm' }, \
	{ "time-limit", required_argument, NULL, 't' }, \
	{ "options", required_argument, NULL, 'o' }, \
	{ "pool", required_argument, NULL, 'L' }	/* their entries of a getopt_long() table */
int cmd_scan_option(const char *cmd, char **argv, int c, const char *arg,
		    struct submit_input *in, json_t **options);

/* The hidden `scanq __man DIR`, `__completion`, `__config`,
 * `__complete WORDS` and `__routes` of the build (gen.c); argv[0] is the "__" name. */
int cmd_generate(int argc, char **argv, struct cli *cli);

#endif
