/*
 * log.h — one line per event on stderr:
 *   ts=2026-11-23T19:39:07.123Z level=info msg="scan marked running" scan=177 attempt=2
 * The message is short and lower case; facts go in key=value pairs, which
 * the caller formats (values with spaces must be quoted with log_quote()).
 * Messages below $SCANQ_LOG_LEVEL (debug, info, warn, error; default info)
 * are dropped.
 */
#ifndef SCANQ_LOG_H
#define SCANQ_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };


/* Adds "component=NAME" to every line of this process (e.g. "worker"). */
void log_set_component(const char *name);

/* Writes one line: msg, then the formatted key=value pairs (may be NULL). */
void log_msg(enum log_level lvl, const char *msg, const char *kvfmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_debug(msg, ...) log_msg(LOG_DEBUG, msg, __VA_ARGS__)
#define log_info(msg, ...)  log_msg(LOG_INFO, msg, __VA_ARGS__)
#define log_warn(msg, ...)  log_msg(LOG_WARN, msg, __VA_ARGS__)
#define log_error(msg, ...) log_msg(LOG_ERROR, msg, __VA_ARGS__)

/* Quotes a value for a key=value pair into buf ("a b" -> "\"a b\"").
 * Truncates to fit.  Returns buf. */
const char *log_quote(const char *value, char *buf, size_t len);

#endif
