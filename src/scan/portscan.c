/*
 * portscan.c — the TCP connect scanner of portscan.h.
 *
 * The engine keeps a fixed table of slots, one per attempt in flight.  A
 * large scan is split between a few threads (one per CPU), each an engine
 * of its own with its share of the jobs and slots: the work is in the
 * kernel's connect path, which then runs on every core.  Jobs
 * are (port, host) pairs numbered port-major, so consecutive attempts go to
 * different hosts; a timed-out job goes to a retry queue that is drained
 * before new jobs.  Deadlines are checked by a walk over the slots at most
 * every few milliseconds, which costs less than a timer heap at these
 * sizes.  When the system runs out of sockets or ephemeral ports the job is
 * put back and the engine waits for attempts in flight to finish, instead
 * of calling the port filtered.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "core/clock.h"
#include "budget.h"
#include "detect.h"
#include "ports.h"
#include "portscan.h"
#include "resolve.h"
#include "scanner.h"

enum phase { FREE = 0, CONNECTING, BANNER };

struct slot {
	int fd;
	int family;
	enum phase phase;
	size_t job;
	int tries;			/* attempts made for this job, this one included */
	double deadline;
	size_t blen;
	char banner[PORTSCAN_BANNER_MAX];
};

struct engine {
	const struct target_addr *hosts;
	size_t nhosts;
	const int *ports;
	const struct portscan_opts *o;
	portscan_cb cb;
	void *arg;
	struct portscan_stats *st;
	int ep;
	struct slot *slots;
	int nslots, active, limit;	/* limit: slots usable now (lowered on EMFILE) */
	int *freelist, nfree;
	size_t next, total;
	size_t *retry;			/* ring of job numbers waiting for another try */
	int *retry_tries;
	size_t rhead, rcount, rcap;
	double tokens, last_refill;
	int stalled;			/* rounds with nothing in flight and no socket to be had */
	pthread_mutex_t *mu;		/* serializes the callback when threads share it */
	struct portscan_stats own;
	int rc;
	char err[128];
};


void portscan_opts_default(struct portscan_opts *o)
{
	o->concurrency = 512;
	o->timeout_ms = 1000;
	o->retries = 1;
	o->rate = 0;
	o->banner = 0;
	o->banner_ms = 500;
	o->threads = 0;
	o->budget = NULL;
}

static int opt_int(json_t *options, const char *key, int min, int max, int *out,
		   char *err, size_t errlen)
{
	json_t *v = json_object_get(options, key);

	if (!v)
		return 0;
	if (json_is_boolean(v) && max == 1) {
		*out = json_is_true(v);
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		snprintf(err, errlen, "option %s must be an integer in %d..%d", key, min, max);
		return -1;
	}
	*out = (int)json_integer_value(v);
	return 0;
}

int portscan_opts_from_json(struct portscan_opts *o, json_t *options, char *err, size_t errlen)
{
	if (!options)
		return 0;
	if (opt_int(options, "concurrency", 1, PORTSCAN_CONCURRENCY_MAX, &o->concurrency, err, errlen) < 0
	    || opt_int(options, "timeout_ms", 10, 60000, &o->timeout_ms, err, errlen) < 0
	    || opt_int(options, "retries", 0, 10, &o->retries, err, errlen) < 0
	    || opt_int(options, "rate", 0, 1000000, &o->rate, err, errlen) < 0
	    || opt_int(options, "banner", 0, 1, &o->banner, err, errlen) < 0
	    || opt_int(options, "banner_ms", 10, 10000, &o->banner_ms, err, errlen) < 0
	    || opt_int(options, "threads", 0, PORTSCAN_THREADS_MAX, &o->threads, err, errlen) < 0)
		return -1;
	return 0;
}

/* Raises the soft descriptor limit to the hard one; returns how many
 * attempts may be in flight, leaving room for the process's other files. */
static int fd_budget(int want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
			getrlimit(RLIMIT_NOFILE, &rl);
		}
		if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)want + 64 > rl.rlim_cur)
			want = rl.rlim_cur > 80 ? (int)(rl.rlim_cur - 64) : 16;
	}
	return want;
}

static socklen_t make_sockaddr(const struct target_addr *a, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)port);
		memcpy(&sin->sin_addr, a->a, 4);
		return sizeof *sin;
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((unsigned short)port);
	memcpy(&sin6->sin6_addr, a->a, 16);
	return sizeof *sin6;
}

static void report(struct engine *e, size_t job, enum portscan_state state, const char *banner,
		   size_t blen)
{
	struct portscan_hit h = {
		.host = job % e->nhosts,
		.port = e->ports[job / e->nhosts],
		.state = state,
		.banner = blen ? banner : NULL,
		.banner_len = blen,
	};

	if (state == PORTSCAN_OPEN)
		e->st->open++;
	else if (state == PORTSCAN_CLOSED)
		e->st->closed++;
	else
		e->st->filtered++;
	if (e->mu)
		pthread_mutex_lock(e->mu);
	e->cb(e->arg, &h);
	if (e->mu)
		pthread_mutex_unlock(e->mu);
}

/* Closes a slot's socket and frees the slot.  `rst`: the socket is
 * connected; close it with a reset instead of a FIN, so no TIME_WAIT is
 * left behind for each open port. */
static void release_slot(struct engine *e, int i, int rst)
{
	struct slot *s = &e->slots[i];

	if (s->fd >= 0) {
		struct linger lg = { 1, 0 };

		if (rst)
			setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		close(s->fd);
	}
	s->fd = -1;
	s->phase = FREE;
	e->freelist[e->nfree++] = i;
	e->active--;
}

static void push_retry(struct engine *e, size_t job, int tries)
{
	size_t at = (e->rhead + e->rcount) % e->rcap;

	e->retry[at] = job;
	e->retry_tries[at] = tries;
	e->rcount++;
}

/* A try ended without an answer: retry it or call it filtered. */
static void timed_out(struct engine *e, int i)
{
	struct slot *s = &e->slots[i];
	size_t job = s->job;
	int tries = s->tries;

	release_slot(e, i, 0);
	if (tries <= e->o->retries)
		push_retry(e, job, tries);
	else
		report(e, job, PORTSCAN_FILTERED, NULL, 0);
}

/* 1 if the socket connected to itself (source port == destination port on
 * loopback, a TCP simultaneous open): that port is not open. */
static int self_connected(int fd)
{
	struct sockaddr_storage a, b;
	socklen_t la = sizeof a, lb = sizeof b;

	if (getsockname(fd, (struct sockaddr *)&a, &la) < 0 || getpeername(fd, (struct sockaddr *)&b, &lb) < 0)
		return 0;
	return la == lb && memcmp(&a, &b, la) == 0;
}

static void connected(struct engine *e, int i, double now)
{
	struct slot *s = &e->slots[i];
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.u32 = (uint32_t)i };

	if (self_connected(s->fd)) {
		size_t job = s->job;

		release_slot(e, i, 1);
		report(e, job, PORTSCAN_CLOSED, NULL, 0);
		return;
	}
	if (e->o->banner && epoll_ctl(e->ep, EPOLL_CTL_MOD, s->fd, &ev) == 0) {
		s->phase = BANNER;
		s->blen = 0;
		s->deadline = now + e->o->banner_ms / 1000.0;
		return;
	}
	size_t job = s->job;

	release_slot(e, i, 1);
	report(e, job, PORTSCAN_OPEN, NULL, 0);
}

static void banner_done(struct engine *e, int i)
{
	struct slot *s = &e->slots[i];
	size_t job = s->job, blen = s->blen;
	char copy[PORTSCAN_BANNER_MAX];

	memcpy(copy, s->banner, blen);
	release_slot(e, i, 1);
	report(e, job, PORTSCAN_OPEN, copy, blen);
}

/* Takes the next job (retries first).  Returns 0 when there is none. */
static int take_job(struct engine *e, size_t *job, int *tries)
{
	if (e->rcount) {
		*job = e->retry[e->rhead];
		*tries = e->retry_tries[e->rhead];
		e->rhead = (e->rhead + 1) % e->rcap;
		e->rcount--;
		return 1;
	}
	if (e->next < e->total) {
		*job = e->next++;
		*tries = 0;
		return 1;
	}
	return 0;
}

/* Puts a job that was never tried at the front of the line. */
static void put_back(struct engine *e, size_t job, int tries)
{
	e->rhead = (e->rhead + e->rcap - 1) % e->rcap;
	e->retry[e->rhead] = job;
	e->retry_tries[e->rhead] = tries;
	e->rcount++;
}

/*
 * Starts the next job on the socket of slot i, whose attempt was just
 * refused.  Linux lets a TCP socket that failed to connect be dissolved
 * (connect to AF_UNSPEC) and connected again; that saves socket(), close()
 * and two epoll_ctl() per closed port, most of the cost of a scan of a
 * host with few open ports.  Returns 1 if the slot carries on with a new
 * attempt, 0 if the caller must release it.
 */
static int reuse(struct engine *e, int i, double now)
{
	static const struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	struct slot *s = &e->slots[i];
	struct sockaddr_storage ss;
	const struct target_addr *a;
	size_t job;
	int tries;
	socklen_t sl;

	if (e->active > e->limit || (e->o->rate > 0 && e->tokens < 1) || !take_job(e, &job, &tries))
		return 0;
	if (e->o->budget && !budget_take(e->o->budget, now)) {
		put_back(e, job, tries);
		return 0;
	}
	a = &e->hosts[job % e->nhosts];
	if (a->family != s->family || connect(s->fd, &unspec, sizeof unspec) < 0) {
		put_back(e, job, tries);
		return 0;
	}
	sl = make_sockaddr(a, e->ports[job / e->nhosts], &ss);
	if (connect(s->fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
		put_back(e, job, tries);	/* tried again on a fresh socket */
		return 0;
	}
	e->st->attempts++;
	if (e->o->rate > 0)
		e->tokens -= 1;
	s->job = job;
	s->tries = tries + 1;
	s->deadline = now + e->o->timeout_ms / 1000.0;
	return 1;
}

static void on_event(struct engine *e, int i, uint32_t events, double now)
{
	struct slot *s = &e->slots[i];
	int soerr = 0;
	socklen_t len = sizeof soerr;

	if (s->phase == CONNECTING) {
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
			soerr = errno;
		if (soerr == 0 && (events & EPOLLOUT)) {
			connected(e, i, now);
		} else if (soerr == ECONNREFUSED || soerr == ECONNRESET) {
			report(e, s->job, PORTSCAN_CLOSED, NULL, 0);
			if (!reuse(e, i, now))
				release_slot(e, i, 0);
		} else {
			/* Unreachable and friends: nothing answered for the port. */
			timed_out(e, i);
		}
		return;
	}
	if (s->phase == BANNER) {
		ssize_t n = read(s->fd, s->banner + s->blen, sizeof s->banner - s->blen);

		if (n > 0)
			s->blen += (size_t)n;
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) || s->blen == sizeof s->banner)
			banner_done(e, i);
	}
}

/* Starts one attempt.  Returns 1 if started or settled at once, 0 if the
 * system is out of sockets or ports (the job was put back). */
static int start(struct engine *e, size_t job, int tries, double now)
{
	const struct target_addr *a = &e->hosts[job % e->nhosts];
	struct sockaddr_storage ss;
	socklen_t sl = make_sockaddr(a, e->ports[job / e->nhosts], &ss);
	int fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int i;

	if (fd < 0)
		goto busy;
	e->st->attempts++;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
		int err = errno;

		close(fd);
		if (err == EAGAIN || err == EADDRNOTAVAIL || err == ENOBUFS || err == ENOMEM)
			goto busy;
		if (err == ECONNREFUSED)
			report(e, job, PORTSCAN_CLOSED, NULL, 0);
		else if (tries + 1 <= e->o->retries && err != ENETUNREACH && err != EACCES && err != EPERM)
			push_retry(e, job, tries + 1);
		else
			report(e, job, PORTSCAN_FILTERED, NULL, 0);
		return 1;
	}
	i = e->freelist[--e->nfree];
	e->slots[i] = (struct slot){ .fd = fd, .family = a->family, .phase = CONNECTING, .job = job,
				     .tries = tries + 1, .deadline = now + e->o->timeout_ms / 1000.0 };
	e->active++;
	struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = (uint32_t)i };
	if (epoll_ctl(e->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		e->st->attempts--;
		release_slot(e, i, 0);
		fd = -1;
		goto busy;
	}
	return 1;
busy:
	if (fd >= 0)
		close(fd);
	put_back(e, job, tries);
	return 0;
}

static void fill(struct engine *e, double now)
{
	size_t job;
	int tries;

	if (e->o->rate > 0) {
		e->tokens += (now - e->last_refill) * e->o->rate;
		if (e->tokens > e->o->rate / 10.0 + 1)
			e->tokens = e->o->rate / 10.0 + 1;	/* bursts of at most 100 ms */
		e->last_refill = now;
	}
	if (e->o->budget)
		budget_read(e->o->budget, now);
	while (e->active < e->limit && (e->o->rate == 0 || e->tokens >= 1)) {
		if (!take_job(e, &job, &tries))
			return;
		if (e->o->budget && !budget_take(e->o->budget, now)) {
			put_back(e, job, tries);	/* the networks' caps: wait for a token */
			return;
		}
		if (!start(e, job, tries, now)) {
			/* Out of sockets or ports: wait for attempts in flight. */
			if (e->active > 0)
				e->limit = e->active;
			else
				e->stalled++;
			return;
		}
		e->stalled = 0;
		if (e->o->rate > 0)
			e->tokens -= 1;
	}
}

/* Runs one engine over its jobs [e->next, e->total) with e->nslots slots.
 * Returns 0, or -1 with a reason in e->err. */
static int engine_run(struct engine *e)
{
	struct epoll_event evs[256];
	double last_sweep = 0;
	int rc = -1;

	e->limit = e->nslots;
	/* Every job can sit in the retry ring at most once at a time, and at
	 * most one per slot plus one put back. */
	e->rcap = (size_t)e->nslots * 2 + 2;
	e->slots = calloc((size_t)e->nslots, sizeof *e->slots);
	e->freelist = calloc((size_t)e->nslots, sizeof *e->freelist);
	e->retry = calloc(e->rcap, sizeof *e->retry);
	e->retry_tries = calloc(e->rcap, sizeof *e->retry_tries);
	e->ep = -1;
	if (!e->slots || !e->freelist || !e->retry || !e->retry_tries) {
		snprintf(e->err, sizeof e->err, "out of memory");
		goto out;
	}
	for (int i = e->nslots - 1; i >= 0; i--) {
		e->slots[i].fd = -1;
		e->freelist[e->nfree++] = i;
	}
	e->ep = epoll_create1(EPOLL_CLOEXEC);
	if (e->ep < 0) {
		snprintf(e->err, sizeof e->err, "epoll_create1: %s", strerror(errno));
		goto out;
	}
	e->last_refill = clock_mono_s();
	e->tokens = 1;
	for (;;) {
		double now = clock_mono_s(), next_deadline = now + 1;
		int n, wait_ms;

		fill(e, now);
		if (e->active == 0 && e->rcount == 0 && e->next >= e->total)
			break;
		if (e->stalled > 1000) {	/* about ten seconds without a socket */
			snprintf(e->err, sizeof e->err, "cannot open sockets: %s", strerror(errno));
			goto out;
		}
		if (e->active == 0 && e->limit < e->nslots)
			e->limit = e->nslots;	/* nothing in flight: try the full width again */
		for (int i = 0; i < e->nslots; i++)
			if (e->slots[i].phase != FREE && e->slots[i].deadline < next_deadline)
				next_deadline = e->slots[i].deadline;
		wait_ms = (int)((next_deadline - now) * 1000) + 1;
		if ((e->o->rate > 0 || e->o->budget) && wait_ms > 5)
			wait_ms = 5;
		if (e->active == 0)
			wait_ms = e->stalled ? 10 : 1;
		n = epoll_wait(e->ep, evs, (int)(sizeof evs / sizeof evs[0]), wait_ms < 0 ? 0 : wait_ms);
		if (n < 0 && errno != EINTR) {
			snprintf(e->err, sizeof e->err, "epoll_wait: %s", strerror(errno));
			goto out;
		}
		now = clock_mono_s();
		for (int k = 0; k < n; k++)
			on_event(e, (int)evs[k].data.u32, evs[k].events, now);
		if (n <= 0 || now - last_sweep > 0.005) {
			last_sweep = now;
			for (int i = 0; i < e->nslots; i++) {
				if (e->slots[i].phase == CONNECTING && e->slots[i].deadline <= now)
					timed_out(e, i);
				else if (e->slots[i].phase == BANNER && e->slots[i].deadline <= now)
					banner_done(e, i);
			}
		}
		/* When the system ran out of sockets, widen again step by step. */
		if (e->limit < e->nslots)
			e->limit += (e->nslots - e->limit + 7) / 8;
	}
	rc = 0;
out:
	if (e->slots)
		for (int i = 0; i < e->nslots; i++)
			if (e->slots[i].phase != FREE)
				close(e->slots[i].fd);
	if (e->ep >= 0)
		close(e->ep);
	free(e->slots);
	free(e->freelist);
	free(e->retry);
	free(e->retry_tries);
	e->slots = NULL;
	return rc;
}

static void *engine_thread(void *arg)
{
	struct engine *e = arg;

	e->rc = engine_run(e);
	return NULL;
}

/* Threads for a scan: the online CPUs (at most PORTSCAN_THREADS_MAX);
 * one for small scans, where a thread costs more than it saves, and for
 * rate-limited ones. */
static int threads_for(const struct portscan_opts *o, size_t total, int slots)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int n = o->threads > 0 ? o->threads : (int)(cpus > 0 ? cpus : 1);

	if (n > PORTSCAN_THREADS_MAX)
		n = PORTSCAN_THREADS_MAX;
	if ((o->threads == 0 && total < 4096) || o->rate > 0 || o->budget)
		n = 1;	/* a rate limit is one token bucket, so one engine */
	if ((size_t)n > total)
		n = (int)total;
	if (n > slots)
		n = slots;
	return n < 1 ? 1 : n;
}

int portscan_probe(const struct target_addr *hosts, size_t nhosts, const int *ports,
		   size_t nports, const struct portscan_opts *o, portscan_cb cb, void *arg,
		   struct portscan_stats *stats, char *err, size_t errlen)
{
	struct portscan_stats local = { 0 };
	struct engine e[PORTSCAN_THREADS_MAX];
	pthread_t tid[PORTSCAN_THREADS_MAX];
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	size_t total = nhosts * nports;
	double start_s = clock_mono_s();
	int slots, nthreads, started = 1, rc = 0;

	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof *stats);
	if (total == 0)
		return 0;
	slots = fd_budget(o->concurrency < 1 ? 1 : o->concurrency);
	nthreads = threads_for(o, total, slots);
	/* Each thread takes a contiguous share of the jobs and of the slots;
	 * the callback is serialized by one mutex. */
	for (int k = 0; k < nthreads; k++) {
		e[k] = (struct engine){ .hosts = hosts, .nhosts = nhosts, .ports = ports, .o = o,
					.cb = cb, .arg = arg, .mu = nthreads > 1 ? &mu : NULL,
					.next = total * (size_t)k / (size_t)nthreads,
					.total = total * (size_t)(k + 1) / (size_t)nthreads,
					.nslots = slots / nthreads };
		if ((size_t)e[k].nslots > e[k].total - e[k].next)
			e[k].nslots = (int)(e[k].total - e[k].next);
		if (e[k].nslots < 1)
			e[k].nslots = 1;
		e[k].st = &e[k].own;
	}
	for (int k = 1; k < nthreads; k++, started++)
		if (pthread_create(&tid[k], NULL, engine_thread, &e[k]) != 0)
			break;
	/* Jobs of a thread that could not start run here, after our own. */
	e[0].rc = engine_run(&e[0]);
	for (int k = started; k < nthreads; k++)
		e[k].rc = engine_run(&e[k]);
	for (int k = 1; k < started; k++)
		pthread_join(tid[k], NULL);
	for (int k = 0; k < nthreads; k++) {
		stats->open += e[k].own.open;
		stats->closed += e[k].own.closed;
		stats->filtered += e[k].own.filtered;
		stats->attempts += e[k].own.attempts;
		if (e[k].rc < 0 && rc == 0) {
			snprintf(err, errlen, "%s", e[k].err);
			rc = -1;
		}
	}
	stats->elapsed_s = clock_mono_s() - start_s;
	return rc;
}

/* ---- the "portscan" scan type ---------------------------------------- */

struct run {
	struct scanctx *ctx;
	const struct resolve_hostset *hs;
	size_t total, done;
	int detect;			/* 1: open ports wait in jobs for detection */
	struct detect_job *jobs;
	size_t njobs, capjobs;
};

/* Banners are shown to people and stored as JSON text: keep printable
 * ASCII, tabs and line ends; show every other byte as '.'. */
static json_t *clean_banner(const char *b, size_t n)
{
	char out[PORTSCAN_BANNER_MAX + 1];

	for (size_t i = 0; i < n; i++)
		out[i] = (b[i] >= 0x20 && b[i] < 0x7f) || b[i] == '\n' || b[i] == '\r' || b[i] == '\t'
			 ? b[i] : '.';
	out[n] = '\0';
	return json_string(out);
}

/* Reports one open port; `d` (may be NULL) is what detection found. */
static void report_open(struct run *r, const struct resolve_host *host, int port, const char *banner,
			size_t blen, const struct detect_result *d)
{
	char addr[64], title[256];
	struct servent *se = getservbyport(htons((unsigned short)port), "tcp");
	const char *svc = d && d->service[0] ? d->service : se ? se->s_name : NULL;
	json_t *f, *detail;

	targets_addr_str(&host->addr, addr, sizeof addr);
	snprintf(title, sizeof title, "open port %d/tcp%s%s%s%s%s%s%s", port, svc ? " " : "", svc ? svc : "",
		 d && d->product[0] ? " (" : "", d ? d->product : "", d && d->version[0] ? " " : "",
		 d ? d->version : "", d && d->product[0] ? ")" : "");
	f = json_pack("{sssssiss ss ss s{ssss}}", "kind", "open_port",
		      "target", host->name ? host->name : addr, "port", port, "proto", "tcp",
		      "severity", "info", "title", title,
		      "detail", "state", "open", "address", addr);
	if (!f)
		return;
	json_object_set_new(f, "service", svc ? json_string(svc) : json_null());
	if (banner)
		json_object_set_new(f, "banner", clean_banner(banner, blen));
	detail = json_object_get(f, "detail");
	if (d && d->method) {
		json_object_set_new(f, "product", json_string(d->product));
		json_object_set_new(f, "version", json_string(d->version));
		json_object_set_new(detail, "product", json_string(d->product));
		json_object_set_new(detail, "version", json_string(d->version));
		json_object_set_new(detail, "detected_by", json_string(d->method));
		if (d->extra[0])
			json_object_set_new(detail, "extrainfo", json_string(d->extra));
		if (d->http_status)
			json_object_set_new(detail, "http_status", json_integer(d->http_status));
		if (d->title[0])
			json_object_set_new(detail, "http_title", json_string(d->title));
		if (d->tls_version[0])
			json_object_set_new(detail, "tls", json_string(d->tls_version));
	}
	scanner_finding(r->ctx, f);
	json_decref(f);
}

static void on_hit(void *arg, const struct portscan_hit *h)
{
	struct run *r = arg;
	const struct resolve_host *host = &r->hs->hosts[h->host];

	r->done++;
	scanner_progress(r->ctx, (double)r->done / (double)(r->detect ? r->total * 2 : r->total));
	if (h->state != PORTSCAN_OPEN)
		return;
	if (!r->detect) {
		report_open(r, host, h->port, h->banner, h->banner_len, NULL);
		return;
	}
	/* Detection comes after the scan: keep the port (and its banner). */
	if (r->njobs == r->capjobs) {
		size_t cap = r->capjobs ? r->capjobs * 2 : 64;
		struct detect_job *grown = realloc(r->jobs, cap * sizeof *grown);

		if (!grown) {
			report_open(r, host, h->port, h->banner, h->banner_len, NULL);
			return;
		}
		r->jobs = grown;
		r->capjobs = cap;
	}
	r->jobs[r->njobs] = (struct detect_job){ .addr = host->addr, .name = host->name, .port = h->port };
	if (h->banner) {
		char *copy = malloc(h->banner_len);

		if (copy) {
			memcpy(copy, h->banner, h->banner_len);
			r->jobs[r->njobs].banner = copy;
			r->jobs[r->njobs].banner_len = h->banner_len;
		}
	}
	r->njobs++;
}

int portscan_run(struct scanctx *ctx)
{
	struct resolve_hostset hs = { 0 };
	struct portscan_opts o;
	struct portscan_stats st = { 0 };
	struct port_set *ps = NULL;
	struct target_addr *addrs = NULL;
	int *ports = NULL, nports = 0, rc;
	const char *spec = json_string_value(json_object_get(ctx->options, "ports"));
	char err[256];
	json_t *summary;
	struct run r = { .ctx = ctx, .hs = &hs };
	json_t *dv = json_object_get(ctx->options, "detect"), *dms = json_object_get(ctx->options, "detect_ms");
	int detect_ms = 3000;
	double t0 = clock_mono_s();

	portscan_opts_default(&o);
	if (portscan_opts_from_json(&o, ctx->options, err, sizeof err) < 0)
		return scanner_error(ctx, "invalid_options", "%s", err);
	o.budget = budget_get();
	if (dv && !json_is_boolean(dv))
		return scanner_error(ctx, "invalid_options", "option detect must be true or false");
	if (dms && (!json_is_integer(dms) || json_integer_value(dms) < 100 || json_integer_value(dms) > 60000))
		return scanner_error(ctx, "invalid_options", "option detect_ms must be an integer in 100..60000");
	r.detect = json_is_true(dv);
	if (dms)
		detect_ms = (int)json_integer_value(dms);
	ps = malloc(sizeof *ps);
	if (!ps)
		return scanner_error(ctx, "internal", "out of memory");
	if (ports_parse(spec ? spec : PORTS_DEFAULT, ps, err, sizeof err) < 0) {
		rc = scanner_error(ctx, "invalid_ports", "%s", err);
		goto out;
	}
	rc = resolve_hosts(ctx, &hs);
	if (rc != 0)
		goto out;
	ports = malloc((size_t)ps->count * sizeof *ports);
	addrs = malloc((hs.n ? hs.n : 1) * sizeof *addrs);
	if (!ports || !addrs) {
		rc = scanner_error(ctx, "internal", "out of memory");
		goto out;
	}
	for (int p = ports_next(ps, 0); p; p = ports_next(ps, p))
		ports[nports++] = p;
	for (size_t i = 0; i < hs.n; i++)
		addrs[i] = hs.hosts[i].addr;
	r.total = hs.n * (size_t)nports;
	if (portscan_probe(addrs, hs.n, ports, (size_t)nports, &o, on_hit, &r, &st, err, sizeof err) < 0) {
		rc = scanner_error(ctx, "scanner_error", "port scan failed: %s", err);
		goto out;
	}
	if (r.detect) {
		/* Within the scan's time: no port is started after two thirds of
		 * its limit (the worker's soft limit is at five sixths). */
		double deadline = ctx->time_limit_s > 0 ? t0 + ctx->time_limit_s * 2.0 / 3.0 : 0;

		if (detect_all(r.jobs, r.njobs, 32, detect_ms, o.rate, deadline) < 0) {
			rc = scanner_error(ctx, "scanner_error", "service detection could not start");
			goto out;
		}
		for (size_t i = 0; i < r.njobs; i++) {
			const struct resolve_host *host = NULL;

			for (size_t h = 0; h < hs.n && !host; h++)
				if (memcmp(&hs.hosts[h].addr, &r.jobs[i].addr, sizeof r.jobs[i].addr) == 0)
					host = &hs.hosts[h];
			report_open(&r, host, r.jobs[i].port, r.jobs[i].banner, r.jobs[i].banner_len, &r.jobs[i].r);
		}
	}
	scanner_progress(ctx, 1);
	summary = json_pack("{sIsisIsIsIsIsIsIsIsf}", "hosts", (json_int_t)hs.n, "ports", nports,
			    "open", (json_int_t)st.open, "closed", (json_int_t)st.closed,
			    "filtered", (json_int_t)st.filtered, "skipped", (json_int_t)hs.skipped,
			    "excluded", (json_int_t)hs.excluded,
			    "unresolved", (json_int_t)hs.unresolved,
			    "attempts", (json_int_t)st.attempts, "elapsed_s", st.elapsed_s);
	if (r.detect)
		json_object_set_new(summary, "detect_s", json_real(clock_mono_s() - t0 - st.elapsed_s));
	scanner_summary(ctx, summary);
	json_decref(summary);
	rc = 0;
out:
	for (size_t i = 0; i < r.njobs; i++)
		free((char *)r.jobs[i].banner);
	free(r.jobs);
	resolve_hostset_release(&hs);
	free(addrs);
	free(ports);
	free(ps);
	return rc;
}
