/*
 * auth.h — API tokens and roles.
 *
 * A token's secret is "sq_<id>_<64 hex digits>": the id names the row in
 * the `tokens` table, the 32 random bytes (libsodium randombytes) are the
 * secret proper.  Only a keyed BLAKE2b-256 hash of the random part is
 * stored, as hex; a request's token is hashed the same way and compared in
 * constant time (sodium_memcmp).  A slow password hash is not needed: the
 * secret has 256 bits of entropy, so there is nothing to brute-force, and a
 * fast hash keeps the check cheap enough to run on every request.
 *
 * Roles are ordered: viewer (read) < operator (submit, retry, cancel) <
 * admin (tokens, internal error details).  The agent role stands apart:
 * it sorts below viewer, so no `role >= X` test of the other routes lets
 * an agent token through, and it may use the agent endpoints only
 * (/api/v1/agent/, which no other role may use); an agent token names
 * its pool.
 */
#ifndef SCANQ_AUTH_H
#define SCANQ_AUTH_H

#include <stddef.h>
#include <stdint.h>

struct store;

enum auth_role {
	AUTH_NONE = 0,		/* no role: anonymous */
	AUTH_AGENT,		/* a scan agent of one pool: the agent endpoints only */
	AUTH_VIEWER,
	AUTH_OPERATOR,
	AUTH_ADMIN,
};

#define AUTH_SECRET_MAX 128	/* bytes of a secret with its NUL, with room to spare */
#define AUTH_HASH_HEX   65	/* bytes of a stored hash with its NUL */
#define AUTH_NAME_MAX   64	/* longest token name */

/* Results of auth_check(). */
enum auth_rc {
	AUTH_OK = 0,
	AUTH_MISSING = -1,	/* no Authorization header, or not "Bearer" */
	AUTH_INVALID = -2,	/* malformed, unknown or wrong secret */
	AUTH_ERROR = -3,	/* the store failed; say 503, not 401 */
	AUTH_EXPIRED = -4,	/* the right secret of a token revoked or past its expiry */
};

/* The name of a role ("viewer", ...); "none" for AUTH_NONE. */
const char *auth_role_name(enum auth_role r);

/* Parses a role name.  Returns 0 and sets *out, or -1 if unknown. */
int auth_role_parse(const char *name, enum auth_role *out);

/* Initializes libsodium.  Returns 0, or -1 if it cannot be used.
 * Safe to call more than once and from several threads. */
int auth_init(void);

/*
 * Creates a token with `role` and `name` (1..AUTH_NAME_MAX bytes, printable
 * ASCII) and writes its secret into `secret` (at least AUTH_SECRET_MAX
 * bytes); *id gets its id.  The secret exists nowhere else: show it once.
 * Returns 0, or -1 with a one-line reason in err.
 */
int auth_token_create(struct store *s, enum auth_role role, const char *name,
		      char *secret, size_t secretlen, int64_t *id, char *err, size_t errlen);

/* As auth_token_create(), the token expiring at expires_at (ms since the
 * epoch, by the database's clock; 0: never). */
int auth_token_create_exp(struct store *s, enum auth_role role, const char *name,
			  int64_t expires_at, char *secret, size_t secretlen, int64_t *id,
			  char *err, size_t errlen);

/* As auth_token_create_exp(), with the pool of an agent token: required
 * (a configured pool, not "local": the caller checks that) for
 * AUTH_AGENT, refused (must be NULL) for every other role. */
int auth_token_create_pool(struct store *s, enum auth_role role, const char *name,
			   const char *pool, int64_t expires_at, char *secret, size_t secretlen,
			   int64_t *id, char *err, size_t errlen);

/*
 * As auth_check(), and names the token for the audit trail: actor gets
 * "token:NAME" (may be NULL).  A revoked or expired token with the right
 * secret gives AUTH_EXPIRED.
 */
int auth_check_actor(struct store *s, const char *authorization, enum auth_role *role,
		     char *actor, size_t actorlen);

/* As auth_check_actor(), and pool (poollen bytes, may be NULL) gets an
 * agent token's pool ("" for the other roles). */
int auth_check_token(struct store *s, const char *authorization, enum auth_role *role,
		     char *actor, size_t actorlen, char *pool, size_t poollen);

/*
 * Checks an Authorization header value (NULL when absent): "Bearer <secret>".
 * Returns AUTH_OK with *role set, AUTH_MISSING, AUTH_INVALID or AUTH_ERROR.
 */
int auth_check(struct store *s, const char *authorization, enum auth_role *role);

/*
 * Hashes the random part of a secret (hex digits) into hex (AUTH_HASH_HEX
 * bytes).  Exposed for tests.  Returns 0, or -1 if the input is not 64 hex
 * digits.
 */
int auth_hash(const char *random_hex, char *hex, size_t hexlen);

#endif
