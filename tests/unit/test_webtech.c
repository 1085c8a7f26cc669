/*
 * test_webtech.c — the http scanner's readers of hostile bytes: titles,
 * header lines and UTF-8 (webpage.c), and the technology table
 * (webtech.c): every pattern line of src/scan/webtech.tsv is
 * matched by a case of tests/unit/webtech_cases.tsv, with the version
 * the case names, and a bad table is refused with its line.  (The scanner
 * runs against live servers in tests/integration/scan_http.sh.)
 */
#include <ctype.h>
#include "testutil.h"
#include "webtech.h"
#include "webpage.h"

#define TABLE "src/scan/webtech.tsv"
#define CASES "tests/unit/webtech_cases.tsv"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 1 << 20);

	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	return buf;
}

/* Splits a tab-separated line in place; returns the number of fields. */
static int fields(char *line, char **f, int max)
{
	int n = 0;

	while (n < max) {
		f[n++] = line;
		line = strchr(line, '\t');
		if (!line)
			break;
		*line++ = '\0';
	}
	return n;
}

/* Runs one case (where, sample) against a table; returns the match of
 * `name`, or NULL. */
static const struct webtech_match *run_case(const struct webtech_table *t, const char *where,
						const char *sample, const char *name,
						struct webtech_match *m)
{
	struct webtech_header h = { 0 };
	struct webtech_input in = { 0 };
	char hname[64];
	size_t n;

	if (strncmp(where, "header:", 7) == 0 || strcmp(where, "cookie") == 0) {
		snprintf(hname, sizeof hname, "%s", where[0] == 'c' ? "set-cookie" : where + 7);
		for (char *c = hname; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		h.name = hname;
		h.value = sample;
		in.headers = &h;
		in.nheaders = 1;
	} else if (strcmp(where, "html") == 0) {
		in.body = sample;
		in.body_len = strlen(sample);
	} else if (strcmp(where, "title") == 0) {
		in.title = sample;
	} else {
		in.favicon_sha256 = sample;
	}
	n = webtech_match(t, &in, m, WEBTECH_MATCHES_MAX);
	for (size_t i = 0; i < n; i++)
		if (strcmp(m[i].name, name) == 0)
			return &m[i];
	return NULL;
}

static void every_pattern_line_has_a_matching_case(void **state)
{
	size_t tlen, clen, lines = 0;
	char *table = slurp(TABLE, &tlen), *cases = slurp(CASES, &clen), *save = NULL;
	char err[300];

	for (char *line = strtok_r(table, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct webtech_table *one;
		char *f[5], copy[2048], *csave = NULL, *cases_copy;
		int matched = 0;

		if (line[0] == '#')
			continue;
		lines++;
		one = webtech_table_parse(line, strlen(line), err, sizeof err);
		if (!one)
			fail_msg("%s: %s", line, err);
		snprintf(copy, sizeof copy, "%s", line);
		assert_int_equal(fields(copy, f, 5), 5);
		cases_copy = strdup(cases);
		for (char *c = strtok_r(cases_copy, "\n", &csave); c && !matched; c = strtok_r(NULL, "\n", &csave)) {
			struct webtech_match m[WEBTECH_MATCHES_MAX];
			const struct webtech_match *hit;
			char *cf[4];

			if (c[0] == '#' || fields(c, cf, 4) != 4 || strcmp(cf[0], f[0]) != 0 || strcmp(cf[1], f[2]) != 0)
				continue;
			hit = run_case(one, cf[1], cf[2], cf[0], m);
			if (!hit)
				continue;
			/* A pattern with a version group reads the case's version. */
			if (strcmp(f[4], "0") != 0 && strcmp(cf[3], "-") != 0)
				assert_string_equal(hit->version, cf[3]);
			matched = 1;
		}
		free(cases_copy);
		if (!matched)
			fail_msg("no case in %s matches the pattern line: %s", CASES, line);
		webtech_table_free(one);
	}
	assert_true(lines >= 40);
	free(table);
	free(cases);
}

static void every_case_names_its_technology_with_the_builtin_table(void **state)
{
	char err[300], *save = NULL;
	const struct webtech_table *t = webtech_table_builtin(err, sizeof err);
	size_t clen, ncases = 0;
	char *cases = slurp(CASES, &clen);

	assert_non_null(t);
	for (char *c = strtok_r(cases, "\n", &save); c; c = strtok_r(NULL, "\n", &save)) {
		struct webtech_match m[WEBTECH_MATCHES_MAX];
		const struct webtech_match *hit;
		char *cf[4];

		if (c[0] == '#')
			continue;
		assert_int_equal(fields(c, cf, 4), 4);
		hit = run_case(t, cf[1], cf[2], cf[0], m);
		if (!hit)
			fail_msg("case of %s (%s) not named by the built-in table", cf[0], cf[1]);
		if (strcmp(cf[3], "-") != 0)
			assert_string_equal(hit->version, cf[3]);
		ncases++;
	}
	assert_true(ncases >= webtech_table_size(t));
	free(cases);
}

static void a_plain_page_names_nothing(void **state)
{
	char err[300];
	const struct webtech_table *t = webtech_table_builtin(err, sizeof err);
	struct webtech_header h[] = { { "server", "scanq-test" }, { "content-type", "text/html" } };
	const char *body = "<html><head><title>Hello</title></head><body>plain</body></html>";
	struct webtech_input in = { .headers = h, .nheaders = 2, .body = body, .body_len = strlen(body),
					.title = "Hello" };
	struct webtech_match m[WEBTECH_MATCHES_MAX];

	assert_int_equal(webtech_match(t, &in, m, WEBTECH_MATCHES_MAX), 0);
}

static void a_bad_table_is_refused_with_its_line(void **state)
{
	char err[300];

	assert_null(webtech_table_parse("# c\nx\tserver\theader:server\t(\t0\n", 33, err, sizeof err));
	assert_non_null(strstr(err, "line 2:"));
	assert_null(webtech_table_parse("x\tserver\tbody\tfoo\t0\n", 20, err, sizeof err));
	assert_non_null(strstr(err, "is not header:NAME"));
	assert_null(webtech_table_parse("x\tserver\ttitle\tfoo\t1\n", 21, err, sizeof err));
	assert_non_null(strstr(err, "version group 1"));
	assert_null(webtech_table_parse("x\tserver\tfavicon\tabc\t0\n", 23, err, sizeof err));
	assert_null(webtech_table_parse("x\tserver\ttitle\n", 15, err, sizeof err));
	assert_non_null(strstr(err, "5 tab-separated"));
}

static void titles_are_decoded_collapsed_and_bounded(void **state)
{
	char t[WEBPAGE_TITLE_MAX], big[8000];
	const char *p = "<html><TITLE lang=en>\n  Dashboard &amp; more\t[Jenkins] &#x263A;&#65; </title>";

	assert_int_equal(webpage_title(p, strlen(p), t, sizeof t), 1);
	assert_string_equal(t, "Dashboard & more [Jenkins] \xe2\x98\xba" "A");
	assert_int_equal(webpage_title("<titlebar>x</titlebar>", 22, t, sizeof t), 0);
	assert_string_equal(t, "");
	assert_int_equal(webpage_title("<title>open ended", 17, t, sizeof t), 1);
	assert_string_equal(t, "open ended");
	memset(big, 'a', sizeof big);
	memcpy(big, "<title>", 7);
	assert_int_equal(webpage_title(big, sizeof big, t, sizeof t), 1);
	assert_true(strlen(t) < WEBPAGE_TITLE_MAX);
	/* Invalid UTF-8 becomes U+FFFD, an entity of a surrogate too. */
	assert_int_equal(webpage_title("<title>a\xff\xc3(&#xD800;</title>", 26, t, sizeof t), 1);
	assert_string_equal(t, "a\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd");
}

static void utf8_cleaning_keeps_valid_text_and_replaces_the_rest(void **state)
{
	char o[16];

	assert_int_equal(webpage_utf8("h\xc3\xa9llo", 6, o, sizeof o), 6);
	assert_string_equal(o, "h\xc3\xa9llo");
	webpage_utf8("\xe0\x80\xaf\x00x", 5, o, sizeof o);	/* overlong, NUL */
	assert_string_equal(o, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd x");
	/* A sequence that does not fit is left out whole. */
	assert_int_equal(webpage_utf8("abc\xe2\x98\xba", 6, o, 5), 3);
}

static void header_lines_split_into_name_and_value(void **state)
{
	char n[64], v[32];

	assert_int_equal(webpage_header("Server:  nginx/1.22 \r\n", 22, n, sizeof n, v, sizeof v), 1);
	assert_string_equal(n, "server");
	assert_string_equal(v, "nginx/1.22");
	assert_int_equal(webpage_header("HTTP/1.1 200 OK\r\n", 17, n, sizeof n, v, sizeof v), 0);
	assert_int_equal(webpage_header("\r\n", 2, n, sizeof n, v, sizeof v), 0);
	assert_int_equal(webpage_header("bad name: x\r\n", 13, n, sizeof n, v, sizeof v), 0);
	assert_int_equal(webpage_header("X-Long: 0123456789012345678901234567890123456789\r\n", 50, n, sizeof n,
					v, sizeof v), 1);
	assert_int_equal(strlen(v), sizeof v - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_pattern_line_has_a_matching_case),
		cmocka_unit_test(every_case_names_its_technology_with_the_builtin_table),
		cmocka_unit_test(a_plain_page_names_nothing),
		cmocka_unit_test(a_bad_table_is_refused_with_its_line),
		cmocka_unit_test(titles_are_decoded_collapsed_and_bounded),
		cmocka_unit_test(utf8_cleaning_keeps_valid_text_and_replaces_the_rest),
		cmocka_unit_test(header_lines_split_into_name_and_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
