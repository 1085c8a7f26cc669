/*
 * auth.c — API tokens: creation, hashing and the per-request check (see
 * auth.h).  Secrets never reach the database or the logs; the only thing
 * stored is a keyed BLAKE2b-256 of the random part, and checks compare the
 * hashes in constant time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sodium.h>
#include "api/auth.h"
#include "core/config.h"
#include "store/store.h"

#define RANDOM_BYTES 32
#define RANDOM_HEX   (RANDOM_BYTES * 2)
#define ID_DIGITS    19	/* an int64 id */

/* The hash key separates scanq token hashes from any other BLAKE2b use of
 * the same bytes; it is not a secret (the secret is the token). */
static const unsigned char hash_key[crypto_generichash_KEYBYTES] =
	"scanq api token hash, version 1";

static const char *const role_names[] = {
	[AUTH_NONE] = "none",
	[AUTH_AGENT] = "agent",
	[AUTH_VIEWER] = "viewer",
	[AUTH_OPERATOR] = "operator",
	[AUTH_ADMIN] = "admin",
};

const char *auth_role_name(enum auth_role r)
{
	if ((int)r < AUTH_NONE || r > AUTH_ADMIN)
		return "none";
	return role_names[r];
}

int auth_role_parse(const char *name, enum auth_role *out)
{
	for (int r = AUTH_AGENT; r <= AUTH_ADMIN; r++) {
		if (name && strcmp(name, role_names[r]) == 0) {
			*out = (enum auth_role)r;
			return 0;
		}
	}
	return -1;
}

int auth_init(void)
{
	/* sodium_init() is thread-safe and returns 1 when already done. */
	return sodium_init() < 0 ? -1 : 0;
}

static int is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return 0;
	}
	return 1;
}

int auth_hash(const char *random_hex, char *hex, size_t hexlen)
{
	unsigned char h[crypto_generichash_BYTES];

	if (!random_hex || strlen(random_hex) != RANDOM_HEX || !is_hex(random_hex, RANDOM_HEX)
	    || hexlen < AUTH_HASH_HEX)
		return -1;
	if (crypto_generichash(h, sizeof h, (const unsigned char *)random_hex, RANDOM_HEX,
			       hash_key, sizeof hash_key) != 0)
		return -1;
	sodium_bin2hex(hex, hexlen, h, sizeof h);
	return 0;
}

static int name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n < 1 || n > AUTH_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (name[i] < 0x20 || name[i] > 0x7e)
			return 0;
	return 1;
}

int auth_token_create(struct store *s, enum auth_role role, const char *name,
		      char *secret, size_t secretlen, int64_t *id, char *err, size_t errlen)
{
	return auth_token_create_exp(s, role, name, 0, secret, secretlen, id, err, errlen);
}

int auth_token_create_exp(struct store *s, enum auth_role role, const char *name,
			  int64_t expires_at, char *secret, size_t secretlen, int64_t *id,
			  char *err, size_t errlen)
{
	return auth_token_create_pool(s, role, name, NULL, expires_at, secret, secretlen, id, err,
				      errlen);
}

int auth_token_create_pool(struct store *s, enum auth_role role, const char *name,
			   const char *pool, int64_t expires_at, char *secret, size_t secretlen,
			   int64_t *id, char *err, size_t errlen)
{
	unsigned char rnd[RANDOM_BYTES];
	char rhex[RANDOM_HEX + 1], hash[AUTH_HASH_HEX];
	int rc = -1;

	if (role < AUTH_AGENT || role > AUTH_ADMIN) {
		snprintf(err, errlen, "role must be viewer, operator, admin or agent");
		return -1;
	}
	if (role == AUTH_AGENT && (!pool || !*pool)) {
		snprintf(err, errlen, "an agent token needs a pool (--pool NAME)");
		return -1;
	}
	if (role != AUTH_AGENT && pool) {
		snprintf(err, errlen, "only an agent token has a pool");
		return -1;
	}
	if (pool && !config_pool(pool)) {
		snprintf(err, errlen, "unknown pool \"%.40s\" (an agent's pool needs a [pool.NAME] "
			 "section; pool local is the server's own workers)", pool);
		return -1;
	}
	if (!name_valid(name)) {
		snprintf(err, errlen, "token name must be 1 to %d printable characters",
			 AUTH_NAME_MAX);
		return -1;
	}
	if (secretlen < AUTH_SECRET_MAX || auth_init() < 0) {
		snprintf(err, errlen, "cannot create a token: no random source");
		return -1;
	}
	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2hex(rhex, sizeof rhex, rnd, sizeof rnd);
	if (auth_hash(rhex, hash, sizeof hash) < 0) {
		snprintf(err, errlen, "cannot hash the token");
		goto out;
	}
	if (store_token_create_exp(s, name, role_names[role], pool, hash, expires_at, id)
	    != STORE_OK) {
		snprintf(err, errlen, "cannot store the token: %s", store_error(s));
		goto out;
	}
	snprintf(secret, secretlen, "sq_%lld_%s", (long long)*id, rhex);
	rc = 0;
out:
	sodium_memzero(rnd, sizeof rnd);
	sodium_memzero(rhex, sizeof rhex);
	return rc;
}

/* Splits "sq_<id>_<hex>" into id and the hex part.  Returns 0 or -1. */
static int parse_secret(const char *sec, int64_t *id, const char **rhex)
{
	const char *p = sec + 3, *us;
	size_t digits;
	int64_t v = 0;

	if (strncmp(sec, "sq_", 3) != 0 || !(us = strchr(p, '_')))
		return -1;
	digits = (size_t)(us - p);
	if (digits < 1 || digits > ID_DIGITS - 1 || *p == '0')
		return -1;	/* 18 digits: no overflow possible below */
	for (; p < us; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (strlen(us + 1) != RANDOM_HEX || !is_hex(us + 1, RANDOM_HEX))
		return -1;
	*id = v;
	*rhex = us + 1;
	return 0;
}

int auth_check(struct store *s, const char *authorization, enum auth_role *role)
{
	return auth_check_actor(s, authorization, role, NULL, 0);
}

int auth_check_actor(struct store *s, const char *authorization, enum auth_role *role,
		     char *actor, size_t actorlen)
{
	return auth_check_token(s, authorization, role, actor, actorlen, NULL, 0);
}

int auth_check_token(struct store *s, const char *authorization, enum auth_role *role,
		     char *actor, size_t actorlen, char *pool, size_t poollen)
{
	char want[AUTH_HASH_HEX], stored_role[16] = "", stored[129] = "", name[65] = "";
	char stored_pool[40] = "";
	const char *sec, *rhex;
	int64_t id;
	int rc;

	if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
		return AUTH_MISSING;
	sec = authorization + 7;
	while (*sec == ' ')
		sec++;
	if (strlen(sec) >= AUTH_SECRET_MAX || parse_secret(sec, &id, &rhex) < 0)
		return AUTH_INVALID;
	rc = store_token_lookup(s, id, stored_role, stored, name, stored_pool);
	if (rc == STORE_NOT_FOUND)
		return AUTH_INVALID;
	if (rc != STORE_OK && rc != STORE_ILLEGAL)
		return AUTH_ERROR;
	if (auth_hash(rhex, want, sizeof want) < 0 || strlen(stored) != AUTH_HASH_HEX - 1
	    || sodium_memcmp(want, stored, AUTH_HASH_HEX - 1) != 0)
		return AUTH_INVALID;
	if (rc == STORE_ILLEGAL)
		return AUTH_EXPIRED;	/* the secret was right: say why it no longer works */
	if (auth_role_parse(stored_role, role) < 0)
		return AUTH_INVALID;
	if (actor && actorlen)
		snprintf(actor, actorlen, "token:%s", name);
	if (pool && poollen)
		snprintf(pool, poollen, "%s", *role == AUTH_AGENT ? stored_pool : "");
	return AUTH_OK;
}
