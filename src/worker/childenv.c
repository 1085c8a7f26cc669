/*
 * childenv.c — a child's environment (see childenv.h).  Refusing to claim
 * is the safe answer to an exclusion list that cannot be read: a scan
 * started without it could reach an address an operator excluded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/log.h"
#include "budget.h"
#include "store/store.h"
#include "worker/childenv.h"

void childenv_init(struct childenv *ce)
{
	extern char **environ;
	int n = 0;

	/* One entry is kept free for a capped scan's BUDGET_ENV (ratefeed.h),
	 * which only the worker sets. */
	for (char **e = environ; *e && n < SPAWN_ENV_MAX - 2; e++)
		if ((strncmp(*e, "SCANQ_", 6) == 0 || strncmp(*e, "ASAN_OPTIONS=", 13) == 0
		     || strncmp(*e, "UBSAN_OPTIONS=", 14) == 0 || strncmp(*e, "TMPDIR=", 7) == 0)
		    && strncmp(*e, CHILDENV_EXCLUDE_NAME "=", sizeof CHILDENV_EXCLUDE_NAME) != 0
		    && strncmp(*e, BUDGET_ENV "=", sizeof BUDGET_ENV) != 0)
			ce->env[n++] = *e;
	snprintf(ce->exclude, sizeof ce->exclude, "%s=", CHILDENV_EXCLUDE_NAME);
	ce->env[n++] = ce->exclude;
	ce->env[n] = NULL;
}

int childenv_exclusions(struct childenv *ce, struct store *s, const char *worker)
{
	struct exclusion *x = NULL;
	size_t len = sizeof ce->exclude;
	char *tmp = malloc(len);
	size_t n = 0, o;
	int rc = -1;

	if (!tmp || store_exclusion_list(s, &x, &n) != STORE_OK) {
		if (!store_outage(s))
			log_warn("cannot read the exclusions, not claiming", "worker=%s error=\"%s\"",
				 worker, tmp ? store_error(s) : "out of memory");
		goto out;
	}
	if ((size_t)config.nexclude + n > CONFIG_EXCLUDE_MAX) {
		log_error("too many exclusions, not claiming", "worker=%s config=%d store=%zu max=%d",
			  worker, config.nexclude, n, CONFIG_EXCLUDE_MAX);
		goto out;
	}
	o = (size_t)snprintf(tmp, len, "%s=", CHILDENV_EXCLUDE_NAME);
	for (int i = 0; i < config.nexclude && o < len; i++)
		o += (size_t)snprintf(tmp + o, len - o, "%s%s", o > sizeof CHILDENV_EXCLUDE_NAME ? ", " : "",
				      config.scope_exclude[i]);
	for (size_t i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(tmp + o, len - o, "%s%s", o > sizeof CHILDENV_EXCLUDE_NAME ? ", " : "",
				      x[i].entry);
	if (o >= len) {
		log_error("the exclusions are too long, not claiming", "worker=%s", worker);
		goto out;
	}
	memcpy(ce->exclude, tmp, o + 1);
	rc = 0;
out:
	free(x);
	free(tmp);
	return rc;
}

int childenv_exclusions_from(struct childenv *ce, const char *more, const char *worker)
{
	size_t len = sizeof ce->exclude, o;
	char *tmp = malloc(len);

	if (!tmp)
		return -1;
	o = (size_t)snprintf(tmp, len, "%s=", CHILDENV_EXCLUDE_NAME);
	for (int i = 0; i < config.nexclude && o < len; i++)
		o += (size_t)snprintf(tmp + o, len - o, "%s%s", o > sizeof CHILDENV_EXCLUDE_NAME ? ", " : "",
				      config.scope_exclude[i]);
	if (more && *more && o < len)
		o += (size_t)snprintf(tmp + o, len - o, "%s%s", o > sizeof CHILDENV_EXCLUDE_NAME ? ", " : "",
				      more);
	if (o >= len) {
		log_error("the exclusions are too long, not starting the scan", "worker=%s", worker);
		free(tmp);
		return -1;
	}
	memcpy(ce->exclude, tmp, o + 1);
	free(tmp);
	return 0;
}
