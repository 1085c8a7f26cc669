/*
 * test_export.c — the export stream (app/export.h) through the store, on
 * a real SQLite file and a real PostgreSQL database (teststore.h): text a
 * scanner could bring (quotes, backslashes, control characters, bytes
 * that are not UTF-8) comes out as valid JSON in every JSON format, and a
 * CSV field holding commas, quotes and line breaks is quoted; the
 * document does not depend on the reader's buffer (1 byte at a time or
 * 64 KiB) nor on the store's pages (2,500 findings, three pages, each
 * once and in order); a scan without findings is a valid empty document.
 */
#include "teststore.h"
#include "app/export.h"

static struct finding odd(int i, const char *title)
{
	struct finding x = { .port = 1000 + i };

	snprintf(x.kind, sizeof x.kind, "open_port");
	snprintf(x.proto, sizeof x.proto, "tcp");
	snprintf(x.severity, sizeof x.severity, "low");
	x.target = strdup("127.0.0.1");
	x.service = strdup("x\"y");
	x.title = strdup(title);
	x.detail = strdup("{\"product\":\"P\",\"banner\":\"a,\\\"b\\\"\\r\\nc\",\"cve\":[\"CVE-2014-3566\"]}");
	return x;
}

static int64_t run_scan(struct testutil_store *f, const struct finding *fs, size_t n)
{
	struct scan_request req = { .type = "portscan", .targets = "[\"127.0.0.1\"]",
				    .options = "{}", .max_attempts = 3, .time_limit_s = 60 };
	struct scan *c = NULL;
	size_t nc = 0;
	int64_t id;
	int existed;

	assert_int_equal(store_submit(f->s, &req, &id, &existed), STORE_OK);
	assert_int_equal(store_claim(f->s, SCAN_POOL_LOCAL, "w", 1, 30000, &c, &nc), STORE_OK);
	assert_int_equal(nc, 1);
	assert_int_equal(store_complete(f->s, id, c[0].attempt, "{}", fs, n), STORE_OK);
	scan_array_free(c, nc);
	return id;
}

/* The whole document, read `chunk` bytes at a time (malloc'd, NUL-ended). */
static char *read_all(struct testutil_store *f, int64_t id, enum export_format fmt, size_t chunk,
		      size_t *len)
{
	struct export *ex = NULL;
	char *doc = NULL, buf[65536];
	size_t n = 0;
	ssize_t got;

	assert_int_equal(export_open(f->s, id, fmt, &ex), STORE_OK);
	while ((got = export_read(ex, buf, chunk)) > 0) {
		doc = realloc(doc, n + (size_t)got + 1);
		assert_non_null(doc);
		memcpy(doc + n, buf, (size_t)got);
		n += (size_t)got;
	}
	assert_int_equal(got, 0);
	export_free(ex);
	if (!doc)
		doc = calloc(1, 1);
	doc[n] = '\0';
	*len = n;
	return doc;
}

static void odd_text_is_valid_json_and_quoted_csv(void **state)
{
	struct testutil_store *f = *state;
	/* PostgreSQL stores only UTF-8: the stray bytes are SQLite's case. */
	struct finding fs[2] = { odd(1, "quote \" backslash \\ tab \t bell \a end"),
				 odd(2, pg_url ? "utf-8 only, and \xc3\xa9 is" : "not utf-8: \xff\xfe, and \xc3\xa9 is") };
	static const enum export_format fmts[] = { EXPORT_SARIF, EXPORT_DEFECTDOJO, EXPORT_JSONL, EXPORT_CSV };
	int64_t id = run_scan(f, fs, 2);

	for (size_t k = 0; k < sizeof fmts / sizeof fmts[0]; k++) {
		size_t len, len1;
		char *big = read_all(f, id, fmts[k], sizeof(char[65536]), &len);
		char *one = read_all(f, id, fmts[k], 1, &len1);
		json_error_t err;

		assert_int_equal(len, len1);
		assert_memory_equal(big, one, len);
		if (fmts[k] == EXPORT_JSONL) {
			char *line = strtok(big, "\n");
			int lines = 0;

			for (; line; line = strtok(NULL, "\n"), lines++) {
				json_t *o = json_loads(line, 0, &err);
				if (!o)
					fail_msg("jsonl line %d: %s: %s", lines, err.text, line);
				assert_int_equal(strlen(json_string_value(json_object_get(o, "fingerprint"))), 32);
				json_decref(o);
			}
			assert_int_equal(lines, 2);
		} else if (fmts[k] == EXPORT_CSV) {
			/* The header, then two rows whose banner field is quoted
			 * with its quotes doubled and its CR LF kept. */
			assert_non_null(strstr(big, "fingerprint,scan_id,"));
			assert_non_null(strstr(big, "\"x\"\"y\""));
			assert_non_null(strstr(big, "\\\"\"b\\\"\"\\r\\nc"));
		} else {
			json_t *o = json_loads(big, 0, &err);
			const char *title;

			if (!o)
				fail_msg("format %zu: %s at %d", k, err.text, err.position);
			if (fmts[k] == EXPORT_SARIF)
				title = json_string_value(json_object_get(json_object_get(json_array_get(
					json_object_get(json_array_get(json_object_get(o, "runs"), 0), "results"), 0),
					"message"), "text"));
			else
				title = json_string_value(json_object_get(json_array_get(
					json_object_get(o, "findings"), 0), "title"));
			assert_string_equal(title, "quote \" backslash \\ tab \t bell \a end");
			json_decref(o);
			/* A byte that is not UTF-8 became U+FFFD; the é stayed. */
			if (!pg_url)
				assert_non_null(strstr(big, "\\ufffd"));
			assert_non_null(strstr(big, "\xc3\xa9"));
		}
		free(big);
		free(one);
	}
	for (size_t i = 0; i < 2; i++)
		finding_release(&fs[i]);
}

static void pages_are_read_once_each_in_order(void **state)
{
	struct testutil_store *f = *state;
	size_t n = 2500, len;
	struct finding *fs = calloc(n, sizeof *fs);
	int64_t id, empty;
	char *doc, *line, want[32];
	size_t lines = 0;

	for (size_t i = 0; i < n; i++) {
		snprintf(want, sizeof want, "t%zu", i);
		fs[i] = odd((int)(i % 60000), want);
	}
	id = run_scan(f, fs, n);
	doc = read_all(f, id, EXPORT_JSONL, 4096, &len);
	for (line = strtok(doc, "\n"); line; line = strtok(NULL, "\n"), lines++) {
		json_t *o = json_loads(line, 0, NULL);

		assert_non_null(o);
		snprintf(want, sizeof want, "t%zu", lines);
		assert_string_equal(json_string_value(json_object_get(o, "title")), want);
		json_decref(o);
	}
	assert_int_equal(lines, n);
	free(doc);
	for (size_t i = 0; i < n; i++)
		finding_release(&fs[i]);
	free(fs);

	/* No findings: the empty documents, still valid. */
	empty = run_scan(f, NULL, 0);
	doc = read_all(f, empty, EXPORT_SARIF, 65536, &len);
	assert_non_null(strstr(doc, "\"results\":[]}]}"));
	{
		json_t *o = json_loads(doc, 0, NULL);

		if (!o)
			fail_msg("empty sarif: %s", doc);
		json_decref(o);
	}
	free(doc);
	doc = read_all(f, empty, EXPORT_CSV, 65536, &len);
	assert_string_equal(doc, "fingerprint,scan_id,finding_id,kind,target,port,proto,service,severity,title,"
			    "check,cve,product,version,created_at,detail,state\r\n");
	free(doc);
	doc = read_all(f, empty, EXPORT_JSONL, 65536, &len);
	assert_int_equal(len, 0);
	free(doc);
}

static void an_unknown_scan_is_not_found(void **state)
{
	struct testutil_store *f = *state;
	struct export *ex = (struct export *)1;
	enum export_format fmt;

	assert_int_equal(export_open(f->s, 424242, EXPORT_CSV, &ex), STORE_NOT_FOUND);
	assert_null(ex);
	assert_int_equal(export_format_parse("xml", &fmt), -1);
	assert_int_equal(export_format_parse(NULL, &fmt), -1);
	assert_int_equal(export_format_parse("defectdojo", &fmt), 0);
	assert_int_equal(fmt, EXPORT_DEFECTDOJO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(odd_text_is_valid_json_and_quoted_csv, setup, teardown),
		cmocka_unit_test_setup_teardown(pages_are_read_once_each_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(an_unknown_scan_is_not_found, setup, teardown),
	};

	return teststore_run("export", tests, sizeof tests / sizeof tests[0]) != 0;
}
