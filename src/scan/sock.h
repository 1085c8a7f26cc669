/*
 * sock.h — TCP connections with a deadline, for the scanners that talk to
 * a service after the port scan (tls.c, tls_flight.c, detect.c).  Every
 * connect, read and write of a blocking socket gives up after the timeout
 * it was opened with, so no silent service can hold a scanner thread longer
 * than that; a started (non-blocking) one is for a poll loop that keeps its
 * own deadline.
 */
#ifndef SCANQ_SOCK_H
#define SCANQ_SOCK_H

#include <stddef.h>
#include <sys/types.h>
#include "targets.h"

/*
 * Connects to addr:port within timeout_ms; the socket is then blocking with
 * timeout_ms on every read and write, and closes with a reset (no
 * TIME_WAIT).  Returns the fd (close() it), or -1 when the port refused,
 * did not answer in time, or no socket could be had.
 */
int sock_dial(const struct target_addr *addr, int port, int timeout_ms);

/*
 * Starts a connect to addr:port and returns at once: the socket stays
 * non-blocking, and the connect is done when it polls writable with no
 * SO_ERROR.  It closes with a reset, as sock_dial()'s do.  Returns the fd
 * (close() it), or -1 when the connect failed at once or no socket could
 * be had.
 */
int sock_dial_start(const struct target_addr *addr, int port);

/* Writes all len bytes.  Returns 0, or -1 on error or timeout. */
int sock_send_all(int fd, const void *buf, size_t len);

/*
 * Reads into buf until `enough` says the bytes so far are complete (it
 * returns non-zero), cap bytes have arrived, the peer hangs up or
 * timeout_ms passes.  `enough` may be NULL (read until one of the others).
 * Returns the bytes read (0: nothing came), with *silent = 1 when nothing
 * came because of the timeout.
 */
size_t sock_read(int fd, char *buf, size_t cap, int timeout_ms,
		 int (*enough)(const char *buf, size_t len), int *silent);

#endif
