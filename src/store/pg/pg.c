/*
 * pg/pg.c — the PostgreSQL dialect's primitives, for when one machine is
 * not enough: any number of `scanq serve` and `scanq worker` processes on
 * any number of hosts share one database.
 *
 * Statements are prepared once per connection (PQprepare) and take their
 * values as text parameters.  A lost connection is noticed here: the call
 * fails with STORE_ERROR and `disconnected` set (and `commit_unknown` when
 * it broke during COMMIT), and the next transaction or autocommit statement
 * reconnects first (one attempt; the store core's outage gate, db.c, says
 * how often the process tries).  The wake-up is a connection of its own
 * that LISTENs on scanq_pending; it is re-opened only once the store's own
 * connections reach the server again, so it adds no attempts of its own
 * to an outage.
 */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>
#include "core/clock.h"
#include "store/dialect.h"
#include "store/pg/schema.h"
#include "store/sql.h"

/* The common statements (sql.h) as PostgreSQL writes them: `$N` with
 * their casts, the database's own clock, no index hints. */
static const struct sql_style PG_STYLE = { '$', 1, "scanq_now_ms()", 0 };

/* Every statement's text: pg_sql[] and the common ones, filled once. */
static const char *pg_text_of[DB_STMT_COUNT];
static pthread_once_t pg_text_once = PTHREAD_ONCE_INIT;
static int pg_text_rc;

static void pg_text_fill(void)
{
	pg_text_rc = sql_table(pg_sql, &PG_STYLE, pg_text_of);
}

struct pg {
	struct store base;
	PGconn *conn;
	char *url;
	unsigned char prepared[DB_STMT_COUNT];
	int in_tx;			/* a transaction is open on this connection */
};

static struct pg *PG(struct store *s)
{
	return (struct pg *)s;
}

/* Records an error from a result (or the connection) and maps it to a rc:
 * lock and serialization conflicts are STORE_BUSY, the rest STORE_ERROR. */
static int db_fail(struct pg *p, PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	snprintf(p->base.err, sizeof p->base.err, "database error while %s: %s", what,
		 msg ? msg : PQerrorMessage(p->conn));
	p->base.err[strcspn(p->base.err, "\n")] = '\0';
	if (PQstatus(p->conn) != CONNECTION_OK)
		p->base.disconnected = 1;
	if (state && strcmp(state, "53100") == 0)	/* disk_full */
		p->base.full = 1;
	if (state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)) {
		p->base.conflict = 1;	/* rolled back by the server: run it again */
		return STORE_BUSY;
	}
	if (state && strcmp(state, "55P03") == 0)	/* lock_not_available */
		return STORE_BUSY;
	return STORE_ERROR;
}

static int exec_sql(struct pg *p, const char *sql, const char *what)
{
	PGresult *res = PQexec(p->conn, sql);
	int rc = STORE_OK;

	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = db_fail(p, res, what);
	PQclear(res);
	return rc;
}

/* Settings every new connection gets. */
static int configure(struct pg *p)
{
	/* Quiet NOTICEs (CREATE ... IF NOT EXISTS) would go to stderr otherwise. */
	if (exec_sql(p, "SET client_min_messages = warning", "configuring the session") != STORE_OK
	    || exec_sql(p, "SET synchronous_commit = on", "configuring the session") != STORE_OK)
		return STORE_ERROR;
	return STORE_OK;
}

/* One connection attempt.  How often one is made is the store core's
 * business (db.c's outage gate), not this dialect's. */
static int pg_reconnect(struct store *s)
{
	struct pg *p = PG(s);

	s->tried_connect = 1;
	PQreset(p->conn);
	memset(p->prepared, 0, sizeof p->prepared);
	if (PQstatus(p->conn) != CONNECTION_OK || configure(p) != STORE_OK) {
		p->base.disconnected = 1;
		db_fail(p, NULL, "reconnecting");
		return STORE_ERROR;
	}
	return STORE_OK;
}

/*
 * An idle connection can be dead before libpq knows it: a server that
 * restarts, or ends the backend, says so and hangs up, and libpq reads
 * that only with the next statement, which then fails (after a restart,
 * the first call on every idle handle did: a 503 from each API thread).
 * Nothing is due on an idle connection of these handles (their LISTEN is
 * elsewhere), so whatever waits on its socket is read now, without
 * blocking: a hang-up marks it bad, and it is re-opened before use.  One
 * poll(2) a transaction.
 */
static void read_hangup(struct pg *p)
{
	struct pollfd pfd = { PQsocket(p->conn), POLLIN, 0 };

	for (int i = 0; i < 4 && pfd.fd >= 0 && PQstatus(p->conn) == CONNECTION_OK
	     && poll(&pfd, 1, 0) == 1; i++)
		if (!PQconsumeInput(p->conn))
			break;
}

/* Outside a transaction a broken connection is re-opened before use. */
static int ensure_connected(struct pg *p)
{
	if (!p->in_tx)
		read_hangup(p);
	if (PQstatus(p->conn) == CONNECTION_OK)
		return STORE_OK;
	if (p->in_tx) {		/* the transaction is gone with it: fail the call */
		p->base.disconnected = 1;
		return store_set_error(&p->base, "database error: connection lost");
	}
	return pg_reconnect(&p->base);
}

static int pg_begin(struct store *s, int write)
{
	struct pg *p = PG(s);
	int rc = ensure_connected(p);

	if (rc == STORE_OK && (rc = exec_sql(p, "BEGIN", "starting a transaction")) == STORE_OK)
		p->in_tx = 1;
	return rc;
}

static int pg_commit(struct store *s)
{
	struct pg *p = PG(s);
	int rc = exec_sql(p, "COMMIT", "committing");

	p->in_tx = 0;
	if (rc != STORE_OK && p->base.disconnected)
		p->base.commit_unknown = 1;	/* sent, and no answer: it may have landed */
	return rc;
}

static void pg_rollback(struct store *s)
{
	struct pg *p = PG(s);
	char keep[sizeof p->base.err];

	p->in_tx = 0;
	if (PQstatus(p->conn) != CONNECTION_OK || PQtransactionStatus(p->conn) == PQTRANS_IDLE)
		return;
	memcpy(keep, p->base.err, sizeof keep);	/* report the first error, not this one */
	exec_sql(p, "ROLLBACK", "rolling back");
	memcpy(p->base.err, keep, sizeof keep);
}

/*
 * An array parameter as PostgreSQL's array literal ('{1,2}', '{"a",NULL}'):
 * a malloc'd string (the caller frees it), NULL when out of memory.  Texts
 * are quoted, with '"' and '\\' escaped.
 */
static char *array_literal(const struct db_arg *v)
{
	size_t cap = 3, len = 0;
	char *out, *p;

	for (size_t k = 0; k < v->na; k++) {
		const char *t = v->type == 'T' ? v->ta[k] : NULL;

		cap += 24;
		for (; t && *t; t++)
			cap += *t == '"' || *t == '\\' ? 2 : 1;
	}
	if (!(out = malloc(cap)))
		return NULL;
	out[len++] = '{';
	for (size_t k = 0; k < v->na; k++) {
		if (k)
			out[len++] = ',';
		if (v->type == 'I') {
			len += (size_t)snprintf(out + len, cap - len, "%lld", (long long)v->ia[k]);
		} else if (!v->ta[k]) {
			memcpy(out + len, "NULL", 4);
			len += 4;
		} else {
			out[len++] = '"';
			for (p = (char *)v->ta[k]; *p; p++) {
				if (*p == '"' || *p == '\\')
					out[len++] = '\\';
				out[len++] = *p;
			}
			out[len++] = '"';
		}
	}
	out[len++] = '}';
	out[len] = '\0';
	return out;
}

/* The type of a parameter, from its value: a parameter the text does not
 * use (a `now` this dialect reads from its own clock) is still typed. */
static Oid arg_type(const struct db_arg *v)
{
	switch (v->type) {
	case 'i': return 20;		/* int8 */
	case 'f': return 701;		/* float8 */
	case 'I': return 1016;		/* int8[] */
	case 'T': return 1009;		/* text[] */
	default: return 25;		/* text */
	}
}

static int prepare(struct pg *p, enum db_stmt id, const char *name, const struct db_args *a)
{
	Oid types[DB_ARGS_MAX];
	int n = a ? a->n : 0, rc = STORE_OK;
	PGresult *res;

	for (int i = 0; i < n; i++)
		types[i] = arg_type(&a->v[i]);
	res = PQprepare(p->conn, name, pg_text_of[id], n, types);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = db_fail(p, res, "preparing a statement");
	else
		p->prepared[id] = 1;
	PQclear(res);
	return rc;
}

static int pg_query(struct store *s, enum db_stmt id, const struct db_args *a, struct db_cur *c)
{
	struct pg *p = PG(s);
	const char *vals[DB_ARGS_MAX];
	char buf[DB_ARGS_MAX][32], *arrays[DB_ARGS_MAX] = { 0 }, name[16];
	int n = a ? a->n : 0, rc;
	PGresult *res = NULL;
	ExecStatusType st;

	if ((rc = ensure_connected(p)) != STORE_OK)
		return rc;
	for (int i = 0; i < n; i++) {
		const struct db_arg *v = &a->v[i];

		switch (v->type) {
		case 'i': snprintf(buf[i], sizeof buf[i], "%lld", (long long)v->i); vals[i] = buf[i]; break;
		case 'f': snprintf(buf[i], sizeof buf[i], "%.17g", v->f); vals[i] = buf[i]; break;
		case 's': vals[i] = v->s; break;
		case 'I':
		case 'T':
			if (!(vals[i] = arrays[i] = array_literal(v))) {
				rc = store_set_error(s, "out of memory");
				goto out;
			}
			break;
		default: vals[i] = NULL; break;
		}
	}
	snprintf(name, sizeof name, "s%d", (int)id);
	if (!p->prepared[id] && (rc = prepare(p, id, name, a)) != STORE_OK)
		goto out;
	res = PQexecPrepared(p->conn, name, n, vals, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		rc = db_fail(p, res, "running a statement");
		PQclear(res);
		goto out;
	}
	c->h = res;
	c->row = -1;
	c->changes = strtoll(PQcmdTuples(res), NULL, 10);
out:
	for (int i = 0; i < n; i++)
		free(arrays[i]);
	return rc;
}

static int pg_next(struct db_cur *c)
{
	return ++c->row < PQntuples(c->h) ? 1 : 0;
}

static const char *pg_text(struct db_cur *c, int col)
{
	return PQgetisnull(c->h, c->row, col) ? NULL : PQgetvalue(c->h, c->row, col);
}

static int64_t pg_i64(struct db_cur *c, int col)
{
	const char *v = pg_text(c, col);

	return v ? strtoll(v, NULL, 10) : 0;
}

static double pg_f64(struct db_cur *c, int col)
{
	const char *v = pg_text(c, col);

	return v ? strtod(v, NULL) : 0;
}

static void pg_done(struct db_cur *c)
{
	PQclear(c->h);
}

static int pg_script(struct store *s, const char *sql, const char *what)
{
	return exec_sql(PG(s), sql, what);
}

static void pg_close(struct store *s)
{
	struct pg *p = PG(s);

	PQfinish(p->conn);
	free(p->url);
	free(p);
}

/* ---- wake-up: LISTEN on a connection of its own ---------------------------------- */

struct listener {
	struct store_wakeup base;
	PGconn *conn;
	int64_t next_reset_ms;		/* monotonic: no reconnect attempt before this */
	int broken;			/* lost: not polled until re-opened */
};

/* The LISTEN connection is idle between notifications, so libpq hands a
 * server's goodbye ("terminating connection due to administrator
 * command") to the notice processor, which would print it on stderr
 * outside the log's format.  The outage is logged by the store core. */
static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int listen_on(PGconn *conn)
{
	PGresult *res;
	int ok;

	PQsetNoticeProcessor(conn, quiet, NULL);
	res = PQexec(conn, "LISTEN scanq_pending");
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	PQclear(res);
	return ok && PQsetnonblocking(conn, 1) == 0 ? 0 : -1;
}

/* Re-opens a lost LISTEN connection, at most once a second and only while
 * the process is not in an outage: its store calls find out when the
 * server is back (at the outage gate's pace), and only then is this one
 * tried again.  Returns 1 if it is (again) listening. */
static int relisten(struct listener *w)
{
	int64_t now = clock_mono_ms();

	if (!w->broken && PQstatus(w->conn) == CONNECTION_OK)
		return 1;
	if (now < w->next_reset_ms || db_outage_active())
		return 0;
	w->next_reset_ms = now + 1000;
	PQreset(w->conn);
	w->broken = PQstatus(w->conn) != CONNECTION_OK || listen_on(w->conn) < 0;
	return !w->broken;
}

/* While the connection is down there is no socket to poll (-1: poll()
 * skips it) and the worker's fallback poll claims; each call here may
 * re-open it. */
static int listener_fd(struct store_wakeup *base)
{
	struct listener *w = (struct listener *)base;

	return relisten(w) ? PQsocket(w->conn) : -1;
}

/* A connection that just broke reports a change once (the worker claims,
 * finds the outage and backs off); it is re-opened by listener_fd(). */
static int listener_drain(struct store_wakeup *base)
{
	struct listener *w = (struct listener *)base;
	PGnotify *n;
	int changed = 0;

	if (PQconsumeInput(w->conn) == 0 || PQstatus(w->conn) != CONNECTION_OK) {
		w->broken = 1;
		return 1;
	}
	while ((n = PQnotifies(w->conn)) != NULL) {
		changed = 1;
		PQfreemem(n);
	}
	return changed;
}

static void listener_free(struct store_wakeup *w)
{
	PQfinish(((struct listener *)w)->conn);	/* closes its socket */
	free(w);
}

static struct store_wakeup *pg_wakeup_new(struct store *s)
{
	struct listener *w = calloc(1, sizeof *w);

	if (!w)
		return NULL;
	w->base = (struct store_wakeup){ "listen", listener_fd, listener_drain, listener_free };
	w->conn = PQconnectdb(PG(s)->url);
	if (PQstatus(w->conn) != CONNECTION_OK || listen_on(w->conn) < 0) {
		PQfinish(w->conn);
		free(w);
		return NULL;
	}
	return &w->base;
}

static const struct dialect pg_dialect = {
	.name = "postgres",
	.sql = pg_text_of,
	.migrations = pg_migrations,
	.caps = DB_CLAIM_LOGS,
	.close = pg_close,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.query = pg_query,
	.next = pg_next,
	.col_i64 = pg_i64,
	.col_f64 = pg_f64,
	.col_text = pg_text,
	.done = pg_done,
	.script = pg_script,
	.reconnect = pg_reconnect,
	.wakeup_new = pg_wakeup_new,
};

struct store *store_pg_open(const char *url, char *err, size_t errlen)
{
	struct pg *p;

	pthread_once(&pg_text_once, pg_text_fill);
	p = pg_text_rc == 0 ? calloc(1, sizeof *p) : NULL;
	if (!p || !(p->url = strdup(url))) {
		snprintf(err, errlen, "out of memory");
		free(p);
		return NULL;
	}
	p->base.d = &pg_dialect;
	p->conn = PQconnectdb(url);
	if (PQstatus(p->conn) != CONNECTION_OK) {
		snprintf(err, errlen, "cannot connect to PostgreSQL: %s", PQerrorMessage(p->conn));
		err[strcspn(err, "\n")] = '\0';
		goto fail;
	}
	if (configure(p) != STORE_OK) {
		snprintf(err, errlen, "%s", p->base.err);
		goto fail;
	}
	return &p->base;
fail:
	PQfinish(p->conn);
	free(p->url);
	free(p);
	return NULL;
}
