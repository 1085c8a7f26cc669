/*
 * fuzz_webpage.c — libFuzzer target for what the http scanner reads out of
 * a response (webpage.c) and for the technology matcher (webtech.c,
 * the built-in table): the first byte picks the title, a header line,
 * UTF-8 cleaning or the matcher (the rest as body, as a Server and a
 * Set-Cookie value and as a title).  Checked: no crash or out-of-bounds
 * read (the input is an exact-size copy, NUL-terminated only for the
 * matcher, whose contract asks it), every result ends within its
 * buffer and is valid UTF-8 where the contract says so.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "webtech.h"
#include "webpage.h"

static void terminated(const char *s, size_t cap)
{
	if (!memchr(s, '\0', cap))
		abort();
}

/* webpage_utf8() of valid UTF-8 gives it back unchanged (no control
 * characters in it): a check that the output is valid. */
static void valid(const char *s)
{
	char again[4 * WEBPAGE_TITLE_MAX];
	size_t n = strlen(s);

	if (n >= sizeof again)
		return;
	webpage_utf8(s, n, again, sizeof again);
	if (strcmp(again, s) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char title[WEBPAGE_TITLE_MAX], name[64], value[256], out[512], err[300];
	const struct webtech_table *t = webtech_table_builtin(err, sizeof err);
	char *copy;

	if (size < 1 || !t)
		return 0;
	copy = malloc(size);	/* size - 1 bytes and the NUL webtech_match() wants */
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0:
		webpage_title(copy, size - 1, title, sizeof title);
		terminated(title, sizeof title);
		valid(title);
		break;
	case 1:
		if (webpage_header(copy, size - 1, name, sizeof name, value, sizeof value)) {
			terminated(name, sizeof name);
			terminated(value, sizeof value);
		}
		break;
	case 2:
		if (webpage_utf8(copy, size - 1, out, sizeof out) >= sizeof out)
			abort();
		terminated(out, sizeof out);
		break;
	default: {
		struct webtech_match m[WEBTECH_MATCHES_MAX];
		char v[256];
		struct webtech_header h[2] = { { "server", v }, { "set-cookie", v } };
		struct webtech_input in = { .headers = h, .nheaders = 2, .body = copy, .body_len = size - 1,
						.title = v };
		size_t n;

		webpage_utf8(copy, size - 1, v, sizeof v);
		n = webtech_match(t, &in, m, WEBTECH_MATCHES_MAX);
		if (n > WEBTECH_MATCHES_MAX)
			abort();
		for (size_t i = 0; i < n; i++)
			terminated(m[i].version, sizeof m[i].version);
	}
	}
	free(copy);
	return 0;
}
