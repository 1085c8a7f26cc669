/*
 * webtech.c — the table of technology patterns and its matcher (see
 * webtech.h).  Patterns are compiled once, when the table is parsed;
 * matching a response runs each pattern against the one part it names,
 * so its cost is bounded by the table's size times the capped parts.
 */
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "webtech.h"

/* The data file inside the binary; the Makefile rebuilds this object when
 * it changes.  The path is relative to the top of the repository, where
 * the compiler runs. */
__asm__(".pushsection .rodata\n"
	".balign 16\n"
	".type webtech_tsv_start, @object\n"
	"webtech_tsv_start:\n"
	".incbin \"src/scan/webtech.tsv\"\n"
	"webtech_tsv_end:\n"
	".byte 0\n"
	".popsection\n");

extern const char webtech_tsv_start[], webtech_tsv_end[];

enum where { W_HEADER, W_COOKIE, W_HTML, W_TITLE, W_FAVICON };

struct line {
	char *name, *category, *header, *pattern;
	enum where where;
	int vgroup;
	regex_t re;		/* compiled unless W_FAVICON */
};

struct webtech_table {
	struct line *lines;
	size_t n;
};

#define FIELD_MAX 512	/* bytes of one field of the file */

void webtech_table_free(struct webtech_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		if (t->lines[i].where != W_FAVICON)
			regfree(&t->lines[i].re);
		free(t->lines[i].name);
		free(t->lines[i].category);
		free(t->lines[i].header);
		free(t->lines[i].pattern);
	}
	free(t->lines);
	free(t);
}

/* Splits one line of the file into its five fields and compiles it into
 * *l.  Returns 0, or -1 with a reason. */
static int parse_line(const char *s, size_t len, struct line *l, char *err, size_t errlen)
{
	char f[5][FIELD_MAX], *end;
	size_t nf = 0, start = 0;
	int rc;

	for (size_t i = 0; i <= len && nf < 5; i++) {
		if (i < len && s[i] != '\t')
			continue;
		if (i - start >= FIELD_MAX || i == start) {
			snprintf(err, errlen, "field %zu is empty or longer than %d bytes", nf + 1, FIELD_MAX - 1);
			return -1;
		}
		memcpy(f[nf], s + start, i - start);
		f[nf++][i - start] = '\0';
		start = i + 1;
	}
	if (nf != 5 || start <= len) {
		snprintf(err, errlen, "a pattern needs 5 tab-separated fields");
		return -1;
	}
	l->vgroup = (int)strtol(f[4], &end, 10);
	if (*end || l->vgroup < 0 || l->vgroup > 9) {
		snprintf(err, errlen, "version group '%.20s' is not 0..9", f[4]);
		return -1;
	}
	if (strncmp(f[2], "header:", 7) == 0 && f[2][7])
		l->where = W_HEADER;
	else if (strcmp(f[2], "cookie") == 0)
		l->where = W_COOKIE;
	else if (strcmp(f[2], "html") == 0)
		l->where = W_HTML;
	else if (strcmp(f[2], "title") == 0)
		l->where = W_TITLE;
	else if (strcmp(f[2], "favicon") == 0)
		l->where = W_FAVICON;
	else {
		snprintf(err, errlen, "'%.60s' is not header:NAME, cookie, html, title or favicon", f[2]);
		return -1;
	}
	if (l->where == W_FAVICON && (strlen(f[3]) != 64 || strspn(f[3], "0123456789abcdef") != 64)) {
		snprintf(err, errlen, "a favicon pattern is a SHA-256 in 64 lower-case hex digits");
		return -1;
	}
	if (l->where != W_FAVICON && (rc = regcomp(&l->re, f[3], REG_EXTENDED | REG_ICASE)) != 0) {
		char why[128];

		regerror(rc, &l->re, why, sizeof why);
		snprintf(err, errlen, "pattern '%.100s': %s", f[3], why);
		return -1;
	}
	if (l->where != W_FAVICON && (size_t)l->vgroup > l->re.re_nsub) {
		regfree(&l->re);
		snprintf(err, errlen, "version group %d but the pattern has %zu", l->vgroup, l->re.re_nsub);
		return -1;
	}
	l->name = strdup(f[0]);
	l->category = strdup(f[1]);
	l->header = strdup(l->where == W_HEADER ? f[2] + 7 : "");
	l->pattern = strdup(f[3]);
	if (l->header)
		for (char *c = l->header; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
	return 0;	/* strings checked by the caller */
}

struct webtech_table *webtech_table_parse(const char *text, size_t len, char *err,
						  size_t errlen)
{
	struct webtech_table *t = calloc(1, sizeof *t);
	size_t pos = 0, lineno = 0;
	char why[300];

	if (!t || !(t->lines = calloc(WEBTECH_LINES_MAX, sizeof *t->lines)))
		goto nomem;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		struct line *l = &t->lines[t->n];

		lineno++;
		if (n > 0 && text[pos + n - 1] == '\r')
			n--;
		if (n == 0 || text[pos] == '#') {
			pos += (nl ? (size_t)(nl - (text + pos)) + 1 : len - pos);
			continue;
		}
		if (t->n == WEBTECH_LINES_MAX) {
			snprintf(err, errlen, "line %zu: more than %d patterns", lineno, WEBTECH_LINES_MAX);
			goto fail;
		}
		if (parse_line(text + pos, n, l, why, sizeof why) < 0) {
			snprintf(err, errlen, "line %zu: %s", lineno, why);
			goto fail;
		}
		t->n++;
		if (!l->name || !l->category || !l->header || !l->pattern)
			goto nomem;
		pos += (nl ? (size_t)(nl - (text + pos)) + 1 : len - pos);
	}
	return t;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	webtech_table_free(t);
	return NULL;
}

static struct webtech_table *builtin;
static char builtin_err[256];

static void builtin_parse(void)
{
	builtin = webtech_table_parse(webtech_tsv_start,
					  (size_t)(webtech_tsv_end - webtech_tsv_start), builtin_err,
					  sizeof builtin_err);
}

const struct webtech_table *webtech_table_builtin(char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, builtin_parse);
	if (!builtin)
		snprintf(err, errlen, "built-in fingerprints: %s", builtin_err);
	return builtin;
}

size_t webtech_table_size(const struct webtech_table *t)
{
	return t ? t->n : 0;
}

const char *webtech_table_name(const struct webtech_table *t, size_t i)
{
	return t && i < t->n ? t->lines[i].name : NULL;
}

/* Runs l's pattern over s[0..len).  Returns 1 on a match, with the version
 * group (if any) copied into version. */
static int run(const struct line *l, const char *s, size_t len, char *version)
{
	regmatch_t m[10];

	m[0].rm_so = 0;
	m[0].rm_eo = (regoff_t)len;
	if (regexec(&l->re, s, 10, m, REG_STARTEND) != 0)
		return 0;
	if (l->vgroup > 0 && m[l->vgroup].rm_so >= 0 && m[l->vgroup].rm_eo > m[l->vgroup].rm_so) {
		size_t n = (size_t)(m[l->vgroup].rm_eo - m[l->vgroup].rm_so);

		if (n >= WEBTECH_VERSION_MAX)
			n = WEBTECH_VERSION_MAX - 1;
		memcpy(version, s + m[l->vgroup].rm_so, n);
		version[n] = '\0';
	}
	return 1;
}

/* 1 if the line matches the response (version filled when it says). */
static int line_matches(const struct line *l, const struct webtech_input *in, char *version)
{
	switch (l->where) {
	case W_HEADER:
	case W_COOKIE:
		for (size_t i = 0; i < in->nheaders; i++) {
			const char *want = l->where == W_COOKIE ? "set-cookie" : l->header;

			if (strcmp(in->headers[i].name, want) == 0
			    && run(l, in->headers[i].value, strlen(in->headers[i].value), version))
				return 1;
		}
		return 0;
	case W_HTML:
		return in->body && run(l, in->body, in->body_len < WEBTECH_HTML_MAX ? in->body_len
				       : WEBTECH_HTML_MAX, version);
	case W_TITLE:
		return in->title && run(l, in->title, strlen(in->title), version);
	case W_FAVICON:
		return in->favicon_sha256 && strcasecmp(in->favicon_sha256, l->pattern) == 0;
	}
	return 0;
}

size_t webtech_match(const struct webtech_table *t, const struct webtech_input *in,
			 struct webtech_match *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; t && i < t->n; i++) {
		const struct line *l = &t->lines[i];
		char version[WEBTECH_VERSION_MAX] = "";
		size_t k;

		if (!line_matches(l, in, version))
			continue;
		for (k = 0; k < n && strcmp(out[k].name, l->name) != 0; k++)
			;
		if (k == n) {
			if (n == max)
				continue;
			out[n].name = l->name;
			out[n].category = l->category;
			out[n].version[0] = '\0';
			n++;
		}
		if (version[0] && !out[k].version[0])
			memcpy(out[k].version, version, sizeof version);
	}
	return n;
}
