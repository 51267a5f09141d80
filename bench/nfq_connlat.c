/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Connect latency through the gateway: N sequential connections, each a
 * blocking TCP connect, one HTTP/1.1 GET with "Connection: close", the
 * response read to the end, close. Two times per connection, from the
 * connect() call:
 *   connect   until connect() returns (SYN out, SYN-ACK back)
 *   first     until the first byte of the response arrived (the request
 *             went through whatever inspects it)
 * Prints one line:
 *   n N fails F connect_p50_us X connect_p99_us X first_p50_us X first_p99_us X
 *
 * Usage: nfq_connlat ADDR PORT PATH N [--warm K]
 *   ADDR   IPv4 or IPv6 literal; --warm K: K connections first, not counted
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The value at quantile q of n sorted numbers (nearest rank). */
static double quantile(const double *v, size_t n, double q)
{
	size_t i = (size_t)(q * (double)n);

	if (n == 0)
		return 0;
	if (i >= n)
		i = n - 1;
	return v[i];
}

/* One connection; 0 and the two times, or -1 (the step that failed on stderr, once). */
static int one_conn(const struct sockaddr_storage *ss, socklen_t sl, const char *req, size_t reqlen,
		    double *t_conn, double *t_first)
{
	char buf[16384];
	double t0, t1, t2 = 0;
	bool got = false;
	int fd, one = 1;
	ssize_t n;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* a flow that stalls fails after 3 s instead of hanging the benchmark */
	struct timeval tv = {3, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	t0 = now_us();
	if (connect(fd, (const struct sockaddr *)ss, sl) < 0) {
		close(fd);
		return -1;
	}
	t1 = now_us();
	if (write(fd, req, reqlen) != (ssize_t)reqlen) {
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (!got) {
			t2 = now_us();
			got = true;
		}
	}
	close(fd);
	if (n < 0 || !got)
		return -1;
	*t_conn = t1 - t0;
	*t_first = t2 - t0;
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	unsigned long n, warm = 0, fails = 0, got = 0;
	double *tc, *tf;
	char req[1024];
	int reqlen;

	if (argc != 5 && !(argc == 7 && !strcmp(argv[5], "--warm"))) {
		fprintf(stderr, "usage: %s ADDR PORT PATH N [--warm K]\n", argv[0]);
		return 2;
	}
	n = strtoul(argv[4], NULL, 10);
	if (argc == 7)
		warm = strtoul(argv[6], NULL, 10);
	if (n == 0 || n > 10000000) {
		fprintf(stderr, "nfq_connlat: N must be 1..10000000\n");
		return 2;
	}
	memset(&ss, 0, sizeof(ss));
	unsigned long port = strtoul(argv[2], NULL, 10);
	if (port == 0 || port > 65535) {
		fprintf(stderr, "nfq_connlat: bad port %s\n", argv[2]);
		return 2;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, argv[1], &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, argv[1], &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		sl = sizeof(*s6);
	} else {
		fprintf(stderr, "nfq_connlat: %s is not an address literal\n", argv[1]);
		return 2;
	}
	reqlen = snprintf(req, sizeof(req),
			  "GET %s HTTP/1.1\r\nHost: bench.test\r\nUser-Agent: nfq_connlat\r\n"
			  "Accept: */*\r\nConnection: close\r\n\r\n",
			  argv[3]);
	if (reqlen < 0 || (size_t)reqlen >= sizeof(req)) {
		fprintf(stderr, "nfq_connlat: path too long\n");
		return 2;
	}
	tc = calloc(n, sizeof(*tc));
	tf = calloc(n, sizeof(*tf));
	if (!tc || !tf) {
		fprintf(stderr, "nfq_connlat: out of memory\n");
		return 1;
	}
	for (unsigned long i = 0; i < warm; i++) {
		double a, b;

		one_conn(&ss, sl, req, (size_t)reqlen, &a, &b);
	}
	for (unsigned long i = 0; i < n; i++) {
		if (one_conn(&ss, sl, req, (size_t)reqlen, &tc[got], &tf[got]) == 0)
			got++;
		else if (fails++ == 0)
			fprintf(stderr, "nfq_connlat: connection %lu failed: %s\n", i,
				strerror(errno));
	}
	qsort(tc, got, sizeof(*tc), cmp_double);
	qsort(tf, got, sizeof(*tf), cmp_double);
	printf("n %lu fails %lu connect_p50_us %.1f connect_p99_us %.1f first_p50_us %.1f "
	       "first_p99_us %.1f\n",
	       got, fails, quantile(tc, got, 0.5), quantile(tc, got, 0.99), quantile(tf, got, 0.5),
	       quantile(tf, got, 0.99));
	free(tc);
	free(tf);
	return got ? 0 : 1;
}
