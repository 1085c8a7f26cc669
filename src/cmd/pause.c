/*
 * pause.c — `scanq pause` and `scanq resume`: stop claiming scans of every
 * type, of one type or of one schedule, and start again (store/pause.c).
 * Paused scans stay pending; running ones finish, or with --now are handed
 * back to pending at once without spending an attempt.  Every pause and
 * resume is in the audit trail.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "core/config.h"
#include "scantype.h"
#include "store/store.h"

struct target {
	const char *kind;		/* "all", "type", "schedule", "pool"; NULL: none given */
	const char *arg;		/* the type, the schedule's name or the pool */
	char value[64];			/* the type, the schedule's id or the pool */
	char label[96];			/* "every scan", "type portscan", "schedule nightly",
					 * "pool dmz" */
};

/* Reads --type/--schedule/--all (exactly one), --reason and (pause) --now.
 * Returns CLI_OK, or a usage error. */
static int parse(const char *cmd, int argc, char **argv, struct target *t, const char **reason,
		 int *now)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' }, { "schedule", required_argument, NULL, 's' },
		{ "all", no_argument, NULL, 'a' }, { "pool", required_argument, NULL, 'p' },
		{ "reason", required_argument, NULL, 'r' },
		{ "now", no_argument, NULL, 'n' }, { NULL, 0, NULL, 0 },
	};
	int c, n = 0;

	memset(t, 0, sizeof *t);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 't': t->kind = "type"; t->arg = optarg; n++; break;
		case 's': t->kind = "schedule"; t->arg = optarg; n++; break;
		case 'a': t->kind = "all"; n++; break;
		case 'p': t->kind = "pool"; t->arg = optarg; n++; break;
		case 'r':
			if (!reason)	/* resume takes no reason */
				return cli_usage(cmd, "resume takes no --reason");
			*reason = optarg;
			break;
		case 'n':
			if (!now)
				return cli_usage(cmd, "resume takes no --now");
			*now = 1;
			break;
		default: return cli_bad_option(cmd, argv, c);
		}
	}
	if (optind != argc)
		return cli_usage(cmd, "%s takes no arguments besides its options", cmd);
	if (n != 1)
		return cli_usage(cmd, "give exactly one of --type TYPE, --schedule NAME, --pool NAME"
				 " or --all");
	if (reason && *reason && strlen(*reason) > STORE_PAUSE_REASON_MAX)
		return cli_usage(cmd, "a reason is at most %d bytes", STORE_PAUSE_REASON_MAX);
	if (strcmp(t->kind, "type") == 0) {
		if (strlen(t->arg) >= sizeof t->value
		    || (!scantype_find(t->arg) && !config_profile(t->arg)))
			return cli_usage(cmd, "unknown scan type '%.40s'", t->arg);
		snprintf(t->value, sizeof t->value, "%s", t->arg);
		snprintf(t->label, sizeof t->label, "type %s", t->arg);
	} else if (strcmp(t->kind, "pool") == 0) {
		if (strcmp(t->arg, "local") && !config_pool(t->arg))
			return cli_usage(cmd, "unknown pool '%.40s' (local, or a [pool.NAME] of the"
					 " configuration)", t->arg);
		snprintf(t->value, sizeof t->value, "%s", t->arg);
		snprintf(t->label, sizeof t->label, "pool %s", t->arg);
	} else if (strcmp(t->kind, "all") == 0) {
		snprintf(t->label, sizeof t->label, "every scan");
	}
	return CLI_OK;
}

/* Turns --schedule NAME into its id.  Returns CLI_OK or an error. */
static int resolve(struct store *s, struct target *t)
{
	char name[128];
	int64_t id;
	int rc;

	if (strcmp(t->kind, "schedule") != 0)
		return CLI_OK;
	rc = store_schedule_id(s, t->arg, &id, name, sizeof name);
	if (rc == STORE_NOT_FOUND)
		return cli_error("no schedule '%.60s'", t->arg);
	if (rc != STORE_OK)
		return cli_error("%s", store_error(s));
	snprintf(t->value, sizeof t->value, "%lld", (long long)id);
	snprintf(t->label, sizeof t->label, "schedule %.60s", name);
	return CLI_OK;
}

int cmd_pause(int argc, char **argv, struct cli *cli)
{
	const char *reason = "";
	char actor[80], detail[400];
	struct target t;
	struct store *s;
	int now = 0, rc, back = 0;

	if ((rc = parse("pause", argc, argv, &t, &reason, &now)) != CLI_OK)
		return rc;
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if ((rc = resolve(s, &t)) != CLI_OK)
		goto out;
	if (store_pause_add(s, t.kind, t.value, reason, cli_actor(actor, sizeof actor)) != STORE_OK) {
		rc = cli_error("%s: %s", t.label, store_error(s));
		goto out;
	}
	snprintf(detail, sizeof detail, "%s%s%s%s", t.label, now ? " --now" : "",
		 *reason ? ": " : "", reason);
	cli_audit(s, "pause", 0, detail);
	printf("paused %s: no new scan of it starts until `scanq resume`\n", t.label);
	if (now) {
		if (store_pause_handback(s, t.kind, t.value, "paused (--now)", &back) != STORE_OK) {
			rc = cli_error("the pause holds, but handing running scans back failed: %s",
				       store_error(s));
			goto out;
		}
		printf("%d running scan%s handed back to pending (no attempt spent)\n", back,
		       back == 1 ? "" : "s");
	}
out:
	store_close(s);
	return rc;
}

int cmd_resume(int argc, char **argv, struct cli *cli)
{
	struct target t;
	struct store *s;
	int rc, all;

	if ((rc = parse("resume", argc, argv, &t, NULL, NULL)) != CLI_OK)
		return rc;
	if (!(s = cli_open_store(cli)))
		return CLI_FAIL;
	if ((rc = resolve(s, &t)) != CLI_OK)
		goto out;
	all = strcmp(t.kind, "all") == 0;
	/* --all ends every pause: the queue runs as before any was made. */
	if (store_pause_rm(s, all ? NULL : t.kind, t.value) != STORE_OK) {
		rc = cli_error("%s is not paused", all ? "nothing" : t.label);
		goto out;
	}
	cli_audit(s, "resume", 0, all ? "every pause" : t.label);
	printf("resumed %s\n", all ? "everything" : t.label);
out:
	store_close(s);
	return rc;
}
