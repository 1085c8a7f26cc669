/*
 * config.c — loads `struct config` from the defaults, the INI file and the
 * environment (see config.h).  A load is all or nothing: the new settings
 * are built in a scratch struct and replace the current ones only when every
 * line of the file and every variable checked out, so a bad file leaves the
 * process on its previous settings.  Unknown sections and keys are errors
 * naming file and line; every number has a range.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ini.h>
#include "core/config.h"

struct config config;

/* A numeric setting: where it lives, its default and its range. */
struct intkey {
	const char *section;
	const char *key;
	size_t off;
	int dflt, min, max;
};

#define K(sec, key, field, d, lo, hi) { sec, key, offsetof(struct config, field), d, lo, hi }

static const struct intkey intkeys[] = {
	K("worker", "lease", lease_s, 30, 2, 3600),
	K("worker", "heartbeat", heartbeat_s, 10, 1, 1800),
	K("worker", "max_attempts", max_attempts, 3, 1, 100),
	K("worker", "backoff_base", backoff_base_s, 5, 0, 3600),
	K("worker", "soft_time_limit", soft_time_limit_s, 1500, 1, 7 * 24 * 3600),
	K("worker", "hard_time_limit", hard_time_limit_s, 1800, 1, 7 * 24 * 3600),
	K("worker", "poll_ms", poll_ms, 1000, 10, 60000),
	K("worker", "memory_limit_mb", memory_limit_mb, 1024, 16, 1024 * 1024),
	K("worker", "output_limit_kb", output_limit_kb, 16384, 1, 1024 * 1024),
	K("worker", "grace", grace_s, 30, 0, 3600),
	K("serve", "workers", workers, 2, 1, 256),
	K("serve", "concurrency", concurrency, 4, 1, 1024),
	K("http", "max_body_kb", max_body_kb, 1024, 1, 1024 * 1024),
	K("http", "max_connections", max_connections, 1024, 1, 65536),
	K("http", "max_connections_per_ip", max_connections_per_ip, 64, 1, 65536),
	K("http", "header_timeout", header_timeout_s, 10, 1, 3600),
	K("http", "body_timeout", body_timeout_s, 30, 1, 3600),
	K("http", "keepalive_timeout", keepalive_timeout_s, 15, 1, 3600),
	K("http", "timeout", timeout_s, 30, 1, 3600),
	K("maintenance", "prune_days", prune_days, 30, 1, 36500),
	K("maintenance", "prune_batch", prune_batch, 1000, 1, 100000),
	K("maintenance", "stuck_hours", stuck_hours, 2, 1, 8760),
	K("maintenance", "worker_keep_hours", worker_keep_hours, 24, 1, 8760),
	K("maintenance", "backlog_warn", backlog_warn, 100, 1, 1000000000),
	K("maintenance", "backlog_fail", backlog_fail, 500, 1, 1000000000),
	K("scope", "max_targets", max_targets, 65536, 1, 16777216),
	K("flow", "shard_addresses", shard_addresses, 256, 1, 16777216),
	K("flow", "shard_probes", shard_probes, 65536, 1, 1000000000),
	K("webhooks", "timeout_ms", webhook_timeout_ms, 5000, 100, 600000),
	K("webhooks", "backoff_ms", webhook_backoff_ms, 2000, 10, 3600000),
	K("webhooks", "lease", webhook_lease_s, 60, 2, 3600),
	K("webhooks", "max_response_kb", webhook_response_kb, 64, 1, 65536),
	K("webhooks", "poll_ms", webhook_poll_ms, 500, 10, 60000),
	K("maintenance", "stuck_clear_minutes", stuck_clear_minutes, 60, 0, 10080),
	K("maintenance", "prune_hours", prune_hours, 24, 0, 8760),
	K("maintenance", "keep_completed_days", keep_completed_days, 0, 0, 36500),
	K("maintenance", "keep_failed_days", keep_failed_days, 0, 0, 36500),
	K("maintenance", "keep_cancelled_days", keep_cancelled_days, 0, 0, 36500),
	K("maintenance", "oldest_pending_warn", oldest_pending_warn_min, 15, 1, 525600),
	K("maintenance", "failure_warn", failure_warn_pct, 5, 0, 100),
	K("maintenance", "failure_fail", failure_fail_pct, 15, 0, 100),
	K("maintenance", "disk_warn", disk_warn_pct, 10, 0, 100),
	K("maintenance", "disk_fail", disk_fail_pct, 2, 0, 100),
	K("maintenance", "disk_warn_mb", disk_warn_mb, 64, 0, 1048576),
};

#undef K

/* The settings that are text, not numbers (apply() parses each). */
static const char *const strkeys[][2] = {
	{ "database", "url" }, { "http", "listen" }, { "http", "tls_cert" }, { "http", "tls_key" },
	{ "http", "tls_client_ca" }, { "http", "trusted_proxies" },
	{ "scope", "allow" }, { "scope", "deny" }, { "scope", "exclude" }, { "webhooks", "allow" },
	{ "worker", "pool" }, { "rate", "cap" },
};
#define NSTRKEYS (sizeof strkeys / sizeof strkeys[0])

/* The profiles a fresh install knows; a [profile.TYPE] section replaces one. */
static const struct {
	const char *type, *parser, *argv;
} default_profiles[] = {
	/* nmap's NSE scripts in both the vuln and the safe category (no DoS,
	 * no exploit); "(vuln)and(safe)" needs no space, so no quoting.  -sV
	 * at light intensity names TLS-wrapped and odd-port services for the
	 * scripts' port rules; every script and host is bounded in time. */
	{ "vuln", "nmap-xml", "nmap -Pn -n -sV --version-light --script (vuln)and(safe) "
			      "--script-timeout 120s --host-timeout {host_timeout} -oX - -p {ports} {targets}" },
	{ "nuclei", "nuclei-jsonl", "nuclei -jsonl -silent -disable-update-check -l {targets_file}" },
	{ "nmap", "nmap-xml", "nmap -sV -Pn -n -oX - -p {ports} {targets}" },
};

/* ---- where each effective value came from (`scanq config show`) ---- */

#define NINTKEYS (sizeof intkeys / sizeof intkeys[0])
#define NKEYS (NINTKEYS + NSTRKEYS)
#define SOURCE_MAX 300
/* Sources of the load in progress and of the settings in effect: one per
 * key (intkeys, then strkeys), and one per profile slot. */
static char src_next[NKEYS + CONFIG_PROFILES_MAX][SOURCE_MAX];
static char src_cur[NKEYS + CONFIG_PROFILES_MAX][SOURCE_MAX];

static int key_index(const char *section, const char *key)
{
	for (size_t i = 0; i < NINTKEYS; i++)
		if (!strcmp(intkeys[i].section, section) && !strcmp(intkeys[i].key, key))
			return (int)i;
	for (size_t i = 0; i < NSTRKEYS; i++)
		if (!strcmp(strkeys[i][0], section) && !strcmp(strkeys[i][1], key))
			return (int)(NINTKEYS + i);
	return -1;
}

/* Records where (section, key) was set: a file's line (path, line) or an
 * environment variable (path = its name, line 0). */
static void set_source(const struct config *c, const char *section, const char *key,
		       const char *path, int line)
{
	int i = key_index(section, key);

	if (i < 0 && !strncmp(section, "profile.", 8))
		for (int p = 0; p < c->nprofiles; p++)
			if (!strcmp(c->profiles[p].type, section + 8))
				i = (int)NKEYS + p;
	if (i >= 0 && line)
		snprintf(src_next[i], SOURCE_MAX, "file %s:%d", path, line);
	else if (i >= 0)
		snprintf(src_next[i], SOURCE_MAX, "environment %s", path);
}

static const char *const parsers[] = { "nmap-xml", "nuclei-jsonl", "lines", NULL };

/* Whether the load in progress set worker.heartbeat itself; if not, the
 * heartbeat follows a short lease down (a third of it). */
static int heartbeat_given;

/* What the INI handler needs: the config being built and the first error. */
struct loadstate {
	struct config *c;
	FILE *f;
	int line;		/* lines read so far (the reader counts) */
	int errline;		/* line of the first error the handler found */
	char err[256];
	char last_section[64], last_key[64];
	const char *path;
};

static void release(struct config *c)
{
	for (int i = 0; i < c->nallow; i++)
		free(c->scope_allow[i]);
	for (int i = 0; i < c->ndeny; i++)
		free(c->scope_deny[i]);
	for (int i = 0; i < c->nexclude; i++)
		free(c->scope_exclude[i]);
	for (int i = 0; i < c->nrate_cap; i++)
		free(c->rate_cap[i]);
	for (int i = 0; i < c->ntrusted; i++)
		free(c->http_trusted[i]);
	for (int p = 0; p < c->nprofiles; p++)
		for (int i = 0; i < c->profiles[p].argc; i++)
			free(c->profiles[p].argv[i]);
	for (int i = 0; i < c->nwebhook_allow; i++)
		free(c->webhook_allow[i]);
	for (int p = 0; p < c->npools; p++)
		for (int i = 0; i < c->pools[p].nallow; i++)
			free(c->pools[p].allow[i]);
	memset(c, 0, sizeof *c);
}

static int *field(struct config *c, const struct intkey *k)
{
	return (int *)(void *)((char *)c + k->off);
}

static int copy_str(char *dst, size_t len, const char *src, char *err, size_t errlen,
		    const char *name)
{
	if (strlen(src) >= len) {
		snprintf(err, errlen, "%s is longer than %zu bytes", name, len - 1);
		return -1;
	}
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

static int parse_int(const char *s, const struct intkey *k, int *out, char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < k->min || v > k->max) {
		snprintf(err, errlen, "%s.%s must be an integer in %d..%d, not '%.40s'",
			 k->section, k->key, k->min, k->max, s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static struct config_checks checks;

void config_set_checks(const struct config_checks *c)
{
	checks = *c;
}

/* Splits a list ("127.0.0.0/8, ::1" or one item a line) into list[], after
 * checking each entry with `check` (may be NULL).  `replace` empties the
 * list first. */
static int set_list_checked(char **list, int *n, int max, const char *value, int replace,
			    const char *name, int (*check)(const char *, char *, size_t),
			    char *err, size_t errlen)
{
	char buf[CONFIG_EXCLUDE_MAX * 256], *save = NULL, *tok;

	if (copy_str(buf, sizeof buf, value, err, errlen, name) < 0)
		return -1;
	if (replace) {
		for (int i = 0; i < *n; i++)
			free(list[i]);
		*n = 0;
	}
	for (tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		if (*n >= max) {
			snprintf(err, errlen, "%s has more than %d entries", name, max);
			return -1;
		}
		/* The built-in defaults are parsed before any check is
		 * registered; config_load() refuses to run without them. */
		if (check && check(tok, err, errlen) < 0)
			return -1;
		list[*n] = strdup(tok);
		if (!list[*n]) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		(*n)++;
	}
	return 0;
}

static int set_list_max(char **list, int *n, int max, const char *value, int replace,
			const char *name, char *err, size_t errlen)
{
	return set_list_checked(list, n, max, value, replace, name, checks.list_entry, err, errlen);
}

static int set_list(char **list, int *n, const char *value, int replace, const char *name,
		    char *err, size_t errlen)
{
	return set_list_max(list, n, CONFIG_LIST_MAX, value, replace, name, err, errlen);
}

static struct config_profile *profile_slot(struct config *c, const char *type, char *err,
					   size_t errlen)
{
	struct config_profile *p;
	size_t len = strlen(type);

	for (int i = 0; i < c->nprofiles; i++)
		if (strcmp(c->profiles[i].type, type) == 0)
			return &c->profiles[i];
	if (len == 0 || len >= sizeof p->type || strspn(type, "abcdefghijklmnopqrstuvwxyz0123456789-_") != len) {
		snprintf(err, errlen, "bad profile name '%.40s' (lower-case letters, digits, - and _)", type);
		return NULL;
	}
	if (checks.builtin_type && checks.builtin_type(type)) {
		snprintf(err, errlen, "profile '%s' would hide the built-in scan type", type);
		return NULL;
	}
	if (c->nprofiles >= CONFIG_PROFILES_MAX) {
		snprintf(err, errlen, "more than %d profiles", CONFIG_PROFILES_MAX);
		return NULL;
	}
	p = &c->profiles[c->nprofiles++];
	memset(p, 0, sizeof *p);
	memcpy(p->type, type, len + 1);
	return p;
}

static int set_argv(struct config_profile *p, const char *value, char *err, size_t errlen)
{
	char buf[1024], *save = NULL, *tok;
	int has_targets = 0;

	if (copy_str(buf, sizeof buf, value, err, errlen, "argv") < 0)
		return -1;
	for (int i = 0; i < p->argc; i++)
		free(p->argv[i]);
	p->argc = 0;
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (p->argc >= CONFIG_ARGV_MAX - 1) {
			snprintf(err, errlen, "argv of profile '%s' has more than %d words",
				 p->type, CONFIG_ARGV_MAX - 1);
			return -1;
		}
		if (strcmp(tok, "{targets}") == 0 || strcmp(tok, "{targets_file}") == 0)
			has_targets = 1;
		p->argv[p->argc] = strdup(tok);
		if (!p->argv[p->argc]) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		p->argc++;
	}
	if (p->argc == 0 || !has_targets) {
		snprintf(err, errlen, "argv of profile '%s' must name a program and contain {targets} or {targets_file}",
			 p->type);
		return -1;
	}
	return 0;
}

static int set_parser(struct config_profile *p, const char *value, char *err, size_t errlen)
{
	for (int i = 0; parsers[i]; i++) {
		if (strcmp(parsers[i], value) == 0) {
			memcpy(p->parser, value, strlen(value) + 1);
			return 0;
		}
	}
	snprintf(err, errlen, "unknown parser '%.40s' (nmap-xml, nuclei-jsonl, lines)", value);
	return -1;
}

int config_pool_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n < 1 || n >= CONFIG_POOL_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9')
		      || name[i] == '_' || name[i] == '-'))
			return 0;
	return 1;
}

/* The [pool.NAME] slot of c, made on first use.  NULL with err. */
static struct config_pool *pool_slot(struct config *c, const char *name, char *err, size_t errlen)
{
	if (!config_pool_name_valid(name) || strcmp(name, "local") == 0) {
		snprintf(err, errlen, "bad pool name '%.40s' (a-z, 0-9, _ and -, 1 to 32; "
			 "pool local keeps [scope])", name);
		return NULL;
	}
	for (int i = 0; i < c->npools; i++)
		if (strcmp(c->pools[i].name, name) == 0)
			return &c->pools[i];
	if (c->npools >= CONFIG_POOLS_MAX) {
		snprintf(err, errlen, "more than %d [pool.NAME] sections", CONFIG_POOLS_MAX);
		return NULL;
	}
	snprintf(c->pools[c->npools].name, CONFIG_POOL_NAME_MAX, "%s", name);
	return &c->pools[c->npools++];
}

const struct config_pool *config_pool(const char *name)
{
	for (int i = 0; i < config.npools; i++)
		if (strcmp(config.pools[i].name, name) == 0)
			return &config.pools[i];
	return NULL;
}

static int set_worker_pool(struct config *c, const char *value, char *err, size_t errlen)
{
	if (!config_pool_name_valid(value)) {
		snprintf(err, errlen, "worker.pool: bad pool name '%.40s'", value);
		return -1;
	}
	snprintf(c->worker_pool, sizeof c->worker_pool, "%s", value);
	return 0;
}

/* Applies one setting.  `first` is 1 for the first line of a key in this
 * source (a list's continuation lines append).  Returns 0 or -1 with err. */
static int apply(struct config *c, const char *section, const char *key, const char *value,
		 int first, char *err, size_t errlen)
{
	if (strncmp(section, "profile.", 8) == 0) {
		struct config_profile *p = profile_slot(c, section + 8, err, errlen);

		if (!p)
			return -1;
		if (strcmp(key, "argv") == 0)
			return set_argv(p, value, err, errlen);
		if (strcmp(key, "parser") == 0)
			return set_parser(p, value, err, errlen);
		snprintf(err, errlen, "unknown key '%.40s' in [%.40s] (argv, parser)", key, section);
		return -1;
	}
	if (strncmp(section, "pool.", 5) == 0) {
		struct config_pool *p = pool_slot(c, section + 5, err, errlen);

		if (!p)
			return -1;
		if (strcmp(key, "allow") == 0)
			return set_list(p->allow, &p->nallow, value, first, "pool.allow", err, errlen);
		snprintf(err, errlen, "unknown key '%.40s' in [%.40s] (allow)", key, section);
		return -1;
	}
	if (strcmp(section, "worker") == 0 && strcmp(key, "pool") == 0)
		return set_worker_pool(c, value, err, errlen);
	for (size_t i = 0; i < sizeof intkeys / sizeof intkeys[0]; i++) {
		if (strcmp(intkeys[i].section, section) == 0 && strcmp(intkeys[i].key, key) == 0) {
			if (field(c, &intkeys[i]) == &c->heartbeat_s)
				heartbeat_given = 1;
			return parse_int(value, &intkeys[i], field(c, &intkeys[i]), err, errlen);
		}
	}
	if (strcmp(section, "database") == 0 && strcmp(key, "url") == 0)
		return copy_str(c->database_url, sizeof c->database_url, value, err, errlen,
				"database.url");
	if (strcmp(section, "http") == 0 && strcmp(key, "listen") == 0)
		return copy_str(c->listen, sizeof c->listen, value, err, errlen, "http.listen");
	if (strcmp(section, "http") == 0 && strcmp(key, "tls_cert") == 0)
		return copy_str(c->tls_cert, sizeof c->tls_cert, value, err, errlen, "http.tls_cert");
	if (strcmp(section, "http") == 0 && strcmp(key, "tls_key") == 0)
		return copy_str(c->tls_key, sizeof c->tls_key, value, err, errlen, "http.tls_key");
	if (strcmp(section, "http") == 0 && strcmp(key, "tls_client_ca") == 0)
		return copy_str(c->tls_client_ca, sizeof c->tls_client_ca, value, err, errlen,
				"http.tls_client_ca");
	if (strcmp(section, "scope") == 0 && strcmp(key, "allow") == 0)
		return set_list(c->scope_allow, &c->nallow, value, first, "scope.allow", err, errlen);
	if (strcmp(section, "scope") == 0 && strcmp(key, "deny") == 0)
		return set_list(c->scope_deny, &c->ndeny, value, first, "scope.deny", err, errlen);
	if (strcmp(section, "http") == 0 && strcmp(key, "trusted_proxies") == 0)
		return set_list(c->http_trusted, &c->ntrusted, value, first, "http.trusted_proxies",
				err, errlen);
	if (strcmp(section, "scope") == 0 && strcmp(key, "exclude") == 0)
		return set_list_max(c->scope_exclude, &c->nexclude, CONFIG_EXCLUDE_MAX, value, first,
				    "scope.exclude", err, errlen);
	if (strcmp(section, "rate") == 0 && strcmp(key, "cap") == 0)
		return set_list_checked(c->rate_cap, &c->nrate_cap, CONFIG_RATECAP_MAX, value, first,
					"rate.cap", checks.rate_cap, err, errlen);
	if (strcmp(section, "webhooks") == 0 && strcmp(key, "allow") == 0)
		return set_list(c->webhook_allow, &c->nwebhook_allow, value, first, "webhooks.allow",
				err, errlen);
	for (size_t i = 0; i < sizeof intkeys / sizeof intkeys[0]; i++)
		if (strcmp(intkeys[i].section, section) == 0) {
			snprintf(err, errlen, "unknown key '%.40s' in [%.40s]", key, section);
			return -1;
		}
	if (strcmp(section, "database") == 0 || strcmp(section, "http") == 0)
		snprintf(err, errlen, "unknown key '%.40s' in [%.40s]", key, section);
	else
		snprintf(err, errlen, "unknown section [%.40s]", section);
	return -1;
}

static int defaults(struct config *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < sizeof intkeys / sizeof intkeys[0]; i++)
		*field(c, &intkeys[i]) = intkeys[i].dflt;
	snprintf(c->database_url, sizeof c->database_url, "%s", CONFIG_DEFAULT_DB_URL);
	snprintf(c->listen, sizeof c->listen, "127.0.0.1:8080");
	snprintf(c->worker_pool, sizeof c->worker_pool, "local");
	if (set_list(c->scope_allow, &c->nallow, "127.0.0.0/8, ::1", 1, "scope.allow", err, errlen) < 0)
		return -1;
	if (set_list(c->webhook_allow, &c->nwebhook_allow, "127.0.0.0/8, ::1", 1, "webhooks.allow",
		     err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < sizeof default_profiles / sizeof default_profiles[0]; i++) {
		struct config_profile *p = profile_slot(c, default_profiles[i].type, err, errlen);

		if (!p || set_argv(p, default_profiles[i].argv, err, errlen) < 0
		    || set_parser(p, default_profiles[i].parser, err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int on_ini(void *user, const char *section, const char *key, const char *value)
{
	struct loadstate *st = user;
	int first;

	if (st->err[0])
		return 0;	/* report only the first error */
	first = strcmp(st->last_section, section) != 0 || strcmp(st->last_key, key) != 0;
	snprintf(st->last_section, sizeof st->last_section, "%s", section);
	snprintf(st->last_key, sizeof st->last_key, "%s", key);
	st->errline = st->line;
	if (!*section) {
		snprintf(st->err, sizeof st->err, "setting '%.40s' outside a [section]", key);
		return 0;
	}
	if (apply(st->c, section, key, value, first, st->err, sizeof st->err) < 0)
		return 0;
	set_source(st->c, section, key, st->path, st->line > 0 ? st->line : 1);
	return 1;
}

/* fgets() for inih that counts lines, so a handler error can name its line. */
static char *reader(char *str, int num, void *stream)
{
	struct loadstate *st = stream;
	char *r = fgets(str, num, st->f);

	if (r && strchr(r, '\n'))
		st->line++;
	else if (r && feof(st->f))
		st->line++;
	return r;
}

/* The variable of key i (intkeys, then strkeys): SCANQ_<SECTION>_<KEY>,
 * upper case; *sec and *key (may be NULL) get its names. */
static void env_name(size_t i, char *buf, size_t len, const char **sec, const char **key)
{
	const char *s = i < NINTKEYS ? intkeys[i].section : strkeys[i - NINTKEYS][0];
	const char *k = i < NINTKEYS ? intkeys[i].key : strkeys[i - NINTKEYS][1];

	snprintf(buf, len, "SCANQ_%s_%s", s, k);
	for (char *p = buf; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	if (sec)
		*sec = s;
	if (key)
		*key = k;
}

/* Environment overrides: SCANQ_<SECTION>_<KEY>, upper case, and DATABASE_URL. */
static int from_env(struct config *c, char *err, size_t errlen)
{
	char name[96], msg[256];
	const char *v, *sec, *key;

	for (size_t i = 0; i < NKEYS; i++) {
		env_name(i, name, sizeof name, &sec, &key);
		if (!(v = getenv(name)))
			continue;
		if (apply(c, sec, key, v, 1, msg, sizeof msg) < 0) {
			snprintf(err, errlen, "environment %s: %s", name, msg);
			return -1;
		}
		set_source(c, sec, key, name, 0);
	}
	v = getenv("DATABASE_URL");
	if (v && *v && copy_str(c->database_url, sizeof c->database_url, v, msg, sizeof msg,
				"DATABASE_URL") < 0) {
		snprintf(err, errlen, "environment %s", msg);
		return -1;
	}
	if (v && *v)
		set_source(c, "database", "url", "DATABASE_URL", 0);
	return 0;
}

static int cross_check(struct config *c, char *err, size_t errlen)
{
	if (!heartbeat_given && c->heartbeat_s >= c->lease_s)
		c->heartbeat_s = c->lease_s / 3 > 0 ? c->lease_s / 3 : 1;
	if (c->heartbeat_s >= c->lease_s) {
		snprintf(err, errlen, "worker.heartbeat (%d) must be shorter than worker.lease (%d)",
			 c->heartbeat_s, c->lease_s);
		return -1;
	}
	if (c->soft_time_limit_s > c->hard_time_limit_s) {
		snprintf(err, errlen, "worker.soft_time_limit (%d) exceeds worker.hard_time_limit (%d)",
			 c->soft_time_limit_s, c->hard_time_limit_s);
		return -1;
	}
	if (!c->tls_cert[0] != !c->tls_key[0]) {
		snprintf(err, errlen, "http.tls_cert and http.tls_key go together: %s is set, %s is not",
			 c->tls_cert[0] ? "tls_cert" : "tls_key", c->tls_cert[0] ? "tls_key" : "tls_cert");
		return -1;
	}
	if (c->tls_client_ca[0] && !c->tls_cert[0]) {
		snprintf(err, errlen, "http.tls_client_ca needs http.tls_cert and http.tls_key:"
			 " client certificates are asked for over https only");
		return -1;
	}
	if (c->backlog_warn > c->backlog_fail) {
		snprintf(err, errlen, "maintenance.backlog_warn (%d) exceeds maintenance.backlog_fail (%d)",
			 c->backlog_warn, c->backlog_fail);
		return -1;
	}
	for (int i = 0; i < c->nprofiles; i++) {
		if (c->profiles[i].argc == 0 || !c->profiles[i].parser[0]) {
			snprintf(err, errlen, "profile '%s' needs both argv and parser",
				 c->profiles[i].type);
			return -1;
		}
	}
	return 0;
}

int config_load(const char *path, char *err, size_t errlen)
{
	static struct config next;
	struct loadstate st = { .c = &next };
	int rc = -1, line;
	FILE *f = NULL;

	heartbeat_given = 0;
	if (!checks.list_entry || !checks.builtin_type || !checks.rate_cap) {
		snprintf(err, errlen, "internal: no config checks registered before loading");
		goto out;
	}
	if (defaults(&next, err, errlen) < 0)
		goto out;
	for (size_t i = 0; i < NKEYS + CONFIG_PROFILES_MAX; i++)
		snprintf(src_next[i], SOURCE_MAX, "default");
	if (!path || !*path) {
		path = getenv("SCANQ_CONFIG");
		if (!path || !*path)
			path = access("scanq.ini", F_OK) == 0 ? "scanq.ini" : NULL;
		if (!path && CONFIG_SYSTEM_FILE[0] && access(CONFIG_SYSTEM_FILE, F_OK) == 0)
			path = CONFIG_SYSTEM_FILE;
	}
	if (path) {
		f = fopen(path, "r");
		if (!f) {
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
			goto out;
		}
		st.f = f;
		st.path = path;
		line = ini_parse_stream(reader, &st, on_ini, &st);
		if (line < 0) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto out;
		}
		if (line > 0) {
			/* inih reports the first bad line; it is ours if no syntax
			 * error came before it. */
			if (st.err[0] && st.errline <= line)
				snprintf(err, errlen, "%s:%d: %s", path, st.errline, st.err);
			else
				snprintf(err, errlen, "%s:%d: syntax error", path, line);
			goto out;
		}
	}
	if (from_env(&next, err, errlen) < 0 || cross_check(&next, err, errlen) < 0)
		goto out;
	release(&config);
	config = next;
	memset(&next, 0, sizeof next);
	memcpy(src_cur, src_next, sizeof src_cur);
	rc = 0;
out:
	if (f)
		fclose(f);
	if (rc < 0)
		release(&next);
	return rc;
}

/* The header promises defaults before config_load() ran: fill them in
 * before main().  Defaults cannot fail short of memory. */
__attribute__((constructor)) static void load_defaults_early(void)
{
	char err[256];

	if (defaults(&config, err, sizeof err) < 0)
		release(&config);
}

const struct config_profile *config_profile(const char *type)
{
	for (int i = 0; i < config.nprofiles; i++)
		if (strcmp(config.profiles[i].type, type) == 0)
			return &config.profiles[i];
	return NULL;
}

/* What a line of the commented file says beside a default; a setting
 * without a note shows its range only. */
static const struct {
	const char *name, *note;
} notes[] = {
	{ "database.url", "sqlite://PATH or postgres://USER@HOST/DB (DATABASE_URL overrides)" },
	{ "worker.lease", "seconds a claimed scan stays leased without a renewal" },
	{ "worker.heartbeat", "seconds between lease renewals (default: a third of the lease)" },
	{ "worker.max_attempts", "attempts before a scan fails for good" },
	{ "worker.backoff_base", "seconds before the first retry; doubles per attempt, jittered" },
	{ "worker.soft_time_limit", "seconds until SIGTERM to a scan's process group" },
	{ "worker.hard_time_limit", "seconds until SIGKILL" },
	{ "worker.poll_ms", "fallback poll interval when no wake-up arrives" },
	{ "worker.memory_limit_mb", "RLIMIT_AS of a scan's child process" },
	{ "worker.output_limit_kb", "cap on a child's captured output" },
	{ "worker.grace", "seconds running scans get to finish on shutdown or cancel" },
	{ "serve.workers", "worker processes `scanq serve` starts" },
	{ "worker.pool", "the pool local workers claim from (agents' pools: [pool.NAME] allow = ...)" },
	{ "serve.concurrency", "scans one worker runs at once" },
	{ "http.listen", "ADDR:PORT of the API and web UI; port 0: any free port" },
	{ "http.tls_cert", "PEM certificate (chain) to serve HTTPS with; empty: plain HTTP" },
	{ "http.tls_key", "PEM private key of http.tls_cert" },
	{ "http.tls_client_ca", "PEM CA certificates: when set, every client must present a"
	  " certificate they signed (mutual TLS)" },
	{ "http.max_body_kb", "largest request body accepted" },
	{ "http.max_connections", "open connections at most" },
	{ "maintenance.prune_days", "finished scans older than this are deleted hourly" },
	{ "maintenance.prune_batch", "scans deleted per transaction" },
	{ "maintenance.stuck_hours", "a due pending scan is reported stuck after this" },
	{ "maintenance.backlog_warn", "pending scans at which doctor warns" },
	{ "maintenance.backlog_fail", "pending scans at which doctor fails" },
	{ "scope.allow", "addresses and CIDR blocks scans may target (comma-separated)" },
	{ "scope.deny", "exceptions to allow (comma-separated)" },
	{ "scope.max_targets", "addresses one scan may expand to" },
	{ "flow.shard_addresses", "a scan with more addresses is split into shards of this many" },
	{ "flow.shard_probes", "... or of at most this many address x port probes" },
	{ "webhooks.allow", "addresses and CIDR blocks webhook URLs may reach (comma-separated)" },
	{ "webhooks.timeout_ms", "one delivery attempt, connect to last byte" },
	{ "webhooks.backoff_ms", "first retry delay of a delivery; doubles, jittered" },
	{ "webhooks.lease", "seconds a sender holds a delivery before another may send it" },
	{ "webhooks.max_response_kb", "largest receiver answer read" },
	{ "webhooks.poll_ms", "how often workers look for due deliveries" },
	{ "maintenance.stuck_clear_minutes", "serve repairs the automatic stuck categories this often (0: off)" },
	{ "maintenance.prune_hours", "serve prunes old finished scans this often (0: off)" },
	{ "maintenance.keep_completed_days", "completed scans kept this long (0: prune_days)" },
	{ "maintenance.keep_failed_days", "failed scans kept this long (0: prune_days)" },
	{ "maintenance.keep_cancelled_days", "cancelled scans kept this long (0: prune_days)" },
	{ "maintenance.oldest_pending_warn", "minutes a due scan may wait before doctor warns" },
	{ "maintenance.failure_warn", "percent of the last hour's scans failed at which doctor warns" },
	{ "maintenance.failure_fail", "percent of the last hour's scans failed at which doctor fails" },
	{ "maintenance.disk_warn", "percent of free disk below which doctor warns" },
	{ "maintenance.disk_fail", "percent of free disk below which doctor fails" },
	{ "maintenance.disk_warn_mb", "MiB of free disk below which doctor warns, whatever the percent" },
	{ "rate.cap", "NETWORK:PROBES, ...: probes per second shared by every scan inside the network" },
};

static const char *note_of(const char *section, const char *key)
{
	char name[96];

	snprintf(name, sizeof name, "%s.%s", section, key);
	for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++)
		if (strcmp(notes[i].name, name) == 0)
			return notes[i].note;
	return NULL;
}

/* Joins a list with ", " into buf (truncated at its size). */
static const char *join(char *const *list, int n, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", list[i]);
	return buf;
}

static void print_line(FILE *f, const char *section, const char *key, const char *value,
		       const char *range)
{
	const char *note = section ? note_of(section, key) : NULL;
	char line[1200];

	snprintf(line, sizeof line, "# %s = %s", key, value);
	if (note || range)
		fprintf(f, "%-40s ; %s%s%s\n", line, note ? note : "", note && range ? " " : "",
			range ? range : "");
	else
		fprintf(f, "%s\n", line);
}

/* The value of text setting section.key of c, in buf when it is a list. */
static const char *strkey_value(const struct config *c, const char *section, const char *key,
				char *buf, size_t len)
{
	if (strcmp(key, "url") == 0)
		return c->database_url;
	if (strcmp(key, "listen") == 0)
		return c->listen;
	if (strcmp(key, "tls_cert") == 0)
		return c->tls_cert;
	if (strcmp(key, "tls_key") == 0)
		return c->tls_key;
	if (strcmp(key, "pool") == 0)
		return c->worker_pool;
	if (strcmp(key, "tls_client_ca") == 0)
		return c->tls_client_ca;
	if (strcmp(key, "allow") == 0 && strcmp(section, "webhooks") == 0)
		return join(c->webhook_allow, c->nwebhook_allow, buf, len);
	if (strcmp(key, "allow") == 0)
		return join(c->scope_allow, c->nallow, buf, len);
	if (strcmp(key, "deny") == 0)
		return join(c->scope_deny, c->ndeny, buf, len);
	if (strcmp(key, "exclude") == 0)
		return join(c->scope_exclude, c->nexclude, buf, len);
	if (strcmp(key, "trusted_proxies") == 0)
		return join(c->http_trusted, c->ntrusted, buf, len);
	if (strcmp(key, "cap") == 0)
		return join(c->rate_cap, c->nrate_cap, buf, len);
	return "";
}

/* The text settings of one section, from the defaults in c. */
static void print_strkeys(FILE *f, const struct config *c, const char *section)
{
	char buf[1024];

	for (size_t i = 0; i < NSTRKEYS; i++)
		if (strcmp(strkeys[i][0], section) == 0)
			print_line(f, section, strkeys[i][1],
				   strkey_value(c, section, strkeys[i][1], buf, sizeof buf), NULL);
}

void config_print_defaults(FILE *f)
{
	static struct config c;
	char err[256], range[64], value[32], argv[1024];
	const char *section = NULL;

	if (defaults(&c, err, sizeof err) < 0) {
		release(&c);
		return;
	}
	fprintf(f, "; scanq settings (INI).  Every setting is listed with its built-in\n"
		"; default and commented out: uncomment a line to change it.\n"
		"; Environment variables SCANQ_<SECTION>_<KEY> (upper case) and\n"
		"; DATABASE_URL override this file.  Generated from the table in\n"
		"; src/core/config.c (`scanq __config`); see scanq(1).\n");
	for (size_t i = 0; i < NSTRKEYS; i++) {
		int seen = 0;

		for (size_t k = 0; k < sizeof intkeys / sizeof intkeys[0]; k++)
			seen |= strcmp(intkeys[k].section, strkeys[i][0]) == 0;
		if (!seen && (i == 0 || strcmp(strkeys[i - 1][0], strkeys[i][0]) != 0)) {
			fprintf(f, "\n[%s]\n", strkeys[i][0]);
			print_strkeys(f, &c, strkeys[i][0]);
		}
	}
	for (size_t k = 0; k < sizeof intkeys / sizeof intkeys[0]; k++) {
		const struct intkey *ik = &intkeys[k];

		if (!section || strcmp(section, ik->section) != 0) {
			section = ik->section;
			fprintf(f, "\n[%s]\n", section);
			print_strkeys(f, &c, section);
		}
		snprintf(value, sizeof value, "%d", *field(&c, ik));
		snprintf(range, sizeof range, "(%d..%d)", ik->min, ik->max);
		print_line(f, ik->section, ik->key, value, range);
	}
	for (int p = 0; p < c.nprofiles; p++) {
		const struct config_profile *pr = &c.profiles[p];
		size_t o = 0;

		argv[0] = '\0';
		for (int i = 0; i < pr->argc && o < sizeof argv; i++)
			o += (size_t)snprintf(argv + o, sizeof argv - o, "%s%s", i ? " " : "",
					      pr->argv[i]);
		fprintf(f, "\n; An external tool profile: scans of type %s run this program,\n"
			"; never through a shell; {targets}, {targets_file} and {ports} are\n"
			"; filled in.\n[profile.%s]\n", pr->type, pr->type);
		print_line(f, NULL, "argv", argv, NULL);
		print_line(f, NULL, "parser", pr->parser, "nmap-xml, nuclei-jsonl or lines");
	}
	release(&c);
}

/* ---- config show and unknown variables ---------------------------- */

void config_each(void (*fn)(void *arg, const char *name, const char *value, const char *source),
		 void *arg)
{
	char name[128], value[1024], buf[1024];

	for (size_t i = 0; i < NKEYS; i++) {
		const char *sec = i < NINTKEYS ? intkeys[i].section : strkeys[i - NINTKEYS][0];
		const char *key = i < NINTKEYS ? intkeys[i].key : strkeys[i - NINTKEYS][1];

		snprintf(name, sizeof name, "%s.%s", sec, key);
		if (i < NINTKEYS)
			snprintf(value, sizeof value, "%d", *field(&config, &intkeys[i]));
		else
			snprintf(value, sizeof value, "%s",
				 strkey_value(&config, sec, key, buf, sizeof buf));
		fn(arg, name, value, src_cur[i][0] ? src_cur[i] : "default");
	}
	for (int p = 0; p < config.nprofiles; p++) {
		const struct config_profile *pr = &config.profiles[p];
		const char *src = src_cur[NKEYS + p][0] ? src_cur[NKEYS + p] : "default";

		snprintf(name, sizeof name, "profile.%s.argv", pr->type);
		{
			size_t o = 0;

			value[0] = '\0';
			for (int i = 0; i < pr->argc && o < sizeof value; i++)
				o += (size_t)snprintf(value + o, sizeof value - o, "%s%s", i ? " " : "",
						      pr->argv[i]);
		}
		fn(arg, name, value, src);
		snprintf(name, sizeof name, "profile.%s.parser", pr->type);
		fn(arg, name, pr->parser, src);
	}
}

/* Variables scanq reads besides SCANQ_<SECTION>_<KEY>. */
static const char *const other_vars[] = {
	"SCANQ_CONFIG", "SCANQ_LOG_LEVEL", "SCANQ_WEB_DIR", "SCANQ_SQLITE_SYNCHRONOUS", "SCANQ_CHROMIUM",
	"SCANQ_RATE_FEED", NULL,
};
/* The test runner's and packaging's own (tests/run.sh, tests/integration,
 * tests/browser), and SCANQ_TEST_*: never warned about. */
static const char *const runner_vars[] = {
	"SCANQ_BUILDS", "SCANQ_TESTS", "SCANQ_BACKENDS", "SCANQ_NO_FUZZ", "SCANQ_UI_PARTS",
	"SCANQ_URL", "SCANQ_DB", "SCANQ_LISTENER_PORT", "SCANQ_ARTIFACTS", "SCANQ_SCAN",
	"SCANQ_VERSION", "SCANQ_BIN", NULL,
};

static int distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[128];

	if (la >= 127 || lb >= 127)
		return 1000;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int prev = row[0], cur;

		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int sub = prev + (a[i - 1] != b[j - 1]);

			cur = row[j] + 1 < row[j - 1] + 1 ? row[j] + 1 : row[j - 1] + 1;
			cur = cur < sub ? cur : sub;
			prev = row[j];
			row[j] = cur;
		}
	}
	return row[lb];
}

int config_env_known(const char *name, char *closest, size_t len)
{
	char cand[96];
	int best = 1000, d;

	closest[0] = '\0';
	if (!strncmp(name, "SCANQ_TEST_", 11))
		return 1;
	for (int i = 0; runner_vars[i]; i++)
		if (!strcmp(name, runner_vars[i]))
			return 1;
	for (size_t i = 0; i < NKEYS + 16; i++) {
		const char *c = i < NKEYS ? cand : other_vars[i - NKEYS];

		if (i < NKEYS)
			env_name(i, cand, sizeof cand, NULL, NULL);
		else if (!c)
			break;
		if (!strcmp(name, c))
			return 1;
		if ((d = distance(name, c)) < best) {
			best = d;
			snprintf(closest, len, "%s", c);
		}
	}
	return 0;
}

int config_warn_unknown_env(FILE *f)
{
	extern char **environ;
	int n = 0;

	for (char **e = environ; e && *e; e++) {
		char name[128], closest[96];
		const char *eq = strchr(*e, '=');
		size_t l = eq ? (size_t)(eq - *e) : strlen(*e);

		if (strncmp(*e, "SCANQ_", 6) || l >= sizeof name)
			continue;
		memcpy(name, *e, l);
		name[l] = '\0';
		if (config_env_known(name, closest, sizeof closest))
			continue;
		fprintf(f, "warning: unknown environment variable %s is ignored%s%s%s\n", name,
			closest[0] ? " (did you mean " : "", closest, closest[0] ? "?)" : "");
		n++;
	}
	return n;
}
