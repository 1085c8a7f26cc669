/*
 * ui.h — the web UI's static files (index.html, app.js, style.css), read
 * once when the server starts and answered from memory.
 *
 * The files come from the first directory of: api_options.web_dir,
 * $SCANQ_WEB_DIR, web/ next to the executable, ../web from the executable
 * (a build directory of the repository), /usr/share/scanq/web.  Without
 * them the API still runs and the UI routes answer 404.
 */
#ifndef SCANQ_API_UI_H
#define SCANQ_API_UI_H

#include <limits.h>
#include <stddef.h>
#include <microhttpd.h>

#define UI_FILE_MAX (1024 * 1024)	/* largest UI file loaded; a larger one is not served */
#define UI_NFILES   4

struct req;

struct ui_file {
	const char *name;	/* file name in web/ */
	const char *type;	/* Content-Type */
	char *data;		/* owned; NULL when not loaded */
	size_t len;
};

struct ui {
	char dir[PATH_MAX];	/* where the files were found, "" if nowhere */
	struct ui_file files[UI_NFILES];	/* [0] is index.html */
};

/* Finds and loads the files into u (see above), logging where they came
 * from or that they were not found.  Never fails: a missing file is served
 * as 404.  Release with ui_release(). */
void ui_load(struct ui *u, const char *web_dir, const char *self);

/* Frees what ui_load() loaded. */
void ui_release(struct ui *u);

/* Route handlers: index.html (for "/" and the UI's own paths) and
 * /static/{file}. */
enum MHD_Result ui_index(struct req *r);
enum MHD_Result ui_static(struct req *r);

#endif
