/*
 * webtech.h — technology fingerprints of a web response: which server,
 * framework, application or appliance answered, from a table of patterns
 * on headers, cookies, the HTML, the title and the favicon's hash.
 *
 * The table is a data file, src/scan/webtech.tsv, built into the
 * binary (webtech.c, .incbin), so the lean scanner needs no path.  One
 * line a pattern, tab-separated:
 *
 *   NAME  CATEGORY  WHERE  PATTERN  VERSION-GROUP
 *
 * WHERE is header:NAME (that header's value), cookie (each Set-Cookie
 * value), html (the first WEBTECH_HTML_MAX bytes of the body), title,
 * or favicon (the favicon's SHA-256 in hex, compared whole).  PATTERN is a
 * POSIX extended regular expression matched without regard to case;
 * VERSION-GROUP is the number of its group that holds a version, or 0.
 * A technology may have several lines; one match names it.
 * tests/unit/webtech_cases.tsv holds a test case for every name.
 */
#ifndef SCANQ_WEBTECH_H
#define SCANQ_WEBTECH_H

#include <stddef.h>

#define WEBTECH_LINES_MAX 1024	/* patterns in a table */
#define WEBTECH_HTML_MAX (256 * 1024)	/* bytes of a body matched */
#define WEBTECH_MATCHES_MAX 32	/* technologies named per response */
#define WEBTECH_VERSION_MAX 32

struct webtech_table;

/* One response header, both strings NUL-terminated; name in lower case. */
struct webtech_header {
	const char *name;
	const char *value;
};

/* What a response offers to match; any part may be empty (NULL / 0). */
struct webtech_input {
	const struct webtech_header *headers;
	size_t nheaders;
	const char *body;		/* body[body_len] must be '\0' (it may hold others) */
	size_t body_len;
	const char *title;		/* NUL-terminated */
	const char *favicon_sha256;	/* 64 hex digits, or NULL */
};

/* One technology found; name and category are the table's strings. */
struct webtech_match {
	const char *name;
	const char *category;
	char version[WEBTECH_VERSION_MAX];	/* "" when unknown */
};

/*
 * Parses a table from text (len bytes; '#' lines and blank lines are
 * skipped).  Returns a new table (free with webtech_table_free()), or
 * NULL with "line N: reason" in err.
 */
struct webtech_table *webtech_table_parse(const char *text, size_t len, char *err,
						  size_t errlen);

/* The built-in table, parsed on first use and kept for the process's life
 * (not to be freed).  NULL with a reason in err if it does not parse. */
const struct webtech_table *webtech_table_builtin(char *err, size_t errlen);

/* Frees a table; NULL is a no-op. */
void webtech_table_free(struct webtech_table *t);

/* Patterns in the table, and the NAME of the i-th. */
size_t webtech_table_size(const struct webtech_table *t);
const char *webtech_table_name(const struct webtech_table *t, size_t i);

/*
 * Matches a response: fills out[0..max) with the technologies found, each
 * once, in table order.  Returns how many.
 */
size_t webtech_match(const struct webtech_table *t, const struct webtech_input *in,
			 struct webtech_match *out, size_t max);

#endif
