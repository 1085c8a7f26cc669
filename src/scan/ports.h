/*
 * ports.h — port specs: "22,80,443", "1-1024", "-" (all of 1-65535),
 * "top100" / "top1000" (the most often open TCP ports, ports_top.c), or a
 * comma list mixing these ("top100,8000-8100").  A set is a fixed 8 KiB
 * bitmap, so no spec can cost more memory than that.
 */
#ifndef SCANQ_PORTS_H
#define SCANQ_PORTS_H

#include <stddef.h>

#define PORTS_SPEC_MAX 4096	/* longest spec accepted */
#define PORTS_TOP_MAX  1000
#define PORTS_DEFAULT  "top1000"	/* what a scan without --ports scans */

struct port_set {
	unsigned char bits[65536 / 8];
	int count;			/* ports in the set */
};

/* The top ports, most frequently open first. */
extern const unsigned short ports_top[PORTS_TOP_MAX];

/*
 * Parses a spec into *out (replacing its contents).  Returns 0, or -1 with
 * a one-line reason naming the bad part in err; an empty set is an error.
 */
int ports_parse(const char *spec, struct port_set *out, char *err, size_t errlen);

/* 1 if port is in the set. */
int ports_has(const struct port_set *s, int port);

/* The smallest port in the set greater than `after` (0 to start), or 0
 * when there is none. */
int ports_next(const struct port_set *s, int after);

/*
 * Formats the set as a compact spec ("22,80,8000-8100").  Returns a new
 * string (free()), or NULL without memory.
 */
char *ports_format(const struct port_set *s);

#endif
