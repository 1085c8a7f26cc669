/*
 * sql.h — the SQL text that is the same in both dialects, written once
 * (sql.c), and how a dialect renders it at prepare time.
 *
 * A statement of enum db_stmt (db.h) has its text in the dialect's table
 * when the dialects differ, and in sql_common[] when they do not; never in
 * both.  A common text is written in PostgreSQL's placeholder style with
 * two additions, and each dialect renders it once per process (sql_table()):
 *
 *   $N          parameter N (1-based, in db.h's order): `?N` for SQLite
 *               (a numbered parameter; SQLite would read `$N` as a named
 *               one, numbered by order of first appearance), `$N` for
 *               PostgreSQL;
 *   $N::type    the same with PostgreSQL's cast, which SQLite drops;
 *   NOW_MS($N)  the time: parameter N on SQLite (the host's clock, passed
 *               by the core), `scanq_now_ms()` on PostgreSQL (the
 *               database's clock; the parameter is ignored, db.h's rule).
 *   INDEXED BY name
 *               SQLite's index hint (its planner needs it where several
 *               indexes could serve), which PostgreSQL drops together with
 *               the space before it.
 *
 * Nothing inside a single-quoted SQL string is rewritten ('$.path' stays).
 */
#ifndef SCANQ_STORE_SQL_H
#define SCANQ_STORE_SQL_H

#include <stddef.h>
#include "store/db.h"

/* The statements both dialects run as they are; NULL where they differ. */
extern const char *const sql_common[DB_STMT_COUNT];

/* How a dialect writes what a common text leaves open. */
struct sql_style {
	char param;		/* '?' (SQLite) or '$' (PostgreSQL) */
	int casts;		/* keep `::type` after a parameter */
	const char *clock;	/* NOW_MS($N) becomes this; NULL: the parameter */
	int hints;		/* keep ` INDEXED BY name` */
};

/*
 * Fills out[DB_STMT_COUNT] for a dialect whose own table is `own`: its own
 * text, else the common text rendered in style st, else NULL (a statement
 * the dialect does not need).  The rendered texts are malloc'd and kept
 * for the life of the process: a dialect fills its table once, when its
 * first store is opened.  Returns 0, or -1 when out of memory (then out is
 * only partly filled and must not be used).
 */
int sql_table(const char *const *own, const struct sql_style *st, const char **out);

/*
 * Renders common text `in` in style st: a malloc'd string (the caller
 * frees it), or NULL when out of memory.  The result is never longer than
 * strlen(in) plus what the clock adds: its length is counted first.
 */
char *sql_render(const char *in, const struct sql_style *st);

#endif
