/*
 * spool.h — an agent's results on disk until the server has them.
 *
 * One file per result, named by its scan and attempt, holding the call to
 * make (endpoint and body).  spool_put() writes it to a temporary name,
 * fsyncs it, renames it into place and fsyncs the folder, so after a
 * crash a result is either wholly there or not there; spool_done()
 * removes it once the server has answered for it.  The folder is created
 * (0700) if missing; one agent at a time uses it (a lock file says so).
 */
#ifndef SCANQ_WORKER_SPOOL_H
#define SCANQ_WORKER_SPOOL_H

#include <stddef.h>
#include <stdint.h>

struct spool;

/* Opens (creating) the folder and takes its lock.  NULL with a reason. */
struct spool *spool_open(const char *dir, char *err, size_t errlen);
void spool_close(struct spool *sp);

/* Writes the result of (id, attempt): `endpoint` ("complete", "fail") and
 * its body (JSON text).  Returns 0, or -1 with errno (a full disk). */
int spool_put(struct spool *sp, int64_t id, int attempt, const char *endpoint,
	      const char *body);

/* Removes the result of (id, attempt); a missing one is not an error. */
void spool_done(struct spool *sp, int64_t id, int attempt);

/* Calls fn for each result in the spool, oldest name first; fn returns 0
 * to go on, -1 to stop.  Returns the number of results seen. */
int spool_each(struct spool *sp, int (*fn)(void *arg, int64_t id, int attempt,
					    const char *endpoint, const char *body),
	       void *arg);

#endif
