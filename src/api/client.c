/*
 * client.c — the client address of a request (see client.h).  The header
 * is outside input: each entry is copied into a bounded buffer and parsed
 * by the targets parser, so nothing is read past its length.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include "api/client.h"
#include "core/config.h"
#include "scope.h"

struct scope *client_trusted_new(char *err, size_t errlen)
{
	struct scope *s = scope_new(NULL, 0, NULL, 0, err, errlen);

	for (int i = 0; s && i < config.ntrusted; i++)
		if (scope_exclude_add(s, config.http_trusted[i], err, errlen) < 0) {
			scope_free(s);
			s = NULL;
		}
	return s;
}

int client_trusted(const struct scope *trusted, targets_u128 addr)
{
	return trusted && scope_nexcluded(trusted) > 0 && scope_excluded_range(trusted, addr, addr);
}

int client_parse_entry(const char *s, size_t len, targets_u128 *out)
{
	char buf[64];
	const char *end;

	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof buf)
		return -1;
	if (*s == '[') {		/* [v6] or [v6]:port */
		end = memchr(s, ']', len);
		if (!end || (end + 1 != s + len && end[1] != ':'))
			return -1;
		s++;
		len = (size_t)(end - s);
	} else if (memchr(s, '.', len) && (end = memchr(s, ':', len))) {
		len = (size_t)(end - s);	/* v4:port */
	}
	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return targets_parse_addr(buf, out);
}

targets_u128 client_from(targets_u128 peer, const char *xff, const struct scope *trusted,
			 int *forwarded)
{
	targets_u128 client = peer, a;
	size_t len;
	const char *end;

	if (forwarded)
		*forwarded = 0;
	if (!xff || !client_trusted(trusted, peer))
		return peer;
	len = strlen(xff);
	if (len > CLIENT_XFF_MAX) {
		xff += len - CLIENT_XFF_MAX;
		len = CLIENT_XFF_MAX;
	}
	end = xff + len;
	while (end > xff) {
		const char *start = end;

		while (start > xff && start[-1] != ',')
			start--;
		if (client_parse_entry(start, (size_t)(end - start), &a) < 0)
			break;		/* the last good hop stands */
		client = a;
		if (forwarded)
			*forwarded = 1;
		if (!client_trusted(trusted, a))
			break;
		end = start > xff ? start - 1 : xff;
	}
	return client;
}

int client_sockaddr(const struct sockaddr *sa, targets_u128 *out)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	struct target_addr a = { 0 };

	if (!sa)
		return -1;
	if (sa->sa_family == AF_INET) {
		a.family = AF_INET;
		memcpy(a.a, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const unsigned char *b = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;

		if (memcmp(b, mapped, sizeof mapped) == 0) {
			a.family = AF_INET;
			memcpy(a.a, b + 12, 4);
		} else {
			a.family = AF_INET6;
			memcpy(a.a, b, 16);
		}
	} else {
		return -1;
	}
	*out = targets_from_addr(&a);
	return 0;
}

char *client_text(targets_u128 v, char *buf, size_t len)
{
	struct target_addr a;

	targets_to_addr(v, &a);
	return targets_addr_str(&a, buf, len);
}

struct joined {
	char buf[CLIENT_XFF_MAX + 1];
	size_t len;
};

/* Appends each X-Forwarded-For value; past the cap the earlier ones give
 * way, since the walk reads from the right. */
static enum MHD_Result join_xff(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	struct joined *j = cls;
	size_t vl;

	(void)kind;
	if (!key || !value || strcasecmp(key, "X-Forwarded-For") != 0)
		return MHD_YES;
	vl = strlen(value);
	if (vl + 2 > CLIENT_XFF_MAX) {
		value += vl + 2 - CLIENT_XFF_MAX;
		vl = CLIENT_XFF_MAX - 2;
	}
	if (j->len && j->len + 2 + vl > CLIENT_XFF_MAX)
		j->len = 0;		/* only the newest header fits */
	if (j->len) {
		memcpy(j->buf + j->len, ", ", 2);
		j->len += 2;
	}
	memcpy(j->buf + j->len, value, vl);
	j->len += vl;
	j->buf[j->len] = '\0';
	return MHD_YES;
}

int client_of(struct MHD_Connection *mc, const struct scope *trusted, targets_u128 *out,
	      int *forwarded)
{
	const union MHD_ConnectionInfo *ai =
		MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	static __thread struct joined j;
	targets_u128 peer;

	*forwarded = 0;
	if (!ai || client_sockaddr(ai->client_addr, &peer) < 0)
		return -1;
	if (!client_trusted(trusted, peer)) {
		*out = peer;
		return 0;
	}
	j.len = 0;
	j.buf[0] = '\0';
	MHD_get_connection_values(mc, MHD_HEADER_KIND, join_xff, &j);
	*out = client_from(peer, j.len ? j.buf : NULL, trusted, forwarded);
	return 0;
}
