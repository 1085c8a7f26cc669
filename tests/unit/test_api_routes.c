/*
 * test_api_routes.c — the route table of the HTTP API (src/api/routes.h),
 * enumerated: every route is well formed and reachable by its own path,
 * and only health checks and the UI's files are open without a token.
 */
#include "testutil.h"
#include "api/routes.h"

/* A path that the route's pattern matches: {id} -> 7, {file} -> app.js. */
static void sample_path(const char *pattern, char *out, size_t len)
{
	size_t j = 0;

	for (const char *p = pattern; *p && j + 8 < len; p++) {
		if (*p == '{') {
			const char *end = strchr(p, '}');
			const char *v = strncmp(p, "{file}", 6) == 0 ? "app.js" : "7";
			memcpy(out + j, v, strlen(v));
			j += strlen(v);
			p = end;
			continue;
		}
		out[j++] = *p;
	}
	out[j] = '\0';
}

static void test_every_route_is_well_formed_and_unique(void **state)
{
	int n;
	const struct route *t = routes_table(&n);

	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		assert_true(strcmp(t[i].method, "GET") == 0 || strcmp(t[i].method, "POST") == 0
			    || strcmp(t[i].method, "DELETE") == 0);
		assert_true(t[i].pattern[0] == '/');
		assert_non_null(t[i].handler);
		assert_true(t[i].name && *t[i].name);
		for (int k = 0; k < i; k++) {
			if (strcmp(t[i].name, t[k].name) == 0)
				fail_msg("two routes are named %s", t[i].name);
			if (strcmp(t[i].method, t[k].method) == 0
			    && strcmp(t[i].pattern, t[k].pattern) == 0)
				fail_msg("%s %s is in the table twice", t[i].method, t[i].pattern);
		}
	}
}

static void test_each_route_is_found_by_its_own_path(void **state)
{
	char path[256], param[128], allow[64];
	int n;
	const struct route *t = routes_table(&n);

	for (int i = 0; i < n; i++) {
		sample_path(t[i].pattern, path, sizeof path);
		int got = routes_find(t[i].method, path, param, sizeof param, allow, sizeof allow);
		if (got != i)
			fail_msg("%s %s found route %d, not %d", t[i].method, path, got, i);
	}
	assert_int_equal(routes_find("GET", "/nowhere", param, sizeof param, allow, sizeof allow),
			 -1);
	assert_int_equal(routes_find("DELETE", "/api/v1/scans", param, sizeof param, allow,
				     sizeof allow), -2);
	assert_string_equal(allow, "POST, GET");
	/* HEAD is answered as GET. */
	assert_true(routes_find("HEAD", "/healthz", param, sizeof param, allow, sizeof allow) >= 0);
}

/* Only the health checks, the API's own description (for client generators)
 * and the UI's static files need no token: every
 * route under /api/, /metrics and /health/ needs at least a viewer, and
 * every POST at least an operator. */
static void test_only_health_and_ui_are_open(void **state)
{
	int n;
	const struct route *t = routes_table(&n);

	for (int i = 0; i < n; i++) {
		const char *p = t[i].pattern;
		int open_ok = strcmp(p, "/healthz") == 0 || strcmp(p, "/readyz") == 0
			      || strcmp(p, "/api/v1/openapi.json") == 0
			      || (strcmp(t[i].method, "GET") == 0 && strncmp(p, "/api/", 5) != 0
				  && strncmp(p, "/health/", 8) != 0 && strcmp(p, "/metrics") != 0);

		if (t[i].role == AUTH_NONE && !open_ok)
			fail_msg("%s %s is open without a token", t[i].method, p);
		/* The agent role stands apart: agent tokens only, on the agent
		 * endpoints only, and nothing else there. */
		if ((t[i].role == AUTH_AGENT) != (strncmp(p, "/api/v1/agent/", 14) == 0))
			fail_msg("%s %s: the agent role is for /api/v1/agent/ only", t[i].method, p);
		if (strcmp(t[i].method, "POST") == 0 && t[i].role < AUTH_OPERATOR
		    && t[i].role != AUTH_AGENT)
			fail_msg("%s %s writes with less than the operator role", t[i].method, p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_route_is_well_formed_and_unique),
		cmocka_unit_test(test_each_route_is_found_by_its_own_path),
		cmocka_unit_test(test_only_health_and_ui_are_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
