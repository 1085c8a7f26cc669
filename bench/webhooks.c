/*
 * bench/webhooks.c — webhook deliveries per second to a loopback receiver:
 * queues N deliveries (default 2000), starts S sender threads (default 1,
 * each what one worker runs: claim with a lease, sign, POST, record the
 * attempt) and times until every delivery is recorded delivered.  The
 * receiver is a libmicrohttpd server in this process answering 204.
 *
 *   build/bench/webhooks [N [SENDERS [DB_URL]]]   (default: a temp SQLite file)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>
#include "core/config.h"
#include "worker/webhook.h"
#include "store/store.h"
#include "scantype.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *size, void **state)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)cls; (void)url; (void)method; (void)version; (void)data;
	if (!*state) {			/* first call: headers only */
		*state = c;
		return MHD_YES;
	}
	if (*size) {			/* the body: read and dropped */
		*size = 0;
		return MHD_YES;
	}
	r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(c, 204, r);
	MHD_destroy_response(r);
	return ret;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
	int senders = argc > 2 ? atoi(argv[2]) : 1;
	char dir[] = "/tmp/scanq-bench-webhooks-XXXXXX", url[600], hook[128], err[256], uuid[40];
	struct webhook_sender *ws[64];
	struct MHD_Daemon *d;
	struct store *s;
	struct store_counters c = { 0 };
	int64_t id;
	double t0;

	if (n < 1 || senders < 1 || senders > 64) {
		fprintf(stderr, "usage: webhooks [N [SENDERS(1..64) [DB_URL]]]\n");
		return 2;
	}
	scantype_config_checks();
	if (config_load("/dev/null", err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	config.webhook_poll_ms = 10;
	if (argc > 3) {
		snprintf(url, sizeof url, "%s", argv[3]);
	} else {
		if (!mkdtemp(dir))
			return 1;
		snprintf(url, sizeof url, "sqlite://%s/w.db", dir);
	}
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL,
			     NULL, answer, NULL, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "cannot start the receiver\n");
		return 1;
	}
	snprintf(hook, sizeof hook, "http://127.0.0.1:%u/hook",
		 (unsigned)MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port);
	if (!(s = store_open(url, err, sizeof err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (store_webhook_add(s, hook, "scan.completed", "0123456789abcdef0123", "info", &id) != STORE_OK)
		return fprintf(stderr, "%s\n", store_error(s)), 1;
	for (long i = 0; i < n; i++)
		if (store_webhook_test(s, id, uuid) != STORE_OK)
			return fprintf(stderr, "%s\n", store_error(s)), 1;
	t0 = now_s();
	for (int i = 0; i < senders; i++) {
		char name[32];

		snprintf(name, sizeof name, "bench-%d", i);
		ws[i] = webhook_sender_start(url, name);
	}
	while (c.webhook_delivered < n) {
		usleep(20000);
		if (store_counters(s, &c) != STORE_OK)
			return fprintf(stderr, "%s\n", store_error(s)), 1;
		if (now_s() - t0 > 600)
			return fprintf(stderr, "timed out: %lld of %ld\n", (long long)c.webhook_delivered, n), 1;
	}
	t0 = now_s() - t0;
	for (int i = 0; i < senders; i++)
		webhook_sender_stop(ws[i]);
	printf("%ld deliveries, %d sender%s: %.2f s, %.0f deliveries/s (%lld retried)\n", n, senders,
	       senders == 1 ? "" : "s", t0, (double)n / t0, (long long)c.webhook_retried);
	store_close(s);
	MHD_stop_daemon(d);
	return 0;
}
