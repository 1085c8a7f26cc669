/*
 * scantype.c — the table of built-in scan types (scantype.h), the command
 * line that runs one, and the checks config_load() borrows from the scan
 * layer.  A scanner reports through scanner.c; nothing here writes the
 * child protocol itself.
 */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include "core/config.h"
#include "discovery.h"
#include "dns.h"
#include "http.h"
#include "portscan.h"
#include "ratecap.h"
#include "scantype.h"
#include "scope.h"
#include "testscan.h"
#include "tls.h"

const struct scantype scantype_table[] = {
	{ "portscan",   "TCP connect port scan (options: ports, concurrency, timeout_ms, retries, rate, banner)", 0, portscan_run },
	{ "discovery",  "resolve names and find which hosts answer on common TCP ports", 0, discovery_run },
	{ "dns",        "DNS records, reverse names, subdomains from a word list, zone transfers (options: resolver, wordlist, rate)", 0, dns_run },
	{ "tls",        "TLS certificate, protocol and cipher checks (options: ports, expiry_days, starttls)", 0, tls_run },
	{ "http",       "HTTP(S) GET of each endpoint: status, title, server, certificate names, redirects, technologies", 0, http_run },
	{ "test-ok",    "test type: finish at once with one finding (or one per options.severities)", 1, testscan_ok },
	{ "test-sleep", "test type: sleep options.seconds, reporting progress", 1, testscan_sleep },
	{ "test-fail",  "test type: exit with options.exit (default 3)", 1, testscan_fail },
	{ "test-alloc", "test type: allocate options.mb MiB and touch it", 1, testscan_alloc },
	{ "test-fork",  "test type: start options.children grandchildren, then sleep", 1, testscan_fork },
	{ "test-flood", "test type: write output without end", 1, testscan_flood },
	{ "test-crash", "test type: die of SIGSEGV", 1, testscan_crash },
	{ NULL, NULL, 0, NULL },
};

/* Prints "error: WHAT'ARG'REST" and the usage line.  Returns 2. */
static int usage(const char *what, const char *arg, const char *rest)
{
	fprintf(stderr, "error: %s%s%s\nusage: scanq scan TYPE TARGET... [--ports SPEC]"
		" [--options JSON] [--time-limit S] [--json]\n", what, arg, rest);
	return 2;
}

static void on_worker_death(int sig)
{
	(void)sig;
	kill(0, SIGKILL);	/* this scan's process group: itself, its tools, their forks */
}

/*
 * A scanner its worker spawned (spawn.c made it the leader of a process
 * group of its own and gave it SIGKILL as its parent-death signal) takes
 * its whole group with it when the worker dies, even by SIGKILL outside
 * `serve`: the tools it runs and whatever they fork, not only itself.  Run
 * by hand (no parent-death signal) nothing changes.  A worker that died
 * before the new signal was set is seen by getppid().
 */
static void die_with_worker(void)
{
	struct sigaction sa;
	pid_t parent = getppid();
	int sig = 0;

	if (prctl(PR_GET_PDEATHSIG, &sig) < 0 || sig == 0 || getpgrp() != getpid())
		return;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_worker_death;
	if (sigaction(SIGHUP, &sa, NULL) < 0 || prctl(PR_SET_PDEATHSIG, SIGHUP) < 0)
		return;		/* SIGKILL stays: this process at least dies with it */
	if (getppid() != parent)
		kill(0, SIGKILL);
}

int scantype_main(int argc, char **argv, int (*other)(struct scanctx *ctx))
{
	static const struct option opts[] = {
		{ "ports", required_argument, NULL, 'p' },
		{ "options", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "time-limit", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct scanctx ctx = { .out = stdout };
	const struct scantype *t;
	const char *ports = NULL, *options = NULL;
	json_error_t jerr;
	int c, rc;

	/* A peer that resets the connection must cost one finding, not the
	 * scan: OpenSSL's socket BIO writes with write(), whose EPIPE would
	 * otherwise arrive as a fatal SIGPIPE (sock.c sends with MSG_NOSIGNAL).
	 * Tools that profiles exec get the default back (profile.c). */
	signal(SIGPIPE, SIG_IGN);
	die_with_worker();

	/* Options may stand anywhere (scan TYPE TARGET --ports X); after "--"
	 * everything is a target, which the target parser then judges. */
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'p': ports = optarg; break;
		case 'o': options = optarg; break;
		case 'j': ctx.json = 1; break;
		case 't': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (end == optarg || *end || v < 1 || v > 7 * 86400)
				return usage("--time-limit '", optarg, "' is not 1..604800 seconds");
			ctx.time_limit_s = (int)v;
			break;
		}
		case ':': return usage("option '", argv[optind - 1], "' needs a value");
		default: return usage("unknown option '", argv[optind - 1], "'");
		}
	}
	if (optind >= argc)
		return usage("missing scan type", "", "");
	ctx.type = argv[optind++];
	t = scantype_find(ctx.type);
	if (!t && !other)
		return usage("'", ctx.type, "' is not a built-in scan type (tool profiles run with"
			     " `scanq scan`)");
	ctx.options = options ? json_loads(options, 0, &jerr) : json_object();
	if (!json_is_object(ctx.options)) {
		json_decref(ctx.options);
		return usage("--options must be a JSON object", "", "");
	}
	if (ports)
		json_object_set_new(ctx.options, "ports", json_string(ports));
	ctx.targets = argv + optind;
	ctx.ntargets = argc - optind;
	rc = t ? t->run(&ctx) : other(&ctx);
	json_decref(ctx.options);
	return rc;
}

const struct scantype *scantype_find(const char *name)
{
	for (const struct scantype *t = scantype_table; t->name; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

static int is_builtin(const char *name)
{
	return scantype_find(name) != NULL;
}

void scantype_config_checks(void)
{
	static const struct config_checks c = { scope_entry_valid, is_builtin, ratecap_entry_valid };

	config_set_checks(&c);
}
