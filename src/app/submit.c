/*
 * submit.c — validation of a scan request and the one call that queues it
 * (see submit.h).  Every field is checked before the store is touched.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "core/config.h"
#include "dns.h"
#include "ports.h"
#include "scantype.h"
#include "scope.h"
#include "store/store.h"
#include "app/submit.h"
#include "targets.h"
#include "app/workflow.h"

#define SUBMIT_OPTIONS_MAX 8192		/* bytes of the options JSON */

void submit_input_init(struct submit_input *in)
{
	memset(in, 0, sizeof *in);
	in->max_attempts = config.max_attempts;
	in->time_limit_s = config.hard_time_limit_s;
}

static int refuse(struct submit_error *err, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct submit_error *err, const char *code, const char *fmt, ...)
{
	va_list ap;

	snprintf(err->code, sizeof err->code, "%s", code);
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return -1;
}

static int known_type(const char *type)
{
	return scantype_find(type) != NULL || config_profile(type) != NULL;
}

/* The scope of `pool` (scope.h; free with scope_free()), and in *where the
 * section that sets it.  NULL with code and msg: an unknown pool. */
static struct scope *pool_scope(const char *pool, const char **where, char *code, size_t codelen,
				char *msg, size_t msglen)
{
	const struct config_pool *p;
	struct scope *sc;

	*where = "[scope] allow";
	if (!pool || strcmp(pool, SCAN_POOL_LOCAL) == 0) {
		if (!(sc = scope_from_config(&config, msg, msglen)))
			snprintf(code, codelen, "internal");
		return sc;
	}
	if (!config_pool_name_valid(pool) || !(p = config_pool(pool))) {
		snprintf(code, codelen, "invalid_parameter");
		snprintf(msg, msglen, "unknown pool \"%.40s\"", pool);
		return NULL;
	}
	*where = "its pool's allow list";
	if (!(sc = scope_new(p->allow, p->nallow, config.scope_deny, config.ndeny, msg, msglen)))
		snprintf(code, codelen, "internal");
	return sc;
}

int submit_validate_targets(json_t *targets, const char *ports, char *code, size_t codelen,
			    char *msg, size_t msglen)
{
	return submit_validate_pool_targets(targets, ports, NULL, code, codelen, msg, msglen);
}

int submit_validate_pool_targets(json_t *targets, const char *ports, const char *pool, char *code,
				 size_t codelen, char *msg, size_t msglen)
{
	const char *where;
	const char **specs = NULL;
	struct target_list *l = NULL;
	struct scope *sc = NULL;
	struct port_set *ps = NULL;
	size_t n, i;
	json_t *v;
	int rc = -1;

	if (!json_is_array(targets)) {
		snprintf(code, codelen, "invalid_target");
		snprintf(msg, msglen, "targets must be a list of strings");
		return -1;
	}
	n = json_array_size(targets);
	if (n > TARGETS_SPECS_MAX) {
		snprintf(code, codelen, "too_many_targets");
		snprintf(msg, msglen, "more than %d target specs", TARGETS_SPECS_MAX);
		return -1;
	}
	specs = calloc(n + 1, sizeof *specs);
	l = targets_new();
	if (!specs || !l)
		goto nomem;
	json_array_foreach(targets, i, v) {
		if (!json_is_string(v)) {
			snprintf(code, codelen, "invalid_target");
			snprintf(msg, msglen, "target %zu is not a string", i + 1);
			goto out;
		}
		specs[i] = json_string_value(v);
		if (strlen(specs[i]) != json_string_length(v)) {
			snprintf(code, codelen, "invalid_target");
			snprintf(msg, msglen, "target %zu contains a NUL byte", i + 1);
			goto out;
		}
	}
	if (targets_parse(l, specs, (int)n, config.max_targets, code, codelen, msg, msglen) < 0)
		goto out;
	if (!(sc = pool_scope(pool, &where, code, codelen, msg, msglen)))
		goto out;
	for (i = 0; i < n; i++) {
		targets_u128 lo, hi, bad;
		struct target_addr a;
		char text[64];
		int kind = targets_classify(specs[i], &lo, &hi);

		if (kind == 2 && !scope_check_name(sc, specs[i])) {
			snprintf(code, codelen, "out_of_scope");
			snprintf(msg, msglen, "target '%.80s' is out of scope (see %s in the configuration)",
				 specs[i], where);
			goto out;
		}
		if (kind == 1 && !scope_check_range(sc, lo, hi, &bad)) {
			targets_to_addr(bad, &a);
			snprintf(code, codelen, "out_of_scope");
			if (lo == hi)
				snprintf(msg, msglen, "target '%.80s' is out of scope (see %s in the configuration)",
					 specs[i], where);
			else
				snprintf(msg, msglen, "target '%.80s' is out of scope: %s is not allowed",
					 specs[i], targets_addr_str(&a, text, sizeof text));
			goto out;
		}
	}
	if (ports) {
		ps = malloc(sizeof *ps);
		if (!ps)
			goto nomem;
		if (ports_parse(ports, ps, msg, msglen) < 0) {
			snprintf(code, codelen, "invalid_ports");
			goto out;
		}
	}
	rc = 0;
	goto out;
nomem:
	snprintf(code, codelen, "internal");
	snprintf(msg, msglen, "out of memory");
out:
	free(ps);
	scope_free(sc);
	targets_free(l);
	free(specs);
	return rc;
}

int submit_prepare(const struct submit_input *in, char **targets_text, char **options_text,
		   struct submit_error *err)
{
	json_t *opts = NULL, *then = NULL;

	*targets_text = *options_text = NULL;
	if (!in->type || !*in->type)
		return refuse(err, "invalid_type", "no scan type given");
	if (strlen(in->type) >= SCAN_TYPE_MAX || !known_type(in->type))
		return refuse(err, "invalid_type", "unknown scan type '%.40s'", in->type);
	/* Syntax, the address cap and the scope, before anything is written. */
	if (submit_validate_pool_targets(in->targets, in->ports, in->pool, err->code,
					 sizeof err->code, err->message, sizeof err->message) < 0)
		return -1;
	if (in->priority < SCAN_PRIORITY_MIN || in->priority > SCAN_PRIORITY_MAX)
		return refuse(err, "invalid_field", "priority must be between %d and %d",
			      SCAN_PRIORITY_MIN, SCAN_PRIORITY_MAX);
	if (in->max_attempts < 1 || in->max_attempts > SCAN_ATTEMPTS_MAX)
		return refuse(err, "invalid_field", "max_attempts must be between 1 and %d",
			      SCAN_ATTEMPTS_MAX);
	if (in->time_limit_s < 1 || in->time_limit_s > SCAN_TIME_LIMIT_MAX)
		return refuse(err, "invalid_field", "time limit must be between 1 and %d seconds",
			      SCAN_TIME_LIMIT_MAX);
	if (in->idempotency_key && (strlen(in->idempotency_key) > SCAN_KEY_MAX
				    || !*in->idempotency_key))
		return refuse(err, "invalid_field", "idempotency key must be 1 to %d bytes",
			      SCAN_KEY_MAX);
	if (in->options && !json_is_object(in->options))
		return refuse(err, "invalid_field", "options must be a JSON object");
	if (in->options && json_object_get(in->options, "then"))
		return refuse(err, "invalid_field", "give follow-up stages as then, not options.then");
	if (workflow_then(in->then, known_type, &then, err->code, sizeof err->code, err->message,
			  sizeof err->message) < 0)
		return -1;
	/* A scan type whose options name a server or a file is checked now,
	 * so a bad one is refused before anything is queued. */
	if (strcmp(in->type, "dns") == 0) {
		json_t *none = json_object();
		int bad = dns_options_check(in->options ? in->options : none, err->message,
					    sizeof err->message) < 0;

		json_decref(none);
		if (bad) {
			json_decref(then);
			snprintf(err->code, sizeof err->code, "%s",
				 strstr(err->message, "out of scope") ? "out_of_scope" : "invalid_field");
			return -1;
		}
	}

	opts = in->options ? json_deep_copy(in->options) : json_object();
	if (in->ports)
		json_object_set_new(opts, "ports", json_string(in->ports));
	if (then)		/* the chain travels in the options: a schedule carries it too */
		json_object_set_new(opts, "then", then);
	*targets_text = json_dumps(in->targets, JSON_COMPACT);
	*options_text = json_dumps(opts, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(opts);
	if (!*targets_text || !*options_text) {
		refuse(err, "store_error", "out of memory");
		goto fail;
	}
	if (strlen(*options_text) > SUBMIT_OPTIONS_MAX) {
		refuse(err, "invalid_field", "options are larger than %d bytes", SUBMIT_OPTIONS_MAX);
		goto fail;
	}
	return 0;
fail:
	free(*targets_text);
	free(*options_text);
	*targets_text = *options_text = NULL;
	return -1;
}

/*
 * A hash (BLAKE2b, hex) of a normalised request: the type, the targets as
 * given, the options with sorted keys and the ports folded in, priority,
 * max attempts and time limit.  Two requests with one idempotency key must
 * have the same hash to count as a repeat.
 */
static const char *request_hash(const struct scan_request *r, char *out, size_t len)
{
	unsigned char h[32];
	char *text = NULL;
	/* The pool only when it is not local: a local request hashes as before. */
	int local = !r->pool || strcmp(r->pool, SCAN_POOL_LOCAL) == 0;
	int n = asprintf(&text, "%s\n%s\n%s\n%d\n%d\n%d%s%s", r->type, r->targets,
			 r->options ? r->options : "{}", r->priority, r->max_attempts, r->time_limit_s,
			 local ? "" : "\npool:", local ? "" : r->pool);

	if (n < 0 || len < 2 * sizeof h + 1)
		return NULL;
	crypto_generichash(h, sizeof h, (const unsigned char *)text, (unsigned long long)n, NULL, 0);
	free(text);
	return sodium_bin2hex(out, len, h, sizeof h);
}

/*
 * Refuses a request whose every target is excluded (the store's list and
 * [scope] exclude); one partly excluded is queued, and its scanner skips
 * and counts the excluded addresses.  Returns 0, or -1 with *err filled.
 */
static int check_excluded(struct store *s, json_t *targets, struct submit_error *err)
{
	struct scope *sc = store_exclusion_scope(s);
	size_t i, n = json_array_size(targets), hit = 0;
	json_t *v;

	if (!sc)
		return refuse(err, "store_error", "could not read the exclusions: %s", store_error(s));
	if (scope_nexcluded(sc) > 0)
		json_array_foreach(targets, i, v)
			hit += (size_t)scope_excluded_spec(sc, json_string_value(v));
	scope_free(sc);
	if (n > 0 && hit == n)
		return refuse(err, "excluded", "every target is excluded (see scanq exclude list and"
			      " [scope] exclude); nothing was queued");
	return 0;
}

int submit_scan(struct store *s, struct store_group *g, const struct submit_input *in,
		int64_t *id, int *existed, struct submit_error *err)
{
	struct scan_request req = { 0 };
	char *targets_text = NULL, *opts_text = NULL, *slices = NULL, hash[2 * 32 + 1];
	int rc = -1, ex = 0, then;

	if (submit_prepare(in, &targets_text, &opts_text, err) < 0)
		return -1;
	if (check_excluded(s, in->targets, err) < 0)
		goto out;
	then = in->then && json_array_size(in->then) > 0;
	slices = workflow_slices(in->targets, in->ports);
	req.type = in->type;
	req.targets = targets_text;
	req.options = opts_text;
	req.priority = (int)in->priority;
	req.max_attempts = (int)in->max_attempts;
	req.time_limit_s = (int)in->time_limit_s;
	req.idempotency_key = in->idempotency_key;
	req.pool = in->pool && *in->pool ? in->pool : SCAN_POOL_LOCAL;
	if (in->idempotency_key)
		req.request_hash = request_hash(&req, hash, sizeof hash);
	if (then || slices) {
		/* A chain or a split scan: several rows, one transaction, not grouped. */
		if (store_submit_flow(s, &req, then ? SCAN_FLOW_THEN : 0, slices, id, &ex)
		    != STORE_OK) {
			refuse(err, "store_error", "could not queue the scan: %s", store_error(s));
			goto out;
		}
	} else if (g) {
		char serr[256];

		if (store_group_submit(g, &req, id, &ex, serr, sizeof serr) != STORE_OK) {
			refuse(err, "store_error", "could not queue the scan: %s", serr);
			goto out;
		}
	} else if (store_submit(s, &req, id, &ex) != STORE_OK) {
		refuse(err, "store_error", "could not queue the scan: %s", store_error(s));
		goto out;
	}
	if (existed)
		*existed = ex;
	if (ex == STORE_KEY_REUSED) {
		refuse(err, "idempotency_key_reused", "idempotency key '%.60s' was used for a different"
		       " request (scan %lld); nothing was queued: use a new key", in->idempotency_key,
		       (long long)*id);
		goto out;
	}
	rc = 0;
out:
	free(slices);
	free(targets_text);
	free(opts_text);
	return rc;
}
