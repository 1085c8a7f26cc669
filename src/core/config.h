/*
 * config.h — every tunable of scanq, with the defaults that `scanq
 * __config` prints and README.md ("Configuration") describes.
 *
 * Sources, later ones winning: built-in defaults, the INI file (--config
 * PATH, else $SCANQ_CONFIG, else ./scanq.ini when it exists, else
 * CONFIG_SYSTEM_FILE when the build names one and it exists), then
 * environment variables (SCANQ_<SECTION>_<KEY>, upper case, plus
 * DATABASE_URL).  Loaded once per process by config_load(); read-only after.
 */
#ifndef SCANQ_CONFIG_H
#define SCANQ_CONFIG_H

#include <stddef.h>
#include <stdio.h>

/* A build installed as a system service (the Debian package: debian/rules)
 * sets these two; a build in the repository keeps its database in the
 * current directory and reads no system file. */
#ifndef CONFIG_DEFAULT_DB_URL
#define CONFIG_DEFAULT_DB_URL "sqlite://./scanq.db"
#endif
#ifndef CONFIG_SYSTEM_FILE
#define CONFIG_SYSTEM_FILE ""	/* none */
#endif

#define CONFIG_LIST_MAX   64	/* entries of one allow/deny list */
#define CONFIG_RATECAP_MAX 64	/* entries of [rate] cap (RATECAP_MAX in all) */
#define CONFIG_EXCLUDE_MAX 128	/* entries of [scope] exclude: the file's and the
				 * store's exclusions, which a worker hands its child */
#define CONFIG_PROFILES_MAX 16	/* external tool profiles */
#define CONFIG_ARGV_MAX   48	/* argv elements of one profile template */

struct config_profile {
	char type[32];			/* scan type name, e.g. "vuln" */
	char parser[16];		/* "nmap-xml", "nuclei-jsonl", "lines" */
	/* The template.  Placeholders: {targets} (one argv element per target),
	 * {ports} (the port spec) and {targets_file} (a private temporary file
	 * with one target per line, removed after the run).  Never a shell. */
	char *argv[CONFIG_ARGV_MAX];
	int argc;
};

/* A pool of agents in another network ([pool.NAME], docs/AGENTS.md): the
 * scope its scans must stay in.  Pool `local` is the server's own workers
 * and keeps [scope]. */
#define CONFIG_POOLS_MAX 32
#define CONFIG_POOL_NAME_MAX 33		/* [a-z0-9_-]{1,32} with its NUL */
struct config_pool {
	char name[CONFIG_POOL_NAME_MAX];
	char *allow[CONFIG_LIST_MAX];	/* [pool.NAME] allow = CIDR, ... (none: nothing allowed) */
	int nallow;
};

struct config {
	char database_url[512];		/* [database] url / DATABASE_URL */
	int lease_s;			/* [worker] lease = 30 */
	int heartbeat_s;		/* [worker] heartbeat = 10 */
	int max_attempts;		/* [worker] max_attempts = 3 */
	int backoff_base_s;		/* [worker] backoff_base = 5 (doubles per attempt, jittered) */
	int soft_time_limit_s;		/* [worker] soft_time_limit = 1500 (25 min) */
	int hard_time_limit_s;		/* [worker] hard_time_limit = 1800 (30 min) */
	int poll_ms;			/* [worker] poll_ms = 1000 (fallback wake-up) */
	int memory_limit_mb;		/* [worker] memory_limit_mb = 1024 (RLIMIT_AS of a child) */
	int output_limit_kb;		/* [worker] output_limit_kb = 16384 (child stdout cap) */
	int grace_s;			/* [worker] grace = 30 (shutdown and cancel grace) */
	int workers;			/* [serve] workers = 2 */
	int concurrency;		/* [serve] concurrency = 4 (scans per worker) */
	char listen[128];		/* [http] listen = 127.0.0.1:8080 */
	char tls_cert[512];		/* [http] tls_cert = PEM file; "" serves plain HTTP */
	char tls_key[512];		/* [http] tls_key = its private key (PEM) */
	char tls_client_ca[512];	/* [http] tls_client_ca = CA file: clients need a
					 * certificate it signed; "" asks for none */
	int max_body_kb;		/* [http] max_body_kb = 1024 */
	int max_connections;		/* [http] max_connections = 1024 (open at once) */
	int max_connections_per_ip;	/* [http] max_connections_per_ip = 64 */
	int header_timeout_s;		/* [http] header_timeout = 10 (request headers, from accept) */
	int body_timeout_s;		/* [http] body_timeout = 30 (request body, from its headers) */
	int keepalive_timeout_s;	/* [http] keepalive_timeout = 15 (next headers, from the answer) */
	int timeout_s;			/* [http] timeout = 30 (no traffic either way) */
	int prune_days;			/* [maintenance] prune_days = 30 */
	int prune_batch;		/* [maintenance] prune_batch = 1000 */
	int stuck_hours;		/* [maintenance] stuck_hours = 2 */
	int worker_keep_hours;	/* registry rows of stopped or dead workers kept this long */
	int backlog_warn;		/* [maintenance] backlog_warn = 100 */
	int backlog_fail;		/* [maintenance] backlog_fail = 500 */
	/* automatic maintenance and retention by final status */
	int stuck_clear_minutes;	/* [maintenance] stuck_clear_minutes = 60 (0: off) */
	int prune_hours;		/* [maintenance] prune_hours = 24 (0: off) */
	int keep_completed_days;	/* [maintenance] keep_completed_days = 0 (0: prune_days) */
	int keep_failed_days;		/* [maintenance] keep_failed_days = 0 (0: prune_days) */
	int keep_cancelled_days;	/* [maintenance] keep_cancelled_days = 0 (0: prune_days) */
	int oldest_pending_warn_min;	/* [maintenance] oldest_pending_warn = 15 (minutes) */
	int failure_warn_pct;		/* [maintenance] failure_warn = 5 (% of the last hour) */
	int failure_fail_pct;		/* [maintenance] failure_fail = 15 */
	int disk_warn_pct;		/* [maintenance] disk_warn = 10 (% free) */
	int disk_fail_pct;		/* [maintenance] disk_fail = 2 */
	int disk_warn_mb;		/* [maintenance] disk_warn_mb = 64 (MiB free) */
	int max_targets;		/* [scope] max_targets = 65536 addresses per scan */
	int shard_addresses;		/* [flow] shard_addresses = 256: split above this */
	int shard_probes;		/* [flow] shard_probes = 65536 address x port probes */
	char *scope_allow[CONFIG_LIST_MAX];	/* [scope] allow = 127.0.0.0/8, ::1 */
	int nallow;
	char *scope_deny[CONFIG_LIST_MAX];	/* [scope] deny = (none) */
	int ndeny;
	/* [scope] exclude = (none): skipped, never refused (scope.h) */
	char *scope_exclude[CONFIG_EXCLUDE_MAX];
	int nexclude;
	/* [rate] cap = (none): "NETWORK:PROBES" entries, probes per second
	 * shared by every scan inside the network (scan/ratecap.h) */
	char *rate_cap[CONFIG_RATECAP_MAX];
	int nrate_cap;
	/* [http] trusted_proxies = (none): peers whose X-Forwarded-For names
	 * the client (api/client.h) */
	char *http_trusted[CONFIG_LIST_MAX];
	int ntrusted;
	struct config_profile profiles[CONFIG_PROFILES_MAX];	/* [profile.TYPE] */
	int nprofiles;
	/* [webhooks]: who may receive deliveries, and how they are sent */
	char *webhook_allow[CONFIG_LIST_MAX];	/* [webhooks] allow = 127.0.0.0/8, ::1 */
	int nwebhook_allow;
	int webhook_timeout_ms;		/* [webhooks] timeout_ms = 5000 (one attempt, in all) */
	int webhook_backoff_ms;		/* [webhooks] backoff_ms = 2000 (first retry, doubles, jittered) */
	int webhook_lease_s;		/* [webhooks] lease = 60 (a sender's hold on a delivery) */
	int webhook_response_kb;	/* [webhooks] max_response_kb = 64 (more: the attempt fails) */
	int webhook_poll_ms;		/* [webhooks] poll_ms = 500 (how often senders look) */
	char worker_pool[CONFIG_POOL_NAME_MAX];	/* [worker] pool = local (what local workers claim) */
	struct config_pool pools[CONFIG_POOLS_MAX];	/* [pool.NAME] */
	int npools;
};

/* The process-wide configuration (defaults until config_load() ran). */
extern struct config config;

/*
 * The two checks of a setting that need the scan layer, which sits above
 * core/ (docs/LAYOUT.md): whether a scope or webhook allow/deny entry is
 * well formed (scope_entry_valid()), and whether a name is a built-in scan
 * type, which a [profile.NAME] may not hide.  src/scan/ registers them
 * (scantype_config_checks()) before the first config_load().
 */
struct config_checks {
	/* 0 if entry is a valid list entry, else -1 with a reason in err */
	int (*list_entry)(const char *entry, char *err, size_t errlen);
	/* 1 if name is a built-in scan type, else 0 */
	int (*builtin_type)(const char *name);
	/* 0 if entry is a valid [rate] cap entry ("10.0.0.0/8:2000"), else -1
	 * with a reason in err */
	int (*rate_cap)(const char *entry, char *err, size_t errlen);
};

/* Registers the checks config_load() applies; *c is copied. */
void config_set_checks(const struct config_checks *c);

/*
 * Loads defaults, then `path` (NULL: $SCANQ_CONFIG or ./scanq.ini if it
 * exists), then the environment.  Returns 0, or -1 with a one-line reason
 * ("scanq.ini:12: unknown key 'leese'") in err; also -1 when no checks
 * were registered (config_set_checks()), so no setting goes unchecked.
 * Safe to call again.
 */
int config_load(const char *path, char *err, size_t errlen);

/*
 * Writes an INI file to f that names every setting with its built-in
 * default, each line commented out, with its range or a note: the
 * packaged /etc/scanq/scanq.conf is this output (`scanq __config`), so it
 * cannot disagree with the code.  Independent of what config_load() read.
 */
void config_print_defaults(FILE *f);

/*
 * `scanq config show`: calls fn for every effective setting ("worker.lease",
 * "profile.vuln.argv", ...) with its value as text and where it came from:
 * "default", "file PATH:LINE" or "environment NAME".
 */
void config_each(void (*fn)(void *arg, const char *name, const char *value, const char *source),
		 void *arg);

/* Is `name` (a SCANQ_* variable) one scanq reads?  If not, closest gets the
 * known variable nearest to it.  SCANQ_TEST_* and the test runner's
 * variables count as known. */
int config_env_known(const char *name, char *closest, size_t len);

/* Prints one warning line to f for each unknown SCANQ_* variable of the
 * environment, naming the closest known one.  Returns how many. */
int config_warn_unknown_env(FILE *f);

/* Is `name` a well-formed pool name ([a-z0-9_-]{1,32})?  1 or 0. */
int config_pool_name_valid(const char *name);

/* The [pool.NAME] section of pool `name`, or NULL (pool `local` has none:
 * it keeps [scope]). */
const struct config_pool *config_pool(const char *name);

/* Finds the profile of a scan type, or NULL. */
const struct config_profile *config_profile(const char *type);

#endif
