/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fz_metrics: latency buckets, the exact Prometheus text for a sample
 * (counters summed over shards, cumulative histogram, gauges, hit ratio),
 * -ENOSPC, and the /metrics server on 127.0.0.1:0 (200 with the text, 404
 * otherwise, a silent client does not block it for long, stop is prompt).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fz_metrics.h"
#include "fz_test.h"

/* Is `line` (without '\n') one whole line of `text`? */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len == n && memcmp(p, line, n) == 0)
			return true;
		p = nl ? nl + 1 : NULL;
	}
	return false;
}

#define CHECK_LINE(text, line)                                                                     \
	do {                                                                                       \
		bool ok_ = has_line(text, line);                                                   \
		CHECK(ok_);                                                                        \
		if (!ok_)                                                                          \
			fprintf(stderr, "  missing line: %s\n", line);                             \
	} while (0)

static void test_buckets(void)
{
	struct fz_metrics_shard s;
	/* Each value on a bound goes in that bucket (le), just above it in the next. */
	static const double v[] = {0,	 0.5, 0.51, 1,	   1.5, 2,    5,    9.99,    20,
				   20.5, 50,  100,  200.1, 500, 1000, 2000, 2000.01, 1e9};
	static const int want[FZ_METRICS_LAT_BUCKETS + 1] = {2, 2, 2, 1, 1, 1, 2, 1, 0, 2, 1, 1, 2};

	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		fz_metrics_observe_latency(&s, v[i]);
	for (int b = 0; b <= FZ_METRICS_LAT_BUCKETS; b++) {
		if ((int)s.lat_bucket[b] != want[b])
			fprintf(stderr, "bucket %d\n", b);
		CHECK_INT(s.lat_bucket[b], want[b]);
	}
	CHECK_INT(s.lat_count, 18);
	/* Negative and NaN are counted as 0 ms. */
	memset(&s, 0, sizeof(s));
	fz_metrics_observe_latency(&s, -3);
	fz_metrics_observe_latency(&s, 0.0 / 0.0);
	CHECK_INT(s.lat_bucket[0], 2);
	CHECK(s.lat_sum_ms == 0);
}

static const char sample_text[] =
    "# HELP fangzha_dns_queries_total Queries received (UDP and TCP).\n"
    "# TYPE fangzha_dns_queries_total counter\n"
    "fangzha_dns_queries_total 15\n"
    "# HELP fangzha_dns_queries_tcp_total Queries received over TCP.\n"
    "# TYPE fangzha_dns_queries_tcp_total counter\n"
    "fangzha_dns_queries_tcp_total 2\n"
    "# HELP fangzha_dns_blocked_total Queries answered by policy, by what was listed: the name, "
    "a name in the CNAME chain, an answer address.\n"
    "# TYPE fangzha_dns_blocked_total counter\n"
    "fangzha_dns_blocked_total{reason=\"name\"} 3\n"
    "fangzha_dns_blocked_total{reason=\"cname\"} 1\n"
    "fangzha_dns_blocked_total{reason=\"ip\"} 0\n"
    "# HELP fangzha_dns_allowed_total Queries an allow rule let through.\n"
    "# TYPE fangzha_dns_allowed_total counter\n"
    "fangzha_dns_allowed_total 0\n"
    "# HELP fangzha_dns_cache_hits_total Queries answered from the cache.\n"
    "# TYPE fangzha_dns_cache_hits_total counter\n"
    "fangzha_dns_cache_hits_total 6\n"
    "# HELP fangzha_dns_cache_misses_total Cache lookups that found nothing.\n"
    "# TYPE fangzha_dns_cache_misses_total counter\n"
    "fangzha_dns_cache_misses_total 2\n"
    "# HELP fangzha_dns_forwarded_total Queries sent upstream (coalesced ones count once).\n"
    "# TYPE fangzha_dns_forwarded_total counter\n"
    "fangzha_dns_forwarded_total 2\n"
    "# HELP fangzha_dns_coalesced_total Queries that joined an identical one in flight.\n"
    "# TYPE fangzha_dns_coalesced_total counter\n"
    "fangzha_dns_coalesced_total 0\n"
    "# HELP fangzha_dns_upstream_timeouts_total Upstream attempts that timed out.\n"
    "# TYPE fangzha_dns_upstream_timeouts_total counter\n"
    "fangzha_dns_upstream_timeouts_total 0\n"
    "# HELP fangzha_dns_upstream_tcp_total Upstream queries retried over TCP after a truncated "
    "answer.\n"
    "# TYPE fangzha_dns_upstream_tcp_total counter\n"
    "fangzha_dns_upstream_tcp_total 0\n"
    "# HELP fangzha_dns_servfail_total SERVFAIL answers sent.\n"
    "# TYPE fangzha_dns_servfail_total counter\n"
    "fangzha_dns_servfail_total 0\n"
    "# HELP fangzha_dns_refused_total Queries from clients outside the allowed networks.\n"
    "# TYPE fangzha_dns_refused_total counter\n"
    "fangzha_dns_refused_total 0\n"
    "# HELP fangzha_dns_ratelimited_total Queries not answered because of the response rate "
    "limit.\n"
    "# TYPE fangzha_dns_ratelimited_total counter\n"
    "fangzha_dns_ratelimited_total 0\n"
    "# HELP fangzha_dns_formerr_total Malformed queries answered with FORMERR.\n"
    "# TYPE fangzha_dns_formerr_total counter\n"
    "fangzha_dns_formerr_total 0\n"
    "# HELP fangzha_dns_dropped_total Queries dropped without an answer.\n"
    "# TYPE fangzha_dns_dropped_total counter\n"
    "fangzha_dns_dropped_total 7\n"
    "# HELP fangzha_dns_upstream_latency_seconds Time from sending a query upstream to its "
    "answer.\n"
    "# TYPE fangzha_dns_upstream_latency_seconds histogram\n"
    "fangzha_dns_upstream_latency_seconds_bucket{le=\"0.0005\"} 0\n"
    "fangzha_dns_upstream_latency_seconds_bucket{le=\"0.001\"} 1\n"
    "fangzha_dns_upstream_latency_seconds_bucket{le=\"0.002\"} 1\n"
    "fangzha_dns_upstream_latency_seconds_bucket{le=\"0.005\"} 1\n"
    "fangzha_dns_upstream_latency_seconds_bucket{le=\"0.01\"} 1\n"
    "fangzha_dns_upstream_latency_seconds_bucket{le=\"0.02\"} 3\n"
    "fangzha_dns_upstream_latency_seconds_bucket{le=\"0.05\"} 3\n"
    "fangzha_dns_upstream_latency_seconds_bucket{le=\"0.1\"} 3\n"
    "fangzha_dns_upstream_latency_seconds_bucket{le=\"0.2\"} 3\n"
    "fangzha_dns_upstream_latency_seconds_bucket{le=\"0.5\"} 3\n"
    "fangzha_dns_upstream_latency_seconds_bucket{le=\"1\"} 3\n"
    "fangzha_dns_upstream_latency_seconds_bucket{le=\"2\"} 3\n"
    "fangzha_dns_upstream_latency_seconds_bucket{le=\"+Inf\"} 4\n"
    "fangzha_dns_upstream_latency_seconds_sum 3.0325\n"
    "fangzha_dns_upstream_latency_seconds_count 4\n"
    "# HELP fangzha_blocklist_generation Generation of the blocklist in use.\n"
    "# TYPE fangzha_blocklist_generation gauge\n"
    "fangzha_blocklist_generation 42\n"
    "# HELP fangzha_blocklist_names Names in the blocklist in use.\n"
    "# TYPE fangzha_blocklist_names gauge\n"
    "fangzha_blocklist_names 1000000\n"
    "# HELP fangzha_dns_cache_entries Answers in the cache.\n"
    "# TYPE fangzha_dns_cache_entries gauge\n"
    "fangzha_dns_cache_entries 5\n"
    "# HELP fangzha_dns_cache_bytes Memory the cache holds.\n"
    "# TYPE fangzha_dns_cache_bytes gauge\n"
    "fangzha_dns_cache_bytes 4096\n"
    "# HELP fangzha_dns_upstreams_up Upstreams currently considered healthy.\n"
    "# TYPE fangzha_dns_upstreams_up gauge\n"
    "fangzha_dns_upstreams_up 2\n"
    "# HELP fangzha_dns_cache_hit_ratio Cache hits over cache lookups since start.\n"
    "# TYPE fangzha_dns_cache_hit_ratio gauge\n"
    "fangzha_dns_cache_hit_ratio 0.75\n";

/* Two shards whose sums are the sample above. */
static void fill_sample(struct fz_metrics_shard sh[2])
{
	memset(sh, 0, 2 * sizeof(sh[0]));
	for (int i = 0; i < 10; i++)
		fz_metrics_inc(&sh[0], FZ_M_QUERIES);
	for (int i = 0; i < 5; i++)
		fz_metrics_inc(&sh[1], FZ_M_QUERIES);
	fz_metrics_inc(&sh[0], FZ_M_QUERIES_TCP);
	fz_metrics_inc(&sh[1], FZ_M_QUERIES_TCP);
	fz_metrics_inc(&sh[0], FZ_M_BLOCKED);
	fz_metrics_inc(&sh[1], FZ_M_BLOCKED);
	fz_metrics_inc(&sh[1], FZ_M_BLOCKED);
	fz_metrics_inc(&sh[1], FZ_M_BLOCKED_CNAME);
	for (int i = 0; i < 3; i++) {
		fz_metrics_inc(&sh[0], FZ_M_CACHE_HITS);
		fz_metrics_inc(&sh[1], FZ_M_CACHE_HITS);
	}
	fz_metrics_inc(&sh[0], FZ_M_CACHE_MISSES);
	fz_metrics_inc(&sh[1], FZ_M_CACHE_MISSES);
	fz_metrics_inc(&sh[0], FZ_M_FORWARDED);
	fz_metrics_inc(&sh[1], FZ_M_FORWARDED);
	for (int i = 0; i < 7; i++)
		fz_metrics_inc(&sh[i & 1], FZ_M_DROPPED);
	fz_metrics_observe_latency(&sh[0], 1);	  /* le 0.001 */
	fz_metrics_observe_latency(&sh[0], 15);	  /* le 0.02 */
	fz_metrics_observe_latency(&sh[1], 16.5); /* le 0.02 */
	fz_metrics_observe_latency(&sh[1], 3000); /* +Inf */
}

static const struct fz_metrics_gauges sample_gauges = {
    .generation = 42, .names = 1000000, .cache_entries = 5, .cache_bytes = 4096, .upstreams_up = 2};

static void test_render(void)
{
	struct fz_metrics_shard sh[2];
	static char buf[16384];
	int n;

	fill_sample(sh);
	n = fz_metrics_render(sh, 2, &sample_gauges, buf, sizeof(buf));
	CHECK_INT(n, strlen(sample_text));
	CHECK_STR(buf, sample_text);
	if (n > 0 && strcmp(buf, sample_text) != 0)
		fprintf(stderr, "got:\n%s\n", buf);

	/* Exactly the room for the text and its NUL; one byte less is -ENOSPC. */
	CHECK_INT(fz_metrics_render(sh, 2, &sample_gauges, buf, strlen(sample_text) + 1),
		  strlen(sample_text));
	CHECK_INT(fz_metrics_render(sh, 2, &sample_gauges, buf, strlen(sample_text)), -ENOSPC);
	CHECK_INT(fz_metrics_render(sh, 2, &sample_gauges, buf, 100), -ENOSPC);

	/* No shards, no gauges: zeros, a ratio of 0 with no lookups. */
	n = fz_metrics_render(NULL, 0, NULL, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK_LINE(buf, "fangzha_dns_queries_total 0");
	CHECK_LINE(buf, "fangzha_dns_upstream_latency_seconds_bucket{le=\"+Inf\"} 0");
	CHECK_LINE(buf, "fangzha_dns_upstream_latency_seconds_sum 0");
	CHECK_LINE(buf, "fangzha_dns_cache_hit_ratio 0");
	CHECK_LINE(buf, "fangzha_blocklist_generation 0");

	/* Big counters print whole. */
	memset(sh, 0, sizeof(sh));
	sh[0].c[FZ_M_QUERIES] = UINT64_MAX - 1;
	sh[0].c[FZ_M_CACHE_HITS] = 1;
	sh[0].c[FZ_M_CACHE_MISSES] = 2;
	n = fz_metrics_render(sh, 1, NULL, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK_LINE(buf, "fangzha_dns_queries_total 18446744073709551614");
	CHECK_LINE(buf, "fangzha_dns_cache_hit_ratio 0.333333");
}

/* Histogram counts are cumulative and end at _count, whatever the spread. */
static void test_cumulative(void)
{
	struct fz_metrics_shard sh[3];
	static char buf[16384];
	unsigned long long prev = 0, v, count = 0;
	const char *p;
	int buckets = 0;

	memset(sh, 0, sizeof(sh));
	for (int i = 0; i < 3000; i++)
		fz_metrics_observe_latency(&sh[i % 3], (double)((i * 7919) % 4000) / 1.5);
	CHECK(fz_metrics_render(sh, 3, NULL, buf, sizeof(buf)) > 0);
	for (p = buf; (p = strstr(p, "_bucket{le=\"")) != NULL; p++) {
		const char *sp = strchr(p, ' ');

		v = strtoull(sp + 1, NULL, 10);
		CHECK(v >= prev);
		prev = v;
		buckets++;
	}
	CHECK_INT(buckets, FZ_METRICS_LAT_BUCKETS + 1);
	CHECK_INT(prev, 3000);
	p = strstr(buf, "fangzha_dns_upstream_latency_seconds_count ");
	if (p)
		count =
		    strtoull(p + strlen("fangzha_dns_upstream_latency_seconds_count "), NULL, 10);
	CHECK_INT(count, 3000);
}

/* --- the server -------------------------------------------------------------- */

static int gauge_calls;

static void gauges_cb(struct fz_metrics_gauges *g, void *userdata)
{
	*g = *(const struct fz_metrics_gauges *)userdata;
	__atomic_fetch_add(&gauge_calls, 1, __ATOMIC_SEQ_CST);
}

static int connect_to(int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send `req`, read the answer to EOF (at most 5 s). Returns its length. */
static size_t fetch(int port, const char *req, char *buf, size_t cap)
{
	int fd = connect_to(port);
	size_t len = 0;

	buf[0] = '\0';
	CHECK(fd >= 0);
	if (fd < 0)
		return 0;
	if (*req)
		CHECK(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
	while (len < cap - 1) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t got;

		if (poll(&p, 1, 5000) <= 0)
			break;
		got = read(fd, buf + len, cap - 1 - len);
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	buf[len] = '\0';
	close(fd);
	return len;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_server(void)
{
	struct fz_metrics_shard sh[2];
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct fz_metrics_server *srv = NULL;
	static char buf[32768];
	char want_head[256];
	const char *body;
	int port, silent;
	double t;

	fill_sample(sh);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK_INT(fz_metrics_server_start((struct sockaddr *)&sin, sizeof(sin), sh, 2, gauges_cb,
					  (void *)&sample_gauges, &srv),
		  0);
	if (!srv)
		return;
	port = fz_metrics_server_port(srv);
	CHECK(port > 0 && port <= 65535);

	fetch(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n", buf, sizeof(buf));
	snprintf(want_head, sizeof(want_head),
		 "HTTP/1.0 200 OK\r\n"
		 "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
		 "Content-Length: %zu\r\n"
		 "Connection: close\r\n"
		 "\r\n",
		 strlen(sample_text));
	CHECK(strncmp(buf, want_head, strlen(want_head)) == 0);
	body = strstr(buf, "\r\n\r\n");
	CHECK(body && strcmp(body + 4, sample_text) == 0);
	CHECK_INT(__atomic_load_n(&gauge_calls, __ATOMIC_SEQ_CST), 1);

	/* Counters move between scrapes. */
	fz_metrics_inc(&sh[1], FZ_M_REFUSED);
	fetch(port, "GET /metrics?x=1 HTTP/1.0\n\n", buf, sizeof(buf));
	CHECK(strncmp(buf, "HTTP/1.0 200 OK\r\n", 17) == 0);
	CHECK_LINE(buf, "fangzha_dns_refused_total 1");

	/* Anything else: 404. */
	fetch(port, "GET / HTTP/1.0\r\n\r\n", buf, sizeof(buf));
	CHECK(strncmp(buf, "HTTP/1.0 404 Not Found\r\n", 24) == 0);
	fetch(port, "GET /metricsx HTTP/1.0\r\n\r\n", buf, sizeof(buf));
	CHECK(strncmp(buf, "HTTP/1.0 404 Not Found\r\n", 24) == 0);
	fetch(port, "POST /metrics HTTP/1.0\r\n\r\n", buf, sizeof(buf));
	CHECK(strncmp(buf, "HTTP/1.0 404 Not Found\r\n", 24) == 0);
	fetch(port, "GET /metrics\r\n\r\n", buf, sizeof(buf));
	CHECK(strncmp(buf, "HTTP/1.0 404 Not Found\r\n", 24) == 0);
	CHECK_INT(__atomic_load_n(&gauge_calls, __ATOMIC_SEQ_CST), 2);

	/* A request head larger than 4 KiB gets an answer too (its first line decides). */
	{
		static char big[6000];

		memset(big, 'a', sizeof(big) - 1);
		memcpy(big, "GET /metrics HTTP/1.0\r\nX: ", 26);
		fetch(port, big, buf, sizeof(buf));
		CHECK(strncmp(buf, "HTTP/1.0 200 OK\r\n", 17) == 0);
	}

	/* A request line without the blank line after it is answered after the read timeout. */
	t = now_s();
	fetch(port, "GET /metrics HTTP/1.0\r\n", buf, sizeof(buf));
	CHECK(strncmp(buf, "HTTP/1.0 200 OK\r\n", 17) == 0);
	CHECK(now_s() - t < 3.0);

	/* A client that says nothing is dropped after the read timeout; the next is served. */
	silent = connect_to(port);
	CHECK(silent >= 0);
	t = now_s();
	fetch(port, "GET /metrics HTTP/1.0\r\n\r\n", buf, sizeof(buf));
	CHECK(strncmp(buf, "HTTP/1.0 200 OK\r\n", 17) == 0);
	CHECK(now_s() - t < 4.0);
	if (silent >= 0) {
		/* The server closed it: EOF. */
		char c;
		struct pollfd p = {.fd = silent, .events = POLLIN};

		CHECK(poll(&p, 1, 3000) == 1 && read(silent, &c, 1) == 0);
		close(silent);
	}

	/* Stop is prompt even with a client connected and silent. */
	silent = connect_to(port);
	usleep(50000);
	t = now_s();
	fz_metrics_server_stop(srv);
	CHECK(now_s() - t < 0.5);
	if (silent >= 0)
		close(silent);
	/* The port is free again (SO_REUSEADDR), and nothing listens on it. */
	CHECK(connect_to(port) < 0);
	sin.sin_port = htons((uint16_t)port);
	srv = NULL;
	CHECK_INT(
	    fz_metrics_server_start((struct sockaddr *)&sin, sizeof(sin), sh, 2, NULL, NULL, &srv),
	    0);
	if (srv) {
		CHECK_INT(fz_metrics_server_port(srv), port);
		fetch(port, "GET /metrics HTTP/1.0\r\n\r\n", buf, sizeof(buf));
		CHECK_LINE(buf, "fangzha_blocklist_generation 0"); /* no callback: zeros */
		fz_metrics_server_stop(srv);
	}
}

static void test_server_errors(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct fz_metrics_server *a = NULL, *b = NULL;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK_INT(
	    fz_metrics_server_start((struct sockaddr *)&sin, sizeof(sin), NULL, 0, NULL, NULL, &a),
	    0);
	if (!a)
		return;
	/* The same port twice: EADDRINUSE. */
	sin.sin_port = htons((uint16_t)fz_metrics_server_port(a));
	CHECK_INT(
	    fz_metrics_server_start((struct sockaddr *)&sin, sizeof(sin), NULL, 0, NULL, NULL, &b),
	    -EADDRINUSE);
	CHECK(b == NULL);
	fz_metrics_server_stop(a);
	/* IPv6 loopback, when the machine has it. */
	a = NULL;
	if (fz_metrics_server_start((struct sockaddr *)&sin6, sizeof(sin6), NULL, 0, NULL, NULL,
				    &a) == 0) {
		CHECK(fz_metrics_server_port(a) > 0);
		fz_metrics_server_stop(a);
	}
	/* Not an internet address. */
	sin.sin_family = AF_UNIX;
	CHECK_INT(
	    fz_metrics_server_start((struct sockaddr *)&sin, sizeof(sin), NULL, 0, NULL, NULL, &b),
	    -EINVAL);
	fz_metrics_server_stop(NULL);
	CHECK_INT(fz_metrics_server_port(NULL), -EINVAL);
}

/* Workers adding while a scrape renders: totals are exact afterwards. */
struct adder {
	struct fz_metrics_shard *s;
};

static void *adder_main(void *arg)
{
	struct adder *a = arg;

	for (int i = 0; i < 100000; i++) {
		fz_metrics_inc(a->s, FZ_M_QUERIES);
		if (i % 10 == 0)
			fz_metrics_observe_latency(a->s, 1.0);
	}
	return NULL;
}

static void test_concurrent(void)
{
	static struct fz_metrics_shard sh[2];
	struct adder ad[2] = {{&sh[0]}, {&sh[1]}};
	pthread_t th[2];
	static char buf[16384];

	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, adder_main, &ad[i]);
	for (int i = 0; i < 20; i++)
		CHECK(fz_metrics_render(sh, 2, NULL, buf, sizeof(buf)) > 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK(fz_metrics_render(sh, 2, NULL, buf, sizeof(buf)) > 0);
	CHECK_LINE(buf, "fangzha_dns_queries_total 200000");
	CHECK_LINE(buf, "fangzha_dns_upstream_latency_seconds_count 20000");
	CHECK_LINE(buf, "fangzha_dns_upstream_latency_seconds_sum 20");
}

int main(void)
{
	test_buckets();
	test_render();
	test_cumulative();
	test_server();
	test_server_errors();
	test_concurrent();
	return fz_test_done();
}
