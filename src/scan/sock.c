/*
 * sock.c — connections with a deadline (see sock.h).  The connect is
 * non-blocking and polled; afterwards SO_RCVTIMEO / SO_SNDTIMEO bound
 * every call, and sock_read() also keeps an overall deadline so a server
 * that trickles one byte at a time cannot stretch it.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "core/clock.h"
#include "sock.h"

int sock_dial_start(const struct target_addr *addr, int port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t slen;
	struct linger lg = { 1, 0 };
	int fd;

	if (addr->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		memcpy(&sin->sin_addr, addr->a, 4);
		slen = sizeof *sin;
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		memcpy(&sin6->sin6_addr, addr->a, 16);
		slen = sizeof *sin6;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	if (connect(fd, (struct sockaddr *)&ss, slen) < 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

int sock_dial(const struct target_addr *addr, int port, int timeout_ms)
{
	socklen_t elen = sizeof(int);
	struct pollfd pfd;
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	int fd = sock_dial_start(addr, port), err = 0;

	if (fd < 0)
		return -1;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err)
		goto fail;
	if (fcntl(fd, F_SETFL, 0) < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	return fd;
fail:
	close(fd);
	return -1;
}

int sock_send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

size_t sock_read(int fd, char *buf, size_t cap, int timeout_ms,
		 int (*enough)(const char *buf, size_t len), int *silent)
{
	double deadline = clock_mono_s() + timeout_ms / 1000.0;
	size_t len = 0;

	*silent = 0;
	while (len < cap) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int left = (int)((deadline - clock_mono_s()) * 1000);
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, left) == 0) {
			*silent = len == 0;
			break;
		}
		n = recv(fd, buf + len, cap - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (enough && enough(buf, len))
			break;
	}
	return len;
}
