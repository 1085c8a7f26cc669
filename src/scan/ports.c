/*
 * ports.c — port specs into bitmaps and back (see ports.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ports.h"

static void add(struct port_set *s, int port)
{
	if (!ports_has(s, port)) {
		s->bits[port / 8] |= (unsigned char)(1u << (port % 8));
		s->count++;
	}
}

int ports_has(const struct port_set *s, int port)
{
	return port > 0 && port < 65536 && (s->bits[port / 8] >> (port % 8)) & 1;
}

static int port_num(const char *s, size_t len, int *out)
{
	int v = 0;

	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*out = v;
	return 0;
}

int ports_parse(const char *spec, struct port_set *out, char *err, size_t errlen)
{
	const char *p = spec;

	memset(out, 0, sizeof *out);
	if (strlen(spec) > PORTS_SPEC_MAX) {
		snprintf(err, errlen, "port spec is longer than %d bytes", PORTS_SPEC_MAX);
		return -1;
	}
	for (;;) {
		size_t len = strcspn(p, ",");
		const char *dash = memchr(p, '-', len);
		int lo, hi;

		if (len == 1 && *p == '-') {
			lo = 1;
			hi = 65535;
		} else if (len == 6 && strncmp(p, "top100", 6) == 0) {
			for (int i = 0; i < 100; i++)
				add(out, ports_top[i]);
			lo = 1;
			hi = 0;
		} else if (len == 7 && strncmp(p, "top1000", 7) == 0) {
			for (int i = 0; i < PORTS_TOP_MAX; i++)
				add(out, ports_top[i]);
			lo = 1;
			hi = 0;
		} else if (dash) {
			if (port_num(p, (size_t)(dash - p), &lo) < 0
			    || port_num(dash + 1, len - (size_t)(dash - p) - 1, &hi) < 0 || hi < lo)
				goto bad;
		} else if (port_num(p, len, &lo) == 0) {
			hi = lo;
		} else {
			goto bad;
		}
		for (int port = lo; port <= hi; port++)
			add(out, port);
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	if (out->count == 0) {
		snprintf(err, errlen, "no ports in '%.40s'", spec);
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "invalid port spec '%.*s' (use 22,80,443 or 1-1024 or - or top100)",
		 (int)(strcspn(p, ",") > 40 ? 40 : strcspn(p, ",")), p);
	return -1;
}

int ports_next(const struct port_set *s, int after)
{
	for (int port = after + 1; port < 65536; port++) {
		if ((port % 8) == 0 && s->bits[port / 8] == 0) {
			port += 7;
			continue;
		}
		if (ports_has(s, port))
			return port;
	}
	return 0;
}

char *ports_format(const struct port_set *s)
{
	/* Worst case: every other port, up to 6 bytes each. */
	size_t cap = (size_t)s->count * 12 + 1, used = 0;
	char *buf = malloc(cap);
	int port = ports_next(s, 0);

	if (!buf)
		return NULL;
	buf[0] = '\0';
	while (port) {
		int end = port;

		while (end < 65535 && ports_has(s, end + 1))
			end++;
		used += (size_t)snprintf(buf + used, cap - used, used ? ",%d" : "%d", port);
		if (end > port)
			used += (size_t)snprintf(buf + used, cap - used, "-%d", end);
		port = end < 65535 ? ports_next(s, end) : 0;
	}
	return buf;
}
