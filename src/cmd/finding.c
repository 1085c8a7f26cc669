/*
 * finding.c — `scanq finding accept|false-positive|reopen FINGERPRINT`:
 * an operator's decision on one finding of the lifecycle (store.h).  An
 * acceptance and a false positive need --reason; an acceptance may expire
 * (--expires, RFC 3339 or a duration), after which it reads as reopened.
 * The change and its audit record are one transaction; bad input is one
 * line on stderr and changes nothing.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "app/findings.h"
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "store/store.h"

/* `finding VERB FINGERPRINT [options]`, VERB's state being `to`. */
static int triage(const char *verb, const char *to, int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "expires", required_argument, NULL, 'e' },
		{ "baseline", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct finding_state row;
	const char *reason = NULL, *expires = NULL;
	int64_t bid = 0, exp_ms = 0;
	char actor[96];
	struct store *s;
	int c, json = 0, src;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'r': reason = optarg; break;
		case 'e': expires = optarg; break;
		case 'j': json = 1; break;
		case 'b':
			if (cli_parse_id(optarg, &bid) < 0)
				return cli_usage("finding", "--baseline must be a baseline id, not '%s'", optarg);
			break;
		default: return cli_bad_option("finding", argv, c);
		}
	}
	if (optind != argc - 1)
		return cli_usage("finding", "finding %s needs one FINGERPRINT", verb);
	if (strcmp(to, "reopened") != 0 && (!reason || !*reason))
		return cli_usage("finding", "finding %s needs --reason TEXT", verb);
	if (expires && strcmp(to, "accepted") != 0)
		return cli_usage("finding", "--expires is for finding accept only");
	if (expires && findings_parse_expiry(expires, scan_now_ms(), &exp_ms) < 0)
		return cli_usage("finding", "--expires must be an RFC 3339 time (2027-01-31T12:00:00Z)"
				 " or a duration such as 90m, 12h, 30d");
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	src = store_finding_triage(s, argv[optind], bid, to, reason, exp_ms,
				   cli_actor(actor, sizeof actor), &row);
	if (src != STORE_OK) {
		cli_error("%s", store_error(s));
		store_close(s);
		return CLI_FAIL;
	}
	if (json) {
		json_t *o = finding_state_to_json(&row);

		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else {
		findings_state_print(stdout, &row);
	}
	finding_state_release(&row);
	store_close(s);
	return CLI_OK;
}

static int accept(int argc, char **argv, struct cli *cli)
{
	return triage("accept", "accepted", argc, argv, cli);
}

static int false_positive(int argc, char **argv, struct cli *cli)
{
	return triage("false-positive", "false_positive", argc, argv, cli);
}

static int reopen(int argc, char **argv, struct cli *cli)
{
	return triage("reopen", "reopened", argc, argv, cli);
}

int cmd_finding(int argc, char **argv, struct cli *cli)
{
	static const struct cli_sub subs[] = {
		{ "accept", accept },
		{ "false-positive", false_positive },
		{ "reopen", reopen },
		{ NULL, NULL },
	};

	return cli_dispatch("finding", subs, argc, argv, cli);
}
