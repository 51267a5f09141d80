/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Feed downloads over libcurl's multi interface.
 *
 * One easy handle per request, at most `concurrency` of them in the multi
 * handle at once; a request that failed in a transient way waits for its
 * retry time outside the multi handle, so it never holds a slot or blocks
 * the others, and the loop polls no longer than until the next retry is due.
 *
 * What every transfer gets:
 *  - redirects followed (at most 5), never to another scheme than the ones
 *    the original allows: an https:// feed only ever redirects to https://,
 *    an http:// feed to http:// or https://, file:// never redirects;
 *  - TLS peer and host verification, always; curl's defaults for the rest
 *    of TLS. ca_file is set as CURLOPT_CAINFO: it replaces curl's CA file
 *    but not its CA directory, so on Debian (CApath /etc/ssl/certs) the
 *    system's CAs still count and ca_file adds to them;
 *  - every content encoding libcurl was built with (Accept-Encoding);
 *  - connect and total timeouts, and stall detection (less than 1 byte/s
 *    for STALL_SECONDS);
 *  - the size limit twice: CURLOPT_MAXFILESIZE_LARGE refuses an announced
 *    Content-Length early, and the write callback stops the transfer as
 *    soon as the decoded body passes max_size (a compressed body grows);
 *  - If-None-Match / If-Modified-Since from the stored validators (only
 *    when they hold no control bytes: they come from a state file);
 *  - ETag and Last-Modified taken from the final response only (the
 *    header callback starts over at every status line: redirects, 1xx);
 *  - proxies from the environment, as libcurl does by default when
 *    CURLOPT_PROXY is not set: http_proxy, https_proxy / HTTPS_PROXY,
 *    all_proxy / ALL_PROXY, no_proxy / NO_PROXY (upper-case HTTP_PROXY is
 *    ignored by libcurl on purpose, see "httpoxy");
 *  - CURLOPT_NOSIGNAL, so a timeout never raises SIGALRM in the daemon.
 *
 * Bodies of HTTP error responses are not kept (discarded as they arrive).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "fz_config.h"
#include "fz_fetch.h"

#define DEFAULT_MAX_SIZE	(256ull * 1024 * 1024)
#define DEFAULT_CONNECT_TIMEOUT 15
#define DEFAULT_TIMEOUT		300
#define DEFAULT_BACKOFF_MS	1000
#define MAX_BACKOFF_MS		(10 * 60 * 1000)
#define MAX_REDIRECTS		5
#define STALL_SECONDS		60
#define MAX_CONCURRENCY		64
#define DEFAULT_USER_AGENT	"fangzha-feed/" FZ_VERSION

enum xstate {
	X_WAIT, /* not started, or waiting for its retry time */
	X_RUN,	/* in the multi handle */
	X_DONE,
};

struct xfer {
	const struct fz_fetch_req *req;
	struct fz_fetch_res *res;
	CURL *easy;
	struct curl_slist *headers;
	enum xstate state;
	double due;	/* monotonic seconds when it may (re)start */
	double started; /* monotonic seconds of the first attempt */
	uint64_t max;
	unsigned timeout, connect_timeout, backoff_ms;
	bool is_file, conditional;
	/* this attempt */
	uint8_t *body;
	size_t len, cap;
	bool too_big, oom;
	char etag[256], last_modified[64];
	char errbuf[CURL_ERROR_SIZE];
};

static void set_error(struct fz_fetch_res *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_error(struct fz_fetch_res *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->error, sizeof(res->error), fmt, ap);
	va_end(ap);
}

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- pure helpers (fuzzed / unit tested) --- */

static bool header_name_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

int fz_fetch_header_line(const char *line, size_t len, char etag[256], char last_modified[64])
{
	const char *end, *colon, *v;
	size_t vlen;
	char *out;
	size_t cap;

	if (!line)
		return 0;
	end = line + len;
	while (end > line && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	colon = memchr(line, ':', (size_t)(end - line));
	if (!colon)
		return 0;
	if (header_name_is(line, (size_t)(colon - line), "etag")) {
		out = etag;
		cap = 256;
	} else if (header_name_is(line, (size_t)(colon - line), "last-modified")) {
		out = last_modified;
		cap = 64;
	} else {
		return 0;
	}
	v = colon + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	vlen = (size_t)(end - v);
	/* Refused, not cut: a shortened validator would never match. */
	if (vlen == 0 || vlen >= cap)
		return 0;
	for (size_t i = 0; i < vlen; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	memcpy(out, v, vlen);
	out[vlen] = '\0';
	return 1;
}

bool fz_fetch_transient(long http_code, int curl_code)
{
	switch (curl_code) {
	case CURLE_OK:
		return http_code == 408 || http_code == 429 ||
		       (http_code >= 500 && http_code <= 599);
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_SSL_CONNECT_ERROR: /* handshake cut off; verification is
					 CURLE_PEER_FAILED_VERIFICATION */
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_HTTP3:
	case CURLE_QUIC_CONNECT_ERROR:
	case CURLE_PROXY:
		return true;
	default:
		return false;
	}
}

/* A validator goes into a request header: refuse anything that could break it. */
static bool validator_ok(const char *v, size_t max)
{
	size_t n;

	if (!v || !*v)
		return false;
	n = strnlen(v, max + 1);
	if (n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] == 0x7f)
			return false;
	return true;
}

/* --- callbacks --- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nmemb;
	long code = 0;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 300)
		return n; /* an error page: not kept */
	if ((uint64_t)n > x->max - x->len) {
		x->too_big = true;
		return 0; /* stops the transfer with CURLE_WRITE_ERROR */
	}
	if (x->len + n + 1 > x->cap) {
		size_t want = x->len + n + 1;
		size_t cap = x->cap ? x->cap : 16384;
		uint8_t *nb;

		while (cap < want && cap <= SIZE_MAX / 2)
			cap *= 2;
		if ((uint64_t)cap > x->max + 1)
			cap = (size_t)x->max + 1;
		if (cap < want)
			cap = want;
		nb = realloc(x->body, cap);
		if (!nb) {
			x->oom = true;
			return 0;
		}
		x->body = nb;
		x->cap = cap;
	}
	memcpy(x->body + x->len, data, n);
	x->len += n;
	return n;
}

static size_t on_header(char *data, size_t size, size_t nitems, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nitems;

	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		/* A new response (after a redirect, or a 1xx): forget the last. */
		x->etag[0] = '\0';
		x->last_modified[0] = '\0';
		x->len = 0;
		x->too_big = false;
		return n;
	}
	fz_fetch_header_line(data, n, x->etag, x->last_modified);
	return n;
}

/* --- one transfer --- */

static bool scheme_is(const char *url, const char *scheme)
{
	size_t n = strlen(scheme);

	return strncasecmp(url, scheme, n) == 0 && strncmp(url + n, "://", 3) == 0;
}

/* Set up x->easy; on failure fills x->res->error and returns false. */
static bool setup(struct xfer *x)
{
	const struct fz_fetch_req *r = x->req;
	const char *redir;
	CURL *e;
	bool ok = true;

	if (!r->url || !*r->url) {
		set_error(x->res, "no URL");
		return false;
	}
	if (scheme_is(r->url, "https")) {
		redir = "https";
	} else if (scheme_is(r->url, "http")) {
		redir = "http,https";
	} else if (scheme_is(r->url, "file")) {
		redir = NULL;
		x->is_file = true;
	} else {
		set_error(x->res, "unsupported URL scheme (http://, https:// and file:// only)");
		return false;
	}
	e = curl_easy_init();
	if (!e) {
		set_error(x->res, "cannot set up the transfer (out of memory)");
		return false;
	}
	x->easy = e;
	ok &= curl_easy_setopt(e, CURLOPT_URL, r->url) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_PRIVATE, x) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https,file") == CURLE_OK;
	if (redir) {
		ok &= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L) == CURLE_OK;
		ok &= curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)MAX_REDIRECTS) == CURLE_OK;
		ok &= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, redir) == CURLE_OK;
	}
	ok &= curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "") == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)x->connect_timeout) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)x->timeout) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)STALL_SECONDS) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
	if (r->ca_file && *r->ca_file)
		ok &= curl_easy_setopt(e, CURLOPT_CAINFO, r->ca_file) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_USERAGENT,
			       r->user_agent && *r->user_agent ? r->user_agent
							       : DEFAULT_USER_AGENT) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_WRITEDATA, x) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_HEADERDATA, x) == CURLE_OK;
	if (!x->is_file) {
		char h[320];

		if (validator_ok(r->etag, 255)) {
			snprintf(h, sizeof(h), "If-None-Match: %s", r->etag);
			struct curl_slist *l = curl_slist_append(x->headers, h);

			ok &= l != NULL;
			if (l)
				x->headers = l;
			x->conditional = true;
		}
		if (validator_ok(r->last_modified, 63)) {
			snprintf(h, sizeof(h), "If-Modified-Since: %s", r->last_modified);
			struct curl_slist *l = curl_slist_append(x->headers, h);

			ok &= l != NULL;
			if (l)
				x->headers = l;
			x->conditional = true;
		}
		if (x->headers)
			ok &= curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers) == CURLE_OK;
	}
	if (!ok) {
		set_error(x->res, "cannot set up the transfer (libcurl refused an option)");
		return false;
	}
	return true;
}

static void release(struct xfer *x)
{
	if (x->easy)
		curl_easy_cleanup(x->easy);
	x->easy = NULL;
	curl_slist_free_all(x->headers);
	x->headers = NULL;
	free(x->body);
	x->body = NULL;
	x->len = x->cap = 0;
}

/* Why a transfer that libcurl ended with `rc` failed, in res->error. */
static void describe(struct xfer *x, CURLcode rc)
{
	const char *detail = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
	long os_errno = 0;
	curl_off_t connect_us = 0;

	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		curl_easy_getinfo(x->easy, CURLINFO_CONNECT_TIME_T, &connect_us);
		if (strstr(x->errbuf, "too slow"))
			set_error(x->res, "stalled: less than 1 byte/s for %d s (%s)",
				  STALL_SECONDS, detail);
		else if (connect_us == 0 && !x->is_file)
			set_error(x->res, "connect timeout after %u s (%s)", x->connect_timeout,
				  detail);
		else
			set_error(x->res, "timeout after %u s (%s)", x->timeout, detail);
		break;
	case CURLE_PARTIAL_FILE:
		set_error(x->res, "%s (truncated body)", detail);
		break;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &os_errno);
		if (os_errno == ECONNRESET)
			set_error(x->res, "connection reset (%s)", detail);
		else
			set_error(x->res, "%s (%s)", curl_easy_strerror(rc), detail);
		break;
	case CURLE_GOT_NOTHING:
		set_error(x->res, "connection closed without a response (%s)", detail);
		break;
	case CURLE_COULDNT_CONNECT:
		set_error(x->res, "cannot connect (%s)", detail);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		set_error(x->res, "cannot resolve the host name (%s)", detail);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
		set_error(x->res, "TLS verification failed (%s)", detail);
		break;
	case CURLE_TOO_MANY_REDIRECTS:
		set_error(x->res, "more than %d redirects (%s)", MAX_REDIRECTS, detail);
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
		set_error(x->res, "refused URL scheme, or redirect to one (%s)", detail);
		break;
	case CURLE_FILE_COULDNT_READ_FILE:
		set_error(x->res, "cannot read the file (%s)", detail);
		break;
	default:
		if (x->errbuf[0])
			set_error(x->res, "%s (%s)", curl_easy_strerror(rc), x->errbuf);
		else
			set_error(x->res, "%s", curl_easy_strerror(rc));
		break;
	}
}

/*
 * Judge a finished attempt: fills res and returns true when the request is
 * over, false when it wants another attempt.
 */
static bool judge(struct xfer *x, CURLcode rc, unsigned retries)
{
	struct fz_fetch_res *res = x->res;
	long code = 0;
	bool transient = false;

	res->status = FZ_FETCH_ERROR;
	res->http_code = 0;
	res->error[0] = '\0';
	if (!x->is_file)
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	if (x->oom) {
		set_error(res, "out of memory for the body");
	} else if (x->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		set_error(res, "body larger than max_size (%llu bytes)",
			  (unsigned long long)x->max);
	} else if (rc != CURLE_OK) {
		describe(x, rc);
		transient = fz_fetch_transient(0, (int)rc);
	} else if (x->is_file || (code >= 200 && code <= 299)) {
		res->status = FZ_FETCH_OK;
		res->http_code = code;
	} else if (code == 304 && x->conditional) {
		res->status = FZ_FETCH_NOT_MODIFIED;
		res->http_code = code;
	} else if (code == 304) {
		res->http_code = code;
		set_error(res, "HTTP 304 to a request without validators");
	} else {
		res->http_code = code;
		set_error(res, "HTTP %ld", code);
		transient = fz_fetch_transient(code, CURLE_OK);
	}
	return !(transient && res->attempts <= retries);
}

/* The request is over: hand the body and validators to res. */
static void finish(struct xfer *x, double now)
{
	struct fz_fetch_res *res = x->res;

	if (res->status == FZ_FETCH_OK) {
		if (!x->body) {
			x->body = malloc(1);
			if (!x->body) {
				res->status = FZ_FETCH_ERROR;
				set_error(res, "out of memory for the body");
			}
		}
	}
	if (res->status == FZ_FETCH_OK) {
		x->body[x->len] = '\0';
		res->body = x->body;
		res->len = x->len;
		x->body = NULL;
	}
	if (res->status != FZ_FETCH_ERROR) {
		memcpy(res->etag, x->etag, sizeof(res->etag));
		memcpy(res->last_modified, x->last_modified, sizeof(res->last_modified));
	}
	res->seconds = x->started > 0 ? now - x->started : 0;
	x->state = X_DONE;
	release(x);
}

/* --- the loop --- */

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64*: jitter only, nothing secret */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static double retry_delay(const struct xfer *x, unsigned failed_attempts, uint64_t *rng)
{
	double ms = x->backoff_ms;
	double jitter;

	for (unsigned i = 1; i < failed_attempts && ms < MAX_BACKOFF_MS; i++)
		ms *= 2;
	if (ms > MAX_BACKOFF_MS)
		ms = MAX_BACKOFF_MS;
	jitter = 0.75 + 0.5 * (double)(rng_next(rng) >> 11) / (double)(1ull << 53);
	return ms * jitter / 1000.0;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void start(CURLM *multi, struct xfer *x, double now)
{
	x->len = 0;
	x->too_big = false;
	x->oom = false;
	x->etag[0] = '\0';
	x->last_modified[0] = '\0';
	x->errbuf[0] = '\0';
	if (x->res->attempts++ == 0)
		x->started = now;
	if (!x->easy && !setup(x)) {
		x->res->status = FZ_FETCH_ERROR;
		finish(x, now);
		return;
	}
	if (curl_multi_add_handle(multi, x->easy) != CURLM_OK) {
		x->res->status = FZ_FETCH_ERROR;
		set_error(x->res, "cannot start the transfer (libcurl multi)");
		finish(x, now);
		return;
	}
	x->state = X_RUN;
}

int fz_fetch_all(const struct fz_fetch_req *reqs, struct fz_fetch_res *res, size_t n,
		 unsigned concurrency)
{
	struct xfer *xs;
	CURLM *multi = NULL;
	uint64_t rng = 0;
	size_t done = 0, running = 0;
	int rc = 0;

	if (n == 0)
		return 0;
	if (!reqs || !res)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		memset(&res[i], 0, sizeof(res[i]));
		res[i].status = FZ_FETCH_ERROR;
		set_error(&res[i], "not attempted");
	}
	if (concurrency == 0)
		concurrency = 1;
	if (concurrency > MAX_CONCURRENCY)
		concurrency = MAX_CONCURRENCY;

	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK) {
		for (size_t i = 0; i < n; i++)
			set_error(&res[i], "libcurl could not be initialised");
		return -ENOMEM;
	}
	xs = calloc(n, sizeof(*xs));
	if (xs)
		multi = curl_multi_init();
	if (!xs || !multi) {
		for (size_t i = 0; i < n; i++)
			set_error(&res[i], "cannot set up libcurl (out of memory)");
		free(xs);
		return -ENOMEM;
	}
	if (getrandom(&rng, sizeof(rng), GRND_NONBLOCK) != (ssize_t)sizeof(rng) || rng == 0)
		rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < n; i++) {
		struct xfer *x = &xs[i];
		const struct fz_fetch_req *r = &reqs[i];

		x->req = r;
		x->res = &res[i];
		x->state = X_WAIT;
		x->max = r->max_size ? r->max_size : DEFAULT_MAX_SIZE;
		/* in memory, and a curl_off_t */
		if (x->max > SIZE_MAX - 1)
			x->max = SIZE_MAX - 1;
		if (x->max > INT64_MAX)
			x->max = INT64_MAX;
		x->timeout = r->timeout ? r->timeout : DEFAULT_TIMEOUT;
		x->connect_timeout =
		    r->connect_timeout ? r->connect_timeout : DEFAULT_CONNECT_TIMEOUT;
		x->backoff_ms = r->backoff_ms ? r->backoff_ms : DEFAULT_BACKOFF_MS;
	}

	while (done < n) {
		double now = now_mono(), next_due = -1;
		int still, timeout_ms, queued;
		CURLMsg *msg;

		/* Start what is due, in request order, while there is room. */
		for (size_t i = 0; i < n && running < concurrency; i++) {
			struct xfer *x = &xs[i];

			if (x->state != X_WAIT || x->due > now)
				continue;
			start(multi, x, now);
			if (x->state == X_RUN)
				running++;
			else
				done++;
		}
		if (running && curl_multi_perform(multi, &still) != CURLM_OK) {
			rc = -EIO;
			break;
		}
		while ((msg = curl_multi_info_read(multi, &queued))) {
			CURLcode result = msg->data.result;
			char *priv = NULL;
			struct xfer *x;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
			x = (struct xfer *)priv;

			curl_multi_remove_handle(multi, msg->easy_handle);
			running--;
			now = now_mono();
			if (judge(x, result, x->req->retries)) {
				finish(x, now);
				done++;
			} else {
				x->state = X_WAIT;
				x->due = now + retry_delay(x, x->res->attempts, &rng);
			}
		}
		if (done == n)
			break;

		/* Wait for the transfers, but no longer than until a retry is due. */
		timeout_ms = 1000;
		if (running < concurrency) {
			for (size_t i = 0; i < n; i++)
				if (xs[i].state == X_WAIT && (next_due < 0 || xs[i].due < next_due))
					next_due = xs[i].due;
			if (next_due >= 0) {
				double wait = (next_due - now_mono()) * 1000.0;

				if (wait <= 0)
					continue;
				if (wait < timeout_ms)
					timeout_ms = (int)wait + 1;
			}
		}
		if (curl_multi_poll(multi, NULL, 0, timeout_ms, NULL) != CURLM_OK) {
			rc = -EIO;
			break;
		}
	}

	if (rc < 0) {
		double now = now_mono();

		for (size_t i = 0; i < n; i++) {
			struct xfer *x = &xs[i];

			if (x->state == X_DONE)
				continue;
			if (x->state == X_RUN)
				curl_multi_remove_handle(multi, x->easy);
			x->res->status = FZ_FETCH_ERROR;
			set_error(x->res, "libcurl multi interface failed");
			finish(x, now);
		}
	}
	curl_multi_cleanup(multi);
	free(xs);
	return rc;
}

void fz_fetch_res_free(struct fz_fetch_res *res)
{
	if (!res)
		return;
	free(res->body);
	res->body = NULL;
	res->len = 0;
}
