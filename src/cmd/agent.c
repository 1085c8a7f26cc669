/*
 * agent.c — `scanq agent --server URL --token-file F ...`: a worker
 * without a database (see worker/agent.h).  It runs the worker loop of
 * `scanq worker` on the server's agent API, and refuses any target outside
 * its own --allow list (a second wall behind the server's pool scope).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "core/config.h"
#include "core/log.h"
#include "core/num.h"
#include "core/scan.h"
#include "store/store.h"
#include "worker/agent.h"
#include "worker/source.h"
#include "worker/worker.h"

#define TOKEN_MAX 512

/* Reads the token: the file's first line, without surrounding blanks. */
static int read_token(const char *path, char *tok, size_t len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	size_t n;
	char *p;

	if (!f) {
		snprintf(err, errlen, "cannot read --token-file %s: %s", path, strerror(errno));
		return -1;
	}
	if (!fgets(tok, (int)len, f))
		tok[0] = '\0';
	fclose(f);
	for (p = tok; *p == ' ' || *p == '\t'; p++)
		;
	memmove(tok, p, strlen(p) + 1);
	n = strcspn(tok, " \t\r\n");
	tok[n] = '\0';
	if (n == 0 || n + 1 >= len) {
		snprintf(err, errlen, "--token-file %s holds no token on its first line", path);
		return -1;
	}
	return 0;
}

/* --allow: the agent's own scope, for it and its children. */
static int set_allow(const char *list, char *err, size_t errlen)
{
	if (setenv("SCANQ_SCOPE_ALLOW", list, 1) < 0 || config_load(NULL, err, errlen) < 0)
		return -1;
	return 0;
}

int cmd_agent(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "token-file", required_argument, NULL, 't' },
		{ "ca", required_argument, NULL, 'a' },
		{ "cert", required_argument, NULL, 'C' },
		{ "key", required_argument, NULL, 'k' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "spool", required_argument, NULL, 'p' },
		{ "allow", required_argument, NULL, 'A' },
		{ "name", required_argument, NULL, 'n' },
		{ "wait-ms", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	struct agent_opts ao = { .spool = "scanq-spool", .wait_ms = AGENT_WAIT_MS };
	struct worker_opts o = { .self = cli->self, .concurrency = config.concurrency,
				 .heartbeat_fd = -1, .check_scope = 1 };
	const char *token_file = NULL, *allow = NULL;
	char token[TOKEN_MAX], err[512], host[64] = "host", name[SCAN_WORKER_MAX];
	char id[SCAN_WORKER_MAX];
	int c, lease_ms = 0, fatal = 0;
	long long v;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 's': ao.server = optarg; break;
		case 't': token_file = optarg; break;
		case 'a': ao.ca = optarg; break;
		case 'C': ao.cert = optarg; break;
		case 'k': ao.key = optarg; break;
		case 'p': ao.spool = optarg; break;
		case 'A': allow = optarg; break;
		case 'c':
			if (num_parse(optarg, 1, 64, &v) < 0)
				return cli_usage("agent", "--concurrency must be 1..64");
			o.concurrency = (int)v;
			break;
		case 'n':
			if (!*optarg || strlen(optarg) >= 48)
				return cli_usage("agent", "--name must be 1..47 bytes");
			ao.name = optarg;
			break;
		case 'w':
			if (num_parse(optarg, 0, AGENT_WAIT_MS, &v) < 0)
				return cli_usage("agent", "--wait-ms must be 0..%d", AGENT_WAIT_MS);
			ao.wait_ms = (int)v;
			break;
		default:
			return cli_bad_option("agent", argv, c);
		}
	}
	if (optind != argc)
		return cli_usage("agent", "unexpected argument '%s'", argv[optind]);
	if (!ao.server || !token_file)
		return cli_usage("agent", "--server and --token-file are required");
	if (!ao.cert != !ao.key)
		return cli_usage("agent", "--cert and --key go together");
	if (o.concurrency > 64)
		o.concurrency = 64;
	log_set_component("agent");
	if (read_token(token_file, token, sizeof token, err, sizeof err) < 0
	    || (allow && set_allow(allow, err, sizeof err) < 0)) {
		fprintf(stderr, "scanq agent: %s\n", err);
		return CLI_FAIL;
	}
	gethostname(host, sizeof host - 1);
	snprintf(name, sizeof name, "%.40s", ao.name ? ao.name : host);
	ao.name = name;
	worker_identity(id, sizeof id, name, host, (int)getpid(), worker_instance());
	/* The protocol's ids are [A-Za-z0-9._:-]: NAME.HOST:PID-INSTANCE. */
	for (char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._:-", *p))
			*p = *p == '@' ? '.' : '_';
	ao.id = id;
	ao.token = token;
	o.name = name;
	/* The server may be starting: wait for it, but not for a mistake. */
	for (int64_t delay = 100;; delay = delay < 2000 ? delay * 2 : 2000) {
		o.source = agent_open(&ao, &lease_ms, &fatal, err, sizeof err);
		if (o.source || fatal)
			break;
		log_warn("server not reachable, retrying", "server=%s error=\"%s\"", ao.server, err);
		usleep((useconds_t)delay * 1000);
	}
	explicit_bzero(token, sizeof token);
	if (!o.source) {
		fprintf(stderr, "scanq agent: %s\n", err);
		return CLI_FAIL;
	}
	/* The server's lease rules the renewals: three per lease. */
	if (lease_ms >= 3000) {
		config.lease_s = lease_ms / 1000;
		config.heartbeat_s = config.lease_s / 3 > 0 ? config.lease_s / 3 : 1;
	}
	return worker_run(&o) == 0 ? CLI_OK : CLI_FAIL;
}
