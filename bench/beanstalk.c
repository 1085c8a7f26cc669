/*
 * bench/beanstalk.c — the peer side of bench/peer-beanstalkd.sh: drives a
 * beanstalkd on loopback the way bench/queue drives scanq's store.  Puts N
 * jobs, then drains them: reserve and delete, BATCH requests written before
 * their answers are read (beanstalkd answers in order), which is the most a
 * client can ask of one connection; a worker reserving one job at a time is
 * slower.  Prints "put: R jobs/s" and "reserve+delete: R jobs/s".
 *
 *   build/bench/beanstalk PORT [N [BATCH]]       (defaults 100000 100)
 *
 * The protocol is beanstalkd's text protocol (doc/protocol.txt of its
 * source): "put <pri> <delay> <ttr> <bytes>\r\n<data>\r\n" -> "INSERTED <id>",
 * "reserve-with-timeout 0" -> "RESERVED <id> <bytes>\r\n<data>\r\n",
 * "delete <id>" -> "DELETED".  Loopback only.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int fd;
static char in[1 << 16];
static size_t in_len;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "beanstalk: %s\n", what);
	exit(1);
}

static void send_all(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t k = write(fd, buf, len);

		if (k <= 0)
			die("write failed");
		buf += k;
		len -= (size_t)k;
	}
}

/* One "\r\n"-ended line of the answer into line (without the ending). */
static void read_line(char *line, size_t cap)
{
	for (;;) {
		char *end = memmem(in, in_len, "\r\n", 2);

		if (end) {
			size_t n = (size_t)(end - in);

			if (n >= cap)
				die("answer line too long");
			memcpy(line, in, n);
			line[n] = '\0';
			memmove(in, end + 2, in_len - n - 2);
			in_len -= n + 2;
			return;
		}
		if (in_len == sizeof in)
			die("answer too long");
		ssize_t k = read(fd, in + in_len, sizeof in - in_len);
		if (k <= 0)
			die("connection closed");
		in_len += (size_t)k;
	}
}

int main(int argc, char **argv)
{
	int port = argc > 1 ? atoi(argv[1]) : 0;
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 100000;
	long batch = argc > 3 ? strtol(argv[3], NULL, 10) : 100;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	char line[256], out[64 * 1024];
	long *ids = calloc((size_t)batch, sizeof *ids);
	int one = 1;
	double t0;

	if (port <= 0 || port > 65535 || n < 1 || batch < 1 || batch > 500 || !ids)
		die("usage: beanstalk PORT [N [BATCH(1..500)]]");
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		die("cannot connect to 127.0.0.1");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

	t0 = now_s();
	for (long done = 0; done < n;) {
		long k = n - done < batch ? n - done : batch;
		size_t len = 0;

		for (long i = 0; i < k; i++)
			len += (size_t)snprintf(out + len, sizeof out - len,
						"put 1024 0 60 2\r\n{}\r\n");
		send_all(out, len);
		for (long i = 0; i < k; i++) {
			read_line(line, sizeof line);
			if (strncmp(line, "INSERTED ", 9) != 0)
				die(line);
		}
		done += k;
	}
	printf("put:            %8.0f jobs/s\n", n / (now_s() - t0));

	t0 = now_s();
	for (long done = 0; done < n;) {
		long k = n - done < batch ? n - done : batch;
		size_t len = 0;

		for (long i = 0; i < k; i++)
			len += (size_t)snprintf(out + len, sizeof out - len, "reserve-with-timeout 0\r\n");
		send_all(out, len);
		for (long i = 0; i < k; i++) {
			read_line(line, sizeof line);
			if (sscanf(line, "RESERVED %ld", &ids[i]) != 1)
				die(line);
			read_line(line, sizeof line);	/* the job's body */
		}
		len = 0;
		for (long i = 0; i < k; i++)
			len += (size_t)snprintf(out + len, sizeof out - len, "delete %ld\r\n", ids[i]);
		send_all(out, len);
		for (long i = 0; i < k; i++) {
			read_line(line, sizeof line);
			if (strcmp(line, "DELETED") != 0)
				die(line);
		}
		done += k;
	}
	printf("reserve+delete: %8.0f jobs/s\n", n / (now_s() - t0));
	free(ids);
	close(fd);
	return 0;
}
