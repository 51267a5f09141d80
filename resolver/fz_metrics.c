/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Counters and the upstream latency histogram, one shard per worker:
 * each worker adds to its own shard only (relaxed atomics, so a scrape
 * reads whole values), and a scrape sums the shards. The text is the
 * Prometheus exposition format 0.0.4. The server is one thread that takes
 * one connection at a time: read the request head (bounded, with a
 * deadline), answer, close; a stop is an eventfd it polls with the
 * listening socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fz_metrics.h"

#define REQUEST_MAX	 4096
#define READ_TIMEOUT_MS	 1000
#define WRITE_TIMEOUT_MS 2000
#define DRAIN_TIMEOUT_MS 200
#define BODY_MAX	 16384

/* Upper bounds of the latency buckets: in ms for observing, in seconds for `le`. */
static const double bucket_ms[FZ_METRICS_LAT_BUCKETS] = {0.5, 1,   2,	5,   10,   20,
							 50,  100, 200, 500, 1000, 2000};
static const char *const bucket_le[FZ_METRICS_LAT_BUCKETS + 1] = {
    "0.0005", "0.001", "0.002", "0.005", "0.01", "0.02", "0.05",
    "0.1",    "0.2",   "0.5",	"1",	 "2",	 "+Inf"};

void fz_metrics_observe_latency(struct fz_metrics_shard *s, double ms)
{
	size_t b = FZ_METRICS_LAT_BUCKETS;
	double sum;

	if (!(ms >= 0)) /* negative or NaN: a clock step, counted as 0 */
		ms = 0;
	for (size_t i = 0; i < FZ_METRICS_LAT_BUCKETS; i++) {
		if (ms <= bucket_ms[i]) {
			b = i;
			break;
		}
	}
	__atomic_fetch_add(&s->lat_bucket[b], 1, __ATOMIC_RELAXED);
	/* One writer per shard: load, add, store keeps the sum whole for readers. */
	__atomic_load(&s->lat_sum_ms, &sum, __ATOMIC_RELAXED);
	sum += ms;
	__atomic_store(&s->lat_sum_ms, &sum, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->lat_count, 1, __ATOMIC_RELAXED);
}

/* --- rendering ------------------------------------------------------------- */

void fz_prom_say(struct fz_prom *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->full = true;
		return;
	}
	o->len += (size_t)n;
}

void fz_prom_family(struct fz_prom *o, const char *name, const char *type, const char *help)
{
	fz_prom_say(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void fz_prom_counter(struct fz_prom *o, const char *name, const char *help, uint64_t v)
{
	fz_prom_family(o, name, "counter", help);
	fz_prom_say(o, "%s %llu\n", name, (unsigned long long)v);
}

void fz_prom_gauge(struct fz_prom *o, const char *name, const char *help, uint64_t v)
{
	fz_prom_family(o, name, "gauge", help);
	fz_prom_say(o, "%s %llu\n", name, (unsigned long long)v);
}

/* The plain counters, in the order they are printed. */
static const struct {
	enum fz_metric m;
	const char *name, *help;
} counters[] = {
    {FZ_M_QUERIES, "fangzha_dns_queries_total", "Queries received (UDP and TCP)."},
    {FZ_M_QUERIES_TCP, "fangzha_dns_queries_tcp_total", "Queries received over TCP."},
    {FZ_M_ALLOWED, "fangzha_dns_allowed_total", "Queries an allow rule let through."},
    {FZ_M_CACHE_HITS, "fangzha_dns_cache_hits_total", "Queries answered from the cache."},
    {FZ_M_CACHE_MISSES, "fangzha_dns_cache_misses_total", "Cache lookups that found nothing."},
    {FZ_M_FORWARDED, "fangzha_dns_forwarded_total",
     "Queries sent upstream (coalesced ones count once)."},
    {FZ_M_COALESCED, "fangzha_dns_coalesced_total",
     "Queries that joined an identical one in flight."},
    {FZ_M_UPSTREAM_TIMEOUTS, "fangzha_dns_upstream_timeouts_total",
     "Upstream attempts that timed out."},
    {FZ_M_UPSTREAM_TCP, "fangzha_dns_upstream_tcp_total",
     "Upstream queries retried over TCP after a truncated answer."},
    {FZ_M_SERVFAIL, "fangzha_dns_servfail_total", "SERVFAIL answers sent."},
    {FZ_M_REFUSED, "fangzha_dns_refused_total",
     "Queries from clients outside the allowed networks."},
    {FZ_M_RATELIMITED, "fangzha_dns_ratelimited_total",
     "Queries not answered because of the response rate limit."},
    {FZ_M_FORMERR, "fangzha_dns_formerr_total", "Malformed queries answered with FORMERR."},
    {FZ_M_DROPPED, "fangzha_dns_dropped_total", "Queries dropped without an answer."},
};

int fz_metrics_render(const struct fz_metrics_shard *shards, size_t n,
		      const struct fz_metrics_gauges *g, char *buf, size_t cap)
{
	static const struct fz_metrics_gauges zero;
	uint64_t c[FZ_M_COUNT] = {0}, bucket[FZ_METRICS_LAT_BUCKETS + 1] = {0}, cum = 0;
	double sum_ms = 0, ratio = 0;
	struct fz_prom o = {.buf = buf, .cap = cap};

	if (!buf || cap == 0 || (n > 0 && !shards))
		return -EINVAL;
	if (!g)
		g = &zero;
	for (size_t i = 0; i < n; i++) {
		const struct fz_metrics_shard *s = &shards[i];
		double d;

		for (int m = 0; m < FZ_M_COUNT; m++)
			c[m] += __atomic_load_n(&s->c[m], __ATOMIC_RELAXED);
		for (int b = 0; b <= FZ_METRICS_LAT_BUCKETS; b++)
			bucket[b] += __atomic_load_n(&s->lat_bucket[b], __ATOMIC_RELAXED);
		__atomic_load(&s->lat_sum_ms, &d, __ATOMIC_RELAXED);
		sum_ms += d;
	}

	fz_prom_counter(&o, counters[0].name, counters[0].help, c[counters[0].m]);
	fz_prom_counter(&o, counters[1].name, counters[1].help, c[counters[1].m]);
	fz_prom_family(
	    &o, "fangzha_dns_blocked_total", "counter",
	    "Queries answered by policy, by what was listed: the name, a name in the CNAME "
	    "chain, an answer address.");
	fz_prom_say(&o, "fangzha_dns_blocked_total{reason=\"name\"} %llu\n",
		    (unsigned long long)c[FZ_M_BLOCKED]);
	fz_prom_say(&o, "fangzha_dns_blocked_total{reason=\"cname\"} %llu\n",
		    (unsigned long long)c[FZ_M_BLOCKED_CNAME]);
	fz_prom_say(&o, "fangzha_dns_blocked_total{reason=\"ip\"} %llu\n",
		    (unsigned long long)c[FZ_M_BLOCKED_IP]);
	for (size_t i = 2; i < sizeof(counters) / sizeof(counters[0]); i++)
		fz_prom_counter(&o, counters[i].name, counters[i].help, c[counters[i].m]);

	fz_prom_family(&o, "fangzha_dns_upstream_latency_seconds", "histogram",
		       "Time from sending a query upstream to its answer.");
	for (int b = 0; b <= FZ_METRICS_LAT_BUCKETS; b++) {
		cum += bucket[b];
		fz_prom_say(&o, "fangzha_dns_upstream_latency_seconds_bucket{le=\"%s\"} %llu\n",
			    bucket_le[b], (unsigned long long)cum);
	}
	/*
	 * _count is the buckets' total (not lat_count): read while a worker
	 * observes, the two may differ by one, and the +Inf bucket must equal
	 * _count.
	 */
	fz_prom_say(&o, "fangzha_dns_upstream_latency_seconds_sum %.9g\n", sum_ms / 1000.0);
	fz_prom_say(&o, "fangzha_dns_upstream_latency_seconds_count %llu\n",
		    (unsigned long long)cum);

	fz_prom_gauge(&o, "fangzha_blocklist_generation", "Generation of the blocklist in use.",
		      g->generation);
	fz_prom_gauge(&o, "fangzha_blocklist_names", "Names in the blocklist in use.", g->names);
	fz_prom_gauge(&o, "fangzha_dns_cache_entries", "Answers in the cache.", g->cache_entries);
	fz_prom_gauge(&o, "fangzha_dns_cache_bytes", "Memory the cache holds.", g->cache_bytes);
	fz_prom_gauge(&o, "fangzha_dns_upstreams_up", "Upstreams currently considered healthy.",
		      g->upstreams_up);
	if (c[FZ_M_CACHE_HITS] + c[FZ_M_CACHE_MISSES] > 0)
		ratio = (double)c[FZ_M_CACHE_HITS] /
			(double)(c[FZ_M_CACHE_HITS] + c[FZ_M_CACHE_MISSES]);
	fz_prom_family(&o, "fangzha_dns_cache_hit_ratio", "gauge",
		       "Cache hits over cache lookups since start.");
	fz_prom_say(&o, "fangzha_dns_cache_hit_ratio %.6g\n", ratio);

	if (o.full)
		return -ENOSPC;
	return (int)o.len;
}

/* --- the server ------------------------------------------------------------ */

struct fz_metrics_server {
	int lfd, stopfd;
	uint16_t port;
	pthread_t thread;
	const struct fz_metrics_shard *shards;
	size_t n;
	fz_metrics_gauges_cb cb;
	fz_metrics_render_cb render; /* instead of shards + gauges: the caller renders */
	void *userdata;
	char req[REQUEST_MAX + 1];
	char body[BODY_MAX];
	char head[256];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait until `fd` is ready for `events` or the deadline passes; a stop
 * request ends the wait too. 1 ready, 0 timeout or stop, -errno.
 */
static int wait_fd(struct fz_metrics_server *s, int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p[2] = {{.fd = fd, .events = events},
				      {.fd = s->stopfd, .events = POLLIN}};
		int64_t left = deadline - now_ms();
		int r;

		if (left <= 0)
			return 0;
		r = poll(p, 2, (int)left);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[1].revents)
			return 0;
		if (p[0].revents)
			return 1;
	}
}

static bool stopping(struct fz_metrics_server *s)
{
	struct pollfd p = {.fd = s->stopfd, .events = POLLIN};

	return poll(&p, 1, 0) > 0;
}

/* The request head, up to the blank line (or REQUEST_MAX bytes). Length, or -1. */
static ssize_t read_request(struct fz_metrics_server *s, int fd)
{
	int64_t deadline = now_ms() + READ_TIMEOUT_MS;
	size_t len = 0;

	while (len < REQUEST_MAX) {
		ssize_t got;

		if (wait_fd(s, fd, POLLIN, deadline) <= 0) {
			/* Out of time (or stopping): a whole request line is still answered. */
			if (len > 0 && memchr(s->req, '\n', len) && !stopping(s))
				break;
			return -1;
		}
		got = recv(fd, s->req + len, REQUEST_MAX - len, 0);
		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		if (got == 0)
			break;
		len += (size_t)got;
		s->req[len] = '\0';
		if (strstr(s->req, "\r\n\r\n") || strstr(s->req, "\n\n"))
			break;
	}
	s->req[len] = '\0';
	return (ssize_t)len;
}

static void send_all(struct fz_metrics_server *s, int fd, const char *p, size_t n, int64_t deadline)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN && wait_fd(s, fd, POLLOUT, deadline) > 0)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

/* "GET /metrics" or "GET /metrics?..." with an HTTP version after it. */
static bool is_metrics_request(const char *req)
{
	const char *sp;

	if (strncmp(req, "GET /metrics", 12) != 0)
		return false;
	sp = req + 12;
	if (*sp == '?')
		sp += strcspn(sp, " \r\n");
	return *sp == ' ' && strncmp(sp + 1, "HTTP/", 5) == 0;
}

static void serve(struct fz_metrics_server *s, int fd)
{
	static const char not_found[] = "HTTP/1.0 404 Not Found\r\n"
					"Content-Type: text/plain; charset=utf-8\r\n"
					"Content-Length: 10\r\n"
					"Connection: close\r\n"
					"\r\n"
					"not found\n";
	static const char failed[] = "HTTP/1.0 500 Internal Server Error\r\n"
				     "Content-Length: 0\r\n"
				     "Connection: close\r\n"
				     "\r\n";
	int64_t deadline;
	ssize_t len = read_request(s, fd);

	if (len <= 0)
		return;
	deadline = now_ms() + WRITE_TIMEOUT_MS;
	if (!is_metrics_request(s->req)) {
		send_all(s, fd, not_found, sizeof(not_found) - 1, deadline);
	} else {
		struct fz_metrics_gauges g = {0};
		int n, h;

		if (s->render) {
			n = s->render(s->body, sizeof(s->body), s->userdata);
		} else {
			if (s->cb)
				s->cb(&g, s->userdata);
			n = fz_metrics_render(s->shards, s->n, &g, s->body, sizeof(s->body));
		}
		if (n < 0) {
			send_all(s, fd, failed, sizeof(failed) - 1, deadline);
		} else {
			h = snprintf(s->head, sizeof(s->head),
				     "HTTP/1.0 200 OK\r\n"
				     "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
				     "Content-Length: %d\r\n"
				     "Connection: close\r\n"
				     "\r\n",
				     n);
			send_all(s, fd, s->head, (size_t)h, deadline);
			send_all(s, fd, s->body, (size_t)n, deadline);
		}
	}
	/*
	 * Half-close, then read what the client still sends until it closes:
	 * closing with unread bytes would reset the connection and could lose
	 * the answer on its way.
	 */
	shutdown(fd, SHUT_WR);
	deadline = now_ms() + DRAIN_TIMEOUT_MS;
	while (wait_fd(s, fd, POLLIN, deadline) > 0) {
		char sink[512];
		ssize_t got = recv(fd, sink, sizeof(sink), 0);

		if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN))
			break;
	}
}

static void *server_main(void *arg)
{
	struct fz_metrics_server *s = arg;

	for (;;) {
		struct pollfd p[2] = {{.fd = s->lfd, .events = POLLIN},
				      {.fd = s->stopfd, .events = POLLIN}};
		int fd;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			/* EMFILE and the like: do not spin on a connection we cannot take. */
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				usleep(100000);
			continue;
		}
		serve(s, fd);
		close(fd);
	}
	return NULL;
}

static int server_start(const struct sockaddr *sa, socklen_t salen,
			const struct fz_metrics_shard *shards, size_t n, fz_metrics_gauges_cb cb,
			fz_metrics_render_cb render, void *userdata, struct fz_metrics_server **ret)
{
	struct fz_metrics_server *s;
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	sigset_t all, old;
	int one = 1, r;

	if (!sa || !ret || (n > 0 && !shards) ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->shards = shards;
	s->n = n;
	s->cb = cb;
	s->render = render;
	s->userdata = userdata;
	s->stopfd = -1;
	s->lfd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		goto fail;
	if (setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	if (sa->sa_family == AF_INET6 &&
	    setsockopt(s->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail;
	if (bind(s->lfd, sa, salen) < 0 || listen(s->lfd, 16) < 0)
		goto fail;
	if (getsockname(s->lfd, (struct sockaddr *)&bound, &blen) < 0)
		goto fail;
	s->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
						    : ((struct sockaddr_in *)&bound)->sin_port);
	s->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stopfd < 0)
		goto fail;
	/* The thread takes no signals: the daemon handles them on its own thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&s->thread, NULL, server_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		errno = r;
		goto fail;
	}
	*ret = s;
	return 0;
fail:
	r = -errno;
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->stopfd >= 0)
		close(s->stopfd);
	free(s);
	return r;
}

int fz_metrics_server_start(const struct sockaddr *sa, socklen_t salen,
			    const struct fz_metrics_shard *shards, size_t n,
			    fz_metrics_gauges_cb cb, void *userdata, struct fz_metrics_server **ret)
{
	return server_start(sa, salen, shards, n, cb, NULL, userdata, ret);
}

int fz_metrics_server_start_render(const struct sockaddr *sa, socklen_t salen,
				   fz_metrics_render_cb render, void *userdata,
				   struct fz_metrics_server **ret)
{
	if (!render)
		return -EINVAL;
	return server_start(sa, salen, NULL, 0, NULL, render, userdata, ret);
}

void fz_metrics_server_stop(struct fz_metrics_server *s)
{
	uint64_t one = 1;

	if (!s)
		return;
	while (write(s->stopfd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	pthread_join(s->thread, NULL);
	close(s->lfd);
	close(s->stopfd);
	free(s);
}

int fz_metrics_server_port(const struct fz_metrics_server *s)
{
	return s ? s->port : -EINVAL;
}
