/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading the head of the first HTTP/1.x request (RFC 9112): the request
 * line, then header lines up to the empty line, with the Host header. The
 * reader is strict where servers are strict (what a server would refuse
 * cannot reach it, so it need not be read) and tolerant where they are
 * tolerant (LF-only line ends, a few empty lines before the request line),
 * so that what we read is what the server will act on.
 */
#include <string.h>

#include "fz_http.h"

#define METHOD_MAX   24 /* longest method token we read ("BASELINE-CONTROL" is 16) */
#define LEADING_CRLF 4	/* empty lines tolerated before the request line */

/* Methods whose prefix (or whole name before its SP) is worth waiting on: a request cut after "GE".
 */
static const char *const known_methods[] = {
    "GET",   "HEAD",   "POST",	   "PUT",	"DELETE",     "CONNECT", "OPTIONS",
    "TRACE", "PATCH",  "PROPFIND", "PROPPATCH", "MKCOL",      "COPY",	 "MOVE",
    "LOCK",  "UNLOCK", "SEARCH",   "REPORT",	"MKCALENDAR", "PURGE",	 "QUERY",
};

static bool is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_method_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

static uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static bool known_method_prefix(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < sizeof(known_methods) / sizeof(known_methods[0]); i++)
		if (strlen(known_methods[i]) >= n && memcmp(known_methods[i], p, n) == 0)
			return true;
	return false;
}

/* "1".."65535" (digits only); an empty port is 0 ("host:" is allowed). Returns false if bad. */
static bool parse_port(const uint8_t *p, size_t n, uint16_t *port)
{
	uint32_t v = 0;

	if (n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (p[i] - '0');
	}
	if (v > 65535 || (n > 0 && v == 0))
		return false;
	*port = (uint16_t)v;
	return true;
}

/*
 * An authority "host[:port]" or "[v6]:port" (no userinfo): the host without
 * brackets and the port. Returns false when it is malformed.
 */
static bool parse_authority(const uint8_t *p, size_t n, const char **host, size_t *host_len,
			    uint16_t *port)
{
	const uint8_t *colon = NULL;

	*port = 0;
	if (n > 0 && p[0] == '[') {
		const uint8_t *close = memchr(p, ']', n);
		size_t rest;

		if (!close || close == p + 1)
			return false;
		rest = n - (size_t)(close + 1 - p);
		if (rest > 0 && close[1] != ':')
			return false;
		if (rest > 0 && !parse_port(close + 2, rest - 1, port))
			return false;
		*host = (const char *)p + 1;
		*host_len = (size_t)(close - p - 1);
		for (size_t i = 0; i < *host_len; i++) {
			uint8_t c = p[1 + i];
			if (!((c >= '0' && c <= '9') || (lower(c) >= 'a' && lower(c) <= 'f') ||
			      c == ':' || c == '.'))
				return false;
		}
		return true;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c == ':') {
			colon = p + i;
			break;
		}
		/* reg-name or IPv4 (RFC 3986 3.2.2): unreserved, pct-encoded, sub-delims */
		if (c <= 0x20 || c == 0x7f || c == '/' || c == '?' || c == '#' || c == '@' ||
		    c == '[' || c == ']' || c == '"' || c == '\\')
			return false;
	}
	*host = (const char *)p;
	*host_len = colon ? (size_t)(colon - p) : n;
	if (colon && !parse_port(colon + 1, n - *host_len - 1, port))
		return false;
	return true;
}

/* The request target: origin form, absolute form, authority form (CONNECT) or "*". */
static enum fz_dpi_status parse_target(const uint8_t *t, size_t n, struct fz_http_req *r)
{
	const uint8_t *auth, *end;
	size_t i;
	bool connect = r->method_len == 7 && memcmp(r->method, "CONNECT", 7) == 0;

	if (connect) {
		if (!parse_authority(t, n, &r->host, &r->host_len, &r->port) || r->host_len == 0)
			return FZ_DPI_BAD;
		r->path = (const char *)t + n;
		r->path_len = 0;
		return FZ_DPI_OK;
	}
	if (t[0] == '/') {
		r->path = (const char *)t;
		r->path_len = n;
		return FZ_DPI_OK;
	}
	if (n == 1 && t[0] == '*') {
		if (r->method_len != 7 || memcmp(r->method, "OPTIONS", 7) != 0)
			return FZ_DPI_BAD;
		r->path = (const char *)t;
		r->path_len = 1;
		return FZ_DPI_OK;
	}
	/* absolute form: scheme "://" authority [path-abempty] ["?" query] */
	for (i = 0; i < n && ((lower(t[i]) >= 'a' && lower(t[i]) <= 'z') ||
			      (i > 0 && ((t[i] >= '0' && t[i] <= '9') || t[i] == '+' ||
					 t[i] == '-' || t[i] == '.')));
	     i++)
		;
	if (i == 0 || n - i < 3 || memcmp(t + i, "://", 3) != 0)
		return FZ_DPI_BAD;
	auth = t + i + 3;
	end = t + n;
	const uint8_t *a_end = auth;
	while (a_end < end && *a_end != '/' && *a_end != '?' && *a_end != '#')
		a_end++;
	/* userinfo "user:pass@" is dropped: the host is after the last '@' */
	for (const uint8_t *q = a_end; q > auth; q--)
		if (q[-1] == '@') {
			auth = q;
			break;
		}
	if (!parse_authority(auth, (size_t)(a_end - auth), &r->host, &r->host_len, &r->port) ||
	    r->host_len == 0)
		return FZ_DPI_BAD;
	r->absolute_form = true;
	if (a_end < end && *a_end == '/') {
		r->path = (const char *)a_end;
		r->path_len = (size_t)(end - a_end);
	} else {
		/* "http://host" or "http://host?q": the path is "/" (the query is not kept) */
		r->path = "/";
		r->path_len = 1;
	}
	return FZ_DPI_OK;
}

/*
 * The Host header's value (OWS trimmed). A second Host header must say the
 * same thing as the first.
 */
static enum fz_dpi_status host_header(const uint8_t *v, size_t n, struct fz_http_req *r,
				      const uint8_t **seen, size_t *seen_len)
{
	const char *host;
	size_t host_len;
	uint16_t port;

	if (*seen) {
		if (*seen_len != n)
			return FZ_DPI_BAD;
		for (size_t i = 0; i < n; i++)
			if (lower((*seen)[i]) != lower(v[i]))
				return FZ_DPI_BAD;
		return FZ_DPI_OK;
	}
	*seen = v;
	*seen_len = n;
	if (!parse_authority(v, n, &host, &host_len, &port))
		return FZ_DPI_BAD;
	if (r->absolute_form || r->host_len)
		return FZ_DPI_OK; /* the target's authority wins (RFC 9112 3.2.2) */
	r->host = host;
	r->host_len = host_len;
	r->port = port;
	return FZ_DPI_OK;
}

/*
 * One line from `p` (at most `n` bytes): its length without the line end
 * and where the next line starts. Returns MORE when no LF yet, BAD on a CR
 * not followed by LF.
 */
static enum fz_dpi_status next_line(const uint8_t *p, size_t n, size_t *line_len, size_t *next)
{
	const uint8_t *lf = memchr(p, '\n', n);
	const uint8_t *cr = memchr(p, '\r', lf ? (size_t)(lf - p) : n);
	size_t l;

	if (cr && (!lf || cr + 1 != lf)) {
		if (cr + 1 == p + n)
			return FZ_DPI_MORE; /* "...\r" then the LF */
		return FZ_DPI_BAD;	    /* a bare CR */
	}
	if (!lf)
		return FZ_DPI_MORE;
	l = (size_t)(lf - p);
	*next = l + 1;
	*line_len = (l > 0 && p[l - 1] == '\r') ? l - 1 : l;
	return FZ_DPI_OK;
}

/*
 * Request line "METHOD SP target SP HTTP/1.x"; p holds the whole line (no
 * line end). Runs of SP between the words and after the version are
 * accepted, as servers (nginx) accept them (RFC 9112 3 allows parsing on
 * whitespace-delimited words), so such a request is read, not refused.
 */
static enum fz_dpi_status request_line(const uint8_t *p, size_t n, struct fz_http_req *r)
{
	const uint8_t *end = p + n, *t, *te, *v;

	/* the method and its SP were checked by the caller: r->method_len + 1 <= n */
	t = p + r->method_len + 1;
	while (t < end && *t == ' ')
		t++;
	te = t;
	while (te < end && *te != ' ') {
		if (*te < 0x20 || *te == 0x7f)
			return FZ_DPI_BAD;
		te++;
	}
	if (te == t || te == end)
		return FZ_DPI_BAD; /* no target, or HTTP/0.9 (no version) */
	v = te;
	while (v < end && *v == ' ')
		v++;
	if (end - v < 8)
		return FZ_DPI_BAD;
	for (const uint8_t *q = v + 8; q < end; q++)
		if (*q != ' ')
			return FZ_DPI_BAD;
	if (memcmp(v, "HTTP/2.0", 8) == 0 && r->method_len == 3 && memcmp(p, "PRI", 3) == 0)
		return FZ_DPI_NOT; /* the HTTP/2 connection preface */
	if (memcmp(v, "HTTP/1.", 7) != 0 || v[7] < '0' || v[7] > '9')
		return FZ_DPI_BAD;
	r->version_minor = (uint8_t)(v[7] - '0');
	return parse_target(t, (size_t)(te - t), r);
}

enum fz_dpi_status fz_http_request_parse(const uint8_t *buf, size_t len, struct fz_http_req *out)
{
	struct fz_http_req r;
	size_t pos = 0, m = 0, line_len, next, lim;
	const uint8_t *seen_host = NULL;
	size_t seen_host_len = 0;
	enum fz_dpi_status st;

	if (!buf)
		return FZ_DPI_MORE;
	/* a few empty lines before the request line are ignored (RFC 9112 2.2) */
	for (int i = 0; i < LEADING_CRLF && pos < len; i++) {
		if (buf[pos] == '\n')
			pos++;
		else if (buf[pos] == '\r' && (pos + 1 == len || buf[pos + 1] == '\n'))
			pos += pos + 1 == len ? 1 : 2;
		else
			break;
	}
	/* the method: a token, then SP */
	while (pos + m < len && m <= METHOD_MAX && is_method_char(buf[pos + m]))
		m++;
	if (pos + m == len) {
		if (m == 0 || known_method_prefix(buf + pos, m))
			return FZ_DPI_MORE;
		return FZ_DPI_NOT;
	}
	if (m == 0 || m > METHOD_MAX || buf[pos + m] != ' ')
		return FZ_DPI_NOT;

	memset(&r, 0, sizeof(r));
	r.method = (const char *)buf + pos;
	r.method_len = m;
	/* nothing is read past the cap: a head that ends after it is BAD */
	lim = len < FZ_HTTP_HEAD_MAX ? len : FZ_HTTP_HEAD_MAX;

	st = next_line(buf + pos, lim - pos, &line_len, &next);
	if (st == FZ_DPI_MORE) {
		/* check what is there of the target so far: control bytes are not HTTP */
		for (size_t i = pos + m + 1; i < lim; i++)
			if (buf[i] < 0x20 && buf[i] != '\r')
				return FZ_DPI_BAD;
		return lim == FZ_HTTP_HEAD_MAX ? FZ_DPI_BAD : FZ_DPI_MORE;
	}
	if (st != FZ_DPI_OK)
		return st;
	st = request_line(buf + pos, line_len, &r);
	if (st != FZ_DPI_OK)
		return st;
	pos += next;

	/* header lines up to the empty line */
	for (;;) {
		const uint8_t *l = buf + pos, *colon, *v, *ve;

		st = next_line(l, lim - pos, &line_len, &next);
		if (st == FZ_DPI_MORE)
			return lim == FZ_HTTP_HEAD_MAX ? FZ_DPI_BAD : FZ_DPI_MORE;
		if (st != FZ_DPI_OK)
			return st;
		pos += next;
		if (line_len == 0)
			break;
		if (l[0] == ' ' || l[0] == '\t')
			return FZ_DPI_BAD; /* obs-fold (RFC 9112 5.2) */
		colon = memchr(l, ':', line_len);
		if (!colon || colon == l)
			return FZ_DPI_BAD;
		for (const uint8_t *q = l; q < colon; q++)
			if (!is_tchar(*q))
				return FZ_DPI_BAD; /* "Host :" and the like */
		v = colon + 1;
		ve = l + line_len;
		for (const uint8_t *q = v; q < ve; q++)
			if ((*q < 0x20 && *q != '\t') || *q == 0x7f)
				return FZ_DPI_BAD;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		if (colon - l == 4 && lower(l[0]) == 'h' && lower(l[1]) == 'o' &&
		    lower(l[2]) == 's' && lower(l[3]) == 't') {
			st = host_header(v, (size_t)(ve - v), &r, &seen_host, &seen_host_len);
			if (st != FZ_DPI_OK)
				return st;
		}
	}
	*out = r;
	return FZ_DPI_OK;
}
