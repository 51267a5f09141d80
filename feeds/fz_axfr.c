/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * AXFR of an RPZ zone (RFC 5936), for "axfr://host[:port]/zone" feeds.
 *
 * ldns builds the query, parses each message and prints each record; the
 * TCP exchange is ours rather than ldns_axfr_start()/ldns_axfr_next(),
 * because those print to stderr on errors (library code here never prints),
 * recurse once per empty message (a hostile primary could exhaust the
 * stack), and time out per read only. Here one deadline covers connecting
 * and the whole transfer, the text is bounded by max_size while it grows,
 * and the wire bytes by twice that.
 *
 * The answer is zone-file text: "$ORIGIN zone.\n", then one record per
 * line as ldns prints it (absolute owner names), without the closing SOA
 * (it repeats the first). The RPZ parser reads it like any RPZ file.
 *
 * Not done: IXFR (the caller keeps no previous zone to apply it to), TSIG.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <ldns/ldns.h>

#include "fz_axfr.h"
#include "fz_name.h"

#define AXFR_URL_MAX	      1024
#define AXFR_DEFAULT_MAX_SIZE (256ull << 20)
#define AXFR_DEFAULT_TIMEOUT  300

/* ---- URL ---------------------------------------------------------------- */

static bool host_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

int fz_axfr_url_parse(const char *url, struct fz_axfr_url *u)
{
	static const char scheme[] = "axfr://";
	struct fz_axfr_url out;
	const char *p, *h, *he, *z;
	size_t len, zlen, nlen;
	char name[FZ_NAME_BUF];

	if (!url || !u)
		return -EINVAL;
	len = strnlen(url, AXFR_URL_MAX + 1);
	if (len > AXFR_URL_MAX || len < sizeof(scheme) - 1 ||
	    strncasecmp(url, scheme, sizeof(scheme) - 1) != 0)
		return -EINVAL;
	memset(&out, 0, sizeof(out));
	out.port = 53;
	p = url + sizeof(scheme) - 1;

	/* host: [v6], or a name or IPv4 address */
	if (*p == '[') {
		struct in6_addr a6;

		h = p + 1;
		he = memchr(h, ']', (size_t)(url + len - h));
		if (!he || he == h || (size_t)(he - h) >= INET6_ADDRSTRLEN)
			return -EINVAL;
		memcpy(out.host, h, (size_t)(he - h));
		if (inet_pton(AF_INET6, out.host, &a6) != 1)
			return -EINVAL;
		p = he + 1;
	} else {
		struct in_addr a4;

		h = p;
		while (*p && host_char((unsigned char)*p))
			p++;
		if (p == h || (size_t)(p - h) >= sizeof(out.host))
			return -EINVAL;
		memcpy(out.host, h, (size_t)(p - h));
		if (inet_pton(AF_INET, out.host, &a4) != 1) {
			if (fz_name_normalize(out.host, (size_t)(p - h), 0, name, &nlen, NULL) !=
			    FZ_NAME_OK)
				return -EINVAL;
			memcpy(out.host, name, nlen + 1);
		}
	}

	/* :port */
	if (*p == ':') {
		unsigned long port = 0;

		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9') {
			port = port * 10 + (unsigned long)(*p - '0');
			if (port > 65535)
				return -EINVAL;
			p++;
		}
		if (port == 0)
			return -EINVAL;
		out.port = (uint16_t)port;
	}

	/* /zone: one name, nothing after it */
	if (*p != '/')
		return -EINVAL;
	z = p + 1;
	zlen = strlen(z);
	if (zlen == 0)
		return -EINVAL;
	for (size_t i = 0; i < zlen; i++)
		if (!host_char((unsigned char)z[i]))
			return -EINVAL;
	if (fz_name_normalize(z, zlen, 0, name, &nlen, NULL) != FZ_NAME_OK || nlen == 0)
		return -EINVAL;
	if (nlen + 2 > sizeof(out.zone))
		return -EINVAL;
	memcpy(out.zone, name, nlen);
	out.zone[nlen] = '.';
	out.zone[nlen + 1] = '\0';
	*u = out;
	return 0;
}

/* ---- transfer ----------------------------------------------------------- */

struct axfr {
	const struct fz_axfr_url *u;
	char where[300]; /* "host:port" for messages */
	char *err;
	size_t errlen;
	int fd;
	struct timespec deadline;
	unsigned timeout;
	char *text;
	size_t len, cap;
	uint64_t max_size;
	uint64_t wire;
};

__attribute__((format(printf, 3, 4))) static int fail(struct axfr *x, int r, const char *fmt, ...)
{
	if (x->err && x->errlen) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(x->err, x->errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}

/* Milliseconds left before the deadline (0 when past it). */
static int remaining_ms(const struct axfr *x)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(x->deadline.tv_sec - now.tv_sec) * 1000 +
	     (x->deadline.tv_nsec - now.tv_nsec) / 1000000;
	if (ms <= 0)
		return 0;
	return ms > 86400000 ? 86400000 : (int)ms;
}

static int timed_out(struct axfr *x)
{
	return fail(x, -ETIMEDOUT, "AXFR of %s from %s timed out after %u s", x->u->zone, x->where,
		    x->timeout);
}

/* Wait for `events` on the socket until the deadline. 0, or a negative errno. */
static int wait_fd(struct axfr *x, short events)
{
	for (;;) {
		struct pollfd pfd = {.fd = x->fd, .events = events};
		int ms = remaining_ms(x), n;

		if (ms == 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, ms);
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int connect_one(struct axfr *x, const struct addrinfo *ai)
{
	int r, soerr = 0;
	socklen_t sl = sizeof(soerr);

	x->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (x->fd < 0)
		return -errno;
	if (connect(x->fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS)
		r = -errno;
	else if ((r = wait_fd(x, POLLOUT)) == 0) {
		if (getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
			r = -errno;
		else
			r = -soerr;
	}
	if (r < 0) {
		close(x->fd);
		x->fd = -1;
	}
	return r;
}

static int connect_primary(struct axfr *x)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL, *ai;
	char port[8];
	int r, g;

	snprintf(port, sizeof(port), "%u", (unsigned)x->u->port);
	g = getaddrinfo(x->u->host, port, &hints, &res);
	if (g != 0)
		return fail(x, -EHOSTUNREACH, "AXFR of %s: cannot resolve %s: %s", x->u->zone,
			    x->u->host, gai_strerror(g));
	r = -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		r = connect_one(x, ai);
		if (r == 0 || r == -ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	if (r == -ETIMEDOUT)
		return timed_out(x);
	if (r < 0)
		return fail(x, r, "AXFR of %s: cannot connect to %s: %s", x->u->zone, x->where,
			    strerror(-r));
	return 0;
}

static int send_all(struct axfr *x, const uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(x->fd, buf + off, len - off, MSG_NOSIGNAL);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int r = wait_fd(x, POLLOUT);

			if (r < 0)
				return r;
			continue;
		}
		return n < 0 ? -errno : -EPIPE;
	}
	return 0;
}

/* Read exactly len bytes. 0, -ECONNRESET on end of stream, or a negative errno. */
static int recv_all(struct axfr *x, uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = recv(x->fd, buf + off, len - off, 0);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			int r = wait_fd(x, POLLIN);

			if (r < 0)
				return r;
			continue;
		}
		return -errno;
	}
	return 0;
}

static int io_error(struct axfr *x, int r, const char *what)
{
	if (r == -ETIMEDOUT)
		return timed_out(x);
	if (r == -ECONNRESET)
		return fail(x, -ECONNRESET,
			    "AXFR of %s from %s: connection closed before the closing SOA",
			    x->u->zone, x->where);
	return fail(x, r, "AXFR of %s from %s: %s: %s", x->u->zone, x->where, what, strerror(-r));
}

static int send_query(struct axfr *x, ldns_rdf *zone, uint16_t id)
{
	ldns_pkt *q;
	uint8_t *wire = NULL, *msg;
	size_t wlen = 0;
	ldns_rdf *qname = ldns_rdf_clone(zone);
	int r;

	if (!qname)
		return fail(x, -ENOMEM, "out of memory");
	q = ldns_pkt_query_new(qname, LDNS_RR_TYPE_AXFR, LDNS_RR_CLASS_IN, 0);
	if (!q)
		return fail(x, -ENOMEM, "out of memory");
	ldns_pkt_set_id(q, id);
	if (ldns_pkt2wire(&wire, q, &wlen) != LDNS_STATUS_OK || wlen > 65535) {
		ldns_pkt_free(q);
		free(wire);
		return fail(x, -ENOMEM, "AXFR of %s: cannot build the query", x->u->zone);
	}
	ldns_pkt_free(q);
	msg = malloc(wlen + 2);
	if (!msg) {
		free(wire);
		return fail(x, -ENOMEM, "out of memory");
	}
	msg[0] = (uint8_t)(wlen >> 8);
	msg[1] = (uint8_t)wlen;
	memcpy(msg + 2, wire, wlen);
	free(wire);
	r = send_all(x, msg, wlen + 2);
	free(msg);
	return r < 0 ? io_error(x, r, "sending the query") : 0;
}

static int append(struct axfr *x, const char *s, size_t n)
{
	if ((uint64_t)x->len + n > x->max_size)
		return fail(x, -EFBIG, "AXFR of %s from %s: zone text exceeds max_size %llu bytes",
			    x->u->zone, x->where, (unsigned long long)x->max_size);
	if (x->len + n + 1 > x->cap) {
		size_t cap = x->cap ? x->cap : 4096;
		char *t;

		while (cap < x->len + n + 1)
			cap *= 2;
		t = realloc(x->text, cap);
		if (!t)
			return fail(x, -ENOMEM, "out of memory");
		x->text = t;
		x->cap = cap;
	}
	memcpy(x->text + x->len, s, n);
	x->len += n;
	x->text[x->len] = '\0';
	return 0;
}

static int append_rr(struct axfr *x, const ldns_rr *rr)
{
	char *s = ldns_rr2str(rr);
	size_t n;
	int r;

	if (!s)
		return fail(x, -ENOMEM, "out of memory");
	n = strlen(s);
	r = append(x, s, n);
	if (r == 0 && (n == 0 || s[n - 1] != '\n'))
		r = append(x, "\n", 1);
	free(s);
	return r;
}

static bool soa_serial(const ldns_rr *rr, uint32_t *serial)
{
	const ldns_rdf *f;

	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA || ldns_rr_rd_count(rr) < 3)
		return false;
	f = ldns_rr_rdf(rr, 2);
	if (!f || ldns_rdf_size(f) != 4)
		return false;
	*serial = ldns_rdf2native_int32(f);
	return true;
}

static int rcode_error(struct axfr *x, ldns_pkt_rcode rc)
{
	const ldns_lookup_table *t = ldns_lookup_by_id(ldns_rcodes, (int)rc);
	char num[16];
	const char *name = t ? t->name : num;

	snprintf(num, sizeof(num), "RCODE%d", (int)rc);
	if (rc == LDNS_RCODE_REFUSED)
		return fail(x, -EACCES, "AXFR of %s from %s refused (REFUSED)", x->u->zone,
			    x->where);
	if (rc == LDNS_RCODE_NOTAUTH)
		return fail(
		    x, -EACCES,
		    "AXFR of %s from %s refused: not authoritative or not allowed (NOTAUTH)",
		    x->u->zone, x->where);
	return fail(x, -EPROTO, "AXFR of %s from %s failed: the server answered %s", x->u->zone,
		    x->where, name);
}

/* Read messages until the closing SOA. */
static int transfer(struct axfr *x, const ldns_rdf *zone, uint16_t id)
{
	uint8_t *buf = malloc(65535);
	bool started = false, done = false;
	uint32_t first_serial = 0;
	int r = 0;

	if (!buf)
		return fail(x, -ENOMEM, "out of memory");
	while (!done) {
		uint8_t hdr[2];
		size_t mlen;
		ldns_pkt *pkt = NULL;
		ldns_rr_list *an;
		size_t n;

		r = recv_all(x, hdr, 2);
		if (r < 0) {
			r = io_error(x, r, "reading");
			break;
		}
		mlen = (size_t)hdr[0] << 8 | hdr[1];
		x->wire += mlen + 2;
		if (x->max_size < UINT64_MAX / 4 && x->wire > 2 * x->max_size + 65536) {
			r = fail(x, -EFBIG, "AXFR of %s from %s: transfer exceeds max_size",
				 x->u->zone, x->where);
			break;
		}
		r = recv_all(x, buf, mlen);
		if (r < 0) {
			r = io_error(x, r, "reading");
			break;
		}
		if (ldns_wire2pkt(&pkt, buf, mlen) != LDNS_STATUS_OK) {
			r = fail(x, -EPROTO, "AXFR of %s from %s: malformed DNS message",
				 x->u->zone, x->where);
			break;
		}
		if (ldns_pkt_id(pkt) != id || !ldns_pkt_qr(pkt)) {
			ldns_pkt_free(pkt);
			r = fail(x, -EPROTO, "AXFR of %s from %s: answer does not match the query",
				 x->u->zone, x->where);
			break;
		}
		if (ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR) {
			r = rcode_error(x, ldns_pkt_get_rcode(pkt));
			ldns_pkt_free(pkt);
			break;
		}
		an = ldns_pkt_answer(pkt);
		n = an ? ldns_rr_list_rr_count(an) : 0;
		if (!started && n == 0) {
			ldns_pkt_free(pkt);
			r = fail(x, -EPROTO, "AXFR of %s from %s: empty answer", x->u->zone,
				 x->where);
			break;
		}
		for (size_t i = 0; i < n && r == 0 && !done; i++) {
			const ldns_rr *rr = ldns_rr_list_rr(an, i);
			bool apex = ldns_dname_compare(ldns_rr_owner(rr), zone) == 0;
			uint32_t serial;

			if (!started) {
				if (!apex || !soa_serial(rr, &serial)) {
					r = fail(
					    x, -EPROTO,
					    "AXFR of %s from %s: the answer does not start with "
					    "the zone's SOA",
					    x->u->zone, x->where);
					break;
				}
				started = true;
				first_serial = serial;
				r = append_rr(x, rr);
				continue;
			}
			if (apex && soa_serial(rr, &serial)) {
				if (serial != first_serial)
					r = fail(
					    x, -EPROTO,
					    "AXFR of %s from %s: closing SOA serial %u differs "
					    "from %u",
					    x->u->zone, x->where, serial, first_serial);
				done = true;
				break;
			}
			r = append_rr(x, rr);
		}
		ldns_pkt_free(pkt);
		if (r < 0)
			break;
		if (!done && remaining_ms(x) == 0) {
			r = timed_out(x);
			break;
		}
	}
	free(buf);
	return r;
}

int fz_axfr_fetch(const struct fz_axfr_url *u, unsigned timeout, uint64_t max_size, uint8_t **ret,
		  size_t *ret_len, char *err, size_t errlen)
{
	struct axfr x = {.u = u, .err = err, .errlen = errlen, .fd = -1};
	ldns_rdf *zone = NULL;
	char origin[300];
	uint16_t id = ldns_get_random();
	int r;

	if (err && errlen)
		err[0] = '\0';
	if (!u || !ret || !ret_len || !u->host[0] || !u->zone[0] ||
	    !memchr(u->host, '\0', sizeof(u->host)) || !memchr(u->zone, '\0', sizeof(u->zone)))
		return fail(&x, -EINVAL, "AXFR: invalid arguments");
	x.timeout = timeout ? timeout : AXFR_DEFAULT_TIMEOUT;
	x.max_size = max_size ? max_size : AXFR_DEFAULT_MAX_SIZE;
	snprintf(x.where, sizeof(x.where), strchr(u->host, ':') ? "[%s]:%u" : "%s:%u", u->host,
		 (unsigned)u->port);
	clock_gettime(CLOCK_MONOTONIC, &x.deadline);
	x.deadline.tv_sec += x.timeout;

	if (ldns_str2rdf_dname(&zone, u->zone) != LDNS_STATUS_OK || !zone)
		return fail(&x, -EINVAL, "AXFR: invalid zone name %s", u->zone);
	snprintf(origin, sizeof(origin), "$ORIGIN %s\n", u->zone);
	r = append(&x, origin, strlen(origin));
	if (r == 0)
		r = connect_primary(&x);
	if (r == 0)
		r = send_query(&x, zone, id);
	if (r == 0)
		r = transfer(&x, zone, id);
	if (x.fd >= 0)
		close(x.fd);
	ldns_rdf_deep_free(zone);
	if (r < 0) {
		free(x.text);
		return r;
	}
	*ret = (uint8_t *)x.text;
	*ret_len = x.len;
	return 0;
}
