/*
 * spool.c — an agent's results on disk until the server has them (see
 * spool.h).  A file is `ID-ATTEMPT.json`: {"endpoint": ..., "body": ...}.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include "worker/spool.h"

struct spool {
	char dir[4096];
	int dirfd;
	int lockfd;
};

struct spool *spool_open(const char *dir, char *err, size_t errlen)
{
	struct spool *sp = calloc(1, sizeof *sp);
	char lock[4200];

	if (!sp) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	sp->dirfd = sp->lockfd = -1;
	if (strlen(dir) >= sizeof sp->dir - 64) {
		snprintf(err, errlen, "spool path too long");
		goto fail;
	}
	snprintf(sp->dir, sizeof sp->dir, "%s", dir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create the spool %s: %s", dir, strerror(errno));
		goto fail;
	}
	sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dirfd < 0) {
		snprintf(err, errlen, "cannot open the spool %s: %s", dir, strerror(errno));
		goto fail;
	}
	snprintf(lock, sizeof lock, "%s/.lock", dir);
	sp->lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (sp->lockfd < 0 || flock(sp->lockfd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errlen, errno == EWOULDBLOCK
			 ? "the spool %s is in use by another agent"
			 : "cannot lock the spool %s: %s", dir, strerror(errno));
		goto fail;
	}
	return sp;
fail:
	spool_close(sp);
	return NULL;
}

void spool_close(struct spool *sp)
{
	if (!sp)
		return;
	if (sp->lockfd >= 0)
		close(sp->lockfd);
	if (sp->dirfd >= 0)
		close(sp->dirfd);
	free(sp);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int spool_put(struct spool *sp, int64_t id, int attempt, const char *endpoint,
	      const char *body)
{
	char name[64], tmp[72];
	json_t *o = json_pack("{s:s, s:s}", "endpoint", endpoint, "body", body);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int fd, e;

	json_decref(o);
	if (!text) {
		errno = ENOMEM;
		return -1;
	}
	snprintf(name, sizeof name, "%lld-%d.json", (long long)id, attempt);
	snprintf(tmp, sizeof tmp, ".%s.tmp", name);
	fd = openat(sp->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	if (write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0) {
		e = errno;
		close(fd);
		unlinkat(sp->dirfd, tmp, 0);
		errno = e;
		goto fail;
	}
	close(fd);
	if (renameat(sp->dirfd, tmp, sp->dirfd, name) < 0 || fsync(sp->dirfd) < 0)
		goto fail;
	free(text);
	return 0;
fail:
	e = errno;
	free(text);
	errno = e;
	return -1;
}

void spool_done(struct spool *sp, int64_t id, int attempt)
{
	char name[64];

	snprintf(name, sizeof name, "%lld-%d.json", (long long)id, attempt);
	if (unlinkat(sp->dirfd, name, 0) == 0)
		fsync(sp->dirfd);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_result(const struct dirent *d)
{
	long long id;
	int attempt, end = 0;

	return sscanf(d->d_name, "%lld-%d.json%n", &id, &attempt, &end) == 2
		&& d->d_name[end] == '\0' && end > 0;
}

int spool_each(struct spool *sp, int (*fn)(void *arg, int64_t id, int attempt,
					    const char *endpoint, const char *body),
	       void *arg)
{
	struct dirent **list = NULL;
	int n = scandir(sp->dir, &list, is_result, by_name), seen = 0, stop = 0;

	for (int i = 0; i < n; i++) {
		char path[4400];
		long long id;
		int attempt;
		json_t *o;

		if (!stop && sscanf(list[i]->d_name, "%lld-%d", &id, &attempt) == 2) {
			snprintf(path, sizeof path, "%s/%s", sp->dir, list[i]->d_name);
			o = json_load_file(path, 0, NULL);
			if (json_is_string(json_object_get(o, "endpoint"))
			    && json_is_string(json_object_get(o, "body"))) {
				seen++;
				stop = fn(arg, (int64_t)id, attempt,
					  json_string_value(json_object_get(o, "endpoint")),
					  json_string_value(json_object_get(o, "body"))) < 0;
			}
			json_decref(o);
		}
		free(list[i]);
	}
	free(list);
	return seen;
}
