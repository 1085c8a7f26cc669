/*
 * ui.c — the web UI's static files (see ui.h): found once at start, kept
 * in memory, answered with a Content-Security-Policy that allows only
 * this origin.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <microhttpd.h>
#include "api/reply.h"
#include "api/req.h"
#include "api/ui.h"
#include "core/log.h"

static enum MHD_Result send_static(struct req *r, const struct ui_file *f)
{
	if (!f->data)
		return reply_problem(r, 404, "ui_not_installed", "the web UI files were not found "
				     "(see SCANQ_WEB_DIR)");
	return reply_buf(r, 200, f->type, f->data, f->len, MHD_RESPMEM_PERSISTENT,
			 "Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
}

enum MHD_Result ui_index(struct req *r)
{
	return send_static(r, &r->api->ui->files[0]);
}

enum MHD_Result ui_static(struct req *r)
{
	for (size_t i = 1; i < UI_NFILES; i++)
		if (strcmp(r->param, r->api->ui->files[i].name) == 0)
			return send_static(r, &r->api->ui->files[i]);
	return reply_problem(r, 404, "not_found", "no such file");
}

static int read_file(const char *path, char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n;
	int rc = -1;

	if (!f)
		return -1;
	if (!(buf = malloc(UI_FILE_MAX + 1)))
		goto out;
	n = fread(buf, 1, UI_FILE_MAX + 1, f);
	if (ferror(f) || n > UI_FILE_MAX)
		goto out;
	*data = buf;
	*len = n;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	fclose(f);
	return rc;
}

static int dir_has_ui(const char *dir)
{
	char p[PATH_MAX + 32];
	struct stat st;

	snprintf(p, sizeof p, "%.*s/index.html", PATH_MAX - 1, dir);
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

void ui_load(struct ui *u, const char *web_dir, const char *self)
{
	const char *env = getenv("SCANQ_WEB_DIR");
	char exe[PATH_MAX] = "", cand[5][PATH_MAX];
	int nc = 0;

	if (web_dir)
		snprintf(cand[nc++], PATH_MAX, "%s", web_dir);
	if (env && *env)
		snprintf(cand[nc++], PATH_MAX, "%s", env);
	if (self && realpath(self, exe)) {
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(cand[nc++], PATH_MAX, "%.*s/web", PATH_MAX - 8, exe);
			snprintf(cand[nc++], PATH_MAX, "%.*s/../web", PATH_MAX - 8, exe);
		}
	}
	snprintf(cand[nc++], PATH_MAX, "/usr/share/scanq/web");
	u->files[0] = (struct ui_file){ "index.html", "text/html; charset=utf-8", NULL, 0 };
	u->files[1] = (struct ui_file){ "app.js", "text/javascript; charset=utf-8", NULL, 0 };
	u->files[2] = (struct ui_file){ "style.css", "text/css; charset=utf-8", NULL, 0 };
	u->files[3] = (struct ui_file){ "admin.js", "text/javascript; charset=utf-8", NULL, 0 };
	for (int i = 0; i < nc; i++) {
		if (!dir_has_ui(cand[i]))
			continue;
		if (!realpath(cand[i], u->dir))
			continue;
		for (size_t k = 0; k < UI_NFILES; k++) {
			char p[PATH_MAX + 32];
			snprintf(p, sizeof p, "%s/%s", u->dir, u->files[k].name);
			if (read_file(p, &u->files[k].data, &u->files[k].len) < 0)
				log_warn("cannot read a web UI file", "file=%s", u->files[k].name);
		}
		return;
	}
	log_warn("web UI not found: serving the API only", "hint=\"set SCANQ_WEB_DIR\"");
}

void ui_release(struct ui *u)
{
	for (size_t k = 0; k < UI_NFILES; k++) {
		free(u->files[k].data);
		u->files[k].data = NULL;
	}
}
