/*
 * log.c — the key=value line logger of log.h.  Each line is built in one
 * buffer and written with one write(2), so lines of concurrent processes
 * sharing stderr never interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "core/log.h"
#include "core/scan.h"

static enum log_level min_level = LOG_INFO;
static int level_read = 0;	/* SCANQ_LOG_LEVEL has been read */
static char component[32];

static const char *level_names[] = { "debug", "info", "warn", "error" };

void log_set_component(const char *name)
{
	snprintf(component, sizeof component, "%s", name ? name : "");
}

static void init_level(void)
{
	const char *e;

	if (level_read)
		return;
	level_read = 1;
	e = getenv("SCANQ_LOG_LEVEL");
	if (!e)
		return;
	for (int i = 0; i < 4; i++)
		if (strcasecmp(e, level_names[i]) == 0)
			min_level = (enum log_level)i;
}

const char *log_quote(const char *value, char *buf, size_t len)
{
	size_t o = 0;
	int needs = value[0] == '\0' || strpbrk(value, " \t\"=\n") != NULL;

	if (!needs) {
		snprintf(buf, len, "%s", value);
		return buf;
	}
	if (len < 3) {
		buf[0] = '\0';
		return buf;
	}
	buf[o++] = '"';
	for (const char *p = value; *p && o + 3 < len; p++) {
		if (*p == '"' || *p == '\\')
			buf[o++] = '\\';
		buf[o++] = (*p == '\n' || *p == '\t') ? ' ' : *p;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

void log_msg(enum log_level lvl, const char *msg, const char *kvfmt, ...)
{
	char line[2048], ts[40], q[512];
	int n;
	va_list ap;

	init_level();
	if (lvl < min_level)
		return;
	n = snprintf(line, sizeof line, "ts=%s level=%s",
		     scan_format_time(scan_now_ms(), ts, sizeof ts), level_names[lvl]);
	if (component[0])
		n += snprintf(line + n, sizeof line - (size_t)n, " component=%s", component);
	n += snprintf(line + n, sizeof line - (size_t)n, " msg=%s",
		      log_quote(msg, q, sizeof q));
	if (kvfmt && *kvfmt && n < (int)sizeof line - 2) {
		line[n++] = ' ';
		va_start(ap, kvfmt);
		n += vsnprintf(line + n, sizeof line - (size_t)n, kvfmt, ap);
		va_end(ap);
	}
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nowhere left to report it */
	}
}
