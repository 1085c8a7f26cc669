/*
 * uri.c — the control-character check of the raw request target (see
 * uri.h).  One pass over the target, in place: nothing is allocated and
 * nothing is decoded into a copy, so the check costs the same whatever the
 * target holds (libmicrohttpd bounds its length by its read buffer).
 */
#include <stdio.h>
#include <string.h>
#include "api/uri.h"

#define NAME_SHOWN 40	/* bytes of a parameter's name quoted in the reason */

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The byte at s[*i] as libmicrohttpd decodes it: a "%HH" escape that ends
 * before `end`, or the byte itself.  *i moves past it. */
static unsigned char next(const char *s, size_t *i, size_t end)
{
	int hi, lo;

	if (s[*i] == '%' && *i + 2 < end && (hi = hex(s[*i + 1])) >= 0
	    && (lo = hex(s[*i + 2])) >= 0) {
		*i += 3;
		return (unsigned char)(hi << 4 | lo);
	}
	return (unsigned char)s[(*i)++];
}

/* The first control character of s[from, end) once decoded, or -1. */
static int control_in(const char *s, size_t from, size_t end)
{
	for (size_t i = from; i < end;) {
		unsigned char c = next(s, &i, end);

		if (c < 0x20 || c == 0x7f)
			return c;
	}
	return -1;
}

/* s[from, end) decoded into buf for a person: printable ASCII, any other
 * byte '?', at most NAME_SHOWN bytes and then "...". */
static void shown(const char *s, size_t from, size_t end, char *buf, size_t len)
{
	size_t j = 0, n = 0;

	for (size_t i = from; i < end && j + 4 < len; n++) {
		unsigned char c = next(s, &i, end);

		if (n == NAME_SHOWN) {
			memcpy(buf + j, "...", 3);
			j += 3;
			break;
		}
		buf[j++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	buf[j] = '\0';
}

int uri_check(const char *uri, char *why, size_t len)
{
	size_t path_end = strcspn(uri, "?"), i;
	char name[NAME_SHOWN + 8];
	int c;

	if (len)
		why[0] = '\0';
	if ((c = control_in(uri, 0, path_end)) >= 0) {
		snprintf(why, len, "the path holds a control character (%%%02X)", c);
		return -1;
	}
	/* name=value pairs split at '&', each at its first '=' (undecoded:
	 * an escaped '&' or '=' belongs to the name or the value). */
	for (i = uri[path_end] ? path_end + 1 : path_end; uri[i];) {
		size_t amp = i + strcspn(uri + i, "&"), eq = i + strcspn(uri + i, "=&");

		if ((c = control_in(uri, i, amp)) >= 0) {
			shown(uri, i, eq, name, sizeof name);
			snprintf(why, len, "query parameter '%s' holds a control character (%%%02X)",
				 name, c);
			return -1;
		}
		i = uri[amp] ? amp + 1 : amp;
	}
	return 0;
}
