/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fetcher: the pure helpers, file:// transfers, and HTTP against two
 * local servers: a small HTTP/1.1 server in this file (a thread on
 * 127.0.0.1, canned responses: validators, 304, 5xx and retries, slow,
 * truncated and reset responses, oversized and gzip bodies, redirects,
 * a proxy), and Python's http.server as an independent implementation
 * (200, 404, If-Modified-Since). No network beyond the loopback.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "fz_config.h"
#include "fz_fetch.h"
#include "fz_test.h"

static char tmpdir[256];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, len, f) != len) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(2);
	}
	fclose(f);
}

/* One request with the test defaults; the result in *res (caller frees). */
static void fetch1(const char *url, struct fz_fetch_req *tmpl, struct fz_fetch_res *res)
{
	struct fz_fetch_req r;

	if (tmpl)
		r = *tmpl;
	else
		memset(&r, 0, sizeof(r));
	r.url = url;
	if (!r.timeout)
		r.timeout = 5;
	if (!r.connect_timeout)
		r.connect_timeout = 2;
	CHECK_INT(fz_fetch_all(&r, res, 1, 1), 0);
}

/* The error strings callers match on, in the test log. */
static void show(const char *what, const struct fz_fetch_res *res)
{
	printf("  %-12s -> %s\n", what, res->error);
}

/* --- pure helpers --- */

static int hl(const char *line, char etag[256], char lm[64])
{
	return fz_fetch_header_line(line, strlen(line), etag, lm);
}

static void test_header_line(void)
{
	char etag[256], lm[64], big[400];

	etag[0] = lm[0] = '\0';
	CHECK_INT(hl("ETag: \"abc\"\r\n", etag, lm), 1);
	CHECK_STR(etag, "\"abc\"");
	CHECK_INT(hl("etag:W/\"x y\"  \t\r\n", etag, lm), 1);
	CHECK_STR(etag, "W/\"x y\"");
	CHECK_INT(hl("Last-Modified: Wed, 21 Oct 2015 07:28:00 GMT\r\n", etag, lm), 1);
	CHECK_STR(lm, "Wed, 21 Oct 2015 07:28:00 GMT");
	CHECK_INT(hl("LAST-MODIFIED:\tThu, 01 Jan 1970 00:00:00 GMT\n", etag, lm), 1);
	CHECK_STR(lm, "Thu, 01 Jan 1970 00:00:00 GMT");
	CHECK_STR(etag, "W/\"x y\"");

	/* Not set: other headers, empty values, control bytes, bad names. */
	CHECK_INT(hl("Content-Type: text/plain\r\n", etag, lm), 0);
	CHECK_INT(hl("ETag:\r\n", etag, lm), 0);
	CHECK_INT(hl("ETag:    \r\n", etag, lm), 0);
	CHECK_INT(hl("ETag: \"a\rb\"\r\n", etag, lm), 0);
	CHECK_INT(hl("ETag: \"a\nb\"\r\n", etag, lm), 0);
	CHECK_INT(hl("ETag: \"a\tb\"\r\n", etag, lm), 0);
	CHECK_INT(hl("ETag: \"a\x7f\"\r\n", etag, lm), 0);
	CHECK_INT(hl("ETag : \"a\"\r\n", etag, lm), 0);
	CHECK_INT(hl(" ETag: \"a\"\r\n", etag, lm), 0);
	CHECK_INT(hl("ETagX: \"a\"\r\n", etag, lm), 0);
	CHECK_INT(hl("HTTP/1.1 200 OK\r\n", etag, lm), 0);
	CHECK_INT(hl("\r\n", etag, lm), 0);
	CHECK_INT(fz_fetch_header_line(NULL, 0, etag, lm), 0);
	CHECK_STR(etag, "W/\"x y\"");
	CHECK_STR(lm, "Thu, 01 Jan 1970 00:00:00 GMT");

	/* Bounded: 255 and 63 bytes fit; one more is refused, not cut. */
	memcpy(big, "ETag: ", 6);
	memset(big + 6, 'e', 255);
	memcpy(big + 6 + 255, "\r\n", 3);
	CHECK_INT(hl(big, etag, lm), 1);
	CHECK_INT(strlen(etag), 255);
	memset(big + 6, 'f', 256);
	memcpy(big + 6 + 256, "\r\n", 3);
	CHECK_INT(hl(big, etag, lm), 0);
	CHECK(etag[0] == 'e');
	memcpy(big, "Last-Modified: ", 15);
	memset(big + 15, 'l', 63);
	memcpy(big + 15 + 63, "\r\n", 3);
	CHECK_INT(hl(big, etag, lm), 1);
	CHECK_INT(strlen(lm), 63);
	memset(big + 15, 'm', 64);
	memcpy(big + 15 + 64, "\r\n", 3);
	CHECK_INT(hl(big, etag, lm), 0);
	CHECK(lm[0] == 'l');

	/* The length is obeyed: the line is not NUL-terminated. */
	CHECK_INT(fz_fetch_header_line("ETag: \"abc\"garbage", 11, etag, lm), 1);
	CHECK_STR(etag, "\"abc\"");
	/* UTF-8 / obs-text is kept as is. */
	CHECK_INT(hl("ETag: \"é\"\r\n", etag, lm), 1);
	CHECK_STR(etag, "\"é\"");
}

static void test_transient(void)
{
	CHECK(fz_fetch_transient(500, 0));
	CHECK(fz_fetch_transient(503, 0));
	CHECK(fz_fetch_transient(599, 0));
	CHECK(fz_fetch_transient(429, 0));
	CHECK(fz_fetch_transient(408, 0));
	CHECK(!fz_fetch_transient(404, 0));
	CHECK(!fz_fetch_transient(403, 0));
	CHECK(!fz_fetch_transient(400, 0));
	CHECK(!fz_fetch_transient(200, 0));
	CHECK(!fz_fetch_transient(304, 0));
	CHECK(!fz_fetch_transient(0, 0));
	CHECK(fz_fetch_transient(0, CURLE_OPERATION_TIMEDOUT));
	CHECK(fz_fetch_transient(0, CURLE_COULDNT_CONNECT));
	CHECK(fz_fetch_transient(0, CURLE_COULDNT_RESOLVE_HOST));
	CHECK(fz_fetch_transient(0, CURLE_RECV_ERROR));
	CHECK(fz_fetch_transient(0, CURLE_SEND_ERROR));
	CHECK(fz_fetch_transient(200, CURLE_PARTIAL_FILE));
	CHECK(fz_fetch_transient(0, CURLE_GOT_NOTHING));
	CHECK(!fz_fetch_transient(0, CURLE_PEER_FAILED_VERIFICATION));
	CHECK(!fz_fetch_transient(200, CURLE_FILESIZE_EXCEEDED));
	CHECK(!fz_fetch_transient(200, CURLE_WRITE_ERROR));
	CHECK(!fz_fetch_transient(0, CURLE_FILE_COULDNT_READ_FILE));
	CHECK(!fz_fetch_transient(0, CURLE_UNSUPPORTED_PROTOCOL));
	CHECK(!fz_fetch_transient(0, CURLE_TOO_MANY_REDIRECTS));
	CHECK(!fz_fetch_transient(0, CURLE_URL_MALFORMAT));
}

/* --- file:// --- */

static void test_file(void)
{
	char path[512], url[600];
	struct fz_fetch_req r;
	struct fz_fetch_res res;
	const char *text = "example.com\nexample.org\n";
	char big[3000];

	snprintf(path, sizeof(path), "%s/feed.txt", tmpdir);
	write_file(path, text, strlen(text));
	snprintf(url, sizeof(url), "file://%s", path);
	fetch1(url, NULL, &res);
	CHECK_INT(res.status, FZ_FETCH_OK);
	CHECK_INT(res.http_code, 0);
	CHECK_MEM_STR((char *)res.body, res.len, text);
	CHECK(res.body && res.body[res.len] == '\0');
	CHECK_INT(res.attempts, 1);
	CHECK_STR(res.error, "");
	fz_fetch_res_free(&res);
	CHECK(res.body == NULL);
	fz_fetch_res_free(&res); /* twice is fine */
	fz_fetch_res_free(NULL);

	/* An empty file is an empty body (the caller vets it). */
	snprintf(path, sizeof(path), "%s/empty.txt", tmpdir);
	write_file(path, "", 0);
	snprintf(url, sizeof(url), "file://%s", path);
	fetch1(url, NULL, &res);
	CHECK_INT(res.status, FZ_FETCH_OK);
	CHECK(res.body != NULL && res.len == 0 && res.body[0] == '\0');
	fz_fetch_res_free(&res);

	/* Missing: an error, not retried. */
	memset(&r, 0, sizeof(r));
	r.retries = 3;
	r.backoff_ms = 10;
	snprintf(url, sizeof(url), "file://%s/no-such-file", tmpdir);
	fetch1(url, &r, &res);
	CHECK_INT(res.status, FZ_FETCH_ERROR);
	CHECK(strstr(res.error, "cannot read the file") != NULL);
	CHECK(res.body == NULL);
	CHECK_INT(res.attempts, 1);
	fz_fetch_res_free(&res);

	/* Over the size limit. */
	memset(big, 'x', sizeof(big));
	snprintf(path, sizeof(path), "%s/big.txt", tmpdir);
	write_file(path, big, sizeof(big));
	snprintf(url, sizeof(url), "file://%s", path);
	memset(&r, 0, sizeof(r));
	r.max_size = 1000;
	r.retries = 2;
	fetch1(url, &r, &res);
	CHECK_INT(res.status, FZ_FETCH_ERROR);
	CHECK_STR(res.error, "body larger than max_size (1000 bytes)");
	CHECK(res.body == NULL);
	CHECK_INT(res.attempts, 1);
	fz_fetch_res_free(&res);
	/* Exactly at the limit is fine. */
	r.max_size = sizeof(big);
	fetch1(url, &r, &res);
	CHECK_INT(res.status, FZ_FETCH_OK);
	CHECK_INT(res.len, sizeof(big));
	fz_fetch_res_free(&res);
	/* The largest limit is taken (capped to what curl and memory can hold). */
	r.max_size = UINT64_MAX;
	fetch1(url, &r, &res);
	CHECK_INT(res.status, FZ_FETCH_OK);
	CHECK_INT(res.len, sizeof(big));
	fz_fetch_res_free(&res);
	/* Concurrency 0 means one at a time, not none. */
	r.url = url;
	CHECK_INT(fz_fetch_all(&r, &res, 1, 0), 0);
	CHECK_INT(res.status, FZ_FETCH_OK);
	fz_fetch_res_free(&res);

	/* Schemes we do not fetch, and no URL at all. */
	fetch1("ftp://127.0.0.1/x", NULL, &res);
	CHECK_INT(res.status, FZ_FETCH_ERROR);
	CHECK_STR(res.error, "unsupported URL scheme (http://, https:// and file:// only)");
	fz_fetch_res_free(&res);
	fetch1("", NULL, &res);
	CHECK_INT(res.status, FZ_FETCH_ERROR);
	CHECK_STR(res.error, "no URL");
	fz_fetch_res_free(&res);
	CHECK_INT(fz_fetch_all(NULL, NULL, 0, 4), 0);
}

static void test_file_many(void)
{
	enum { N = 60 };
	struct fz_fetch_req reqs[N];
	struct fz_fetch_res res[N];
	char urls[N][600], want[N][64];
	int ok = 0;

	memset(reqs, 0, sizeof(reqs));
	for (int i = 0; i < N; i++) {
		char path[512];

		snprintf(path, sizeof(path), "%s/many-%d.txt", tmpdir, i);
		snprintf(want[i], sizeof(want[i]), "feed-%d.example\n", i);
		/* every fifth one is missing */
		if (i % 5 != 4)
			write_file(path, want[i], strlen(want[i]));
		snprintf(urls[i], sizeof(urls[i]), "file://%s", path);
		reqs[i].url = urls[i];
	}
	CHECK_INT(fz_fetch_all(reqs, res, N, 7), 0);
	for (int i = 0; i < N; i++) {
		if (i % 5 == 4) {
			CHECK_INT(res[i].status, FZ_FETCH_ERROR);
			continue;
		}
		CHECK_INT(res[i].status, FZ_FETCH_OK);
		CHECK_MEM_STR((char *)res[i].body, res[i].len, want[i]);
		ok += res[i].status == FZ_FETCH_OK;
		fz_fetch_res_free(&res[i]);
	}
	CHECK_INT(ok, N - N / 5);
}

/* --- the in-test HTTP server --- */

static const uint8_t gz_feed[] = {
    /* printf 'example.com\nexample.net\n' | gzip -9n */
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x4b, 0xad, 0x48,
    0xcc, 0x2d, 0xc8, 0x49, 0xd5, 0x4b, 0xce, 0xcf, 0xe5, 0x4a, 0x85, 0xb2, 0xf3,
    0x52, 0x4b, 0xb8, 0x00, 0x85, 0x87, 0x8f, 0xbb, 0x18, 0x00, 0x00, 0x00,
};

/* head -c 100000 /dev/zero | gzip -9n: 132 bytes, mostly zeros (filled in main) */
static uint8_t gz_zeros[132];
static const uint8_t gz_zeros_head[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
					0x03, 0xed, 0xc1, 0x31, 0x01, 0x00, 0x00, 0x00, 0xc2,
					0xa0, 0xf5, 0x4f, 0x6d, 0x0d, 0x0f, 0xa0};
static const uint8_t gz_zeros_tail[] = {0x80, 0x57, 0x03, 0x7d, 0x95, 0x11,
					0xd4, 0xa0, 0x86, 0x01, 0x00};

#define FEED_BODY "example.com\nexample.net\n"
#define FEED_LM	  "Wed, 21 Oct 2015 07:28:00 GMT"

static struct {
	int fd;
	int port;
	pthread_t thread;
	atomic_bool stop;
	pthread_mutex_t lock;
	char log[64][64]; /* request targets, in arrival order */
	int n_log;
	char last_request[4096];
	atomic_int flaky_hits;
	atomic_int active, max_active;
} srv = {.fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER};

static void srv_log_reset(void)
{
	pthread_mutex_lock(&srv.lock);
	srv.n_log = 0;
	pthread_mutex_unlock(&srv.lock);
}

static int srv_log_count(const char *target)
{
	int n = 0;

	pthread_mutex_lock(&srv.lock);
	for (int i = 0; i < srv.n_log; i++)
		n += strcmp(srv.log[i], target) == 0;
	pthread_mutex_unlock(&srv.lock);
	return n;
}

static void send_all(int fd, const void *p, size_t len)
{
	const char *c = p;

	while (len) {
		ssize_t w = send(fd, c, len, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		c += w;
		len -= (size_t)w;
	}
}

static void send_str(int fd, const char *s)
{
	send_all(fd, s, strlen(s));
}

/* A response with a body and Content-Length. */
static void respond(int fd, const char *status, const char *extra, const void *body, size_t len)
{
	char head[1024];

	snprintf(head, sizeof(head),
		 "HTTP/1.1 %s\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n", status, len,
		 extra ? extra : "");
	send_str(fd, head);
	send_all(fd, body, len);
}

/* Sleep up to `ms`, returning early when the server stops. */
static void srv_sleep(int ms)
{
	for (int t = 0; t < ms && !atomic_load(&srv.stop); t += 20)
		poll(NULL, 0, 20);
}

/* The value of header `name` in the request, or "". */
static void req_header(const char *req, const char *name, char *out, size_t outlen)
{
	size_t n = strlen(name);
	const char *p = req;

	out[0] = '\0';
	while ((p = strstr(p, "\r\n"))) {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1, *e;

			while (*v == ' ')
				v++;
			e = strstr(v, "\r\n");
			if (!e)
				return;
			snprintf(out, outlen, "%.*s", (int)(e - v), v);
			return;
		}
	}
}

static void *srv_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char req[4096], target[256] = "", inm[300], ims[100];
	size_t got = 0;
	struct timeval tv = {.tv_sec = 3};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (got < sizeof(req) - 1) {
		ssize_t r = recv(fd, req + got, sizeof(req) - 1 - got, 0);

		if (r <= 0)
			break;
		got += (size_t)r;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	req[got] = '\0';
	if (sscanf(req, "GET %255s HTTP/1.1", target) != 1) {
		close(fd);
		return NULL;
	}
	pthread_mutex_lock(&srv.lock);
	if (srv.n_log < 64)
		snprintf(srv.log[srv.n_log++], sizeof(srv.log[0]), "%.*s",
			 (int)sizeof(srv.log[0]) - 1, target);
	snprintf(srv.last_request, sizeof(srv.last_request), "%s", req);
	pthread_mutex_unlock(&srv.lock);
	req_header(req, "If-None-Match", inm, sizeof(inm));
	req_header(req, "If-Modified-Since", ims, sizeof(ims));

	if (!strcmp(target, "/ok")) {
		if (!strcmp(inm, "\"v1\"") || !strcmp(ims, FEED_LM))
			send_str(fd, "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n"
				     "Connection: close\r\n\r\n");
		else
			respond(fd, "200 OK",
				"ETag: \"v1\"\r\nLast-Modified: " FEED_LM "\r\n"
				"Content-Type: text/plain\r\n",
				FEED_BODY, strlen(FEED_BODY));
	} else if (!strcmp(target, "/noetag")) {
		respond(fd, "200 OK", NULL, FEED_BODY, strlen(FEED_BODY));
	} else if (!strcmp(target, "/304")) {
		send_str(fd, "HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n");
	} else if (!strcmp(target, "/empty")) {
		respond(fd, "200 OK", "ETag: \"e\"\r\n", "", 0);
	} else if (!strcmp(target, "/404")) {
		respond(fd, "404 Not Found", NULL, "no such feed\n", 13);
	} else if (!strcmp(target, "/500")) {
		respond(fd, "500 Internal Server Error", NULL, "oops\n", 5);
	} else if (!strcmp(target, "/429")) {
		respond(fd, "429 Too Many Requests", NULL, "slow down\n", 10);
	} else if (!strcmp(target, "/flaky")) {
		if (atomic_fetch_add(&srv.flaky_hits, 1) == 0)
			respond(fd, "503 Service Unavailable", NULL, "later\n", 6);
		else
			respond(fd, "200 OK", "ETag: \"f2\"\r\n", "recovered.example\n", 18);
	} else if (!strcmp(target, "/slow")) {
		send_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n"
			     "partial");
		srv_sleep(4000);
	} else if (!strcmp(target, "/truncated")) {
		send_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n"
			     "0123456789");
	} else if (!strcmp(target, "/reset")) {
		struct linger lg = {.l_onoff = 1, .l_linger = 0};

		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	} else if (!strcmp(target, "/big") || !strcmp(target, "/big-nolen")) {
		static char big[5000];

		memset(big, 'b', sizeof(big));
		if (!strcmp(target, "/big")) {
			respond(fd, "200 OK", NULL, big, sizeof(big));
		} else {
			send_str(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
			send_all(fd, big, sizeof(big));
		}
	} else if (!strcmp(target, "/gzip")) {
		respond(fd, "200 OK", "Content-Encoding: gzip\r\nETag: \"gz\"\r\n", gz_feed,
			sizeof(gz_feed));
	} else if (!strcmp(target, "/gzip-zeros")) {
		respond(fd, "200 OK", "Content-Encoding: gzip\r\n", gz_zeros, sizeof(gz_zeros));
	} else if (!strcmp(target, "/redirect")) {
		respond(fd, "302 Found",
			"Location: /noetag\r\nETag: \"redir\"\r\nLast-Modified: " FEED_LM "\r\n",
			"moved\n", 6);
	} else if (!strcmp(target, "/loop")) {
		respond(fd, "302 Found", "Location: /loop\r\n", "", 0);
	} else if (!strcmp(target, "/to-file")) {
		respond(fd, "302 Found", "Location: file:///etc/hostname\r\n", "", 0);
	} else if (!strcmp(target, "/delay")) {
		int a = atomic_fetch_add(&srv.active, 1) + 1, m = atomic_load(&srv.max_active);

		while (a > m && !atomic_compare_exchange_weak(&srv.max_active, &m, a))
			;
		srv_sleep(150);
		/* Counted out before the answer: the client cannot see it earlier. */
		atomic_fetch_sub(&srv.active, 1);
		respond(fd, "200 OK", NULL, "delayed.example\n", 16);
	} else if (!strncmp(target, "http://", 7)) {
		/* A proxy request: absolute-form target. */
		char body[300];

		snprintf(body, sizeof(body), "proxied %s\n", target);
		respond(fd, "200 OK", NULL, body, strlen(body));
	} else {
		respond(fd, "404 Not Found", NULL, "", 0);
	}
	close(fd);
	return NULL;
}

static void *srv_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&srv.stop)) {
		struct pollfd p = {.fd = srv.fd, .events = POLLIN};
		pthread_t t;
		int c;

		if (poll(&p, 1, 50) <= 0)
			continue;
		c = accept4(srv.fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		if (pthread_create(&t, NULL, srv_conn, (void *)(intptr_t)c) != 0) {
			close(c);
			continue;
		}
		pthread_detach(t);
	}
	return NULL;
}

static int listen_local(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
		perror("listen");
		exit(2);
	}
	*port = ntohs(a.sin_port);
	return fd;
}

static void srv_start(void)
{
	srv.fd = listen_local(&srv.port);
	if (pthread_create(&srv.thread, NULL, srv_main, NULL) != 0)
		exit(2);
}

static void srv_stop(void)
{
	atomic_store(&srv.stop, true);
	pthread_join(srv.thread, NULL);
	close(srv.fd);
}

static void url_of(char *out, size_t len, const char *path)
{
	snprintf(out, len, "http://127.0.0.1:%d%s", srv.port, path);
}

static void test_http_basic(void)
{
	struct fz_fetch_req r;
	struct fz_fetch_res res;
	char url[128];

	url_of(url, sizeof(url), "/ok");
	fetch1(url, NULL, &res);
	CHECK_INT(res.status, FZ_FETCH_OK);
	CHECK_INT(res.http_code, 200);
	CHECK_MEM_STR((char *)res.body, res.len, FEED_BODY);
	CHECK_STR(res.etag, "\"v1\"");
	CHECK_STR(res.last_modified, FEED_LM);
	CHECK_INT(res.attempts, 1);
	CHECK(res.seconds > 0 && res.seconds < 2);
	fz_fetch_res_free(&res);
	/* The request: an honest User-Agent, compression offered, no validators. */
	pthread_mutex_lock(&srv.lock);
	CHECK(strstr(srv.last_request, "\r\nUser-Agent: fangzha-feed/" FZ_VERSION "\r\n") != NULL);
	CHECK(strstr(srv.last_request, "\r\nAccept-Encoding: ") != NULL);
	CHECK(strstr(srv.last_request, "gzip") != NULL);
	CHECK(strstr(srv.last_request, "If-None-Match") == NULL);
	CHECK(strstr(srv.last_request, "If-Modified-Since") == NULL);
	pthread_mutex_unlock(&srv.lock);

	/* Conditional GET: 304, validators kept, no body. */
	memset(&r, 0, sizeof(r));
	r.etag = "\"v1\"";
	r.last_modified = FEED_LM;
	r.user_agent = "custom-agent/1";
	fetch1(url, &r, &res);
	CHECK_INT(res.status, FZ_FETCH_NOT_MODIFIED);
	CHECK_INT(res.http_code, 304);
	CHECK(res.body == NULL && res.len == 0);
	CHECK_STR(res.etag, "\"v1\"");
	CHECK_STR(res.error, "");
	pthread_mutex_lock(&srv.lock);
	CHECK(strstr(srv.last_request, "\r\nIf-None-Match: \"v1\"\r\n") != NULL);
	CHECK(strstr(srv.last_request, "\r\nIf-Modified-Since: " FEED_LM "\r\n") != NULL);
	CHECK(strstr(srv.last_request, "\r\nUser-Agent: custom-agent/1\r\n") != NULL);
	pthread_mutex_unlock(&srv.lock);
	fz_fetch_res_free(&res);

	/* A stale ETag: the full body again. */
	r.etag = "\"v0\"";
	r.last_modified = NULL;
	fetch1(url, &r, &res);
	CHECK_INT(res.status, FZ_FETCH_OK);
	CHECK_STR(res.etag, "\"v1\"");
	fz_fetch_res_free(&res);

	/* Validators with control bytes are never sent (header injection). */
	r.etag = "\"v1\"\r\nX-Injected: 1";
	r.last_modified = "x\ny";
	fetch1(url, &r, &res);
	CHECK_INT(res.status, FZ_FETCH_OK);
	pthread_mutex_lock(&srv.lock);
	CHECK(strstr(srv.last_request, "X-Injected") == NULL);
	CHECK(strstr(srv.last_request, "If-None-Match") == NULL);
	CHECK(strstr(srv.last_request, "If-Modified-Since") == NULL);
	pthread_mutex_unlock(&srv.lock);
	fz_fetch_res_free(&res);

	/* No validators in the answer: empty ones (the next GET is plain). */
	url_of(url, sizeof(url), "/noetag");
	fetch1(url, NULL, &res);
	CHECK_INT(res.status, FZ_FETCH_OK);
	CHECK_STR(res.etag, "");
	CHECK_STR(res.last_modified, "");
	fz_fetch_res_free(&res);

	/* A 304 we did not ask for is an error, not "not modified". */
	url_of(url, sizeof(url), "/304");
	fetch1(url, NULL, &res);
	CHECK_INT(res.status, FZ_FETCH_ERROR);
	CHECK_INT(res.http_code, 304);
	CHECK_STR(res.error, "HTTP 304 to a request without validators");
	fz_fetch_res_free(&res);

	/* 200 with an empty body is OK: vetting is the caller's. */
	url_of(url, sizeof(url), "/empty");
	fetch1(url, NULL, &res);
	CHECK_INT(res.status, FZ_FETCH_OK);
	CHECK(res.body != NULL && res.len == 0);
	CHECK_STR(res.etag, "\"e\"");
	fz_fetch_res_free(&res);

	/* 404: an error, not retried, the error page not kept. */
	memset(&r, 0, sizeof(r));
	r.retries = 3;
	r.backoff_ms = 10;
	url_of(url, sizeof(url), "/404");
	fetch1(url, &r, &res);
	CHECK_INT(res.status, FZ_FETCH_ERROR);
	CHECK_INT(res.http_code, 404);
	CHECK_STR(res.error, "HTTP 404");
	CHECK_INT(res.attempts, 1);
	CHECK(res.body == NULL);
	fz_fetch_res_free(&res);
}

static void test_http_encoding_redirects(void)
{
	struct fz_fetch_req r;
	struct fz_fetch_res res;
	char url[128];

	/* gzip is decoded. */
	url_of(url, sizeof(url), "/gzip");
	fetch1(url, NULL, &res);
	CHECK_INT(res.status, FZ_FETCH_OK);
	CHECK_MEM_STR((char *)res.body, res.len, FEED_BODY);
	CHECK_STR(res.etag, "\"gz\"");
	fz_fetch_res_free(&res);

	/* 132 bytes on the wire, 100000 decoded: the limit is on the decoded body. */
	memset(&r, 0, sizeof(r));
	r.max_size = 200000;
	url_of(url, sizeof(url), "/gzip-zeros");
	fetch1(url, &r, &res);
	CHECK_INT(res.status, FZ_FETCH_OK);
	CHECK_INT(res.len, 100000);
	CHECK(res.body && res.body[0] == 0 && res.body[99999] == 0);
	fz_fetch_res_free(&res);
	r.max_size = 1000;
	fetch1(url, &r, &res);
	CHECK_INT(res.status, FZ_FETCH_ERROR);
	CHECK_STR(res.error, "body larger than max_size (1000 bytes)");
	CHECK(res.body == NULL);
	fz_fetch_res_free(&res);

	/* Oversized with and without Content-Length; never retried. */
	r.retries = 2;
	url_of(url, sizeof(url), "/big");
	fetch1(url, &r, &res);
	CHECK_INT(res.status, FZ_FETCH_ERROR);
	CHECK_STR(res.error, "body larger than max_size (1000 bytes)");
	CHECK_INT(res.attempts, 1);
	fz_fetch_res_free(&res);
	url_of(url, sizeof(url), "/big-nolen");
	fetch1(url, &r, &res);
	show("/big-nolen", &res);
	CHECK_INT(res.status, FZ_FETCH_ERROR);
	CHECK_STR(res.error, "body larger than max_size (1000 bytes)");
	CHECK_INT(res.attempts, 1);
	fz_fetch_res_free(&res);

	/* A redirect: the validators are the final response's (here: none). */
	url_of(url, sizeof(url), "/redirect");
	fetch1(url, NULL, &res);
	CHECK_INT(res.status, FZ_FETCH_OK);
	CHECK_INT(res.http_code, 200);
	CHECK_MEM_STR((char *)res.body, res.len, FEED_BODY);
	CHECK_STR(res.etag, "");
	CHECK_STR(res.last_modified, "");
	fz_fetch_res_free(&res);

	/* A redirect loop stops after 5. */
	srv_log_reset();
	url_of(url, sizeof(url), "/loop");
	fetch1(url, NULL, &res);
	show("/loop", &res);
	CHECK_INT(res.status, FZ_FETCH_ERROR);
	CHECK(strncmp(res.error, "more than 5 redirects", 21) == 0);
	CHECK_INT(srv_log_count("/loop"), 6);
	fz_fetch_res_free(&res);

	/* A redirect from http to file:// is refused. */
	url_of(url, sizeof(url), "/to-file");
	fetch1(url, NULL, &res);
	show("/to-file", &res);
	CHECK_INT(res.status, FZ_FETCH_ERROR);
	CHECK(strncmp(res.error, "refused URL scheme, or redirect to one", 38) == 0);
	CHECK(res.body == NULL);
	fz_fetch_res_free(&res);
}

static void test_http_failures(void)
{
	struct fz_fetch_req r;
	struct fz_fetch_res res;
	char url[128];
	double t0;
	int port;

	/* 500 three times: two retries, backoff 100 then 200 ms (+-25%). */
	memset(&r, 0, sizeof(r));
	r.retries = 2;
	r.backoff_ms = 100;
	srv_log_reset();
	url_of(url, sizeof(url), "/500");
	fetch1(url, &r, &res);
	show("/500", &res);
	CHECK_INT(res.status, FZ_FETCH_ERROR);
	CHECK_INT(res.http_code, 500);
	CHECK_STR(res.error, "HTTP 500");
	CHECK_INT(res.attempts, 3);
	CHECK_INT(srv_log_count("/500"), 3);
	CHECK(res.seconds >= 0.22 && res.seconds < 2.0);
	fz_fetch_res_free(&res);

	/* 429 is retried too; a 503 then 200 recovers. */
	r.retries = 1;
	r.backoff_ms = 20;
	url_of(url, sizeof(url), "/429");
	fetch1(url, &r, &res);
	CHECK_INT(res.status, FZ_FETCH_ERROR);
	CHECK_STR(res.error, "HTTP 429");
	CHECK_INT(res.attempts, 2);
	fz_fetch_res_free(&res);
	url_of(url, sizeof(url), "/flaky");
	fetch1(url, &r, &res);
	CHECK_INT(res.status, FZ_FETCH_OK);
	CHECK_INT(res.attempts, 2);
	CHECK_STR(res.error, "");
	CHECK_MEM_STR((char *)res.body, res.len, "recovered.example\n");
	CHECK_STR(res.etag, "\"f2\"");
	fz_fetch_res_free(&res);

	/* Truncated body: Content-Length 100, 10 bytes, then close. */
	r.retries = 0;
	url_of(url, sizeof(url), "/truncated");
	fetch1(url, &r, &res);
	show("/truncated", &res);
	CHECK_INT(res.status, FZ_FETCH_ERROR);
	CHECK_INT(res.http_code, 0);
	CHECK(strstr(res.error, "(truncated body)") != NULL);
	CHECK(strstr(res.error, "90 bytes remaining") != NULL);
	CHECK(res.body == NULL);
	fz_fetch_res_free(&res);

	/* A reset connection. */
	url_of(url, sizeof(url), "/reset");
	fetch1(url, &r, &res);
	show("/reset", &res);
	CHECK_INT(res.status, FZ_FETCH_ERROR);
	if (strncmp(res.error, "connection reset", 16) != 0 &&
	    strncmp(res.error, "connection closed without a response", 36) != 0)
		fprintf(stderr, "reset gave: %s\n", res.error);
	CHECK(strncmp(res.error, "connection reset", 16) == 0);
	fz_fetch_res_free(&res);

	/* Connection refused (a port nobody listens on), retried once. */
	{
		int fd = listen_local(&port);

		close(fd);
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", port);
	r.retries = 1;
	r.backoff_ms = 10;
	fetch1(url, &r, &res);
	show("refused", &res);
	CHECK_INT(res.status, FZ_FETCH_ERROR);
	CHECK(strncmp(res.error, "cannot connect (", 16) == 0);
	CHECK_INT(res.attempts, 2);
	fz_fetch_res_free(&res);

	/* The total timeout. */
	r.retries = 0;
	r.timeout = 1;
	url_of(url, sizeof(url), "/slow");
	t0 = now_s();
	fetch1(url, &r, &res);
	show("/slow", &res);
	CHECK_INT(res.status, FZ_FETCH_ERROR);
	CHECK(strncmp(res.error, "timeout after 1 s (", 19) == 0);
	CHECK(now_s() - t0 < 2.5);
	CHECK(res.seconds >= 0.9);
	CHECK(res.body == NULL);
	fz_fetch_res_free(&res);
}

static void test_http_parallel(void)
{
	enum { N = 12 };
	struct fz_fetch_req reqs[N];
	struct fz_fetch_res res[N];
	char url[128];
	double t0, t;
	int last500 = -1, ok_at = -1;

	/* At most 3 at once: 12 requests of 150 ms take about 4 rounds. */
	memset(reqs, 0, sizeof(reqs));
	url_of(url, sizeof(url), "/delay");
	for (int i = 0; i < N; i++) {
		reqs[i].url = url;
		reqs[i].timeout = 5;
	}
	atomic_store(&srv.max_active, 0);
	t0 = now_s();
	CHECK_INT(fz_fetch_all(reqs, res, N, 3), 0);
	t = now_s() - t0;
	for (int i = 0; i < N; i++) {
		CHECK_INT(res[i].status, FZ_FETCH_OK);
		CHECK_MEM_STR((char *)res[i].body, res[i].len, "delayed.example\n");
		fz_fetch_res_free(&res[i]);
	}
	CHECK(atomic_load(&srv.max_active) <= 3);
	CHECK(atomic_load(&srv.max_active) >= 2);
	CHECK(t >= 0.55 && t < 3.0);

	/*
	 * A retry waits without holding the only slot: with concurrency 1,
	 * /ok runs while /500 waits for its retries.
	 */
	char url500[128], urlok[128];

	url_of(url500, sizeof(url500), "/500");
	url_of(urlok, sizeof(urlok), "/ok");
	memset(reqs, 0, 2 * sizeof(reqs[0]));
	reqs[0].url = url500;
	reqs[0].retries = 2;
	reqs[0].backoff_ms = 150;
	reqs[1].url = urlok;
	srv_log_reset();
	CHECK_INT(fz_fetch_all(reqs, res, 2, 1), 0);
	CHECK_INT(res[0].status, FZ_FETCH_ERROR);
	CHECK_INT(res[0].attempts, 3);
	CHECK_INT(res[1].status, FZ_FETCH_OK);
	pthread_mutex_lock(&srv.lock);
	for (int i = 0; i < srv.n_log; i++) {
		if (!strcmp(srv.log[i], "/500"))
			last500 = i;
		if (!strcmp(srv.log[i], "/ok"))
			ok_at = i;
	}
	pthread_mutex_unlock(&srv.lock);
	CHECK(ok_at == 1);
	CHECK(last500 == 3);
	fz_fetch_res_free(&res[0]);
	fz_fetch_res_free(&res[1]);
}

/* libcurl's proxies from the environment: http_proxy and ALL_PROXY. */
static void test_http_proxy_env(void)
{
	struct fz_fetch_res res;
	char proxy[64];

	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", srv.port);
	setenv("http_proxy", proxy, 1);
	fetch1("http://feed.example.invalid/list.txt", NULL, &res);
	CHECK_INT(res.status, FZ_FETCH_OK);
	CHECK_MEM_STR((char *)res.body, res.len, "proxied http://feed.example.invalid/list.txt\n");
	fz_fetch_res_free(&res);
	unsetenv("http_proxy");

	setenv("ALL_PROXY", proxy, 1);
	fetch1("http://other.example.invalid/x", NULL, &res);
	CHECK_INT(res.status, FZ_FETCH_OK);
	CHECK_MEM_STR((char *)res.body, res.len, "proxied http://other.example.invalid/x\n");
	fz_fetch_res_free(&res);
	/* no_proxy wins. */
	setenv("no_proxy", "127.0.0.1", 1);
	{
		char url[128];

		url_of(url, sizeof(url), "/ok");
		fetch1(url, NULL, &res);
		CHECK_INT(res.status, FZ_FETCH_OK);
		CHECK_MEM_STR((char *)res.body, res.len, FEED_BODY);
		fz_fetch_res_free(&res);
	}
	unsetenv("no_proxy");
	unsetenv("ALL_PROXY");
}

/* --- Python's http.server --- */

static pid_t py_pid = -1;

static void py_kill(void)
{
	if (py_pid > 0) {
		kill(py_pid, SIGTERM);
		waitpid(py_pid, NULL, 0);
		py_pid = -1;
	}
}

static bool port_open(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static void test_python_server(void)
{
	const char *python = "/usr/bin/python3";
	char dir[300], path[400], url[128], portstr[16];
	struct fz_fetch_req r;
	struct fz_fetch_res res;
	double t0;
	int port;

	if (access(python, X_OK) != 0) {
		printf("python3 not found: skipping the http.server checks\n");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/www", tmpdir);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/feed.txt", dir);
	write_file(path, FEED_BODY, strlen(FEED_BODY));
	{
		int fd = listen_local(&port);

		close(fd);
	}
	snprintf(portstr, sizeof(portstr), "%d", port);
	py_pid = fork();
	if (py_pid < 0) {
		perror("fork");
		exit(2);
	}
	if (py_pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		/* Dies with the test, whatever happens to it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (devnull >= 0) {
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execl(python, python, "-m", "http.server", "--bind", "127.0.0.1", "--directory",
		      dir, portstr, (char *)NULL);
		_exit(127);
	}
	atexit(py_kill);
	t0 = now_s();
	while (!port_open(port) && now_s() - t0 < 10)
		poll(NULL, 0, 20);
	CHECK(port_open(port));

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/feed.txt", port);
	fetch1(url, NULL, &res);
	CHECK_INT(res.status, FZ_FETCH_OK);
	CHECK_INT(res.http_code, 200);
	CHECK_MEM_STR((char *)res.body, res.len, FEED_BODY);
	CHECK(res.last_modified[0] != '\0');
	CHECK_STR(res.etag, "");

	memset(&r, 0, sizeof(r));
	r.last_modified = res.last_modified;
	struct fz_fetch_res res2;

	fetch1(url, &r, &res2);
	CHECK_INT(res2.status, FZ_FETCH_NOT_MODIFIED);
	CHECK_INT(res2.http_code, 304);
	CHECK(res2.body == NULL);
	fz_fetch_res_free(&res2);
	fz_fetch_res_free(&res);

	r.last_modified = NULL;
	r.retries = 2;
	r.backoff_ms = 10;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/missing.txt", port);
	fetch1(url, &r, &res);
	CHECK_INT(res.status, FZ_FETCH_ERROR);
	CHECK_INT(res.http_code, 404);
	CHECK_STR(res.error, "HTTP 404");
	CHECK_INT(res.attempts, 1);
	fz_fetch_res_free(&res);
	py_kill();
}

static void rm_rf(const char *path)
{
	char cmd[600];

	/* tmpdir is ours (mkdtemp); nothing else is ever removed */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", path);
}

int main(void)
{
	const char *t = getenv("TMPDIR");
	double t0 = now_s();

	/* Our servers are on the loopback: no proxy from the caller's environment. */
	static const char *const proxy_vars[] = {"http_proxy", "https_proxy", "HTTPS_PROXY",
						 "all_proxy",  "ALL_PROXY",   "no_proxy",
						 "NO_PROXY"};
	for (size_t i = 0; i < sizeof(proxy_vars) / sizeof(proxy_vars[0]); i++)
		unsetenv(proxy_vars[i]);

	memcpy(gz_zeros, gz_zeros_head, sizeof(gz_zeros_head));
	memcpy(gz_zeros + sizeof(gz_zeros) - sizeof(gz_zeros_tail), gz_zeros_tail,
	       sizeof(gz_zeros_tail));

	snprintf(tmpdir, sizeof(tmpdir), "%s/fz-test-fetch-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	test_header_line();
	test_transient();
	test_file();
	test_file_many();

	srv_start();
	test_http_basic();
	test_http_encoding_redirects();
	test_http_failures();
	test_http_parallel();
	test_http_proxy_env();
	srv_stop();

	test_python_server();
	rm_rf(tmpdir);
	printf("test_fetch: %.2f s\n", now_s() - t0);
	return fz_test_done();
}
