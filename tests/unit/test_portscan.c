/*
 * test_portscan.c — the TCP connect scanner and the discovery scanner
 * against listeners this test opens on loopback (never anything else):
 * exactly the listening ports are open, the rest closed, a full accept
 * queue shows as filtered, banners come back as sent, and the scope is
 * enforced before and after name resolution.
 */
#include "testutil.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <jansson.h>
#include "core/config.h"
#include "discovery.h"
#include "portscan.h"
#include "scanner.h"
#include "scantype.h"

#define NLISTEN 4
#define NCLOSED 24

static int listen_on(int family, int backlog, int *port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof *sin;
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		len = sizeof *sin6;
	}
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, len), 0);
	if (backlog >= 0)
		assert_int_equal(listen(fd, backlog), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
				       : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

/* A port that was free a moment ago: bound, never listened on, closed. */
static int closed_port(void)
{
	int port, fd = listen_on(AF_INET, -1, &port);

	close(fd);
	return port;
}

struct collect {
	int open[64], nopen;
	long closed, filtered;
	char banner[PORTSCAN_BANNER_MAX + 1];
};

static void collect(void *arg, const struct portscan_hit *h)
{
	struct collect *c = arg;

	if (h->state == PORTSCAN_OPEN) {
		if (c->nopen < 64)
			c->open[c->nopen++] = h->port;
		if (h->banner) {
			memcpy(c->banner, h->banner, h->banner_len);
			c->banner[h->banner_len] = '\0';
		}
	} else if (h->state == PORTSCAN_CLOSED) {
		c->closed++;
	} else {
		c->filtered++;
	}
}

static int has(const int *arr, int n, int v)
{
	for (int i = 0; i < n; i++)
		if (arr[i] == v)
			return 1;
	return 0;
}

static void exactly_the_listening_ports_are_open(void **state)
{
	int fds[NLISTEN], open[NLISTEN], ports[NLISTEN + NCLOSED], n = 0;
	struct target_addr host = { .family = AF_INET, .a = { 127, 0, 0, 1 } };
	struct portscan_opts o;
	struct portscan_stats st;
	struct collect c = { 0 };
	char err[128];

	/* Listeners first: a closed port picked before them could be handed
	 * to one of them by the kernel, and then stand in both lists. */
	for (int i = 0; i < NLISTEN; i++) {
		fds[i] = listen_on(AF_INET, 16, &open[i]);
		ports[n++] = open[i];
	}
	while (n < NLISTEN + NCLOSED) {
		int p = closed_port();
		if (!has(ports, n, p))
			ports[n++] = p;
	}
	/* One engine, then three sharing the jobs: the same answer. */
	for (int threads = 1; threads <= 3; threads += 2) {
		memset(&c, 0, sizeof c);
		portscan_opts_default(&o);
		o.concurrency = 8;	/* fewer slots than ports: slots are reused */
		o.threads = threads;
		assert_int_equal(portscan_probe(&host, 1, ports, (size_t)n, &o, collect, &c, &st, err,
						sizeof err), 0);
		assert_int_equal(c.nopen, NLISTEN);
		for (int i = 0; i < NLISTEN; i++)
			assert_true(has(c.open, c.nopen, open[i]));
		assert_int_equal(c.closed, NCLOSED);
		assert_int_equal(c.filtered, 0);
		assert_int_equal(st.open, NLISTEN);
		assert_int_equal(st.closed, NCLOSED);
		assert_int_equal(st.attempts, NLISTEN + NCLOSED);
	}
	for (int i = 0; i < NLISTEN; i++)
		close(fds[i]);
}

static void a_range_around_listeners_is_all_answered(void **state)
{
	int port, fd = listen_on(AF_INET, 16, &port), ports[201], n = 0;
	struct target_addr host = { .family = AF_INET, .a = { 127, 0, 0, 1 } };
	struct portscan_opts o;
	struct collect c = { 0 };
	char err[128];

	for (int p = port - 100; p <= port + 100; p++)
		if (p > 0 && p < 65536)
			ports[n++] = p;
	portscan_opts_default(&o);
	assert_int_equal(portscan_probe(&host, 1, ports, (size_t)n, &o, collect, &c, NULL, err, sizeof err), 0);
	/* Every port answered; ours is among the open ones (others on this
	 * machine may listen in the window too). */
	assert_int_equal(c.nopen + c.closed, n);
	assert_int_equal(c.filtered, 0);
	assert_true(has(c.open, c.nopen, port));
	close(fd);
}

static void ipv6_loopback_is_scanned_too(void **state)
{
	int port, fd = listen_on(AF_INET6, 16, &port), ports[2];
	struct target_addr host = { .family = AF_INET6 };
	struct portscan_opts o;
	struct collect c = { 0 };
	char err[128];

	host.a[15] = 1;
	ports[0] = port;
	do	/* an IPv4 port of the same number may be free: not that one */
		ports[1] = closed_port();
	while (ports[1] == port);
	portscan_opts_default(&o);
	assert_int_equal(portscan_probe(&host, 1, ports, 2, &o, collect, &c, NULL, err, sizeof err), 0);
	assert_int_equal(c.nopen, 1);
	assert_int_equal(c.open[0], port);
	assert_int_equal(c.closed, 1);
	close(fd);
}

static void a_port_that_never_answers_is_filtered_after_retries(void **state)
{
	/* A listener whose accept queue is full drops new SYNs: from the
	 * outside that is a port that does not answer. */
	int port, fd = listen_on(AF_INET, 0, &port), filler[4], ports[1];
	struct target_addr host = { .family = AF_INET, .a = { 127, 0, 0, 1 } };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct portscan_opts o;
	struct portscan_stats st;
	struct collect c = { 0 };
	char err[128];

	for (int i = 0; i < 4; i++) {
		filler[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(filler[i], (struct sockaddr *)&sin, sizeof sin);
	}
	usleep(100 * 1000);
	ports[0] = port;
	portscan_opts_default(&o);
	o.timeout_ms = 200;
	o.retries = 2;
	assert_int_equal(portscan_probe(&host, 1, ports, 1, &o, collect, &c, &st, err, sizeof err), 0);
	assert_int_equal(c.filtered, 1);
	assert_int_equal(st.attempts, 3);	/* one try and two retries */
	assert_true(st.elapsed_s >= 0.5);
	for (int i = 0; i < 4; i++)
		close(filler[i]);
	close(fd);
}

static void the_rate_limit_spaces_attempts_out(void **state)
{
	int ports[20];
	struct target_addr host = { .family = AF_INET, .a = { 127, 0, 0, 1 } };
	struct portscan_opts o;
	struct portscan_stats st;
	struct collect c = { 0 };
	char err[128];

	for (int i = 0; i < 20; i++)
		ports[i] = closed_port();
	portscan_opts_default(&o);
	o.rate = 50;
	assert_int_equal(portscan_probe(&host, 1, ports, 20, &o, collect, &c, &st, err, sizeof err), 0);
	assert_int_equal(c.closed, 20);
	/* 20 attempts at 50/s with a burst of 6: at least 13 / 50 s. */
	assert_true(st.elapsed_s >= 0.25);
}

/* ---- through the scan type: child protocol ------------------------------ */

struct greeter {
	int fd;
	const char *text;
};

static void *greet(void *arg)
{
	struct greeter *g = arg;
	int c;

	while ((c = accept(g->fd, NULL, NULL)) >= 0) {
		if (write(c, g->text, strlen(g->text)) < 0)
			break;
		usleep(300 * 1000);
		close(c);
	}
	return NULL;
}

/* Runs a scan type with the given targets and options; returns its exit
 * status and the protocol lines as a JSON array in *lines. */
static int run_type(int (*run)(struct scanctx *), const char *const *targets, int n,
		    const char *options, json_t **lines)
{
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	struct scanctx ctx = { .type = "portscan", .json = 1 };
	int rc;

	ctx.out = open_memstream(&buf, &len);
	ctx.targets = (char **)targets;
	ctx.ntargets = n;
	ctx.options = json_loads(options, 0, NULL);
	assert_non_null(ctx.options);
	rc = run(&ctx);
	fclose(ctx.out);
	*lines = json_array();
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *j = json_loads(line, 0, NULL);

		if (!j)
			fail_msg("not a protocol line: %s", line);
		json_array_append_new(*lines, j);
	}
	free(buf);
	json_decref(ctx.options);
	return rc;
}

static json_t *find_key(json_t *lines, const char *key, int nth)
{
	size_t i;
	json_t *l;

	json_array_foreach(lines, i, l)
		if (json_object_get(l, key) && nth-- == 0)
			return json_object_get(l, key);
	return NULL;
}

static void banner_grab_returns_what_the_listener_sent(void **state)
{
	struct greeter g = { .text = "SSH-2.0-scanq_test\r\n" };
	const char *targets[] = { "127.0.0.1" };
	char options[128];
	pthread_t th;
	json_t *lines, *f, *s;
	int port;

	g.fd = listen_on(AF_INET, 16, &port);
	assert_int_equal(pthread_create(&th, NULL, greet, &g), 0);
	snprintf(options, sizeof options, "{\"ports\":\"%d,%d\",\"banner\":true}", port, closed_port());
	assert_int_equal(run_type(portscan_run, targets, 1, options, &lines), 0);
	f = find_key(lines, "finding", 0);
	assert_non_null(f);
	assert_null(find_key(lines, "finding", 1));
	assert_string_equal(json_string_value(json_object_get(f, "kind")), "open_port");
	assert_string_equal(json_string_value(json_object_get(f, "target")), "127.0.0.1");
	assert_int_equal(json_integer_value(json_object_get(f, "port")), port);
	assert_string_equal(json_string_value(json_object_get(f, "proto")), "tcp");
	assert_string_equal(json_string_value(json_object_get(f, "banner")), "SSH-2.0-scanq_test\r\n");
	s = find_key(lines, "summary", 0);
	assert_int_equal(json_integer_value(json_object_get(s, "open")), 1);
	assert_int_equal(json_integer_value(json_object_get(s, "closed")), 1);
	assert_int_equal(json_integer_value(json_object_get(s, "findings")), 1);
	assert_non_null(find_key(lines, "progress", 0));
	json_decref(lines);
	shutdown(g.fd, SHUT_RDWR);
	close(g.fd);
	pthread_join(th, NULL);
}

static void out_of_scope_and_invalid_targets_fail_before_any_connect(void **state)
{
	static const struct {
		const char *target, *code;
	} cases[] = {
		{ "10.0.0.1", "out_of_scope" }, { "127.0.0.1-127.0.1.0", NULL },
		{ "126.255.255.255-127.0.0.1", "out_of_scope" }, { "example.com", "out_of_scope" },
		{ ";touch /tmp/x", "invalid_target" }, { "--script=x", "invalid_target" },
	};
	char err[256];
	json_t *lines, *e;

	assert_int_equal(config_load("/dev/null", err, sizeof err), 0);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *targets[] = { cases[i].target };

		if (!cases[i].code)
			continue;
		assert_int_equal(run_type(portscan_run, targets, 1, "{\"ports\":\"1\"}", &lines), 1);
		e = find_key(lines, "error", 0);
		assert_non_null(e);
		assert_string_equal(json_string_value(json_object_get(e, "code")), cases[i].code);
		assert_null(find_key(lines, "finding", 0));
		json_decref(lines);
	}
	assert_int_equal(run_type(portscan_run, NULL, 0, "{}", &lines), 1);
	assert_string_equal(json_string_value(json_object_get(find_key(lines, "error", 0), "code")), "no_targets");
	json_decref(lines);
	{
		const char *targets[] = { "127.0.0.1" };

		assert_int_equal(run_type(portscan_run, targets, 1, "{\"ports\":\"0-3\"}", &lines), 1);
		assert_string_equal(json_string_value(json_object_get(find_key(lines, "error", 0), "code")),
				    "invalid_ports");
		json_decref(lines);
	}
}

static void a_scan_whose_every_name_resolves_out_of_scope_fails_with_no_targets(void **state)
{
	/* Only ::1 is allowed; "localhost" resolves to 127.0.0.1 here
	 * (/etc/hosts), so it must be skipped, not scanned. */
	char dir[256], url[512], path[600], err[256];
	const char *targets[] = { "localhost" };
	json_t *lines, *f, *s;
	FILE *fp;

	testutil_tmpdb(dir, sizeof dir, url, sizeof url);
	snprintf(path, sizeof path, "%s/scanq.ini", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("[scope]\nallow = ::1\n", fp);
	fclose(fp);
	assert_int_equal(config_load(path, err, sizeof err), 0);
	/* Every address skipped: the scan fails with no_targets, after saying why. */
	assert_int_equal(run_type(portscan_run, targets, 1, "{\"ports\":\"1\",\"resolve_ms\":2000}", &lines), 1);
	for (int i = 0; (f = find_key(lines, "finding", i)); i++) {
		const char *addr = json_string_value(json_object_get(json_object_get(f, "detail"), "address"));

		if (addr && strcmp(addr, "127.0.0.1") == 0) {
			assert_string_equal(json_string_value(json_object_get(f, "kind")), "skipped");
			assert_string_equal(json_string_value(json_object_get(f, "target")), "localhost");
		}
		assert_string_not_equal(json_string_value(json_object_get(f, "kind")), "open_port");
	}
	assert_non_null(find_key(lines, "finding", 0));
	assert_null(find_key(lines, "summary", 0));
	s = find_key(lines, "error", 0);
	assert_string_equal(json_string_value(json_object_get(s, "code")), "no_targets");
	assert_non_null(strstr(json_string_value(json_object_get(s, "message")), "1 addresses out of scope"));
	json_decref(lines);
	assert_int_equal(config_load("/dev/null", err, sizeof err), 0);
	testutil_rmdir(dir);
}

static void discovery_finds_loopback_up(void **state)
{
	const char *targets[] = { "127.0.0.1", "localhost" };
	char err[256];
	json_t *lines, *f, *s;

	assert_int_equal(config_load("/dev/null", err, sizeof err), 0);
	assert_int_equal(run_type(discovery_run, targets, 2, "{\"resolve_ms\":2000}", &lines), 0);
	f = find_key(lines, "finding", 0);
	assert_non_null(f);
	assert_string_equal(json_string_value(json_object_get(f, "kind")), "host");
	assert_string_equal(json_string_value(json_object_get(json_object_get(f, "detail"), "address")), "127.0.0.1");
	s = find_key(lines, "summary", 0);
	assert_true(json_integer_value(json_object_get(s, "up")) >= 1);
	json_decref(lines);
}

int main(void)
{
	scantype_config_checks();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exactly_the_listening_ports_are_open),
		cmocka_unit_test(a_range_around_listeners_is_all_answered),
		cmocka_unit_test(ipv6_loopback_is_scanned_too),
		cmocka_unit_test(a_port_that_never_answers_is_filtered_after_retries),
		cmocka_unit_test(the_rate_limit_spaces_attempts_out),
		cmocka_unit_test(banner_grab_returns_what_the_listener_sent),
		cmocka_unit_test(out_of_scope_and_invalid_targets_fail_before_any_connect),
		cmocka_unit_test(a_scan_whose_every_name_resolves_out_of_scope_fails_with_no_targets),
		cmocka_unit_test(discovery_finds_loopback_up),
	};

	unsetenv("SCANQ_CONFIG");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
