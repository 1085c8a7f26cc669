/*
 * submit.h — turning a user's request into a queued scan.  The CLI and the
 * HTTP API both come through here, so they accept and refuse exactly the
 * same things with the same error codes.  Nothing is written unless every
 * check passed.
 */
#ifndef SCANQ_SUBMIT_H
#define SCANQ_SUBMIT_H

#include <stdint.h>
#include <jansson.h>

struct store;
struct store_group;

struct submit_input {
	const char *type;
	json_t *targets;		/* borrowed: JSON array of strings */
	const char *ports;		/* NULL: the scanner's default */
	json_t *options;		/* borrowed: extra scanner options, or NULL */
	long long priority;		/* default 0 */
	long long max_attempts;		/* default config.max_attempts */
	long long time_limit_s;		/* default config.hard_time_limit_s */
	const char *idempotency_key;	/* NULL for none */
	json_t *then;			/* borrowed: follow-up stages (workflow.h), or NULL */
	const char *pool;		/* NULL or "local": the server's workers; else a
					 * configured [pool.NAME], whose allow list is the scope */
};

/* Fills the defaults of a submit_input (type and targets stay NULL). */
void submit_input_init(struct submit_input *in);

struct submit_error {
	char code[32];		/* stable: invalid_type, no_targets, invalid_target,
				 * too_many_targets, out_of_scope, excluded,
				 * invalid_ports, invalid_field, store_error */
	char message[256];	/* one line for a person */
};

/*
 * What `scanq submit` and the API call before queueing anything: checks a
 * JSON array of target strings (syntax, the cap of config.max_targets and
 * the scope of the configuration, without resolving names) and, if `ports`
 * is not NULL, the port spec.  Returns 0, or -1 with code ("invalid_target",
 * "no_targets", "too_many_targets", "out_of_scope", "invalid_ports") and a
 * one-line message naming the offending target or spec.
 */
int submit_validate_targets(json_t *targets, const char *ports, char *code, size_t codelen,
			    char *msg, size_t msglen);

/* As submit_validate_targets(), within the scope of `pool` (NULL or
 * "local": [scope]; else [pool.NAME] allow, and [scope] deny).  Also
 * refuses a pool that is not configured: code "invalid_parameter",
 * message `unknown pool "x"`. */
int submit_validate_pool_targets(json_t *targets, const char *ports, const char *pool, char *code,
				 size_t codelen, char *msg, size_t msglen);


/*
 * Validates `in` (everything submit_scan() checks) and gives the normalised
 * targets (JSON array text) and options (JSON object text, keys sorted,
 * "ports" folded in), both malloc'd.  Returns 0, or -1 with *err filled.
 * Scheduled scans store what this returns.
 */
int submit_prepare(const struct submit_input *in, char **targets_text, char **options_text,
		   struct submit_error *err);

/*
 * Validates `in` and queues the scan, through the group committer `g` when
 * it is not NULL (the API: many requests, one transaction), else on `s`.
 * Returns 0 with *id set (*existed = 1 when the idempotency key returned an
 * earlier scan), or -1 with *err filled and nothing written.
 */
int submit_scan(struct store *s, struct store_group *g, const struct submit_input *in,
		int64_t *id, int *existed, struct submit_error *err);

#endif
