/*
 * pdf.c — headless Chromium's print-to-PDF (pdf.h).  The HTML goes to a
 * private temporary folder (mkdtemp, mode 0700) beside Chromium's profile;
 * Chromium prints it to a PDF there, which is checked ("%PDF-") and then
 * copied to a temporary file next to the output and renamed over it, so
 * the output is complete or not there at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ftw.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "cmd/pdf.h"
#include "core/clock.h"

extern char **environ;

static int executable_in_path(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH");
	char dirs[4096], *save = NULL;

	snprintf(dirs, sizeof dirs, "%s", path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save))
		if ((size_t)snprintf(buf, len, "%s/%s", d, name) < len && access(buf, X_OK) == 0)
			return 0;
	return -1;
}

int pdf_find_chromium(char *buf, size_t len)
{
	static const char *const names[] = { "chromium", "chromium-browser", "google-chrome",
					     "google-chrome-stable" };
	const char *env = getenv("SCANQ_CHROMIUM");

	if (env && *env) {
		if (access(env, X_OK) == 0 && (size_t)snprintf(buf, len, "%s", env) < len)
			return 0;
		snprintf(buf, len, "SCANQ_CHROMIUM=%s is not an executable", env);
		return -1;
	}
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (executable_in_path(names[i], buf, len) == 0)
			return 0;
	snprintf(buf, len, "Chromium is not installed (none of chromium, chromium-browser, "
		 "google-chrome on PATH; SCANQ_CHROMIUM names another)");
	return -1;
}

static int write_all(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rc = -1;

	if (fd < 0)
		return -1;
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		data += n;
		len -= (size_t)n;
	}
	rc = 0;
out:
	if (close(fd) < 0)
		rc = -1;
	return rc;
}

/* Waits for pid to end, at most ms: 1 when it ended (its status in *st,
 * reaped), 0 when the time ran out, -1 on an error.  A pidfd turns
 * readable when the process ends, so nothing polls in between. */
static int wait_ended(pid_t pid, int64_t ms, int *st)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0), ready = 0;
	int64_t until = clock_mono_ms() + ms, left;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (fd < 0)
		return -1;
	while ((left = until - clock_mono_ms()) > 0
	       && (ready = poll(&p, 1, (int)left)) < 0 && errno == EINTR)
		;
	close(fd);
	if (ready < 0)
		return -1;
	if (ready == 0)
		return 0;
	return waitpid(pid, st, 0) == pid ? 1 : -1;
}

/* Runs Chromium on dir/report.html to dir/report.pdf, with its output
 * thrown away and a time limit.  0, or -1 with err set. */
static int run_chromium(const char *chromium, const char *dir, char *err, size_t errlen)
{
	char profile[4200], pdf[4200], url[4200];
	char *argv[16];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int n = 0, st = 0, rc;

	snprintf(profile, sizeof profile, "--user-data-dir=%s/profile", dir);
	snprintf(pdf, sizeof pdf, "--print-to-pdf=%s/report.pdf", dir);
	snprintf(url, sizeof url, "file://%s/report.html", dir);
	argv[n++] = (char *)chromium;
	argv[n++] = "--headless";
	argv[n++] = "--disable-gpu";
	if (geteuid() == 0)
		argv[n++] = "--no-sandbox";	/* Chromium refuses root otherwise */
	argv[n++] = "--no-first-run";
	argv[n++] = "--disable-extensions";
	argv[n++] = "--disable-background-networking";
	argv[n++] = "--disable-component-update";
	argv[n++] = "--disable-sync";
	argv[n++] = "--no-pdf-header-footer";
	argv[n++] = profile;
	argv[n++] = pdf;
	argv[n++] = url;
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawn(&pid, chromium, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start %s: %s", chromium, strerror(rc));
		return -1;
	}
	if ((rc = wait_ended(pid, PDF_TIMEOUT_S * 1000LL, &st)) <= 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		snprintf(err, errlen, rc == 0 ? "Chromium did not print the PDF within %d s"
			 : "could not wait for Chromium (%d s limit)", PDF_TIMEOUT_S);
		return -1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(err, errlen, "Chromium failed to print the PDF (%s %d)",
			 WIFSIGNALED(st) ? "signal" : "exit", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		return -1;
	}
	return 0;
}

/* Copies dir/report.pdf to out (through out.tmp), checking it is a PDF. */
static int publish(const char *dir, const char *out, char *err, size_t errlen)
{
	char src[4200], tmp[4200], head[5] = { 0 };
	FILE *in = NULL, *o = NULL;
	char buf[65536];
	size_t n;
	int rc = -1;

	snprintf(src, sizeof src, "%s/report.pdf", dir);
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", out) >= sizeof tmp) {
		snprintf(err, errlen, "output path too long");
		return -1;
	}
	if (!(in = fopen(src, "rb")) || fread(head, 1, 5, in) != 5 || memcmp(head, "%PDF-", 5) != 0) {
		snprintf(err, errlen, "Chromium wrote no PDF");
		goto out;
	}
	rewind(in);
	if (!(o = fopen(tmp, "wb"))) {
		snprintf(err, errlen, "cannot open %s: %s", tmp, strerror(errno));
		goto out;
	}
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, o) != n)
			break;
	if (ferror(in) || fclose(o) != 0) {
		o = NULL;
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	o = NULL;
	if (rename(tmp, out) < 0) {
		snprintf(err, errlen, "cannot rename %s: %s", tmp, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (o)
		fclose(o);
	if (in)
		fclose(in);
	if (rc < 0)
		remove(tmp);
	return rc;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	remove(path);	/* best effort: a leftover is only a temporary folder */
	return 0;
}

int pdf_render(const char *chromium, const char *html, size_t len, const char *out, char *err,
	       size_t errlen)
{
	const char *tmpdir = getenv("TMPDIR");
	char dir[4096], file[4200];
	int rc = -1;

	snprintf(dir, sizeof dir, "%s/scanq-pdf-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(dir)) {
		snprintf(err, errlen, "cannot make a temporary folder: %s", strerror(errno));
		return -1;
	}
	snprintf(file, sizeof file, "%s/report.html", dir);
	if (write_all(file, html, len) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", file, strerror(errno));
		goto out;
	}
	if (run_chromium(chromium, dir, err, errlen) < 0 || publish(dir, out, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
