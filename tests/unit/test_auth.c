/*
 * test_auth.c — API tokens: a created secret authenticates with its role,
 * only a hash is stored, and malformed, unknown or altered secrets are
 * refused.
 */
#include "testutil.h"
#include "api/auth.h"
#include "core/config.h"
#include "scantype.h"
#include "store/store.h"

struct fx {
	char dir[256];
	char url[512];
	struct store *s;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char err[256];

	testutil_tmpdb(f->dir, sizeof f->dir, f->url, sizeof f->url);
	f->s = store_open(f->url, err, sizeof err);
	if (!f->s)
		fail_msg("store_open: %s", err);
	assert_int_equal(auth_init(), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->s);
	testutil_rmdir(f->dir);
	free(f);
	return 0;
}

static void create(struct fx *f, enum auth_role role, char *secret, int64_t *id)
{
	char err[256];

	assert_int_equal(auth_token_create(f->s, role, "t", secret, AUTH_SECRET_MAX, id, err,
					   sizeof err), 0);
}

static void a_created_token_authenticates_with_its_role(void **state)
{
	struct fx *f = *state;
	char secret[AUTH_SECRET_MAX], hdr[AUTH_SECRET_MAX + 16];
	enum auth_role role = AUTH_NONE;
	int64_t id;

	assert_int_equal(store_token_any(f->s), 0);
	create(f, AUTH_OPERATOR, secret, &id);
	assert_int_equal(store_token_any(f->s), 1);
	assert_int_equal(strncmp(secret, "sq_", 3), 0);
	snprintf(hdr, sizeof hdr, "Bearer %s", secret);
	assert_int_equal(auth_check(f->s, hdr, &role), AUTH_OK);
	assert_int_equal(role, AUTH_OPERATOR);
	snprintf(hdr, sizeof hdr, "bearer   %s", secret);
	assert_int_equal(auth_check(f->s, hdr, &role), AUTH_OK);
}

static void only_a_hash_is_stored(void **state)
{
	struct fx *f = *state;
	char secret[AUTH_SECRET_MAX], role[16], hash[129], want[AUTH_HASH_HEX];
	int64_t id;

	create(f, AUTH_VIEWER, secret, &id);
	assert_int_equal(store_token_get(f->s, id, role, hash), STORE_OK);
	assert_string_equal(role, "viewer");
	assert_int_equal(strlen(hash), AUTH_HASH_HEX - 1);
	assert_null(strstr(secret, hash));
	assert_int_equal(auth_hash(strrchr(secret, '_') + 1, want, sizeof want), 0);
	assert_string_equal(hash, want);
}

static void two_tokens_have_different_secrets(void **state)
{
	struct fx *f = *state;
	char a[AUTH_SECRET_MAX], b[AUTH_SECRET_MAX];
	int64_t ia, ib;

	create(f, AUTH_ADMIN, a, &ia);
	create(f, AUTH_ADMIN, b, &ib);
	assert_int_not_equal(ia, ib);
	assert_string_not_equal(strrchr(a, '_'), strrchr(b, '_'));
}

static void bad_headers_are_missing_or_invalid(void **state)
{
	struct fx *f = *state;
	char secret[AUTH_SECRET_MAX], hdr[AUTH_SECRET_MAX + 16];
	enum auth_role role;
	int64_t id;

	create(f, AUTH_ADMIN, secret, &id);
	assert_int_equal(auth_check(f->s, NULL, &role), AUTH_MISSING);
	assert_int_equal(auth_check(f->s, "", &role), AUTH_MISSING);
	assert_int_equal(auth_check(f->s, "Basic dXNlcjpwYXNz", &role), AUTH_MISSING);
	assert_int_equal(auth_check(f->s, "Bearer ", &role), AUTH_INVALID);
	assert_int_equal(auth_check(f->s, "Bearer sq_1_abc", &role), AUTH_INVALID);
	assert_int_equal(auth_check(f->s, "Bearer sq__0000", &role), AUTH_INVALID);
	assert_int_equal(auth_check(f->s, "Bearer sq_01_" "0000000000000000000000000000000000000000000000000000000000000000",
				    &role), AUTH_INVALID);
	assert_int_equal(auth_check(f->s, "Bearer sq_99999999999999999999_"
				    "0000000000000000000000000000000000000000000000000000000000000000",
				    &role), AUTH_INVALID);
	/* Unknown id. */
	assert_int_equal(auth_check(f->s, "Bearer sq_4242_"
				    "0000000000000000000000000000000000000000000000000000000000000000",
				    &role), AUTH_INVALID);
	/* One digit of the secret changed. */
	snprintf(hdr, sizeof hdr, "Bearer %s", secret);
	char *last = hdr + strlen(hdr) - 1;
	*last = *last == '0' ? '1' : '0';
	assert_int_equal(auth_check(f->s, hdr, &role), AUTH_INVALID);
	/* Upper-case hex is not the same secret. */
	snprintf(hdr, sizeof hdr, "Bearer %s", secret);
	for (char *p = strrchr(hdr, '_'); *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	assert_int_equal(auth_check(f->s, hdr, &role), AUTH_INVALID);
	/* Trailing junk. */
	snprintf(hdr, sizeof hdr, "Bearer %sx", secret);
	assert_int_equal(auth_check(f->s, hdr, &role), AUTH_INVALID);
}

static void roles_parse_and_order(void **state)
{
	enum auth_role r;

	(void)state;
	assert_int_equal(auth_role_parse("viewer", &r), 0);
	assert_int_equal(r, AUTH_VIEWER);
	assert_int_equal(auth_role_parse("admin", &r), 0);
	assert_int_equal(r, AUTH_ADMIN);
	assert_int_equal(auth_role_parse("root", &r), -1);
	assert_int_equal(auth_role_parse("none", &r), -1);
	assert_int_equal(auth_role_parse(NULL, &r), -1);
	assert_true(AUTH_VIEWER < AUTH_OPERATOR && AUTH_OPERATOR < AUTH_ADMIN);
	assert_string_equal(auth_role_name(AUTH_OPERATOR), "operator");
}

static void bad_names_and_roles_create_nothing(void **state)
{
	struct fx *f = *state;
	char secret[AUTH_SECRET_MAX], err[256], longname[AUTH_NAME_MAX + 2];
	int64_t id;

	memset(longname, 'n', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_int_equal(auth_token_create(f->s, AUTH_NONE, "x", secret, sizeof secret, &id, err,
					   sizeof err), -1);
	assert_int_equal(auth_token_create(f->s, AUTH_VIEWER, "", secret, sizeof secret, &id, err,
					   sizeof err), -1);
	assert_int_equal(auth_token_create(f->s, AUTH_VIEWER, "a\nb", secret, sizeof secret, &id,
					   err, sizeof err), -1);
	assert_int_equal(auth_token_create(f->s, AUTH_VIEWER, longname, secret, sizeof secret, &id,
					   err, sizeof err), -1);
	assert_int_equal(store_token_any(f->s), 0);
}

/* An agent token sorts below viewer, names a configured pool other than
 * local, and its check gives the pool back. */
static void an_agent_token_names_its_configured_pool(void **state)
{
	struct fx *f = *state;
	char secret[AUTH_SECRET_MAX], err[256], hdr[160], actor[80], pool[40], path[300];
	enum auth_role role = AUTH_NONE;
	int64_t id;
	FILE *fp;

	snprintf(path, sizeof path, "%s/pools.ini", f->dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs("[pool.dmz]\nallow = 127.0.0.0/8\n", fp);
	fclose(fp);
	scantype_config_checks();
	assert_int_equal(config_load(path, err, sizeof err), 0);
	assert_true(AUTH_AGENT < AUTH_VIEWER);
	assert_int_equal(auth_token_create_pool(f->s, AUTH_AGENT, "a", NULL, 0, secret, sizeof secret,
						&id, err, sizeof err), -1);
	assert_int_equal(auth_token_create_pool(f->s, AUTH_AGENT, "a", "local", 0, secret,
						sizeof secret, &id, err, sizeof err), -1);
	assert_int_equal(auth_token_create_pool(f->s, AUTH_AGENT, "a", "nope", 0, secret,
						sizeof secret, &id, err, sizeof err), -1);
	assert_int_equal(auth_token_create_pool(f->s, AUTH_VIEWER, "a", "dmz", 0, secret,
						sizeof secret, &id, err, sizeof err), -1);
	assert_int_equal(store_token_any(f->s), 0);
	assert_int_equal(auth_token_create_pool(f->s, AUTH_AGENT, "a", "dmz", 0, secret,
						sizeof secret, &id, err, sizeof err), 0);
	snprintf(hdr, sizeof hdr, "Bearer %s", secret);
	assert_int_equal(auth_check_token(f->s, hdr, &role, actor, sizeof actor, pool, sizeof pool),
			 AUTH_OK);
	assert_int_equal(role, AUTH_AGENT);
	assert_string_equal(pool, "dmz");
	assert_string_equal(auth_role_name(role), "agent");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(a_created_token_authenticates_with_its_role, setup, teardown),
		cmocka_unit_test_setup_teardown(only_a_hash_is_stored, setup, teardown),
		cmocka_unit_test_setup_teardown(two_tokens_have_different_secrets, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_headers_are_missing_or_invalid, setup, teardown),
		cmocka_unit_test(roles_parse_and_order),
		cmocka_unit_test_setup_teardown(bad_names_and_roles_create_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(an_agent_token_names_its_configured_pool, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
