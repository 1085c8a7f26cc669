/*
 * childenv.h — the environment a worker gives its children (childenv.c):
 * the settings they must share with it (SCANQ_*, the sanitizers' options,
 * TMPDIR) and the exclusion list.  A child reads its settings as any
 * scanq command does (config_load()), so the list travels as the
 * environment override of [scope] exclude: the worker's own [scope]
 * exclude and the store's list, read again before every claim, so a scan
 * claimed after `scanq exclude add` returned never touches the new entry.
 */
#ifndef SCANQ_WORKER_CHILDENV_H
#define SCANQ_WORKER_CHILDENV_H

#include <stddef.h>
#include "core/config.h"
#include "worker/spawn.h"

#define CHILDENV_EXCLUDE_NAME "SCANQ_SCOPE_EXCLUDE"
/* "SCANQ_SCOPE_EXCLUDE=" and CONFIG_EXCLUDE_MAX entries of up to 255 bytes */
#define CHILDENV_EXCLUDE_MAX (CONFIG_EXCLUDE_MAX * 256 + 32)

struct store;

struct childenv {
	char *env[SPAWN_ENV_MAX + 2];	/* NULL-terminated, for spawn_opts.env */
	char exclude[CHILDENV_EXCLUDE_MAX];	/* the last entry of env */
};

/* Fills env from this process's environment (pointers into environ, which
 * must outlive it), with an empty exclusion list. */
void childenv_init(struct childenv *ce);

/*
 * Reads the exclusions again into ce->exclude ("SCANQ_SCOPE_EXCLUDE=a, b"):
 * config.scope_exclude and every row of the store's list.  Returns 0, or
 * -1 (logged, ce unchanged) when the store cannot be read or the entries
 * pass CONFIG_EXCLUDE_MAX: the caller must not claim then.
 */
int childenv_exclusions(struct childenv *ce, struct store *s, const char *worker);

/* Sets the exclusion list to config.scope_exclude and `more` (a list "a,
 * b" from the agent's server, may be ""): an agent has no store to read.
 * Returns 0, or -1 (logged, ce unchanged) when it does not fit. */
int childenv_exclusions_from(struct childenv *ce, const char *more, const char *worker);

#endif
