/*
 * webpage.c — titles, header lines and UTF-8 out of hostile bytes (see
 * webpage.h).  Nothing here allocates: each result goes into the caller's
 * buffer, and each loop is bounded by the input's length and the cap.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include "webpage.h"

/* The length of a valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t k;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* No overlong form, no surrogate, nothing past U+10FFFF. */
	if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff))
	    || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

size_t webpage_utf8(const char *in, size_t len, char *out, size_t cap)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0;

	if (cap == 0)
		return 0;
	while (i < len) {
		size_t k = utf8_seq(s + i, len - i);

		if (k == 0) {
			if (o + 3 >= cap)
				break;
			memcpy(out + o, "\xef\xbf\xbd", 3);	/* U+FFFD */
			o += 3;
			i++;
			continue;
		}
		if (o + k >= cap)
			break;
		if (k == 1 && (s[i] < 0x20 || s[i] == 0x7f) && s[i] != '\t')
			out[o] = ' ';
		else
			memcpy(out + o, s + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
	return o;
}

/* The first case-insensitive occurrence of the NUL-terminated needle in
 * hay[0..n), or NULL. */
static const char *find_ci(const char *hay, size_t n, const char *needle)
{
	size_t m = strlen(needle);

	for (size_t i = 0; m <= n && i <= n - m; i++)
		if (strncasecmp(hay + i, needle, m) == 0)
			return hay + i;
	return NULL;
}

/* Appends the code point cp as UTF-8 to buf[*o] if it fits in cap - 1. */
static void put_cp(char *buf, size_t *o, size_t cap, uint32_t cp)
{
	unsigned char b[4];
	size_t k;

	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80)
		b[0] = (unsigned char)cp, k = 1;
	else if (cp < 0x800)
		b[0] = (unsigned char)(0xc0 | cp >> 6), b[1] = (unsigned char)(0x80 | (cp & 0x3f)), k = 2;
	else if (cp < 0x10000)
		b[0] = (unsigned char)(0xe0 | cp >> 12), b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f)),
		b[2] = (unsigned char)(0x80 | (cp & 0x3f)), k = 3;
	else
		b[0] = (unsigned char)(0xf0 | cp >> 18), b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f)),
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f)), b[3] = (unsigned char)(0x80 | (cp & 0x3f)), k = 4;
	if (*o + k < cap) {
		memcpy(buf + *o, b, k);
		*o += k;
	}
}

/* Decodes the entity at s[0] == '&' (n bytes left) into buf.  Returns the
 * bytes it used, or 0 when it is not one we know (the '&' stays). */
static size_t entity(const char *s, size_t n, char *buf, size_t *o, size_t cap)
{
	static const struct { const char *name; char c; } named[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&#39;", '\'' },
		{ "&apos;", '\'' }, { "&nbsp;", ' ' },
	};
	uint32_t cp = 0;
	size_t i = 2;
	int hex;

	for (size_t k = 0; k < sizeof named / sizeof named[0]; k++) {
		size_t m = strlen(named[k].name);

		if (n >= m && strncasecmp(s, named[k].name, m) == 0) {
			put_cp(buf, o, cap, (unsigned char)named[k].c);
			return m;
		}
	}
	if (n < 4 || s[1] != '#')
		return 0;
	hex = s[2] == 'x' || s[2] == 'X';
	i += (size_t)hex;
	for (size_t start = i; i < n && i < start + 7; i++) {
		int c = (unsigned char)s[i], d;

		if (isdigit(c))
			d = c - '0';
		else if (hex && isxdigit(c))
			d = tolower(c) - 'a' + 10;
		else
			break;
		cp = cp * (hex ? 16u : 10u) + (uint32_t)d;
	}
	if (i >= n || s[i] != ';' || i == 2u + (size_t)hex)
		return 0;
	put_cp(buf, o, cap, cp);
	return i + 1;
}

int webpage_title(const char *body, size_t len, char *out, size_t cap)
{
	char raw[WEBPAGE_TITLE_MAX * 4];
	const char *t, *gt, *end;
	size_t o = 0, n;

	if (cap == 0)
		return 0;
	out[0] = '\0';
	if (len > WEBPAGE_TITLE_SCAN)
		len = WEBPAGE_TITLE_SCAN;
	/* "<title>" or "<title lang=..>", not "<titlebar>". */
	for (t = body; (t = find_ci(t, len - (size_t)(t - body), "<title")); t += 6)
		if ((size_t)(t - body) + 6 < len && (t[6] == '>' || isspace((unsigned char)t[6])))
			break;
	if (!t)
		return 0;
	gt = memchr(t, '>', len - (size_t)(t - body));
	if (!gt)
		return 0;
	gt++;
	end = find_ci(gt, len - (size_t)(gt - body), "</title");
	n = end ? (size_t)(end - gt) : len - (size_t)(gt - body);
	for (size_t i = 0; i < n && o + 1 < sizeof raw;) {
		unsigned char c = (unsigned char)gt[i];
		size_t used;

		if (c == '&' && (used = entity(gt + i, n - i, raw, &o, sizeof raw)) > 0) {
			i += used;
			continue;
		}
		if (isspace(c) || c < 0x20) {
			if (o > 0 && raw[o - 1] != ' ')
				raw[o++] = ' ';
		} else {
			raw[o++] = (char)c;
		}
		i++;
	}
	while (o > 0 && raw[o - 1] == ' ')
		o--;
	webpage_utf8(raw, o, out, cap);
	return 1;
}

int webpage_header(const char *line, size_t len, char *name, size_t namecap, char *value,
		   size_t valuecap)
{
	const char *colon = memchr(line, ':', len);
	size_t nl, vs, ve;

	if (namecap == 0 || valuecap == 0)
		return 0;
	name[0] = value[0] = '\0';
	if (!colon || colon == line)
		return 0;
	nl = (size_t)(colon - line);
	/* A header name is a token (RFC 9110 5.1): no space, no control. */
	for (size_t i = 0; i < nl; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c <= 0x20 || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c))
			return 0;
	}
	if (nl >= namecap)
		nl = namecap - 1;
	for (size_t i = 0; i < nl; i++)
		name[i] = (char)tolower((unsigned char)line[i]);
	name[nl] = '\0';
	vs = (size_t)(colon - line) + 1;
	ve = len;
	while (vs < ve && (line[vs] == ' ' || line[vs] == '\t'))
		vs++;
	while (ve > vs && isspace((unsigned char)line[ve - 1]))
		ve--;
	webpage_utf8(line + vs, ve - vs, value, valuecap);
	return 1;
}
