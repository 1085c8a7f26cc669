/*
 * token.c — `scanq token create --role R [--pool NAME] [--name N]
 * [--expires DURATION]`: makes an API token (an agent token, --role agent,
 * names its pool) and prints its secret once, on stdout.  Only a hash
 * of it is stored (auth.h), so a lost secret cannot be shown again: create
 * another.  `token list` shows every token (never a secret) with its
 * state; `token revoke ID` stops a token at once.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api/auth.h"
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "core/num.h"
#include "store/store.h"


static int token_list(int argc, char **argv, struct cli *cli)
{
	struct token_info *t = NULL;
	int json = 0, rc = CLI_OK;
	int64_t now = scan_now_ms();
	struct store *s;
	size_t n = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else
			return cli_usage("token", "unexpected argument '%s' (token list [--json])", argv[i]);
	}
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (store_token_list(s, &t, &n) != STORE_OK) {
		rc = cli_error("%s", store_error(s));
		goto out;
	}
	if (json)
		printf("[");
	else
		printf("%-6s %-20s %-9s %-8s %-20s %-24s %s\n", "ID", "NAME", "ROLE", "STATE", "CREATED",
		       "EXPIRES", "POOL");
	for (size_t i = 0; i < n; i++) {
		const char *state = t[i].revoked_at ? "revoked"
			: t[i].expires_at && t[i].expires_at <= now ? "expired" : "active";
		char c1[40], c2[40];

		if (json) {
			json_t *o = json_pack("{sI ss ss ss sI}", "id", (json_int_t)t[i].id, "name",
					      t[i].name, "role", t[i].role, "state", state,
					      "created_at", (json_int_t)t[i].created_at);
			char *txt;

			json_object_set_new(o, "expires_at", t[i].expires_at
					    ? json_integer(t[i].expires_at) : json_null());
			json_object_set_new(o, "revoked_at", t[i].revoked_at
					    ? json_integer(t[i].revoked_at) : json_null());
			json_object_set_new(o, "pool", t[i].pool[0] ? json_string(t[i].pool)
								   : json_null());
			txt = json_dumps(o, JSON_COMPACT);
			printf("%s%s", i ? "," : "", txt ? txt : "null");
			free(txt);
			json_decref(o);
		} else {
			printf("%-6lld %-20s %-9s %-8s %-20s %-24s %s\n", (long long)t[i].id, t[i].name,
			       t[i].role, state, scan_format_time(t[i].created_at, c1, sizeof c1),
			       t[i].expires_at ? scan_format_time(t[i].expires_at, c2, sizeof c2)
			       : "never", t[i].pool[0] ? t[i].pool : "-");
		}
	}
	if (json)
		printf("]\n");
out:
	free(t);
	store_close(s);
	return rc;
}

static int token_revoke(int argc, char **argv, struct cli *cli)
{
	struct store *s;
	int64_t id;
	int rc = CLI_OK;
	char detail[64];

	if (argc != 2)
		return cli_usage("token", "expected one token id (token revoke ID)");
	if (cli_parse_id(argv[1], &id) < 0)
		return cli_usage("token", "invalid token id '%s'", argv[1]);
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (store_token_revoke(s, id) != STORE_OK) {
		rc = cli_error("%s", store_error(s));
	} else {
		printf("token %lld revoked; requests with it are refused from now on\n", (long long)id);
		snprintf(detail, sizeof detail, "token %lld", (long long)id);
		cli_audit(s, "token revoke", 0, detail);
	}
	store_close(s);
	return rc;
}

/* token create's options: who the token is for, its role, when it ends, an
 * agent token's pool. */
static const struct option create_opts[] = {
	{ "role", required_argument, NULL, 'r' },
	{ "name", required_argument, NULL, 'n' },
	{ "expires", required_argument, NULL, 'e' },
	{ "pool", required_argument, NULL, 'p' },
	{ NULL, 0, NULL, 0 },
};

static int token_create(int argc, char **argv, struct cli *cli)
{
	const char *pool = NULL;
	int64_t expires = 0;
	char secret[AUTH_SECRET_MAX], err[256];
	const char *name = "cli";
	enum auth_role role = AUTH_NONE;
	struct store *s;
	int64_t id;
	int c, rc = CLI_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", create_opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (auth_role_parse(optarg, &role) < 0)
				return cli_usage("token", "--role must be viewer, operator, admin or agent");
			break;
		case 'p':
			pool = optarg;
			break;
		case 'n':
			if (!*optarg || strlen(optarg) > AUTH_NAME_MAX)
				return cli_usage("token", "--name must be 1 to %d characters",
						 AUTH_NAME_MAX);
			name = optarg;
			break;
		case 'e': {
			long long ms = num_parse_duration_ms(optarg);

			if (ms <= 0)
				return cli_usage("token", "--expires must be a duration such as 90m, 12h, "
						 "30d (at most 3650d)");
			expires = scan_now_ms() + ms;
			break;
		}
		default:
			return cli_bad_option("token", argv, c);
		}
	}
	if (optind != argc)
		return cli_usage("token", "unexpected argument '%s'", argv[optind]);
	if (role == AUTH_NONE)
		return cli_usage("token", "--role is required (viewer, operator, admin or agent)");
	if (role == AUTH_AGENT && !pool)
		return cli_usage("token", "--role agent needs --pool NAME");
	if (role != AUTH_AGENT && pool)
		return cli_usage("token", "--pool is for --role agent only");
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if (auth_token_create_pool(s, role, name, pool, expires, secret, sizeof secret, &id, err,
				   sizeof err) < 0) {
		rc = cli_error("%s", err);
	} else {
		char detail[128];

		printf("%s\n", secret);
		snprintf(detail, sizeof detail, "token %lld (%s, %s%s%s)", (long long)id, name,
			 auth_role_name(role), pool ? ", pool " : "", pool ? pool : "");
		cli_audit(s, "token create", 0, detail);
	}
	store_close(s);
	return rc;
}

int cmd_token(int argc, char **argv, struct cli *cli)
{
	static const struct cli_sub subs[] = {
		{ "create", token_create }, { "list", token_list }, { "revoke", token_revoke },
		{ NULL, NULL },
	};

	return cli_dispatch("token", subs, argc, argv, cli);
}
